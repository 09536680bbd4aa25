//! Runs one turn: load the session, call the pure [`crate::conversation::run`], apply its
//! effects, save the session and queue the replies in the outbox — all in one
//! `BEGIN IMMEDIATE` transaction. Replies are sent only after the commit.
//!
//! The engine decides nothing: it loads, calls the pure code, applies, commits.
//! `dispatch.rs` routes a turn (owner, customer, flooded), `effects.rs` applies
//! the conversation's effects (the `SQLite` [`crate::conversation::Executor`]),
//! `owner.rs` loads an owner command's view and applies its writes,
//! `session.rs` loads the session and builds orders, `outbox.rs` queues and
//! decodes messages, `lookup.rs` is all a channel adapter may ask,
//! `scheduler.rs` runs follow-ups and purges, `reload.rs` is `/reload`,
//! `giveup.rs` ends a poison event, `group.rs` commits turns that arrive
//! together in one transaction (see [`Engine::run_turns`]).

use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use crate::channel::{Channel, ChatKey};
use crate::conversation::{Input, Reply};
use crate::flood::{FloodGuard, Verdict};
use crate::owner::Command;
use crate::shop::{Shop, StockLevels};
use crate::spool::Spool;
use crate::store::{self, Ratings, Store};
pub use crate::store::{Order, OutboxRow, Stats};

mod digital;
mod dispatch;
mod effects;
mod giveup;
mod group;
mod lookup;
mod media;
mod outbox;
mod owner;
mod ratings;
mod reload;
mod scheduler;
mod session;
mod spool_trash;
mod topics;
pub use giveup::Origin;
pub use group::{Shared, WriteFn};
pub use media::MediaKey;
pub use outbox::{outgoing_of, reply_of};
pub use scheduler::INBOX_KEEP_SECONDS;

use dispatch::TurnCx;
use effects::Exec;
use outbox::queue_replies;

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot encode a reply: {0}")]
    Json(#[from] serde_json::Error),
    /// This turn changes more than the database (`/reload`): it runs alone,
    /// never inside a group.
    #[error("this turn runs alone, outside a group commit")]
    RunsAlone,
}

/// Who a turn is for: the channel and the chat, as text (Matrix ids are strings).
/// Borrowed for one turn; [`ChatKey`] is the owned name of a chat.
#[derive(Debug, Clone, Copy)]
pub struct Chat<'a> {
    pub channel: Channel,
    pub chat_id: &'a str,
}

impl Chat<'_> {
    /// The owned key of this chat.
    pub fn key(self) -> ChatKey {
        ChatKey::new(self.channel, self.chat_id)
    }
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
    /// The ticket this message is about by where it was written (an owner's
    /// message in a customer's forum topic): answered like a reply to its notice.
    pub ticket: Option<i64>,
    /// The language the customer's platform prefers (a web browser's, among
    /// the shop's): a new conversation starts in it.
    pub language: Option<&'a str>,
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
pub type SharedEngine = std::sync::Arc<Shared>;

/// The shop, its live stock, and the database: the one writer.
pub struct Engine {
    shop: Shop,
    stock: StockLevels,
    /// The products' ratings for the cards (see `ratings.rs`).
    ratings: Ratings,
    store: Store,
    /// The channels that are running: owner notices go only where they can arrive.
    channels: Vec<Channel>,
    flood: FloodGuard,
    /// While a group is open: what its turns changed in memory.
    ledger: Option<group::Ledger>,
    /// Test-only fault point ([`group::ABORT_ENV`]).
    abort_in_group: Option<usize>,
    /// Where attachment bytes fetched for another platform are kept.
    spool: Spool,
}

