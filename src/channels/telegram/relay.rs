//! Sending a ticket's attachment to a Telegram chat, with the row's text as its
//! caption. One that came from Telegram is copied (`copyMessage`: no
//! re-upload); one from another platform is uploaded from the spool with the
//! method of its kind (the `file_id` Telegram gives back is kept, so the same
//! bytes to another owner go by id). What cannot be carried is sent as text
//! that names it: a file too big for Telegram's uploads, bytes that could not
//! be fetched, a message the customer deleted before it was copied.

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::payloads::{
    CopyMessageSetters, SendAnimationSetters, SendAudioSetters, SendContactSetters,
    SendDocumentSetters, SendLocationSetters, SendMessageSetters, SendPhotoSetters,
    SendStickerSetters, SendVideoNoteSetters, SendVideoSetters, SendVoiceSetters,
};
use teloxide::prelude::*;
use teloxide::types::{FileId, InputFile, MessageId, ParseMode, ThreadId};

use super::format;
use super::photos::refused_id;
use super::{CHANNEL, Link};
use crate::attachment::{Attachment, Media};
use crate::channels::blocking;
use crate::channels::media::{kept_upload, one_upload_at_a_time};
use crate::engine::MediaKey;

/// Telegram's upload limits: photos 10 MB, other files 50 MB.
pub(super) const PHOTO_LIMIT: u64 = 10 * 1024 * 1024;
pub(super) const FILE_LIMIT: u64 = 50 * 1024 * 1024;

/// Whether Telegram shows a caption under this kind of message.
pub(super) const fn takes_caption(media: &Media) -> bool {
    !matches!(
        media,
        Media::Sticker | Media::VideoNote | Media::Location { .. } | Media::Contact { .. }
    )
}

/// Sends `attachment` to `chat` (in `thread`), captioned with `caption`.
pub(super) async fn send(
    link: &Link,
    chat: ChatId,
    thread: Option<ThreadId>,
    attachment: &Attachment,
    caption: Option<&str>,
) -> Result<Option<MessageId>, RequestError> {
    let caption = caption.filter(|_| takes_caption(&attachment.media));
    if attachment.origin.channel == CHANNEL
        && let (Ok(from), Ok(id)) = (
            attachment.origin.chat_id.parse::<i64>(),
            attachment.origin.message_id.parse::<i32>(),
        )
    {
        let mut request = link.bot.copy_message(chat, ChatId(from), MessageId(id));
        if let Some(caption) = caption {
            request = request
                .caption(format::escape(caption))
                .parse_mode(ParseMode::Html);
        }
        if let Some(thread) = thread {
            request = request.message_thread_id(thread);
        }
        return match request.await {
            Ok(id) => Ok(Some(id)),
            // The customer deleted it before it was copied: say what it was.
            Err(RequestError::Api(ApiError::MessageToCopyNotFound)) => {
                let text = named(caption, attachment, "no longer available");
                text_message(link, chat, thread, &text).await
            }
            Err(e) => Err(e),
        };
    }
    match &attachment.media {
        Media::Location {
            latitude_e6,
            longitude_e6,
        } => {
            #[allow(clippy::cast_precision_loss)]
            let (lat, lon) = (*latitude_e6 as f64 / 1e6, *longitude_e6 as f64 / 1e6);
            let mut request = link.bot.send_location(chat, lat, lon);
            if let Some(thread) = thread {
                request = request.message_thread_id(thread);
            }
            return request.await.map(|m| Some(m.id));
        }
        Media::Contact { phone, name } => {
            let mut request = link.bot.send_contact(chat, phone.clone(), name.clone());
            if let Some(thread) = thread {
                request = request.message_thread_id(thread);
            }
            return request.await.map(|m| Some(m.id));
        }
        _ => {}
    }
    match carried(link, attachment).await {
        Ok((name, bytes)) => upload(link, chat, thread, attachment, caption, name, bytes).await,
        Err(why) => text_message(link, chat, thread, &named(caption, attachment, &why)).await,
    }
}

/// The caption with what the attachment was and why it is not shown.
fn named(caption: Option<&str>, attachment: &Attachment, why: &str) -> String {
    let described = attachment.describe();
    let note = format!("[{} {why}]", attachment.media.word());
    match caption {
        Some(c) if c.contains(&described) => format!("{c}\n{note}"),
        Some(c) => format!("{c}\n{described}\n{note}"),
        None => format!("{described}\n{note}"),
    }
}

async fn text_message(
    link: &Link,
    chat: ChatId,
    thread: Option<ThreadId>,
    text: &str,
) -> Result<Option<MessageId>, RequestError> {
    let text: String = text.chars().take(format::TEXT_LIMIT / 2).collect();
    let mut request = link
        .bot
        .send_message(chat, format::escape(&text))
        .parse_mode(ParseMode::Html);
    if let Some(thread) = thread {
        request = request.message_thread_id(thread);
    }
    request.await.map(|m| Some(m.id))
}

/// The spool name and bytes of an attachment from another platform, or why
/// they cannot go to Telegram ("could not be fetched", "too big for Telegram: 60 MB").
async fn carried(link: &Link, attachment: &Attachment) -> Result<(String, Vec<u8>), String> {
    let Some(name) = attachment.stored.clone() else {
        return Err(match attachment.unfetchable {
            Some(crate::attachment::Unfetchable::TooBig) => "too big to fetch".to_owned(),
            _ => "could not be fetched".to_owned(),
        });
    };
    let limit = if attachment.media == Media::Photo {
        PHOTO_LIMIT
    } else {
        FILE_LIMIT
    };
    let spool = crate::channels::lock(&link.engine).spool().clone();
    let read = {
        let name = name.clone();
        tokio::task::spawn_blocking(move || {
            let path = spool.path(&name).ok().flatten()?;
            let size = std::fs::metadata(&path).ok()?.len();
            if size > limit {
                return Some(Err(size));
            }
            std::fs::read(&path).ok().map(Ok)
        })
        .await
    };
    match read {
        Ok(Some(Ok(bytes))) => Ok((name, bytes)),
        Ok(Some(Err(size))) => Err(format!(
            "too big for Telegram: {} MB",
            size.div_ceil(1024 * 1024)
        )),
        _ => Err("could not be read".to_owned()),
    }
}

