//! The web chat's pages and files: the widget, its stylesheet, the `/chat`
//! page, the shop's pictures, and the socket. Every answer carries strict
//! security headers; nothing else is served (no admin, no data).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::Shared;
use super::site::WIDGET_CSS;
use super::socket;

/// Cached for ever: a picture's name changes with its content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Asked again each time (answered `304` while unchanged).
const REVALIDATE: &str = "no-cache";
/// The policy of everything but the page: nothing runs, nothing loads.
const NOTHING: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

pub fn router(shared: Arc<Shared>) -> Router {
    let https = shared.site.public.starts_with("https://");
    Router::new()
        .route("/", get(|| async { Redirect::to("/chat") }))
        .route("/chat", get(page))
        .route("/widget.js", get(widget))
        .route("/widget.css", get(stylesheet))
        .route("/img/{name}", get(picture))
        .route("/media/{row}/{key}", get(media))
        .route("/ws", get(socket::upgrade))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .layer(axum::middleware::map_response(
            move |response: Response| async move { secure(response, https) },
        ))
        .with_state(shared)
}

/// The headers every answer carries; a page's own policy is kept.
fn secure(mut response: Response, https: bool) -> Response {
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        if !headers.contains_key(name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set("content-security-policy", NOTHING);
    set("x-content-type-options", "nosniff");
    set("referrer-policy", "no-referrer");
    set("cross-origin-opener-policy", "same-origin");
    set("cross-origin-resource-policy", "same-origin");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    if https {
        set("strict-transport-security", "max-age=31536000");
    }
    response
}

/// Whether the browser's copy (`If-None-Match`) is `etag`.
fn fresh(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
}

/// A file answer: `304` when the browser has it, else the bytes.
fn file(
    headers: &HeaderMap,
    etag: &str,
    mime: &'static str,
    cache: &'static str,
    body: impl IntoResponse,
) -> Response {
    let etag = HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"\""));
    let common = [
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (header::ETAG, etag.clone()),
        // Loaded by the seller's pages, on another site.
        (
            header::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        ),
    ];
    if fresh(headers, etag.to_str().unwrap_or_default()) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(mime))],
        body,
    )
        .into_response()
}

async fn widget(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let site = &shared.site;
    file(
        &headers,
        &site.widget_etag,
        "text/javascript; charset=utf-8",
        REVALIDATE,
        site.widget.clone(),
    )
}

async fn stylesheet(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    file(
        &headers,
        &shared.site.css_etag,
        "text/css; charset=utf-8",
        REVALIDATE,
        WIDGET_CSS,
    )
}

async fn page(State(shared): State<Arc<Shared>>) -> Response {
    let site = &shared.site;
    let csp = HeaderValue::from_str(&site.page_csp).unwrap_or(HeaderValue::from_static(NOTHING));
    (
        [
            (header::CONTENT_SECURITY_POLICY, csp),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE)),
        ],
        site.page.clone(),
    )
        .into_response()
}

async fn picture(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(picture) = shared.images.picture(&name) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let etag = format!("\"{name}\"");
    if fresh(&headers, &etag) {
        return file(&headers, &etag, picture.mime, IMMUTABLE, ());
    }
    match tokio::fs::read(&picture.path).await {
        Ok(bytes) => file(&headers, &etag, picture.mime, IMMUTABLE, bytes),
        Err(e) => {
            tracing::warn!(path = %picture.path.display(), "web: cannot read a picture: {e}");
            (StatusCode::NOT_FOUND, "not found\n").into_response()
        }
    }
}

/// An attachment sent to a web customer (an owner's photo, a digital
/// product's file), by the address only that customer's page was given.
/// Pictures are shown; anything else is only ever downloaded.
async fn media(
    State(shared): State<Arc<Shared>>,
    Path((row, key)): Path<(i64, String)>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "not found\n").into_response();
    let engine = Arc::clone(&shared.engine);
    let found = crate::channels::blocking(&engine, move |engine| {
        let row = engine.outbox_row_of(super::CHANNEL, row).ok()??;
        let attachment = crate::engine::outgoing_of(&row).ok()?.reply.attachment?;
        let path = engine.spool().path(attachment.stored.as_deref()?).ok()??;
        Some((row, attachment, path))
    })
    .await
    .flatten();
    let Some((row, attachment, path)) = found else {
        return not_found();
    };
    if shared.media_key(row.id, &row.chat_id) != key {
        return not_found();
    }
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return not_found();
    };
    let picture = matches!(attachment.media, crate::attachment::Media::Photo);
    let mime = match attachment.mime.as_deref() {
        _ if !picture => "application/octet-stream",
        Some("image/png") => "image/png",
        Some("image/gif") => "image/gif",
        Some("image/webp") => "image/webp",
        _ => "image/jpeg",
    };
    let name: String = super::frames::file_name(&attachment)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = if picture {
        "inline".to_owned()
    } else {
        format!("attachment; filename=\"{name}\"")
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400"),
            ),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                HeaderValue::from_static("cross-origin"),
            ),
        ],
        bytes,
    )
        .into_response()
}
