//! The outbox sender: each reply as an `m.notice` (HTML with a plain-text
//! fallback) listing its buttons by number, or as an `m.image` with that caption,
//! then the bot's own 1️⃣…🔟 reactions as one-tap shortcuts.

use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;
use matrix_sdk::ruma::api::error::{ErrorKind, RetryAfter};
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::Annotation;
use matrix_sdk::ruma::events::relation::Thread;
use matrix_sdk::ruma::events::room::message::{Relation, RoomMessageEventContent};
use matrix_sdk::ruma::{EventId, OwnedEventId, RoomId};

use super::attach_out::{self, Shown};
use super::media::{self, ImageError};
use super::{CHANNEL, Link};
use crate::channels::pace::{Class, Limits, Pacer, or_stop};
use crate::channels::retry::Policy;
use crate::channels::{blocking, escape_html, pending, record_delivery, wait_or_stop};
use crate::engine::OutboxRow;
use crate::engine::{Outgoing, outgoing_of};

/// The reaction shortcut of button number `n` (1 to 10).
pub(super) fn keycap(n: usize) -> Option<String> {
    match n {
        1..=9 => Some(format!("{n}\u{fe0f}\u{20e3}")),
        10 => Some("🔟".to_owned()),
        _ => None,
    }
}

/// The reply as plain text and HTML, buttons as a numbered list.
pub(super) fn bodies(out: &Outgoing) -> (String, String) {
    let reply = &out.reply;
    let mut plain = reply.text.clone();
    let mut html = escape_html(&reply.text).replace('\n', "<br>");
    if let Some(image) = reply.image.as_deref().filter(|i| i.contains("://")) {
        let _ = write!(plain, "\n{image}");
        let _ = write!(html, "<br>{}", escape_html(image));
    }
    if !reply.buttons.is_empty() {
        plain.push('\n');
        let _ = write!(html, "<ol start=\"{}\">", out.first_number);
        for (i, button) in reply.buttons.iter().enumerate() {
            let _ = write!(plain, "\n{}. {}", out.first_number + i, button.label);
            let _ = write!(html, "<li>{}</li>", escape_html(&button.label));
        }
        html.push_str("</ol>");
    }
    (plain, html)
}

/// How long a pacing wait may go on after the stop (the drain's short waits finish).
const PACE_GRACE: Duration = Duration::from_secs(2);

