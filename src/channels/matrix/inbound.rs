//! Sync: invites are joined, messages and reactions become engine turns, in
//! order, each keyed by its event id (run by `turns`: the events of one sync as
//! one group commit).

use std::time::Duration;

use jiff::Timestamp;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::events::OriginalSyncMessageLikeEvent;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::encrypted::RoomEncryptedEventContent;
use matrix_sdk::ruma::events::room::member::StrippedRoomMemberEvent;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation,
};
use matrix_sdk::ruma::events::sticker::OriginalSyncStickerEvent;
use matrix_sdk::ruma::{OwnedRoomId, UserId};
use matrix_sdk::{Room, RoomMemberships, RoomState};
use tokio::sync::{mpsc, oneshot};

use super::attach;

mod sticker;
use super::parse::{allowed, keycap_number, without_reply_fallback};
use super::turns::turn_loop;
use super::{CHANNEL, Link};
use crate::channels::addressing::{How, Names, Signals, addressed};
use crate::channels::retry::Policy;
use crate::channels::{blocking, wait_or_stop};
use crate::conversation::Input;
use crate::engine::{Chat, Engine, EngineError, Event, Origin, TurnResult};

/// An event on its way to the engine.
pub(super) struct Incoming {
    room: OwnedRoomId,
    key: String,
    input: Pending,
    /// The sender's user id.
    sender: String,
    /// "Display name (@user:server)".
    sender_name: String,
    /// The event this message replies to.
    reply_to: Option<String>,
    /// A room of two (the customer and the bot).
    direct: bool,
    /// In a room of several people, a message that does not mention the bot
    /// counts only when it replies to one of the bot's messages, or is an
    /// owner's command (an owners' room).
    unaddressed: bool,
    /// The text is a `/command`.
    command: bool,
    /// Written in a thread: its root event.
    thread: Option<String>,
}

impl Incoming {
    async fn new(room: &Room, key: String, sender: &UserId, input: Pending) -> Self {
        let name = match room.get_member_no_sync(sender).await {
            Ok(Some(member)) => member
                .display_name()
                .map_or_else(|| sender.to_string(), |n| format!("{n} ({sender})")),
            _ => sender.to_string(),
        };
        Self {
            room: room.room_id().to_owned(),
            key,
            input,
            sender: sender.to_string(),
            sender_name: name,
            reply_to: None,
            direct: !is_group(room).await,
            unaddressed: false,
            command: false,
            thread: None,
        }
    }
}

/// What the sync hands the turn loop: an event, or a barrier answered once every
/// event queued before it is a committed turn.
pub(super) enum Queued {
    Event(Raw),
    Barrier(oneshot::Sender<()>),
}

/// An event as the SDK gave it: translated in the turn loop, inside the try, so a
/// panic there fails that event's turn (tried again, then given up), never the sync.
#[derive(Clone)]
pub(super) enum Raw {
    Message(Box<OriginalSyncRoomMessageEvent>, Room),
    /// A message that stayed encrypted.
    Undecrypted(
        Box<OriginalSyncMessageLikeEvent<RoomEncryptedEventContent>>,
        Room,
    ),
    Reaction(Box<OriginalSyncReactionEvent>, Room),
    Sticker(Box<OriginalSyncStickerEvent>, Room),
}

impl Raw {
    /// What the give-up needs, without translating: the room, the event id, the sender.
    pub(super) fn origin(&self) -> Origin {
        let (room, key, sender) = match self {
            Raw::Message(ev, room) => (room, ev.event_id.to_string(), ev.sender.to_string()),
            Raw::Undecrypted(ev, room) => (room, ev.event_id.to_string(), ev.sender.to_string()),
            Raw::Reaction(ev, room) => (room, ev.event_id.to_string(), ev.sender.to_string()),
            Raw::Sticker(ev, room) => (room, ev.event_id.to_string(), ev.sender.to_string()),
        };
        Origin {
            chat_id: Some(room.room_id().to_string()),
            key: Some(key),
            sender_name: Some(sender),
        }
    }

