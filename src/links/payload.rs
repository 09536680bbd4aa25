//! The grammar of deep-link payloads, as Telegram carries them in
//! `t.me/<bot>?start=<payload>` and a Matrix customer sends them as `start <payload>`.
//!
//! ```text
//! payload = "" | part *( "_" part )       ; at most 64 characters
//! part    = "p-" id | "c-" id | "f" | "s-" tag
//! id      = a product or category id of shop.toml (1–32 of a-z 0-9 - _),
//!           each "_" in it written "__"
//! tag     = 1–24 of a-z 0-9 -
//! ```
//!
//! At most one target (`p-`, `c-` or `f`) and at most one source (`s-`), in any
//! order; [`Payload::encode`] writes the target first. Telegram allows only
//! `A-Z a-z 0-9 _ -` in a payload, which is why ids (lowercase, with `-` and
//! `_`) are written as they are and only `_`, the separator, is doubled inside
//! one: in a run of `n` underscores, `n` even means `n/2` underscores of the
//! value, `n` odd means `(n-1)/2` of them and then the separator (a part never
//! begins with `_`). So `p-castle-dragon-tower_s-instagram` is the product
//! `castle-dragon-tower` from `instagram`, and `p-big__box_s-flyer` the product
//! `big_box` from `flyer`. Anything else — another character, a part of
//! another kind, a kind twice, an empty id, more than 64 characters — is not a
//! payload: [`Payload::parse`] says why, and the bot shows its welcome.

use std::fmt;

/// Telegram's limit on a deep link's payload.
pub const MAX_PAYLOAD: usize = 64;
/// The longest source tag: with the longest id (32) and both parts' marks it
/// still fits in [`MAX_PAYLOAD`].
pub const MAX_TAG: usize = 24;
/// The longest id of shop.toml.
pub const MAX_ID: usize = 32;

/// Where a deep link leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Product(String),
    Category(String),
    /// The gift finder's first question.
    Finder,
}

/// A source tag: where the customer came from (`instagram`, `window`), never
/// who they are. Only a-z, 0-9 and `-`, 1–[`MAX_TAG`] characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source(String);

impl Source {
    /// The tag, if it is one.
    pub fn new(tag: &str) -> Result<Self, Malformed> {
        if tag.is_empty() || tag.len() > MAX_TAG {
            return Err(Malformed::TagLength(tag.chars().count()));
        }
        if let Some(c) = tag
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(Malformed::TagCharacter(c));
        }
        Ok(Self(tag.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A deep link's meaning: where it leads and where the customer came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payload {
    pub target: Option<Target>,
    pub source: Option<Source>,
}

/// Why a string is not a payload (or a payload cannot be written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("{0} characters, and Telegram allows at most {MAX_PAYLOAD}")]
    TooLong(usize),
    #[error("the character {0:?} is not allowed (only A-Z a-z 0-9 _ -)")]
    Character(char),
    #[error("an empty part (a `_` at the start or the end, or `_` written alone)")]
    EmptyPart,
    #[error("unknown part {0:?}: a part is p-<product>, c-<category>, f or s-<source>")]
    UnknownPart(String),
    #[error("two {0} parts")]
    Twice(&'static str),
    #[error("the id {0:?} is not an id of shop.toml (1–32 of a-z 0-9 - _)")]
    Id(String),
    #[error("a source tag has 1–{MAX_TAG} characters, not {0}")]
    TagLength(usize),
    #[error("the character {0:?} is not allowed in a source tag (only a-z 0-9 -)")]
    TagCharacter(char),
}

/// Whether `id` could be an id of shop.toml (the rule of `shopbot check`).
pub fn is_shop_id(id: &str) -> bool {
    (1..=MAX_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Payload {
    /// Reads a payload; the empty string is the empty payload (a plain `/start`).
    pub fn parse(text: &str) -> Result<Self, Malformed> {
        let length = text.chars().count();
        if length > MAX_PAYLOAD {
            return Err(Malformed::TooLong(length));
        }
        if let Some(c) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(Malformed::Character(c));
        }
        let mut payload = Self::default();
        if text.is_empty() {
            return Ok(payload);
        }
        for part in split(text)? {
            payload.add(&part)?;
        }
        Ok(payload)
    }

    fn add(&mut self, part: &str) -> Result<(), Malformed> {
        let target = if part == "f" {
            Target::Finder
        } else if let Some(id) = part.strip_prefix("p-") {
            Target::Product(shop_id(id)?)
        } else if let Some(id) = part.strip_prefix("c-") {
            Target::Category(shop_id(id)?)
        } else if let Some(tag) = part.strip_prefix("s-") {
            if self.source.is_some() {
                return Err(Malformed::Twice("source"));
            }
            self.source = Some(Source::new(tag)?);
            return Ok(());
        } else {
            return Err(Malformed::UnknownPart(part.to_owned()));
        };
        if self.target.is_some() {
            return Err(Malformed::Twice("target"));
        }
        self.target = Some(target);
        Ok(())
    }

    /// The payload as a link carries it: the target, then the source.
    pub fn encode(&self) -> Result<String, Malformed> {
        let mut parts = Vec::new();
        match &self.target {
            Some(Target::Product(id)) => parts.push(format!("p-{}", escape(&shop_id(id)?))),
            Some(Target::Category(id)) => parts.push(format!("c-{}", escape(&shop_id(id)?))),
            Some(Target::Finder) => parts.push("f".to_owned()),
            None => {}
        }
        if let Some(source) = &self.source {
            parts.push(format!("s-{source}"));
        }
        let text = parts.join("_");
        if text.len() > MAX_PAYLOAD {
            return Err(Malformed::TooLong(text.len()));
        }
        Ok(text)
    }
}

fn shop_id(id: &str) -> Result<String, Malformed> {
    if is_shop_id(id) {
        Ok(id.to_owned())
    } else {
        Err(Malformed::Id(id.to_owned()))
    }
}

/// An id's `_` doubled: the separator stays unambiguous.
fn escape(id: &str) -> String {
    id.replace('_', "__")
}

/// The parts of a payload of the allowed characters, each `__` undoubled.
fn split(text: &str) -> Result<Vec<String>, Malformed> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '_' {
            current.push(c);
            continue;
        }
        let mut run = 1;
        while chars.next_if_eq(&'_').is_some() {
            run += 1;
        }
        current.extend(std::iter::repeat_n('_', run / 2));
        if run % 2 == 1 {
            if current.is_empty() {
                return Err(Malformed::EmptyPart);
            }
            parts.push(std::mem::take(&mut current));
        }
    }
    if current.is_empty() {
        return Err(Malformed::EmptyPart);
    }
    parts.push(current);
    Ok(parts)
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
