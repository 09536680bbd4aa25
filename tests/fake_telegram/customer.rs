//! The customer's side: sending messages, pressing buttons, paying, and reading
//! what the chat shows.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::state::{BOT_ID, BOT_USERNAME, Body, CallbackRec, PreCheckoutRec, State, unix_now};
use super::types::{CallbackAnswer, Seen};
use super::{FakeTelegram, add_user};

/// A user in a chat: a private chat (`FakeTelegram::customer`) or a group member
/// (`Group::member`).
#[derive(Clone)]
pub struct Customer {
    pub(super) fake: FakeTelegram,
    user_id: i64,
    chat_id: i64,
}

/// A group chat.
#[derive(Clone)]
pub struct Group {
    fake: FakeTelegram,
    id: i64,
}

impl Group {
    pub(super) fn new(fake: FakeTelegram, id: i64) -> Self {
        Self { fake, id }
    }

    pub fn id(&self) -> i64 {
        self.id
    }

    /// A member who can write in the group.
    pub fn member(&self, user_id: i64, first_name: &str) -> Customer {
        add_user(&mut self.fake.lock(), user_id, first_name);
        Customer {
            fake: self.fake.clone(),
            user_id,
            chat_id: self.id,
        }
    }

    pub fn messages(&self) -> Vec<Seen> {
        self.fake.messages_in(self.id)
    }
}

/// Bot commands and @mentions, as Telegram marks them in users' messages.
fn auto_entities(text: &str) -> Vec<Value> {
    let mut entities = Vec::new();
    let mut utf16 = 0;
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((pos, c)) = chars.next() {
        let word_start = prev.is_none_or(char::is_whitespace);
        if word_start && (c == '/' || c == '@') {
            let rest = &text[pos + 1..];
            let mut len = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            if c == '/' && rest[len..].starts_with('@') {
                let tail = &rest[len + 1..];
                len += 1 + tail
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .unwrap_or(tail.len());
            }
            let ok = if c == '/' { len > 0 } else { len >= 5 };
            if ok {
                let kind = if c == '/' { "bot_command" } else { "mention" };
                entities.push(json!({ "type": kind, "offset": utf16, "length": len + 1 }));
                for _ in 0..len {
                    chars.next();
                }
                utf16 += len + 1;
                prev = Some('x');
                continue;
            }
        }
        utf16 += c.len_utf16();
        prev = Some(c);
    }
    entities
}

impl Customer {
    pub(super) fn new(fake: FakeTelegram, user_id: i64, chat_id: i64) -> Self {
        Self {
            fake,
            user_id,
            chat_id,
        }
    }

    pub fn id(&self) -> i64 {
        self.user_id
    }

    pub fn chat_id(&self) -> i64 {
        self.chat_id
    }

    /// The `language_code` sent with this user (default "en"; `None` to omit it).
    pub fn set_language(&self, code: Option<&str>) {
        if let Some(u) = self.fake.lock().users.get_mut(&self.user_id) {
            u.language_code = code.map(str::to_owned);
        }
    }

    pub fn set_username(&self, username: Option<&str>) {
        if let Some(u) = self.fake.lock().users.get_mut(&self.user_id) {
            u.username = username.map(str::to_owned);
        }
    }

    pub(super) fn post(&self, body: Body, reply_to: Option<i64>) -> i64 {
        self.post_with(body, reply_to, None)
    }

    /// Stores a message from this user (a reply, or a forward of `(user, date)`)
    /// and queues its update if the bot may see it.
    fn post_with(&self, body: Body, reply_to: Option<i64>, forward: Option<(i64, i64)>) -> i64 {
        let mut st = self.fake.lock();
        if let Some(chat) = st.chats.get_mut(&self.chat_id) {
            chat.opened = true;
        }
        let id = st.add_msg(self.chat_id, self.user_id, body, None);
        let msg = st.msg_mut(self.chat_id, id).expect("just added");
        msg.reply_to = reply_to;
        msg.forward_from = forward;
        let msg = msg.clone();
        if self.delivered(&st, &msg.body, reply_to) {
            let json = st.msg_json(&msg);
            st.push_update("message", &json);
        }
        drop(st);
        self.fake.shared.updates.notify_waiters();
        id
    }

