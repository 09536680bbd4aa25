//! Ticket media going out to Matrix: a reply's attachment as the right event
//! (`m.image`, `m.file`, `m.audio` — a voice note flagged so —, `m.video`,
//! `m.location`, a contact as `m.text`), the reply's text as its caption
//! (Matrix 1.10: `body` is the caption when `filename` differs from it).
//!
//! Where the bytes come from:
//! - a Matrix attachment reuses its event's media source, no upload, except an
//!   encrypted file going to a room in the clear: it is decrypted and uploaded
//!   in the clear (an encrypted file's keys in a clear event would be a secret
//!   in plain sight). A clear `mxc://` going to an encrypted room is reused as
//!   it is: its bytes are already on the homeserver in the clear, encrypting a
//!   second copy would hide nothing and double the storage; the event that
//!   points to it is encrypted.
//! - another platform's attachment is uploaded from the spool, encrypted for
//!   an encrypted room, once per homeserver (kept like product images).
//! - bytes that could not be fetched, or over the homeserver's `m.upload.size`,
//!   go as the text with the attachment named and why it is missing.

use std::time::Duration;

use jiff::Timestamp;
use matrix_sdk::ruma::UInt;
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::events::room::message::{
    AudioInfo, AudioMessageEventContent, FileInfo, FileMessageEventContent, FormattedBody,
    ImageMessageEventContent, LocationMessageEventContent, MessageType, RoomMessageEventContent,
    UnstableAudioDetailsContentBlock, UnstableVoiceContentBlock, VideoInfo,
    VideoMessageEventContent,
};
use matrix_sdk::ruma::events::room::{EncryptedFile, ImageInfo};

use super::attach::{download, source_of};
use super::media::kept;
use super::{CHANNEL, Link};
use crate::attachment::{Attachment, Media, Unfetchable, degrees};
use crate::channel::Channel;
use crate::channels::media::{one_upload_at_a_time, sha256};
use crate::channels::{blocking, escape_html};
use crate::engine::MediaKey;

/// How a reply with an attachment shows.
pub(super) enum Shown {
    /// The attachment's event, captioned.
    Event(Box<RoomMessageEventContent>),
    /// The text, with the attachment named and why it did not come (plain, HTML).
    Text(String, String),
}

/// Why the bytes are not there.
enum Missing {
    /// The origin's platform did not give them (or they were never fetched).
    NotFetched(Option<Unfetchable>),
    /// Over the homeserver's upload limit (bytes).
    TooBig(u64),
    /// Gone from the spool, or the Matrix download failed.
    Gone,
}

/// The event of `attachment`, captioned with the reply's `plain` and `html`.
pub(super) async fn content(
    link: &Link,
    room: &matrix_sdk::Room,
    attachment: &Attachment,
    plain: &str,
    html: &str,
) -> Result<Shown, matrix_sdk::Error> {
    match &attachment.media {
        Media::Location {
            latitude_e6,
            longitude_e6,
        } => {
            let geo = format!("geo:{},{}", degrees(*latitude_e6), degrees(*longitude_e6));
            let place = LocationMessageEventContent::new(plain.to_owned(), geo);
            return Ok(Shown::Event(Box::new(RoomMessageEventContent::new(
                MessageType::Location(place),
            ))));
        }
        Media::Contact { .. } => {
            let (plain, html) = named(plain, html, attachment, None);
            return Ok(Shown::Event(Box::new(RoomMessageEventContent::text_html(
                plain, html,
            ))));
        }
        _ => {}
    }
    let encrypted = room.latest_encryption_state().await?.is_encrypted();
    let (source, size) = match resolve(link, attachment, encrypted).await? {
        Ok(found) => found,
        Err(missing) => {
            let why = match missing {
                Missing::NotFetched(Some(Unfetchable::TooBig)) => {
                    "too big to download from the other app".to_owned()
                }
                Missing::NotFetched(_) | Missing::Gone => "could not be fetched".to_owned(),
                Missing::TooBig(limit) => format!(
                    "too big for this Matrix server (its limit is {} MB)",
                    limit / (1024 * 1024)
                ),
            };
            let (plain, html) = named(plain, html, attachment, Some(&why));
            return Ok(Shown::Text(plain, html));
        }
    };
    Ok(Shown::Event(Box::new(event(
        attachment, source, size, plain, html,
    ))))
}

