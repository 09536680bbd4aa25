//! Ticket media coming in from Matrix: `m.image`, `m.file`, `m.audio` (a voice
//! note when flagged so), `m.video`, `m.location` and `m.sticker` events as
//! [`Attachment`]s, with the event's media source kept (as JSON) so another
//! Matrix room can reuse it; and, when Telegram runs too, the bytes fetched
//! (decrypted) into the spool before the turn, for the Telegram side to upload.

use std::time::Duration;

use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::events::room::message::MessageType;
use matrix_sdk::ruma::events::sticker::StickerEventContent;
use matrix_sdk::ruma::{EventId, RoomId, UInt};

use super::Link;
use super::parse::without_reply_fallback;
use crate::attachment::{self, Attachment, Media, Origin, Unfetchable};
use crate::channel::Channel;
use crate::channels::blocking;

/// The most the bot fetches for the other platform: what it may upload to
/// Telegram (the Bot API's 50 MB). Bigger files stay on Matrix, named.
pub(super) const FETCH_LIMIT: u64 = 50 * 1024 * 1024;
/// Tries of a download before it counts as failed.
const TRIES: u32 = 3;

/// What the caption rules of Matrix 1.10 give: the file name, and the caption
/// (the body, when a `filename` is there and differs from it).
fn named(body: &str, filename: Option<&str>) -> (Option<String>, Option<String>) {
    match filename {
        Some(name) if name != body => {
            let caption = without_reply_fallback(body).trim();
            (
                Some(name.to_owned()),
                (!caption.is_empty()).then(|| caption.to_owned()),
            )
        }
        _ => (Some(body.to_owned()).filter(|b| !b.trim().is_empty()), None),
    }
}

fn size_of(size: Option<UInt>) -> Option<u64> {
    size.map(u64::from)
}

fn seconds_of(duration: Option<Duration>) -> Option<u32> {
    duration.and_then(|d| u32::try_from(d.as_secs()).ok())
}

/// The event's media source, as kept in [`Origin::file`].
pub(super) fn source_json(source: &MediaSource) -> Option<String> {
    serde_json::to_string(source).ok()
}

/// A media source kept by [`source_json`].
pub(super) fn source_of(json: &str) -> Option<MediaSource> {
    serde_json::from_str(json).ok()
}

/// A place from a `geo:` URI (`geo:44.4268,26.1025;u=35`).
fn place(geo: &str) -> Option<Media> {
    let rest = geo.trim().strip_prefix("geo:")?;
    let coordinates = rest.split(';').next()?;
    let mut parts = coordinates.split(',');
    let latitude: f64 = parts.next()?.trim().parse().ok()?;
    let longitude: f64 = parts.next()?.trim().parse().ok()?;
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return None;
    }
    Some(Media::Location {
        latitude_e6: attachment::e6(latitude),
        longitude_e6: attachment::e6(longitude),
    })
}

fn origin(room: &RoomId, event: &EventId, source: Option<&MediaSource>) -> Origin {
    Origin {
        channel: Channel::Matrix,
        chat_id: room.to_string(),
        message_id: event.to_string(),
        file: source.and_then(source_json),
    }
}

fn bare(media: Media, origin: Origin) -> Attachment {
    Attachment {
        media,
        caption: None,
        file_name: None,
        mime: None,
        size: None,
        seconds: None,
        origin,
        stored: None,
        unfetchable: None,
        album: None,
    }
}

/// The attachment of a message, or `None` for a message type that has none
/// (text, notices, emotes, polls…) or a place that cannot be read.
pub(super) fn of_message(
    msgtype: &MessageType,
    room: &RoomId,
    event: &EventId,
) -> Option<Attachment> {
    let (media, source, body, given_name, mime, size, seconds) = match msgtype {
        MessageType::Image(c) => {
            let info = c.info.as_deref();
            (
                Media::Photo,
                &c.source,
                &c.body,
                c.filename.as_deref(),
                info.and_then(|i| i.mimetype.clone()),
                info.and_then(|i| size_of(i.size)),
                None,
            )
        }
        MessageType::File(c) => {
            let info = c.info.as_deref();
            (
                Media::Document,
                &c.source,
                &c.body,
                c.filename.as_deref(),
                info.and_then(|i| i.mimetype.clone()),
                info.and_then(|i| size_of(i.size)),
                None,
            )
        }
        MessageType::Audio(c) => {
            let info = c.info.as_deref();
            let seconds = seconds_of(info.and_then(|i| i.duration))
                .or_else(|| seconds_of(c.audio.as_ref().map(|a| a.duration)));
            let media = if c.voice.is_some() {
                Media::Voice
            } else {
                Media::Audio
            };
            (
                media,
                &c.source,
                &c.body,
                c.filename.as_deref(),
                info.and_then(|i| i.mimetype.clone()),
                info.and_then(|i| size_of(i.size)),
                seconds,
            )
        }
        MessageType::Video(c) => {
            let info = c.info.as_deref();
            (
                Media::Video,
                &c.source,
                &c.body,
                c.filename.as_deref(),
                info.and_then(|i| i.mimetype.clone()),
                info.and_then(|i| size_of(i.size)),
                seconds_of(info.and_then(|i| i.duration)),
            )
        }
        MessageType::Location(c) => {
            return Some(bare(place(&c.geo_uri)?, origin(room, event, None)));
        }
        _ => return None,
    };
    let (file_name, caption) = named(body, given_name);
    Some(Attachment {
        caption,
        file_name,
        mime,
        size,
        seconds,
        ..bare(media, origin(room, event, Some(source)))
    })
}

