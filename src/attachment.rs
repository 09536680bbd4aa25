//! [`Attachment`]: what a ticket carries besides text — a photo, a voice note,
//! a file, a place, a contact — sent by a customer or an owner, with where it
//! came from (so the same platform can copy it) and where its bytes are kept
//! (so another platform can upload it).
//!
//! An attachment travels inside [`crate::conversation::Input::Media`] (a
//! customer's), [`crate::conversation::Answer`] (an owner's) and
//! [`crate::conversation::Reply`] (queued in the outbox), so it is plain data,
//! serialised with the outbox row. The bytes themselves live in the spool
//! (`crate::spool`), named by their SHA-256.

use serde::{Deserialize, Serialize};

use crate::channel::Channel;

/// What kind of thing it is, and what a receiving platform needs to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Media {
    Photo,
    /// Any file sent as a file.
    Document,
    /// A voice message (recorded in the chat).
    Voice,
    /// A music or audio file.
    Audio,
    Video,
    /// Telegram's round video message.
    VideoNote,
    /// A GIF-like silent video.
    Animation,
    Sticker,
    /// A place, in millionths of a degree.
    Location {
        latitude_e6: i64,
        longitude_e6: i64,
    },
    /// A shared contact card.
    Contact {
        phone: String,
        name: String,
    },
}

impl Media {
    /// Whether the thing is a file with bytes (not a place or a contact).
    pub const fn has_bytes(&self) -> bool {
        !matches!(self, Self::Location { .. } | Self::Contact { .. })
    }

    /// A short English word for it, for the owners' notices and logs.
    pub const fn word(&self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Document => "file",
            Self::Voice => "voice note",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::VideoNote => "video note",
            Self::Animation => "GIF",
            Self::Sticker => "sticker",
            Self::Location { .. } => "location",
            Self::Contact { .. } => "contact",
        }
    }
}

/// The platform message an attachment came in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub channel: Channel,
    pub chat_id: String,
    /// The platform's message id (Telegram message id, Matrix event id).
    pub message_id: String,
    /// The platform's handle of the file: a Telegram `file_id`, or a Matrix
    /// media source as JSON (an `mxc://` URI, or an encrypted file's keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Why the bytes could not be fetched for another platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unfetchable {
    /// Over the Bot API's download limit (20 MB).
    TooBig,
    /// The platform refused or failed the download.
    Failed,
}

/// Something that is not text, in a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub media: Media,
    /// The text sent with it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// In bytes, as the platform said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// A voice note's, audio's or video's length in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u32>,
    pub origin: Origin,
    /// The bytes, kept in the spool under this SHA-256 (hex), once fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
    /// The bytes were wanted for another platform but could not be fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unfetchable: Option<Unfetchable>,
    /// Telegram's media group: the parts of one album share it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub album: Option<String>,
}

impl Attachment {
    /// How a history line or a text-only place shows it: `[photo] caption`,
    /// `[file invoice.pdf]`, `[location 44.426767, 26.102538]`.
    pub fn describe(&self) -> String {
        let mut out = format!("[{}", self.media.word());
        match &self.media {
            Media::Location {
                latitude_e6,
                longitude_e6,
            } => {
                out.push(' ');
                out.push_str(&degrees(*latitude_e6));
                out.push_str(", ");
                out.push_str(&degrees(*longitude_e6));
            }
            Media::Contact { phone, name } => {
                out.push(' ');
                out.push_str(name);
                out.push(' ');
                out.push_str(phone);
            }
            _ => {
                if let Some(name) = &self.file_name {
                    out.push(' ');
                    out.push_str(name);
                }
            }
        }
        out.push(']');
        if let Some(caption) = self.caption.as_deref().filter(|c| !c.trim().is_empty()) {
            out.push(' ');
            out.push_str(caption);
        }
        out
    }

    /// Whether a platform other than the origin's can show it: a place or a
    /// contact always, a file only once its bytes are in the spool.
    pub fn carried_across(&self) -> bool {
        !self.media.has_bytes() || self.stored.is_some()
    }
}

/// Millionths of a degree as a decimal degree (`44426767` → `44.426767`).
pub fn degrees(e6: i64) -> String {
    let sign = if e6 < 0 { "-" } else { "" };
    let abs = e6.unsigned_abs();
    format!("{sign}{}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

/// A decimal degree as millionths, rounded (`44.4267674` → `44426767`).
#[allow(clippy::cast_possible_truncation)]
pub fn e6(degrees: f64) -> i64 {
    (degrees * 1_000_000.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::{Attachment, Media, Origin, degrees, e6};
    use crate::channel::Channel;

    fn photo(caption: Option<&str>) -> Attachment {
        Attachment {
            media: Media::Photo,
            caption: caption.map(str::to_owned),
            file_name: None,
            mime: Some("image/jpeg".into()),
            size: Some(1234),
            seconds: None,
            origin: Origin {
                channel: Channel::Telegram,
                chat_id: "42".into(),
                message_id: "7".into(),
                file: Some("AgAD".into()),
            },
            stored: None,
            unfetchable: None,
            album: None,
        }
    }

    #[test]
    fn describes_for_history() {
        assert_eq!(photo(None).describe(), "[photo]");
        assert_eq!(photo(Some("the box")).describe(), "[photo] the box");
        let place = Attachment {
            media: Media::Location {
                latitude_e6: e6(44.426_767_4),
                longitude_e6: e6(-26.1),
            },
            ..photo(None)
        };
        assert_eq!(place.describe(), "[location 44.426767, -26.100000]");
        assert!(place.carried_across());
        assert!(!photo(None).carried_across());
        assert_eq!(degrees(-5), "-0.000005");
    }

    #[test]
    fn round_trips_as_json() {
        let a = Attachment {
            media: Media::Contact {
                phone: "+40 700 000 000".into(),
                name: "Ana".into(),
            },
            ..photo(Some("x"))
        };
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains(r#""type":"contact""#), "{json}");
        assert_eq!(serde_json::from_str::<Attachment>(&json).unwrap(), a);
    }
}
