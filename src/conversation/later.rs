//! What comes after: the customer's own data (`/mydata`, `/forget`, `/stop`),
//! the cart reminder, feedback on a delivered order, marketing messages.

use std::fmt::Write as _;

use super::{Action, Button, Cx, Effect, FeedbackFacts, Input, Step};
use crate::shop::{Money, Phrase};

/// Everything the shop keeps about one customer, for `/mydata`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MyData {
    /// The platform chat id (what identifies them to the shop).
    pub chat: String,
    /// Marketing consent and when it was given or withdrawn (unix seconds).
    pub consent: Option<(bool, i64)>,
    pub orders: Vec<MyOrder>,
    /// (number, open, question).
    pub tickets: Vec<(i64, bool, Option<String>)>,
    /// Conversation lines kept for the team's context, and for how many days.
    pub history_lines: i64,
    pub history_days: u32,
}

/// One of the customer's orders, as `/mydata` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyOrder {
    pub number: String,
    pub status: crate::store::OrderStatus,
    pub total: Money,
    /// The checkout answers kept with it.
    pub fields: Vec<(String, String)>,
}

impl Cx<'_> {
    pub(super) fn my_data(&mut self, data: &MyData) {
        let t = self.t();
        let mut text = t.fill(Phrase::MydataTitle, &[("shop", self.shop.name())]);
        let _ = write!(text, "\n• {}: {}", t.get(Phrase::MydataChat), data.chat);
        let _ = write!(
            text,
            "\n• {}: {}",
            t.get(Phrase::MydataLanguage),
            self.s.lang
        );
        if !self.s.cart.is_empty() {
            let items: Vec<String> = super::order_lines(self.shop, &self.s)
                .iter()
                .map(|l| format!("{} × {}", l.qty, l.name))
                .collect();
            let _ = write!(
                text,
                "\n• {}: {}",
                t.get(Phrase::MydataCart),
                items.join(", ")
            );
        }
        if !self.s.checkout.fields.is_empty() {
            let fields: Vec<String> = self
                .s
                .checkout
                .fields
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            let _ = write!(
                text,
                "\n• {}: {}",
                t.get(Phrase::MydataCheckout),
                fields.join("; ")
            );
        }
        let consent = match data.consent {
            Some((yes, at)) => {
                let when = jiff::Timestamp::from_second(at)
                    .map(|ts| {
                        ts.to_zoned(self.shop.time_zone.clone())
                            .strftime("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default();
                let key = if yes {
                    Phrase::MydataConsentYes
                } else {
                    Phrase::MydataConsentNo
                };
                t.fill(key, &[("when", &when)])
            }
            None => t.get(Phrase::MydataConsentNone).to_owned(),
        };
        let _ = write!(text, "\n• {consent}");
        if let Some(source) = &self.s.source {
            let _ = write!(
                text,
                "\n• {}",
                t.fill(Phrase::MydataSource, &[("source", source)])
            );
        }
        for order in &data.orders {
            let status = t.get(super::render::status_phrase(order.status));
            let mut line = format!("#{} ({status}, {})", order.number, self.money(order.total));
            if !order.fields.is_empty() {
                let shown: Vec<String> = order
                    .fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect();
                let _ = write!(line, " — {}", shown.join("; "));
            }
            let _ = write!(text, "\n• {}: {line}", t.get(Phrase::MydataOrder));
        }
        for (number, open, question) in &data.tickets {
            let state = if *open { "🟢" } else { "⚪" };
            let _ = write!(
                text,
                "\n• {} #{number} {state} {}",
                t.get(Phrase::MydataTicket),
                question.as_deref().unwrap_or("")
            );
        }
        let _ = write!(
            text,
            "\n• {}",
            t.fill(
                Phrase::MydataHistory,
                &[
                    ("count", &data.history_lines.to_string()),
                    ("days", &data.history_days.to_string())
                ]
            )
        );
        let _ = write!(text, "\n\n{}", t.get(Phrase::MydataFooter));
        self.say(text.trim_end().to_owned());
        self.show_step();
    }

    pub(super) fn forget_ask(&mut self) {
        let buttons = vec![
            self.button(&Action::Forget, Phrase::ForgetYes),
            self.button(&Action::Menu, Phrase::ForgetKeep),
        ];
        self.ask(self.t().get(Phrase::ForgetAsk), buttons);
    }

    pub(super) fn cart_reminder(&mut self, coupon: Option<&str>) {
        if self.s.cart.is_empty() {
            return;
        }
        let mut text = self.t().fill(
            Phrase::CartReminder,
            &[("count", &self.s.cart_units().to_string())],
        );
        if let Some(code) = coupon {
            text.push(' ');
            text.push_str(&self.t().fill(Phrase::CartReminderCoupon, &[("code", code)]));
        }
        let buttons = vec![
            self.button(&Action::Cart, Phrase::ViewCart),
            self.button(&Action::Checkout, Phrase::Checkout),
        ];
        self.ask(text, buttons);
    }

    pub(super) fn feedback_request(&mut self, order: &str) {
        let buttons = (1..=5u8)
            .map(|n| Button {
                id: Action::Rate(order.to_owned(), n).id(),
                label: "⭐".repeat(usize::from(n)),
            })
            .collect();
        self.ask(
            self.t().fill(Phrase::FeedbackAsk, &[("number", order)]),
            buttons,
        );
    }

    /// Feedback is kept only on the customer's own delivered order, and a
    /// comment only after stars; anything else is an expired button.
    pub(super) fn feedback_checked(
        &mut self,
        order: &str,
        stars: Option<u8>,
        comment: Option<&String>,
        facts: FeedbackFacts,
    ) {
        if !(facts.theirs && facts.delivered) || (stars.is_none() && !facts.rated) {
            self.dispatch(&Input::Stale);
            return;
        }
        self.effects.push(Effect::SaveFeedback {
            order: order.to_owned(),
            stars,
            comment: comment.cloned(),
        });
    }

    pub(super) fn feedback_saved(&mut self, order: &str, stars: bool) {
        if stars {
            self.s.step = Step::FeedbackComment {
                order: order.to_owned(),
            };
            self.feedback_comment_prompt();
        } else {
            self.say(self.t().get(Phrase::FeedbackThanks));
            self.menu(true);
        }
    }

    pub(super) fn feedback_comment_prompt(&mut self) {
        let skip = self.button(&Action::Skip, Phrase::Skip);
        self.ask(self.t().get(Phrase::FeedbackComment), vec![skip]);
    }
}
