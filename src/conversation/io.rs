//! What goes into a turn and what comes out: inputs, replies, effects.

use serde::{Deserialize, Serialize};

use super::{FunnelStep, MyData, Session};
use crate::attachment::Attachment;
use crate::shop::Money;
use crate::store::{OrderLine, OrderStatus};

/// What the customer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// First contact or `/start`.
    Start,
    /// The customer came back (the terminal restarted): show where they were.
    Resume,
    /// A typed message.
    Text(String),
    /// A pressed button, by id.
    Button(String),
    /// A button that is no longer valid here: expired, forged, or another
    /// customer's. Answered like an unknown button.
    Stale,
    /// Something the bot cannot read as a message of the conversation (a poll,
    /// a game); photos, files, voice notes, places and contacts are [`Input::Media`].
    Unsupported,
    /// A photo, file, voice note, place or contact: relayed into an open
    /// ticket; otherwise answered like [`Input::Unsupported`].
    Media(Box<Attachment>),
    /// An encrypted message the bot could not decrypt (sent before it had the key).
    Unreadable,
    /// The engine placed the order asked for by [`Effect::PlaceOrder`].
    OrderPlaced { number: String },
    /// The engine could not place it: these stock keys ran short.
    OrderRejected { sold_out: Vec<String> },
    /// The engine loaded the customer's orders, asked for by [`Effect::LoadOrders`].
    Orders(Vec<OrderBrief>),
    /// The platform confirmed a payment for an order.
    PaymentReceived { order: String, reference: String },
    /// The engine recorded a payment ([`Effect::MarkPaid`]): the order's
    /// digital goods come with it, if it has any (delivered once).
    PaymentRecorded {
        order: String,
        goods: Option<Box<Goods>>,
    },
    /// An order's digital goods, asked for by [`Effect::Deliver`].
    Goods(Box<Goods>),
    /// The shop refunded the customer's payment in Stars (`/refund`); the
    /// message carries the refund for the platform to make first.
    Refunded { refund: StarRefund },
    /// The engine opened ticket `number` (or it was open already).
    TicketOpened { number: i64, wait: TicketWait },
    /// The ticket ended (the owner closed it, or the customer did).
    TicketClosed,
    /// A person of the shop answered the customer's ticket.
    OwnerAnswer(Answer),
    /// A person of the shop shows the customer a product's card (`/send`):
    /// the card of browsing, with live stock; only `variant`'s button when set.
    OwnerShows {
        product: String,
        variant: Option<String>,
    },
    /// A person of the shop gives the customer a coupon (`/coupon`): it goes
    /// on their cart, taken off at checkout when valid then.
    OwnerCoupon { code: String },
    /// The owner changed one of the customer's orders.
    OrderStatus {
        number: String,
        status: OrderStatus,
        tracking: Option<String>,
    },
    /// What the shop keeps about the customer, asked for by [`Effect::MyData`].
    MyData(Box<MyData>),
    /// The customer's data was erased ([`Effect::Forget`]).
    Forgotten,
    /// The scheduler: the cart was left a while ago.
    CartReminder { coupon: Option<String> },
    /// The scheduler: a delivered order, to be rated.
    FeedbackRequest { order: String },
    /// What the engine found about an order to be rated, asked for by
    /// [`Effect::CheckFeedback`], with the feedback that was given.
    FeedbackChecked {
        order: String,
        stars: Option<u8>,
        comment: Option<String>,
        facts: FeedbackFacts,
    },
    /// The engine stored feedback: after stars, a comment may follow.
    FeedbackSaved { order: String, stars: bool },
    /// A marketing message from the shop (only to customers who agreed).
    Marketing(String),
}

/// A person of the shop's answer to a customer's ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// What they wrote (a media answer's caption; may be empty then).
    pub text: String,
    /// A photo, file, voice note… they sent.
    pub attachment: Option<Box<Attachment>>,
    /// The name of the person who answered ("Marta"), which the customer sees
    /// as "Marta from Brickyard" in their language; `None`: the shop's name.
    pub signature: Option<String>,
}

impl Answer {
    /// A text answer, signed with the shop's name.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// One message to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// A product image: a path (relative to the shop file) or a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A payment request (Telegram Payments) for an order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    /// A ticket's photo, file, voice note, place or contact: sent with `text`
    /// as its caption where the platform allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Box<Attachment>>,
    /// A payment in Telegram Stars to give back before the text is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<StarRefund>,
}

/// A refund of a payment in Telegram Stars (`refundStarPayment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StarRefund {
    pub order: String,
    /// Telegram's `telegram_payment_charge_id` of the payment.
    pub charge: String,
    pub stars: u32,
}

/// What an order delivers by itself: a file, or codes from a pool, per product.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Goods {
    pub order: String,
    /// Sent again on the customer's request.
    pub again: bool,
    pub items: Vec<GoodsItem>,
}