    /// Privacy mode: in groups the bot only sees commands, mentions and replies to it.
    fn delivered(&self, st: &State, body: &Body, reply_to: Option<i64>) -> bool {
        if !st.is_group(self.chat_id) || super::forum::sees_all(st, self.chat_id) {
            return true;
        }
        let Some(text) = super::files::text_of(body) else {
            return true;
        };
        text.starts_with('/')
            || text.contains(&format!("@{BOT_USERNAME}"))
            || reply_to
                .and_then(|r| st.msg(self.chat_id, r))
                .is_some_and(|m| m.from == BOT_ID)
    }

    /// Sends a text message; returns its message id.
    pub fn send_text(&self, text: &str) -> i64 {
        self.post(
            Body::Text {
                text: text.to_owned(),
                entities: auto_entities(text),
            },
            None,
        )
    }

    /// Sends a text message replying to `message_id`.
    pub fn reply_text(&self, message_id: i64, text: &str) -> i64 {
        self.post(
            Body::Text {
                text: text.to_owned(),
                entities: auto_entities(text),
            },
            Some(message_id),
        )
    }

    /// Forwards into this chat a text message that `from_user_id` wrote a minute
    /// ago: the update carries `forward_origin` (type "user", `sender_user`, `date`)
    /// and, as Telegram still sends them, the older `forward_from`/`forward_date`.
    /// `from` is this user, the one who forwarded it. `from_name` names the
    /// original author only if the fake does not know that user yet.
    pub fn send_forwarded(&self, text: &str, from_user_id: i64, from_name: &str) -> i64 {
        {
            let mut st = self.fake.lock();
            if !st.users.contains_key(&from_user_id) {
                add_user(&mut st, from_user_id, from_name);
            }
        }
        self.post_with(
            Body::Text {
                text: text.to_owned(),
                entities: auto_entities(text),
            },
            None,
            Some((from_user_id, unix_now() - 60)),
        )
    }

    /// The user's first name and username, as Telegram shows them to the bot.
    pub fn names(&self) -> (String, Option<String>) {
        let st = self.fake.lock();
        st.users
            .get(&self.user_id)
            .map(|u| (u.first_name.clone(), u.username.clone()))
            .unwrap_or_default()
    }

    /// Waits until the chat (as `messages()` shows it) satisfies `check`; returns it.
    pub async fn wait_for_messages(
        &self,
        timeout: Duration,
        check: impl Fn(&[Seen]) -> bool,
    ) -> Result<Vec<Seen>, String> {
        let chat = self.chat_id;
        let found = self.fake.wait(timeout, |st| {
            let seen = st.seen_in(chat);
            check(&seen).then_some(seen)
        });
        found.await.ok_or_else(|| {
            format!(
                "the chat did not reach the expected state within {timeout:?}; it holds:\n{}",
                self.listing()
            )
        })
    }

    pub fn send_sticker(&self) -> i64 {
        self.post(Body::Sticker, None)
    }

    /// Presses the button with `callback_data` on a message; returns the query id.
    pub fn press(&self, message_id: i64, callback_data: &str) -> Result<String, String> {
        let st = self.fake.lock();
        let msg = st
            .msg(self.chat_id, message_id)
            .cloned()
            .ok_or_else(|| format!("message {message_id} is not in chat {}", self.chat_id))?;
        let seen = State::seen(&msg);
        if !seen.all_buttons().any(|(_, d)| d == callback_data) {
            return Err(format!(
                "message {message_id} has no button {callback_data:?}; it has {:?}",
                seen.buttons
            ));
        }
        drop(st);
        self.press_forged(message_id, callback_data)
    }

