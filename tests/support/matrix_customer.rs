//! A customer's real Matrix client for the tests: matrix-sdk with end-to-end
//! encryption, its own `SQLite` store in a temporary folder, syncing in a
//! background task. It records every timeline event of its rooms, so a test can
//! ask what the customer sees: messages (decrypted, also when the room key came
//! late), replies, images, and the reactions on each message.
//!
//! Include with `#[path = "support/matrix_customer.rs"] mod matrix_customer;`.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use matrix_sdk::config::{RequestConfig, SyncSettings};
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::room::create_room::v3::{
    Request as CreateRoomRequest, RoomPreset,
};
use matrix_sdk::ruma::api::client::sync::sync_events::v3::Filter;
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::events::reaction::ReactionEventContent;
use matrix_sdk::ruma::events::relation::{Annotation, InReplyTo, Reply};
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::message::{Relation, RoomMessageEventContent};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, RoomId, UInt, UserId};
use matrix_sdk::{Client, Room, RoomMemberships, RoomState};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep};

/// One `m.room.message` as the customer's client sees it.
#[derive(Clone, Debug)]
pub struct SeenEvent {
    pub event_id: OwnedEventId,
    pub sender: OwnedUserId,
    /// `m.text`, `m.notice`, `m.image`, …
    pub msgtype: String,
    pub body: String,
    pub formatted_body: Option<String>,
    pub is_image: bool,
    /// The event this one answers (`m.in_reply_to`).
    pub in_reply_to: Option<OwnedEventId>,
    /// The event this one edits (`rel_type: m.replace`).
    pub replaces: Option<OwnedEventId>,
    /// Whether it came end-to-end encrypted.
    pub encrypted: bool,
    /// `(sender, key)` of every reaction on it that is not redacted, in order.
    pub reactions: Vec<(OwnedUserId, String)>,
    /// The (decrypted) content, as JSON.
    pub content: Value,
}

impl SeenEvent {
    /// The reaction keys `sender` put on this message, in order.
    pub fn reactions_by(&self, sender: &UserId) -> Vec<String> {
        self.reactions
            .iter()
            .filter(|(s, _)| s == sender)
            .map(|(_, k)| k.clone())
            .collect()
    }
}

/// Every timeline event of every room, in sync order; UTDs are replaced once
/// they decrypt.
#[derive(Default)]
struct Seen {
    rooms: HashMap<OwnedRoomId, Vec<TimelineEvent>>,
    ids: HashSet<String>,
}

/// A customer logged in to the homeserver with a real matrix-sdk client.
pub struct MatrixCustomer {
    client: Client,
    user_id: OwnedUserId,
    seen: Arc<Mutex<Seen>>,
    accept_invites: Arc<AtomicBool>,
    sync_task: JoinHandle<()>,
    _store: tempfile::TempDir,
}

impl Drop for MatrixCustomer {
    fn drop(&mut self) {
        self.sync_task.abort();
    }
}

