//! The Bot API methods (all but getUpdates), run under the state lock.

use serde_json::{Value, json};

use super::html::{self, Formatted, utf16_len};
use super::limits::{image_size, photo_dimensions_ok, photo_sizes};
use super::params::Params;
use super::state::{BOT_ID, BOT_NAME, BOT_USERNAME, Body, ChatKind, State, unix_now};
use super::types::{ApiError, CallbackAnswer, PhotoSource, PreCheckoutAnswer};

pub type Res = Result<Value, ApiError>;

const KNOWN: &[&str] = &[
    "getMe",
    "getUpdates",
    "getWebhookInfo",
    "setWebhook",
    "deleteWebhook",
    "logOut",
    "close",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendMessage",
    "sendPhoto",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "copyMessage",
    "forwardMessage",
    "sendChatAction",
    "sendInvoice",
    "answerPreCheckoutQuery",
];

/// Methods that send or change a message and count against the flood limits.
pub const SENDING: &[&str] = &[
    "sendMessage",
    "sendPhoto",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "copyMessage",
    "forwardMessage",
    "sendInvoice",
];

/// The canonical name of a known method, matched case-insensitively.
pub fn canonical(name: &str) -> Option<&'static str> {
    KNOWN.iter().copied().find(|k| k.eq_ignore_ascii_case(name))
}

pub const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
pub const QUERY_TOO_OLD: &str =
    "query is too old and response timeout expired or query ID is invalid";

pub fn call(st: &mut State, method: &str, p: &Params) -> Res {
    match method {
        "getMe" => Ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": BOT_NAME, "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false,
        })),
        "getWebhookInfo" => {
            let mut info = json!({ "url": st.webhook_url, "has_custom_certificate": false,
                "pending_update_count": st.updates.len() });
            if let Some(allowed) = &st.allowed_updates {
                info["allowed_updates"] = json!(allowed);
            }
            Ok(info)
        }
        "setWebhook" => {
            st.webhook_url = p.str("url").unwrap_or_default();
            Ok(json!(true))
        }
        "deleteWebhook" => {
            st.webhook_url.clear();
            if p.bool("drop_pending_updates") {
                st.updates.clear();
            }
            Ok(json!(true))
        }
        "logOut" | "close" => Ok(json!(true)),
        "setMyCommands" | "getMyCommands" | "deleteMyCommands" => commands(st, method, p),
        "sendMessage" => send_message(st, p),
        "sendPhoto" => send_photo(st, p),
        "editMessageText" | "editMessageCaption" | "editMessageReplyMarkup" => edit(st, method, p),
        "deleteMessage" => {
            let chat = chat_id(st, p, "chat_id")?;
            let mid = p
                .i64("message_id")
                .ok_or_else(|| ApiError::bad("message identifier is not specified"))?;
            let group = st.is_group(chat);
            let messages = &mut st.chats.get_mut(&chat).expect("known chat").messages;
            let idx = messages.iter().position(|m| m.id == mid);
            let idx = idx.ok_or_else(|| ApiError::bad("message to delete not found"))?;
            if group && messages[idx].from != BOT_ID {
                return Err(ApiError::bad("message can't be deleted"));
            }
            messages.remove(idx);
            Ok(json!(true))
        }
        "answerCallbackQuery" => answer_callback(st, p),
        "copyMessage" | "forwardMessage" => copy(st, method, p),
        "sendChatAction" => {
            chat_id(st, p, "chat_id")?;
            const ACTIONS: &[&str] = &[
                "typing",
                "upload_photo",
                "record_video",
                "upload_video",
                "record_voice",
                "upload_voice",
                "upload_document",
                "choose_sticker",
                "find_location",
                "record_video_note",
                "upload_video_note",
            ];
            match p.str("action") {
                Some(a) if ACTIONS.contains(&a.as_str()) => Ok(json!(true)),
                _ => Err(ApiError::bad("wrong parameter action in request")),
            }
        }
        "sendInvoice" => send_invoice(st, p),
        "answerPreCheckoutQuery" => {
            let id = p.str("pre_checkout_query_id").unwrap_or_default();
            let ok = p.bool("ok");
            let error_message = p.str("error_message").filter(|s| !s.is_empty());
            if !ok && error_message.is_none() {
                return Err(ApiError::bad("PRECHECKOUT_ERROR_MESSAGE_EMPTY"));
            }
            match st.pre_checkouts.get_mut(&id) {
                Some(rec) if rec.answer.is_none() => {
                    rec.answer = Some(PreCheckoutAnswer { ok, error_message });
                    Ok(json!(true))
                }
                _ => Err(ApiError::bad("QUERY_ID_INVALID")),
            }
        }
        _ => Err(ApiError {
            code: 404,
            description: "Not Found: method not found".to_owned(),
            retry_after: None,
        }),
    }
}

