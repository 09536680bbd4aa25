//! The outbox sender: one worker per chat sends that chat's rows in order, paced
//! to Telegram's limits, retrying on 429 (after `retry_after`) and on network
//! errors; a row is marked sent only once Telegram accepted all of it.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InputFile, MessageId, ParseMode, ThreadId};

use super::format::{self, CAPTION_LIMIT, TEXT_LIMIT};
use super::photos;
use super::relay;
use super::topics;
use super::{CHANNEL, Link};
use crate::channels::blocking;
use crate::channels::pace::or_stop;
use crate::channels::retry::Policy;
use crate::engine::OutboxRow;
use crate::engine::{Outgoing, outgoing_of};

/// Rows a worker takes at a time.
const BATCH: usize = 20;

/// Chats looked at per wake of the sender.
const CHATS: usize = 5000;

/// How long a pacing wait may go on after the stop (the drain's short waits finish).
const PACE_GRACE: Duration = Duration::from_secs(2);

/// The chats with something to send, in the order of their oldest waiting row
/// (a light query: no payloads; each worker reads its own chat's rows).
async fn waiting_chats(link: &Link) -> Vec<String> {
    match blocking(&link.engine, |engine| engine.pending_chats(CHANNEL, CHATS)).await {
        Some(Ok(chats)) => chats,
        Some(Err(e)) => {
            tracing::error!("{CHANNEL}: cannot read the outbox: {e}");
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// Watches the outbox and starts a worker for every chat with something to send.
pub(super) async fn send_loop(link: Link) {
    let active: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut stop = link.stop.clone();
    let mut stopping_since: Option<Instant> = None;
    loop {
        let chats = waiting_chats(&link).await;
        let busy = !active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_empty();
        if stopping_since.is_some() && chats.is_empty() && !busy {
            return;
        }
        // Nothing waits for the owners' group: its topics may be closed or deleted.
        topics::settle_later(&link, &active, &chats);
        for chat in chats {
            let fresh = active
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(chat.clone());
            if fresh {
                let link = link.clone();
                let active = Arc::clone(&active);
                tokio::spawn(async move {
                    worker(&link, &chat).await;
                    active
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .remove(&chat);
                    link.wake.notify_one();
                });
            }
        }
        tokio::select! {
            () = link.wake.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.wait_for(|s| *s), if stopping_since.is_none() => {
                stopping_since = Some(Instant::now());
            }
        }
        if *stop.borrow() && stopping_since.is_none() {
            stopping_since = Some(Instant::now());
        }
    }
}

/// Sends one chat's rows until none is left.
async fn worker(link: &Link, chat: &str) {
    let Ok(chat_id) = chat.parse::<i64>().map(ChatId) else {
        tracing::error!("telegram: outbox row for a chat id that is not a number");
        return;
    };
    send_rows(link, chat, chat_id).await;
}

async fn send_rows(link: &Link, chat: &str, chat_id: ChatId) {
    loop {
        let owned = chat.to_owned();
        let rows = blocking(&link.engine, move |engine| {
            engine.pending_outbox_of(CHANNEL, &owned, BATCH)
        })
        .await;
        let Some(Ok(rows)) = rows else { return };
        if rows.is_empty() {
            return;
        }
        for row in rows {
            let outcome = deliver(link, chat_id, &row).await;
            if !record(link, chat, row.id, outcome).await {
                return;
            }
        }
    }
}

/// Records what became of a row; true to go on with the next one. A database
/// that cannot write is waited for: the row was sent, and sending it again
/// would answer the customer twice.
async fn record(link: &Link, chat: &str, id: i64, outcome: Delivery) -> bool {
    let stopped = matches!(outcome, Delivery::Stopped);
    let chat = chat.to_owned();
    let recorded =
        crate::channels::record_delivery(&link.engine, &link.stop, CHANNEL, move |engine| {
            let now = Timestamp::now().as_second();
            match &outcome {
                Delivery::Sent(shown) => engine.mark_sent_as(id, now, CHANNEL, &chat, shown),
                Delivery::Failed(reason) => engine.mark_failed(id, reason, now),
                Delivery::Unreachable(reason) => engine
                    .mark_unreachable(CHANNEL, &chat, reason, now)
                    .and_then(|()| engine.mark_failed(id, reason, now)),
                Delivery::Stopped => Ok(()),
            }
        })
        .await;
    recorded && !stopped
}

/// What became of one outbox row.
#[derive(Debug)]
enum Delivery {
    /// Sent, as these Telegram messages (an owner's reply to one of them finds the row).
    Sent(Vec<String>),
    /// Telegram refused the message itself; retrying would not help.
    Failed(String),
    /// The customer blocked the bot or is gone: no more messages for them.
    Unreachable(String),
    /// The channel is stopping; the row stays for the next start.
    Stopped,
}

/// One step of a row: a text message, a photo, an edit, an invoice, or a refund.
enum Part {
    Invoice,
    /// A payment in Stars given back (`refundStarPayment`), before the text that says so.
    Refund,
    Edit {
        message: MessageId,
        text: String,
        last: bool,
    },
    Text {
        text: String,
        last: bool,
    },
    Photo {
        image: String,
        caption: Option<String>,
        last: bool,
    },
    /// The reply's attachment (see `relay`), captioned when it fits.
    Attachment {
        caption: Option<String>,
    },
}

/// The steps that show `out`: an edit of the pressed message when asked, a photo
/// with its caption (the text after it when too long), the text split to the limit.
fn parts(out: &Outgoing) -> Vec<Part> {
    let text = &out.reply.text;
    if let Some(message) = out.edit.as_deref().and_then(|m| m.parse().ok())
        && format::units(text) <= TEXT_LIMIT
    {
        return vec![Part::Edit {
            message: MessageId(message),
            text: text.clone(),
            last: true,
        }];
    }
    let mut parts = Vec::new();
    if out.reply.refund.is_some() {
        parts.push(Part::Refund);
    }
    let mut text_parts = Vec::new();
    if let Some(attachment) = &out.reply.attachment {
        return attachment_parts(text, &attachment.media);
    }
    if let Some(image) = &out.reply.image {
        if format::units(text) <= CAPTION_LIMIT {
            parts.push(Part::Photo {
                image: image.clone(),
                caption: Some(text.clone()),
                last: true,
            });
            return parts;
        }
        parts.push(Part::Photo {
            image: image.clone(),
            caption: None,
            last: false,
        });
    }
    text_parts.extend(format::split(text, TEXT_LIMIT));
    let count = text_parts.len();
    parts.extend(
        text_parts
            .into_iter()
            .enumerate()
            .map(|(i, text)| Part::Text {
                text,
                last: i + 1 == count,
            }),
    );
    if out.reply.invoice.is_some() {
        parts.push(Part::Invoice);
    }
    parts
}

/// An attachment with `text`: one captioned message when it fits; else the
/// media then the text, or (a sticker, a video note, a place: no caption) the
/// text then the media.
fn attachment_parts(text: &str, media: &crate::attachment::Media) -> Vec<Part> {
    let captioned = relay::takes_caption(media);
    if captioned && format::units(text) <= CAPTION_LIMIT {
        return vec![Part::Attachment {
            caption: Some(text.to_owned()),
        }];
    }
    let texts = format::split(text, TEXT_LIMIT)
        .into_iter()
        .filter(|t| !t.trim().is_empty())
        .map(|text| Part::Text { text, last: false });
    let media = Part::Attachment { caption: None };
    if captioned {
        std::iter::once(media).chain(texts).collect()
    } else {
        texts.chain(std::iter::once(media)).collect()
    }
}

async fn deliver(link: &Link, chat: ChatId, row: &OutboxRow) -> Delivery {
    let out = match outgoing_of(row) {
        Ok(out) => out,
        Err(e) => return Delivery::Failed(format!("unreadable outbox row: {e}")),
    };
    // The forum topic of the owners' group this message belongs in, if any.
    let mut thread: Option<ThreadId> = topics::thread_for(link, chat, &out).await;
    let mut topic_tries = 0;
    let mut queue: VecDeque<Part> = parts(&out).into();
    let mut shown = Vec::new();
    let mut backoff = Policy::SEND.backoff();
    while let Some(part) = queue.pop_front() {
        // Sends and edits alike: at once while under Telegram's limits.
        if or_stop(&link.stop, PACE_GRACE, link.pace.message(chat.0)).await {
            return Delivery::Stopped;
        }
        let result = send_part(link, chat, thread, row.id, &out, &part).await;
        // A topic deleted by hand is made again; one closed by hand, reopened.
        let result = match (result, thread) {
            (Err(e), Some(lost)) if topic_tries < 3 && topics::gone(&e) => {
                topic_tries += 1;
                thread = topics::replace(link, chat, lost, &out).await;
                queue.push_front(part);
                continue;
            }
            (Err(e), Some(shut)) if topic_tries < 3 && topics::closed(&e) => {
                topic_tries += 1;
                if !topics::reopen(link, chat, shut).await {
                    thread = None;
                }
                queue.push_front(part);
                continue;
            }
            (result, _) => result,
        };
        match result {
            Ok(message) => {
                shown.extend(message.map(|m| m.0.to_string()));
                backoff.reset();
            }
            Err(e) => match classify(&e, &part) {
                Next::Done => {}
                Next::SendInstead => queue.push_front(match part {
                    Part::Edit { text, last, .. } => Part::Text { text, last },
                    other => other,
                }),
                Next::TextOnly => {
                    tracing::warn!(
                        "telegram: product image not sent ({}); sending the text",
                        link.redact.clean(&e)
                    );
                    if let Part::Photo {
                        caption: Some(text),
                        last,
                        ..
                    } = part
                    {
                        queue.push_front(Part::Text { text, last });
                    }
                }
                Next::Retry(after) => {
                    // Telegram's `retry_after` is waited exactly; the pause grows anyway.
                    let pause = backoff.next_delay();
                    let wait = after.unwrap_or(pause);
                    tracing::warn!(
                        "telegram: send failed ({}); retrying in {}s",
                        link.redact.clean(&e),
                        wait.as_secs()
                    );
                    queue.push_front(part);
                    if sleep_or_stop(link, wait).await {
                        return Delivery::Stopped;
                    }
                }
                Next::Unreachable => return Delivery::Unreachable(link.redact.clean(&e)),
                Next::Give => {
                    let reason = link.redact.clean(&e);
                    tracing::error!("telegram: message refused, dropped: {reason}");
                    if let (Part::Refund, Some(refund)) = (&part, &out.reply.refund) {
                        super::payments::refund_failed(link, &refund.order, &reason).await;
                    }
                    return Delivery::Failed(reason);
                }
            },
        }
    }
    Delivery::Sent(shown)
}

async fn send_part(
    link: &Link,
    chat: ChatId,
    thread: Option<ThreadId>,
    row: i64,
    out: &Outgoing,
    part: &Part,
) -> Result<Option<MessageId>, RequestError> {
    let keyboard = |last: bool| {
        if last {
            format::keyboard(row, &out.reply.buttons)
        } else {
            None
        }
    };
    match part {
        Part::Edit {
            message,
            text,
            last,
        } => {
            let mut request = link
                .bot
                .edit_message_text(chat, *message, format::escape(text))
                .parse_mode(ParseMode::Html);
            if let Some(kb) = keyboard(*last) {
                request = request.reply_markup(kb);
            }
            request.await.map(|_| Some(*message))
        }
        Part::Text { text, last } => {
            let mut request = link
                .bot
                .send_message(chat, format::escape(text))
                .parse_mode(ParseMode::Html);
            if let Some(thread) = thread {
                request = request.message_thread_id(thread);
            }
            if let Some(kb) = keyboard(*last) {
                request = request.reply_markup(kb);
            }
            request.await.map(|m| Some(m.id))
        }
        Part::Photo {
            image,
            caption,
            last,
        } => {
            // Uploaded once, then sent by the `file_id` Telegram gave back.
            let markup = keyboard(*last);
            let request = |file: InputFile| {
                let mut request = link.bot.send_photo(chat, file);
                if let Some(thread) = thread {
                    request = request.message_thread_id(thread);
                }
                if let Some(caption) = caption {
                    request = request
                        .caption(format::escape(caption))
                        .parse_mode(ParseMode::Html);
                }
                if let Some(kb) = markup.clone() {
                    request = request.reply_markup(kb);
                }
                request
            };
            photos::send(link, image, request).await.map(|m| Some(m.id))
        }
        Part::Attachment { caption } => match &out.reply.attachment {
            Some(attachment) => {
                relay::send(link, chat, thread, attachment, caption.as_deref()).await
            }
            None => Ok(None),
        },
        Part::Invoice => super::payments::invoice(link, chat, out).await,
        Part::Refund => super::payments::refund(link, chat, out).await,
    }
}

/// What to do after an error.
enum Next {
    /// Nothing: the result is already what we wanted ("message is not modified").
    Done,
    /// The message to edit is gone: send a new one.
    SendInstead,
    /// The photo could not be sent: send its caption as text.
    TextOnly,
    Retry(Option<Duration>),
    Unreachable,
    Give,
}

fn classify(e: &RequestError, part: &Part) -> Next {
    match e {
        // A product image that cannot be read (a wrong path in shop.toml) is a
        // problem of that image, not of the network.
        RequestError::Io(_) if matches!(part, Part::Photo { .. }) => Next::TextOnly,
        RequestError::RetryAfter(wait) => Next::Retry(Some(wait.duration())),
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            Next::Retry(None)
        }
        RequestError::Api(api) => match api {
            ApiError::MessageNotModified => Next::Done,
            // Refunded before (a crash after the refund, before it was noted).
            ApiError::Unknown(text)
                if matches!(part, Part::Refund) && text.contains("CHARGE_ALREADY_REFUNDED") =>
            {
                Next::Done
            }
            ApiError::MessageToEditNotFound | ApiError::MessageCantBeEdited => Next::SendInstead,
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::ChatNotFound
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots => Next::Unreachable,
            ApiError::WrongFileIdOrUrl
            | ApiError::FailedToGetUrlContent
            | ApiError::ImageProcessFailed
            | ApiError::PhotoAsInputFileRequired => Next::TextOnly,
            ApiError::Unknown(text) if text.contains("Internal") || text.contains("Gateway") => {
                Next::Retry(None)
            }
            _ => Next::Give,
        },
        RequestError::MigrateToChatId(_) => Next::Unreachable,
    }
}

/// Sleeps; true if stopping (a stop cuts long waits short; short ones still finish).
async fn sleep_or_stop(link: &Link, wait: Duration) -> bool {
    if *link.stop.borrow() && wait > PACE_GRACE {
        return true;
    }
    tokio::time::sleep(wait).await;
    false
}