    /// The event as the engine needs it, or `None` for what the bot must not answer.
    pub(super) async fn translate(self, link: &Link) -> Option<Incoming> {
        match self {
            Raw::Message(ev, room) => from_message(link, &ev, &room).await,
            Raw::Undecrypted(ev, room) => {
                // The bot never got its key (it was sent to an older device, or
                // before the bot's device existed). Say so instead of staying
                // silent — in a direct chat; in a group it may not have been for us.
                let mine = Some(ev.sender.as_ref()) == link.client.user_id();
                if mine || room.state() != RoomState::Joined || is_group(&room).await {
                    return None;
                }
                let pending = Pending::Ready(Input::Unreadable);
                Some(Incoming::new(&room, ev.event_id.to_string(), &ev.sender, pending).await)
            }
            Raw::Reaction(ev, room) => {
                if Some(ev.sender.as_ref()) == link.client.user_id()
                    || room.state() != RoomState::Joined
                {
                    return None;
                }
                let number = keycap_number(&ev.content.relates_to.key)?;
                let pending = Pending::Reaction {
                    message: ev.content.relates_to.event_id.to_string(),
                    number,
                };
                Some(Incoming::new(&room, ev.event_id.to_string(), &ev.sender, pending).await)
            }
            Raw::Sticker(ev, room) => sticker::from_sticker(link, &ev, &room).await,
        }
    }
}

/// The `settings` key of the sync position whose events are all committed turns.
const SINCE: &str = "matrix_since";

enum Pending {
    Ready(Input),
    /// A reaction shortcut: button `number` of the bot's message `message`.
    Reaction {
        message: String,
        number: usize,
    },
}

/// Whether the room has more people than the customer and the bot (joined or
/// invited). The room summary's count can lag right after the bot joined, so the
/// members it knows from the room state count too.
async fn is_group(room: &Room) -> bool {
    let known = room
        .members_no_sync(RoomMemberships::ACTIVE)
        .await
        .map_or(0, |m| m.len() as u64);
    known
        .max(room.joined_members_count())
        .max(room.active_members_count())
        > 2
}

/// Syncs until stopped (from the bot's own position, else `sdk_since`, the one
/// the SDK had saved); reconnects with a growing pause after errors (a restarted
/// homeserver, a network cut).
pub(super) async fn sync_loop(link: &Link, first_start: bool, sdk_since: Option<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let turns = tokio::spawn(turn_loop(link.clone(), rx));
    if first_start {
        // A new device: what happened before it existed is not ours to answer.
        // Invites waiting since then are accepted below, and their rooms'
        // messages arrive with the join.
        let mut backoff = Policy::SETUP.backoff();
        while let Err(e) = link.client.sync_once(SyncSettings::default()).await {
            tracing::warn!("matrix: first sync failed: {e}");
            if wait_or_stop(&link.stop, backoff.next_delay()).await {
                return;
            }
        }
    }
    for room in link.client.invited_rooms() {
        let inviter = room.invite_details().await.ok().map(|d| d.inviter_id);
        let owner = match &inviter {
            Some(u) => {
                let u = u.to_string();
                blocking(&link.engine, move |engine| engine.is_owner(CHANNEL, &u))
                    .await
                    .unwrap_or(false)
            }
            None => false,
        };
        if owner || inviter.is_some_and(|u| allowed(&link.allow, &u)) {
            join(link.clone(), room).await;
        }
    }
    install_handlers(link, tx.clone());
    tracing::info!("matrix: listening");
    // The SDK saves its sync position as soon as a sync is processed, before our
    // turns are committed: a crash in between would skip those events for good.
    // So the bot keeps its own position, moved on only after the turns of a sync
    // are committed; events seen again after a crash are dropped by the inbox.
    let mut since = None;
    if !first_start {
        let mut backoff = Policy::SETUP.backoff();
        loop {
            // A database that cannot be read is waited for: syncing from nowhere
            // instead would take a fresh start's view of the rooms.
            match blocking(&link.engine, |engine| engine.setting(SINCE)).await {
                Some(Ok(saved)) => {
                    since = saved.or(sdk_since);
                    break;
                }
                failed => {
                    tracing::error!("matrix: cannot read the sync position ({failed:?}); retrying");
                    if wait_or_stop(&link.stop, backoff.next_delay()).await {
                        turns.abort();
                        return;
                    }
                }
            }
        }
    }
    let mut backoff = Policy::POLL.backoff();
    let mut stop = link.stop.clone();
    loop {
        let mut settings = SyncSettings::default().timeout(Duration::from_secs(10));
        if let Some(token) = &since {
            settings = settings.token(token.clone());
        }
        let result = tokio::select! {
            r = link.client.sync_once(settings) => r,
            _ = stop.wait_for(|s| *s) => break,
        };
        match result {
            Ok(response) => {
                backoff.reset();
                let (done, committed) = oneshot::channel();
                if tx.send(Queued::Barrier(done)).is_err() || committed.await.is_err() {
                    break;
                }
                let next = response.next_batch;
                let saved = blocking(&link.engine, {
                    let next = next.clone();
                    move |engine| engine.set_setting(SINCE, Some(&next))
                })
                .await;
                if let Some(Err(e)) = saved {
                    tracing::error!("matrix: cannot save the sync position: {e}");
                }
                since = Some(next);
            }
            Err(e) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    "matrix: sync failed ({e}); retrying in {}s",
                    delay.as_secs()
                );
                if wait_or_stop(&link.stop, delay).await {
                    break;
                }
            }
        }
    }
    turns.abort();
}