/// Resolves a chat parameter to a chat the fake knows ("chat not found" otherwise).
pub fn chat_id(st: &State, p: &Params, key: &str) -> Result<i64, ApiError> {
    let raw = p
        .str(key)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad(&format!("{key} is empty")))?;
    let id = if let Some(name) = raw.strip_prefix('@') {
        st.chats.iter().find_map(|(id, c)| match &c.kind {
            ChatKind::Private { user_id } => st
                .users
                .get(user_id)
                .filter(|u| u.username.as_deref() == Some(name))
                .map(|_| *id),
            _ => None,
        })
    } else {
        raw.trim().parse::<i64>().ok()
    };
    id.filter(|id| st.chats.contains_key(id))
        .ok_or_else(|| ApiError::bad("chat not found"))
}

fn formatted(st: &State, p: &Params, key: &str, entities_key: &str) -> Result<Formatted, ApiError> {
    let text = p.str(key).unwrap_or_default();
    html::format(
        &text,
        p.str("parse_mode").as_deref(),
        p.json(entities_key).as_ref(),
        st.config.strict_html,
    )
    .map_err(|description| ApiError {
        code: 400,
        description,
        retry_after: None,
    })
}

/// Validates `reply_markup`; an empty inline keyboard means none.
fn markup(p: &Params, inline_only: bool) -> Result<Option<Value>, ApiError> {
    let Some(m) = p.json("reply_markup") else {
        return Ok(None);
    };
    if !m.is_object() {
        return Err(ApiError::bad(
            "can't parse reply keyboard markup JSON object",
        ));
    }
    let Some(rows) = m.get("inline_keyboard") else {
        if inline_only {
            return Err(ApiError::bad("inline keyboard expected"));
        }
        return Ok(Some(m));
    };
    let rows = rows.as_array().ok_or_else(|| {
        ApiError::bad("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array")
    })?;
    let mut count = 0;
    for row in rows {
        let row = row.as_array().ok_or_else(|| {
            ApiError::bad(
                "field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays",
            )
        })?;
        for button in row {
            count += 1;
            if !button["text"].is_string() {
                return Err(ApiError::bad(
                    "can't parse inline keyboard button: Text must be encoded in UTF-8",
                ));
            }
            if let Some(data) = button.get("callback_data") {
                let len = data.as_str().map_or(0, str::len);
                if !(1..=64).contains(&len) {
                    return Err(ApiError::bad("BUTTON_DATA_INVALID"));
                }
            } else if let Some(url) = button.get("url") {
                if url
                    .as_str()
                    .is_none_or(|u| u.trim().is_empty() || u.contains(' '))
                {
                    return Err(ApiError::bad("BUTTON_URL_INVALID"));
                }
            } else if ![
                "web_app",
                "login_url",
                "switch_inline_query",
                "switch_inline_query_current_chat",
                "switch_inline_query_chosen_chat",
                "copy_text",
                "callback_game",
                "pay",
            ]
            .iter()
            .any(|k| button.get(*k).is_some())
            {
                return Err(ApiError::bad(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                ));
            }
        }
    }
    if count > 100 {
        return Err(ApiError::bad("reply markup is too long"));
    }
    Ok((count > 0).then_some(m))
}

