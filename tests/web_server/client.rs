//! A page of the web chat without a browser: the widget's protocol as a test
//! drives it (hello with the token and the last shown message, inputs kept
//! until acknowledged and sent again after a reconnect), and the bot process
//! behind it on a port of its own.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Message, http};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::process::{BotProcess, copy_shop};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The seller's site that the test shop allows.
pub const SELLER: &str = "http://seller.test:8000";

/// A free port on loopback (bound and let go: the bot takes it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The web test shop in `dir`, listening on `port`, with `extra` lines added to `[web]`.
pub fn web_shop(dir: &Path, port: u16, extra: &str) -> PathBuf {
    let shop = copy_shop("web", dir);
    let text = std::fs::read_to_string(&shop).expect("shop");
    let text = text.replace("http://seller.invalid", SELLER).replace(
        "listen = \"127.0.0.1:0\"",
        &format!("listen = \"127.0.0.1:{port}\"\n{extra}"),
    );
    std::fs::write(&shop, text).expect("write shop");
    shop
}

/// The log of the bot on each port, for a failing page to show.
static LOGS: std::sync::Mutex<Vec<(u16, PathBuf)>> = std::sync::Mutex::new(Vec::new());

/// The end of the log of the bot on `port` (the latest started there).
pub fn bot_log(port: u16) -> String {
    let logs = LOGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some((_, path)) = logs.iter().rev().find(|(p, _)| *p == port) else {
        return String::new();
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(60)..].join("\n")
}

/// Notes where the bot on `port` logs (one started by the test itself).
pub fn remember_log(port: u16, bot: &BotProcess) {
    LOGS.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((port, bot.log.clone()));
}

/// Starts the bot and waits until the web chat answers.
pub async fn start_bot(shop: &Path, db: &Path, port: u16) -> BotProcess {
    let bot = BotProcess::spawn(shop, db, &[]);
    remember_log(port, &bot);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return bot;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the web chat never listened\n{}", bot.log_text());
}

/// Opens a socket with this `Origin` (none when `None`) and optional extra headers.
pub async fn open(
    port: u16,
    origin: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .expect("request");
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("origin"));
    }
    for (name, value) in headers {
        request.headers_mut().insert(
            http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            value.parse().expect("value"),
        );
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// The HTTP status of a refused upgrade, or `None` if it was accepted.
pub fn refused_status(result: &Result<Ws, tokio_tungstenite::tungstenite::Error>) -> Option<u16> {
    match result {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Some(response.status().as_u16())
        }
        Err(e) => panic!("not an HTTP refusal: {e}"),
    }
}

/// The code the bot closes `ws` with, waiting at most `within` (fails if it does not).
pub async fn close_code(ws: &mut Ws, within: Duration) -> Option<u16> {
    tokio::time::timeout(within, async {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Close(close) = message {
                return close.map(|c| u16::from(c.code));
            }
        }
        None
    })
    .await
    .unwrap_or_else(|_| panic!("not closed within {within:?}"))
}

/// One page of one customer.
pub struct Page {
    pub port: u16,
    ws: Option<Ws>,
    pub token: String,
    /// The highest message id shown.
    pub shown: i64,
    /// Every message id the server sent, in order, over all connections.
    pub received: Vec<i64>,
    /// What the page shows: (element id, message frame), edits in place.
    pub view: Vec<(String, Value)>,
    /// Inputs not acknowledged yet: (id, frame).
    pub unacked: Vec<(String, Value)>,
    /// `own` frames (another tab's typing).
    pub own: Vec<String>,
    pub slows: usize,
    pub reconnects: usize,
    /// A deep link's payload, sent in every hello (`/chat?start=…`).
    pub start: String,
    next: u64,
    tag: String,
}

impl Page {
    pub fn new(port: u16, tag: &str) -> Self {
        Self {
            port,
            ws: None,
            token: String::new(),
            shown: 0,
            received: Vec::new(),
            view: Vec::new(),
            unacked: Vec::new(),
            own: Vec::new(),
            slows: 0,
            reconnects: 0,
            start: String::new(),
            next: 0,
            tag: tag.to_owned(),
        }
    }

    /// A page connected, with what the bot said at once.
    pub async fn opened(port: u16, tag: &str) -> Self {
        let mut page = Self::new(port, tag);
        page.reconnect().await;
        page.settle().await;
        page
    }

    /// A second tab, connected: the same token, the conversation's last messages.
    pub async fn tab_opened(&self, tag: &str) -> Self {
        let mut page = self.tab(tag);
        page.reconnect().await;
        page.settle().await;
        page
    }

    /// A second tab: the same token, nothing shown yet.
    pub fn tab(&self, tag: &str) -> Self {
        let mut page = Self::new(self.port, tag);
        page.token.clone_from(&self.token);
        page
    }

