//! Runs one turn: load the session, call the pure [`conversation::handle`], apply its
//! effects, save the session and queue the replies in the outbox — all in one
//! `BEGIN IMMEDIATE` transaction. Replies are sent only after the commit.

use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::conversation::{
    self, Aside, Effect, Executor, Facts, FeedbackFacts, FunnelStep, Input, MyData, MyOrder,
    OrderBrief, OrderDraft, Reply, Session, Turn,
};
use crate::flood::{FloodGuard, Verdict};
use crate::owner::{self, Command};
use crate::shop::{Phrase, Shop, StockLevels, stock_key};
use crate::store::{self, NewOrder, OrderStatus, PlaceOutcome, Store, Tx};
pub use crate::store::{Order, OutboxRow, Stats};

mod giveup;
mod lookup;
mod outbox;
mod reload;
mod scheduler;
pub use giveup::Origin;
pub use scheduler::INBOX_KEEP_SECONDS;

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot encode a reply: {0}")]
    Json(#[from] serde_json::Error),
}

/// Who a turn is for: the channel and the chat, as text (Matrix ids are strings).
#[derive(Debug, Clone, Copy)]
pub struct Chat<'a> {
    pub channel: &'a str,
    pub chat_id: &'a str,
}

/// Where an input came from on its platform.
#[derive(Debug, Clone, Copy, Default)]
pub struct Event<'a> {
    /// Identifies the platform event (update, callback query, event id);
    /// an event seen before changes nothing.
    pub key: Option<&'a str>,
    /// The platform id of the text message whose button was pressed. A turn that
    /// answers with one message with buttons replaces that message instead of
    /// adding one, so finder steps and cart changes do not flood the chat.
    pub pressed: Option<&'a str>,
    /// Who wrote or pressed: the platform's user id (Telegram's numeric id as
    /// text, a Matrix user id). Owners are recognised by this alone.
    pub sender: Option<&'a str>,
    /// How the owner sees the sender: name and handle.
    pub sender_name: Option<&'a str>,
    /// The platform id of the message this one replies to.
    pub reply_to: Option<&'a str>,
    /// Forwarded from someone else: never an owner's command.
    pub forwarded: bool,
    /// A one-to-one chat with the bot (not a group or a shared room).
    pub direct: bool,
}

/// A queued message: the reply, and the platform message it replaces, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    #[serde(flatten)]
    pub reply: Reply,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<String>,
    /// The number shown on this reply's first button: buttons are numbered across
    /// all the replies of a turn, as the customer may type any of them.
    #[serde(default = "one")]
    pub first_number: usize,
    /// For a notice to the owners: the ticket it belongs to, so that an owner's
    /// reply to it reaches that ticket's customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<i64>,
}

fn one() -> usize {
    1
}

/// What a turn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnResult {
    /// The messages queued in the outbox, in order (to this chat, and to
    /// others: owners, or customers an owner answered).
    Replies(Vec<OutboxRow>),
    /// The event was handled before (same event key): nothing changed.
    Duplicate,
}

/// The engine shared by a channel's tasks; turns run one at a time.
pub type SharedEngine = std::sync::Arc<std::sync::Mutex<Engine>>;

/// The shop, its live stock, and the database: the one writer.
pub struct Engine {
    shop: Shop,
    stock: StockLevels,
    store: Store,
    /// The channels that are running: owner notices go only where they can arrive.
    channels: Vec<&'static str>,
    flood: FloodGuard,
}

impl Engine {
    /// Opens the database, applies migrations and brings stock in line with the shop file.
    pub fn open(shop: Shop, db: &Path) -> Result<Self, EngineError> {
        let mut store = Store::open(db)?;
        store.sync_stock(&shop.configured_stock())?;
        let stock = store.stock_levels()?;
        Ok(Self {
            shop,
            stock,
            store,
            channels: Vec::new(),
            flood: FloodGuard::default(),
        })
    }