fn reply_to(st: &State, chat: i64, p: &Params) -> Result<Option<i64>, ApiError> {
    let params = p.json("reply_parameters");
    let id = params
        .as_ref()
        .and_then(|r| r["message_id"].as_i64())
        .or_else(|| p.i64("reply_to_message_id"));
    let Some(id) = id else { return Ok(None) };
    let lenient = params
        .as_ref()
        .is_some_and(|r| r["allow_sending_without_reply"] == json!(true))
        || p.bool("allow_sending_without_reply");
    match st.msg(chat, id) {
        Some(_) => Ok(Some(id)),
        None if lenient => Ok(None),
        None => Err(ApiError::bad("message to be replied not found")),
    }
}

fn finish_send(
    st: &mut State,
    chat: i64,
    body: Body,
    markup: Option<Value>,
    reply: Option<i64>,
) -> Res {
    let id = st.add_msg(chat, BOT_ID, body, markup);
    let msg = st.msg_mut(chat, id).expect("just added");
    msg.reply_to = reply;
    let msg = msg.clone();
    Ok(st.msg_json(&msg))
}

fn send_message(st: &mut State, p: &Params) -> Res {
    let chat = chat_id(st, p, "chat_id")?;
    let f = formatted(st, p, "text", "entities")?;
    if f.text.is_empty() {
        return Err(ApiError::bad("message text is empty"));
    }
    if utf16_len(&f.text) > 4096 {
        return Err(ApiError::bad("message is too long"));
    }
    let markup = markup(p, false)?;
    let reply = reply_to(st, chat, p)?;
    finish_send(
        st,
        chat,
        Body::Text {
            text: f.text,
            entities: f.entities,
        },
        markup,
        reply,
    )
}

fn caption(st: &State, p: &Params) -> Result<(Option<String>, Vec<Value>), ApiError> {
    let f = formatted(st, p, "caption", "caption_entities")?;
    if utf16_len(&f.text) > 1024 {
        return Err(ApiError::bad("message caption is too long"));
    }
    Ok(((!f.text.is_empty()).then_some(f.text), f.entities))
}

fn send_photo(st: &mut State, p: &Params) -> Res {
    let chat = chat_id(st, p, "chat_id")?;
    let (caption, entities) = caption(st, p)?;
    let spec = p.str("photo");
    let upload = match spec.as_deref() {
        Some(s) if s.starts_with("attach://") => Some(
            p.files
                .get(&s[9..])
                .ok_or_else(|| ApiError::bad("wrong file identifier/HTTP URL specified"))?,
        ),
        None => Some(
            p.files
                .get("photo")
                .ok_or_else(|| ApiError::bad("there is no photo in the request"))?,
        ),
        Some(_) => None,
    };
    let wrong_id = || ApiError::bad("wrong file identifier/HTTP URL specified");
    let (source, sizes) = if let Some(upload) = upload {
        let (w, h) =
            image_size(&upload.data).ok_or_else(|| ApiError::bad("IMAGE_PROCESS_FAILED"))?;
        if !photo_dimensions_ok(w, h) {
            return Err(ApiError::bad("PHOTO_INVALID_DIMENSIONS"));
        }
        let source = PhotoSource::Upload {
            file_name: upload.file_name.clone(),
            bytes: upload.data.len(),
        };
        (source, new_photo(st, w, h, upload.data.len()))
    } else {
        let spec = spec.unwrap_or_default();
        if spec.starts_with("http://") || spec.starts_with("https://") {
            if spec.contains(char::is_whitespace) {
                return Err(wrong_id());
            }
            (
                PhotoSource::Url(spec.clone()),
                new_photo(st, 1280, 960, 150_000),
            )
        } else {
            let sizes = st.files.get(&spec).cloned().ok_or_else(wrong_id)?;
            (PhotoSource::FileId(spec), sizes)
        }
    };
    let markup = markup(p, false)?;
    let reply = reply_to(st, chat, p)?;
    finish_send(
        st,
        chat,
        Body::Photo {
            sizes,
            source,
            caption,
            entities,
        },
        markup,
        reply,
    )
}

