//! Files: what users send (photos, files, voice notes, video notes, stickers,
//! places, contacts, albums), `getFile` and the file download route (20 MB at
//! most, as the Bot API), `copyMessage(s)` of media, and the bot's uploads of
//! each kind (`sendDocument`, `sendVoice` … multipart or by `file_id`, 50 MB
//! at most, captions ≤ 1024). Tests read what a chat received with
//! [`FakeTelegram::received`].

use std::collections::HashMap;

use serde_json::{Value, json};

use super::limits::photo_sizes;
use super::methods::Res;
use super::params::Params;
use super::sending::{caption, chat_id, finish_send, markup, reply_to};
use super::state::{Body, State};
use super::types::ApiError;
use super::{FakeTelegram, Shared};

/// The Bot API's download limit.
pub const DOWNLOAD_LIMIT: usize = 20 * 1024 * 1024;
/// The Bot API's upload limit (multipart).
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;

/// What a media message is.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Photo,
    Document,
    Voice,
    Audio,
    Video,
    VideoNote,
    Animation,
    Sticker,
    Location { latitude: f64, longitude: f64 },
    Contact { phone: String, first_name: String },
}

impl Kind {
    /// The message field (and the send method's file parameter).
    pub fn field(&self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Document => "document",
            Self::Voice => "voice",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::VideoNote => "video_note",
            Self::Animation => "animation",
            Self::Sticker => "sticker",
            Self::Location { .. } => "location",
            Self::Contact { .. } => "contact",
        }
    }

    /// Telegram shows no caption under these.
    pub fn takes_caption(&self) -> bool {
        !matches!(
            self,
            Self::Sticker | Self::VideoNote | Self::Location { .. } | Self::Contact { .. }
        )
    }

    fn of_method(method: &str) -> Option<Self> {
        Some(match method {
            "sendDocument" => Self::Document,
            "sendVoice" => Self::Voice,
            "sendAudio" => Self::Audio,
            "sendVideo" => Self::Video,
            "sendVideoNote" => Self::VideoNote,
            "sendAnimation" => Self::Animation,
            "sendSticker" => Self::Sticker,
            _ => return None,
        })
    }
}

/// A file the fake holds (by `file_id`).
#[derive(Clone, Debug)]
pub struct Blob {
    pub field: &'static str,
    pub bytes: Vec<u8>,
    pub path: String,
}

/// The fake's files, by `file_id`.
#[derive(Debug, Default)]
pub struct Files {
    pub blobs: HashMap<String, Blob>,
    pub next: u64,
}

/// A media message.
#[derive(Clone, Debug)]
pub struct MediaMsg {
    pub kind: Kind,
    pub file_id: Option<String>,
    pub size: usize,
    pub file_name: Option<String>,
    pub photo_sizes: Vec<Value>,
    pub caption: Option<String>,
    pub entities: Vec<Value>,
    pub media_group_id: Option<String>,
    /// Copied by the bot from (chat, message).
    pub copied_from: Option<(i64, i64)>,
    /// Uploaded by the bot as bytes in this request.
    pub uploaded: bool,
}

/// What a chat received from the bot, as tests read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    pub message_id: i64,
    /// The message field: "photo", "voice", "document", "location", "text" …
    pub kind: &'static str,
    /// The caption, or the text of a text message.
    pub caption: Option<String>,
    pub file_id: Option<String>,
    pub bytes: Option<Vec<u8>>,
    pub copied_from: Option<(i64, i64)>,
    pub uploaded: bool,
    pub media_group_id: Option<String>,
}

/// Keeps `bytes` under a new `file_id` of `field`; returns the id.
fn keep(st: &mut State, field: &'static str, bytes: Vec<u8>) -> String {
    st.media.next += 1;
    let n = st.media.next;
    let id = format!("{field}-{n:06}-fakeFileId");
    let ext = match field {
        "photo" => "jpg",
        "voice" => "oga",
        "video" | "video_note" | "animation" => "mp4",
        "sticker" => "webp",
        _ => "bin",
    };
    let path = format!("{field}s/file_{n}.{ext}");
    st.media
        .blobs
        .insert(id.clone(), Blob { field, bytes, path });
    id
}

