//! Product photos uploaded once: the first card with an image uploads it and
//! keeps the `file_id` Telegram gives back (in the database, per bot, keyed by
//! the SHA-256 of the image's bytes); every later card sends that id. An image
//! changed on disk hashes differently and is uploaded again; an id Telegram
//! refuses is forgotten and the image uploaded again in the same delivery.

use std::future::IntoFuture;
use std::path::Path;

use jiff::Timestamp;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::types::{FileId, InputFile, Message};

use super::{CHANNEL, Link};
use crate::channels::blocking;
use crate::channels::media::{kept_upload, one_upload_at_a_time, remember_hash, sha256};
use crate::engine::MediaKey;

/// The `kind` of a Telegram upload in the media table.
const KIND: &str = "file_id";

/// The bot's id: the part of its token before the colon (a `file_id` is valid
/// only for the bot that received it).
pub(super) fn bot_account(link: &Link) -> String {
    let token = link.bot.token();
    token.split(':').next().unwrap_or(token).to_owned()
}

/// Whether Telegram refused a `file_id` it handed out earlier (expired, or from
/// another bot): the image is uploaded again.
pub(super) fn refused_id(e: &RequestError) -> bool {
    match e {
        RequestError::Api(
            ApiError::WrongFileIdOrUrl | ApiError::WrongFileId | ApiError::FileIdInvalid,
        ) => true,
        RequestError::Api(ApiError::Unknown(text)) => {
            let text = text.to_ascii_lowercase();
            text.contains("file identifier")
                || text.contains("file id")
                || text.contains("file_id")
                || text.contains("file_reference")
                || text.contains("file reference")
        }
        _ => false,
    }
}

/// The `file_id` of the largest size of the photo in `message`.
fn largest_file_id(message: &Message) -> Option<String> {
    message
        .photo()?
        .iter()
        .max_by_key(|size| {
            (
                u64::from(size.width) * u64::from(size.height),
                size.file.size,
            )
        })
        .map(|size| size.file.id.0.clone())
}

/// Sends the product image `image` (a path under the shop's folder, or an
/// HTTP(S) URL) with `send`, which makes the request for a given file.
pub(super) async fn send<F, R>(link: &Link, image: &str, send: F) -> Result<Message, RequestError>
where
    F: Fn(InputFile) -> R,
    R: IntoFuture<Output = Result<Message, RequestError>>,
{
    if (image.starts_with("http://") || image.starts_with("https://"))
        && let Ok(url) = url::Url::parse(image)
    {
        return send(InputFile::url(url)).await;
    }
    let path = link.base_dir.join(image);
    let hashed = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || crate::channels::media::file_hash(&path)).await
    };
    let sha256 = match hashed {
        Ok(Ok(hash)) => hash,
        Ok(Err(e)) => return Err(RequestError::Io(e.into())),
        Err(e) => return Err(RequestError::Io(std::io::Error::other(e).into())),
    };
    let key = MediaKey {
        channel: CHANNEL,
        account: bot_account(link),
        kind: KIND.to_owned(),
        sha256,
    };
    if let Some(sent) = by_id(link, &key, &send).await {
        return sent;
    }
    // One upload of an image at a time: the cards of other chats wait for it
    // and send its id, instead of uploading the same bytes side by side.
    let _uploading = one_upload_at_a_time(&key).await;
    if let Some(sent) = by_id(link, &key, &send).await {
        return sent;
    }
    upload(link, &path, key, send).await
}

/// Sends the image by the id kept for it, if there is one. `None`: there is
/// none, or Telegram refused it (then it is forgotten): upload the image.
async fn by_id<F, R>(link: &Link, key: &MediaKey, send: &F) -> Option<Result<Message, RequestError>>
where
    F: Fn(InputFile) -> R,
    R: IntoFuture<Output = Result<Message, RequestError>>,
{
    let file_id = kept_upload(&link.engine, key).await?;
    match send(InputFile::file_id(FileId(file_id.clone()))).await {
        Err(e) if refused_id(&e) => {
            tracing::warn!(
                "telegram: a kept photo id was refused ({}); uploading the image again",
                link.redact.clean(&e)
            );
            let key = key.clone();
            let forgot = blocking(&link.engine, move |engine| {
                engine.forget_upload(&key, &file_id)
            })
            .await;
            if let Some(Err(e)) = forgot {
                tracing::warn!("telegram: cannot forget a refused photo id: {e}");
            }
            None
        }
        result => Some(result),
    }
}

/// Uploads the image's bytes and keeps the `file_id` Telegram gives back.
async fn upload<F, R>(
    link: &Link,
    path: &Path,
    mut key: MediaKey,
    send: F,
) -> Result<Message, RequestError>
where
    F: Fn(InputFile) -> R,
    R: IntoFuture<Output = Result<Message, RequestError>>,
{
    let data = match tokio::fs::read(path).await {
        Ok(data) => data,
        Err(e) => return Err(RequestError::Io(e.into())),
    };
    // The bytes sent are the bytes hashed, even if the file changed meanwhile.
    key.sha256 = sha256(&data);
    remember_hash(path, &data, &key.sha256);
    let name = path
        .file_name()
        .map_or_else(|| "image".to_owned(), |n| n.to_string_lossy().into_owned());
    let message = send(InputFile::memory(data).file_name(name)).await?;
    if let Some(file_id) = largest_file_id(&message) {
        let now = Timestamp::now().as_second();
        let kept = blocking(&link.engine, move |engine| {
            engine.remember_upload(&key, &file_id, now)
        })
        .await;
        if let Some(Err(e)) = kept {
            tracing::warn!("telegram: cannot keep the photo id (uploaded again next time): {e}");
        }
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_ids_are_recognised() {
        assert!(refused_id(&RequestError::Api(ApiError::WrongFileIdOrUrl)));
        assert!(refused_id(&RequestError::Api(ApiError::Unknown(
            "Bad Request: wrong remote file identifier specified".into()
        ))));
        assert!(!refused_id(&RequestError::Api(ApiError::BotBlocked)));
    }
}
