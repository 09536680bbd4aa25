//! The fake's world: chats, messages, the update queue, and JSON in Telegram's shapes.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::limits::Limiter;
use super::types::{Call, CallbackAnswer, Fault, PhotoSource, PreCheckoutAnswer, Seen};

pub const BOT_ID: i64 = 123_456;
pub const BOT_USERNAME: &str = "shop_test_bot";
pub const BOT_NAME: &str = "Shop Test Bot";

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs().try_into().unwrap_or(0))
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub language_code: Option<String>,
    pub is_bot: bool,
}

impl User {
    pub fn json(&self) -> Value {
        let mut v = json!({ "id": self.id, "is_bot": self.is_bot, "first_name": self.first_name });
        if let Some(u) = &self.username {
            v["username"] = json!(u);
        }
        if let Some(l) = &self.language_code {
            v["language_code"] = json!(l);
        }
        v
    }
}

#[derive(Clone, Debug)]
pub enum ChatKind {
    Private { user_id: i64 },
    Group { title: String },
    Supergroup { title: String },
}

#[derive(Clone, Debug)]
pub enum Body {
    Text {
        text: String,
        entities: Vec<Value>,
    },
    Photo {
        sizes: Vec<Value>,
        source: PhotoSource,
        caption: Option<String>,
        entities: Vec<Value>,
    },
    Sticker,
    /// A photo, file, voice note, place … (see `files`).
    Media(Box<super::files::MediaMsg>),
    Invoice {
        title: String,
        description: String,
        currency: String,
        total: u64,
        payload: String,
    },
    Paid {
        currency: String,
        total: u64,
        payload: String,
        charge_id: String,
    },
}

#[derive(Clone, Debug)]
pub struct Msg {
    pub id: i64,
    pub chat_id: i64,
    pub from: i64,
    pub date: i64,
    pub edit_date: Option<i64>,
    pub edits: u32,
    pub body: Body,
    pub markup: Option<Value>,
    pub reply_to: Option<i64>,
    pub forward_from: Option<(i64, i64)>,
}

#[derive(Debug)]
pub struct Chat {
    pub kind: ChatKind,
    pub next_id: i64,
    pub messages: Vec<Msg>,
    /// The user has written to the bot (else the bot can't start a private chat).
    pub opened: bool,
}

#[derive(Debug)]
pub struct QueuedUpdate {
    pub id: u32,
    pub kind: &'static str,
    pub json: Value,
}

#[derive(Debug)]
pub struct CallbackRec {
    pub created: Instant,
    pub answer: Option<CallbackAnswer>,
    pub update: Value,
}

#[derive(Debug)]
pub struct PreCheckoutRec {
    pub invoice: (i64, i64),
    pub answer: Option<PreCheckoutAnswer>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub strict_rate: bool,
    pub burst: u32,
    pub strict_html: bool,
    pub callback_timeout: Duration,
}

#[derive(Debug)]
pub struct State {
    pub config: Config,
    pub users: HashMap<i64, User>,
    pub chats: HashMap<i64, Chat>,
    pub updates: VecDeque<QueuedUpdate>,
    pub next_update_id: u32,
    pub allowed_updates: Option<Vec<String>>,
    pub poll_generation: u64,
    pub polls_started: u64,
    pub webhook_url: String,
    pub callbacks: HashMap<String, CallbackRec>,
    pub pre_checkouts: HashMap<String, PreCheckoutRec>,
    pub next_query: u64,
    pub calls: Vec<Call>,
    pub faults_next: Vec<(String, u32, Fault)>,
    pub chat_faults: HashMap<i64, Fault>,
    pub duplicate: bool,
    pub limiter: Limiter,
    pub commands: HashMap<String, Value>,
    pub files: HashMap<String, Vec<Value>>,
    pub next_file: u64,
    /// Files received in multipart uploads, and their bytes.
    pub uploads: u64,
    pub uploaded_bytes: u64,
    /// Files users sent or the bot uploaded (`files`).
    pub media: super::files::Files,
    /// When each bot message reached the fake, per chat (for the benchmark's
    /// first-reply times).
    pub bot_arrivals: HashMap<i64, Vec<Instant>>,
    /// Forum supergroups and their topics.
    pub forums: super::forum::Forums,
    /// Methods carried out but not answered until released (`FakeTelegram::stall`).
    pub stalled: Vec<String>,
    /// Payments in Stars given back: (user, charge id).
    pub refunds: Vec<(i64, String)>,
}

