//! Runs one turn: load the session, call the pure [`conversation::handle`], apply its
//! effects, save the session and queue the replies in the outbox — all in one
//! `BEGIN IMMEDIATE` transaction. Replies are sent only after the commit.

use std::collections::VecDeque;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::conversation::{self, Effect, Input, OrderBrief, OrderDraft, Reply, Session};
use crate::shop::{Shop, StockLevels, stock_key};
use crate::store::{self, NewOrder, OutboxRow, PlaceOutcome, Store, Tx};

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
}

fn one() -> usize {
    1
}

/// What a turn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnResult {
    /// The replies, queued in the outbox, in order.
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
}

impl Engine {
    /// Opens the database, applies migrations and brings stock in line with the shop file.
    pub fn open(shop: Shop, db: &Path) -> Result<Self, EngineError> {
        let mut store = Store::open(db)?;
        store.sync_stock(&shop.configured_stock())?;
        let stock = store.stock_levels()?;
        Ok(Self { shop, stock, store })
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

    /// The button id behind button `index` of outbox row `row`, if that row was
    /// sent to this very chat on this channel. Anything else (another customer's
    /// row, a row that never existed) is `None`: a forged or stale button.
    pub fn button_of(&self, chat: Chat<'_>, row: i64, index: usize) -> Option<String> {
        let out = self.sent_to(chat, row)?;
        out.reply.buttons.into_iter().nth(index).map(|b| b.id)
    }

    /// The message of outbox row `row`, if that row was written for this very chat.
    fn sent_to(&self, chat: Chat<'_>, row: i64) -> Option<Outgoing> {
        let row = self.store.outbox_row(row).ok()??;
        if row.channel != chat.channel || row.chat_id != chat.chat_id {
            return None;
        }
        outgoing_of(&row).ok()
    }

    /// Whether an order can still be paid for `amount` cents in `currency`: it
    /// exists, awaits payment and costs exactly that. Checked before the platform
    /// charges the customer.
    pub fn can_pay(&self, order: &str, amount: i64, currency: &str) -> bool {
        self.store.order(order).ok().flatten().is_some_and(|o| {
            o.status == "new" && o.total.cents() == amount && o.currency == currency
        })
    }

    /// The button shown with number `number` on platform message `message_id`
    /// of this chat (a Matrix reaction 3️⃣ on a message means its button 3), if
    /// that message is one of ours and has such a button.
    pub fn button_on_message(
        &self,
        chat: Chat<'_>,
        message_id: &str,
        number: usize,
    ) -> Option<String> {
        let row = self
            .store
            .row_of_platform_message(chat.channel, chat.chat_id, message_id)
            .ok()??;
        let out = self.sent_to(chat, row)?;
        let index = number.checked_sub(out.first_number)?;
        out.reply.buttons.into_iter().nth(index).map(|b| b.id)
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
        let shop = &self.shop;
        let cached = &self.stock;
        let mut fresh_stock: Option<StockLevels> = None;
        let result = self
            .store
            .write_with(|tx| -> Result<TurnResult, EngineError> {
                if let Some(key) = event.key {
                    if tx.inbox_seen(chat.channel, key)? {
                        return Ok(TurnResult::Duplicate);
                    }
                    tx.inbox_record(chat.channel, key, now.as_second())?;
                }
                tx.clear_unreachable(chat.channel, chat.chat_id)?;
                let mut session = load_session(tx, shop, chat, now)?;
                chat.channel.clone_into(&mut session.channel);
                let mut turn = conversation::handle(shop, cached, &session, input, now);
                let mut replies = std::mem::take(&mut turn.replies);
                let mut pending: VecDeque<Effect> = turn.effects.drain(..).collect();
                let mut session = turn.session;
                while let Some(effect) = pending.pop_front() {
                    let Some(answer) = apply(
                        tx,
                        shop,
                        chat,
                        &session,
                        effect,
                        now,
                        (cached, &mut fresh_stock),
                    )?
                    else {
                        continue;
                    };
                    let stock = fresh_stock.as_ref().unwrap_or(cached);
                    let next = conversation::handle(shop, stock, &session, &answer, now);
                    replies.extend(next.replies);
                    pending.extend(next.effects);
                    session = next.session;
                }
                conversation::remember_buttons(&mut session, &replies);
                tx.save_session(
                    chat.channel,
                    chat.chat_id,
                    &serde_json::to_string(&session)?,
                    now.as_second(),
                )?;
                let rows = queue_replies(tx, chat, event, replies, now)?;
                Ok(TurnResult::Replies(rows))
            })?;
        if let Some(stock) = fresh_stock {
            self.stock = stock;
        }
        Ok(result)
    }
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
        let payload = serde_json::to_string(&Outgoing {
            reply,
            edit: edit.clone(),
            first_number,
        })?;
        first_number += buttons;
        let id = tx.push_outbox(chat.channel, chat.chat_id, &payload, now.as_second())?;
        rows.push(OutboxRow {
            id,
            channel: chat.channel.to_owned(),
            chat_id: chat.chat_id.to_owned(),
            payload,
        });
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
    let stored = tx.load_session(chat.channel, chat.chat_id)?;
    let parsed = stored.as_deref().map(serde_json::from_str::<Session>);
    Ok(match parsed {
        Some(Ok(session)) => session,
        Some(Err(e)) => {
            tracing::warn!(channel = chat.channel, "unreadable session replaced: {e}");
            Session::new(shop.default_language(), &session_id(now))
        }
        None => Session::new(shop.default_language(), &session_id(now)),
    })
}

/// A new session's id: part of its orders' idempotency keys.
fn session_id(now: Timestamp) -> String {
    format!("{:x}", now.as_nanosecond())
}

/// Applies one effect; returns what the conversation must hear back, if anything.
fn apply(
    tx: &Tx<'_>,
    shop: &Shop,
    chat: Chat<'_>,
    session: &Session,
    effect: Effect,
    now: Timestamp,
    (cached, fresh_stock): (&StockLevels, &mut Option<StockLevels>),
) -> Result<Option<Input>, EngineError> {
    Ok(match effect {
        Effect::PlaceOrder(draft) => {
            let order = new_order(shop, chat, session, draft, now);
            match tx.place_order(&order)? {
                PlaceOutcome::Placed { number, .. } => {
                    // The store decremented exactly these lines; mirror that in memory.
                    let mut stock = fresh_stock.take().unwrap_or_else(|| cached.clone());
                    for line in &order.lines {
                        let key = stock_key(&line.product_id, line.variant.as_deref());
                        *stock.0.entry(key).or_insert(0) -= i64::from(line.qty);
                    }
                    *fresh_stock = Some(stock);
                    Some(Input::OrderPlaced { number })
                }
                PlaceOutcome::AlreadyPlaced { number, .. } => Some(Input::OrderPlaced { number }),
                PlaceOutcome::SoldOut { keys } => {
                    *fresh_stock = Some(tx.stock_levels()?);
                    Some(Input::OrderRejected { sold_out: keys })
                }
            }
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
            if !tx.mark_paid(&order, &reference)? {
                tracing::warn!(order = %order, "payment for an order that is not awaiting payment");
            }
            None
        }
        Effect::RequestHuman { question } => {
            let text = question.unwrap_or_else(|| "(asked to talk to a person)".to_owned());
            tx.record_unanswered(chat.channel, &text, &session.lang, now.as_second())?;
            None
        }
    })
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