/// A new media message's body, its bytes kept.
pub fn new_media(st: &mut State, kind: Kind, bytes: &[u8], caption: Option<&str>) -> MediaMsg {
    let (file_id, photo_sizes) = match &kind {
        Kind::Location { .. } | Kind::Contact { .. } => (None, Vec::new()),
        Kind::Photo => {
            let id = keep(st, "photo", bytes.to_vec());
            let mut sizes = photo_sizes(1280, 960, bytes.len(), &id);
            // The largest size is the file itself; the smaller ones are previews.
            let last = sizes.len() - 1;
            sizes[last]["file_id"] = json!(id);
            sizes[last]["file_size"] = json!(bytes.len());
            for size in &sizes[..last] {
                let preview = bytes[..bytes.len().min(64)].to_vec();
                let pid = size["file_id"].as_str().unwrap_or_default().to_owned();
                let path = format!("photos/{pid}.jpg");
                st.media.blobs.insert(
                    pid,
                    Blob {
                        field: "photo",
                        bytes: preview,
                        path,
                    },
                );
            }
            (Some(id), sizes)
        }
        other => (Some(keep(st, other.field(), bytes.to_vec())), Vec::new()),
    };
    MediaMsg {
        kind,
        file_id,
        size: bytes.len(),
        file_name: None,
        photo_sizes,
        caption: caption.map(str::to_owned),
        entities: Vec::new(),
        media_group_id: None,
        copied_from: None,
        uploaded: false,
    }
}

/// The message fields of a media message.
pub fn media_json(v: &mut Value, m: &MediaMsg) {
    let file = |extra: Value| {
        let mut f = json!({
            "file_id": m.file_id,
            "file_unique_id": format!("AgAD{}", m.file_id.as_deref().unwrap_or_default().len()),
            "file_size": m.size,
        });
        if let (Some(obj), Some(more)) = (f.as_object_mut(), extra.as_object()) {
            obj.extend(more.clone());
        }
        f
    };
    let field = m.kind.field();
    v[field] = match &m.kind {
        Kind::Photo => json!(m.photo_sizes),
        Kind::Document => file(
            json!({ "file_name": m.file_name.clone().unwrap_or_else(|| "file.bin".into()),
                "mime_type": "application/octet-stream" }),
        ),
        Kind::Voice => file(json!({ "duration": 3, "mime_type": "audio/ogg" })),
        Kind::Audio => file(json!({ "duration": 3, "mime_type": "audio/mpeg",
            "file_name": m.file_name.clone().unwrap_or_else(|| "song.mp3".into()) })),
        Kind::Video => {
            file(json!({ "duration": 3, "width": 640, "height": 360, "mime_type": "video/mp4" }))
        }
        Kind::VideoNote => file(json!({ "duration": 3, "length": 240 })),
        Kind::Animation => file(json!({ "duration": 2, "width": 320, "height": 240 })),
        Kind::Sticker => file(json!({ "width": 512, "height": 512, "type": "regular",
            "is_animated": false, "is_video": false, "emoji": "\u{1F600}" })),
        Kind::Location {
            latitude,
            longitude,
        } => json!({ "latitude": latitude, "longitude": longitude }),
        Kind::Contact { phone, first_name } => {
            json!({ "phone_number": phone, "first_name": first_name })
        }
    };
    if let Some(c) = &m.caption {
        v["caption"] = json!(c);
        if !m.entities.is_empty() {
            v["caption_entities"] = json!(m.entities);
        }
    }
    if let Some(g) = &m.media_group_id {
        v["media_group_id"] = json!(g);
    }
}

