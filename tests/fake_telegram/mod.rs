//! A fake Telegram Bot API server for tests: real HTTP on 127.0.0.1, Telegram's
//! limits and error texts, long polling, and a control API to play the customer.
//!
//! ```ignore
//! let tg = FakeTelegram::start().await;
//! // run the bot with TELOXIDE_API_URL = tg.api_url(), token FakeTelegram::TOKEN
//! let alice = tg.customer(1001, "Alice");
//! alice.send_text("/start");
//! let menu = alice.wait_for_text("Welcome", Duration::from_secs(10)).await?;
//! ```
#![allow(dead_code)]

mod customer;
mod files;
mod forum;
mod html;
mod limits;
mod markdown;
mod methods;
mod params;
mod received;
mod sending;
mod server;
mod stars;
mod state;
mod types;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;

#[allow(unused_imports)]
pub use customer::{Customer, Group};
#[allow(unused_imports)]
pub use files::{Kind, Received};
#[allow(unused_imports)]
pub use forum::TopicInfo;
#[allow(unused_imports)]
pub use types::{Call, CallbackAnswer, Fault, Outage, PhotoSource, PreCheckoutAnswer, Seen};

use state::{ChatKind, State};

const OUTAGE_NONE: u8 = 0;
const OUTAGE_REFUSE: u8 = 1;
const OUTAGE_BAD_GATEWAY: u8 = 2;

struct Shared {
    state: Mutex<State>,
    /// Woken when updates arrive (and on pause), for long polls.
    updates: Notify,
    /// Woken after every request, for the control API's waits.
    changed: Notify,
    outage: AtomicU8,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn refusing(&self) -> bool {
        self.outage.load(Ordering::SeqCst) == OUTAGE_REFUSE
    }
}

/// Handle to a running fake; cheap to clone.
#[derive(Clone)]
pub struct FakeTelegram {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl FakeTelegram {
    /// The only token the fake accepts (bot id 123456).
    pub const TOKEN: &'static str = "123456:TEST-token_abc";
    /// The bot's user id and username, as `getMe` reports them.
    pub const BOT_ID: i64 = state::BOT_ID;
    pub const BOT_USERNAME: &'static str = state::BOT_USERNAME;

