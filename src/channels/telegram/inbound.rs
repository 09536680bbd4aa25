//! Long polling: each update becomes one engine turn; button presses are answered
//! at once; the offset moves on only after the turn committed. The turns of one
//! `getUpdates` batch commit together (one fsync, `engine::group`); from the
//! first one that fails, the rest of the batch goes one by one.

use std::time::Duration;

use jiff::Timestamp;
use teloxide::prelude::*;
use teloxide::types::{
    AllowedUpdate, CallbackQuery, ChatKind, MaybeInaccessibleMessage, UpdateKind,
};

use super::{CHANNEL, Link, Redactor, format};
use crate::channels::addressing::{Names, Signals, addressed};
use crate::channels::blocking;
use crate::channels::retry::Policy;
use crate::channels::turns::{self, Settled};
use crate::conversation::Input;
use crate::engine::{Chat, Engine, EngineError, Event, Origin, TurnResult};
use crate::shop::Phrase;

/// Seconds a `getUpdates` call waits for news (below the HTTP client's 17 s timeout).
const POLL_SECONDS: u32 = 10;

/// Says hello to the Bot API until it answers: removes any webhook (polling and
/// webhooks exclude each other) and learns the bot's username. `None` if stopped first.
pub(super) async fn introduce(link: &Link) -> Option<String> {
    let mut backoff = Policy::SEND.backoff();
    loop {
        if *link.stop.borrow() {
            return None;
        }
        let attempt = async {
            link.bot.delete_webhook().await?;
            link.bot.get_me().await
        };
        match attempt.await {
            Ok(me) => return Some(me.username().to_owned()),
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    "telegram: cannot reach the Bot API ({}); retrying in {}s",
                    link.redact.clean(e),
                    delay.as_secs()
                );
                if wait_or_stop(link, delay).await {
                    return None;
                }
            }
        }
    }
}

/// Sleeps, or returns true at once when the channel is asked to stop.
async fn wait_or_stop(link: &Link, delay: Duration) -> bool {
    crate::channels::wait_or_stop(&link.stop, delay).await
}

/// Polls until stopped. Updates are handled one by one, in order, each in its own
/// transaction; an update is confirmed to Telegram (by the next offset) only after.
pub(super) async fn poll_loop(link: &Link, me: &str) {
    let mut offset: i32 = 0;
    let mut backoff = Policy::POLL.backoff();
    let mut stop = link.stop.clone();
    loop {
        let request = link
            .bot
            .get_updates()
            .offset(offset)
            .timeout(POLL_SECONDS)
            .allowed_updates([
                AllowedUpdate::Message,
                AllowedUpdate::CallbackQuery,
                AllowedUpdate::PreCheckoutQuery,
            ]);
        let updates = tokio::select! {
            result = request.send() => result,
            _ = stop.wait_for(|s| *s) => return,
        };
        let updates = match updates {
            Ok(updates) => {
                backoff.reset();
                updates
            }
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    "telegram: getUpdates failed ({}); retrying in {}s",
                    link.redact.clean(e),
                    delay.as_secs()
                );
                if wait_or_stop(link, delay).await {
                    return;
                }
                continue;
            }
        };
        // Button presses are answered at once, whatever follows: the spinners stop.
        for update in &updates {
            if let UpdateKind::CallbackQuery(query) = &update.kind {
                let (link, query) = (link.clone(), query.clone());
                tokio::spawn(async move { answer(&link, &query).await });
            }
        }
        let grouped = group(link, me, &updates).await;
        if let Some(last) = grouped.checked_sub(1).and_then(|i| updates.get(i)) {
            offset = next_offset(last);
        }
        for update in updates.into_iter().skip(grouped) {
            let id = update.id.0;
            // The one rule (channels::turns): the update is confirmed to Telegram
            // (by the next offset) only once its turn committed, or once it was
            // given up with an apology and a report to the owners.
            let origin = origin(&update);
            let attempt = || {
                let (link, me, update) = (link.clone(), me.to_owned(), update.clone());
                async move { handle(&link, &me, update).await }
            };
            match turns::settle(&link.engine, &link.stop, CHANNEL, &origin, attempt).await {
                Settled::Committed => {}
                Settled::GaveUp => link.wake.notify_one(),
                Settled::Stopped => return,
            }
            offset = i32::try_from(id).unwrap_or(i32::MAX).saturating_add(1);
            // A stop waits for the update in hand, never for the next one.
            if *link.stop.borrow() {
                return;
            }
        }
        if *link.stop.borrow() {
            return;
        }
    }
}

