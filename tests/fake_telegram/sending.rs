//! Sending messages: chat lookup, formatting, keyboards, texts and photos.

use serde_json::{Value, json};

use super::html::{self, Formatted, utf16_len};
use super::limits::{image_size, photo_dimensions_ok, photo_sizes};
use super::methods::Res;
use super::params::Params;
use super::state::{BOT_ID, Body, ChatKind, State};
use super::types::{ApiError, PhotoSource};

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

pub fn formatted(
    st: &State,
    p: &Params,
    key: &str,
    entities_key: &str,
) -> Result<Formatted, ApiError> {
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
pub fn markup(p: &Params, inline_only: bool) -> Result<Option<Value>, ApiError> {
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

pub fn reply_to(st: &State, chat: i64, p: &Params) -> Result<Option<i64>, ApiError> {
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

#[allow(clippy::unnecessary_wraps)]
pub fn finish_send(
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

pub fn send_message(st: &mut State, p: &Params) -> Res {
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
    let thread = super::forum::thread_of_send(st, chat, p)?;
    let sent = finish_send(
        st,
        chat,
        Body::Text {
            text: f.text,
            entities: f.entities,
        },
        markup,
        reply,
    )?;
    super::forum::placed(st, chat, thread, sent)
}

pub fn caption(st: &State, p: &Params) -> Result<(Option<String>, Vec<Value>), ApiError> {
    let f = formatted(st, p, "caption", "caption_entities")?;
    if utf16_len(&f.text) > 1024 {
        return Err(ApiError::bad("message caption is too long"));
    }
    Ok(((!f.text.is_empty()).then_some(f.text), f.entities))
}

pub fn send_photo(st: &mut State, p: &Params) -> Res {
    // Every file that came over the wire counts, sent or refused.
    st.uploads += p.files.len() as u64;
    st.uploaded_bytes += p.files.values().map(|f| f.data.len() as u64).sum::<u64>();
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
        let sizes = new_photo(st, w, h, upload.data.len());
        super::files::keep_photo(st, &sizes, &upload.data);
        (source, sizes)
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
    let thread = super::forum::thread_of_send(st, chat, p)?;
    let sent = finish_send(
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
    )?;
    super::forum::placed(st, chat, thread, sent)
}

pub fn new_photo(st: &mut State, w: u32, h: u32, bytes: usize) -> Vec<Value> {
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