impl State {
    pub fn new() -> Self {
        let bot = User {
            id: BOT_ID,
            first_name: BOT_NAME.to_owned(),
            username: Some(BOT_USERNAME.to_owned()),
            language_code: None,
            is_bot: true,
        };
        Self {
            config: Config {
                strict_rate: true,
                burst: 3,
                strict_html: true,
                callback_timeout: Duration::from_secs(15),
            },
            users: HashMap::from([(BOT_ID, bot)]),
            chats: HashMap::new(),
            updates: VecDeque::new(),
            next_update_id: 700_000_001,
            allowed_updates: None,
            poll_generation: 0,
            polls_started: 0,
            webhook_url: String::new(),
            callbacks: HashMap::new(),
            pre_checkouts: HashMap::new(),
            next_query: 1,
            calls: Vec::new(),
            faults_next: Vec::new(),
            chat_faults: HashMap::new(),
            duplicate: false,
            limiter: Limiter::default(),
            commands: HashMap::new(),
            files: HashMap::new(),
            next_file: 1,
            uploads: 0,
            uploaded_bytes: 0,
            media: super::files::Files::default(),
            bot_arrivals: HashMap::new(),
            forums: HashMap::new(),
            stalled: Vec::new(),
            refunds: Vec::new(),
        }
    }

    pub fn user_json(&self, id: i64) -> Value {
        self.users.get(&id).map_or_else(
            || json!({ "id": id, "is_bot": false, "first_name": "Unknown" }),
            User::json,
        )
    }

    pub fn chat_json(&self, chat_id: i64) -> Value {
        match self.chats.get(&chat_id).map(|c| &c.kind) {
            Some(ChatKind::Private { user_id }) => {
                let user = self.users.get(user_id);
                let mut v = json!({ "id": chat_id, "type": "private",
                    "first_name": user.map_or("Unknown", |u| u.first_name.as_str()) });
                if let Some(name) = user.and_then(|u| u.username.as_ref()) {
                    v["username"] = json!(name);
                }
                v
            }
            Some(ChatKind::Group { title }) => {
                json!({ "id": chat_id, "type": "group", "title": title })
            }
            Some(ChatKind::Supergroup { title }) => {
                json!({ "id": chat_id, "type": "supergroup", "title": title })
            }
            None => json!({ "id": chat_id, "type": "private", "first_name": "Unknown" }),
        }
    }

    pub fn is_group(&self, chat_id: i64) -> bool {
        self.chats
            .get(&chat_id)
            .is_some_and(|c| !matches!(c.kind, ChatKind::Private { .. }))
    }

    pub fn msg(&self, chat_id: i64, id: i64) -> Option<&Msg> {
        self.chats
            .get(&chat_id)?
            .messages
            .iter()
            .find(|m| m.id == id)
    }

    pub fn msg_mut(&mut self, chat_id: i64, id: i64) -> Option<&mut Msg> {
        self.chats
            .get_mut(&chat_id)?
            .messages
            .iter_mut()
            .find(|m| m.id == id)
    }

    /// Stores a new message in a known chat and returns its id.
    pub fn add_msg(&mut self, chat_id: i64, from: i64, body: Body, markup: Option<Value>) -> i64 {
        let chat = self.chats.get_mut(&chat_id).expect("chat exists");
        let id = chat.next_id;
        chat.next_id += 1;
        if from == BOT_ID {
            self.bot_arrivals
                .entry(chat_id)
                .or_default()
                .push(Instant::now());
        }
        chat.messages.push(Msg {
            id,
            chat_id,
            from,
            date: unix_now(),
            edit_date: None,
            edits: 0,
            body,
            markup,
            reply_to: None,
            forward_from: None,
        });
        id
    }

