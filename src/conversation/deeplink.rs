//! `/start`, with or without a deep link's payload (see [`crate::links::payload`]).
//!
//! A payload opens a product's card, a category or the finder, after the
//! welcome, whatever the customer was doing (their cart is kept). Its source
//! tag is kept with the conversation only if the conversation has none yet:
//! first touch, so the link that brought a customer keeps the credit for what
//! they buy later. A malformed payload, or one naming a product or category
//! the shop no longer has, shows the welcome and the menu (a well-formed
//! payload's source still counts: an old flyer still brought the customer).

use super::{Cx, Step};
use crate::links::{Payload, Target};
use crate::shop::Phrase;

impl Cx<'_> {
    /// `/start`: `payload` is what follows it (`None` or empty: a plain start).
    pub(super) fn start(&mut self, payload: Option<&str>) {
        let payload = payload.map(str::trim).unwrap_or_default();
        let Ok(Payload { target, source }) = Payload::parse(payload) else {
            self.welcome_and_menu();
            return;
        };
        if let Some(source) = source
            && self.s.source.is_none()
        {
            self.s.source = Some(source.as_str().to_owned());
        }
        match target {
            Some(Target::Product(id)) if self.shop.product(&id).is_some() => {
                self.welcome();
                self.product(&id);
            }
            Some(Target::Category(id)) if self.shop.category(&id).is_some() => {
                self.welcome();
                self.category(&id, 0);
            }
            Some(Target::Finder) => {
                self.welcome();
                self.finder_start();
            }
            _ => self.welcome_and_menu(),
        }
    }

    fn welcome(&mut self) {
        self.say(
            self.t()
                .fill(Phrase::Welcome, &[("shop", self.shop.name())]),
        );
    }

    fn welcome_and_menu(&mut self) {
        self.s.step = Step::Menu;
        self.welcome();
        self.menu(false);
    }

    /// Typed `start PAYLOAD` (a Matrix customer's first message from a link):
    /// handled as `/start PAYLOAD` when the payload is well formed, at any
    /// step; where the bot expects no typed answer (`free`), also when it is
    /// not (then the welcome). `false`: not such a message.
    pub(super) fn typed_start(&mut self, text: &str, free: bool) -> bool {
        let mut words = text.split_whitespace();
        let (Some(first), Some(payload), None) = (words.next(), words.next(), words.next()) else {
            return false;
        };
        if !first.eq_ignore_ascii_case("start") {
            return false;
        }
        let valid = Payload::parse(payload).is_ok_and(|p| p != Payload::default());
        if valid || free {
            self.start(Some(payload));
            return true;
        }
        false
    }
}

#[cfg(test)]
#[path = "deeplink_tests.rs"]
mod tests;
