//! The frames of the web chat's socket, both ways (see the README's "Web chat"
//! for the protocol), and a bot message made into its frame.

use serde::{Deserialize, Serialize};

use super::site::Images;
use crate::engine::{OutboxRow, Outgoing};
use std::path::Path;

/// The longest text a customer may send, in characters (as Telegram's messages).
pub const MAX_TEXT: usize = 4096;

/// What a page sends.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "t", rename_all = "lowercase", deny_unknown_fields)]
pub enum FromPage {
    /// The first frame: who this is and what the page has shown.
    Hello {
        #[serde(default)]
        token: String,
        /// The last bot message the page shows (0: none).
        #[serde(default)]
        after: i64,
        /// The browser's languages, most wanted first.
        #[serde(default)]
        langs: Vec<String>,
        /// A deep link's payload (`?start=…`).
        #[serde(default)]
        start: String,
    },
    /// A typed message.
    Text { id: String, text: String },
    /// A pressed button: the row and place the server gave it, and the message it is on.
    Press {
        id: String,
        row: i64,
        i: usize,
        #[serde(default)]
        msg: String,
    },
}

/// What the server sends.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "t", rename_all = "lowercase")]
pub enum ToPage<'a> {
    Welcome { token: &'a str },
    Msg(Box<Message>),
    Ack { id: &'a str },
    Own { text: &'a str },
    Slow { id: &'a str, retry_ms: u64 },
}

/// A bot message as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: i64,
    /// The message it is shown as: itself, or the one it replaces.
    pub shows: String,
    pub text: String,
    pub image: Option<String>,
    pub alt: String,
    pub buttons: Vec<ButtonFrame>,
    pub file: Option<FileFrame>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ButtonFrame {
    pub label: String,
    pub row: i64,
    pub i: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileFrame {
    pub name: String,
    pub url: String,
}

impl ToPage<'_> {
    pub fn json(&self) -> String {
        // Serialising these types cannot fail: strings, numbers and lists only.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Whether `id` is a page's input id: 1 to 32 of `A-Za-z0-9_-`.
pub fn is_input_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// A bot message of the outbox as its frame; the picture named for the page,
/// an attachment said in words (its bytes are not served to the web yet).
pub fn message(row: &OutboxRow, out: &Outgoing, images: &Images, base: &Path) -> Message {
    let reply = &out.reply;
    let mut text = reply.text.clone();
    if let Some(attachment) = &reply.attachment {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&attachment.describe());
    }
    let image = reply
        .image
        .as_deref()
        .and_then(|image| images.url_of(base, image));
    let alt = if image.is_some() {
        text.lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(120)
            .collect()
    } else {
        String::new()
    };
    Message {
        id: row.id,
        shows: out.edit.clone().unwrap_or_else(|| row.id.to_string()),
        text,
        image,
        alt,
        buttons: reply
            .buttons
            .iter()
            .enumerate()
            .map(|(i, b)| ButtonFrame {
                label: b.label.clone(),
                row: row.id,
                i,
            })
            .collect(),
        file: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_frames_are_read_strictly() {
        let hello: FromPage =
            serde_json::from_str(r#"{"t":"hello","token":"","after":0,"langs":["es-ES"]}"#)
                .unwrap();
        assert!(matches!(hello, FromPage::Hello { after: 0, .. }));
        let press: FromPage =
            serde_json::from_str(r#"{"t":"press","id":"ab12","row":7,"i":1,"msg":"5"}"#).unwrap();
        assert_eq!(
            press,
            FromPage::Press {
                id: "ab12".into(),
                row: 7,
                i: 1,
                msg: "5".into()
            }
        );
        for bad in [
            r#"{"t":"text","id":"a"}"#,
            r#"{"t":"shout","id":"a","text":"x"}"#,
            r#"{"t":"text","id":"a","text":"x","admin":true}"#,
            r#"{"t":"press","id":"a","row":-1,"i":-1}"#,
            "[]",
        ] {
            assert!(serde_json::from_str::<FromPage>(bad).is_err(), "{bad}");
        }
        assert!(is_input_id("0f3a9c_-Z"));
        assert!(!is_input_id(""));
        assert!(!is_input_id(&"a".repeat(33)));
        assert!(!is_input_id("a b"));
        assert!(!is_input_id("é"));
    }

    #[test]
    fn server_frames_are_tagged() {
        assert_eq!(
            ToPage::Slow {
                id: "x",
                retry_ms: 1500
            }
            .json(),
            r#"{"t":"slow","id":"x","retry_ms":1500}"#
        );
        assert_eq!(
            ToPage::Own { text: "<b>" }.json(),
            r#"{"t":"own","text":"<b>"}"#
        );
    }
}
