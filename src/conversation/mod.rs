//! The pure conversation core: `handle(shop, stock, session, input, now) -> Turn`.
//!
//! No I/O, no clock, no database, no platform types: everything a customer can do
//! is decided here and returned as replies and effects, which the engine applies.

mod action;
mod aside;
mod cart;
mod catalog;
mod checkout;
mod finder;
mod freetext;
mod later;
mod render;
mod run;
mod session;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use action::Action;
pub use aside::{Aside, Facts, NOT_TEXT, screen};
pub use cart::order_lines;
pub use later::{MyData, MyOrder};
pub use run::{Executor, FunnelStep, run, steps_taken};
pub use session::{CartItem, CheckoutDraft, Session, Step};

use crate::shop::{Money, Phrase, Shop, StockLevels, Texts};
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
    /// Something the bot cannot read (a sticker, a voice note, a file).
    Unsupported,
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
    /// The engine opened ticket `number` (or it was open already).
    TicketOpened { number: i64, wait: TicketWait },
    /// The ticket ended (the owner closed it, or the customer did).
    TicketClosed,
    /// A person of the shop answered the customer's ticket.
    OwnerAnswer(String),
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
}

impl Reply {
    /// A message with text only.
    pub fn plain(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            buttons: Vec::new(),
            image: None,
            invoice: None,
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
    /// Stable id, see [`Action`].
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
        Money(self.subtotal.0 - self.discount.0)
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
}

/// The result of one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub session: Session,
    pub replies: Vec<Reply>,
    pub effects: Vec<Effect>,
    /// The journey steps this turn took, for the owner's funnel.
    pub steps: Vec<FunnelStep>,
}

/// Handles one input. Pure: the same arguments always give the same turn.
pub fn handle(
    shop: &Shop,
    stock: &StockLevels,
    session: &Session,
    input: &Input,
    now: Timestamp,
) -> Turn {
    let mut cx = Cx {
        shop,
        stock,
        now,
        s: session.clone(),
        replies: Vec::new(),
        effects: Vec::new(),
    };
    if !shop.languages().contains(&cx.s.lang) {
        shop.default_language().clone_into(&mut cx.s.lang);
    }
    cx.dispatch(input);
    remember_buttons(&mut cx.s, &cx.replies);
    Turn {
        steps: steps_taken(false, session, &cx.s),
        session: cx.s,
        replies: cx.replies,
        effects: cx.effects,
    }
}

/// Remembers the buttons of a turn's replies, in order, so that the customer can
/// type a button's number or label next time.
pub fn remember_buttons(session: &mut Session, replies: &[Reply]) {
    session.buttons = replies
        .iter()
        .flat_map(|r| r.buttons.iter().map(|b| (b.id.clone(), b.label.clone())))
        .collect();
}

/// The working state of one turn.
struct Cx<'a> {
    shop: &'a Shop,
    stock: &'a StockLevels,
    now: Timestamp,
    s: Session,
    replies: Vec<Reply>,
    effects: Vec<Effect>,
}

