//! One page's connection: the hello (who this is, what the page has shown),
//! what it missed, then its inputs in and the bot's messages out.
//!
//! Every input carries the page's id for it; its turn runs under that id as the
//! event key, and only once it committed is the page told (`ack`). A page that
//! lost its connection sends again what was not acknowledged: a second copy
//! changes nothing. So nothing typed is lost and nothing happens twice.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use tokio::time::Instant;

use super::customer::{Customer, TurnInput, chat_of, choose_language, is_token, new_token};
use super::frames::{self, FromPage, MAX_TEXT, ToPage};
use super::hub::{Admitted, Frame, Full};
use super::{CHANNEL, Shared};
use crate::channels::blocking;
use crate::channels::turns::{Settled, settle};
use crate::conversation::Input;
use crate::engine::{Chat, Origin};

/// Time a page has to say hello.
const HELLO_WITHIN: Duration = Duration::from_secs(10);
/// A ping this often; a page silent for [`GONE_AFTER`] is gone.
const PING_EVERY: Duration = Duration::from_secs(25);
const GONE_AFTER: Duration = Duration::from_secs(70);
/// Messages a page is sent again at most, after a reload or a lost connection.
const REPLAY: usize = 200;
/// Messages a page that shows nothing yet (a new tab) is shown.
const HISTORY: usize = 50;
/// The largest frame a page may send.
pub const MAX_FRAME: usize = 32 * 1024;

/// Close codes.
const IDLE: u16 = 4000;
const POLICY: u16 = 1008;
const TRY_LATER: u16 = 1013;
const GOING_AWAY: u16 = 1001;

/// `GET /ws`: checks the page's origin and the caps, then upgrades.
pub async fn upgrade(
    ws: WebSocketUpgrade,
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !shared.site.allows(origin) {
        tracing::info!(origin, "web: a page of another site was refused");
        return (
            StatusCode::FORBIDDEN,
            "this site may not open the shop's chat\n",
        )
            .into_response();
    }
    let address = client_address(peer, &headers);
    let admitted = match shared.hub.admit(address) {
        Ok(admitted) => admitted,
        Err(full) => {
            let why = match full {
                Full::Server => "the chat is full; try again in a minute\n",
                Full::Address => "too many chats from your address; close one or try later\n",
            };
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "30")],
                why,
            )
                .into_response();
        }
    };
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            Page::serve(socket, shared, address, admitted).await;
        })
}

/// The customer's address: the connection's, or behind a reverse proxy on
/// this machine (a loopback peer), the last address of `X-Forwarded-For`
/// (the one the proxy added).
fn client_address(peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if peer.ip().is_loopback()
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return forwarded;
    }
    peer.ip()
}

/// What a page asked for in its hello.
struct Hello {
    token: String,
    after: i64,
    langs: Vec<String>,
    start: String,
}

/// One connected page.
struct Page {
    socket: WebSocket,
    shared: Arc<Shared>,
    address: IpAddr,
    chat: String,
    /// How the owners see this customer.
    name: String,
    language: Option<String>,
    /// The highest bot message id this page has been sent.
    shown: i64,
}

/// How the page's loop ended.
enum End {
    Close(u16, &'static str),
    Gone,
}

impl Page {
    async fn serve(mut socket: WebSocket, shared: Arc<Shared>, address: IpAddr, _: Admitted) {
        let Some(hello) = hello(&mut socket).await else {
            close(&mut socket, POLICY, "say hello first").await;
            return;
        };
        let token = if is_token(&hello.token) {
            hello.token.clone()
        } else if !shared.limits.new_chat(address) {
            close(&mut socket, TRY_LATER, "too many new chats from here").await;
            return;
        } else if let Some(token) = new_token() {
            token
        } else {
            close(&mut socket, TRY_LATER, "no random source").await;
            return;
        };
        let chat = chat_of(&token);
        let language = choose_language(&shared.languages, &hello.langs);
        let mut page = Page {
            socket,
            name: format!("web {}", &chat[..6]),
            chat,
            shared,
            address,
            language,
            shown: 0,
        };
        if page
            .send_text(ToPage::Welcome { token: &token }.json())
            .await
            .is_err()
        {
            return;
        }
        match page.run(&hello).await {
            End::Close(code, reason) => close(&mut page.socket, code, reason).await,
            // Reading on sends the reply to a page's close frame.
            End::Gone => {
                let drain = async { while let Some(Ok(_)) = page.socket.recv().await {} };
                let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
            }
        }
    }

