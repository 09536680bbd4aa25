//! Applies the conversation's effects in the turn's transaction: orders,
//! tickets, feedback, `/mydata` and `/forget`.

use super::dispatch::{TurnCx, customer_name};
use super::owner;
use super::session::new_order;
use super::{Chat, EngineError, Event};
use crate::attachment::Attachment;
use crate::conversation::{
    Effect, Executor, FeedbackFacts, FunnelStep, Input, MyData, MyOrder, OrderBrief, OrderDraft,
    Session,
};
use crate::shop::{StockLevels, stock_key};
use crate::store::{OrderStatus, PlaceOutcome, Ratings};

impl TurnCx<'_, '_> {
    /// Applies one effect; returns what the conversation must hear back, if
    /// anything. Notices for the owners are collected in `notices`.
    pub(super) fn apply(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        session: &Session,
        effect: Effect,
        notices: &mut Vec<owner::Notice>,
    ) -> Result<Option<Input>, EngineError> {
        let (tx, now) = (self.tx, self.now);
        Ok(match effect {
            Effect::PlaceOrder(draft) => {
                Some(self.place_order(chat, event, session, draft, notices)?)
            }
            Effect::LoadOrders => Some(Input::Orders(self.order_briefs(chat)?)),
            Effect::RecordUnanswered { text } => {
                tx.record_unanswered(
                    chat.channel,
                    chat.chat_id,
                    &text,
                    &session.lang,
                    now.as_second(),
                )?;
                None
            }
            Effect::MarkPaid { order, reference } => {
                let goods = if tx.mark_paid(&order, &reference)? {
                    notices.push(owner::paid_notice(self.shop, &order));
                    self.goods(chat, &order, false, notices)?
                } else {
                    tracing::warn!(order = %order, "payment for an order that is not awaiting payment");
                    None
                };
                Some(Input::PaymentRecorded { order, goods })
            }
            Effect::Deliver { order, again } => {
                self.goods(chat, &order, again, notices)?.map(Input::Goods)
            }
            Effect::RequestHuman { question } => {
                self.open_ticket(chat, event, session, question, notices)?
            }
            Effect::MyData => Some(Input::MyData(Box::new(self.my_data(chat)?))),
            Effect::Forget => {
                self.forget(chat)?;
                Some(Input::Forgotten)
            }
            Effect::WithdrawConsent => {
                tx.set_consent(chat.channel, chat.chat_id, false, now.as_second())?;
                None
            }
            Effect::CheckFeedback {
                order,
                stars,
                comment,
            } => Some(Input::FeedbackChecked {
                facts: self.feedback_facts(chat, &order)?,
                order,
                stars,
                comment,
            }),
            Effect::SaveFeedback {
                order,
                stars,
                comment,
            } => {
                Some(self.save_feedback(chat, event, order, stars, comment.as_deref(), notices)?)
            }
            Effect::Relay {
                ticket,
                text,
                history,
                attachment,
            } => {
                self.relay(chat, ticket, &text, history, attachment, notices)?;
                None
            }
            Effect::EndTicket => {
                if let Some(ticket) = tx.open_ticket_of(chat.channel, chat.chat_id)? {
                    tx.close_ticket(ticket.number, now.as_second())?;
                    notices.push(owner::closed_by_customer(self.shop, &ticket));
                }
                Some(Input::TicketClosed)
            }
        })
    }
}

/// The engine's [`Executor`]: effects applied in the turn's transaction.
pub(super) struct Exec<'a, 't, 'c, 'x> {
    pub(super) cx: &'a mut TurnCx<'t, 'c>,
    pub(super) chat: Chat<'x>,
    pub(super) event: Event<'x>,
    pub(super) notices: &'a mut Vec<owner::Notice>,
}

impl Executor for Exec<'_, '_, '_, '_> {
    type Error = EngineError;

    fn stock(&self) -> &StockLevels {
        self.cx.stock()
    }

    fn ratings(&self) -> &Ratings {
        self.cx.ratings
    }

    fn apply(&mut self, session: &Session, effect: Effect) -> Result<Option<Input>, EngineError> {
        self.cx
            .apply(self.chat, self.event, session, effect, self.notices)
    }
}

impl TurnCx<'_, '_> {
    /// Opens a ticket for the customer of this turn (or finds the open one).
    pub(super) fn open_ticket(
        &self,
        chat: Chat<'_>,
        event: Event<'_>,
        session: &Session,
        question: Option<String>,
        notices: &mut Vec<owner::Notice>,
    ) -> Result<Option<Input>, EngineError> {
        let (shop, tx, now) = (self.shop, self.tx, self.now);
        let wait = owner::ticket_wait(tx, shop, now)?;
        let who = customer_name(chat, event);
        let opened = tx.open_ticket(
            chat.channel,
            chat.chat_id,
            &who,
            question.as_deref(),
            now.as_second(),
        )?;
        let ticket = match opened {
            Some(number) => tx.ticket(number)?,
            None => tx.open_ticket_of(chat.channel, chat.chat_id)?,
        };
        let Some(ticket) = ticket else {
            return Ok(None);
        };
        if opened.is_some() {
            tx.record_event_from(
                chat.channel,
                FunnelStep::Escalation.as_str(),
                session.source.as_deref(),
                now.as_second(),
            )?;
            notices.push(owner::ticket_notice(tx, shop, &ticket, session, &wait)?);
        } else if let Some(question) = question {
            notices.push(owner::relay_notice(shop, &ticket, &question, None));
        }
        Ok(Some(Input::TicketOpened {
            number: ticket.number,
            wait,
        }))
    }

