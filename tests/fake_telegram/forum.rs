//! Forum supergroups: `getChat` (`is_forum`), topics (create, close, reopen,
//! delete, edit), `message_thread_id` on sends and on members' messages, and
//! Telegram's errors for them:
//! - sending into a deleted or unknown topic: "Bad Request: message thread not found";
//! - sending into a closed topic: `Bad Request: TOPIC_CLOSED`, unless the bot
//!   is an admin (admins with `can_manage_topics` post in closed topics);
//! - closing a closed topic, reopening an open one, renaming to the same name:
//!   `Bad Request: TOPIC_NOT_MODIFIED`;
//! - closing, reopening, editing or deleting an unknown topic: `Bad Request: TOPIC_ID_INVALID`;
//! - creating a topic needs the bot to be an admin ("not enough rights to
//!   create a topic"), a forum ("the chat is not a forum") and a name of
//!   1–128 characters (counted here in UTF-16 units, as strictly as anything
//!   Telegram counts: `TOPIC_TITLE_EMPTY`, `TOPIC_TITLE_TOO_LONG`).
//!
//! An admin bot sees every message of the group (privacy mode does not apply);
//! a message in a topic carries `message_thread_id`, `is_topic_message` and, as
//! `reply_to_message`, the topic's first message (`forum_topic_created`).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::html::utf16_len;
use super::methods::Res;
use super::params::Params;
use super::sending::chat_id;
use super::state::{BOT_ID, Body, ChatKind, Msg, State};
use super::types::{ApiError, Seen};
use super::{FakeTelegram, Group};

/// The methods this file answers.
pub const METHODS: &[&str] = &[
    "getChat",
    "createForumTopic",
    "closeForumTopic",
    "reopenForumTopic",
    "deleteForumTopic",
    "editForumTopic",
];

const DEFAULT_COLOR: i64 = 7_322_096;
const COLORS: &[i64] = &[
    7_322_096, 16_766_590, 13_338_331, 9_367_192, 16_749_490, 16_478_047,
];

/// A topic as the fake keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicInfo {
    pub thread: i64,
    pub name: String,
    pub icon_color: i64,
    pub closed: bool,
}

/// One forum supergroup.
#[derive(Debug, Default)]
pub struct Forum {
    /// The bot is an admin with `can_manage_topics` (and may delete messages).
    pub bot_admin: bool,
    pub topics: HashMap<i64, TopicInfo>,
    /// The topic of each message in one (message id → thread id).
    pub threads: HashMap<i64, i64>,
    /// Topics deleted (their ids are never reused).
    pub deleted: HashSet<i64>,
}

/// Every forum the fake knows, by chat id.
pub type Forums = HashMap<i64, Forum>;

pub fn call(st: &mut State, method: &str, p: &Params) -> Res {
    if method == "getChat" {
        return get_chat(st, p);
    }
    let chat = chat_id(st, p, "chat_id")?;
    let Some(forum) = st.forums.get(&chat) else {
        return Err(ApiError::bad("the chat is not a forum"));
    };
    let admin = forum.bot_admin;
    if method == "createForumTopic" {
        return create(st, chat, admin, p);
    }
    let thread = p
        .i64("message_thread_id")
        .ok_or_else(|| ApiError::bad("message thread id is empty"))?;
    let forum = st.forums.get_mut(&chat).expect("checked");
    let Some(topic) = forum.topics.get_mut(&thread) else {
        return Err(ApiError::bad("TOPIC_ID_INVALID"));
    };
    match method {
        "closeForumTopic" | "reopenForumTopic" => {
            let close = method == "closeForumTopic";
            if topic.closed == close {
                return Err(ApiError::bad("TOPIC_NOT_MODIFIED"));
            }
            topic.closed = close;
        }
        "editForumTopic" => {
            if let Some(name) = p.str("name") {
                check_name(&name)?;
                if name == topic.name {
                    return Err(ApiError::bad("TOPIC_NOT_MODIFIED"));
                }
                topic.name = name;
            }
        }
        "deleteForumTopic" => {
            if !admin {
                return Err(ApiError::bad("CHAT_ADMIN_REQUIRED"));
            }
            delete(st, chat, thread);
        }
        _ => unreachable!("only METHODS come here"),
    }
    Ok(json!(true))
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::bad("TOPIC_TITLE_EMPTY"));
    }
    if utf16_len(name) > 128 {
        return Err(ApiError::bad("TOPIC_TITLE_TOO_LONG"));
    }
    Ok(())
}