    async fn run(&mut self, hello: &Hello) -> End {
        let mut joined = self.shared.hub.join(&self.chat);
        if let Err(end) = self.catch_up(hello.after).await {
            return end;
        }
        if let Err(end) = self.opening(hello).await {
            return end;
        }
        let mut stop = self.shared.stop.clone();
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let mut heard = Instant::now();
        let mut typed = Instant::now();
        loop {
            let idle_at = typed + self.shared.site.idle;
            tokio::select! {
                incoming = self.socket.recv() => {
                    heard = Instant::now();
                    match incoming {
                        Some(Ok(Message::Text(text))) => {
                            typed = Instant::now();
                            if let Err(end) = self.input(&text, joined.id).await {
                                return end;
                            }
                        }
                        Some(Ok(Message::Binary(_))) => return End::Close(POLICY, "text frames only"),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Ok(Message::Close(_)) | Err(_)) | None => return End::Gone,
                    }
                }
                frame = joined.rx.recv() => match frame {
                    Some(frame) => {
                        if let Err(end) = self.forward(&frame).await {
                            return end;
                        }
                    }
                    // Dropped as too slow: it catches up when it reconnects.
                    None => return End::Close(TRY_LATER, "too slow"),
                },
                _ = ping.tick() => {
                    if heard.elapsed() > GONE_AFTER {
                        return End::Gone;
                    }
                    if self.socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                        return End::Gone;
                    }
                }
                () = tokio::time::sleep_until(idle_at) => return End::Close(IDLE, "idle"),
                () = stopped(&mut stop) => {
                    return End::Close(GOING_AWAY, "the shop is restarting");
                }
            }
        }
    }

    /// Sends what the page has not shown: the messages after `after`, or the
    /// last ones for a page that shows none.
    async fn catch_up(&mut self, after: i64) -> Result<(), End> {
        let chat = self.chat.clone();
        let limit = if after > 0 { REPLAY } else { HISTORY };
        let rows = blocking(&self.shared.engine, move |engine| {
            engine.chat_log(CHANNEL, &chat, after.max(0), limit)
        })
        .await;
        let rows = match rows {
            Some(Ok(rows)) => rows,
            Some(Err(e)) => {
                tracing::error!("web: cannot read a chat's messages: {e}");
                return Err(End::Close(
                    TRY_LATER,
                    "the shop cannot read its messages now",
                ));
            }
            None => return Err(End::Close(TRY_LATER, "try again")),
        };
        self.shown = after.max(0);
        for row in rows {
            let Some((frame, _)) = self.shared.frame_of(&row) else {
                continue;
            };
            self.forward(&frame).await?;
        }
        Ok(())
    }

    /// A new conversation starts (with the deep link's payload, if any); a
    /// link opened again in a new page shows where it points.
    async fn opening(&mut self, hello: &Hello) -> Result<(), End> {
        let payload = hello.start.trim();
        let payload = (!payload.is_empty() && payload.len() <= 64).then_some(payload);
        let chat = self.chat.clone();
        let known = blocking(&self.shared.engine, move |engine| {
            engine.has_session(Chat {
                channel: CHANNEL,
                chat_id: &chat,
            })
        })
        .await;
        let Some(Ok(known)) = known else {
            return Err(End::Close(TRY_LATER, "try again"));
        };
        let day = Timestamp::now().as_second() / 86_400;
        let (key, input) = match payload {
            Some(payload) if hello.after == 0 => (
                format!("start:{payload}:{day}"),
                Input::Text(format!("/start {payload}")),
            ),
            _ if !known => (format!("start:{day}"), Input::Start),
            _ => return Ok(()),
        };
        self.turn(key, TurnInput::Ready(input)).await.map(|_| ())
    }

    /// One frame of the page.
    async fn input(&mut self, text: &str, me: u64) -> Result<(), End> {
        let Ok(frame) = serde_json::from_str::<FromPage>(text) else {
            return Err(End::Close(POLICY, "unknown frame"));
        };
        let (id, input) = match frame {
            FromPage::Hello { .. } => return Err(End::Close(POLICY, "hello twice")),
            FromPage::Text { id, text } => {
                if text.chars().count() > MAX_TEXT {
                    return Err(End::Close(POLICY, "message too long"));
                }
                (id, TurnInput::Ready(Input::Text(text)))
            }
            FromPage::Press { id, row, i, msg } => (id, TurnInput::Press { row, i, msg }),
        };
        if !frames::is_input_id(&id) {
            return Err(End::Close(POLICY, "bad input id"));
        }
        if let Err(wait) = self.shared.limits.message(&self.chat, self.address) {
            let retry_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(100);
            return self
                .send_text(ToPage::Slow { id: &id, retry_ms }.json())
                .await;
        }
        let typed = match &input {
            TurnInput::Ready(Input::Text(text)) => Some(text.clone()),
            _ => None,
        };
        match self.turn(id.clone(), input).await? {
            Settled::Committed | Settled::GaveUp => {}
            Settled::Stopped => return Err(End::Close(GOING_AWAY, "the shop is restarting")),
        }
        if let Some(text) = typed {
            let echo = Frame {
                id: 0,
                json: Arc::from(ToPage::Own { text: &text }.json()),
            };
            self.shared.hub.publish(&self.chat, &echo, Some(me));
        }
        self.send_text(ToPage::Ack { id: &id }.json()).await
    }

    /// Runs one input's turn by the rule of every channel (tried again while
    /// it fails, given up with an apology only while the database writes).
    async fn turn(&mut self, key: String, input: TurnInput) -> Result<Settled, End> {
        let key = format!("{}:{key}", self.chat);
        let origin = Origin {
            chat_id: Some(self.chat.clone()),
            key: Some(key.clone()),
            sender_name: Some(self.name.clone()),
        };
        let customer = Arc::new(Customer {
            chat: self.chat.clone(),
            name: self.name.clone(),
            language: self.language.clone(),
            key,
            input,
        });
        let engine = Arc::clone(&self.shared.engine);
        let settled = settle(&engine, &self.shared.stop, CHANNEL, &origin, || {
            let engine = Arc::clone(&engine);
            let customer = Arc::clone(&customer);
            async move {
                match blocking(&engine, move |engine| customer.run(engine)).await {
                    Some(Ok(_)) => Ok(()),
                    Some(Err(e)) => Err(e.to_string()),
                    None => Err("the turn panicked".to_owned()),
                }
            }
        })
        .await;
        self.shared.wake.notify_one();
        Ok(settled)
    }

    /// Sends a bot message the page has not been sent yet.
    async fn forward(&mut self, frame: &Frame) -> Result<(), End> {
        if frame.id != 0 {
            if frame.id <= self.shown {
                return Ok(());
            }
            self.shown = frame.id;
        }
        self.send_text(frame.json.to_string()).await
    }

    async fn send_text(&mut self, text: String) -> Result<(), End> {
        self.socket
            .send(Message::Text(Utf8Bytes::from(text)))
            .await
            .map_err(|_| End::Gone)
    }
}

/// Waits for the page's hello.
async fn hello(socket: &mut WebSocket) -> Option<Hello> {
    let first = tokio::time::timeout(HELLO_WITHIN, socket.recv())
        .await
        .ok()??;
    let Ok(Message::Text(text)) = first else {
        return None;
    };
    match serde_json::from_str(&text).ok()? {
        FromPage::Hello {
            token,
            after,
            langs,
            start,
        } => Some(Hello {
            token,
            after,
            langs,
            start,
        }),
        _ => None,
    }
}

/// Returns once the bot is stopping.
async fn stopped(stop: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })))
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_names_the_customer_only_from_this_machine() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "10.0.0.9, 203.0.113.5".parse().unwrap());
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "198.51.100.1:5000".parse().unwrap();
        assert_eq!(
            client_address(local, &headers),
            "203.0.113.5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_address(remote, &headers), remote.ip());
        assert_eq!(client_address(local, &HeaderMap::new()), local.ip());
    }
}