/// One digital product of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoodsItem {
    /// As the order shows it.
    pub name: String,
    pub what: GoodsKind,
}

/// What one digital product delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoodsKind {
    /// The file, kept in the spool for the platform to upload.
    File(Box<Attachment>),
    /// The codes set aside for the order (one per unit).
    Codes(Vec<String>),
    /// The file could not be read: the owners were told.
    Missing,
}

impl Reply {
    /// A message with text only.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            buttons: Vec::new(),
            image: None,
            invoice: None,
            attachment: None,
            refund: None,
        }
    }
}

/// A request to pay an order inside the chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// The order number; also the invoice's payload, checked before payment.
    pub order: String,
    pub title: String,
    pub description: String,
    pub currency: String,
    /// In cents.
    pub amount: i64,
    /// The shop's payment method id (it names the provider token).
    pub payment: String,
}

/// A button under a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// Stable id, see [`super::Action`].
    pub id: String,
    pub label: String,
}

/// A change the engine must make, in the turn's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Place an order (decrementing stock); the engine answers with
    /// [`Input::OrderPlaced`] or [`Input::OrderRejected`].
    PlaceOrder(OrderDraft),
    /// Load this customer's orders; the engine answers with [`Input::Orders`].
    LoadOrders,
    /// A question the bot could not answer, for the owner's report.
    RecordUnanswered { text: String },
    /// The customer asked for a person, with the question the bot could not answer.
    RequestHuman { question: Option<String> },
    /// Mark an order paid, with the payment provider's reference.
    MarkPaid { order: String, reference: String },
    /// The customer ends their conversation with a person; the engine answers
    /// with [`Input::TicketClosed`].
    EndTicket,
    /// Gather what the shop keeps about this customer: [`Input::MyData`].
    MyData,
    /// Erase this customer: [`Input::Forgotten`].
    Forget,
    /// Deliver an order's digital goods to this customer: once after payment,
    /// or `again` when they ask from "my orders" (only goods delivered before).
    /// The engine answers [`Input::Goods`], or nothing when there is nothing to send.
    Deliver { order: String, again: bool },
    /// The customer withdrew marketing consent (`/stop`).
    WithdrawConsent,
    /// Feedback on an order: the engine looks the order up and answers
    /// [`Input::FeedbackChecked`], the feedback handed back.
    CheckFeedback {
        order: String,
        stars: Option<u8>,
        comment: Option<String>,
    },
    /// Store feedback on a delivered order of this customer (and tell the
    /// owners); the engine answers [`Input::FeedbackSaved`].
    SaveFeedback {
        order: String,
        stars: Option<u8>,
        comment: Option<String>,
    },
    /// Relay a customer's message into their open ticket `ticket` (to the
    /// owners); `history`: keep it in the ticket's context too.
    Relay {
        ticket: i64,
        text: String,
        history: bool,
        attachment: Option<Box<Attachment>>,
    },
}

/// What the engine found about an order a customer rates or comments on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedbackFacts {
    /// The order exists and is this customer's.
    pub theirs: bool,
    pub delivered: bool,
    /// Feedback (stars) was given before: a comment may follow.
    pub rated: bool,
}

/// When a person will answer a new ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketWait {
    /// The team is there (business hours).
    Soon,
    /// Outside business hours: when the shop opens, as the shop's clock shows it.
    ClosedUntil(String),
    /// Holiday mode (the owner's `/pause`).
    Away,
}

/// An order as the conversation wants it placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDraft {
    /// The session's checkout counter: with the channel and chat, the idempotency key.
    pub checkout: u32,
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    pub coupon: Option<String>,
    pub delivery_id: String,
    pub payment_id: String,
    pub fields: std::collections::BTreeMap<String, String>,
    pub consent: Option<bool>,
    pub language: String,
}

/// The money of a cart or order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: Money,
    pub discount: Money,
    pub delivery: Money,
    pub total: Money,
}

impl Totals {
    /// The goods after the coupon, before delivery.
    pub fn goods_total(&self) -> Money {
        self.subtotal - self.discount
    }
}

/// A past order, as "my orders" shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBrief {
    pub number: String,
    pub status: OrderStatus,
    pub total: Money,
    /// Unix seconds.
    pub created_at: i64,
    pub items: Vec<(String, u32)>,
    /// Its digital goods were delivered: the customer may have them sent again.
    pub resendable: bool,
}

/// The result of one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub session: Session,
    pub replies: Vec<Reply>,
    pub effects: Vec<Effect>,
    /// The journey steps this turn took, for the owner's funnel.
    pub steps: Vec<FunnelStep>,
    /// The customers whose words the replies show (review comments on a
    /// card): erasing one of them erases these replies too.
    pub quotes: Vec<crate::channel::ChatKey>,
}
