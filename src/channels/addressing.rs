//! Whether a message in a group is for the bot, and what of it remains: one rule
//! for every channel, pure, and safe for any Unicode.
//!
//! Names are compared ASCII-case-insensitively, one character of the original text
//! against one character of the name (Telegram usernames and Matrix user ids are
//! ASCII). Every offset comes from walking the original text, never from a
//! lowercased copy (whose characters may have other lengths: the Kelvin sign `K`
//! lowercases to one byte, `İ` to three), so no cut can land inside a character.

use std::ops::Range;

/// How the bot is named on a channel.
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    /// Handles that address the bot anywhere in a message, as people write them:
    /// `@shop_bot` on Telegram, `@shop:example.org` on Matrix.
    pub handles: &'a [&'a str],
    /// Forms that address the bot only at the very start: `shop:` on Matrix (a
    /// client completing the bot's name).
    pub prefixes: &'a [&'a str],
}

/// What the platform says about a message besides its text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Signals {
    /// The platform marks the bot as mentioned (Matrix `m.mentions`).
    pub mentioned: bool,
    /// The message is a reply: on Telegram to one of the bot's messages; on
    /// Matrix to some message, which the turn then checks is the bot's.
    pub reply: bool,
}

/// Why a message is for the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// It starts with the bot's name (a handle or a prefix).
    Named,
    /// It mentions the bot's handle further on, or the platform says it does.
    Mentioned,
    /// It replies to a message (see [`Signals::reply`]).
    Reply,
    /// It is a `/command` to no bot in particular, or to this one.
    Command,
}

/// A message for the bot.
///
/// The guarantee, for any input: `removed` is a range of the original text on
/// character boundaries, and `text` is the original without it, trimmed of
/// whitespace at both ends — `(original[..removed.start] +
/// original[removed.end..]).trim()`. `removed` is either empty, or starts at 0
/// (the name and the separators after it: `text` is then a suffix of the
/// original, less trailing whitespace), or is exactly one handle as written in
/// the original (equal to a handle but for ASCII case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressed {
    pub text: String,
    pub removed: Range<usize>,
    pub how: How,
}

/// Whether a group message is for the bot, and what remains of it. `None`: it is
/// not for the bot (chatter among people, or a command to another bot).
///
/// In this order: a `/command@other` is not for us; a message starting with a
/// name is for us without the name (`Named`); one mentioning a handle further on
/// is for us without that one mention (`Mentioned`); then the platform's mention
/// flag, a reply, a `/command` (the whole text).
pub fn addressed(text: &str, names: &Names<'_>, signals: Signals) -> Option<Addressed> {
    if text.starts_with('/') && command_for_another(text, names) {
        return None;
    }
    let whole = || text.trim().to_owned();
    if let Some(removed) = named_at_start(text, names) {
        let rest = text.get(removed.end..).unwrap_or_default();
        return Some(Addressed {
            text: rest.trim().to_owned(),
            removed,
            how: How::Named,
        });
    }
    if let Some(removed) = first_mention(text, names.handles) {
        let mut rest = String::with_capacity(text.len());
        rest.push_str(text.get(..removed.start).unwrap_or_default());
        rest.push_str(text.get(removed.end..).unwrap_or_default());
        return Some(Addressed {
            text: rest.trim().to_owned(),
            removed,
            how: How::Mentioned,
        });
    }
    let how = if signals.mentioned {
        How::Mentioned
    } else if signals.reply {
        How::Reply
    } else if text.starts_with('/') {
        How::Command
    } else {
        return None;
    };
    Some(Addressed {
        text: whole(),
        removed: 0..0,
        how,
    })
}

/// `/command@someone` where someone is not one of our handles.
fn command_for_another(text: &str, names: &Names<'_>) -> bool {
    let command = text.split_whitespace().next().unwrap_or_default();
    let Some(at) = command.find('@') else {
        return false;
    };
    // `at` is the offset of '@' (one byte) in `command`, so the target starts there.
    let target = command.get(at..).unwrap_or_default();
    !names
        .handles
        .iter()
        .any(|h| !h.is_empty() && match_at(target, 0, h) == Some(target.len()))
}