    /// Erases the customer of this turn (`/forget`), by their key.
    pub(super) fn forget(&mut self, chat: Chat<'_>) -> Result<(), EngineError> {
        let orders = self.tx.forget(chat.channel, chat.chat_id)?;
        tracing::info!(
            channel = %chat.channel,
            orders,
            "a customer's data was erased"
        );
        self.forgotten = true;
        Ok(())
    }

    /// Places the order the conversation asks for, and tells the owners.
    pub(super) fn place_order(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        session: &Session,
        draft: OrderDraft,
        notices: &mut Vec<owner::Notice>,
    ) -> Result<Input, EngineError> {
        let (shop, tx, now) = (self.shop, self.tx, self.now);
        let consent = draft.consent;
        let order = new_order(shop, chat, session, draft, now);
        Ok(match tx.place_order(&order)? {
            PlaceOutcome::Placed { number, order_id } => {
                // The store decremented exactly these lines; mirror that in memory.
                let mut stock = self.stock().clone();
                for line in &order.lines {
                    let key = stock_key(&line.product_id, line.variant.as_deref());
                    *stock.0.entry(key).or_insert(0) -= i64::from(line.qty);
                }
                *self.fresh_stock = Some(stock);
                tx.record_event_from(
                    chat.channel,
                    FunnelStep::Order.as_str(),
                    session.source.as_deref(),
                    now.as_second(),
                )?;
                if let Some(source) = &session.source {
                    tx.set_order_source(order_id, source)?;
                }
                if let Some(granted) = consent {
                    tx.set_consent(chat.channel, chat.chat_id, granted, now.as_second())?;
                }
                if let Some(placed) = tx.order(&number)? {
                    let who = customer_name(chat, event);
                    notices.push(owner::order_notice(shop, &placed, &who));
                }
                self.pool_notices(&order.lines, notices)?;
                Input::OrderPlaced { number }
            }
            PlaceOutcome::AlreadyPlaced { number, .. } => Input::OrderPlaced { number },
            PlaceOutcome::SoldOut { keys } => {
                self.refresh_stock()?;
                Input::OrderRejected { sold_out: keys }
            }
        })
    }

    /// The customer's latest orders, as "my orders" shows them.
    fn order_briefs(&self, chat: Chat<'_>) -> Result<Vec<OrderBrief>, EngineError> {
        let mut orders = Vec::new();
        for o in self.tx.orders_of(chat.channel, chat.chat_id)? {
            orders.push(OrderBrief {
                resendable: self.tx.delivered_digital(&o.number)?,
                number: o.number,
                status: o.status,
                total: o.placed.total,
                created_at: o.placed.created_at,
                items: o
                    .placed
                    .lines
                    .into_iter()
                    .map(|l| (l.name, l.qty))
                    .collect(),
            });
        }
        Ok(orders)
    }

    /// Stores feedback (the order's products' ratings move with its stars)
    /// and tells the owners.
    pub(super) fn save_feedback(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        order: String,
        stars: Option<u8>,
        comment: Option<&str>,
        notices: &mut Vec<owner::Notice>,
    ) -> Result<Input, EngineError> {
        self.tx
            .save_feedback(&order, stars, comment, self.now.as_second())?;
        self.rated.push(order.clone());
        let who = customer_name(chat, event);
        notices.push(owner::feedback_notice(
            self.shop, &order, &who, stars, comment,
        ));
        Ok(Input::FeedbackSaved {
            stars: stars.is_some(),
            order,
        })
    }

    /// What the conversation needs to know about an order the customer rates.
    pub(super) fn feedback_facts(
        &self,
        chat: Chat<'_>,
        order: &str,
    ) -> Result<FeedbackFacts, EngineError> {
        let found = self.tx.order(order)?;
        Ok(FeedbackFacts {
            theirs: found
                .as_ref()
                .is_some_and(|o| o.channel == chat.channel && o.chat_id == chat.chat_id),
            delivered: found
                .as_ref()
                .is_some_and(|o| o.status == OrderStatus::Delivered),
            rated: self.tx.feedback(order)?.is_some(),
        })
    }

    /// Relays a customer's message into their open ticket, for the owners.
    pub(super) fn relay(
        &self,
        chat: Chat<'_>,
        ticket: i64,
        text: &str,
        history: bool,
        attachment: Option<Box<Attachment>>,
        notices: &mut Vec<owner::Notice>,
    ) -> Result<(), EngineError> {
        if history {
            self.tx.add_history(
                chat.channel,
                chat.chat_id,
                "customer",
                text,
                self.now.as_second(),
            )?;
        }
        // Bytes kept for another platform are this customer's (for `/forget`).
        if let Some(sha256) = attachment.as_ref().and_then(|a| a.stored.as_deref()) {
            self.tx
                .add_spool_file(sha256, chat.channel, chat.chat_id, self.now.as_second())?;
        }
        if let Some(ticket) = self.tx.ticket(ticket)? {
            notices.push(owner::relay_notice(self.shop, &ticket, text, attachment));
        }
        Ok(())
    }

    /// What the shop keeps about a customer, for `/mydata`.
    pub(super) fn my_data(&self, chat: Chat<'_>) -> Result<MyData, EngineError> {
        let tx = self.tx;
        Ok(MyData {
            chat: format!("{} {}", chat.channel, chat.chat_id),
            consent: tx.consent(chat.channel, chat.chat_id)?,
            orders: tx
                .orders_of(chat.channel, chat.chat_id)?
                .into_iter()
                .map(|o| MyOrder {
                    number: o.number,
                    status: o.status,
                    total: o.placed.total,
                    fields: o.placed.fields.into_iter().collect(),
                })
                .collect(),
            tickets: tx.tickets_of(chat.channel, chat.chat_id)?,
            history_lines: tx.history_count(chat.channel, chat.chat_id)?,
            history_days: self.shop.file.shop.history_days,
        })
    }
}
