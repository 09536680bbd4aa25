//! Public value types of the fake: faults, recorded calls and what a customer sees.

use std::time::Instant;

use serde_json::Value;

/// An error the fake answers instead of doing the work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 429 `Too Many Requests: retry after N` with `parameters.retry_after`.
    TooManyRequests { retry_after: u64 },
    /// A 5xx answer with Telegram's JSON error body (teloxide sleeps 10 s on it).
    ServerError(u16),
    /// 403 `Forbidden: bot was blocked by the user`.
    Blocked,
    /// Any other error, e.g. `Custom { code: 400, description: "Bad Request: …" }`.
    Custom { code: u16, description: String },
}

/// How the fake behaves while paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// Connections are dropped as soon as they are accepted (or used): teloxide
    /// sees a network error and backs off (1 s, 2 s, 4 s … 64 s).
    Refuse,
    /// Every request gets a 502 with an HTML body, like Telegram's nginx
    /// (teloxide sleeps 10 s on every 5xx).
    BadGateway,
}

/// One request the bot made.
#[derive(Clone, Debug)]
pub struct Call {
    /// Canonical method name (`sendMessage`), or the name as sent if unknown.
    pub method: String,
    pub chat_id: Option<i64>,
    pub at: Instant,
    pub ok: bool,
    /// The error description when `ok` is false.
    pub error: Option<String>,
    /// The parameters as received (uploaded files shown as `"<upload N bytes>"`).
    pub params: Value,
}

/// How a photo reached the fake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhotoSource {
    /// A multipart upload.
    Upload {
        file_name: Option<String>,
        bytes: usize,
    },
    /// An HTTP(S) URL for Telegram to fetch.
    Url(String),
    /// A `file_id` of a photo the fake handed out earlier.
    FileId(String),
}

/// A message as the customer sees it now (edits applied, deleted ones gone).
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::struct_excessive_bools)]
pub struct Seen {
    pub message_id: i64,
    pub from_bot: bool,
    /// Text, or caption of a photo, or the title of an invoice; empty otherwise.
    pub text: String,
    pub has_photo: bool,
    pub photo: Option<PhotoSource>,
    /// Inline keyboard rows of (button text, callback data).
    pub buttons: Vec<Vec<(String, String)>>,
    /// Inline URL buttons as (text, url).
    pub url_buttons: Vec<(String, String)>,
    /// A reply keyboard (button texts per row), if the message set one.
    pub reply_keyboard: Vec<Vec<String>>,
    pub entities: Vec<Value>,
    pub edits: u32,
    /// The message this one replies to.
    pub reply_to: Option<i64>,
    /// The original author's user id, for a forwarded message.
    pub forwarded_from: Option<i64>,
    pub is_invoice: bool,
    pub is_sticker: bool,
}

impl Seen {
    /// All callback buttons, flattened.
    pub fn all_buttons(&self) -> impl Iterator<Item = &(String, String)> {
        self.buttons.iter().flatten()
    }
}

/// How the bot answered a callback query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackAnswer {
    pub query_id: String,
    pub text: Option<String>,
    pub show_alert: bool,
    pub url: Option<String>,
}

/// How the bot answered a pre-checkout query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreCheckoutAnswer {
    pub ok: bool,
    pub error_message: Option<String>,
}

/// An error answer: HTTP status = `code`, JSON body in Telegram's format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn bad(what: &str) -> Self {
        Self {
            code: 400,
            description: format!("Bad Request: {what}"),
            retry_after: None,
        }
    }

    pub fn from_fault(fault: &Fault) -> Self {
        match fault {
            Fault::TooManyRequests { retry_after } => Self::too_many(*retry_after),
            Fault::ServerError(code) => Self {
                code: *code,
                description: server_error_text(*code).to_owned(),
                retry_after: None,
            },
            Fault::Blocked => Self {
                code: 403,
                description: "Forbidden: bot was blocked by the user".to_owned(),
                retry_after: None,
            },
            Fault::Custom { code, description } => Self {
                code: *code,
                description: description.clone(),
                retry_after: None,
            },
        }
    }

    pub fn too_many(retry_after: u64) -> Self {
        Self {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }

    pub fn body(&self) -> Value {
        let mut body = serde_json::json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(n) = self.retry_after {
            body["parameters"] = serde_json::json!({ "retry_after": n });
        }
        body
    }
}

fn server_error_text(code: u16) -> &'static str {
    match code {
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Internal Server Error",
    }
}