/// Uploads the bytes (or sends them by a `file_id` kept from an earlier upload).
async fn upload(
    link: &Link,
    chat: ChatId,
    thread: Option<ThreadId>,
    attachment: &Attachment,
    caption: Option<&str>,
    sha256: String,
    bytes: Vec<u8>,
) -> Result<Option<MessageId>, RequestError> {
    let key = MediaKey {
        channel: CHANNEL,
        account: super::photos::bot_account(link),
        kind: format!("relay_{:?}", attachment.media).to_ascii_lowercase(),
        sha256,
    };
    let media = &attachment.media;
    if let Some(sent) = by_id(link, chat, thread, media, caption, &key).await {
        return sent;
    }
    // One upload of the same bytes at a time: another chat's copy waits and
    // goes by the id the first upload got.
    let _uploading = one_upload_at_a_time(&key).await;
    if let Some(sent) = by_id(link, chat, thread, media, caption, &key).await {
        return sent;
    }
    let name = attachment.file_name.clone().unwrap_or_else(|| {
        match media {
            Media::Photo => "photo.jpg",
            Media::Voice => "voice.ogg",
            Media::VideoNote | Media::Video | Media::Animation => "video.mp4",
            Media::Sticker => "sticker.webp",
            _ => "file",
        }
        .to_owned()
    });
    let file = InputFile::memory(bytes.clone()).file_name(name.clone());
    let message = match send_file(link, chat, thread, media, file, caption).await {
        // An image Telegram will not show as a photo (its sides, its format):
        // the same bytes as a file, never lost. Its id is not kept as a photo's.
        Err(e) if *media == Media::Photo && not_a_photo(&e) => {
            let file = InputFile::memory(bytes).file_name(name);
            let message = send_file(link, chat, thread, &Media::Document, file, caption).await?;
            return Ok(Some(message.id));
        }
        sent => sent?,
    };
    if let Some(id) = super::media_in::attachment(&message).and_then(|a| a.origin.file) {
        let now = jiff::Timestamp::now().as_second();
        let kept = blocking(&link.engine, move |engine| {
            engine.remember_upload(&key, &id, now)
        })
        .await;
        if let Some(Err(e)) = kept {
            tracing::warn!("telegram: cannot keep a relayed file's id: {e}");
        }
    }
    Ok(Some(message.id))
}

/// Telegram refused the bytes as a photo, though it would take them as a file.
fn not_a_photo(e: &RequestError) -> bool {
    match e {
        RequestError::Api(ApiError::ImageProcessFailed) => true,
        RequestError::Api(ApiError::Unknown(text)) => [
            "PHOTO_INVALID_DIMENSIONS",
            "PHOTO_EXT_INVALID",
            "PHOTO_SAVE_FILE_INVALID",
        ]
        .iter()
        .any(|code| text.contains(code)),
        _ => false,
    }
}

/// Sends by the `file_id` kept for these bytes, if any; `None`: there is none,
/// or Telegram refused it (then it is forgotten): upload.
async fn by_id(
    link: &Link,
    chat: ChatId,
    thread: Option<ThreadId>,
    media: &Media,
    caption: Option<&str>,
    key: &MediaKey,
) -> Option<Result<Option<MessageId>, RequestError>> {
    let id = kept_upload(&link.engine, key).await?;
    let file = InputFile::file_id(FileId(id.clone()));
    match send_file(link, chat, thread, media, file, caption).await {
        Err(e) if refused_id(&e) => {
            let key = key.clone();
            let _ = blocking(&link.engine, move |engine| engine.forget_upload(&key, &id)).await;
            None
        }
        result => Some(result.map(|m| Some(m.id))),
    }
}

/// One request of the method for `media`, with the caption and the topic.
macro_rules! request {
    ($request:expr, $caption:expr, $thread:expr) => {{
        let mut request = $request;
        if let Some(caption) = $caption {
            request = request
                .caption(format::escape(caption))
                .parse_mode(ParseMode::Html);
        }
        if let Some(thread) = $thread {
            request = request.message_thread_id(thread);
        }
        request.await
    }};
}

macro_rules! bare_request {
    ($request:expr, $thread:expr) => {{
        let mut request = $request;
        if let Some(thread) = $thread {
            request = request.message_thread_id(thread);
        }
        request.await
    }};
}

async fn send_file(
    link: &Link,
    chat: ChatId,
    thread: Option<ThreadId>,
    media: &Media,
    file: InputFile,
    caption: Option<&str>,
) -> Result<teloxide::types::Message, RequestError> {
    let bot = &link.bot;
    match media {
        Media::Photo => request!(bot.send_photo(chat, file), caption, thread),
        Media::Voice => request!(bot.send_voice(chat, file), caption, thread),
        Media::Audio => request!(bot.send_audio(chat, file), caption, thread),
        Media::Video => request!(bot.send_video(chat, file), caption, thread),
        Media::Animation => request!(bot.send_animation(chat, file), caption, thread),
        Media::VideoNote => bare_request!(bot.send_video_note(chat, file), thread),
        Media::Sticker => bare_request!(bot.send_sticker(chat, file), thread),
        Media::Document | Media::Location { .. } | Media::Contact { .. } => {
            request!(bot.send_document(chat, file), caption, thread)
        }
    }
}
