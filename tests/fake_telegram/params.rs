//! Request parameters, however they arrive: JSON, form, query string or multipart.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

use super::types::ApiError;

/// An uploaded file part.
#[derive(Clone, Debug)]
pub struct Upload {
    pub file_name: Option<String>,
    pub data: Bytes,
}

#[derive(Debug, Default)]
pub struct Params {
    pub map: Map<String, Value>,
    pub files: HashMap<String, Upload>,
}

impl Params {
    /// Reads every parameter of a request; the error is a 400 description.
    pub async fn from_request(req: Request) -> Result<Self, ApiError> {
        let mut params = Self::default();
        if let Some(query) = req.uri().query() {
            params.add_form(query.as_bytes());
        }
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(req, &())
                .await
                .map_err(|e| ApiError::bad(&format!("invalid multipart body: {e}")))?;
            loop {
                let field = match multipart.next_field().await {
                    Ok(Some(field)) => field,
                    Ok(None) => break,
                    Err(e) => return Err(ApiError::bad(&format!("invalid multipart body: {e}"))),
                };
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let data = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::bad(&format!("invalid multipart body: {e}")))?;
                match (file_name.is_none(), std::str::from_utf8(&data)) {
                    (true, Ok(text)) => {
                        params.map.insert(name, Value::String(text.to_owned()));
                    }
                    _ => {
                        params.files.insert(name, Upload { file_name, data });
                    }
                }
            }
            return Ok(params);
        }
        let body = axum::body::to_bytes(req.into_body(), 64 << 20)
            .await
            .map_err(|e| ApiError::bad(&format!("can't read request body: {e}")))?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(params);
        }
        if content_type.starts_with("application/x-www-form-urlencoded") {
            params.add_form(&body);
        } else {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(map)) => params.map.extend(map),
                Ok(_) => return Err(ApiError::bad("parameters must be a JSON object")),
                Err(_) => return Err(ApiError::bad("can't parse JSON object")),
            }
        }
        Ok(params)
    }

    fn add_form(&mut self, raw: &[u8]) {
        for (k, v) in form_pairs(raw) {
            self.map.insert(k, Value::String(v));
        }
    }

    /// The parameters for the call log, files replaced by a placeholder.
    pub fn logged(&self) -> Value {
        let mut map = self.map.clone();
        for (name, file) in &self.files {
            map.insert(
                name.clone(),
                Value::String(format!("<upload {} bytes>", file.data.len())),
            );
        }
        Value::Object(map)
    }

    pub fn str(&self, key: &str) -> Option<String> {
        match self.map.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    pub fn i64(&self, key: &str) -> Option<i64> {
        match self.map.get(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn bool(&self, key: &str) -> bool {
        match self.map.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true" || s == "1",
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        }
    }

    /// A structured parameter, sent either as JSON or as a JSON-encoded string.
    pub fn json(&self, key: &str) -> Option<Value> {
        match self.map.get(key)? {
            Value::String(s) => serde_json::from_str(s)
                .ok()
                .or_else(|| Some(Value::String(s.clone()))),
            Value::Null => None,
            v => Some(v.clone()),
        }
    }
}

fn form_pairs(raw: &[u8]) -> Vec<(String, String)> {
    raw.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |&b| b == b'=');
            let k = percent_decode(it.next().unwrap_or_default());
            let v = percent_decode(it.next().unwrap_or_default());
            (k, v)
        })
        .collect()
}

fn percent_decode(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3]).ok();
                if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
