//! One forum topic per customer in the owners' group, when `[owners]
//! telegram_chat` is a forum supergroup (`getChat` says `is_forum`, asked once).
//!
//! A message about a ticket (the outbox row's `ticket`) goes into its customer's
//! topic: created on the first one (named after the customer, and recorded
//! before anything is sent into it), reopened when a ticket is open again,
//! closed once the customer has no open ticket and nothing about them waits,
//! recreated when it was deleted by hand ("message thread not found"), deleted
//! after `/forget`. A crash between creating a topic and recording it leaves
//! an empty topic behind and creates another one: no message is lost.
//! Topic names are the customers' names: they are never logged.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{ChatFullInfoKind, ChatFullInfoPublicKind, MessageId, ThreadId};

use super::Link;
use crate::channel::ChatKey;
use crate::channels::blocking;
use crate::engine::Outgoing;

/// Telegram's limit on a topic's name (UTF-16 units, counted strictly).
pub(super) const NAME_LIMIT: usize = 128;

/// The owners' group and what Telegram said about it.
#[derive(Default)]
pub(super) struct Forums {
    /// `[owners] telegram_chat`, read at start.
    owners: Option<i64>,
    /// Whether a chat is a forum, asked once per run.
    is_forum: Mutex<HashMap<i64, bool>>,
    /// Topics Telegram would not close or delete (no right to): not asked
    /// again until the next start.
    refused: Mutex<HashSet<i32>>,
    /// When the topics were last looked at for closing and deleting.
    settled: Mutex<Option<Instant>>,
}

impl Forums {
    pub(super) fn new(owners: Option<i64>) -> Self {
        Self {
            owners,
            is_forum: Mutex::default(),
            refused: Mutex::default(),
            settled: Mutex::default(),
        }
    }
}

/// A topic's name from a customer's name: no control characters, at most
/// [`NAME_LIMIT`] UTF-16 units (never half a character), never empty.
pub(super) fn topic_name(customer: &str) -> String {
    let cleaned: String = customer
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut name = String::new();
    let mut units = 0;
    for c in cleaned.trim().chars() {
        units += c.len_utf16();
        if units > NAME_LIMIT {
            break;
        }
        name.push(c);
    }
    let name = name.trim_end().to_owned();
    if name.is_empty() {
        "Customer".to_owned()
    } else {
        name
    }
}