impl<'a> Cx<'a> {
    fn t(&self) -> &'a Texts {
        self.shop.texts(&self.s.lang)
    }

    /// An amount as the customer's language writes it.
    fn money(&self, amount: Money) -> String {
        self.t().money(amount, self.shop.currency())
    }

    fn lang(&self) -> String {
        self.s.lang.clone()
    }

    fn say(&mut self, text: impl Into<String>) {
        self.replies.push(Reply::plain(text));
    }

    fn ask(&mut self, text: impl Into<String>, buttons: Vec<Button>) {
        self.replies.push(Reply {
            text: text.into(),
            buttons,
            image: None,
            invoice: None,
        });
    }

    /// A button whose label is a bundled phrase.
    fn button(&self, action: &Action, key: Phrase) -> Button {
        Button {
            id: action.id(),
            label: self.t().get(key).to_owned(),
        }
    }

    fn dispatch(&mut self, input: &Input) {
        match input {
            Input::Start => {
                self.s.step = Step::Menu;
                self.say(
                    self.t()
                        .fill(Phrase::Welcome, &[("shop", self.shop.name())]),
                );
                self.menu(false);
            }
            Input::Resume => self.resume(),
            Input::Unsupported => {
                self.say(self.t().get(Phrase::Unsupported));
                self.show_step();
            }
            Input::Unreadable => {
                self.say(self.t().get(Phrase::Unreadable));
                self.show_step();
            }
            Input::Button(id) => match Action::parse(id) {
                Some(action) => self.act(&action),
                None => self.expired(),
            },
            Input::Stale => self.expired(),
            Input::Text(text) => self.text(text),
            Input::OrderPlaced { number } => self.order_placed(number),
            Input::OrderRejected { sold_out } => self.order_rejected(sold_out),
            Input::Orders(orders) => self.show_orders(orders),
            Input::TicketOpened { number, wait } => self.ticket_opened(*number, wait),
            Input::TicketClosed => {
                self.say(self.t().get(Phrase::TicketClosed));
                self.menu(true);
            }
            Input::OwnerAnswer(text) => {
                self.say(self.t().fill(
                    Phrase::TicketAnswer,
                    &[("shop", self.shop.name()), ("text", text)],
                ));
            }
            Input::OrderStatus {
                number,
                status,
                tracking,
            } => self.order_status(number, *status, tracking.as_deref()),
            Input::MyData(data) => self.my_data(data),
            Input::Forgotten => self.say(self.t().get(Phrase::Forgotten)),
            Input::CartReminder { coupon } => self.cart_reminder(coupon.as_deref()),
            Input::FeedbackRequest { order } => self.feedback_request(order),
            Input::FeedbackChecked {
                order,
                stars,
                comment,
                facts,
            } => self.feedback_checked(order, *stars, comment.as_ref(), *facts),
            Input::FeedbackSaved { order, stars } => self.feedback_saved(order, *stars),
            Input::Marketing(text) => {
                self.say(format!(
                    "{text}\n\n{}",
                    self.t().get(Phrase::MarketingFooter)
                ));
            }
            Input::PaymentReceived { order, reference } => {
                self.effects.push(Effect::MarkPaid {
                    order: order.clone(),
                    reference: reference.clone(),
                });
                self.say(self.t().fill(Phrase::PaymentReceived, &[("number", order)]));
                self.menu(true);
            }
        }
    }

    /// Typed text: a command, a button's number or label, a step's answer, or free text.
    fn text(&mut self, raw: &str) {
        let text = raw.trim();
        if text.is_empty() {
            self.say(self.t().get(Phrase::EmptyMessage));
            self.show_step();
            return;
        }
        if let Some(command) = text.strip_prefix('/') {
            self.command(command);
            return;
        }
        if let Some(id) = self.typed_button(text) {
            match Action::parse(&id) {
                Some(action) => self.act(&action),
                None => self.expired(),
            }
            return;
        }
        match self.s.step.clone() {
            Step::Coupon => self.coupon_entered(text),
            Step::FeedbackComment { order } => self.effects.push(Effect::CheckFeedback {
                order,
                stars: None,
                comment: Some(text.to_owned()),
            }),
            Step::Field { field } => self.field_entered(field, text),
            Step::ChooseDelivery | Step::Consent | Step::ChoosePayment | Step::Confirm => {
                self.checkout_text(text);
            }
            _ => self.free_text(text),
        }
    }

    /// The button a typed number ("2") or label ("my cart") stands for.
    fn typed_button(&self, text: &str) -> Option<String> {
        if let Ok(n) = text
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<usize>()
        {
            if matches!(self.s.step, Step::Field { .. }) && n > self.s.buttons.len() {
                return None;
            }
            return n
                .checked_sub(1)
                .and_then(|i| self.s.buttons.get(i))
                .map(|(id, _)| id.clone());
        }
        let wanted = crate::shop::search::normalize(text);
        self.s
            .buttons
            .iter()
            .find(|(_, label)| crate::shop::search::normalize(label) == wanted)
            .map(|(id, _)| id.clone())
    }

    fn command(&mut self, command: &str) {
        let mut words = command.split_whitespace();
        let name = words
            .next()
            .unwrap_or("")
            .split('@')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let arg = words.next();
        match (name.as_str(), arg) {
            ("start", _) => self.dispatch(&Input::Start),
            ("menu", _) => self.act(&Action::Menu),
            ("find" | "finder", _) => self.act(&Action::Finder),
            ("catalog" | "browse", _) => self.act(&Action::Browse),
            ("cart", _) => self.act(&Action::Cart),
            ("orders", _) => self.act(&Action::Orders),
            ("help" | "faq", _) => self.act(&Action::Questions),
            ("human" | "person", _) => self.act(&Action::Human),
            ("mydata", _) => self.effects.push(Effect::MyData),
            ("forget", _) => self.forget_ask(),
            ("stop", _) => {
                self.effects.push(Effect::WithdrawConsent);
                self.say(self.t().get(Phrase::StopDone));
                self.show_step();
            }
            (
                "tickets" | "reply" | "close" | "order" | "status" | "stock" | "reload" | "pause"
                | "resume" | "stats" | "broadcast",
                _,
            ) => {
                self.say(self.t().get(Phrase::OwnerOnly));
                self.show_step();
            }
            ("lang" | "language", Some(lang)) => self.act(&Action::SetLanguage(lang.to_owned())),
            ("lang" | "language", None) => self.act(&Action::Language),
            _ => {
                self.say(self.t().get(Phrase::UnknownCommand));
                self.show_step();
            }
        }
    }

    /// Runs a button's action after checking it fits the current step.
    fn act(&mut self, action: &Action) {
        match action {
            Action::Menu => self.menu(true),
            Action::Finder | Action::FinderRestart => self.finder_start(),
            Action::Answer(q, o) => self.finder_answer(q, o),
            Action::FinderBack => self.finder_back(),
            Action::Browse => self.categories(),
            Action::Category(id, page) => self.category(id, *page),
            Action::Product(id) => self.product(id),
            Action::Add(id, variant) => self.add_to_cart(id, variant.as_deref()),
            Action::Questions => self.questions(),
            Action::Question(id) => self.question(id),
            Action::Cart => self.cart(),
            Action::Inc(key) => self.change_qty(key, true),
            Action::Dec(key) => self.change_qty(key, false),
            Action::EmptyCart => self.empty_cart(),
            Action::Coupon => self.coupon_prompt(),
            Action::Checkout => self.checkout_start(),
            Action::Delivery(id) => self.delivery_chosen(id),
            Action::Payment(id) => self.payment_chosen(id),
            Action::Skip if matches!(self.s.step, Step::FeedbackComment { .. }) => {
                self.say(self.t().get(Phrase::FeedbackThanks));
                self.menu(true);
            }
            Action::Skip => self.skip_field(),
            Action::Consent(yes) => self.consent_given(*yes),
            Action::Confirm => self.confirm(),
            Action::CancelCheckout => self.cancel_checkout(),
            Action::Orders => {
                self.s.step = Step::Orders;
                self.effects.push(Effect::LoadOrders);
            }
            Action::Human => self.human(),
            Action::EndTicket => self.effects.push(Effect::EndTicket),
            Action::Rate(order, stars) => self.effects.push(Effect::CheckFeedback {
                order: order.clone(),
                stars: Some(*stars),
                comment: None,
            }),
            Action::Forget => self.effects.push(Effect::Forget),
            Action::Language => self.language_menu(),
            Action::SetLanguage(lang) => self.set_language(lang),
        }
    }

    /// A button that no longer fits (an old message) or never existed.
    fn expired(&mut self) {
        self.say(self.t().get(Phrase::ButtonExpired));
        self.show_step();
    }

    fn menu(&mut self, with_title: bool) {
        self.s.step = Step::Menu;
        let mut buttons = vec![
            self.button(&Action::Finder, Phrase::MenuFinder),
            self.button(&Action::Browse, Phrase::MenuBrowse),
            self.button(&Action::Questions, Phrase::MenuQuestions),
            Button {
                id: Action::Cart.id(),
                label: self.t().fill(
                    Phrase::MenuCart,
                    &[("count", &self.s.cart_units().to_string())],
                ),
            },
            self.button(&Action::Orders, Phrase::MenuOrders),
            self.button(&Action::Human, Phrase::MenuHuman),
        ];
        if self.shop.languages().len() > 1 {
            buttons.push(self.button(&Action::Language, Phrase::MenuLanguage));
        }
        let text = if with_title {
            self.t().get(Phrase::MenuTitle)
        } else {
            self.t().get(Phrase::MenuPrompt)
        };
        self.ask(text, buttons);
    }

    fn resume(&mut self) {
        if self.s.step == Step::Menu {
            self.say(
                self.t()
                    .fill(Phrase::WelcomeBack, &[("shop", self.shop.name())]),
            );
            self.menu(false);
        } else {
            self.say(self.t().get(Phrase::ContinueWhere));
            self.show_step();
        }
    }

    /// Shows the current step again (after an odd input, an expired button or a restart).
    fn show_step(&mut self) {
        match self.s.step.clone() {
            Step::Menu | Step::Orders => self.menu(true),
            Step::Finder { question } => self.finder_question(question),
            Step::FinderResults => self.finder_results(),
            Step::Categories => self.categories(),
            Step::Category { id, page } => self.category(&id, page),
            Step::Product { id } => self.product(&id),
            Step::Questions => self.questions(),
            Step::Cart => self.cart(),
            Step::Coupon => self.coupon_prompt(),
            Step::ChooseDelivery => self.ask_delivery(),
            Step::Field { field } => self.ask_field(field),
            Step::Consent => self.ask_consent(),
            Step::ChoosePayment => self.ask_payment(),
            Step::Confirm => self.ask_confirm(),
            Step::Language => self.language_menu(),
            Step::FeedbackComment { .. } => self.feedback_comment_prompt(),
        }
    }

    fn language_menu(&mut self) {
        self.s.step = Step::Language;
        let buttons = self
            .shop
            .languages()
            .iter()
            .map(|lang| Button {
                id: Action::SetLanguage(lang.clone()).id(),
                label: self.shop.texts(lang).get(Phrase::LanguageName).to_owned(),
            })
            .collect();
        self.ask(self.t().get(Phrase::ChooseLanguage), buttons);
    }

    fn set_language(&mut self, lang: &str) {
        if self.shop.languages().iter().any(|l| l == lang) {
            lang.clone_into(&mut self.s.lang);
            self.say(self.t().get(Phrase::LanguageSet));
            self.menu(true);
        } else {
            self.expired();
        }
    }

    fn human(&mut self) {
        self.effects.push(Effect::RequestHuman {
            question: self.s.unanswered.take(),
        });
    }

    fn ticket_opened(&mut self, number: i64, wait: &TicketWait) {
        let number = number.to_string();
        let mut text = self.t().fill(
            Phrase::TicketOpened,
            &[("number", &number), ("shop", self.shop.name())],
        );
        let when = match wait {
            TicketWait::Soon => None,
            TicketWait::ClosedUntil(at) => {
                Some(self.t().fill(Phrase::TicketClosedHours, &[("when", at)]))
            }
            TicketWait::Away => Some(self.t().get(Phrase::TicketAway).to_owned()),
        };
        if let Some(when) = when {
            text.push(' ');
            text.push_str(&when);
        }
        let back = self.button(&Action::EndTicket, Phrase::TicketEnd);
        self.ask(text, vec![back]);
    }

    fn order_status(&mut self, number: &str, status: OrderStatus, tracking: Option<&str>) {
        let key = match status {
            OrderStatus::Paid => Phrase::OrderNowPaid,
            OrderStatus::Shipped => Phrase::OrderNowShipped,
            OrderStatus::Delivered => Phrase::OrderNowDelivered,
            OrderStatus::New | OrderStatus::Cancelled => Phrase::OrderNowCancelled,
        };
        let mut text = self.t().fill(key, &[("number", number)]);
        if let Some(tracking) = tracking.filter(|t| !t.is_empty()) {
            text.push(' ');
            text.push_str(
                &self
                    .t()
                    .fill(Phrase::OrderNowTracking, &[("tracking", tracking)]),
            );
        }
        self.say(text);
    }

    fn show_orders(&mut self, orders: &[OrderBrief]) {
        if orders.is_empty() {
            self.say(self.t().get(Phrase::OrdersNone));
        } else {
            let text = render::orders(self.shop, self.t(), orders);
            self.say(text);
        }
        self.menu(true);
    }
}

#[cfg(test)]
mod tests;
