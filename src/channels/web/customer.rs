//! A web customer: the token a browser keeps and the conversation it opens,
//! and one input of theirs as the turn it runs.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::CHANNEL;
use crate::channels::media::lower_hex;
use crate::conversation::Input;
use crate::engine::{Chat, Engine, EngineError, Event, TurnResult};

/// A page's token: 32 random bytes, in hex.
pub fn new_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(lower_hex(&bytes))
}

pub fn is_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The conversation a token opens: a digest, so the database never holds the
/// token (whoever reads the database cannot take over a conversation).
pub fn chat_of(token: &str) -> String {
    let digest = Sha256::digest(format!("shopbot web chat\0{token}").as_bytes());
    lower_hex(&digest[..16])
}

/// An input as the page sent it; a press becomes a button (or a stale one)
/// only in its turn, where the row it names is checked to be this chat's.
pub enum TurnInput {
    Ready(Input),
    Press { row: i64, i: usize, msg: String },
}

/// Everything one turn needs, owned (a turn may be tried again).
pub struct Customer {
    pub chat: String,
    pub name: String,
    pub language: Option<String>,
    pub key: String,
    pub input: TurnInput,
}

impl Customer {
    pub fn run(&self, engine: &mut Engine) -> Result<TurnResult, EngineError> {
        let chat = Chat {
            channel: CHANNEL,
            chat_id: &self.chat,
        };
        let (input, pressed) = match &self.input {
            TurnInput::Ready(input) => (input.clone(), None),
            TurnInput::Press { row, i, msg } => {
                let input = engine
                    .button_of(chat, *row, *i)?
                    .map_or(Input::Stale, Input::Button);
                let pressed = engine.is_our_message(chat, msg)?.then_some(msg.as_str());
                (input, pressed)
            }
        };
        let event = Event {
            key: Some(&self.key),
            pressed,
            sender: Some(&self.chat),
            sender_name: Some(&self.name),
            direct: true,
            language: self.language.as_deref(),
            ..Event::default()
        };
        engine.run_turn(chat, event, &input, Timestamp::now())
    }
}

/// The first of the browser's languages the shop speaks (`es-ES` is `es`).
pub fn choose_language(spoken: &[String], wanted: &[String]) -> Option<String> {
    wanted.iter().take(10).find_map(|tag| {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        spoken.iter().find(|l| **l == primary).cloned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_never_the_conversations_name() {
        let token = new_token().unwrap();
        assert!(is_token(&token));
        let chat = chat_of(&token);
        assert_eq!(chat.len(), 32);
        assert!(!token.contains(&chat));
        assert_eq!(chat, chat_of(&token), "the same token, the same chat");
        assert_ne!(chat, chat_of(&new_token().unwrap()));
        assert!(!is_token("abc"));
        assert!(!is_token(&"g".repeat(64)));
    }
}