    /// Names the channels that are running (`telegram`, `matrix`): owner
    /// notices are queued for these only.
    pub fn set_channels(&mut self, channels: &[&'static str]) {
        self.channels = channels.to_vec();
    }

    pub fn shop(&self) -> &Shop {
        &self.shop
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn stock(&self) -> &StockLevels {
        &self.stock
    }

    /// Whether `sender` is one of the shop's owners on `channel`.
    pub fn is_owner(&self, channel: &str, sender: &str) -> bool {
        owner::is_owner(&self.shop, channel, sender)
    }

    /// The button id behind button `index` of outbox row `row`, if that row was
    /// sent to this very chat on this channel. Anything else (another customer's
    /// row, a row that never existed) is `None`: a forged or stale button. A
    /// database that cannot be read is an error, never an expired button.
    pub fn button_of(
        &self,
        chat: Chat<'_>,
        row: i64,
        index: usize,
    ) -> Result<Option<String>, EngineError> {
        Ok(self
            .sent_to(chat, row)?
            .and_then(|out| out.reply.buttons.into_iter().nth(index).map(|b| b.id)))
    }

    /// The message of outbox row `row`, if that row was written for this very chat.
    fn sent_to(&self, chat: Chat<'_>, row: i64) -> Result<Option<Outgoing>, EngineError> {
        match self.store.outbox_row(row)? {
            Some(row) if row.channel == chat.channel && row.chat_id == chat.chat_id => {
                Ok(Some(outgoing_of(&row)?))
            }
            _ => Ok(None),
        }
    }

    /// Whether an order can still be paid for `amount` cents in `currency`: it
    /// exists, awaits payment and costs exactly that. Checked before the platform
    /// charges the customer; a database error is an error, not a refusal.
    pub fn can_pay(&self, order: &str, amount: i64, currency: &str) -> Result<bool, EngineError> {
        Ok(self.store.order(order)?.is_some_and(|o| {
            o.status.awaits_payment() && o.total.cents() == amount && o.currency == currency
        }))
    }

    /// The button shown with number `number` on platform message `message_id`
    /// of this chat (a Matrix reaction 3️⃣ on a message means its button 3), if
    /// that message is one of ours and has such a button.
    pub fn button_on_message(
        &self,
        chat: Chat<'_>,
        message_id: &str,
        number: usize,
    ) -> Result<Option<String>, EngineError> {
        Ok(self.message(chat, message_id)?.and_then(|out| {
            let index = number.checked_sub(out.first_number)?;
            out.reply.buttons.into_iter().nth(index).map(|b| b.id)
        }))
    }

    /// Whether platform message `message_id` of this chat is one the bot sent.
    pub fn is_our_message(&self, chat: Chat<'_>, message_id: &str) -> Result<bool, EngineError> {
        Ok(self.message(chat, message_id)?.is_some())
    }

    fn message(&self, chat: Chat<'_>, message_id: &str) -> Result<Option<Outgoing>, EngineError> {
        match self
            .store
            .row_of_platform_message(chat.channel, chat.chat_id, message_id)?
        {
            Some(row) => self.sent_to(chat, row),
            None => Ok(None),
        }
    }

    /// Shares the engine between a channel's tasks.
    pub fn shared(self) -> SharedEngine {
        std::sync::Arc::new(std::sync::Mutex::new(self))
    }

    /// Whether this chat has talked to the shop before.
    pub fn has_session(&mut self, chat: Chat<'_>) -> Result<bool, EngineError> {
        Ok(self
            .store
            .write(|tx| tx.load_session(chat.channel, chat.chat_id))?
            .is_some())
    }

    /// Handles one input of one chat, in one transaction.
    pub fn run_turn(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        input: &Input,
        now: Timestamp,
    ) -> Result<TurnResult, EngineError> {
        let is_owner = event
            .sender
            .is_some_and(|s| owner::is_owner(&self.shop, chat.channel, s));
        let command = match input {
            Input::Text(text) if is_owner && !event.forwarded => owner::command::parse(text),
            Input::Button(id) if is_owner => owner::command::parse_button(id),
            _ => None,
        };
        if command == Some(Command::Reload) {
            return self.reload(chat, event, now);
        }
        // Platform chats only: the terminal is the seller themselves.
        let guarded = !is_owner
            && self.channels.contains(&chat.channel)
            && matches!(
                input,
                Input::Text(_)
                    | Input::Button(_)
                    | Input::Stale
                    | Input::Unsupported
                    | Input::Unreadable
            );
        let mut fresh_stock: Option<StockLevels> = None;
        let mut forgotten = false;
        let mut taken = None;
        let Self {
            shop,
            stock,
            store,
            channels,
            flood,
        } = self;
        let result = store.write_with(|tx| -> Result<TurnResult, EngineError> {
            // A redelivered event changes nothing, the flood guard included.
            if let Some(key) = event.key {
                if tx.inbox_seen(chat.channel, key)? {
                    return Ok(TurnResult::Duplicate);
                }
                tx.inbox_record(chat.channel, chat.chat_id, key, now.as_second())?;
            }
            let verdict = if guarded {
                let (verdict, before) = flood.take(chat.channel, chat.chat_id, now);
                taken = Some(before);
                verdict
            } else {
                Verdict::Pass
            };
            tx.clear_unreachable(chat.channel, chat.chat_id)?;
            let mut turn = TurnCx::new(tx, shop, channels, now, stock, &mut fresh_stock);
            let rows = if let Verdict::Drop {
                tell_customer,
                tell_owners,
            } = verdict
            {
                turn.flooded(chat, event, tell_customer, tell_owners)?
            } else if is_owner {
                turn.owner_turn(chat, event, input, command)?
            } else {
                turn.customer_turn(chat, event, input)?
            };
            forgotten = turn.forgotten;
            Ok(TurnResult::Replies(rows))
        });
        let result = match result {
            Ok(result) => result,
            Err(e) => {
                // Nothing of the turn happened: its message will come again.
                if let Some(taken) = taken {
                    self.flood.give_back(taken);
                }
                return Err(e);
            }
        };
        if let Some(stock) = fresh_stock {
            self.stock = stock;
        }
        if forgotten {
            // The log must not keep the erased pages either. The turn is committed
            // whatever happens here: a log that cannot be emptied now is said, not
            // turned into a failed turn.
            match self.store.checkpoint() {
                Ok(true) => {}
                Ok(false) => tracing::info!(
                    "after /forget the write-ahead log is still held by a reader \
                     (Litestream?): its old pages go as the log is reused"
                ),
                Err(e) => tracing::warn!("after /forget the write-ahead log was not emptied: {e}"),
            }
        }
        Ok(result)
    }
}

/// One turn's transaction and what it needs around it.
struct TurnCx<'t, 'c> {
    tx: &'t Tx<'c>,
    shop: &'t Shop,
    channels: &'t [&'static str],
    now: Timestamp,
    cached: &'t StockLevels,
    fresh_stock: &'t mut Option<StockLevels>,
    /// The customer of this turn asked to be forgotten: nothing more is kept.
    forgotten: bool,
}

impl<'t, 'c> TurnCx<'t, 'c> {
    fn new(
        tx: &'t Tx<'c>,
        shop: &'t Shop,
        channels: &'t [&'static str],
        now: Timestamp,
        cached: &'t StockLevels,
        fresh_stock: &'t mut Option<StockLevels>,
    ) -> Self {
        Self {
            tx,
            shop,
            channels,
            now,
            cached,
            fresh_stock,
            forgotten: false,
        }
    }