fn new_photo(st: &mut State, w: u32, h: u32, bytes: usize) -> Vec<Value> {
    st.next_file += 1;
    let file_id = format!("AgACAgIAAxkDAAIB{:08}fake", st.next_file);
    let sizes = photo_sizes(w, h, bytes, &file_id);
    for size in &sizes {
        if let Some(id) = size["file_id"].as_str() {
            st.files.insert(id.to_owned(), sizes.clone());
        }
    }
    sizes
}

fn edit(st: &mut State, method: &str, p: &Params) -> Res {
    if p.str("inline_message_id").is_some() {
        return Err(ApiError::bad("MESSAGE_ID_INVALID"));
    }
    let chat = chat_id(st, p, "chat_id")?;
    let mid = p
        .i64("message_id")
        .ok_or_else(|| ApiError::bad("message identifier is not specified"))?;
    let new_text = match method {
        "editMessageText" => {
            let f = formatted(st, p, "text", "entities")?;
            if f.text.is_empty() {
                return Err(ApiError::bad("message text is empty"));
            }
            if utf16_len(&f.text) > 4096 {
                return Err(ApiError::bad("MESSAGE_TOO_LONG"));
            }
            Some((Some(f.text), f.entities))
        }
        "editMessageCaption" => Some(caption(st, p)?),
        _ => None,
    };
    let markup = markup(p, true)?;
    let m = st
        .msg_mut(chat, mid)
        .ok_or_else(|| ApiError::bad("message to edit not found"))?;
    if m.from != BOT_ID {
        return Err(ApiError::bad("message can't be edited"));
    }
    let same_markup = m.markup == markup;
    match (method, &mut m.body, new_text) {
        ("editMessageText", Body::Text { text, entities }, Some((Some(new), new_entities))) => {
            if *text == new && *entities == new_entities && same_markup {
                return Err(ApiError::bad(NOT_MODIFIED));
            }
            *text = new;
            *entities = new_entities;
        }
        ("editMessageText", _, _) => {
            return Err(ApiError::bad("there is no text in the message to edit"));
        }
        (
            "editMessageCaption",
            Body::Photo {
                caption, entities, ..
            },
            Some((new, new_entities)),
        ) => {
            if *caption == new && *entities == new_entities && same_markup {
                return Err(ApiError::bad(NOT_MODIFIED));
            }
            *caption = new;
            *entities = new_entities;
        }
        ("editMessageCaption", _, _) => {
            return Err(ApiError::bad("there is no caption in the message to edit"));
        }
        _ if same_markup => return Err(ApiError::bad(NOT_MODIFIED)),
        _ => {}
    }
    m.markup = markup;
    m.edits += 1;
    m.edit_date = Some(unix_now());
    let m = m.clone();
    Ok(st.msg_json(&m))
}

fn answer_callback(st: &mut State, p: &Params) -> Res {
    let id = p.str("callback_query_id").unwrap_or_default();
    let timeout = st.config.callback_timeout;
    let rec = st
        .callbacks
        .get_mut(&id)
        .filter(|r| r.answer.is_none() && r.created.elapsed() <= timeout);
    let rec = rec.ok_or_else(|| ApiError::bad(QUERY_TOO_OLD))?;
    let text = p.str("text").filter(|t| !t.is_empty());
    if text.as_deref().is_some_and(|t| utf16_len(t) > 200) {
        return Err(ApiError::bad("MESSAGE_TOO_LONG"));
    }
    rec.answer = Some(CallbackAnswer {
        query_id: id,
        text,
        show_alert: p.bool("show_alert"),
        url: p.str("url"),
    });
    Ok(json!(true))
}

