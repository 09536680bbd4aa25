//! The team's part of `shop.toml`: `[owners]` (who answers, where notices go,
//! in which language, how answers are signed) and `[[replies]]` (canned answers).

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[owners]`: who may answer tickets and run owner commands.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owners {
    /// The language of the owners' notices, answers and reports (`en`, `es`, `ro`);
    /// default: the shop's `language`.
    pub language: Option<String>,
    /// Numeric Telegram user ids.
    #[serde(default)]
    pub telegram: Vec<i64>,
    /// Matrix user ids such as `@ana:example.org`.
    #[serde(default)]
    pub matrix: Vec<String>,
    /// A Telegram group for owner notices; default: each owner's private chat.
    pub telegram_chat: Option<i64>,
    /// A Matrix room for owner notices; default: the direct room each owner last
    /// wrote to the bot in.
    pub matrix_room: Option<String>,
    /// Sign the team's answers with the person's name ("Marta from Brickyard");
    /// `false` (the default): with the shop's name only.
    #[serde(default)]
    pub sign: bool,
    /// The names customers see, by owner id (a Telegram id as text, or a
    /// Matrix id); an owner without one signs with their platform first name.
    #[serde(default)]
    pub names: BTreeMap<String, String>,
}

/// `[[replies]]`: a canned answer, in the shop's language and translations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedReply {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub i18n: BTreeMap<String, ReplyText>,
}

/// A translated canned answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyText {
    pub text: String,
}
