//! Deep links that open a product, a category or the finder, tagged with where
//! the customer came from: the payload grammar ([`payload`]), the links of
//! each channel, and their QR codes ([`qr`]).
//!
//! - Telegram: `https://t.me/<bot>?start=<payload>`; the app sends the bot
//!   `/start <payload>` when the customer taps Start.
//! - Matrix has no such parameter: the link is `https://matrix.to/#/<bot>`,
//!   and the customer sends `start <payload>` as their first message (the
//!   flyer prints it next to the code).

pub mod payload;
pub mod qr;

pub use payload::{MAX_PAYLOAD, MAX_TAG, Malformed, Payload, Source, Target};
pub use qr::{Qr, QrError};

/// The Telegram deep link of `payload` for the bot `@username`.
pub fn telegram(username: &str, payload: &str) -> String {
    let username = username.trim_start_matches('@');
    if payload.is_empty() {
        format!("https://t.me/{username}")
    } else {
        format!("https://t.me/{username}?start={payload}")
    }
}

/// The Matrix link to the bot `user` (`@shop:example.org`).
pub fn matrix(user: &str) -> String {
    format!("https://matrix.to/#/{user}")
}

/// What a Matrix customer sends first to open `payload`.
pub fn matrix_message(payload: &str) -> String {
    if payload.is_empty() {
        "start".to_owned()
    } else {
        format!("start {payload}")
    }
}

/// The web chat's page opened on `payload`: `PUBLIC/chat?start=PAYLOAD`, where
/// `public` is `[web] public_url` (else `http://` and the address it listens on).
/// A payload is made of `A-Za-z0-9_-` only: nothing to escape.
pub fn web(public: &str, payload: &str) -> String {
    format!("{}/chat?start={payload}", public.trim_end_matches('/'))
}

/// Whether `name` can be a Telegram bot's username: 5–32 of A-Z a-z 0-9 `_`.
pub fn is_telegram_username(name: &str) -> bool {
    (5..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    #[test]
    fn links_of_each_channel() {
        assert_eq!(
            super::telegram("@BrickyardBot", "p-castle-dragon-tower_s-instagram"),
            "https://t.me/BrickyardBot?start=p-castle-dragon-tower_s-instagram"
        );
        assert_eq!(
            super::telegram("BrickyardBot", ""),
            "https://t.me/BrickyardBot"
        );
        assert_eq!(
            super::matrix("@shop:example.org"),
            "https://matrix.to/#/@shop:example.org"
        );
        assert_eq!(super::matrix_message("f_s-window"), "start f_s-window");
        assert!(super::is_telegram_username("Brickyard_bot"));
        assert!(!super::is_telegram_username("shop"));
        assert!(!super::is_telegram_username("shop-bot"));
    }
}