    fn stock(&self) -> &StockLevels {
        self.fresh_stock.as_ref().unwrap_or(self.cached)
    }

    fn refresh_stock(&mut self) -> Result<(), EngineError> {
        *self.fresh_stock = Some(self.tx.stock_levels()?);
        Ok(())
    }

    /// Queues a notice about the customer of `about` for every owner.
    fn notify(
        &self,
        about: Chat<'_>,
        notice: &owner::Notice,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let mut rows = Vec::new();
        for (channel, chat_id) in owner::destinations(self.tx, self.shop, self.channels)? {
            let out = Outgoing {
                reply: notice.reply.clone(),
                edit: None,
                first_number: 1,
                ticket: notice.ticket,
            };
            let about = [(about.channel, about.chat_id)];
            rows.push(push(self.tx, &channel, &chat_id, &out, self.now, &about)?);
        }
        Ok(rows)
    }

    /// A message from an owner: a command, an answer to a ticket, or (anything
    /// else) the shop's own conversation, as a customer sees it.
    fn owner_turn(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        input: &Input,
        command: Option<Command>,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        if let (true, Some(sender)) = (event.direct, event.sender) {
            self.tx
                .set_owner_room(chat.channel, sender, chat.chat_id, self.now.as_second())?;
        }
        let outcome = match (command, input, event.reply_to) {
            (Some(command), _, _) => {
                owner::run(self.tx, self.shop, self.stock(), command, self.now)?
            }
            (None, Input::Text(text), Some(reply_to)) if !event.forwarded => {
                match self.message_of(chat, reply_to)? {
                    Some(Outgoing {
                        ticket: Some(ticket),
                        ..
                    }) => owner::answer(self.tx, ticket, text, self.now)?,
                    // No ticket behind it, or a message of ours sent just before a
                    // crash and never noted: say so rather than guess.
                    Some(_) | None => owner::unknown_reply(),
                }
            }
            _ => return self.customer_turn(chat, event, input),
        };
        let event = Event {
            pressed: None,
            ..event
        };
        let about: Vec<(&str, &str)> = outcome
            .about
            .iter()
            .map(|(channel, chat_id)| (channel.as_str(), chat_id.as_str()))
            .collect();
        let mut rows =
            queue_replies_about(self.tx, chat, event, outcome.replies, self.now, &about)?;
        if outcome.stock_changed {
            self.refresh_stock()?;
        }
        for to in outcome.customers {
            let customer = Chat {
                channel: &to.channel,
                chat_id: &to.chat_id,
            };
            rows.extend(self.converse(customer, Event::default(), &to.input)?);
        }
        Ok(rows)
    }