/// The text with the attachment named (unless it already is) and, if given, why
/// it is not there.
fn named(plain: &str, html: &str, attachment: &Attachment, why: Option<&str>) -> (String, String) {
    let mut line = Attachment {
        caption: None,
        ..attachment.clone()
    }
    .describe();
    if let Some(why) = why {
        line = format!("{line} ({why})");
    }
    if why.is_none() && plain.contains(&line) {
        return (plain.to_owned(), html.to_owned());
    }
    (
        format!("{plain}\n{line}"),
        format!("{html}<br>{}", escape_html(&line)),
    )
}

/// The file name shown: the attachment's, else one made from its kind and type.
fn file_name(attachment: &Attachment) -> String {
    if let Some(name) = attachment
        .file_name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        return name.to_owned();
    }
    let stem = match attachment.media {
        Media::Photo => "photo",
        Media::Voice => "voice",
        Media::Audio => "audio",
        Media::Video | Media::VideoNote | Media::Animation => "video",
        Media::Sticker => "sticker",
        _ => "file",
    };
    let extension = match attachment.mime.as_deref().unwrap_or_default() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/mp4" => "m4a",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        "application/pdf" => "pdf",
        _ => "bin",
    };
    format!("{stem}.{extension}")
}

/// The event for bytes at `source`.
fn event(
    attachment: &Attachment,
    source: MediaSource,
    size: Option<u64>,
    plain: &str,
    html: &str,
) -> RoomMessageEventContent {
    let body = plain.to_owned();
    let formatted = Some(FormattedBody::html(html));
    let filename = Some(file_name(attachment));
    let mime = attachment.mime.clone();
    let size = size.or(attachment.size).and_then(UInt::new);
    let duration = attachment.seconds.map(|s| Duration::from_secs(s.into()));
    let image_like = mime.as_deref().is_none_or(|m| m.starts_with("image/"));
    let message = match attachment.media {
        Media::Photo | Media::Sticker if image_like => {
            let mut info = ImageInfo::new();
            info.mimetype = mime;
            info.size = size;
            let mut c = ImageMessageEventContent::new(body, source);
            c.formatted = formatted;
            c.filename = filename;
            c.info = Some(Box::new(info));
            MessageType::Image(c)
        }
        Media::Voice | Media::Audio => {
            let mut info = AudioInfo::new();
            info.mimetype = mime;
            info.size = size;
            info.duration = duration;
            let mut c = AudioMessageEventContent::new(body, source);
            c.formatted = formatted;
            c.filename = filename;
            c.info = Some(Box::new(info));
            if attachment.media == Media::Voice {
                c.voice = Some(UnstableVoiceContentBlock::new());
                c.audio = duration.map(|d| UnstableAudioDetailsContentBlock::new(d, Vec::new()));
            }
            MessageType::Audio(c)
        }
        Media::Video | Media::VideoNote | Media::Animation => {
            let mut info = VideoInfo::new();
            info.mimetype = mime;
            info.size = size;
            info.duration = duration;
            let mut c = VideoMessageEventContent::new(body, source);
            c.formatted = formatted;
            c.filename = filename;
            c.info = Some(Box::new(info));
            MessageType::Video(c)
        }
        _ => {
            let mut info = FileInfo::new();
            info.mimetype = mime;
            info.size = size;
            let mut c = FileMessageEventContent::new(body, source);
            c.formatted = formatted;
            c.filename = filename;
            c.info = Some(Box::new(info));
            MessageType::File(c)
        }
    };
    RoomMessageEventContent::new(message)
}