fn create(st: &mut State, chat: i64, admin: bool, p: &Params) -> Res {
    if !admin {
        return Err(ApiError::bad("not enough rights to create a topic"));
    }
    let name = p.str("name").unwrap_or_default();
    check_name(&name)?;
    let icon_color = p.i64("icon_color").unwrap_or(DEFAULT_COLOR);
    if !COLORS.contains(&icon_color) {
        return Err(ApiError::bad("TOPIC_ICON_COLOR_INVALID"));
    }
    let root = st.add_msg(
        chat,
        BOT_ID,
        Body::Text {
            text: name.clone(),
            entities: Vec::new(),
        },
        None,
    );
    let forum = st.forums.get_mut(&chat).expect("checked");
    forum.threads.insert(root, root);
    forum.topics.insert(
        root,
        TopicInfo {
            thread: root,
            name: name.clone(),
            icon_color,
            closed: false,
        },
    );
    Ok(json!({ "message_thread_id": root, "name": name, "icon_color": icon_color }))
}

/// Deletes a topic and every message in it.
fn delete(st: &mut State, chat: i64, thread: i64) {
    let forum = st.forums.get_mut(&chat).expect("a forum");
    forum.topics.remove(&thread);
    forum.deleted.insert(thread);
    let gone: HashSet<i64> = forum
        .threads
        .iter()
        .filter(|(_, t)| **t == thread)
        .map(|(m, _)| *m)
        .collect();
    forum.threads.retain(|m, _| !gone.contains(m));
    if let Some(c) = st.chats.get_mut(&chat) {
        c.messages.retain(|m| !gone.contains(&m.id));
    }
}

fn get_chat(st: &State, p: &Params) -> Res {
    let chat = chat_id(st, p, "chat_id")?;
    let mut v = st.chat_json(chat);
    v["max_reaction_count"] = json!(11);
    v["accent_color_id"] = json!(0);
    v["accepted_gift_types"] = json!({ "unlimited_gifts": false, "limited_gifts": false,
        "unique_gifts": false, "premium_subscription": false });
    if st.forums.contains_key(&chat) {
        v["is_forum"] = json!(true);
    }
    Ok(v)
}

/// The topic a send goes into (`message_thread_id`), checked as Telegram does.
pub fn thread_of_send(st: &State, chat: i64, p: &Params) -> Result<Option<i64>, ApiError> {
    let Some(thread) = p.i64("message_thread_id") else {
        return Ok(None);
    };
    let Some(forum) = st.forums.get(&chat) else {
        // Outside forums Telegram ignores it.
        return Ok(None);
    };
    match forum.topics.get(&thread) {
        None => Err(ApiError::bad("message thread not found")),
        Some(topic) if topic.closed && !forum.bot_admin => Err(ApiError::bad("TOPIC_CLOSED")),
        Some(_) => Ok(Some(thread)),
    }
}

/// Puts a message just sent (its JSON) into `thread`; the JSON as Telegram
/// answers it then.
#[allow(clippy::unnecessary_wraps)] // the send's result, as the caller returns it
pub fn placed(st: &mut State, chat: i64, thread: Option<i64>, sent: Value) -> Res {
    let Some(thread) = thread else {
        return Ok(sent);
    };
    let id = sent["message_id"].as_i64().unwrap_or_default();
    if let Some(forum) = st.forums.get_mut(&chat) {
        forum.threads.insert(id, thread);
    }
    let msg = st.msg(chat, id).cloned().expect("just sent");
    Ok(st.msg_json(&msg))
}

/// Adds what a forum adds to a message's JSON: the chat's `is_forum`, the
/// topic, and the topic's first message as what it replies to.
pub fn decorate(st: &State, m: &Msg, v: &mut Value) {
    let Some(forum) = st.forums.get(&m.chat_id) else {
        return;
    };
    v["chat"]["is_forum"] = json!(true);
    let Some(&thread) = forum.threads.get(&m.id) else {
        return;
    };
    v["message_thread_id"] = json!(thread);
    v["is_topic_message"] = json!(true);
    if m.id == thread {
        if let Some(o) = v.as_object_mut() {
            o.remove("text");
            o.remove("entities");
        }
        let (name, color) = forum
            .topics
            .get(&thread)
            .map_or((String::new(), DEFAULT_COLOR), |t| {
                (t.name.clone(), t.icon_color)
            });
        v["forum_topic_created"] = json!({ "name": name, "icon_color": color });
    } else if v.get("reply_to_message").is_none()
        && let Some(root) = st.msg(m.chat_id, thread)
    {
        v["reply_to_message"] = st.msg_json(&root.clone());
    }
}