    /// The message behind a platform message id of this chat, if it is ours.
    fn message_of(
        &self,
        chat: Chat<'_>,
        message_id: &str,
    ) -> Result<Option<Outgoing>, EngineError> {
        let Some(row) = self
            .tx
            .row_of_platform_message(chat.channel, chat.chat_id, message_id)?
        else {
            return Ok(None);
        };
        match self.tx.outbox_row(row)? {
            Some(row) if row.channel == chat.channel && row.chat_id == chat.chat_id => {
                Ok(Some(outgoing_of(&row)?))
            }
            _ => Ok(None),
        }
    }

    /// A customer's message: the engine loads what the conversation needs to
    /// know beforehand; the conversation decides whether it is relayed into an
    /// open ticket, refused as an owner's, or a turn of the conversation.
    fn customer_turn(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        input: &Input,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let replies_to_owners_notice = match (input, event.reply_to) {
            (Input::Text(_), Some(message)) => self
                .message_of(chat, message)?
                .is_some_and(|out| out.ticket.is_some()),
            _ => false,
        };
        let facts = Facts {
            open_ticket: self
                .tx
                .open_ticket_of(chat.channel, chat.chat_id)?
                .map(|t| t.number),
            replies_to_owners_notice,
        };
        let (session, fresh) = load_session_fresh(self.tx, self.shop, chat, self.now)?;
        match conversation::screen(self.shop, &session, input, &facts) {
            Some(aside) => self.aside(chat, event, &session, aside),
            None => self.converse_from(chat, event, input, session, fresh),
        }
    }

    /// A message answered outside the conversation: its effects (the owners'
    /// notices first), then its replies; the session stays as it was.
    fn aside(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        session: &Session,
        aside: Aside,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let mut notices = Vec::new();
        for effect in aside.effects {
            self.apply(chat, event, session, effect, &mut notices)?;
        }
        let mut rows = Vec::new();
        for notice in notices {
            rows.extend(self.notify(chat, &notice)?);
        }
        let event = Event {
            pressed: None,
            ..event
        };
        rows.extend(queue_replies(
            self.tx,
            chat,
            event,
            aside.replies,
            self.now,
        )?);
        Ok(rows)
    }

    /// One bundled phrase to this chat, in its language, outside the conversation.
    fn say_to(
        &self,
        chat: Chat<'_>,
        event: Event<'_>,
        key: Phrase,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let session = load_session(self.tx, self.shop, chat, self.now)?;
        let text = self.shop.texts(&session.lang).get(key).to_owned();
        let event = Event {
            pressed: None,
            ..event
        };
        queue_replies(self.tx, chat, event, vec![Reply::plain(text)], self.now)
    }

    /// A flooding customer's message, ignored: maybe tell them, maybe the owners.
    fn flooded(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        tell_customer: bool,
        tell_owners: Option<u64>,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let mut rows = Vec::new();
        if tell_customer {
            rows = self.say_to(chat, event, Phrase::TooFast)?;
        }
        if let Some(ignored) = tell_owners {
            let who = customer_name(chat, event);
            rows.extend(self.notify(chat, &owner::flood_notice(chat.channel, &who, ignored))?);
        }
        Ok(rows)
    }