impl Engine {
    /// Opens the database, applies migrations and brings stock in line with the shop file.
    pub fn open(shop: Shop, db: &Path) -> Result<Self, EngineError> {
        let mut store = Store::open(db)?;
        store.sync_stock(&shop.configured_stock())?;
        let ratings = store.ratings(ratings::shown(&shop))?;
        let mut engine = Self {
            shop,
            stock: StockLevels::default(),
            ratings,
            store,
            channels: Vec::new(),
            flood: FloodGuard::default(),
            ledger: None,
            abort_in_group: group::abort_in_group(),
            spool: Spool::beside(db),
        };
        engine.prepare_digital()?;
        engine.stock = engine.store.stock_levels()?;
        Ok(engine)
    }

    /// Names the channels that are running (`telegram`, `matrix`): owner
    /// notices are queued for these only.
    pub fn set_channels(&mut self, channels: &[Channel]) {
        self.channels = channels.to_vec();
    }

    pub fn shop(&self) -> &Shop {
        &self.shop
    }

    /// The channels that are running.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// Where attachment bytes fetched for another platform are kept.
    pub fn spool(&self) -> &Spool {
        &self.spool
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

    /// The products' ratings as the cards show them now.
    pub fn ratings(&self) -> &Ratings {
        &self.ratings
    }

    /// Whether `sender` is one of the shop's owners on `channel`.
    pub fn is_owner(&self, channel: Channel, sender: &str) -> bool {
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

    /// Whether an order can still be paid for `amount` cents in `currency` (or
    /// `amount` Stars in `XTR`): it exists, awaits payment and costs exactly that. Checked before the platform
    /// charges the customer; a database error is an error, not a refusal.
    pub fn can_pay(&self, order: &str, amount: i64, currency: &str) -> Result<bool, EngineError> {
        Ok(self.store.order(order)?.is_some_and(|o| {
            // An order priced in Stars is paid in Stars only, and the reverse.
            let price = match o.stars {
                Some(stars) => currency == crate::shop::stars::XTR && i64::from(stars) == amount,
                None => o.total.cents() == amount && o.currency == currency,
            };
            o.status.awaits_payment() && price
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
        let row = self
            .store
            .message_row(chat.channel, chat.chat_id, message_id)?;
        Ok(row.as_ref().map(outgoing_of).transpose()?)
    }

    /// Shares the engine between a channel's tasks.
    pub fn shared(self) -> SharedEngine {
        std::sync::Arc::new(Shared::new(self))
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
            if self.ledger.is_some() {
                return Err(EngineError::RunsAlone);
            }
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
        let mut fresh_ratings: Option<Ratings> = None;
        let mut forgotten = false;
        let mut taken = None;
        let Self {
            shop,
            stock,
            ratings: cached_ratings,
            store,
            channels,
            flood,
            ..
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
            let mut turn = TurnCx::new(tx, shop, channels, now, stock, &mut fresh_stock)
                .with_ratings(cached_ratings);
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
            fresh_ratings =
                ratings::refreshed(tx, shop, cached_ratings, &turn.rated, turn.forgotten)?;
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
            let before = std::mem::replace(&mut self.stock, stock);
            if let Some(ledger) = &mut self.ledger {
                ledger.stock_before.get_or_insert(before);
            }
        }
        self.swap_ratings(fresh_ratings);
        if let Some(ledger) = &mut self.ledger {
            // Durable only when the group commits: undone if it does not, and
            // the log emptied after the commit.
            ledger.taken.extend(taken);
            ledger.forgotten |= forgotten;
            return Ok(result);
        }
        if forgotten {
            // The log must not keep the erased pages either. The turn is committed
            // whatever happens here: a log that cannot be emptied now is said, not
            // turned into a failed turn.
            // The files first: taking them out of the trash writes to the log.
            self.empty_spool_trash();
            self.checkpoint_after_forget();
        }
        Ok(result)
    }

    /// After `/forget`: the write-ahead log must not keep the erased pages.
    fn checkpoint_after_forget(&self) {
        match self.store.checkpoint() {
            Ok(true) => {}
            Ok(false) => tracing::info!(
                "after /forget the write-ahead log is still held by a reader \
                 (Litestream?): its old pages go as the log is reused"
            ),
            Err(e) => tracing::warn!("after /forget the write-ahead log was not emptied: {e}"),
        }
    }
}