/// The attachment of an `m.sticker` event; its body (a description) is the caption.
pub(super) fn of_sticker(
    content: &StickerEventContent,
    room: &RoomId,
    event: &EventId,
) -> Attachment {
    let source = MediaSource::from(content.source.clone());
    let caption = content.body.trim();
    Attachment {
        caption: (!caption.is_empty()).then(|| caption.to_owned()),
        mime: content.info.mimetype.clone(),
        size: size_of(content.info.size),
        ..bare(Media::Sticker, origin(room, event, Some(&source)))
    }
}

/// When Telegram runs too, fetches the attachment's bytes (decrypted) into the
/// spool for it, once; over [`FETCH_LIMIT`] or after [`TRIES`] failed tries,
/// marks it unfetchable instead. The turn runs either way.
pub(super) async fn fetch(link: &Link, attachment: &mut Attachment) {
    if !attachment.media.has_bytes() || attachment.stored.is_some() {
        return;
    }
    let state = blocking(&link.engine, |engine| {
        (
            engine.channels().contains(&Channel::Telegram),
            engine.spool().clone(),
        )
    })
    .await;
    let Some((true, spool)) = state else { return };
    if attachment.size.is_some_and(|s| s > FETCH_LIMIT) {
        attachment.unfetchable = Some(Unfetchable::TooBig);
        return;
    }
    let Some(source) = attachment.origin.file.as_deref().and_then(source_of) else {
        attachment.unfetchable = Some(Unfetchable::Failed);
        return;
    };
    let bytes = match download(link, &source).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!("matrix: cannot fetch a ticket's media for Telegram: {e}");
            attachment.unfetchable = Some(Unfetchable::Failed);
            return;
        }
    };
    if bytes.len() as u64 > FETCH_LIMIT {
        attachment.unfetchable = Some(Unfetchable::TooBig);
        return;
    }
    let size = bytes.len() as u64;
    match tokio::task::spawn_blocking(move || spool.put(&bytes)).await {
        Ok(Ok(name)) => {
            attachment.stored = Some(name);
            attachment.size = Some(size);
        }
        Ok(Err(e)) => {
            tracing::error!("matrix: cannot keep a ticket's media: {e}");
            attachment.unfetchable = Some(Unfetchable::Failed);
        }
        Err(e) => {
            tracing::error!("matrix: keeping a ticket's media failed: {e}");
            attachment.unfetchable = Some(Unfetchable::Failed);
        }
    }
}

/// The media's bytes, decrypted if it is encrypted; tried [`TRIES`] times.
pub(super) async fn download(
    link: &Link,
    source: &MediaSource,
) -> Result<Vec<u8>, matrix_sdk::Error> {
    let request = MediaRequestParameters {
        source: source.clone(),
        format: MediaFormat::File,
    };
    let mut tried = 0;
    loop {
        tried += 1;
        match link.client.media().get_media_content(&request, false).await {
            Ok(bytes) => return Ok(bytes),
            Err(e) if tried >= TRIES => return Err(e),
            Err(e) => {
                tracing::debug!("matrix: media download failed ({e}); trying again");
                tokio::time::sleep(Duration::from_millis(500 * u64::from(tried))).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{named, place};
    use crate::attachment::Media;

    #[test]
    fn captions_follow_matrix_1_10() {
        assert_eq!(named("box.jpg", None), (Some("box.jpg".into()), None));
        assert_eq!(
            named("box.jpg", Some("box.jpg")),
            (Some("box.jpg".into()), None)
        );
        assert_eq!(
            named("the broken box 📦", Some("IMG_1.jpg")),
            (Some("IMG_1.jpg".into()), Some("the broken box 📦".into()))
        );
        assert_eq!(named(" ", Some("a.pdf")), (Some("a.pdf".into()), None));
    }

    #[test]
    fn places_from_geo_uris() {
        assert_eq!(
            place("geo:44.4267674,26.1025384;u=35"),
            Some(Media::Location {
                latitude_e6: 44_426_767,
                longitude_e6: 26_102_538
            })
        );
        assert_eq!(
            place("geo:-33.9,18.4,12"),
            Some(Media::Location {
                latitude_e6: -33_900_000,
                longitude_e6: 18_400_000
            })
        );
        assert_eq!(place("geo:95,10"), None);
        assert_eq!(place("https://maps"), None);
    }
}
