//! Files as tests see them: what a chat received from the bot (kind, caption,
//! bytes or `file_id`, copied from where), and users sending photos, files,
//! voice notes, places, contacts and albums.

use super::FakeTelegram;
use super::customer::Customer;
use super::files::{Kind, Received, new_media};
use super::state::Body;

impl FakeTelegram {
    /// What the bot sent to a chat, media and text, in order.
    pub fn received(&self, chat_id: i64) -> Vec<Received> {
        let st = self.lock();
        let Some(chat) = st.chats.get(&chat_id) else {
            return Vec::new();
        };
        chat.messages
            .iter()
            .filter(|m| m.from == super::state::BOT_ID)
            .map(|m| {
                let mut r = Received {
                    message_id: m.id,
                    kind: "other",
                    caption: None,
                    file_id: None,
                    bytes: None,
                    copied_from: None,
                    uploaded: false,
                    media_group_id: None,
                };
                match &m.body {
                    Body::Text { text, .. } => {
                        r.kind = "text";
                        r.caption = Some(text.clone());
                    }
                    Body::Photo { sizes, caption, .. } => {
                        r.kind = "photo";
                        r.caption.clone_from(caption);
                        r.file_id = sizes
                            .last()
                            .and_then(|s| s["file_id"].as_str())
                            .map(str::to_owned);
                    }
                    Body::Media(media) => {
                        r.kind = media.kind.field();
                        r.caption.clone_from(&media.caption);
                        r.file_id.clone_from(&media.file_id);
                        r.copied_from = media.copied_from;
                        r.uploaded = media.uploaded;
                        r.media_group_id.clone_from(&media.media_group_id);
                    }
                    _ => {}
                }
                r.bytes = r
                    .file_id
                    .as_ref()
                    .and_then(|id| st.media.blobs.get(id))
                    .map(|b| b.bytes.clone());
                r
            })
            .collect()
    }

    /// Only the media the bot sent to a chat.
    pub fn received_media(&self, chat_id: i64) -> Vec<Received> {
        self.received(chat_id)
            .into_iter()
            .filter(|r| r.kind != "text" && r.kind != "other")
            .collect()
    }

    /// Deletes a message (the user deleted it): copying it fails from now on.
    pub fn delete_message(&self, chat_id: i64, message_id: i64) {
        if let Some(chat) = self.lock().chats.get_mut(&chat_id) {
            chat.messages.retain(|m| m.id != message_id);
        }
    }
}

impl Customer {
    /// Sends a file of `kind` with these bytes (a document named `file.bin`).
    pub fn send_media(&self, kind: Kind, bytes: &[u8], caption: Option<&str>) -> i64 {
        self.media_message(kind, bytes, caption, None, None, None)
    }

    /// Sends a file of `kind` replying to `message_id`.
    pub fn reply_media(
        &self,
        message_id: i64,
        kind: Kind,
        bytes: &[u8],
        caption: Option<&str>,
    ) -> i64 {
        self.media_message(kind, bytes, caption, None, Some(message_id), None)
    }

    /// Sends a document named `name`.
    pub fn send_document(&self, name: &str, bytes: &[u8], caption: Option<&str>) -> i64 {
        self.media_message(Kind::Document, bytes, caption, Some(name), None, None)
    }

    pub fn send_location(&self, latitude: f64, longitude: f64) -> i64 {
        self.send_media(
            Kind::Location {
                latitude,
                longitude,
            },
            &[],
            None,
        )
    }

    pub fn send_contact(&self, phone: &str, first_name: &str) -> i64 {
        let kind = Kind::Contact {
            phone: phone.to_owned(),
            first_name: first_name.to_owned(),
        };
        self.send_media(kind, &[], None)
    }

    /// Sends an album: one message per photo, the same `media_group_id`, the
    /// caption on the first (as Telegram's apps do). Returns their ids.
    pub fn send_album(&self, photos: &[&[u8]], caption: Option<&str>) -> Vec<i64> {
        let group = {
            let mut st = self.fake.lock();
            st.media.next += 1;
            format!("1399{:010}", st.media.next)
        };
        photos
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                let caption = if i == 0 { caption } else { None };
                self.media_message(Kind::Photo, bytes, caption, None, None, Some(&group))
            })
            .collect()
    }

    fn media_message(
        &self,
        kind: Kind,
        bytes: &[u8],
        caption: Option<&str>,
        name: Option<&str>,
        reply: Option<i64>,
        group: Option<&str>,
    ) -> i64 {
        let mut body = {
            let mut st = self.fake.lock();
            new_media(&mut st, kind, bytes, caption)
        };
        body.file_name = name.map(str::to_owned);
        body.media_group_id = group.map(str::to_owned);
        self.post(Body::Media(Box::new(body)), reply)
    }
}
