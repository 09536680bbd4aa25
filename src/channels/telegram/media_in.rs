//! A Telegram message's photo, file, voice note, video, sticker, place or
//! contact as an [`Attachment`], with where it came from (so a Telegram owner
//! or customer gets it copied) and its `file_id` (so its bytes can be fetched
//! for another platform, see `fetch`).

use teloxide::types::{FileMeta, Message};

use super::CHANNEL;
use crate::attachment::{Attachment, Media, Origin, e6};

/// The attachment a message carries, if it carries one.
pub(super) fn attachment(message: &Message) -> Option<Attachment> {
    let mut file: Option<&FileMeta> = None;
    let (mut file_name, mut mime, mut seconds) = (None, None, None);
    let media = if let Some(sizes) = message.photo() {
        file = sizes
            .iter()
            .max_by_key(|s| (u64::from(s.width) * u64::from(s.height), s.file.size))
            .map(|s| &s.file);
        mime = Some("image/jpeg".to_owned());
        Media::Photo
    } else if let Some(d) = message.document() {
        file = Some(&d.file);
        file_name.clone_from(&d.file_name);
        mime = d.mime_type.as_ref().map(ToString::to_string);
        Media::Document
    } else if let Some(v) = message.voice() {
        file = Some(&v.file);
        mime = v.mime_type.as_ref().map(ToString::to_string);
        seconds = Some(v.duration.seconds());
        Media::Voice
    } else if let Some(a) = message.audio() {
        file = Some(&a.file);
        file_name.clone_from(&a.file_name);
        mime = a.mime_type.as_ref().map(ToString::to_string);
        seconds = Some(a.duration.seconds());
        Media::Audio
    } else if let Some(v) = message.video() {
        file = Some(&v.file);
        file_name.clone_from(&v.file_name);
        mime = v.mime_type.as_ref().map(ToString::to_string);
        seconds = Some(v.duration.seconds());
        Media::Video
    } else if let Some(v) = message.video_note() {
        file = Some(&v.file);
        mime = Some("video/mp4".to_owned());
        seconds = Some(v.duration.seconds());
        Media::VideoNote
    } else if let Some(a) = message.animation() {
        file = Some(&a.file);
        file_name.clone_from(&a.file_name);
        mime = a.mime_type.as_ref().map(ToString::to_string);
        seconds = Some(a.duration.seconds());
        Media::Animation
    } else if let Some(s) = message.sticker() {
        file = Some(&s.file);
        mime = Some(
            if s.is_video() {
                "video/webm"
            } else if s.is_animated() {
                "application/x-tgsticker"
            } else {
                "image/webp"
            }
            .to_owned(),
        );
        Media::Sticker
    } else if let Some(l) = message.location() {
        Media::Location {
            latitude_e6: e6(l.latitude),
            longitude_e6: e6(l.longitude),
        }
    } else if let Some(c) = message.contact() {
        let name = match &c.last_name {
            Some(last) => format!("{} {last}", c.first_name),
            None => c.first_name.clone(),
        };
        Media::Contact {
            phone: c.phone_number.clone(),
            name,
        }
    } else {
        return None;
    };
    Some(Attachment {
        media,
        caption: message.caption().map(str::to_owned),
        file_name,
        mime,
        size: file.map(|f| u64::from(f.size)).filter(|s| *s > 0),
        seconds,
        origin: Origin {
            channel: CHANNEL,
            chat_id: message.chat.id.0.to_string(),
            message_id: message.id.0.to_string(),
            file: file.map(|f| f.id.0.clone()),
        },
        stored: None,
        unfetchable: None,
        album: message.media_group_id().map(|g| g.0.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::attachment;
    use crate::attachment::Media;
    use teloxide::types::Message;

    fn message(extra: &serde_json::Value) -> Message {
        let mut v = serde_json::json!({
            "message_id": 7, "date": 1_700_000_000,
            "chat": {"id": 42, "type": "private", "first_name": "Ana"},
            "from": {"id": 42, "is_bot": false, "first_name": "Ana"},
        });
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_largest_photo_size_with_its_caption_and_album() {
        let m = message(&serde_json::json!({
            "photo": [
                {"file_id": "small", "file_unique_id": "s", "file_size": 10, "width": 90, "height": 60},
                {"file_id": "big", "file_unique_id": "b", "file_size": 900, "width": 1280, "height": 853},
                {"file_id": "mid", "file_unique_id": "m", "file_size": 90, "width": 320, "height": 213}
            ],
            "caption": "the box 📦", "media_group_id": "1399"
        }));
        let a = attachment(&m).unwrap();
        assert_eq!(a.media, Media::Photo);
        assert_eq!(a.origin.file.as_deref(), Some("big"));
        assert_eq!(a.origin.chat_id, "42");
        assert_eq!(a.origin.message_id, "7");
        assert_eq!(a.size, Some(900));
        assert_eq!(a.caption.as_deref(), Some("the box 📦"));
        assert_eq!(a.album.as_deref(), Some("1399"));
    }

    #[test]
    fn places_contacts_and_files() {
        let m = message(
            &serde_json::json!({"location": {"latitude": 44.426_767, "longitude": 26.102_538}}),
        );
        assert_eq!(
            attachment(&m).unwrap().describe(),
            "[location 44.426767, 26.102538]"
        );
        let m = message(
            &serde_json::json!({"contact": {"phone_number": "+40 7", "first_name": "Ion", "last_name": "Pop"}}),
        );
        assert_eq!(
            attachment(&m).unwrap().describe(),
            "[contact Ion Pop +40 7]"
        );
        let m = message(
            &serde_json::json!({"document": {"file_id": "d", "file_unique_id": "du",
            "file_size": 5, "file_name": "invoice.pdf", "mime_type": "application/pdf"}}),
        );
        let a = attachment(&m).unwrap();
        assert_eq!(
            (a.media, a.file_name.as_deref(), a.mime.as_deref()),
            (
                Media::Document,
                Some("invoice.pdf"),
                Some("application/pdf")
            )
        );
        let m = message(
            &serde_json::json!({"voice": {"file_id": "v", "file_unique_id": "vu",
            "duration": 4, "mime_type": "audio/ogg", "file_size": 3000}}),
        );
        assert_eq!(attachment(&m).unwrap().seconds, Some(4));
        assert!(attachment(&message(&serde_json::json!({"text": "hi"}))).is_none());
    }
}