    /// Starts the server on 127.0.0.1 with a random port (needs a tokio runtime).
    pub async fn start() -> Self {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new()),
            updates: Notify::new(),
            changed: Notify::new(),
            outage: AtomicU8::new(OUTAGE_NONE),
        });
        let addr = server::serve(Arc::clone(&shared)).await;
        Self { shared, addr }
    }

    /// The value for `TELOXIDE_API_URL` / `Bot::set_api_url`, e.g. `http://127.0.0.1:40123`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// Photo files received in multipart uploads: how many, and their bytes.
    pub fn uploads(&self) -> (u64, u64) {
        let st = self.lock();
        (st.uploads, st.uploaded_bytes)
    }

    /// Forgets every `file_id` handed out so far, as Telegram may: sending one
    /// afterwards is refused with 400 "wrong file identifier/HTTP URL specified".
    pub fn forget_file_ids(&self) {
        self.lock().files.clear();
    }

    /// A private chat with a user who has started the bot before, so the bot may
    /// write first (chat id = user id). Calling it again returns the same chat.
    pub fn customer(&self, id: i64, first_name: &str) -> Customer {
        self.private_chat(id, first_name, true)
    }

    /// Someone else in a private chat with the bot who copies `of`'s first name,
    /// username and language: only the user id tells them apart (display-name
    /// spoofing; real Telegram usernames are unique, so this is the worst case).
    pub fn lookalike(&self, id: i64, of: &Customer) -> Customer {
        let source = self.lock().users.get(&of.id()).cloned();
        let (first_name, username, language) = source.map_or_else(
            || ("Unknown".to_owned(), None, Some("en".to_owned())),
            |u| (u.first_name, u.username, u.language_code),
        );
        let copy = self.customer(id, &first_name);
        copy.set_username(username.as_deref());
        copy.set_language(language.as_deref());
        copy
    }

    /// A user who never wrote to the bot: until they send something, the bot gets
    /// 403 "Forbidden: bot can't initiate conversation with a user".
    pub fn stranger(&self, id: i64, first_name: &str) -> Customer {
        self.private_chat(id, first_name, false)
    }

    fn private_chat(&self, id: i64, first_name: &str, opened: bool) -> Customer {
        let mut st = self.lock();
        add_user(&mut st, id, first_name);
        let chat = st.chats.entry(id).or_insert_with(|| state::Chat {
            kind: ChatKind::Private { user_id: id },
            next_id: 1,
            messages: Vec::new(),
            opened,
        });
        chat.opened |= opened;
        drop(st);
        Customer::new(self.clone(), id, id)
    }

    /// A group chat (pass a negative id; ids ≤ -1000000000000 are supergroups).
    /// The bot is in privacy mode: it only gets commands, mentions and replies.
    pub fn group(&self, id: i64, title: &str) -> Group {
        let kind = if id <= -1_000_000_000_000 {
            ChatKind::Supergroup {
                title: title.to_owned(),
            }
        } else {
            ChatKind::Group {
                title: title.to_owned(),
            }
        };
        self.lock().chats.entry(id).or_insert(state::Chat {
            kind,
            next_id: 1,
            messages: Vec::new(),
            opened: true,
        });
        Group::new(self.clone(), id)
    }

    /// Flood limits on (default) or off.
    pub fn set_strict(&self, on: bool) {
        self.lock().config.strict_rate = on;
    }

    /// Messages a chat may get at once before the 1-per-second limit applies (default 3).
    pub fn set_burst(&self, messages: u32) {
        self.lock().config.burst = messages.max(1);
    }

    /// Rejects `&` that is not an HTML entity (default on; real Telegram keeps it as text).
    pub fn set_strict_html(&self, on: bool) {
        self.lock().config.strict_html = on;
    }

    /// How long a callback query can be answered (default 15 s).
    pub fn set_callback_timeout(&self, timeout: Duration) {
        self.lock().config.callback_timeout = timeout;
    }

    /// The next `times` calls of `method` (any case) fail with `fault`.
    pub fn fail_next(&self, method: &str, times: u32, fault: Fault) {
        if times > 0 {
            self.lock()
                .faults_next
                .push((method.to_owned(), times, fault));
        }
    }

    /// Every send/edit/copy/forward/chat action to `chat_id` fails with `fault`.
    pub fn fail_chat(&self, chat_id: i64, fault: Fault) {
        self.lock().chat_faults.insert(chat_id, fault);
    }

    pub fn clear_faults(&self) {
        let mut st = self.lock();
        st.faults_next.clear();
        st.chat_faults.clear();
    }

    /// Every new update is queued twice (new `update_id`, same content).
    pub fn duplicate_updates(&self, on: bool) {
        self.lock().duplicate = on;
    }

    /// Simulates an outage: connections are dropped (see [`Outage`]).
    pub fn pause(&self) {
        self.pause_with(Outage::Refuse);
    }

    pub fn pause_with(&self, outage: Outage) {
        let code = match outage {
            Outage::Refuse => OUTAGE_REFUSE,
            Outage::BadGateway => OUTAGE_BAD_GATEWAY,
        };
        self.shared.outage.store(code, Ordering::SeqCst);
        self.shared.updates.notify_waiters();
    }

    pub fn resume(&self) {
        self.shared.outage.store(OUTAGE_NONE, Ordering::SeqCst);
    }

    /// Every request so far, in order of completion.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The calls of one method (any case).
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .cloned()
            .collect()
    }

    /// Answers to callback queries, in no particular order.
    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.lock()
            .callbacks
            .values()
            .filter_map(|c| c.answer.clone())
            .collect()
    }

    /// The bot's command list for the default scope and no language, as (command, description).
    pub fn commands(&self) -> Vec<(String, String)> {
        let st = self.lock();
        let list = st
            .commands
            .get("default|")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        list.iter()
            .map(|c| {
                (
                    c["command"].as_str().unwrap_or_default().to_owned(),
                    c["description"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Updates not yet confirmed by the bot, as JSON.
    pub fn pending_updates(&self) -> Vec<Value> {
        self.lock().updates.iter().map(|u| u.json.clone()).collect()
    }

    /// How many updates wait unconfirmed (cheap: the benchmark polls it).
    pub fn pending_count(&self) -> usize {
        self.lock().updates.len()
    }

    pub fn pre_checkout_answer(&self, query_id: &str) -> Option<PreCheckoutAnswer> {
        self.lock()
            .pre_checkouts
            .get(query_id)
            .and_then(|p| p.answer.clone())
    }

    /// What a chat holds, with edits applied.
    pub fn messages_in(&self, chat_id: i64) -> Vec<Seen> {
        self.lock().seen_in(chat_id)
    }

    /// Waits until the bot has started a getUpdates call.
    pub async fn wait_for_polling(&self, timeout: Duration) -> Result<(), String> {
        self.wait(timeout, |st| (st.polls_started > 0).then_some(()))
            .await
            .ok_or_else(|| "the bot never called getUpdates".to_owned())
    }

    /// How many getUpdates calls have started so far.
    pub fn polls_started(&self) -> u64 {
        self.lock().polls_started
    }

    /// Waits until more than `count` getUpdates calls have started: after a
    /// restart, the new process is polling once this returns.
    pub async fn wait_for_polls_beyond(&self, count: u64, timeout: Duration) -> Result<(), String> {
        self.wait(timeout, |st| (st.polls_started > count).then_some(()))
            .await
            .ok_or_else(|| format!("no new getUpdates call within {timeout:?}"))
    }

    /// Waits until `method` has been called at least `count` times in all.
    pub async fn wait_for_calls(
        &self,
        method: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Call>, String> {
        self.wait(timeout, |st| {
            let calls: Vec<Call> = st
                .calls
                .iter()
                .filter(|c| c.method.eq_ignore_ascii_case(method))
                .cloned()
                .collect();
            (calls.len() >= count).then_some(calls)
        })
        .await
        .ok_or_else(|| format!("{method} was not called {count} times within {timeout:?}"))
    }

    /// A bare HTTP/1.1 POST, for requests teloxide can't make (unknown methods,
    /// forms, broken JSON). Returns the status and the JSON body (`Null` if none).
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut response = Vec::new();
        if let Ok(mut stream) = tokio::net::TcpStream::connect(self.addr).await
            && stream.write_all(request.as_bytes()).await.is_ok()
        {
            let _ = stream.read_to_end(&mut response).await;
        }
        let response = String::from_utf8_lossy(&response);
        let status = response
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let json = response
            .split("\r\n\r\n")
            .nth(1)
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        (status, json)
    }

    /// Polls `check` under the lock until it gives a value or `timeout` passes.
    async fn wait<T>(&self, timeout: Duration, check: impl Fn(&State) -> Option<T>) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            if let Some(v) = check(&self.lock()) {
                return Some(v);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            let nap = tokio::time::sleep(Duration::from_millis(25));
            tokio::select! {
                () = notified => {}
                () = nap => {}
            }
        }
    }
}

/// The start of a PNG file (signature and IHDR chunk): all the fake reads of an
/// image, so enough for `sendPhoto` uploads in tests.
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut data = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    data.extend(width.to_be_bytes());
    data.extend(height.to_be_bytes());
    data.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    data
}

fn add_user(st: &mut State, id: i64, first_name: &str) {
    let user = st.users.entry(id).or_insert_with(|| state::User {
        id,
        first_name: first_name.to_owned(),
        username: None,
        language_code: Some("en".to_owned()),
        is_bot: false,
    });
    first_name.clone_into(&mut user.first_name);
}