/// Sends the outbox in order until stopped (and, when stopping, until it is empty
/// or the stop's grace runs out), paced to a homeserver's rate
/// (`SHOPBOT_MATRIX_RATE_LIMIT=off`: not at all, for benchmarks).
pub(super) async fn send_loop(link: Link) {
    let unpaced = std::env::var("SHOPBOT_MATRIX_RATE_LIMIT").is_ok_and(|v| v == "off");
    let pace = Pacer::new(Limits::matrix(), !unpaced);
    loop {
        let rows = pending(&link.engine, CHANNEL, 100).await;
        if rows.is_empty() && *link.stop.borrow() {
            return;
        }
        for row in rows {
            if !deliver(&link, &pace, &row).await {
                break;
            }
        }
        tokio::select! {
            () = link.wake.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Sends one row; false if the channel is stopping (the row stays queued).
async fn deliver(link: &Link, pace: &Pacer, row: &OutboxRow) -> bool {
    let out = match outgoing_of(row) {
        Ok(out) => out,
        Err(e) => {
            record(link, row, Err(format!("unreadable outbox row: {e}"))).await;
            return true;
        }
    };
    let Ok(room_id) = RoomId::parse(&row.chat_id) else {
        record(link, row, Err("not a room id".to_owned())).await;
        return true;
    };
    let Some(room) = link.client.get_room(&room_id) else {
        record(link, row, Err("the bot is not in this room".to_owned())).await;
        return true;
    };
    // The thread of the room this message belongs in, if any.
    let thread: Option<OwnedEventId> = thread_of(link, row, &out).await;
    let mut backoff = Policy::SEND.backoff();
    let sent = loop {
        // At once while under the homeserver's rate, else exactly as long as needed.
        if or_stop(&link.stop, PACE_GRACE, pace.overall(Class::Later)).await {
            return false;
        }
        match send(link, &room, &out, thread.as_deref(), &transaction_id(row)).await {
            Ok(id) => break Ok(id),
            Err(e) => {
                // The server's own delay is waited exactly; the pause grows anyway.
                let pause = backoff.next_delay();
                let wait = match e.client_api_error_kind() {
                    Some(ErrorKind::LimitExceeded(limit)) => match limit.retry_after {
                        Some(RetryAfter::Delay(d)) => d,
                        _ => pause,
                    },
                    // Refused for good (not allowed in the room, bad content).
                    Some(ErrorKind::Forbidden | ErrorKind::BadJson | ErrorKind::TooLarge) => {
                        break Err(e.to_string());
                    }
                    _ => pause,
                };
                tracing::warn!("matrix: send failed ({e}); retrying in {}s", wait.as_secs());
                if wait_or_stop(&link.stop, wait).await {
                    return false;
                }
            }
        }
    };
    let event_id = sent.as_ref().ok().cloned();
    record(link, row, sent.map(|id| id.to_string())).await;
    if let Some(event_id) = event_id {
        // Shortcuts: the bot reacts to its own message with the buttons' numbers.
        let count = out.reply.buttons.len();
        for number in out.first_number..out.first_number + count {
            let Some(key) = keycap(number) else { break };
            let reaction = ReactionEventContent::new(Annotation::new(event_id.clone(), key));
            if or_stop(&link.stop, PACE_GRACE, pace.overall(Class::Later)).await {
                break;
            }
            if let Err(e) = room.send(reaction).await {
                tracing::debug!("matrix: reaction shortcut not sent: {e}");
            }
        }
    }
    true
}

/// The transaction id of an outbox row's message: made at random when the row was
/// queued and stored with it, so it is the same for every attempt — after a lost
/// response, a crash between the send and marking the row sent, or an upgrade —
/// and the homeserver keeps one event; and never the same for two rows, even in
/// a database restored from a backup whose row ids repeat.
fn transaction_id(row: &OutboxRow) -> matrix_sdk::ruma::OwnedTransactionId {
    format!("shopbot-{}", row.txn).into()
}

/// Sends the reply itself (in `thread`, when given), as one event.
async fn send(
    link: &Link,
    room: &matrix_sdk::Room,
    out: &Outgoing,
    thread: Option<&EventId>,
    txn_id: &matrix_sdk::ruma::TransactionId,
) -> Result<OwnedEventId, matrix_sdk::Error> {
    let content = threaded(content(link, room, out).await?, thread);
    room.send(content)
        .with_transaction_id(txn_id.to_owned())
        .await
        .map(|r| r.response.event_id)
}

/// The event that shows the reply: a ticket's media, an image with its caption,
/// or a notice.
async fn content(
    link: &Link,
    room: &matrix_sdk::Room,
    out: &Outgoing,
) -> Result<RoomMessageEventContent, matrix_sdk::Error> {
    let (plain, html) = bodies(out);
    if let Some(attachment) = out.reply.attachment.as_deref() {
        // A ticket's media: its own event, or the text naming what did not come.
        return Ok(
            match attach_out::content(link, room, attachment, &plain, &html).await? {
                Shown::Event(content) => *content,
                Shown::Text(plain, html) => RoomMessageEventContent::notice_html(plain, html),
            },
        );
    }
    if let Some(image) = out.reply.image.as_deref().filter(|i| !i.contains("://")) {
        let path = link.base_dir.join(image);
        // Uploaded once per homeserver, then the kept upload is sent again.
        match media::image_message(link, room, &path, plain.clone(), html.clone()).await {
            Ok(content) => return Ok(content),
            Err(ImageError::Sdk(e)) => return Err(e),
            Err(ImageError::Unreadable(e)) => tracing::warn!(
                "matrix: product image {} not readable ({e}); sending the text",
                path.display()
            ),
        }
    }
    Ok(RoomMessageEventContent::notice_html(plain, html))
}

/// `content` as a message in `thread` (its root event), when given, with the
/// reply fallback to the root for clients without threads.
fn threaded(
    mut content: RoomMessageEventContent,
    thread: Option<&EventId>,
) -> RoomMessageEventContent {
    if let Some(root) = thread {
        content.relates_to = Some(Relation::Thread(Thread::plain(
            root.to_owned(),
            root.to_owned(),
        )));
    }
    content
}

/// The thread a message about a ticket goes into in the owners' room
/// (`[owners] matrix_room`): the one whose root is the ticket's notice there.
/// The notice itself, and anything whose notice was never sent, has none.
async fn thread_of(link: &Link, row: &OutboxRow, out: &Outgoing) -> Option<OwnedEventId> {
    let ticket = out.ticket?;
    let chat = row.chat_id.clone();
    let notice = blocking(&link.engine, move |engine| {
        if engine.shop().file.owners.matrix_room.as_deref() != Some(chat.as_str()) {
            return Ok(None);
        }
        engine.thread_root(CHANNEL, &chat, ticket)
    })
    .await;
    match notice {
        Some(Ok(notice)) => notice.and_then(|n| EventId::parse(n).ok()),
        Some(Err(e)) => {
            tracing::error!("matrix: cannot read a ticket's thread: {e}");
            None
        }
        None => None,
    }
}

/// Marks the row sent (remembering its event, for reactions) or failed; a
/// database that cannot write is waited for rather than the row sent again.
async fn record(link: &Link, row: &OutboxRow, sent: Result<String, String>) {
    if let Err(reason) = &sent {
        tracing::error!("matrix: message dropped: {reason}");
    }
    let (id, chat) = (row.id, row.chat_id.clone());
    record_delivery(&link.engine, &link.stop, CHANNEL, move |engine| {
        let now = Timestamp::now().as_second();
        match &sent {
            Ok(event_id) => {
                engine.mark_sent_as(id, now, CHANNEL, &chat, std::slice::from_ref(event_id))
            }
            Err(reason) => engine.mark_failed(id, reason, now),
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{Button, Reply};

    #[test]
    fn buttons_are_numbered_across_the_turn_in_both_bodies() {
        let out = Outgoing {
            reply: Reply {
                text: "Pick <one> & go".into(),
                buttons: vec![
                    Button {
                        id: "a".into(),
                        label: "A & B".into(),
                    },
                    Button {
                        id: "b".into(),
                        label: "C".into(),
                    },
                ],
                image: None,
                invoice: None,
                refund: None,
                attachment: None,
            },
            edit: None,
            first_number: 3,
            ticket: None,
        };
        let (plain, html) = bodies(&out);
        assert_eq!(plain, "Pick <one> & go\n\n3. A & B\n4. C");
        assert_eq!(
            html,
            "Pick &lt;one&gt; &amp; go<ol start=\"3\"><li>A &amp; B</li><li>C</li></ol>"
        );
        assert_eq!(keycap(3).as_deref(), Some("3\u{fe0f}\u{20e3}"));
        assert_eq!(keycap(10).as_deref(), Some("🔟"));
        assert_eq!(keycap(11), None);
    }
}
