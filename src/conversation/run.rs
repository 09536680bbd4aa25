//! One whole turn: [`handle_rated`] the input, hand each effect to an executor, feed
//! its answer back into [`handle_rated`], until no effect is left. Generic over the
//! executor: the engine applies effects in its `SQLite` transaction, a test may
//! apply them in memory.

use std::collections::VecDeque;

use jiff::Timestamp;

use super::{Effect, Input, Session, Step, Turn, handle_rated, remember_buttons};
use crate::shop::{Shop, StockLevels};
use crate::store::Ratings;

/// A step of the customer's journey, counted for the owner's funnel. The
/// strings are the database's event names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunnelStep {
    /// A new conversation (a chat without a session).
    Conversation,
    FinderStarted,
    FinderCompleted,
    /// The cart got its first item.
    Cart,
    CheckoutStarted,
    /// An order was placed (recorded by the engine as it places it).
    Order,
    /// A ticket was opened (recorded by the engine as it opens it).
    Escalation,
}

impl FunnelStep {
    /// The event's name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conversation => "conversation",
            Self::FinderStarted => "finder_started",
            Self::FinderCompleted => "finder_completed",
            Self::Cart => "cart",
            Self::CheckoutStarted => "checkout_started",
            Self::Order => "order",
            Self::Escalation => "escalation",
        }
    }
}

/// The journey steps taken from session `before` to session `after`; `fresh`
/// when `before` is a new conversation's session.
pub fn steps_taken(fresh: bool, before: &Session, after: &Session) -> Vec<FunnelStep> {
    let in_finder = |s: &Session| matches!(s.step, Step::Finder { .. } | Step::FinderResults);
    let in_checkout = |s: &Session| {
        matches!(
            s.step,
            Step::ChooseDelivery
                | Step::Field { .. }
                | Step::Consent
                | Step::ChoosePayment
                | Step::Confirm
        )
    };
    let mut steps = Vec::new();
    if fresh {
        steps.push(FunnelStep::Conversation);
    }
    if !in_finder(before) && in_finder(after) {
        steps.push(FunnelStep::FinderStarted);
    }
    if before.step != Step::FinderResults && after.step == Step::FinderResults {
        steps.push(FunnelStep::FinderCompleted);
    }
    if before.cart.is_empty() && !after.cart.is_empty() {
        steps.push(FunnelStep::Cart);
    }
    if !in_checkout(before) && in_checkout(after) {
        steps.push(FunnelStep::CheckoutStarted);
    }
    steps
}

/// Applies the effects of a turn, in the order the conversation asks for them.
pub trait Executor {
    type Error;
    /// The stock as it stands now: an effect (an order) may change it.
    fn stock(&self) -> &StockLevels;
    /// The products' ratings as they stand now, for the cards; none unless
    /// the executor keeps them.
    fn ratings(&self) -> &Ratings {
        Ratings::none()
    }
    /// Applies one effect for the customer of `session`; returns what the
    /// conversation must hear back, if anything.
    fn apply(&mut self, session: &Session, effect: Effect) -> Result<Option<Input>, Self::Error>;
}

/// Runs one input to the end: every effect applied, every answer handled. The
/// turn returned has no effects left; its steps are those from `session` to
/// the final session (with [`FunnelStep::Conversation`] when `fresh`), and the
/// final session remembers the buttons of all its replies.
pub fn run<X: Executor>(
    shop: &Shop,
    session: &Session,
    fresh: bool,
    input: &Input,
    now: Timestamp,
    exec: &mut X,
) -> Result<Turn, X::Error> {
    let first = handle_rated(shop, exec.stock(), exec.ratings(), session, input, now);
    let mut replies = first.replies;
    let mut quotes = first.quotes;
    let mut pending: VecDeque<Effect> = first.effects.into();
    let mut current = first.session;
    while let Some(effect) = pending.pop_front() {
        let Some(answer) = exec.apply(&current, effect)? else {
            continue;
        };
        let next = handle_rated(shop, exec.stock(), exec.ratings(), &current, &answer, now);
        replies.extend(next.replies);
        quotes.extend(next.quotes);
        pending.extend(next.effects);
        current = next.session;
    }
    remember_buttons(&mut current, &replies);
    Ok(Turn {
        steps: steps_taken(fresh, session, &current),
        session: current,
        replies,
        effects: Vec::new(),
        quotes,
    })
}
