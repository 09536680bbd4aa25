//! The Bot API methods (all but getUpdates), run under the state lock.

use serde_json::{Value, json};

use super::html::utf16_len;
use super::params::Params;
use super::sending::{caption, chat_id, finish_send, formatted, markup, send_message, send_photo};
use super::state::{BOT_ID, BOT_NAME, BOT_USERNAME, Body, State, unix_now};
use super::types::{ApiError, CallbackAnswer, PreCheckoutAnswer};

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
    "refundStarPayment",
    "getFile",
    "copyMessages",
    "sendDocument",
    "sendVoice",
    "sendAudio",
    "sendVideo",
    "sendVideoNote",
    "sendAnimation",
    "sendSticker",
    "sendLocation",
    "sendContact",
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
    "copyMessages",
    "sendDocument",
    "sendVoice",
    "sendAudio",
    "sendVideo",
    "sendVideoNote",
    "sendAnimation",
    "sendSticker",
    "sendLocation",
    "sendContact",
];

/// The canonical name of a known method, matched case-insensitively.
pub fn canonical(name: &str) -> Option<&'static str> {
    KNOWN
        .iter()
        .chain(super::forum::METHODS)
        .copied()
        .find(|k| k.eq_ignore_ascii_case(name))
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
            chat_id(st, p, "chat_id")?;
            match p.str("action") {
                Some(a) if ACTIONS.contains(&a.as_str()) => Ok(json!(true)),
                _ => Err(ApiError::bad("wrong parameter action in request")),
            }
        }
        "sendInvoice" => send_invoice(st, p),
        "refundStarPayment" => super::stars::refund(st, p),
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
        m if super::forum::METHODS.contains(&m) => super::forum::call(st, m, p),
        other => super::files::call(st, other, p).unwrap_or_else(|| {
            Err(ApiError {
                code: 404,
                description: "Not Found: method not found".to_owned(),
                retry_after: None,
            })
        }),
    }
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
    if let Body::Media(_) = body {
        let (new, entities) = if forward || !p.map.contains_key("caption") {
            let Body::Media(m) = &body else {
                unreachable!()
            };
            (m.caption.clone(), m.entities.clone())
        } else {
            caption(st, p)?
        };
        super::files::recaption(&mut body, new, entities, (from_chat, mid));
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
    let thread = super::forum::thread_of_send(st, chat, p)?;
    let id = st.add_msg(chat, BOT_ID, body, markup);
    if let (Some(thread), Some(forum)) = (thread, st.forums.get_mut(&chat)) {
        forum.threads.insert(id, thread);
    }
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
    super::stars::check_provider(&currency, p.str("provider_token").as_deref())?;
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
