//! The owner behind the bot: who the owners are, where their notices go, and
//! what their commands do. Owner-facing text is in the owners' language
//! (`Shop::owner_texts`: `[owners] language`, else the shop's); customers hear
//! about the owner's actions in their own language, through their conversation.
//!
//! Pure: [`handle`] decides a command over an [`OwnerView`] the engine loaded
//! and returns an [`OwnerTurn`] — the replies, the customers to tell and the
//! writes to make, as data. The engine (`engine::owner`) loads, applies, commits.

pub mod command;
mod handle;
mod notices;
mod reviews;
pub mod selling;
#[cfg(test)]
mod tests;

use crate::channel::{Channel, ChatKey};
use crate::conversation::{Input, Reply, Session};
use crate::shop::Shop;
use crate::store::{Order, OrderStatus, Review, Stats, Ticket};

pub use command::Command;
pub use handle::{answer, handle, help, status_turn, stock_target, stock_uncounted, unknown_reply};
pub use notices::{
    closed_by_customer, destinations, feedback_notice, flood_notice, needs_matrix_rooms,
    order_notice, paid_notice, relay_notice, text_notice, ticket_notice, ticket_wait,
    turn_failed_notice,
};

/// How many lines of the conversation a ticket notice shows.
pub const CONTEXT_LINES: usize = 10;
/// The setting that holds holiday mode.
pub const PAUSED: &str = "paused";

/// Whether `sender` is one of the shop's owners on `channel`: by platform user id only.
pub fn is_owner(shop: &Shop, channel: Channel, sender: &str) -> bool {
    let owners = &shop.file.owners;
    match channel {
        Channel::Telegram => sender
            .parse::<i64>()
            .is_ok_and(|id| owners.telegram.contains(&id)),
        Channel::Matrix => owners.matrix.iter().any(|o| o == sender),
        // A web visitor is anyone with a browser: never an owner.
        Channel::Web | Channel::Terminal => false,
    }
}

/// A message for every owner, tied to a ticket when it is about one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub reply: Reply,
    pub ticket: Option<i64>,
}

impl Notice {
    fn text(text: String) -> Self {
        Self {
            reply: Reply::plain(text),
            ticket: None,
        }
    }
}

/// A message to one customer's conversation, made by an owner's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToCustomer {
    pub customer: ChatKey,
    pub input: Input,
}

/// What an owner's command did, once the engine applied it.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Answers to the owner, in the chat the command came from.
    pub replies: Vec<Reply>,
    pub customers: Vec<ToCustomer>,
    /// The live stock changed (a cancelled order, `/stock`).
    pub stock_changed: bool,
    /// The customers the replies quote (channel, chat): erasing one of them
    /// erases these replies too.
    pub about: Vec<ChatKey>,
    /// The orders whose feedback changed (a comment hidden or shown): their
    /// products' ratings are read again.
    pub rated: Vec<String>,
}

/// What the store holds that one owner command needs: the engine loads only
/// the parts the command reads (see `engine::owner`); the rest stay empty.
#[derive(Debug, Clone, Default)]
pub struct OwnerView {
    /// The ticket a `/close` or `/reply` names, if it exists.
    pub ticket: Option<Ticket>,
    /// The order an `/order`, `/status` or `/refund` names, if it exists.
    pub order: Option<Order>,
    /// `/refund`: the order was refunded before.
    pub refunded: bool,
    /// The feedback on `order`: stars and comment.
    pub feedback: Option<(u8, Option<String>)>,
    /// `/tickets`: the open tickets.
    pub open_tickets: Vec<Ticket>,
    /// `/orders`: the orders, newest first.
    pub orders: Vec<Order>,
    /// `/stats`: the figures.
    pub stats: Option<Stats>,
    /// `/stock`: the live count of the key before the change, if counted.
    pub stock_before: Option<i64>,
    /// `/broadcast`: the customers who agreed to offers (channel, chat).
    pub consenting: Vec<ChatKey>,
    /// `/coupon`, `/r`: the session of the ticket's customer (cart, language).
    pub session: Option<Session>,
    /// `/send`: the live stock of the product (or of the variant named).
    pub available: i64,
    /// The name the customer sees on this owner's answers (see
    /// [`selling::signature`]); `None`: the shop's name.
    pub signature: Option<String>,
    /// `/hide-review`, `/unhide-review`: the order's feedback.
    pub review: Option<Review>,
}

/// A write an owner's command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerEffect {
    CloseTicket(i64),
    /// The owner answered ticket N (for the answer-time figures).
    TicketAnswered(i64),
    /// Holiday mode on (since that unix second) or off.
    SetPaused(Option<i64>),
    /// Move an order along; `from` is the status the view saw. The store keeps
    /// its own guard: when it saw otherwise, [`status_turn`] decides again.
    SetStatus {
        number: String,
        from: OrderStatus,
        status: OrderStatus,
        tracking: Option<String>,
    },
    /// Set a live stock count. A key without a count in shop.toml is refused by
    /// the store: then [`stock_uncounted`] is the answer.
    SetStock {
        key: String,
        qty: i64,
        product: String,
    },
    /// Refund an order paid in Stars (the engine makes the answers).
    Refund(String),
    /// Hide order N's feedback comment from product cards, or show it again.
    HideReview {
        number: String,
        hidden: bool,
    },
}

/// What an owner's command decided: answers, customers to tell, writes to make.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnerTurn {
    /// Answers to the owner, in the chat the command came from.
    pub replies: Vec<Reply>,
    pub customers: Vec<ToCustomer>,
    /// The customers the replies quote (channel, chat).
    pub about: Vec<ChatKey>,
    pub effects: Vec<OwnerEffect>,
}

impl OwnerTurn {
    fn say(text: impl Into<String>) -> Self {
        Self {
            replies: vec![Reply::plain(text.into())],
            ..Self::default()
        }
    }

    /// The replies, customers and quotes, as the command's outcome (the
    /// engine sets `stock_changed` from the writes it made).
    pub fn into_outcome(self, stock_changed: bool) -> Outcome {
        Outcome {
            replies: self.replies,
            customers: self.customers,
            stock_changed,
            about: self.about,
            rated: Vec::new(),
        }
    }
}

/// The channel as the owner's messages name it.
fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Telegram => "Telegram",
        Channel::Matrix => "Matrix",
        Channel::Web => "Web",
        Channel::Terminal => Channel::Terminal.as_str(),
    }
}

fn shorten(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out.replace('\n', " ")
}