/// A copy of a media message gets the new caption, where its kind shows one.
pub fn recaption(body: &mut Body, new: Option<String>, entities: Vec<Value>, from: (i64, i64)) {
    if let Body::Media(m) = body {
        m.copied_from = Some(from);
        m.uploaded = false;
        m.media_group_id = None;
        if m.kind.takes_caption() {
            m.caption = new;
            m.entities = entities;
        }
    }
}

/// The methods of this file; `None`: not one of them.
pub fn call(st: &mut State, method: &str, p: &Params) -> Option<Res> {
    Some(match method {
        "getFile" => get_file(st, p),
        "copyMessages" => copy_messages(st, p),
        "sendLocation" | "sendContact" => send_place(st, method, p),
        _ => send_file(st, Kind::of_method(method)?, p),
    })
}

fn get_file(st: &State, p: &Params) -> Res {
    let id = p.str("file_id").unwrap_or_default();
    let blob = st
        .media
        .blobs
        .get(&id)
        .ok_or_else(|| ApiError::bad("invalid file_id"))?;
    if blob.bytes.len() > DOWNLOAD_LIMIT {
        return Err(ApiError::bad("file is too big"));
    }
    Ok(
        json!({ "file_id": id, "file_unique_id": format!("AgAD{}", id.len()),
        "file_size": blob.bytes.len(), "file_path": blob.path }),
    )
}

fn copy_messages(st: &mut State, p: &Params) -> Res {
    let chat = chat_id(st, p, "chat_id")?;
    let from = chat_id(st, p, "from_chat_id")?;
    let ids: Vec<i64> = p
        .json("message_ids")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    if ids.is_empty() || ids.len() > 100 {
        return Err(ApiError::bad("message identifiers are not specified"));
    }
    if ids.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ApiError::bad(
            "message identifiers must be in strictly increasing order",
        ));
    }
    let thread = super::forum::thread_of_send(st, chat, p)?;
    let mut out = Vec::new();
    for mid in ids {
        let Some(orig) = st.msg(from, mid).cloned() else {
            continue;
        };
        let mut body = orig.body;
        if matches!(body, Body::Invoice { .. } | Body::Paid { .. }) {
            continue;
        }
        if let Body::Media(m) = &mut body {
            m.copied_from = Some((from, mid));
            m.uploaded = false;
        }
        let id = st.add_msg(chat, super::state::BOT_ID, body, None);
        if let (Some(thread), Some(forum)) = (thread, st.forums.get_mut(&chat)) {
            forum.threads.insert(id, thread);
        }
        out.push(json!({ "message_id": id }));
    }
    if out.is_empty() {
        return Err(ApiError::bad("message to copy not found"));
    }
    Ok(Value::Array(out))
}

fn send_place(st: &mut State, method: &str, p: &Params) -> Res {
    let chat = chat_id(st, p, "chat_id")?;
    let kind = if method == "sendLocation" {
        let coord = |k: &str, max: f64| {
            p.str(k)
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|v| v.abs() <= max)
                .ok_or_else(|| ApiError::bad(&format!("wrong {k}")))
        };
        Kind::Location {
            latitude: coord("latitude", 90.0)?,
            longitude: coord("longitude", 180.0)?,
        }
    } else {
        let phone = p.str("phone_number").filter(|s| !s.is_empty());
        let name = p.str("first_name").filter(|s| !s.is_empty());
        let (Some(phone), Some(first_name)) = (phone, name) else {
            return Err(ApiError::bad("CONTACT_NAME_INVALID"));
        };
        Kind::Contact { phone, first_name }
    };
    let body = new_media(st, kind, &[], None);
    let markup = markup(p, false)?;
    let reply = reply_to(st, chat, p)?;
    let thread = super::forum::thread_of_send(st, chat, p)?;
    let sent = finish_send(st, chat, Body::Media(Box::new(body)), markup, reply)?;
    super::forum::placed(st, chat, thread, sent)
}