    /// A message in the Bot API's JSON shape.
    pub fn msg_json(&self, m: &Msg) -> Value {
        let mut v = json!({
            "message_id": m.id,
            "from": self.user_json(m.from),
            "date": m.date,
            "chat": self.chat_json(m.chat_id),
        });
        if let Some(d) = m.edit_date {
            v["edit_date"] = json!(d);
        }
        if let Some(r) = m.reply_to.and_then(|r| self.msg(m.chat_id, r)) {
            let mut reply = self.msg_json(&Msg {
                reply_to: None,
                ..r.clone()
            });
            reply.as_object_mut().map(|o| o.remove("reply_to_message"));
            v["reply_to_message"] = reply;
        }
        if let Some((from, date)) = m.forward_from {
            v["forward_origin"] =
                json!({ "type": "user", "sender_user": self.user_json(from), "date": date });
            // Deprecated since Bot API 7.0, still sent by Telegram.
            v["forward_from"] = self.user_json(from);
            v["forward_date"] = json!(date);
        }
        match &m.body {
            Body::Text { text, entities } => {
                v["text"] = json!(text);
                if !entities.is_empty() {
                    v["entities"] = json!(entities);
                }
            }
            Body::Photo {
                sizes,
                caption,
                entities,
                ..
            } => {
                v["photo"] = json!(sizes);
                if let Some(c) = caption {
                    v["caption"] = json!(c);
                }
                if !entities.is_empty() {
                    v["caption_entities"] = json!(entities);
                }
            }
            Body::Sticker => {
                v["sticker"] = json!({
                    "file_id": format!("CAACAgIAAxkBAAStk{}", m.id), "file_unique_id": format!("AgADstk{}", m.id),
                    "file_size": 23_000, "width": 512, "height": 512, "type": "regular",
                    "is_animated": false, "is_video": false, "emoji": "\u{1F600}",
                });
            }
            Body::Media(media) => super::files::media_json(&mut v, media),
            Body::Invoice {
                title,
                description,
                currency,
                total,
                ..
            } => {
                v["invoice"] = json!({ "title": title, "description": description,
                    "start_parameter": "", "currency": currency, "total_amount": total });
            }
            Body::Paid {
                currency,
                total,
                payload,
                charge_id,
            } => {
                v["successful_payment"] = json!({ "currency": currency, "total_amount": total,
                    "invoice_payload": payload, "telegram_payment_charge_id": charge_id,
                    "provider_payment_charge_id": format!("provider_{charge_id}") });
            }
        }
        if let Some(markup) = m
            .markup
            .as_ref()
            .filter(|k| k.get("inline_keyboard").is_some())
        {
            v["reply_markup"] = markup.clone();
        }
        super::forum::decorate(self, m, &mut v);
        v
    }

    /// Queues an update (twice, with distinct ids, when duplication is on).
    pub fn push_update(&mut self, kind: &'static str, payload: &Value) -> u32 {
        let copies = if self.duplicate { 2 } else { 1 };
        let first = self.next_update_id;
        for _ in 0..copies {
            let id = self.next_update_id;
            self.next_update_id += 1;
            let mut json = json!({ "update_id": id });
            json[kind] = payload.clone();
            self.updates.push_back(QueuedUpdate { id, kind, json });
        }
        first
    }

    pub fn next_query_id(&mut self) -> String {
        self.next_query += 1;
        format!("{}{:06}", 4_382_910_557_u64, self.next_query)
    }

    pub fn seen(m: &Msg) -> Seen {
        let (text, entities, photo, is_invoice) = match &m.body {
            Body::Text { text, entities } => (text.clone(), entities.clone(), None, false),
            Body::Photo {
                source,
                caption,
                entities,
                ..
            } => (
                caption.clone().unwrap_or_default(),
                entities.clone(),
                Some(source.clone()),
                false,
            ),
            Body::Invoice { title, .. } => (title.clone(), Vec::new(), None, true),
            Body::Media(media) => (
                media.caption.clone().unwrap_or_default(),
                media.entities.clone(),
                (media.kind == super::files::Kind::Photo)
                    .then(|| PhotoSource::FileId(media.file_id.clone().unwrap_or_default())),
                false,
            ),
            Body::Sticker | Body::Paid { .. } => (String::new(), Vec::new(), None, false),
        };
        let inline = m
            .markup
            .as_ref()
            .and_then(|k| k["inline_keyboard"].as_array());
        let mut buttons = Vec::new();
        let mut url_buttons = Vec::new();
        for row in inline.into_iter().flatten().filter_map(Value::as_array) {
            let mut cb_row = Vec::new();
            for b in row {
                let label = b["text"].as_str().unwrap_or_default().to_owned();
                if let Some(data) = b["callback_data"].as_str() {
                    cb_row.push((label, data.to_owned()));
                } else if let Some(url) = b["url"].as_str() {
                    url_buttons.push((label, url.to_owned()));
                }
            }
            if !cb_row.is_empty() {
                buttons.push(cb_row);
            }
        }
        let reply_keyboard = m
            .markup
            .as_ref()
            .and_then(|k| k["keyboard"].as_array())
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .map(|row| {
                row.iter()
                    .map(|b| {
                        b.as_str()
                            .or(b["text"].as_str())
                            .unwrap_or_default()
                            .to_owned()
                    })
                    .collect()
            })
            .collect();
        Seen {
            message_id: m.id,
            from_bot: m.from == BOT_ID,
            text,
            has_photo: photo.is_some(),
            photo,
            buttons,
            url_buttons,
            reply_keyboard,
            entities,
            edits: m.edits,
            reply_to: m.reply_to,
            forwarded_from: m.forward_from.map(|(from, _)| from),
            is_invoice,
            is_sticker: matches!(m.body, Body::Sticker),
        }
    }

    pub fn seen_in(&self, chat_id: i64) -> Vec<Seen> {
        self.chats
            .get(&chat_id)
            .map(|c| c.messages.iter().map(Self::seen).collect())
            .unwrap_or_default()
    }
}
