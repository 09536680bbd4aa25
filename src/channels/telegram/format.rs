//! Replies as Telegram wants them: HTML with every value escaped, texts split to
//! Telegram's limits (counted in UTF-16 code units, as Telegram counts), and
//! buttons as inline keyboards whose data is a short token.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use crate::conversation::Button;

/// Telegram's limit for a message text.
pub const TEXT_LIMIT: usize = 4096;
/// Telegram's limit for a photo caption.
pub const CAPTION_LIMIT: usize = 1024;

/// Escapes text for `parse_mode = HTML` (quotes only matter in attributes).
pub use crate::channels::escape_html as escape;

/// Length as Telegram counts it.
pub fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Splits plain text into parts of at most `limit` UTF-16 units, preferring line
/// breaks, then spaces, and never splitting a character. Empty text gives one part
/// with a visible placeholder, since Telegram rejects empty messages.
pub fn split(text: &str, limit: usize) -> Vec<String> {
    let text = text.trim_end();
    if text.trim().is_empty() {
        return vec!["…".to_owned()];
    }
    let mut parts = Vec::new();
    let mut rest = text;
    while units(rest) > limit {
        // The longest prefix within the limit, on a character boundary.
        let mut used = 0;
        let mut cut = 0;
        for (i, c) in rest.char_indices() {
            used += c.len_utf16();
            if used > limit {
                break;
            }
            cut = i + c.len_utf8();
        }
        let head = &rest[..cut];
        let at = head
            .rfind('\n')
            .or_else(|| head.rfind(' '))
            .filter(|&i| i > cut / 2)
            .map_or(cut, |i| i + 1);
        let part = rest[..at].trim_end();
        if !part.is_empty() {
            parts.push(part.to_owned());
        }
        rest = &rest[at..];
    }
    if !rest.trim().is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// The callback data of button `index` of outbox row `row`: short, opaque, and
/// resolved by the bot against the row's own chat, so it proves nothing by itself.
pub fn token(row: i64, index: usize) -> String {
    format!("{row}.{index}")
}

/// Reads a token back; `None` for anything that is not one.
pub fn parse_token(data: &str) -> Option<(i64, usize)> {
    let (row, index) = data.split_once('.')?;
    Some((row.parse().ok()?, index.parse().ok()?))
}

/// One button per row: labels stay readable on a phone.
pub fn keyboard(row: i64, buttons: &[Button]) -> Option<InlineKeyboardMarkup> {
    if buttons.is_empty() {
        return None;
    }
    let rows = buttons
        .iter()
        .enumerate()
        .map(|(i, b)| {
            vec![InlineKeyboardButton::callback(
                label(&b.label),
                token(row, i),
            )]
        })
        .collect::<Vec<_>>();
    Some(InlineKeyboardMarkup::new(rows))
}

/// Button labels are plain text; keep them short enough for any phone.
fn label(text: &str) -> String {
    const MAX: usize = 64;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(MAX - 1).collect();
        short.push('…');
        short
    }
}

/// At most `max` characters (Telegram's limits on invoice fields), never empty.
pub(super) fn clip(text: &str, max: usize) -> String {
    let clipped: String = text.chars().take(max).collect();
    if clipped.trim().is_empty() {
        "…".to_owned()
    } else {
        clipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_specials() {
        assert_eq!(
            escape("Ben & Lucy's <b>\"x\"</b>"),
            "Ben &amp; Lucy's &lt;b&gt;\"x\"&lt;/b&gt;"
        );
    }

    #[test]
    fn splits_within_the_limit_on_lines_and_characters() {
        let long = "line one\n".repeat(1000);
        let parts = split(&long, TEXT_LIMIT);
        assert!(parts.len() >= 2);
        assert!(parts.iter().all(|p| units(p) <= TEXT_LIMIT));
        assert_eq!(parts.concat().replace('\n', ""), long.replace('\n', ""));
        // Emoji are two UTF-16 units each: 3000 of them need two parts.
        let emoji = "🧱".repeat(3000);
        let parts = split(&emoji, TEXT_LIMIT);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| units(p) <= TEXT_LIMIT));
        assert_eq!(parts.concat(), emoji);
        assert_eq!(split("", TEXT_LIMIT), vec!["…"]);
        assert_eq!(split("short", TEXT_LIMIT), vec!["short"]);
    }

    #[test]
    fn tokens_round_trip_and_reject_junk() {
        assert_eq!(parse_token(&token(123, 4)), Some((123, 4)));
        assert!(token(i64::MAX, 99).len() <= 64);
        assert_eq!(parse_token("add:castle"), None);
        assert_eq!(parse_token("1.x"), None);
        assert_eq!(parse_token(""), None);
    }
}
