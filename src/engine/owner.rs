//! The engine side of the owner's commands: load what a command reads into an
//! [`OwnerView`], call the pure [`crate::owner::handle`], make its writes, and
//! return what the engine queues. No decision is made here.
//!
//! The pure notices and helpers the engine uses are re-exported, so that the
//! engine's modules call everything owner-side through `owner::`.

use jiff::Timestamp;

use super::Event;
use crate::channel::{Channel, ChatKey};
use crate::conversation::{Answer, Input, Reply, Session, TicketWait};
use crate::owner::selling::{self, Past};
use crate::owner::{self as core, Command, OwnerEffect, OwnerTurn, OwnerView, PAUSED, ToCustomer};
pub(crate) use crate::owner::{
    Notice, Outcome, closed_by_customer, command, feedback_notice, flood_notice, is_owner,
    order_notice, paid_notice, relay_notice, text_notice,
};
use crate::shop::{OwnerPhrase, Shop, StockLevels, stock_key};
use crate::store::{Result, Ticket, Tx};

/// Runs an owner command (except `/reload`, which the engine does: it swaps
/// the shop); the owner's answers carry `signature` (see [`signature`]).
pub(crate) fn run(
    tx: &Tx<'_>,
    shop: &Shop,
    stock: &StockLevels,
    command: Command,
    signature: Option<String>,
    now: Timestamp,
) -> Result<Outcome> {
    let mut view = load(tx, shop, stock, &command, now)?;
    view.signature = signature;
    let turn = core::handle(shop, view, command, now);
    apply(tx, shop, turn, now)
}

/// The owner's answer to a ticket, for the customer.
pub(crate) fn answer(
    tx: &Tx<'_>,
    shop: &Shop,
    number: i64,
    answer: Answer,
    now: Timestamp,
) -> Result<Outcome> {
    let turn = core::answer(shop, number, tx.ticket(number)?, answer);
    apply(tx, shop, turn, now)
}

/// A reply to a message that belongs to no ticket.
pub(crate) fn unknown_reply(shop: &Shop) -> Outcome {
    core::unknown_reply(shop).into_outcome(false)
}

/// Where owner notices go: one chat for each running channel's owners.
pub(crate) fn destinations(tx: &Tx<'_>, shop: &Shop, channels: &[Channel]) -> Result<Vec<ChatKey>> {
    let rooms = if core::needs_matrix_rooms(shop, channels) {
        tx.owner_rooms(Channel::Matrix, &shop.file.owners.matrix)?
    } else {
        Vec::new()
    };
    Ok(core::destinations(shop, channels, rooms))
}

/// When a person will answer a ticket opened `now`.
pub(crate) fn ticket_wait(tx: &Tx<'_>, shop: &Shop, now: Timestamp) -> Result<TicketWait> {
    let paused = tx.setting(PAUSED)?.is_some();
    Ok(core::ticket_wait(shop, paused, now))
}

/// The notice of a new ticket, with the last lines of the conversation.
pub(crate) fn ticket_notice(
    tx: &Tx<'_>,
    shop: &Shop,
    ticket: &Ticket,
    session: &Session,
    wait: &TicketWait,
) -> Result<Notice> {
    let history = tx.recent_history(ticket.channel, &ticket.chat_id, core::CONTEXT_LINES)?;
    let mut notice = core::ticket_notice(shop, ticket, session, &history, wait);
    let past = Past {
        orders: tx.orders_of(ticket.channel, &ticket.chat_id)?,
        order_count: tx.order_count_of(ticket.channel, &ticket.chat_id)?,
        earlier_tickets: tx
            .tickets_of(ticket.channel, &ticket.chat_id)?
            .iter()
            .filter(|(number, ..)| *number < ticket.number)
            .count(),
    };
    selling::add_to_notice(shop, &mut notice, ticket.number, &past);
    Ok(notice)
}

/// The name the customer sees on an answer from this owner, if the shop signs.
pub(crate) fn signature(shop: &Shop, event: Event<'_>) -> Option<String> {
    selling::signature(shop, event.sender, event.sender_name)
}