fn install_handlers(link: &Link, tx: mpsc::UnboundedSender<Queued>) {
    let invites = link.clone();
    link.client.add_event_handler(move |ev: StrippedRoomMemberEvent, room: Room| {
        let link = invites.clone();
        async move {
            let me = link.client.user_id().map(ToOwned::to_owned);
            if me.as_deref() != Some(ev.state_key.as_ref()) || room.state() != RoomState::Invited {
                return;
            }
            let sender = ev.sender.to_string();
            let owner = blocking(&link.engine, move |engine| engine.is_owner(CHANNEL, &sender))
                .await
                .unwrap_or(false);
            if !owner && !allowed(&link.allow, &ev.sender) {
                tracing::info!(from = %ev.sender, "matrix: invite refused (not in [matrix] allow)");
                let _ = room.leave().await;
                return;
            }
            tokio::spawn(join(link, room));
        }
    });
    // Events are queued as they are; the turn loop translates them (see `Raw`).
    let to_turns = tx.clone();
    link.client
        .add_event_handler(move |ev: OriginalSyncRoomMessageEvent, room: Room| {
            let _ = to_turns.send(Queued::Event(Raw::Message(Box::new(ev), room)));
            async {}
        });
    let to_turns = tx.clone();
    link.client
        .add_event_handler(move |ev: OriginalSyncStickerEvent, room: Room| {
            let _ = to_turns.send(Queued::Event(Raw::Sticker(Box::new(ev), room)));
            async {}
        });
    let to_turns = tx.clone();
    link.client.add_event_handler(
        move |ev: OriginalSyncMessageLikeEvent<RoomEncryptedEventContent>, room: Room| {
            let _ = to_turns.send(Queued::Event(Raw::Undecrypted(Box::new(ev), room)));
            async {}
        },
    );
    link.client
        .add_event_handler(move |ev: OriginalSyncReactionEvent, room: Room| {
            let _ = tx.send(Queued::Event(Raw::Reaction(Box::new(ev), room)));
            async {}
        });
}

/// Joins a room, retrying while the homeserver asks to slow down or is away.
async fn join(link: Link, room: Room) {
    let mut backoff = Policy::SEND.backoff();
    for _ in 0..8 {
        match room.join().await {
            Ok(()) => {
                tracing::info!(room = %room.room_id(), "matrix: joined");
                return;
            }
            Err(e) => {
                tracing::warn!(room = %room.room_id(), "matrix: join failed ({e}); retrying");
                if wait_or_stop(&link.stop, backoff.next_delay()).await {
                    return;
                }
            }
        }
    }
}