/// The offset that confirms `update` and everything before it.
fn next_offset(update: &Update) -> i32 {
    i32::try_from(update.id.0)
        .unwrap_or(i32::MAX)
        .saturating_add(1)
}

/// Runs the leading updates of a batch as one group commit and wakes the sender
/// after it. Returns how many updates of the batch are done (committed, or
/// needing no turn); the rest, from the first that failed or is no plain turn
/// (a payment check), goes one by one.
async fn group(link: &Link, me: &str, updates: &[Update]) -> usize {
    // Translating may panic on a hostile update: that update and the rest go
    // one by one, where a panic is one try's failure.
    let mut turns = Vec::new();
    let mut covered = updates.len();
    for (at, update) in updates.iter().enumerate() {
        let translated =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &update.kind {
                UpdateKind::Message(message) => Some(from_message(message, me)),
                UpdateKind::CallbackQuery(query) => Some(from_callback(query)),
                UpdateKind::PreCheckoutQuery(_) => None,
                _ => Some(None),
            }));
        match translated {
            Ok(Some(Some(turn))) => turns.push((at, turn)),
            Ok(Some(None)) => {}
            Ok(None) | Err(_) => {
                covered = at;
                break;
            }
        }
    }
    // Bytes another platform may need are fetched before the turns.
    for (_, turn) in &mut turns {
        if let Pending::Ready(input) = &mut turn.input {
            super::fetch::for_other_platforms(link, input).await;
        }
    }
    let redact = link.redact.clone();
    turns::run_group(
        &link.engine,
        &link.wake,
        turns,
        covered,
        move |engine, incoming| turn(engine, incoming, &redact),
    )
    .await
}

/// What the give-up needs of an update, read without translating it: the chat,
/// the inbox key (the same as `from_message` and `from_callback` make), the sender.
fn origin(update: &Update) -> Origin {
    let chat_id = update.chat().map(|c| c.id.0.to_string());
    let key = match &update.kind {
        UpdateKind::Message(m) => Some(format!("m:{}:{}", m.chat.id.0, m.id.0)),
        UpdateKind::CallbackQuery(q) => Some(format!("c:{}", q.id.0)),
        _ => None,
    };
    Origin {
        chat_id,
        key,
        sender_name: update.from().map(|u| match u.mention() {
            Some(handle) => format!("{} ({handle})", u.full_name()),
            None => u.full_name(),
        }),
    }
}

