//! The scheduler's round: purges what is past its time, then each follow-up
//! that is due (cart reminders, feedback requests), each in its own transaction.

use jiff::Timestamp;

use super::{Chat, Engine, EngineError, Event, TurnCx};
use crate::channel::ChatKey;
use crate::conversation::{Input, Session};

/// How long an event's key is kept to recognise it delivered again: Telegram
/// keeps an unconfirmed update 24 hours; a Matrix sync resumes from the last
/// committed position. A week is well past both.
pub const INBOX_KEEP_SECONDS: i64 = 7 * 86_400;

/// A follow-up that may be due: its kind, what it is about, and whom.
struct DueFollowup {
    kind: &'static str,
    reference: String,
    customer: ChatKey,
}

impl Engine {
    /// The scheduler's round, run every half minute by `shopbot run`: purges what
    /// is past its time (conversation history, old inbox keys and sent messages),
    /// then sends the follow-ups that are due — each once (the `followups` table
    /// remembers it in the same transaction), late after downtime, or never when
    /// later than `late_limit_hours`. Each follow-up is its own transaction, so one
    /// that fails (logged) holds back no one else's and is tried again next round.
    /// Returns how many follow-ups were queued.
    pub fn tick(&mut self, now: Timestamp) -> Result<usize, EngineError> {
        let at = now.as_second();
        let keep = i64::from(self.shop.file.shop.history_days) * 86_400;
        self.store.write(|tx| {
            tx.purge_spool_files(at - keep)?;
            tx.purge(at - keep, at - INBOX_KEEP_SECONDS)
        })?;
        self.empty_spool_trash();
        let mut sent = 0;
        let mut failed = None;
        for due in self.due_followups(now)? {
            match self.followup(&due, now) {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(
                        channel = %due.customer.channel,
                        kind = due.kind,
                        "a follow-up failed; it is tried again at the next round: {e}"
                    );
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            Some(e) if sent == 0 => Err(e),
            _ => Ok(sent),
        }
    }

    /// The follow-ups that may be due now, not yet claimed (read only).
    fn due_followups(&mut self, now: Timestamp) -> Result<Vec<DueFollowup>, EngineError> {
        let at = now.as_second();
        let followups = &self.shop.file.followups;
        let late = i64::from(followups.late_limit_hours) * 3_600;
        let channels = &self.channels;
        let reminders = followups.cart_reminder_hours;
        let feedback = followups.feedback_after_hours;
        Ok(self.store.write(|tx| {
            let mut due = Vec::new();
            if let Some(hours) = reminders {
                let due_before = at - i64::from(hours) * 3_600;
                for cart in tx.idle_carts(due_before - late, due_before)? {
                    let Ok(session) = serde_json::from_str::<Session>(&cart.data) else {
                        continue;
                    };
                    if channels.contains(&cart.channel) {
                        due.push(DueFollowup {
                            kind: "cart",
                            reference: format!("{}:{}", session.id, session.checkouts),
                            customer: ChatKey::new(cart.channel, cart.chat_id),
                        });
                    }
                }
            }
            if let Some(hours) = feedback {
                let due_before = at - i64::from(hours) * 3_600;
                for (order, customer) in tx.delivered_between(due_before - late, due_before)? {
                    if channels.contains(&customer.channel) {
                        due.push(DueFollowup {
                            kind: "feedback",
                            reference: order,
                            customer,
                        });
                    }
                }
            }
            Ok(due)
        })?)
    }

    /// Claims and sends one follow-up in its own transaction; false when it was
    /// claimed before or is not for this customer (an open ticket; a reminder
    /// to someone who refused offers).
    fn followup(&mut self, due: &DueFollowup, now: Timestamp) -> Result<bool, EngineError> {
        let mut fresh_stock = None;
        let Self {
            shop,
            stock,
            ratings,
            store,
            channels,
            ..
        } = self;
        let sent = store.write_with(|tx| -> Result<bool, EngineError> {
            let (channel, chat_id) = (due.customer.channel, due.customer.chat_id.as_str());
            if !tx.claim_followup(due.kind, channel, chat_id, &due.reference, now.as_second())? {
                return Ok(false);
            }
            let input = match due.kind {
                "cart" => {
                    if tx.open_ticket_of(channel, chat_id)?.is_some() {
                        return Ok(false);
                    }
                    // A coupon is an offer: only with consent, never after /stop.
                    // Who never answered gets the reminder without it; who said
                    // no (or /stop) gets none.
                    let coupon = match tx.consent(channel, chat_id)? {
                        Some((true, _)) => shop.file.followups.cart_reminder_coupon.clone(),
                        Some((false, _)) => return Ok(false),
                        None => None,
                    };
                    Input::CartReminder { coupon }
                }
                _ => Input::FeedbackRequest {
                    order: due.reference.clone(),
                },
            };
            let mut turn =
                TurnCx::new(tx, shop, channels, now, stock, &mut fresh_stock).with_ratings(ratings);
            turn.converse(Chat { channel, chat_id }, Event::default(), &input)?;
            Ok(true)
        })?;
        if let Some(stock) = fresh_stock {
            self.stock = stock;
        }
        Ok(sent)
    }
}