fn json_of(event: &TimelineEvent) -> Value {
    serde_json::from_str(event.raw().json().get()).unwrap_or(Value::Null)
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn event_id_at(v: &Value, path: &[&str]) -> Option<OwnedEventId> {
    str_at(v, path).and_then(|s| OwnedEventId::try_from(s).ok())
}

impl MatrixCustomer {
    /// Logs in (a new device), does a first sync, and keeps syncing in the
    /// background. `url` is the homeserver's base URL (`http://127.0.0.1:PORT`).
    pub async fn login(url: &str, user_id: &str, password: &str) -> MatrixCustomer {
        let store = tempfile::Builder::new()
            .prefix("shopbot-customer-")
            .tempdir()
            .expect("temp dir for the customer's store");
        let client = Client::builder()
            .homeserver_url(url)
            .sqlite_store(store.path(), None)
            .request_config(RequestConfig::short_retry().timeout(Duration::from_secs(30)))
            .build()
            .await
            .expect("customer client builds");
        client
            .matrix_auth()
            .login_username(user_id, password)
            .initial_device_display_name("shopbot test customer")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{user_id} cannot log in: {e}"));
        let user_id = client.user_id().expect("logged in").to_owned();

        let mut filter = FilterDefinition::default();
        // Never a gap in what the customer sees, however much arrives between syncs.
        filter.room.timeline.limit = Some(UInt::from(1000u32));
        let settings = SyncSettings::default()
            .filter(Filter::FilterDefinition(filter))
            .timeout(Duration::from_secs(1));

        let seen = Arc::new(Mutex::new(Seen::default()));
        let accept_invites = Arc::new(AtomicBool::new(false));
        // The first sync uploads the device keys and learns the rooms.
        let first = client
            .sync_once(settings.clone())
            .await
            .unwrap_or_else(|e| panic!("{user_id}: first sync fails: {e}"));
        record(&client, &seen, &accept_invites, first).await;

        let sync_task = tokio::spawn(sync_forever(
            client.clone(),
            settings,
            Arc::clone(&seen),
            Arc::clone(&accept_invites),
        ));
        MatrixCustomer {
            client,
            user_id,
            seen,
            accept_invites,
            sync_task,
            _store: store,
        }
    }

    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }

    /// The matrix-sdk client, for what this helper does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Joins every room this customer is invited to, now and later.
    pub fn accept_invites(&self, yes: bool) {
        self.accept_invites.store(yes, Ordering::SeqCst);
    }

    /// A private direct chat with `bot`, invited, end-to-end encrypted if
    /// `encrypted` (as Element creates DMs).
    pub async fn create_dm(&self, bot: &UserId, encrypted: bool) -> OwnedRoomId {
        let mut request = CreateRoomRequest::new();
        request.invite = vec![bot.to_owned()];
        request.is_direct = true;
        if encrypted {
            request.preset = Some(RoomPreset::TrustedPrivateChat);
            request.initial_state = vec![
                InitialStateEvent::with_empty_state_key(
                    RoomEncryptionEventContent::with_recommended_defaults(),
                )
                .to_raw_any(),
            ];
        } else {
            request.preset = Some(RoomPreset::PrivateChat);
        }
        let room = self
            .client
            .create_room(request)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot create a DM with {bot}: {e}", self.user_id));
        room.room_id().to_owned()
    }

    /// A room of several people (not a direct chat), inviting `users`.
    pub async fn create_group(&self, users: &[&UserId]) -> OwnedRoomId {
        let mut request = CreateRoomRequest::new();
        request.invite = users.iter().map(|u| (*u).to_owned()).collect();
        request.preset = Some(RoomPreset::PrivateChat);
        let room = self
            .client
            .create_room(request)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot create a group room: {e}", self.user_id));
        room.room_id().to_owned()
    }

    /// Joins a room this customer was invited to.
    pub async fn join(&self, room: &RoomId) {
        let joined = poll(Duration::from_secs(10), || async {
            self.client.join_room_by_id(room).await.ok()
        });
        assert!(
            joined.await.is_some(),
            "{} cannot join {room}",
            self.user_id
        );
    }

    /// The room once this client knows it as joined (waits up to 20 s).
    pub async fn room(&self, room: &RoomId) -> Room {
        let joined = poll(Duration::from_secs(20), || async {
            let r = self.client.get_room(room)?;
            (r.state() == RoomState::Joined).then_some(r)
        });
        let user = &self.user_id;
        joined
            .await
            .unwrap_or_else(|| panic!("{user}: room {room} is not joined after 20 s"))
    }

    /// Sends a plain text message; in an encrypted room, checks it went out
    /// encrypted.
    pub async fn send_text(&self, room: &RoomId, text: &str) -> OwnedEventId {
        let room = self.room(room).await;
        let encrypted = room
            .latest_encryption_state()
            .await
            .expect("encryption state")
            .is_encrypted();
        let sent = room
            .send(RoomMessageEventContent::text_plain(text))
            .await
            .unwrap_or_else(|e| panic!("{}: cannot send {text:?}: {e}", self.user_id));
        assert_eq!(
            sent.encryption_info.is_some(),
            encrypted,
            "{text:?} in room {} (encrypted: {encrypted}) went out with the wrong encryption",
            room.room_id()
        );
        sent.response.event_id
    }

    /// Sends `text` as a reply to `to` (`m.relates_to` / `m.in_reply_to`), the way
    /// current clients (Element) do it: no quoted fallback in the body.
    pub async fn send_reply(&self, room: &RoomId, to: &OwnedEventId, text: &str) -> OwnedEventId {
        let mut content = RoomMessageEventContent::text_plain(text);
        content.relates_to = Some(Relation::Reply(Reply::new(InReplyTo::new(to.clone()))));
        self.send_content(room, content, text).await
    }

    /// Sends `text` as a reply to `to` the way older clients did: the body starts
    /// with the quoted original (`> <@sender> line` … then an empty line), and an
    /// HTML body with an `<mx-reply>` block.
    pub async fn send_reply_with_fallback(
        &self,
        room: &RoomId,
        to: &OwnedEventId,
        quoted_sender: &UserId,
        quoted: &str,
        text: &str,
    ) -> OwnedEventId {
        let mut body = String::new();
        for (i, line) in quoted.lines().enumerate() {
            if i == 0 {
                let _ = writeln!(body, "> <{quoted_sender}> {line}");
            } else {
                let _ = writeln!(body, "> {line}");
            }
        }
        body.push('\n');
        body.push_str(text);
        let html = format!(
            "<mx-reply><blockquote><a href=\"https://matrix.to/#/{room}/{to}\">In reply to</a> \
             <a href=\"https://matrix.to/#/{quoted_sender}\">{quoted_sender}</a><br>{}</blockquote></mx-reply>{}",
            escape(quoted),
            escape(text)
        );
        let mut content = RoomMessageEventContent::text_html(body, html);
        content.relates_to = Some(Relation::Reply(Reply::new(InReplyTo::new(to.clone()))));
        self.send_content(room, content, text).await
    }

    async fn send_content(
        &self,
        room: &RoomId,
        content: RoomMessageEventContent,
        what: &str,
    ) -> OwnedEventId {
        let room = self.room(room).await;
        room.send(content)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot send {what:?}: {e}", self.user_id))
            .response
            .event_id
    }

    /// Sets this user's display name (global profile, so in every room).
    pub async fn set_display_name(&self, name: &str) {
        self.client
            .account()
            .set_display_name(Some(name))
            .await
            .unwrap_or_else(|e| panic!("{}: cannot set display name {name:?}: {e}", self.user_id));
    }

    /// Reacts to `event_id` with `key` (an `m.reaction` annotation).
    pub async fn react(&self, room: &RoomId, event_id: &OwnedEventId, key: &str) -> OwnedEventId {
        let room = self.room(room).await;
        let content = ReactionEventContent::new(Annotation::new(event_id.clone(), key.to_owned()));
        room.send(content)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot react {key} to {event_id}: {e}", self.user_id))
            .response
            .event_id
    }

    /// Every `m.room.message` of the room seen so far, in timeline order, with
    /// its reactions.
    pub fn messages(&self, room: &RoomId) -> Vec<SeenEvent> {
        let seen = self.seen.lock().expect("seen lock");
        seen.rooms
            .get(room)
            .map(|events| messages_of(events))
            .unwrap_or_default()
    }

    /// How many events of the room could not be decrypted (yet).
    pub fn undecryptable(&self, room: &RoomId) -> usize {
        let seen = self.seen.lock().expect("seen lock");
        seen.rooms.get(room).map_or(0, |events| {
            events.iter().filter(|e| e.kind.is_utd()).count()
        })
    }

    /// What the room holds, for error messages: one line per message.
    pub fn describe(&self, room: &RoomId) -> String {
        let mut out = String::new();
        for m in self.messages(room) {
            let lock = if m.encrypted { "🔒" } else { "" };
            let (id, from, kind, body, r) = (m.event_id, m.sender, m.msgtype, m.body, m.reactions);
            let _ = writeln!(out, "  {id} {from} {kind}{lock} {body:?} reactions {r:?}");
        }
        match self.undecryptable(room) {
            0 if out.is_empty() => "  (no messages)\n".to_owned(),
            0 => out,
            utd => format!("{out}  and {utd} event(s) not decrypted\n"),
        }
    }

    /// The first message from someone else than this customer whose body
    /// contains `needle`.
    pub async fn wait_for(
        &self,
        room: &RoomId,
        needle: &str,
        timeout: Duration,
    ) -> Result<SeenEvent, String> {
        let me = self.user_id.clone();
        self.wait_for_where(
            room,
            &format!("a message containing {needle:?}"),
            timeout,
            |m| m.sender != me && m.body.contains(needle),
        )
        .await
    }

    /// The first message for which `predicate` holds; `what` names it in the
    /// error, which also lists what the room holds.
    pub async fn wait_for_where(
        &self,
        room: &RoomId,
        what: &str,
        timeout: Duration,
        predicate: impl Fn(&SeenEvent) -> bool,
    ) -> Result<SeenEvent, String> {
        let found = poll(timeout, || async {
            self.messages(room).into_iter().find(|m| predicate(m))
        });
        found.await.ok_or_else(|| {
            let (user, held) = (&self.user_id, self.describe(room));
            format!("{user}: no {what} in room {room} after {timeout:?}; the room holds:\n{held}")
        })
    }

    /// Waits until `event_id` carries at least `count` reactions (from anyone);
    /// returns the message with them.
    pub async fn wait_for_reactions(
        &self,
        room: &RoomId,
        event_id: &OwnedEventId,
        count: usize,
        timeout: Duration,
    ) -> Result<SeenEvent, String> {
        self.wait_for_where(
            room,
            &format!("{event_id} with {count} reaction(s)"),
            timeout,
            |m| &m.event_id == event_id && m.reactions.len() >= count,
        )
        .await
    }

    /// Waits until `user` has joined the room (as this customer's client sees it).
    pub async fn wait_for_join(
        &self,
        room: &RoomId,
        user: &UserId,
        timeout: Duration,
    ) -> Result<(), String> {
        let joined = poll(timeout, || async {
            let members = self.client.get_room(room)?;
            let members = members.members_no_sync(RoomMemberships::JOIN).await.ok()?;
            members.iter().any(|m| m.user_id() == user).then_some(())
        });
        let me = &self.user_id;
        joined
            .await
            .ok_or_else(|| format!("{me}: {user} has not joined room {room} after {timeout:?}"))
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Calls `attempt` every 50 ms until it gives something or `timeout` passed.
async fn poll<T, F: Future<Output = Option<T>>>(
    timeout: Duration,
    mut attempt: impl FnMut() -> F,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(found) = attempt().await {
            return Some(found);
        }
        if Instant::now() >= deadline {
            return None;
        }
        sleep(Duration::from_millis(50)).await;
    }
}

/// Builds the messages of a room from its timeline events.
fn messages_of(events: &[TimelineEvent]) -> Vec<SeenEvent> {
    let mut out: Vec<SeenEvent> = Vec::new();
    // reaction event id -> (target, sender, key)
    let mut reactions: Vec<(String, OwnedEventId, OwnedUserId, String)> = Vec::new();
    let mut redacted: HashSet<String> = HashSet::new();
    for event in events {
        let v = json_of(event);
        let Some(event_id) = event_id_at(&v, &["event_id"]) else {
            continue;
        };
        let Some(sender) = str_at(&v, &["sender"]).and_then(|s| OwnedUserId::try_from(s).ok())
        else {
            continue;
        };
        match str_at(&v, &["type"]) {
            Some("m.room.message") => {
                let msgtype = str_at(&v, &["content", "msgtype"])
                    .unwrap_or_default()
                    .to_owned();
                let replaces = (str_at(&v, &["content", "m.relates_to", "rel_type"])
                    == Some("m.replace"))
                .then(|| event_id_at(&v, &["content", "m.relates_to", "event_id"]))
                .flatten();
                out.push(SeenEvent {
                    event_id,
                    sender,
                    is_image: msgtype == "m.image",
                    msgtype,
                    body: str_at(&v, &["content", "body"])
                        .unwrap_or_default()
                        .to_owned(),
                    formatted_body: str_at(&v, &["content", "formatted_body"]).map(str::to_owned),
                    in_reply_to: event_id_at(
                        &v,
                        &["content", "m.relates_to", "m.in_reply_to", "event_id"],
                    ),
                    replaces,
                    encrypted: event.encryption_info().is_some(),
                    reactions: Vec::new(),
                    content: v["content"].clone(),
                });
            }
            Some("m.reaction") => {
                if let (Some(target), Some(key)) = (
                    event_id_at(&v, &["content", "m.relates_to", "event_id"]),
                    str_at(&v, &["content", "m.relates_to", "key"]),
                ) {
                    reactions.push((event_id.to_string(), target, sender, key.to_owned()));
                }
            }
            Some("m.room.redaction") => {
                if let Some(r) =
                    str_at(&v, &["redacts"]).or_else(|| str_at(&v, &["content", "redacts"]))
                {
                    redacted.insert(r.to_owned());
                }
            }
            _ => {}
        }
    }
    for (id, target, sender, key) in reactions {
        if redacted.contains(&id) {
            continue;
        }
        if let Some(m) = out.iter_mut().find(|m| m.event_id == target) {
            m.reactions.push((sender, key));
        }
    }
    out.retain(|m| !redacted.contains(m.event_id.as_str()));
    out
}

async fn sync_forever(
    client: Client,
    settings: SyncSettings,
    seen: Arc<Mutex<Seen>>,
    accept_invites: Arc<AtomicBool>,
) {
    loop {
        match client.sync_once(settings.clone()).await {
            Ok(response) => record(&client, &seen, &accept_invites, response).await,
            // The homeserver may be restarting: keep trying.
            Err(_) => sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Records a sync's timeline events, retries the events that did not decrypt
/// (their keys may have come with this sync), and joins invited rooms if asked.
async fn record(
    client: &Client,
    seen: &Mutex<Seen>,
    accept_invites: &AtomicBool,
    response: matrix_sdk::sync::SyncResponse,
) {
    {
        let mut seen = seen.lock().expect("seen lock");
        let Seen { rooms, ids } = &mut *seen;
        for (room_id, update) in response.rooms.joined {
            let events = rooms.entry(room_id).or_default();
            for event in update.timeline.events {
                let id = event.event_id().map(|e| e.to_string()).unwrap_or_default();
                if id.is_empty() || ids.insert(id) {
                    events.push(event);
                }
            }
        }
    }
    retry_decryption(client, seen).await;
    if accept_invites.load(Ordering::SeqCst) {
        // Every pending invite, not only this sync's: a join that failed is
        // tried again after the next sync.
        for room in client.invited_rooms() {
            let _ = room.join().await;
        }
    }
}

async fn retry_decryption(client: &Client, seen: &Mutex<Seen>) {
    let pending: Vec<(OwnedRoomId, usize, TimelineEvent)> = {
        let seen = seen.lock().expect("seen lock");
        seen.rooms
            .iter()
            .flat_map(|(room, events)| {
                events
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.kind.is_utd())
                    .map(|(i, e)| (room.clone(), i, e.clone()))
            })
            .collect()
    };
    for (room_id, index, event) in pending {
        let Some(room) = client.get_room(&room_id) else {
            continue;
        };
        let raw = event
            .raw()
            .cast_ref_unchecked::<OriginalSyncRoomEncryptedEvent>();
        if let Ok(decrypted) = room.decrypt_event(raw, None).await
            && !decrypted.kind.is_utd()
        {
            let mut seen = seen.lock().expect("seen lock");
            if let Some(slot) = seen.rooms.get_mut(&room_id).and_then(|v| v.get_mut(index)) {
                *slot = decrypted;
            }
        }
    }
}
