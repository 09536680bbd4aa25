//! The pure conversation core: `handle(shop, stock, session, input, now) -> Turn`.
//!
//! No I/O, no clock, no database, no platform types: everything a customer can do
//! is decided here and returned as replies and effects, which the engine applies.
//! [`run`] carries a turn's effects out through an [`Executor`] (the engine's
//! `SQLite` one, or a test's in-memory one) and feeds the answers back in.
//!
//! - `io.rs`: what goes in and comes out ([`Input`], [`Reply`], [`Effect`], [`Turn`]).
//! - `dispatch.rs`: where an input goes (commands, buttons, typed text, answers).
//! - `aside.rs`: messages that bypass the conversation (relay into an open
//!   ticket, owner-only buttons and replies).
//! - `finder.rs`, `catalog.rs`, `cart.rs`, `checkout.rs`, `freetext.rs`,
//!   `later.rs` (feedback, `/mydata`, `/forget`): the journeys.
//! - `ratings.rs`: the products' ratings and comments on their cards.
//! - `render.rs`: texts and cards; `session.rs`, `action.rs`: state and button ids.

mod action;
mod aside;
mod cart;
mod catalog;
mod checkout;
mod deeplink;
mod digital;
mod dispatch;
mod finder;
mod freetext;
mod io;
mod later;
mod ratings;
mod render;
mod run;
mod session;

use jiff::Timestamp;

pub use action::Action;
pub use aside::{Aside, Facts, NOT_TEXT, screen};
pub use cart::{CouponProblem, coupon_problem, order_lines, totals};
pub use digital::{DIGITAL, all_digital, stars_of};
pub use io::{
    Answer, Button, Effect, FeedbackFacts, Goods, GoodsItem, GoodsKind, Input, Invoice, OrderBrief,
    OrderDraft, Reply, StarRefund, TicketWait, Totals, Turn,
};
pub use later::{MyData, MyOrder};
pub use ratings::{COMMENT_CHARS, clean_comment, rating_line};
pub use run::{Executor, FunnelStep, run, steps_taken};
pub use session::{CartItem, CheckoutDraft, Session, Step};

use crate::shop::{Money, Phrase, Shop, StockLevels, Texts};
use crate::store::{OrderStatus, Ratings};

/// Handles one input. Pure: the same arguments always give the same turn.
/// No product is rated (see [`handle_rated`]).
pub fn handle(
    shop: &Shop,
    stock: &StockLevels,
    session: &Session,
    input: &Input,
    now: Timestamp,
) -> Turn {
    handle_rated(shop, stock, Ratings::none(), session, input, now)
}

/// [`handle`] with the products' ratings as they stand, for the cards.
pub fn handle_rated(
    shop: &Shop,
    stock: &StockLevels,
    ratings: &Ratings,
    session: &Session,
    input: &Input,
    now: Timestamp,
) -> Turn {
    let mut cx = Cx {
        shop,
        stock,
        ratings,
        now,
        s: session.clone(),
        replies: Vec::new(),
        effects: Vec::new(),
        quotes: Vec::new(),
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
        quotes: cx.quotes,
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
    /// The products' ratings, for the cards.
    ratings: &'a Ratings,
    now: Timestamp,
    s: Session,
    replies: Vec<Reply>,
    effects: Vec<Effect>,
    /// The customers whose review comments the replies show.
    quotes: Vec<crate::channel::ChatKey>,
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
            refund: None,
            attachment: None,
        });
    }

    /// A button whose label is a bundled phrase.
    fn button(&self, action: &Action, key: Phrase) -> Button {
        Button {
            id: action.id(),
            label: self.t().get(key).to_owned(),
        }
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
        self.deliver_if_paid(number, status);
    }

    fn show_orders(&mut self, orders: &[OrderBrief]) {
        if orders.is_empty() {
            self.say(self.t().get(Phrase::OrdersNone));
        } else {
            let text = render::orders(self.shop, self.t(), orders);
            let again = self.resend_buttons(orders);
            self.ask(text, again);
        }
        self.menu(true);
    }
}

#[cfg(test)]
mod tests;
