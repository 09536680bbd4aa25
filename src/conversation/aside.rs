//! A customer's message answered outside the conversation: relayed into their
//! open ticket, or refused as an owner's. Decided here, on facts the engine
//! loaded; the session is neither changed nor saved.

use super::{Effect, Input, Reply, Session};
use crate::attachment::Unfetchable;
use crate::owner::command::BUTTON_PREFIX;
use crate::shop::{Phrase, Shop};

/// What the relay says to the owners when the customer sent something that is
/// not text during a ticket.
pub const NOT_TEXT: &str = "[sent something that is not text]";

/// What the engine knows about a customer's message before the conversation
/// sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// The number of the customer's open ticket, if they talk to a person.
    pub open_ticket: Option<i64>,
    /// The message replies to a notice for the owners (in an owners' group or
    /// room).
    pub replies_to_owners_notice: bool,
}

/// Replies and effects of a message handled outside the conversation. The
/// engine applies the effects first, then queues the replies (never as an edit
/// of a pressed message), without touching the session or the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aside {
    pub replies: Vec<Reply>,
    pub effects: Vec<Effect>,
}

/// A customer's message that does not reach the conversation: an owner's
/// button or a reply to an owners' notice (refused), text during a ticket
/// (relayed), a photo, file or voice note during a ticket (relayed with it), or
/// something else during a ticket (relayed as such, and the customer told to
/// write). `None`: the conversation handles it.
pub fn screen(shop: &Shop, session: &Session, input: &Input, facts: &Facts) -> Option<Aside> {
    let t = shop.texts(&session.lang);
    let owners = match input {
        Input::Text(_) => facts.replies_to_owners_notice,
        Input::Button(id) => id.starts_with(BUTTON_PREFIX),
        _ => false,
    };
    if owners {
        return Some(Aside {
            replies: vec![Reply::plain(t.get(Phrase::OwnerOnly))],
            effects: Vec::new(),
        });
    }
    let ticket = facts.open_ticket?;
    match input {
        Input::Text(text) if !text.trim_start().starts_with('/') => Some(Aside {
            replies: Vec::new(),
            effects: vec![Effect::Relay {
                ticket,
                text: text.clone(),
                history: true,
                attachment: None,
            }],
        }),
        Input::Unsupported => Some(Aside {
            replies: vec![Reply::plain(t.get(Phrase::TicketTextOnly))],
            effects: vec![Effect::Relay {
                ticket,
                text: NOT_TEXT.to_owned(),
                history: false,
                attachment: None,
            }],
        }),
        // Relayed as it is; the owners on another platform get it only if its
        // bytes could be fetched, and the customer is told when they could not.
        Input::Media(attachment) => Some(Aside {
            replies: match attachment.unfetchable {
                Some(Unfetchable::TooBig) => vec![Reply::plain(t.get(Phrase::MediaTooBig))],
                Some(Unfetchable::Failed) => vec![Reply::plain(t.get(Phrase::MediaNotPassed))],
                None => Vec::new(),
            },
            effects: vec![Effect::Relay {
                ticket,
                text: attachment.describe(),
                history: true,
                attachment: Some(attachment.clone()),
            }],
        }),
        _ => None,
    }
}