/// The bot's name at the start (after leading whitespace), with the `:`/`,` and
/// whitespace that follow it: `0..end`.
fn named_at_start(text: &str, names: &Names<'_>) -> Option<Range<usize>> {
    let start = text.len() - text.trim_start().len();
    let end = names
        .prefixes
        .iter()
        .filter(|p| !p.is_empty())
        .find_map(|p| match_at(text, start, p))
        .or_else(|| {
            names
                .handles
                .iter()
                .filter(|h| !h.is_empty())
                .find_map(|h| match_at(text, start, h).filter(|&end| ends_name(text, end)))
        })?;
    let rest = text.get(end..)?;
    let skipped = rest.len()
        - rest
            .trim_start_matches(|c: char| c == ':' || c == ',' || c.is_whitespace())
            .len();
    Some(0..end + skipped)
}

/// The first handle written in the text as a word of its own.
fn first_mention(text: &str, handles: &[&str]) -> Option<Range<usize>> {
    let mut before: Option<char> = None;
    for (at, c) in text.char_indices() {
        if !before.is_some_and(is_name_char) {
            for handle in handles.iter().filter(|h| !h.is_empty()) {
                if let Some(end) = match_at(text, at, handle).filter(|&end| ends_name(text, end)) {
                    return Some(at..end);
                }
            }
        }
        before = Some(c);
    }
    None
}

/// Where `pattern` ends if the text has it at byte `at` (a character boundary of
/// the text), comparing character by character, ASCII case aside.
fn match_at(text: &str, at: usize, pattern: &str) -> Option<usize> {
    let mut chars = text.get(at..)?.char_indices();
    let mut end = at;
    for wanted in pattern.chars() {
        let (i, c) = chars.next()?;
        if !c.eq_ignore_ascii_case(&wanted) {
            return None;
        }
        end = at + i + c.len_utf8();
    }
    Some(end)
}