    /// Runs the conversation of one chat on one input: session, effects, replies.
    fn converse(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        input: &Input,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let (session, fresh) = load_session_fresh(self.tx, self.shop, chat, self.now)?;
        self.converse_from(chat, event, input, session, fresh)
    }

    /// [`Self::converse`] with the chat's session loaded (`fresh`: a new one).
    fn converse_from(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        input: &Input,
        mut session: Session,
        fresh: bool,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let (shop, tx, now) = (self.shop, self.tx, self.now);
        chat.channel.clone_into(&mut session.channel);
        record_input(tx, chat, &session, input, now)?;
        let mut notices = Vec::new();
        let mut exec = Exec {
            cx: self,
            chat,
            event,
            notices: &mut notices,
        };
        let Turn {
            session,
            replies,
            steps,
            ..
        } = conversation::run(shop, &session, fresh, input, now, &mut exec)?;
        if self.forgotten {
            let event = Event {
                pressed: None,
                ..event
            };
            return queue_replies(tx, chat, event, replies, now);
        }
        for step in steps {
            tx.record_event(chat.channel, step.as_str(), now.as_second())?;
        }
        tx.save_session(
            chat.channel,
            chat.chat_id,
            &serde_json::to_string(&session)?,
            now.as_second(),
        )?;
        for reply in &replies {
            tx.add_history(
                chat.channel,
                chat.chat_id,
                "bot",
                &reply.text,
                now.as_second(),
            )?;
        }
        let mut rows = queue_replies(tx, chat, event, replies, now)?;
        for notice in notices {
            rows.extend(self.notify(chat, &notice)?);
        }
        Ok(rows)
    }

    /// Applies one effect; returns what the conversation must hear back, if
    /// anything. Notices for the owners are collected in `notices`.
    fn apply(
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
            Effect::LoadOrders => {
                let orders = tx
                    .orders_of(chat.channel, chat.chat_id)?
                    .into_iter()
                    .map(|o| OrderBrief {
                        number: o.number,
                        status: o.status,
                        total: o.total,
                        created_at: o.created_at,
                        items: o.lines.into_iter().map(|l| (l.name, l.qty)).collect(),
                    })
                    .collect();
                Some(Input::Orders(orders))
            }
            Effect::RecordUnanswered { text } => {
                tx.record_unanswered(chat.channel, &text, &session.lang, now.as_second())?;
                None
            }
            Effect::MarkPaid { order, reference } => {
                if tx.mark_paid(&order, &reference)? {
                    notices.push(owner::paid_notice(&order));
                } else {
                    tracing::warn!(order = %order, "payment for an order that is not awaiting payment");
                }
                None
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
                tx.save_feedback(&order, stars, comment.as_deref(), now.as_second())?;
                let who = customer_name(chat, event);
                notices.push(owner::feedback_notice(
                    &order,
                    &who,
                    stars,
                    comment.as_deref(),
                ));
                Some(Input::FeedbackSaved {
                    stars: stars.is_some(),
                    order,
                })
            }
            Effect::Relay {
                ticket,
                text,
                history,
            } => {
                self.relay(chat, ticket, &text, history, notices)?;
                None
            }
            Effect::EndTicket => {
                if let Some(ticket) = tx.open_ticket_of(chat.channel, chat.chat_id)? {
                    tx.close_ticket(ticket.number, now.as_second())?;
                    notices.push(owner::closed_by_customer(&ticket));
                }
                Some(Input::TicketClosed)
            }
        })
    }
}

/// The engine's [`Executor`]: effects applied in the turn's transaction.
struct Exec<'a, 't, 'c, 'x> {
    cx: &'a mut TurnCx<'t, 'c>,
    chat: Chat<'x>,
    event: Event<'x>,
    notices: &'a mut Vec<owner::Notice>,
}

impl Executor for Exec<'_, '_, '_, '_> {
    type Error = EngineError;

    fn stock(&self) -> &StockLevels {
        self.cx.stock()
    }

    fn apply(&mut self, session: &Session, effect: Effect) -> Result<Option<Input>, EngineError> {
        self.cx
            .apply(self.chat, self.event, session, effect, self.notices)
    }
}