fn send_file(st: &mut State, kind: Kind, p: &Params) -> Res {
    st.uploads += p.files.len() as u64;
    st.uploaded_bytes += p.files.values().map(|f| f.data.len() as u64).sum::<u64>();
    let chat = chat_id(st, p, "chat_id")?;
    let field = kind.field();
    let (cap, entities) = if kind.takes_caption() {
        caption(st, p)?
    } else {
        (None, Vec::new())
    };
    let wrong = || ApiError::bad("wrong file identifier/HTTP URL specified");
    let spec = p.str(field);
    let upload = match spec.as_deref() {
        Some(s) if s.starts_with("attach://") => Some(p.files.get(&s[9..]).ok_or_else(wrong)?),
        None => Some(
            p.files
                .get(field)
                .ok_or_else(|| ApiError::bad(&format!("there is no {field} in the request")))?,
        ),
        Some(_) => None,
    };
    let mut body = if let Some(upload) = upload {
        if upload.data.len() > UPLOAD_LIMIT {
            return Err(ApiError {
                code: 413,
                description: "Request Entity Too Large".to_owned(),
                retry_after: None,
            });
        }
        let mut body = new_media(st, kind, &upload.data, None);
        body.file_name.clone_from(&upload.file_name);
        body.uploaded = true;
        body
    } else {
        let id = spec.unwrap_or_default();
        let blob = st.media.blobs.get(&id).ok_or_else(wrong)?;
        if blob.field != field {
            return Err(ApiError::bad(&format!(
                "can't use file of type {} as {}",
                blob.field.replace('_', " "),
                field.replace('_', " ")
            )));
        }
        let size = blob.bytes.len();
        MediaMsg {
            kind,
            file_id: Some(id),
            size,
            file_name: None,
            photo_sizes: Vec::new(),
            caption: None,
            entities: Vec::new(),
            media_group_id: None,
            copied_from: None,
            uploaded: false,
        }
    };
    body.caption = cap;
    body.entities = entities;
    let markup = markup(p, false)?;
    let reply = reply_to(st, chat, p)?;
    let thread = super::forum::thread_of_send(st, chat, p)?;
    let sent = finish_send(st, chat, Body::Media(Box::new(body)), markup, reply)?;
    super::forum::placed(st, chat, thread, sent)
}

/// A photo the bot uploaded with `sendPhoto`: its bytes kept under its largest size's id.
pub fn keep_photo(st: &mut State, sizes: &[Value], bytes: &[u8]) {
    if let Some(id) = sizes.last().and_then(|s| s["file_id"].as_str()) {
        let path = format!("photos/{id}.jpg");
        st.media.blobs.insert(
            id.to_owned(),
            Blob {
                field: "photo",
                bytes: bytes.to_vec(),
                path,
            },
        );
    }
}

/// `GET /file/bot{token}/{file_path}`: the bytes of a file `getFile` named.
pub fn download(shared: &Shared, segments: &[String]) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let not_found = || {
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"ok":false,"error_code":404,"description":"Not Found"}"#,
        )
            .into_response()
    };
    if segments.get(1).and_then(|t| t.strip_prefix("bot")) != Some(FakeTelegram::TOKEN) {
        return not_found();
    }
    let path = segments[2..].join("/");
    let mut st = shared.lock();
    let found = st
        .media
        .blobs
        .values()
        .find(|b| b.path == path)
        .map(|b| b.bytes.clone());
    st.calls.push(super::types::Call {
        method: "downloadFile".to_owned(),
        chat_id: None,
        at: std::time::Instant::now(),
        ok: found.is_some(),
        error: None,
        params: json!({ "file_path": path }),
    });
    drop(st);
    shared.changed.notify_waiters();
    match found {
        Some(bytes) if bytes.len() <= DOWNLOAD_LIMIT => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        _ => not_found(),
    }
}

/// What privacy mode reads of a message in a group: a text, or a media's
/// caption (media is seen only with a command or mention in it, or as a reply).
pub fn text_of(body: &Body) -> Option<&str> {
    match body {
        Body::Text { text, .. } => Some(text),
        Body::Media(media) => Some(media.caption.as_deref().unwrap_or_default()),
        _ => None,
    }
}