    /// What a modified client can do: send any callback data from a bot message,
    /// whether or not the message has such a button.
    pub fn press_forged(&self, message_id: i64, callback_data: &str) -> Result<String, String> {
        let mut st = self.fake.lock();
        let msg = st
            .msg(self.chat_id, message_id)
            .cloned()
            .ok_or_else(|| format!("message {message_id} is not in chat {}", self.chat_id))?;
        let id = st.next_query_id();
        let update = json!({
            "id": id,
            "from": st.user_json(self.user_id),
            "message": st.msg_json(&msg),
            "chat_instance": format!("{}", self.chat_id.unsigned_abs().wrapping_mul(7_919) % 9_000_000_000_000_000_000),
            "data": callback_data,
        });
        st.push_update("callback_query", &update);
        st.callbacks.insert(
            id.clone(),
            CallbackRec {
                created: std::time::Instant::now(),
                answer: None,
                update,
            },
        );
        drop(st);
        self.fake.shared.updates.notify_waiters();
        Ok(id)
    }

    /// Presses the button whose text contains `label` on the newest bot message
    /// that has one.
    pub fn press_button(&self, label: &str) -> Result<String, String> {
        let messages = self.bot_messages();
        let found = messages.iter().rev().find_map(|m| {
            m.all_buttons()
                .find(|(text, _)| text.contains(label))
                .map(|(_, data)| (m.message_id, data.clone()))
        });
        let Some((message_id, data)) = found else {
            let all: Vec<_> = messages
                .iter()
                .flat_map(|m| m.all_buttons().map(|(t, _)| t.clone()))
                .collect();
            return Err(format!(
                "no button containing {label:?}; buttons in the chat: {all:?}"
            ));
        };
        self.press(message_id, &data)
    }

    /// Delivers the same callback query again under a new `update_id`.
    pub fn repress(&self, query_id: &str) -> Result<(), String> {
        let mut st = self.fake.lock();
        let update = st
            .callbacks
            .get(query_id)
            .map(|c| c.update.clone())
            .ok_or("unknown callback query")?;
        st.push_update("callback_query", &update);
        drop(st);
        self.fake.shared.updates.notify_waiters();
        Ok(())
    }

    pub fn callback_answer(&self, query_id: &str) -> Option<CallbackAnswer> {
        self.fake
            .lock()
            .callbacks
            .get(query_id)
            .and_then(|c| c.answer.clone())
    }

    pub async fn wait_for_callback_answer(
        &self,
        query_id: &str,
        timeout: Duration,
    ) -> Result<CallbackAnswer, String> {
        self.fake
            .wait(timeout, |st| {
                st.callbacks.get(query_id).and_then(|c| c.answer.clone())
            })
            .await
            .ok_or_else(|| format!("callback query {query_id} was not answered within {timeout:?}"))
    }

