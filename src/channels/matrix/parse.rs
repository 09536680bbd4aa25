//! What a Matrix event means beyond its text: the reaction shortcuts 1️⃣…🔟,
//! a reply's quoted fallback, and whose invites are accepted.

use matrix_sdk::ruma::UserId;

/// Whether an invite from `sender` may be accepted under the `allow` list
/// (servers like `example.org`, or user ids); an empty list allows everyone.
pub(super) fn allowed(allow: &[String], sender: &UserId) -> bool {
    allow.is_empty()
        || allow.iter().any(|a| {
            if a.starts_with('@') {
                a == sender.as_str()
            } else {
                a == sender.server_name().as_str()
            }
        })
}

/// The number a reaction key stands for: 1️⃣ … 9️⃣ and 🔟.
pub(super) fn keycap_number(key: &str) -> Option<usize> {
    if key == "🔟" {
        return Some(10);
    }
    let mut chars = key.chars();
    let digit = chars.next()?.to_digit(10)?;
    let rest: String = chars.filter(|c| *c != '\u{fe0f}').collect();
    (rest == "\u{20e3}" && digit >= 1).then_some(digit as usize)
}

/// The text of a message without a reply's quoted fallback (`> …` lines).
pub(super) fn without_reply_fallback(body: &str) -> &str {
    if !body.starts_with("> ") {
        return body;
    }
    match body.find("\n\n") {
        Some(end) => &body[end + 2..],
        None => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keycaps_and_reply_fallbacks() {
        assert_eq!(keycap_number("1\u{fe0f}\u{20e3}"), Some(1));
        assert_eq!(keycap_number("9\u{20e3}"), Some(9));
        assert_eq!(keycap_number("🔟"), Some(10));
        assert_eq!(keycap_number("0\u{fe0f}\u{20e3}"), None);
        assert_eq!(keycap_number("👍"), None);
        assert_eq!(without_reply_fallback("> <@a:b> hi\n> there\n\n2"), "2");
        assert_eq!(without_reply_fallback("plain"), "plain");
    }

    #[test]
    fn invites_follow_the_allow_list() {
        let ana = UserId::parse("@ana:example.org").unwrap();
        assert!(allowed(&[], &ana));
        assert!(allowed(&["example.org".into()], &ana));
        assert!(allowed(&["@ana:example.org".into()], &ana));
        assert!(!allowed(
            &["other.org".into(), "@bo:example.org".into()],
            &ana
        ));
    }
}