/// One update: translate, run the turn, wake the sender. `Err` if the turn failed.
/// A button press was answered when its batch arrived.
async fn handle(link: &Link, me: &str, update: Update) -> Result<(), String> {
    match update.kind {
        UpdateKind::Message(message) => match from_message(&message, me) {
            Some(mut turn) => {
                if let Pending::Ready(input) = &mut turn.input {
                    super::fetch::for_other_platforms(link, input).await;
                }
                run(link, turn).await
            }
            None => Ok(()),
        },
        UpdateKind::PreCheckoutQuery(query) => pre_checkout(link, &query).await,
        UpdateKind::CallbackQuery(query) => match from_callback(&query) {
            Some(turn) => run(link, turn).await,
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Telegram asks, before charging, whether the order can still be paid: it must
/// exist, await payment, and cost exactly the invoice's amount. A database that
/// cannot be read is a failed turn (tried again), never a refusal.
async fn pre_checkout(link: &Link, query: &PreCheckoutQuery) -> Result<(), String> {
    let order = query.invoice_payload.clone();
    let amount = i64::from(query.total_amount);
    let currency = query.currency.clone();
    let refusal = blocking(&link.engine, move |engine| {
        if engine.can_pay(&order, amount, &currency)? {
            Ok(None)
        } else {
            let shop = engine.shop();
            Ok(Some(
                shop.texts(shop.default_language())
                    .get(Phrase::PaymentRefused)
                    .to_owned(),
            ))
        }
    })
    .await
    .ok_or("the payment check panicked")?
    .map_err(|e: EngineError| link.redact.clean(e))?;
    let mut answer = link
        .bot
        .answer_pre_checkout_query(query.id.clone(), refusal.is_none());
    if let Some(reason) = refusal {
        tracing::warn!(order = %query.invoice_payload, "telegram: payment refused before checkout");
        answer = answer.error_message(reason);
    }
    if let Err(e) = answer.await {
        tracing::warn!("telegram: answerPreCheckoutQuery: {}", link.redact.clean(e));
    }
    Ok(())
}

/// Answers a button press; once more after a 429 if Telegram asks to wait.
async fn answer(link: &Link, query: &CallbackQuery) {
    for _ in 0..2 {
        // From the overall budget, before waiting later messages; no chat wait.
        link.pace.answer().await;
        match link.bot.answer_callback_query(query.id.clone()).await {
            Err(teloxide::RequestError::RetryAfter(wait)) => {
                tokio::time::sleep(wait.duration().min(Duration::from_secs(5))).await;
            }
            Err(e) => {
                tracing::debug!("telegram: answerCallbackQuery: {}", link.redact.clean(e));
                return;
            }
            Ok(_) => return,
        }
    }
}

/// An update as the engine needs it.
struct Incoming {
    chat_id: String,
    key: String,
    pressed: Option<String>,
    input: Pending,
    who: Who,
}

/// Who sent an update, and how.
#[derive(Default)]
struct Who {
    /// The user's numeric id, as text.
    sender: Option<String>,
    /// "First Last (@username)".
    name: Option<String>,
    /// The id of the bot's message this one replies to.
    reply_to: Option<String>,
    forwarded: bool,
    direct: bool,
    /// The forum topic it was written in (`message_thread_id`), if any.
    thread: Option<i32>,
    /// Taken only because it was written in a topic: dropped unless the topic
    /// is a customer's and the sender an owner.
    loose: bool,
}

fn who(user: Option<&teloxide::types::User>, private: bool) -> Who {
    Who {
        sender: user.map(|u| u.id.0.to_string()),
        name: user.map(|u| match u.mention() {
            Some(handle) => format!("{} ({handle})", u.full_name()),
            None => u.full_name(),
        }),
        direct: private,
        ..Who::default()
    }
}

/// The input, or a button token still to be resolved against the outbox.
enum Pending {
    Ready(Input),
    Token(String),
}

fn from_message(message: &Message, me: &str) -> Option<Incoming> {
    let chat_id = message.chat.id.0.to_string();
    let key = format!("m:{chat_id}:{}", message.id.0);
    let private = matches!(message.chat.kind, ChatKind::Private(_));
    let mut who = who(message.from.as_ref(), private);
    who.forwarded = message.forward_origin().is_some();
    // In a forum topic every message replies to the topic's first one: no reply.
    who.thread = message
        .thread_id
        .filter(|_| message.is_topic_message)
        .map(|t| t.0.0);
    // Only a reply to one of our own messages can answer a ticket.
    who.reply_to = message
        .reply_to_message()
        .filter(|m| who.thread != Some(m.id.0))
        .filter(|m| {
            m.from.as_ref().is_some_and(|u| {
                u.is_bot
                    && u.username
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(me))
            })
        })
        .map(|m| m.id.0.to_string());
    if let Some(paid) = message.successful_payment() {
        return Some(Incoming {
            chat_id,
            key,
            pressed: None,
            input: Pending::Ready(Input::PaymentReceived {
                order: paid.invoice_payload.clone(),
                reference: paid.telegram_payment_charge_id.0.clone(),
            }),
            who,
        });
    }
    let media = super::media_in::attachment(message);
    let input = match (message.text(), media) {
        // A photo, file, voice note…: from a customer's chat, or in a group
        // (the owners') when it replies to one of our messages.
        (None, Some(attachment)) if private || who.reply_to.is_some() => {
            Input::Media(Box::new(attachment))
        }
        // In a customer's forum topic: theirs if the topic is (checked at the turn).
        (None, Some(attachment)) if who.thread.is_some() => {
            who.loose = true;
            Input::Media(Box::new(attachment))
        }
        (Some(text), _) if private => Input::Text(text.to_owned()),
        // In groups (an owners' group, say) only what is addressed to us: mentions,
        // replies to our messages, commands to us or to nobody in particular.
        (Some(text), _) => {
            let mention = format!("@{me}");
            let names = Names {
                handles: &[&mention],
                prefixes: &[],
            };
            let signals = Signals {
                mentioned: false,
                reply: who.reply_to.is_some(),
            };
            match (addressed(text, &names, signals), who.thread) {
                (Some(addressed), _) => Input::Text(addressed.text),
                (None, Some(_)) => {
                    who.loose = true;
                    Input::Text(text.to_owned())
                }
                (None, None) => return None,
            }
        }
        (None, None) if private => Input::Unsupported,
        (None, _) => return None,
    };
    Some(Incoming {
        chat_id,
        key,
        pressed: None,
        input: Pending::Ready(input),
        who,
    })
}

fn from_callback(query: &CallbackQuery) -> Option<Incoming> {
    let message = query.message.as_ref()?;
    let chat_id = message.chat().id.0.to_string();
    let private = matches!(message.chat().kind, ChatKind::Private(_));
    // Only text messages are edited in place; a photo card keeps its place.
    let pressed = match message {
        MaybeInaccessibleMessage::Regular(m) if m.text().is_some() => Some(m.id.0.to_string()),
        _ => None,
    };
    let mut who = who(Some(&query.from), private);
    // A button in a forum topic: what it answers goes into that topic.
    if let MaybeInaccessibleMessage::Regular(m) = message {
        who.thread = m.thread_id.filter(|_| m.is_topic_message).map(|t| t.0.0);
    }
    Some(Incoming {
        chat_id,
        key: format!("c:{}", query.id.0),
        pressed,
        input: Pending::Token(query.data.clone().unwrap_or_default()),
        who,
    })
}

/// One turn alone (its own transaction), then the sender is woken.
async fn run(link: &Link, incoming: Incoming) -> Result<(), String> {
    let redact = link.redact.clone();
    let done = blocking(&link.engine, move |engine| turn(engine, incoming, &redact)).await;
    match done {
        Some(Ok(_)) => {
            link.wake.notify_one();
            Ok(())
        }
        Some(Err(e)) => Err(e),
        None => Err("the turn panicked".to_owned()),
    }
}

/// Runs an update's turn: resolves a button token, then the engine's turn.
fn turn(engine: &mut Engine, incoming: Incoming, redact: &Redactor) -> Result<TurnResult, String> {
    let chat = Chat {
        channel: CHANNEL,
        chat_id: &incoming.chat_id,
    };
    let input = match incoming.input {
        Pending::Ready(input) => input,
        // A token that does not resolve for this very chat is treated as an
        // expired button: the conversation shows where the customer is.
        Pending::Token(data) => match format::parse_token(&data) {
            Some((row, index)) => engine
                .button_of(chat, row, index)
                .map_err(|e| redact.clean(e))?
                .map_or(Input::Stale, Input::Button),
            None => Input::Stale,
        },
    };
    let who = &incoming.who;
    // An owner's message in a customer's forum topic is about that customer's ticket.
    let ticket = match (who.thread, who.sender.as_deref()) {
        (Some(thread), Some(sender)) if engine.is_owner(CHANNEL, sender) => engine
            .topic_ticket(&incoming.chat_id, thread)
            .map_err(|e| redact.clean(e))?,
        _ => None,
    };
    if who.loose && ticket.is_none() {
        return Ok(TurnResult::Replies(Vec::new()));
    }
    let event = Event {
        key: Some(&incoming.key),
        pressed: incoming.pressed.as_deref(),
        sender: who.sender.as_deref(),
        sender_name: who.name.as_deref(),
        reply_to: who.reply_to.as_deref(),
        forwarded: who.forwarded,
        direct: who.direct,
        ticket,
        language: None,
    };
    engine
        .run_turn(chat, event, &input, Timestamp::now())
        .map_err(|e| redact.clean(e))
}