    /// Everything in the chat, in order, with edits applied.
    /// The chat, one line per message, for failure messages.
    fn listing(&self) -> String {
        self.messages()
            .iter()
            .map(|m| {
                format!(
                    "#{} {}: {:?}",
                    m.message_id,
                    if m.from_bot { "bot" } else { "user" },
                    m.text
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn messages(&self) -> Vec<Seen> {
        self.fake.messages_in(self.chat_id)
    }

    pub fn bot_messages(&self) -> Vec<Seen> {
        self.messages().into_iter().filter(|m| m.from_bot).collect()
    }

    /// When each bot message of this chat reached the fake, oldest first.
    pub fn bot_message_times(&self) -> Vec<Instant> {
        self.fake
            .lock()
            .bot_arrivals
            .get(&self.chat_id)
            .cloned()
            .unwrap_or_default()
    }

    pub fn last_message(&self) -> Option<Seen> {
        self.bot_messages().pop()
    }

    /// The text (or caption) of the newest bot message.
    pub fn last_text(&self) -> Option<String> {
        self.last_message().map(|m| m.text)
    }

    /// Waits for a bot message (new or edited) whose text contains `needle`;
    /// returns the newest such message.
    pub async fn wait_for_text(&self, needle: &str, timeout: Duration) -> Result<Seen, String> {
        self.wait_for_text_after(0, needle, timeout).await
    }

    /// Like `wait_for_text`, but only messages with an id above `after_message_id`.
    pub async fn wait_for_text_after(
        &self,
        after_message_id: i64,
        needle: &str,
        timeout: Duration,
    ) -> Result<Seen, String> {
        let chat = self.chat_id;
        let found = self.fake.wait(timeout, |st| {
            st.seen_in(chat)
                .into_iter()
                .rev()
                .find(|m| m.from_bot && m.message_id > after_message_id && m.text.contains(needle))
        });
        found.await.ok_or_else(|| {
            format!(
                "no bot message containing {needle:?} within {timeout:?}; the chat holds:\n{}",
                self.listing()
            )
        })
    }

    /// Opens the payment form of an invoice: a `pre_checkout_query`; returns its id.
    pub fn pre_checkout(&self, invoice_message_id: i64) -> Result<String, String> {
        let mut st = self.fake.lock();
        let msg = st
            .msg(self.chat_id, invoice_message_id)
            .cloned()
            .ok_or("no such message")?;
        let Body::Invoice {
            currency,
            total,
            payload,
            ..
        } = &msg.body
        else {
            return Err(format!("message {invoice_message_id} is not an invoice"));
        };
        let id = st.next_query_id();
        let query = json!({ "id": id, "from": st.user_json(self.user_id), "currency": currency,
            "total_amount": total, "invoice_payload": payload });
        st.push_update("pre_checkout_query", &query);
        st.pre_checkouts.insert(
            id.clone(),
            PreCheckoutRec {
                invoice: (self.chat_id, invoice_message_id),
                answer: None,
            },
        );
        drop(st);
        self.fake.shared.updates.notify_waiters();
        Ok(id)
    }

    /// Completes the payment (a message with `successful_payment`). Telegram only
    /// does this after the bot approved a pre-checkout query for the invoice.
    pub fn pay(&self, invoice_message_id: i64) -> Result<i64, String> {
        let key = (self.chat_id, invoice_message_id);
        let (currency, total, payload) = {
            let st = self.fake.lock();
            let approved = st
                .pre_checkouts
                .values()
                .any(|p| p.invoice == key && p.answer.as_ref().is_some_and(|a| a.ok));
            if !approved {
                return Err(format!(
                    "no approved pre-checkout query for invoice {invoice_message_id}"
                ));
            }
            match st.msg(self.chat_id, invoice_message_id).map(|m| &m.body) {
                Some(Body::Invoice {
                    currency,
                    total,
                    payload,
                    ..
                }) => (currency.clone(), *total, payload.clone()),
                _ => return Err(format!("message {invoice_message_id} is not an invoice")),
            }
        };
        let charge_id = format!("stxfake{}{invoice_message_id}", unix_now());
        Ok(self.post(
            Body::Paid {
                currency,
                total,
                payload,
                charge_id,
            },
            None,
        ))
    }

    /// `pre_checkout`, wait for the bot's answer, and pay if it approved.
    pub async fn checkout(
        &self,
        invoice_message_id: i64,
        timeout: Duration,
    ) -> Result<i64, String> {
        let query = self.pre_checkout(invoice_message_id)?;
        let answer = self
            .fake
            .wait(timeout, |st| {
                st.pre_checkouts.get(&query).and_then(|p| p.answer.clone())
            })
            .await
            .ok_or("the bot did not answer the pre-checkout query")?;
        if !answer.ok {
            return Err(format!("the bot declined: {:?}", answer.error_message));
        }
        self.pay(invoice_message_id)
    }
}