/// Whether `chat` is the owners' group and a forum (asked once; a failed
/// `getChat` is asked again next time).
async fn is_forum(link: &Link, chat: ChatId) -> bool {
    if link.forums.owners != Some(chat.0) {
        return false;
    }
    if let Some(known) = lock(&link.forums.is_forum).get(&chat.0) {
        return *known;
    }
    match link.bot.get_chat(chat).await {
        Ok(info) => {
            let forum = matches!(&info.kind, ChatFullInfoKind::Public(public)
                if matches!(&public.kind, ChatFullInfoPublicKind::Supergroup(s) if s.is_forum));
            lock(&link.forums.is_forum).insert(chat.0, forum);
            forum
        }
        Err(e) => {
            tracing::warn!(
                "telegram: getChat of the owners' group: {}",
                link.redact.clean(e)
            );
            false
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The topic `out` goes into, in chat `chat`: `None` when it belongs in no
/// topic (not the owners' forum, no ticket) or when no topic could be had (it
/// then goes to the General topic rather than nowhere).
pub(super) async fn thread_for(link: &Link, chat: ChatId, out: &Outgoing) -> Option<ThreadId> {
    let ticket = out.ticket?;
    if !is_forum(link, chat).await {
        return None;
    }
    let owners = chat.0.to_string();
    let found = blocking(&link.engine, move |engine| {
        engine.ticket_topic(&owners, ticket)
    })
    .await;
    let ticket = match found {
        Some(Ok(Some(found))) => found,
        Some(Ok(None)) | None => return None,
        Some(Err(e)) => {
            tracing::error!("telegram: cannot read the forum topics: {e}");
            return None;
        }
    };
    match ticket.topic {
        Some(topic) if topic.closed && ticket.open => {
            let thread = ThreadId(MessageId(topic.thread_id));
            match call(link, || link.bot.reopen_forum_topic(chat, thread)).await {
                Ok(()) => {
                    note_closed(link, chat, topic.thread_id, false).await;
                    Some(thread)
                }
                Err(e) if gone(&e) => {
                    forget(link, chat, topic.thread_id).await;
                    create(link, chat, &ticket.customer, &ticket.name).await
                }
                Err(e) => {
                    tracing::warn!("telegram: cannot reopen a topic: {}", link.redact.clean(e));
                    Some(thread)
                }
            }
        }
        Some(topic) => Some(ThreadId(MessageId(topic.thread_id))),
        None => create(link, chat, &ticket.customer, &ticket.name).await,
    }
}

/// After "message thread not found" (deleted by hand): forgets the topic and
/// makes the customer a new one.
pub(super) async fn replace(
    link: &Link,
    chat: ChatId,
    lost: ThreadId,
    out: &Outgoing,
) -> Option<ThreadId> {
    forget(link, chat, lost.0.0).await;
    thread_for(link, chat, out).await
}

/// After `TOPIC_CLOSED` (closed by hand, and the bot is no admin): reopens it.
pub(super) async fn reopen(link: &Link, chat: ChatId, thread: ThreadId) -> bool {
    match call(link, || link.bot.reopen_forum_topic(chat, thread)).await {
        Ok(()) => {
            note_closed(link, chat, thread.0.0, false).await;
            true
        }
        Err(e) => {
            tracing::warn!("telegram: cannot reopen a topic: {}", link.redact.clean(e));
            false
        }
    }
}

/// Creates the customer's topic and records it before anything is sent into it.
async fn create(link: &Link, chat: ChatId, customer: &ChatKey, name: &str) -> Option<ThreadId> {
    let name = topic_name(name);
    let topic = loop {
        match link.bot.create_forum_topic(chat, name.clone()).await {
            Ok(topic) => break topic,
            Err(e) => match retry_after(&e) {
                Some(wait) if !stopping(link) => tokio::time::sleep(wait).await,
                _ => {
                    tracing::warn!(
                        "telegram: cannot create a forum topic ({}); sending to General",
                        link.redact.clean(e)
                    );
                    return None;
                }
            },
        }
    };
    let thread = topic.thread_id;
    let (owners, customer) = (chat.0.to_string(), customer.clone());
    let saved = blocking(&link.engine, move |engine| {
        engine.save_topic(
            &owners,
            &customer,
            thread.0.0,
            &name,
            Timestamp::now().as_second(),
        )
    })
    .await;
    match saved {
        Some(Ok(())) => Some(thread),
        Some(Err(e)) => {
            // Unrecorded, the topic would not be found again: General instead.
            tracing::error!("telegram: cannot record a new forum topic: {e}; sending to General");
            None
        }
        None => None,
    }
}

/// Whether an error says the topic is gone (deleted by hand).
pub(super) fn gone(e: &RequestError) -> bool {
    matches!(e, RequestError::Api(ApiError::Unknown(text))
        if text.contains("message thread not found") || text.contains("TOPIC_ID_INVALID")
            || text.contains("TOPIC_DELETED"))
}

/// Whether an error says the topic is closed to the bot.
pub(super) fn closed(e: &RequestError) -> bool {
    matches!(e, RequestError::Api(ApiError::Unknown(text)) if text.contains("TOPIC_CLOSED"))
}

/// A wait after which the same call may succeed (429, network).
fn retry_after(e: &RequestError) -> Option<Duration> {
    match e {
        RequestError::RetryAfter(wait) => Some(wait.duration()),
        RequestError::Network(_) | RequestError::Io(_) => Some(Duration::from_secs(1)),
        _ => None,
    }
}

fn stopping(link: &Link) -> bool {
    *link.stop.borrow()
}

/// A topic call, paced like a message (each leaves a service message in the
/// group) and tried again after a 429 or a network error; "not modified"
/// (already closed, already open) is success.
async fn call<R, F>(link: &Link, request: F) -> Result<(), RequestError>
where
    F: Fn() -> R,
    R: std::future::IntoFuture<Output = Result<teloxide::types::True, RequestError>>,
{
    loop {
        link.pace
            .message(link.forums.owners.unwrap_or_default())
            .await;
        match request().await {
            Ok(_) => return Ok(()),
            Err(RequestError::Api(ApiError::Unknown(text)))
                if text.contains("TOPIC_NOT_MODIFIED") =>
            {
                return Ok(());
            }
            Err(e) => match retry_after(&e) {
                Some(wait) if !stopping(link) => tokio::time::sleep(wait).await,
                _ => return Err(e),
            },
        }
    }
}

async fn note_closed(link: &Link, chat: ChatId, thread: i32, closed: bool) {
    let owners = chat.0.to_string();
    let noted = blocking(&link.engine, move |engine| {
        engine.set_topic_closed(&owners, thread, closed)
    })
    .await;
    if let Some(Err(e)) = noted {
        tracing::error!("telegram: cannot note a forum topic closed or open: {e}");
    }
}

async fn forget(link: &Link, chat: ChatId, thread: i32) {
    let owners = chat.0.to_string();
    let dropped = blocking(&link.engine, move |engine| {
        engine.drop_topic(&owners, thread)
    })
    .await;
    if let Some(Err(e)) = dropped {
        tracing::error!("telegram: cannot forget a forum topic: {e}");
    }
}

/// While nothing waits for the owners' group: closes the topics of customers
/// without an open ticket, deletes those of forgotten customers. Takes the
/// group's place in `active`, so no send to it runs meanwhile.
pub(super) fn settle_later(link: &Link, active: &Arc<Mutex<HashSet<String>>>, waiting: &[String]) {
    let Some(owners) = link.forums.owners else {
        return;
    };
    {
        // At most once a second: the sender wakes after every turn.
        let mut last = lock(&link.forums.settled);
        if last.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
            return;
        }
        *last = Some(Instant::now());
    }
    let key = owners.to_string();
    if waiting.contains(&key) || !lock(active).insert(key.clone()) {
        return;
    }
    let (link, active) = (link.clone(), Arc::clone(active));
    tokio::spawn(async move {
        settle(&link, ChatId(owners)).await;
        lock(&active).remove(&key);
    });
}

async fn settle(link: &Link, chat: ChatId) {
    let owners = chat.0.to_string();
    let due = blocking(&link.engine, move |engine| -> Result<_, String> {
        let close = engine.topics_to_close(&owners).map_err(|e| e.to_string())?;
        let doomed = engine.doomed_topics(&owners).map_err(|e| e.to_string())?;
        Ok((close, doomed))
    })
    .await;
    let (close, doomed) = match due {
        Some(Ok(due)) => due,
        Some(Err(e)) => {
            tracing::error!("telegram: cannot read the forum topics: {e}");
            return;
        }
        None => return,
    };
    let refused = lock(&link.forums.refused).clone();
    let close: Vec<i32> = close.into_iter().filter(|t| !refused.contains(t)).collect();
    let doomed: Vec<i32> = doomed
        .into_iter()
        .filter(|t| !refused.contains(t))
        .collect();
    if (close.is_empty() && doomed.is_empty()) || !is_forum(link, chat).await {
        return;
    }
    for thread in close {
        let id = ThreadId(MessageId(thread));
        match call(link, || link.bot.close_forum_topic(chat, id)).await {
            Ok(()) => note_closed(link, chat, thread, true).await,
            Err(e) if gone(&e) => forget(link, chat, thread).await,
            Err(e) => {
                tracing::warn!("telegram: cannot close a topic: {}", link.redact.clean(e));
                lock(&link.forums.refused).insert(thread);
            }
        }
    }
    for thread in doomed {
        let id = ThreadId(MessageId(thread));
        match call(link, || link.bot.delete_forum_topic(chat, id)).await {
            Ok(()) => forget(link, chat, thread).await,
            Err(e) if gone(&e) => forget(link, chat, thread).await,
            Err(e) => {
                // No right to delete it: at least the name goes.
                tracing::warn!(
                    "telegram: cannot delete a forgotten customer's topic ({}); renaming it",
                    link.redact.clean(&e)
                );
                let renamed = call(link, || {
                    link.bot
                        .edit_forum_topic(chat, id)
                        .name(format!("#{thread}"))
                })
                .await;
                if renamed.is_ok() {
                    forget(link, chat, thread).await;
                } else {
                    lock(&link.forums.refused).insert(thread);
                }
            }
        }
    }
}