/// A customer's message as an input, or `None` for what the bot must not answer:
/// its own messages, notices (other bots), edits, and in rooms of several people
/// anything not addressed to it.
async fn from_message(
    link: &Link,
    ev: &OriginalSyncRoomMessageEvent,
    room: &Room,
) -> Option<Incoming> {
    let me = link.client.user_id()?.to_owned();
    if ev.sender == me || room.state() != RoomState::Joined {
        return None;
    }
    if matches!(ev.content.relates_to, Some(Relation::Replacement(_))) {
        return None;
    }
    let input = match &ev.content.msgtype {
        MessageType::Notice(_) => return None,
        MessageType::Text(text) => Input::Text(without_reply_fallback(&text.body).to_owned()),
        MessageType::Emote(text) => Input::Text(text.body.clone()),
        other => attach::of_message(other, room.room_id(), &ev.event_id)
            .map_or(Input::Unsupported, |a| Input::Media(Box::new(a))),
    };
    let reply_to = match &ev.content.relates_to {
        Some(Relation::Reply(reply)) => Some(reply.in_reply_to.event_id.to_string()),
        // In a ticket's thread: about its root (the ticket's notice), whatever
        // message of the thread it may quote.
        Some(Relation::Thread(thread)) => Some(thread.event_id.to_string()),
        _ => None,
    };
    let mut unaddressed = false;
    let mut command = false;
    let input = if is_group(room).await {
        // Several people: only what is addressed to the bot. Media counts only
        // as a reply to one of the bot's messages (an owner's answer).
        let text = match input {
            Input::Text(text) => text,
            Input::Media(mut attachment) if reply_to.is_some() => {
                attach::fetch(link, &mut attachment).await;
                let mut incoming = Incoming::new(
                    room,
                    ev.event_id.to_string(),
                    &ev.sender,
                    Pending::Ready(Input::Media(attachment)),
                )
                .await;
                incoming.reply_to = reply_to;
                incoming.unaddressed = true;
                return Some(incoming);
            }
            _ => return None,
        };
        let mentioned = ev
            .content
            .mentions
            .as_ref()
            .is_some_and(|m| m.user_ids.contains(&me));
        let handle = me.as_str();
        let prefix = format!("{}:", me.localpart());
        let names = Names {
            handles: &[handle],
            prefixes: &[&prefix],
        };
        let signals = Signals {
            mentioned,
            reply: reply_to.is_some(),
        };
        let addressed = addressed(&text, &names, signals)?;
        // A reply or a command without the bot's name counts only if the turn
        // finds the reply is to one of its messages, or the sender an owner.
        unaddressed = matches!(addressed.how, How::Reply | How::Command);
        command = unaddressed && addressed.text.starts_with('/');
        Input::Text(addressed.text)
    } else if let Input::Media(mut attachment) = input {
        attach::fetch(link, &mut attachment).await;
        Input::Media(attachment)
    } else {
        input
    };
    let mut incoming = Incoming::new(
        room,
        ev.event_id.to_string(),
        &ev.sender,
        Pending::Ready(input),
    )
    .await;
    if matches!(ev.content.relates_to, Some(Relation::Thread(_))) {
        incoming.thread.clone_from(&reply_to);
    }
    incoming.reply_to = reply_to;
    incoming.unaddressed = unaddressed;
    incoming.command = command;
    Some(incoming)
}

impl Incoming {
    /// The event's turn, inside the engine (alone, or as one turn of a group).
    /// An unaddressed message in a room of several people that turns out not to
    /// be for the bot needs no turn: it reads as a duplicate.
    pub(super) fn run(self, engine: &mut Engine) -> Result<TurnResult, EngineError> {
        let room = self.room.to_string();
        let chat = Chat {
            channel: CHANNEL,
            chat_id: &room,
        };
        let ours = match self.reply_to.as_deref() {
            Some(m) if self.unaddressed => engine.is_our_message(chat, m)?,
            _ => false,
        };
        if self.unaddressed && !ours && !(self.command && engine.is_owner(CHANNEL, &self.sender)) {
            return Ok(TurnResult::Duplicate);
        }
        // An owner's message in a ticket's thread is about that ticket (its
        // answers go into the thread too).
        let ticket = match self.thread.as_deref() {
            Some(notice) if engine.is_owner(CHANNEL, &self.sender) => {
                engine.ticket_of_message(chat, notice)?
            }
            _ => None,
        };
        let input = match self.input {
            Pending::Ready(input) => input,
            // A reaction on a message that is not ours, or without such a
            // button, is answered like an expired button.
            Pending::Reaction { message, number } => engine
                .button_on_message(chat, &message, number)?
                .map_or(Input::Stale, Input::Button),
        };
        let event = Event {
            key: Some(&self.key),
            pressed: None,
            sender: Some(&self.sender),
            sender_name: Some(&self.sender_name),
            reply_to: self.reply_to.as_deref(),
            forwarded: false,
            direct: self.direct,
            ticket,
            language: None,
        };
        engine.run_turn(chat, event, &input, Timestamp::now())
    }
}