/// What `command` reads from the store.
fn load(
    tx: &Tx<'_>,
    shop: &Shop,
    stock: &StockLevels,
    command: &Command,
    now: Timestamp,
) -> Result<OwnerView> {
    let mut view = OwnerView::default();
    match command {
        Command::Tickets => view.open_tickets = tx.open_tickets()?,
        Command::Reply { ticket: number, .. } | Command::Close(number) => {
            view.ticket = tx.ticket(*number)?;
        }
        Command::Canned { ticket: number, .. } | Command::Coupon { ticket: number, .. } => {
            view.ticket = tx.ticket(*number)?;
            if let Some(t) = &view.ticket {
                // A session that cannot be read counts as none: an empty cart,
                // the shop's language.
                view.session = tx
                    .load_session(t.channel, &t.chat_id)?
                    .and_then(|json| serde_json::from_str::<Session>(&json).ok());
            }
        }
        Command::Send {
            ticket: number,
            product,
            variant,
        } => {
            view.ticket = tx.ticket(*number)?;
            if let Some(p) = shop.product(product) {
                view.available = stock.available(p, variant.as_deref());
            }
        }
        Command::Orders(status) => view.orders = tx.orders(*status)?,
        Command::Order(number) => {
            view.order = tx.order(number)?;
            if view.order.is_some() {
                view.feedback = tx.feedback(number)?;
            }
        }
        Command::Status { number, .. } => view.order = tx.order(number)?,
        Command::Refund(number) => {
            view.order = tx.order(number)?;
            view.refunded = tx.refunded_at(number)?.is_some();
        }
        Command::Stock { key, .. } => {
            let (product, variant) = core::stock_target(key);
            view.stock_before = stock.0.get(&stock_key(product, variant)).copied();
        }
        Command::Stats(days) => {
            view.stats = Some(tx.stats(*days, now, &shop.time_zone, shop.currency())?);
        }
        Command::Broadcast(_) => view.consenting = tx.consenting()?,
        Command::HideReview { number, .. } => view.review = tx.review(number)?,
        Command::Help | Command::Usage(_) | Command::Pause | Command::Resume | Command::Reload => {}
    }
    Ok(view)
}

/// Makes the turn's writes; a write the store refuses gives the answer for
/// what it found instead.
fn apply(tx: &Tx<'_>, shop: &Shop, mut turn: OwnerTurn, now: Timestamp) -> Result<Outcome> {
    let mut stock_changed = false;
    let mut rated = Vec::new();
    for effect in std::mem::take(&mut turn.effects) {
        match effect {
            OwnerEffect::CloseTicket(number) => {
                tx.close_ticket(number, now.as_second())?;
            }
            OwnerEffect::TicketAnswered(number) => tx.ticket_answered(number, now.as_second())?,
            OwnerEffect::SetPaused(since) => {
                tx.set_setting(PAUSED, since.map(|s| s.to_string()).as_deref())?;
            }
            OwnerEffect::SetStatus {
                number,
                from,
                status,
                tracking,
            } => {
                let before =
                    tx.set_order_status(&number, status, tracking.as_deref(), now.as_second())?;
                if before.as_ref().map(|o| o.status) != Some(from) {
                    // The store saw another status: decide again over what it saw.
                    let again = core::status_turn(shop, &number, status, tracking, before.as_ref());
                    let moved = again
                        .effects
                        .iter()
                        .any(|e| matches!(e, OwnerEffect::SetStatus { .. }));
                    return Ok(again.into_outcome(moved && status.returns_stock()));
                }
                stock_changed |= status.returns_stock();
            }
            OwnerEffect::Refund(number) => {
                let t = shop.owner_texts();
                let Some(done) = super::digital::refund(tx, &number, now.as_second())? else {
                    let text = t.fill(OwnerPhrase::RefundTwice, &[("number", &number)]);
                    turn.replies.push(Reply::plain(text));
                    continue;
                };
                let stars = done.refund.stars.to_string();
                let mut text = t.fill(
                    OwnerPhrase::RefundDone,
                    &[("number", &number), ("stars", &stars)],
                );
                if !done.revoked.is_empty() {
                    text.push('\n');
                    text.push_str(&t.fill(
                        OwnerPhrase::RefundCodes,
                        &[("codes", &done.revoked.join(", "))],
                    ));
                }
                turn.replies.push(Reply::plain(text));
                turn.customers.push(ToCustomer {
                    customer: done.customer,
                    input: Input::Refunded {
                        refund: done.refund,
                    },
                });
                stock_changed = true;
            }
            OwnerEffect::SetStock { key, qty, product } => {
                if !tx.set_stock(&key, qty)? {
                    return Ok(core::stock_uncounted(shop, &product).into_outcome(false));
                }
                stock_changed = true;
            }
            OwnerEffect::HideReview { number, hidden } => {
                if tx.set_review_hidden(&number, hidden)? {
                    rated.push(number);
                }
            }
        }
    }
    Ok(Outcome {
        rated,
        ..turn.into_outcome(stock_changed)
    })
}