/// Whether a name ending at `end` is not the beginning of a longer one: handles
/// are ASCII letters, digits and `_` (`@shop_bot` is not in `@shop_bot2`).
fn ends_name(text: &str, end: usize) -> bool {
    !text
        .get(end..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Characters after which a handle is part of a word (`me@shop_bot`), not a mention.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '@'
}

#[cfg(test)]
mod tests {
    use super::*;

    const TELEGRAM: Names<'static> = Names {
        handles: &["@shop_bot"],
        prefixes: &[],
    };
    const MATRIX: Names<'static> = Names {
        handles: &["@kiosk:example.org"],
        prefixes: &["kiosk:"],
    };

    fn rest(text: &str, names: &Names<'_>) -> Option<String> {
        addressed(text, names, Signals::default()).map(|a| a.text)
    }

    /// The promise of [`Addressed`], checked on one result.
    fn keeps_the_promise(original: &str, a: &Addressed) {
        let r = &a.removed;
        assert!(original.is_char_boundary(r.start) && original.is_char_boundary(r.end));
        let joined = format!("{}{}", &original[..r.start], &original[r.end..]);
        assert_eq!(a.text, joined.trim());
    }

    #[test]
    fn chatter_is_not_for_the_bot_and_commands_to_others_neither() {
        assert_eq!(rest("hello everyone", &TELEGRAM), None);
        assert_eq!(rest("/start@other_bot", &TELEGRAM), None);
        assert_eq!(rest("/start@shop_bot2", &TELEGRAM), None);
        assert_eq!(rest("mail me@shop_bot please", &TELEGRAM), None);
        assert_eq!(rest("@shop_bot2 hi", &TELEGRAM), None);
        assert_eq!(
            rest("/start@SHOP_BOT", &TELEGRAM).as_deref(),
            Some("/start@SHOP_BOT")
        );
        assert_eq!(rest("/cart", &TELEGRAM).as_deref(), Some("/cart"));
    }

    #[test]
    fn a_mention_is_removed_once_and_exactly() {
        let a = addressed(
            "how much @Shop_Bot is shipping?",
            &TELEGRAM,
            Signals::default(),
        )
        .unwrap();
        assert_eq!(a.text, "how much  is shipping?");
        assert_eq!(a.how, How::Mentioned);
        assert_eq!(
            rest("@shop_bot, @shop_bot hi", &TELEGRAM).as_deref(),
            Some("@shop_bot hi")
        );
        assert_eq!(rest("Kiosk: /cart", &MATRIX).as_deref(), Some("/cart"));
        assert_eq!(
            rest("@kiosk:example.org: hi", &MATRIX).as_deref(),
            Some("hi")
        );
        assert_eq!(
            rest("ask @KIOSK:example.org now", &MATRIX).as_deref(),
            Some("ask  now")
        );
    }

    #[test]
    fn the_platforms_word_counts_when_the_text_has_no_name() {
        let said = |mentioned, reply| {
            addressed(" 2 ", &MATRIX, Signals { mentioned, reply }).map(|a| (a.text, a.how))
        };
        assert_eq!(said(true, true), Some(("2".into(), How::Mentioned)));
        assert_eq!(said(false, true), Some(("2".into(), How::Reply)));
        assert_eq!(said(false, false), None);
    }

    /// Characters whose lowercase has another length, next to the names: the old
    /// rules cut inside them (and panicked) or took them for the name.
    #[test]
    fn case_mappings_that_change_length_never_cut_a_character() {
        let texts = [
            "\u{212a} @shop_bot \u{23a}\u{23a}", // Kelvin sign shrinks, Ⱥ grows: equal totals
            "\u{212a} @shop_bot hi",             // Kelvin sign
            "İstanbul @shop_bot İİ",             // İ lowercases to i + combining dot
            "ẞ @SHOP_BOT ß",                     // capital sharp s
            "ΣΑΣ @shop_bot σς",                  // final sigma
            "kios\u{212a}: hi",                  // Kelvin sign as the prefix's last letter
            "kios\u{212a}:example.org hi",
            "@kios\u{212a}:example.org hi",
            "@shop_bot\u{301} hi",         // a combining mark on the name
            "e\u{301}\u{301} @shop_bot",   // combining marks before it
            "שלום @shop_bot مرحبا",        // right-to-left
            "\u{202e}@shop_bot\u{200b}hi", // RTL override, zero-width space
            "\u{200d}@shop_bot\u{feff}",   // zero-width joiner, BOM
        ];
        for text in texts {
            for names in [&TELEGRAM, &MATRIX] {
                for signals in [
                    Signals::default(),
                    Signals {
                        mentioned: true,
                        reply: true,
                    },
                ] {
                    if let Some(a) = addressed(text, names, signals) {
                        keeps_the_promise(text, &a);
                    }
                }
            }
        }
        assert_eq!(
            rest("\u{212a} @shop_bot \u{23a}\u{23a}", &TELEGRAM).as_deref(),
            Some("\u{212a}  \u{23a}\u{23a}")
        );
        // The Kelvin sign is not the letter k: not the bot's name.
        assert_eq!(rest("kios\u{212a}: hi", &MATRIX), None);
        assert_eq!(
            rest("\u{202e}@shop_bot\u{200b}hi", &TELEGRAM).as_deref(),
            Some("\u{202e}\u{200b}hi")
        );
    }

    #[test]
    fn long_texts_are_handled_in_one_pass() {
        let noise = "\u{212a}@\u{130}\u{1e9e}".repeat(16 * 1024);
        let text = format!("{noise} @shop_bot {noise}");
        assert!(text.len() > 64 * 1024);
        let a = addressed(&text, &TELEGRAM, Signals::default()).unwrap();
        keeps_the_promise(&text, &a);
        assert_eq!(a.text.len(), text.len() - "@shop_bot".len());
        assert_eq!(rest(&"@".repeat(70_000), &MATRIX), None);
    }
}