fn copy(st: &mut State, method: &str, p: &Params) -> Res {
    let chat = chat_id(st, p, "chat_id")?;
    let from_chat = chat_id(st, p, "from_chat_id")?;
    let mid = p
        .i64("message_id")
        .ok_or_else(|| ApiError::bad("message identifier is not specified"))?;
    let forward = method == "forwardMessage";
    let missing = if forward {
        "message to forward not found"
    } else {
        "message to copy not found"
    };
    let orig = st
        .msg(from_chat, mid)
        .cloned()
        .ok_or_else(|| ApiError::bad(missing))?;
    let mut body = orig.body.clone();
    if matches!(body, Body::Invoice { .. } | Body::Paid { .. }) {
        return Err(ApiError::bad("message can't be copied"));
    }
    if !forward && p.map.contains_key("caption") {
        let (new_caption, new_entities) = caption(st, p)?;
        if let Body::Photo {
            caption, entities, ..
        } = &mut body
        {
            *caption = new_caption;
            *entities = new_entities;
        }
    }
    let markup = if forward {
        None
    } else {
        markup(p, false)?.or(orig.markup.clone())
    };
    let id = st.add_msg(chat, BOT_ID, body, markup);
    if !forward {
        return Ok(json!({ "message_id": id }));
    }
    let msg = st.msg_mut(chat, id).expect("just added");
    msg.forward_from = Some((orig.from, orig.date));
    let msg = msg.clone();
    Ok(st.msg_json(&msg))
}

fn send_invoice(st: &mut State, p: &Params) -> Res {
    let chat = chat_id(st, p, "chat_id")?;
    let title = p.str("title").unwrap_or_default();
    let description = p.str("description").unwrap_or_default();
    let payload = p.str("payload").unwrap_or_default();
    let currency = p.str("currency").unwrap_or_default();
    if !(1..=32).contains(&title.chars().count()) {
        return Err(ApiError::bad("INVOICE_TITLE_INVALID"));
    }
    if !(1..=255).contains(&description.chars().count()) {
        return Err(ApiError::bad("INVOICE_DESCRIPTION_INVALID"));
    }
    if !(1..=128).contains(&payload.len()) {
        return Err(ApiError::bad("INVOICE_PAYLOAD_INVALID"));
    }
    let prices = p
        .json("prices")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    let total: i64 = prices.iter().filter_map(|p| p["amount"].as_i64()).sum();
    if prices.is_empty() || total <= 0 || (currency == "XTR" && prices.len() != 1) {
        return Err(ApiError::bad("CURRENCY_TOTAL_AMOUNT_INVALID"));
    }
    let markup = markup(p, true)?;
    let total = total.unsigned_abs();
    finish_send(
        st,
        chat,
        Body::Invoice {
            title,
            description,
            currency,
            total,
            payload,
        },
        markup,
        None,
    )
}

fn commands(st: &mut State, method: &str, p: &Params) -> Res {
    let scope = p.json("scope").map_or_else(
        || "default".to_owned(),
        |s| match s["type"].as_str() {
            Some("default") | None => "default".to_owned(),
            Some(_) => s.to_string(),
        },
    );
    let key = format!("{scope}|{}", p.str("language_code").unwrap_or_default());
    match method {
        "getMyCommands" => Ok(st.commands.get(&key).cloned().unwrap_or_else(|| json!([]))),
        "deleteMyCommands" => {
            st.commands.remove(&key);
            Ok(json!(true))
        }
        _ => {
            let list = p
                .json("commands")
                .and_then(|v| v.as_array().cloned())
                .ok_or_else(|| ApiError::bad("can't parse commands JSON object"))?;
            if list.len() > 100 {
                return Err(ApiError::bad("too many commands specified"));
            }
            for c in &list {
                let name = c["command"].as_str().unwrap_or_default();
                let valid = (1..=32).contains(&name.len())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if !valid {
                    return Err(ApiError::bad("BOT_COMMAND_INVALID"));
                }
                let description = c["description"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .count();
                if !(1..=256).contains(&description) {
                    return Err(ApiError::bad("command description is empty"));
                }
            }
            if list.is_empty() {
                st.commands.remove(&key);
            } else {
                st.commands.insert(key, Value::Array(list));
            }
            Ok(json!(true))
        }
    }
}