/// Where the event's bytes are, and their size when known.
async fn resolve(
    link: &Link,
    attachment: &Attachment,
    encrypted: bool,
) -> Result<Result<(MediaSource, Option<u64>), Missing>, matrix_sdk::Error> {
    let matrix_source = (attachment.origin.channel == Channel::Matrix)
        .then(|| attachment.origin.file.as_deref().and_then(source_of))
        .flatten();
    let bytes = match (&matrix_source, &attachment.stored) {
        (Some(MediaSource::Plain(_)), _) => {
            return Ok(Ok((matrix_source.expect("matched"), None)));
        }
        (Some(MediaSource::Encrypted(_)), _) if encrypted => {
            return Ok(Ok((matrix_source.expect("matched"), None)));
        }
        (_, Some(name)) => match spooled(link, name).await {
            Some(bytes) => bytes,
            None => match &matrix_source {
                Some(source) => match download(link, source).await {
                    Ok(bytes) => bytes,
                    Err(_) => return Ok(Err(Missing::Gone)),
                },
                None => return Ok(Err(Missing::Gone)),
            },
        },
        (Some(source), None) => match download(link, source).await {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!("matrix: cannot download a ticket's media to send it on: {e}");
                return Ok(Err(Missing::Gone));
            }
        },
        (None, None) => return Ok(Err(Missing::NotFetched(attachment.unfetchable))),
    };
    let limit = u64::from(link.client.load_or_fetch_max_upload_size().await?);
    let size = bytes.len() as u64;
    if size > limit {
        return Ok(Err(Missing::TooBig(limit)));
    }
    let mime = attachment
        .mime
        .as_deref()
        .and_then(|m| m.parse::<mime::Mime>().ok())
        .unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let source = upload(link, bytes, &mime, encrypted).await?;
    Ok(Ok((source, Some(size))))
}

/// The bytes kept in the spool under `name`, if they are there.
async fn spooled(link: &Link, name: &str) -> Option<Vec<u8>> {
    let spool = blocking(&link.engine, |engine| engine.spool().clone()).await?;
    let name = name.to_owned();
    match tokio::task::spawn_blocking(move || spool.read(&name)).await {
        Ok(Ok(bytes)) => Some(bytes),
        Ok(Err(e)) => {
            tracing::warn!("matrix: a ticket's media is not in the spool: {e}");
            None
        }
        Err(_) => None,
    }
}

/// Uploads `bytes` (encrypted for an encrypted room), once per homeserver: the
/// same bytes sent again reuse the kept upload.
async fn upload(
    link: &Link,
    bytes: Vec<u8>,
    mime: &mime::Mime,
    encrypted: bool,
) -> Result<MediaSource, matrix_sdk::Error> {
    let account = link
        .client
        .user_id()
        .map_or_else(String::new, ToString::to_string);
    let key = MediaKey {
        channel: CHANNEL,
        account,
        kind: if encrypted { "encrypted" } else { "mxc" }.to_owned(),
        sha256: sha256(&bytes),
    };
    let _uploading = one_upload_at_a_time(&key).await;
    if let Some(source) = kept(link, &key).await {
        return Ok(source);
    }
    let (source, reference) = if encrypted {
        let mut reader = std::io::Cursor::new(&bytes);
        let file: EncryptedFile = link.client.upload_encrypted_file(&mut reader).await?;
        let json = serde_json::to_string(&file).map_err(matrix_sdk::Error::SerdeJson)?;
        (MediaSource::Encrypted(Box::new(file)), json)
    } else {
        let response = link.client.media().upload(mime, bytes, None).await?;
        let uri = response.content_uri;
        (MediaSource::Plain(uri.clone()), uri.to_string())
    };
    let now = Timestamp::now().as_second();
    let kept = blocking(&link.engine, move |engine| {
        engine.remember_upload(&key, &reference, now)
    })
    .await;
    if let Some(Err(e)) = kept {
        tracing::warn!("matrix: cannot keep the upload (uploaded again next time): {e}");
    }
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::{file_name, named};
    use crate::attachment::{Attachment, Media, Origin, Unfetchable};
    use crate::channel::Channel;

    fn voice() -> Attachment {
        Attachment {
            media: Media::Voice,
            caption: Some("listen".into()),
            file_name: None,
            mime: Some("audio/ogg".into()),
            size: Some(9000),
            seconds: Some(4),
            origin: Origin {
                channel: Channel::Telegram,
                chat_id: "42".into(),
                message_id: "9".into(),
                file: Some("AwAD".into()),
            },
            stored: None,
            unfetchable: Some(Unfetchable::TooBig),
            album: None,
        }
    }

    #[test]
    fn names_what_did_not_come() {
        assert_eq!(file_name(&voice()), "voice.ogg");
        let (plain, html) = named("💬 Shop: <hi>", "💬 Shop: &lt;hi&gt;", &voice(), Some("x"));
        assert_eq!(plain, "💬 Shop: <hi>\n[voice note] (x)");
        assert_eq!(html, "💬 Shop: &lt;hi&gt;<br>[voice note] (x)");
        // A relay notice already names it: kept as it is.
        let text = "💬 #1 · Ana: [voice note] listen";
        assert_eq!(
            named(text, "h", &voice(), None),
            (text.to_owned(), "h".into())
        );
    }
}
