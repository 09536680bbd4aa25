//! The HTTP side: a listener that can drop connections (outages), routing of
//! `/bot{token}/{method}`, fault injection, flood limits, and long polling.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use super::methods::{self, Res, SENDING};
use super::params::Params;
use super::sending;
use super::state::State;
use super::types::{ApiError, Call};
use super::{OUTAGE_BAD_GATEWAY, OUTAGE_NONE, Shared};

pub async fn serve(shared: Arc<Shared>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let app = Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(64 << 20))
        .with_state(Arc::clone(&shared));
    tokio::spawn(async move {
        let _ = axum::serve(Guarded { listener, shared }, app).await;
    });
    addr
}

/// Drops new connections while the fake is paused in `Outage::Refuse` mode.
struct Guarded {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl axum::serve::Listener for Guarded {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (GuardedStream, SocketAddr) {
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) if self.shared.refusing() => drop(stream),
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        GuardedStream {
                            stream,
                            shared: Arc::clone(&self.shared),
                        },
                        addr,
                    );
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// A connection that fails (and so is closed) once the fake refuses service.
struct GuardedStream {
    stream: TcpStream,
    shared: Arc<Shared>,
}

fn outage_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "fake Telegram outage")
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.shared.refusing() {
            return Poll::Ready(Err(outage_error()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.shared.refusing() {
            return Poll::Ready(Err(outage_error()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

fn bad_gateway() -> Response {
    let body = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/html")],
        body,
    )
        .into_response()
}

fn respond(result: &Res) -> Response {
    let (status, body) = match result {
        Ok(v) => (StatusCode::OK, json!({ "ok": true, "result": v })),
        Err(e) => (
            StatusCode::from_u16(e.code).unwrap_or(StatusCode::BAD_REQUEST),
            e.body(),
        ),
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn percent_decode_path(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%' && i + 2 < b.len())
            .then(|| {
                std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .flatten();
        if let Some(byte) = hex {
            out.push(byte);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(AxState(shared): AxState<Arc<Shared>>, req: Request) -> Response {
    let at = Instant::now();
    if shared.outage.load(Ordering::SeqCst) == OUTAGE_BAD_GATEWAY {
        return bad_gateway();
    }
    let segments: Vec<String> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode_path)
        .collect();
    if segments.first().is_some_and(|s| s == "file") {
        return super::files::download(&shared, &segments);
    }
    let [token, method] = segments.as_slice() else {
        return respond(&Err(ApiError {
            code: 404,
            description: "Not Found".to_owned(),
            retry_after: None,
        }));
    };
    if token.strip_prefix("bot") != Some(super::FakeTelegram::TOKEN) {
        return respond(&Err(ApiError {
            code: 401,
            description: "Unauthorized".to_owned(),
            retry_after: None,
        }));
    }
    let name = methods::canonical(method).unwrap_or(method).to_owned();
    let params = match Params::from_request(req).await {
        Ok(p) => p,
        Err(e) => {
            let result = Err(e);
            record(&mut shared.lock(), &name, &Params::default(), at, &result);
            return respond(&result);
        }
    };
    let result = if name == "getUpdates" {
        let pre = pre_checks(&mut shared.lock(), &name, &params);
        match pre {
            Ok(()) => get_updates(&shared, &params).await,
            Err(e) => Err(e),
        }
    } else {
        let mut st = shared.lock();
        let result = pre_checks(&mut st, &name, &params).and_then(|()| {
            let result = methods::call(&mut st, &name, &params);
            if result.is_ok() {
                count_send(&mut st, &name, &params);
            }
            result
        });
        drop(st);
        result
    };
    // Done, but not answered yet (a caller killed meanwhile never learns of it).
    while shared.lock().stalled.contains(&name) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if shared.outage.load(Ordering::SeqCst) == OUTAGE_BAD_GATEWAY {
        return bad_gateway();
    }
    record(&mut shared.lock(), &name, &params, at, &result);
    shared.changed.notify_waiters();
    respond(&result)
}

fn record(st: &mut State, method: &str, params: &Params, at: Instant, result: &Res) {
    st.calls.push(Call {
        method: method.to_owned(),
        chat_id: params.i64("chat_id"),
        at,
        ok: result.is_ok(),
        error: result.as_ref().err().map(|e| e.description.clone()),
        params: params.logged(),
    });
}

/// Injected faults, then the flood limits (checked without counting).
fn pre_checks(st: &mut State, method: &str, p: &Params) -> Result<(), ApiError> {
    if let Some(idx) = st
        .faults_next
        .iter()
        .position(|(m, n, _)| m.eq_ignore_ascii_case(method) && *n > 0)
    {
        let (_, remaining, fault) = &mut st.faults_next[idx];
        *remaining -= 1;
        let err = ApiError::from_fault(fault);
        if *remaining == 0 {
            st.faults_next.remove(idx);
        }
        return Err(err);
    }
    if !SENDING.contains(&method) && method != "sendChatAction" {
        return Ok(());
    }
    let Ok(chat) = sending::chat_id(st, p, "chat_id") else {
        return Ok(());
    };
    if let Some(fault) = st.chat_faults.get(&chat) {
        return Err(ApiError::from_fault(fault));
    }
    if st.chats.get(&chat).is_some_and(|c| !c.opened) {
        return Err(ApiError {
            code: 403,
            description: "Forbidden: bot can't initiate conversation with a user".to_owned(),
            retry_after: None,
        });
    }
    if SENDING.contains(&method) && st.config.strict_rate {
        let (group, burst) = (st.is_group(chat), st.config.burst);
        st.limiter
            .check(chat, group, burst, false)
            .map_err(ApiError::too_many)?;
    }
    Ok(())
}

fn count_send(st: &mut State, method: &str, p: &Params) {
    if !SENDING.contains(&method) || !st.config.strict_rate {
        return;
    }
    if let Ok(chat) = sending::chat_id(st, p, "chat_id") {
        let (group, burst) = (st.is_group(chat), st.config.burst);
        let _ = st.limiter.check(chat, group, burst, true);
    }
}

const CONFLICT: &str = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
const DEFAULT_SKIPPED: &[&str] = &["chat_member", "message_reaction", "message_reaction_count"];

/// Long polling: confirms updates below `offset`, then answers as soon as there is
/// an update (or when `timeout` seconds have passed).
async fn get_updates(shared: &Shared, p: &Params) -> Res {
    let timeout = Duration::from_secs(p.i64("timeout").unwrap_or(0).clamp(0, 50).unsigned_abs());
    let limit = usize::try_from(p.i64("limit").unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let offset = p.i64("offset").unwrap_or(0);
    let deadline = tokio::time::Instant::now() + timeout;
    let generation = {
        let mut st = shared.lock();
        if !st.webhook_url.is_empty() {
            return Err(ApiError { code: 409, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first".to_owned(), retry_after: None });
        }
        if let Some(Value::Array(list)) = p.json("allowed_updates") {
            let list: Vec<String> = list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            st.allowed_updates = (!list.is_empty()).then_some(list);
        }
        if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            while st.updates.len() > keep {
                st.updates.pop_front();
            }
        } else if offset > 0 {
            st.updates.retain(|u| i64::from(u.id) >= offset);
        }
        st.polls_started += 1;
        st.poll_generation += 1;
        st.poll_generation
    };
    shared.updates.notify_waiters();
    loop {
        let notified = shared.updates.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = shared.lock();
            if st.poll_generation != generation {
                return Err(ApiError {
                    code: 409,
                    description: CONFLICT.to_owned(),
                    retry_after: None,
                });
            }
            if shared.outage.load(Ordering::SeqCst) != OUTAGE_NONE {
                return Err(ApiError {
                    code: 502,
                    description: "Bad Gateway".to_owned(),
                    retry_after: None,
                });
            }
            let allowed = st.allowed_updates.clone();
            st.updates.retain(|u| match &allowed {
                Some(list) => list.iter().any(|k| k == u.kind),
                None => !DEFAULT_SKIPPED.contains(&u.kind),
            });
            let batch: Vec<Value> = st
                .updates
                .iter()
                .take(limit)
                .map(|u| u.json.clone())
                .collect();
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(Value::Array(batch));
            }
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}