/// An admin bot sees every message of a forum it manages.
pub fn sees_all(st: &State, chat: i64) -> bool {
    st.forums.get(&chat).is_some_and(|f| f.bot_admin)
}

impl FakeTelegram {
    /// A forum supergroup (topics on) where the bot is an admin that manages topics.
    pub fn forum(&self, id: i64, title: &str) -> Group {
        let group = self.group(id, title);
        let mut st = self.lock();
        if let Some(chat) = st.chats.get_mut(&id) {
            chat.kind = ChatKind::Supergroup {
                title: title.to_owned(),
            };
        }
        st.forums.entry(id).or_insert_with(|| Forum {
            bot_admin: true,
            ..Forum::default()
        });
        drop(st);
        group
    }

    /// Makes the bot an admin of the forum, or takes it back.
    pub fn set_forum_admin(&self, chat: i64, admin: bool) {
        if let Some(f) = self.lock().forums.get_mut(&chat) {
            f.bot_admin = admin;
        }
    }

    /// The forum's topics, oldest first.
    pub fn topics(&self, chat: i64) -> Vec<TopicInfo> {
        let st = self.lock();
        let mut topics: Vec<TopicInfo> = st
            .forums
            .get(&chat)
            .map(|f| f.topics.values().cloned().collect())
            .unwrap_or_default();
        topics.sort_by_key(|t| t.thread);
        topics
    }

    /// The messages of a topic (its first, service message left out), oldest first.
    pub fn topic_messages(&self, chat: i64, thread: i64) -> Vec<Seen> {
        let st = self.lock();
        let Some(forum) = st.forums.get(&chat) else {
            return Vec::new();
        };
        st.chats
            .get(&chat)
            .map(|c| {
                c.messages
                    .iter()
                    .filter(|m| m.id != thread && forum.threads.get(&m.id) == Some(&thread))
                    .map(State::seen)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Messages of the forum in no topic (General).
    pub fn general_messages(&self, chat: i64) -> Vec<Seen> {
        let st = self.lock();
        let Some(forum) = st.forums.get(&chat) else {
            return Vec::new();
        };
        st.chats
            .get(&chat)
            .map(|c| {
                c.messages
                    .iter()
                    .filter(|m| !forum.threads.contains_key(&m.id))
                    .map(State::seen)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Calls of `method` are carried out but not answered until [`Self::release`].
    pub fn stall(&self, method: &str) {
        self.lock().stalled.push(method.to_owned());
    }

    /// Answers the stalled calls of `method`.
    pub fn release(&self, method: &str) {
        self.lock().stalled.retain(|m| m != method);
    }

    /// An owner deletes a topic by hand (with its messages).
    pub fn delete_topic_by_hand(&self, chat: i64, thread: i64) {
        delete(&mut self.lock(), chat, thread);
    }

    /// An owner closes a topic by hand.
    pub fn close_topic_by_hand(&self, chat: i64, thread: i64) {
        if let Some(t) = self
            .lock()
            .forums
            .get_mut(&chat)
            .and_then(|f| f.topics.get_mut(&thread))
        {
            t.closed = true;
        }
    }

    /// Member `user` writes `text` in topic `thread` of forum `chat` (no reply:
    /// Telegram makes it reply to the topic's first message).
    pub fn write_in_topic(&self, chat: i64, user: i64, thread: i64, text: &str) -> i64 {
        self.post_in_topic(chat, user, thread, text, None)
    }

    /// Member `user` replies in topic `thread` to message `to`.
    pub fn reply_in_topic(&self, chat: i64, user: i64, thread: i64, to: i64, text: &str) -> i64 {
        self.post_in_topic(chat, user, thread, text, Some(to))
    }

    fn post_in_topic(&self, chat: i64, user: i64, thread: i64, text: &str, to: Option<i64>) -> i64 {
        let mut st = self.lock();
        let entities = if text.starts_with('/') {
            let len = text.find(' ').unwrap_or(text.len());
            vec![json!({ "type": "bot_command", "offset": 0, "length": utf16_len(&text[..len]) })]
        } else {
            Vec::new()
        };
        let id = st.add_msg(
            chat,
            user,
            Body::Text {
                text: text.to_owned(),
                entities,
            },
            None,
        );
        if let Some(m) = st.msg_mut(chat, id) {
            m.reply_to = to;
        }
        if let Some(f) = st.forums.get_mut(&chat) {
            f.threads.insert(id, thread);
        }
        let msg = st.msg(chat, id).cloned().expect("just added");
        let json = st.msg_json(&msg);
        st.push_update("message", &json);
        drop(st);
        self.shared.updates.notify_waiters();
        id
    }
}
