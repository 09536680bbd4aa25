//! Fetching an attachment's bytes for another platform, before its turn: when
//! another platform (Matrix) is running, a photo, file or voice note sent on
//! Telegram may have to be uploaded there (a Matrix owner, or the Matrix
//! customer an owner answers), so its bytes are downloaded (`getFile`, then
//! the file URL on the bot's own API base) into the spool and the attachment
//! names them. The Bot API serves at most 20 MB: a bigger file is not tried
//! and marked too big (the conversation tells the sender). A download that
//! keeps failing is marked failed after a few tries; the turn runs either way.

use std::time::Duration;

use teloxide::RequestError;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::FileId;

use super::{CHANNEL, Link};
use crate::attachment::{Attachment, Unfetchable};
use crate::channel::Channel;
use crate::channels::lock;
use crate::conversation::Input;

/// The Bot API's download limit (`getFile`): 20 MB.
pub(super) const DOWNLOAD_LIMIT: u64 = 20 * 1024 * 1024;

/// Tries of a download before it is given up as failed.
const ATTEMPTS: u32 = 3;

/// Whether a platform other than Telegram is running (so bytes may be needed there).
fn others_running(link: &Link) -> bool {
    lock(&link.engine)
        .channels()
        .iter()
        .any(|c| *c != CHANNEL && *c != Channel::Terminal)
}

/// Fetches the bytes of `input`'s attachment into the spool when another
/// platform runs; marks it unfetchable when they cannot be had. Never fails:
/// the message is handled whatever becomes of its bytes.
pub(super) async fn for_other_platforms(link: &Link, input: &mut Input) {
    let Input::Media(attachment) = input else {
        return;
    };
    if !attachment.media.has_bytes() || attachment.stored.is_some() || !others_running(link) {
        return;
    }
    fetch(link, attachment).await;
}

async fn fetch(link: &Link, attachment: &mut Attachment) {
    let Some(file_id) = attachment.origin.file.clone() else {
        attachment.unfetchable = Some(Unfetchable::Failed);
        return;
    };
    if attachment.size.is_some_and(|s| s > DOWNLOAD_LIMIT) {
        attachment.unfetchable = Some(Unfetchable::TooBig);
        return;
    }
    let spool = lock(&link.engine).spool().clone();
    for attempt in 1..=ATTEMPTS {
        let bytes = match download(link, &file_id).await {
            Ok(bytes) => bytes,
            Err(Failure::TooBig) => {
                attachment.unfetchable = Some(Unfetchable::TooBig);
                return;
            }
            Err(Failure::Refused(why)) => {
                tracing::warn!("telegram: a ticket's file cannot be fetched: {why}");
                attachment.unfetchable = Some(Unfetchable::Failed);
                return;
            }
            Err(Failure::Again(why)) => {
                tracing::warn!("telegram: fetching a ticket's file failed (try {attempt}): {why}");
                if attempt < ATTEMPTS {
                    tokio::time::sleep(Duration::from_millis(500) * attempt).await;
                }
                continue;
            }
        };
        let spool = spool.clone();
        match tokio::task::spawn_blocking(move || spool.put(&bytes)).await {
            Ok(Ok(name)) => {
                attachment.stored = Some(name);
                return;
            }
            Ok(Err(e)) => tracing::error!("telegram: a ticket's file cannot be kept: {e}"),
            Err(e) => tracing::error!("telegram: keeping a ticket's file panicked: {e}"),
        }
        break;
    }
    attachment.unfetchable = Some(Unfetchable::Failed);
}

enum Failure {
    TooBig,
    /// Telegram refused it; asking again would not help.
    Refused(String),
    Again(String),
}

async fn download(link: &Link, file_id: &str) -> Result<Vec<u8>, Failure> {
    let file = link
        .bot
        .get_file(FileId(file_id.to_owned()))
        .await
        .map_err(|e| match &e {
            RequestError::Api(api) if api.to_string().contains("file is too big") => {
                Failure::TooBig
            }
            RequestError::Api(_) => Failure::Refused(link.redact.clean(&e)),
            _ => Failure::Again(link.redact.clean(&e)),
        })?;
    if u64::from(file.size) > DOWNLOAD_LIMIT {
        return Err(Failure::TooBig);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
    link.bot
        .download_file(&file.path, &mut bytes)
        .await
        .map_err(|e| Failure::Again(link.redact.clean(e)))?;
    if bytes.len() as u64 > DOWNLOAD_LIMIT {
        return Err(Failure::TooBig);
    }
    Ok(bytes)
}