impl TurnCx<'_, '_> {
    /// Opens a ticket for the customer of this turn (or finds the open one).
    fn open_ticket(
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
            tx.record_event(
                chat.channel,
                FunnelStep::Escalation.as_str(),
                now.as_second(),
            )?;
            notices.push(owner::ticket_notice(tx, shop, &ticket, session, &wait)?);
        } else if let Some(question) = question {
            notices.push(owner::relay_notice(&ticket, &question));
        }
        Ok(Some(Input::TicketOpened {
            number: ticket.number,
            wait,
        }))
    }

    /// Erases the customer of this turn (`/forget`), by their key.
    fn forget(&mut self, chat: Chat<'_>) -> Result<(), EngineError> {
        let orders = self.tx.forget(chat.channel, chat.chat_id)?;
        tracing::info!(
            channel = chat.channel,
            orders,
            "a customer's data was erased"
        );
        self.forgotten = true;
        Ok(())
    }

    /// Places the order the conversation asks for, and tells the owners.
    fn place_order(
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
            PlaceOutcome::Placed { number, .. } => {
                // The store decremented exactly these lines; mirror that in memory.
                let mut stock = self.stock().clone();
                for line in &order.lines {
                    let key = stock_key(&line.product_id, line.variant.as_deref());
                    *stock.0.entry(key).or_insert(0) -= i64::from(line.qty);
                }
                *self.fresh_stock = Some(stock);
                tx.record_event(chat.channel, FunnelStep::Order.as_str(), now.as_second())?;
                if let Some(granted) = consent {
                    tx.set_consent(chat.channel, chat.chat_id, granted, now.as_second())?;
                }
                if let Some(placed) = tx.order(&number)? {
                    let who = customer_name(chat, event);
                    notices.push(owner::order_notice(shop, &placed, &who));
                }
                Input::OrderPlaced { number }
            }
            PlaceOutcome::AlreadyPlaced { number, .. } => Input::OrderPlaced { number },
            PlaceOutcome::SoldOut { keys } => {
                self.refresh_stock()?;
                Input::OrderRejected { sold_out: keys }
            }
        })
    }

    /// What the conversation needs to know about an order the customer rates.
    fn feedback_facts(&self, chat: Chat<'_>, order: &str) -> Result<FeedbackFacts, EngineError> {
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
    fn relay(
        &self,
        chat: Chat<'_>,
        ticket: i64,
        text: &str,
        history: bool,
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
        if let Some(ticket) = self.tx.ticket(ticket)? {
            notices.push(owner::relay_notice(&ticket, text));
        }
        Ok(())
    }

    /// What the shop keeps about a customer, for `/mydata`.
    fn my_data(&self, chat: Chat<'_>) -> Result<MyData, EngineError> {
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
                    total: o.total,
                    fields: o.fields.into_iter().collect(),
                })
                .collect(),
            tickets: tx.tickets_of(chat.channel, chat.chat_id)?,
            history_lines: tx.history_count(chat.channel, chat.chat_id)?,
            history_days: self.shop.file.shop.history_days,
        })
    }
}

/// How the owners see a customer: the platform's name and handle, else the chat.
fn customer_name(chat: Chat<'_>, event: Event<'_>) -> String {
    event
        .sender_name
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| format!("chat {}", chat.chat_id), str::to_owned)
}

/// Keeps what the customer wrote or pressed, for a ticket's context.
fn record_input(
    tx: &Tx<'_>,
    chat: Chat<'_>,
    session: &Session,
    input: &Input,
    now: Timestamp,
) -> Result<(), EngineError> {
    let (who, text) = match input {
        Input::Text(text) => ("customer", text.clone()),
        Input::Button(id) => match session.buttons.iter().find(|(b, _)| b == id) {
            Some((_, label)) => ("customer", format!("[{label}]")),
            None => return Ok(()),
        },
        Input::OwnerAnswer(text) => ("team", text.clone()),
        _ => return Ok(()),
    };
    tx.add_history(chat.channel, chat.chat_id, who, &text, now.as_second())?;
    Ok(())
}