    /// Connects (hello, welcome) and sends again every input not acknowledged.
    pub async fn connect(&mut self) -> Result<(), String> {
        let mut ws = open(self.port, Some(SELLER), &[])
            .await
            .map_err(|e| e.to_string())?;
        let hello = json!({"t": "hello", "token": self.token, "after": self.shown,
                           "langs": ["en-GB"], "start": self.start});
        ws.send(Message::text(hello.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        let welcome = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .map_err(|_| "no welcome".to_owned())?
            .ok_or("closed before the welcome")?
            .map_err(|e| e.to_string())?;
        let welcome: Value =
            serde_json::from_str(welcome.to_text().map_err(|e| e.to_string())?).expect("json");
        assert_eq!(welcome["t"], "welcome", "{welcome}");
        welcome["token"]
            .as_str()
            .expect("token")
            .clone_into(&mut self.token);
        for (_, frame) in &self.unacked {
            ws.send(Message::text(frame.to_string()))
                .await
                .map_err(|e| e.to_string())?;
        }
        self.ws = Some(ws);
        Ok(())
    }

    /// Connects, trying for up to 30 s (the bot may be restarting).
    pub async fn reconnect(&mut self) {
        self.ws = None;
        self.reconnects += 1;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.connect().await {
                Ok(()) => return,
                Err(e) if Instant::now() > deadline => panic!("cannot reconnect: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn input(&mut self, mut frame: Value) -> String {
        self.next += 1;
        let id = format!("{}{}", self.tag, self.next);
        frame["id"] = json!(id);
        self.unacked.push((id.clone(), frame));
        id
    }

    async fn send_last(&mut self) {
        let frame = self.unacked.last().expect("an input").1.to_string();
        if let Some(ws) = &mut self.ws
            && ws.send(Message::text(frame)).await.is_err()
        {
            self.ws = None;
        }
    }

    /// Types a message; returns its id.
    pub async fn say(&mut self, text: &str) -> String {
        let id = self.input(json!({"t": "text", "text": text}));
        self.send_last().await;
        id
    }

    /// Presses the newest button whose label contains `label`.
    pub async fn tap(&mut self, label: &str) -> String {
        let (shows, row, i) = self
            .view
            .iter()
            .rev()
            .find_map(|(shows, msg)| {
                msg["buttons"].as_array()?.iter().find_map(|b| {
                    b["label"].as_str()?.contains(label).then(|| {
                        (
                            shows.clone(),
                            b["row"].as_i64().unwrap(),
                            b["i"].as_i64().unwrap(),
                        )
                    })
                })
            })
            .unwrap_or_else(|| panic!("no button {label:?}\n{}", self.transcript()));
        let id = self.input(json!({"t": "press", "row": row, "i": i, "msg": shows}));
        self.send_last().await;
        id
    }

    /// Reads frames until every input is acknowledged and nothing more comes
    /// for a moment; reconnects whenever the connection is lost.
    pub async fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            assert!(
                Instant::now() < deadline,
                "never settled\n{}",
                self.transcript()
            );
            if self.ws.is_none() {
                self.reconnect().await;
            }
            let quiet = if self.unacked.is_empty() { 300 } else { 5000 };
            let ws = self.ws.as_mut().expect("connected");
            match tokio::time::timeout(Duration::from_millis(quiet), ws.next()).await {
                Err(_) if self.unacked.is_empty() => return,
                Ok(Some(Ok(Message::Text(text)))) => {
                    let frame: Value = serde_json::from_str(&text).expect("json frame");
                    self.take(frame).await;
                }
                Err(_) | Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_)) | None) => self.ws = None,
            }
        }
    }

    async fn take(&mut self, frame: Value) {
        match frame["t"].as_str() {
            Some("msg") => {
                let id = frame["id"].as_i64().expect("id");
                self.received.push(id);
                if id <= self.shown {
                    return;
                }
                self.shown = id;
                let shows = frame["shows"].as_str().expect("shows").to_owned();
                match self.view.iter_mut().find(|(s, _)| *s == shows) {
                    Some(slot) => slot.1 = frame,
                    None => self.view.push((shows, frame)),
                }
            }
            Some("ack") => {
                let id = frame["id"].as_str().expect("ack id");
                self.unacked.retain(|(i, _)| i != id);
            }
            Some("slow") => {
                self.slows += 1;
                let wait = frame["retry_ms"].as_u64().expect("retry_ms");
                tokio::time::sleep(Duration::from_millis(wait)).await;
                let id = frame["id"].as_str().expect("slow id");
                if let Some((_, input)) = self.unacked.iter().find(|(i, _)| i == id)
                    && let Some(ws) = &mut self.ws
                {
                    let _ = ws.send(Message::text(input.to_string())).await;
                }
            }
            Some("own") => self
                .own
                .push(frame["text"].as_str().unwrap_or_default().to_owned()),
            other => panic!("unknown frame {other:?}: {frame}"),
        }
    }

    /// Whether some message shown contains `needle`.
    pub fn sees(&self, needle: &str) -> bool {
        self.view
            .iter()
            .any(|(_, m)| m["text"].as_str().is_some_and(|t| t.contains(needle)))
    }

    /// Drops the connection without a goodbye.
    pub fn drop_connection(&mut self) {
        self.ws = None;
    }

    pub fn transcript(&self) -> String {
        self.view
            .iter()
            .map(|(s, m)| {
                let buttons: Vec<&str> = m["buttons"]
                    .as_array()
                    .map(|b| b.iter().filter_map(|b| b["label"].as_str()).collect())
                    .unwrap_or_default();
                format!(
                    "[{s}] {} {buttons:?}",
                    m["text"].as_str().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}
