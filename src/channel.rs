//! [`Channel`]: the platform a customer or owner writes on, and [`ChatKey`], the
//! owned name of one chat on one channel.
//!
//! The only place the channel words are written: the database columns, session
//! JSON, the outbox and the owner's messages all use [`Channel::as_str`].

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// The platform a chat is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Telegram,
    Matrix,
    /// The chat on the seller's website (`[web]`), served by the bot itself.
    Web,
    /// The local terminal (`shopbot chat`) and the tests: not a running platform,
    /// so no flood guard and no owner notices go to it.
    Terminal,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Self; 4] = [Self::Telegram, Self::Matrix, Self::Web, Self::Terminal];

    /// The word stored in the database and the session.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Telegram => "telegram",
            Self::Matrix => "matrix",
            Self::Web => "web",
            Self::Terminal => "terminal",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that widths such as `{:<9}` apply.
        f.pad(self.as_str())
    }
}

/// A word that is not a channel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel {0:?}")]
pub struct UnknownChannel(pub String);

impl FromStr for Channel {
    type Err = UnknownChannel;

    /// Exactly the stored word (lower-case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|channel| channel.as_str() == s)
            .ok_or_else(|| UnknownChannel(s.to_owned()))
    }
}

impl ToSql for Channel {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

/// A row with another word (none is ever written) reads as an error, not a panic.
impl FromSql for Channel {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value
            .as_str()?
            .parse()
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// Serde for an optional channel stored as its word, `""` for none: the form
/// the session JSON always had. A word that is no channel reads as none (the
/// engine sets the session's channel on every turn), so an old session still loads.
pub mod word_or_empty {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Channel;

    #[allow(clippy::ref_option)]
    pub fn serialize<S: Serializer>(channel: &Option<Channel>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(channel.map_or("", Channel::as_str))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Channel>, D::Error> {
        let word = String::deserialize(d)?;
        Ok(word.parse().ok())
    }
}

/// One chat on one channel, owned: names a customer (or an owner's room) across
/// modules. The engine's borrowed [`crate::engine::Chat`] is the same for a turn.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatKey {
    pub channel: Channel,
    pub chat_id: String,
}

impl ChatKey {
    pub fn new(channel: Channel, chat_id: impl Into<String>) -> Self {
        Self {
            channel,
            chat_id: chat_id.into(),
        }
    }
}

impl fmt::Display for ChatKey {
    /// `channel:chat_id`, as the owner's messages and logs write a customer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.channel, self.chat_id)
    }
}

#[cfg(test)]
mod tests {
    use super::{Channel, ChatKey};

    #[test]
    fn words_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse(), Ok(channel));
            assert_eq!(channel.to_string(), channel.as_str());
            assert_eq!(
                serde_json::to_string(&channel).unwrap(),
                format!("\"{}\"", channel.as_str())
            );
            assert_eq!(
                serde_json::from_str::<Channel>(&format!("\"{}\"", channel.as_str())).unwrap(),
                channel
            );
        }
        assert_eq!(Channel::Telegram.as_str(), "telegram");
        assert!("Telegram".parse::<Channel>().is_err());
        assert!("test".parse::<Channel>().is_err());
        assert!(serde_json::from_str::<Channel>("\"Web\"").is_err());
        assert_eq!("web".parse(), Ok(Channel::Web));
        assert_eq!(format!("{:<9}|", Channel::Matrix), "matrix   |");
        assert_eq!(
            ChatKey::new(Channel::Telegram, "42").to_string(),
            "telegram:42"
        );
    }

    #[test]
    fn session_form() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct S {
            #[serde(default, with = "super::word_or_empty")]
            channel: Option<Channel>,
        }
        let json = |channel| serde_json::to_string(&S { channel }).unwrap();
        assert_eq!(json(None), r#"{"channel":""}"#);
        assert_eq!(json(Some(Channel::Matrix)), r#"{"channel":"matrix"}"#);
        let read = |text: &str| serde_json::from_str::<S>(text).unwrap().channel;
        assert_eq!(read(r#"{"channel":"telegram"}"#), Some(Channel::Telegram));
        assert_eq!(read(r#"{"channel":""}"#), None);
        assert_eq!(read(r#"{"channel":"test"}"#), None);
        assert_eq!(read("{}"), None);
    }

    #[test]
    fn sql_round_trip() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for channel in Channel::ALL {
            let back: Channel = conn
                .query_row("SELECT ?1", [channel], |row| row.get(0))
                .unwrap();
            assert_eq!(back, channel);
        }
        // An old row with another word is an error for that query, not a panic.
        let bad = conn.query_row("SELECT 'test'", [], |row| row.get::<_, Channel>(0));
        assert!(bad.is_err());
    }
}