/// Queues one message for `channel`/`chat_id`; `about` names the customer it
/// quotes when that is someone else (an owner notice).
fn push(
    tx: &Tx<'_>,
    channel: &str,
    chat_id: &str,
    out: &Outgoing,
    now: Timestamp,
    about: &[(&str, &str)],
) -> Result<OutboxRow, EngineError> {
    let payload = serde_json::to_string(out)?;
    Ok(tx.push_outbox(channel, chat_id, &payload, now.as_second(), about)?)
}

/// Writes a turn's replies to the outbox, numbering buttons across the turn; a
/// turn answering a pressed button with one message with buttons replaces that
/// message instead of adding one.
fn queue_replies(
    tx: &Tx<'_>,
    chat: Chat<'_>,
    event: Event<'_>,
    replies: Vec<Reply>,
    now: Timestamp,
) -> Result<Vec<OutboxRow>, EngineError> {
    queue_replies_about(tx, chat, event, replies, now, &[])
}

/// [`queue_replies`] for replies that quote other customers (an owner's listing).
fn queue_replies_about(
    tx: &Tx<'_>,
    chat: Chat<'_>,
    event: Event<'_>,
    replies: Vec<Reply>,
    now: Timestamp,
    about: &[(&str, &str)],
) -> Result<Vec<OutboxRow>, EngineError> {
    let edit = match (event.pressed, replies.as_slice()) {
        (Some(pressed), [only]) if !only.buttons.is_empty() && only.image.is_none() => {
            Some(pressed.to_owned())
        }
        _ => None,
    };
    let mut rows = Vec::with_capacity(replies.len());
    let mut first_number = 1;
    for reply in replies {
        let buttons = reply.buttons.len();
        let out = Outgoing {
            reply,
            edit: edit.clone(),
            first_number,
            ticket: None,
        };
        first_number += buttons;
        rows.push(push(tx, chat.channel, chat.chat_id, &out, now, about)?);
    }
    Ok(rows)
}

/// The chat's session, or a new one (also when the stored one cannot be read).
fn load_session(
    tx: &Tx<'_>,
    shop: &Shop,
    chat: Chat<'_>,
    now: Timestamp,
) -> Result<Session, EngineError> {
    load_session_fresh(tx, shop, chat, now).map(|(session, _)| session)
}

/// The chat's session, and whether it is new (a new conversation).
fn load_session_fresh(
    tx: &Tx<'_>,
    shop: &Shop,
    chat: Chat<'_>,
    now: Timestamp,
) -> Result<(Session, bool), EngineError> {
    let stored = tx.load_session(chat.channel, chat.chat_id)?;
    let parsed = stored.as_deref().map(serde_json::from_str::<Session>);
    Ok(match parsed {
        Some(Ok(session)) => (session, false),
        Some(Err(e)) => {
            tracing::warn!(channel = chat.channel, "unreadable session replaced: {e}");
            (
                Session::new(shop.default_language(), &session_id(now)),
                false,
            )
        }
        None => (
            Session::new(shop.default_language(), &session_id(now)),
            true,
        ),
    })
}

/// A new session's id: part of its orders' idempotency keys.
fn session_id(now: Timestamp) -> String {
    format!("{:x}", now.as_nanosecond())
}

fn new_order(
    shop: &Shop,
    chat: Chat<'_>,
    session: &Session,
    draft: OrderDraft,
    now: Timestamp,
) -> NewOrder {
    NewOrder {
        idempotency_key: format!(
            "{}:{}:{}:{}",
            chat.channel, chat.chat_id, session.id, draft.checkout
        ),
        channel: chat.channel.to_owned(),
        chat_id: chat.chat_id.to_owned(),
        lines: draft.lines,
        subtotal: draft.totals.subtotal,
        discount: draft.totals.discount,
        delivery_price: draft.totals.delivery,
        total: draft.totals.total,
        currency: shop.currency().to_owned(),
        coupon: draft.coupon,
        delivery_id: draft.delivery_id,
        payment_id: draft.payment_id,
        fields: draft.fields,
        language: draft.language,
        created_at: now.as_second(),
    }
}

/// Decodes an outbox payload back into the message to send.
pub fn outgoing_of(row: &OutboxRow) -> Result<Outgoing, serde_json::Error> {
    serde_json::from_str(&row.payload)
}

/// Decodes an outbox payload back into the reply.
pub fn reply_of(row: &OutboxRow) -> Result<Reply, serde_json::Error> {
    outgoing_of(row).map(|o| o.reply)
}
