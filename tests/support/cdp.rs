//! A small Chrome `DevTools` Protocol client for the browser tests: Debian's headless
//! `chromium` with a fresh profile, driven over its browser WebSocket (tungstenite on
//! an I/O thread of its own), one flat session per tab. Pages load, evaluate
//! JavaScript, click with real mouse events, type, press keys, take screenshots,
//! and collect console errors, uncaught exceptions and CSP violations.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write as _;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};
use tokio_tungstenite::tungstenite::{self, Message};

#[path = "cdp/input.rs"]
mod input;
#[allow(unused_imports)] // Not every test crate that has `support` takes screenshots.
pub use input::png_size;

/// How long one protocol command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Headless, no sandbox (containers), no GPU, no network services of its own.
const FLAGS: &str = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
     --disable-background-networking --disable-component-update --disable-sync \
     --disable-dev-shm-usage --hide-scrollbars --mute-audio --window-size=1280,800 \
     --remote-debugging-port=0";
/// What a failing test shows of the page.
const DUMP_JS: &str = include_str!("cdp/dump.js");

/// Debian's `chromium`, or why the web chat's browser tests cannot run.
pub fn chromium() -> Option<PathBuf> {
    chromium_for("the web chat's browser tests need")
}

/// Debian's `chromium`; without it, `who_needs` it is said (loudly) to be
/// skipped, or fails under `SHOPBOT_REQUIRE_CHROMIUM=1`.
pub fn chromium_for(who_needs: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("SHOPBOT_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "SHOPBOT_REQUIRE_CHROMIUM=1 but there is no `chromium` on PATH \
             (apt-get install --no-install-recommends chromium)"
        );
        // Written to the stream itself: the test harness hides `eprintln!` of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED: {who_needs} Debian's `chromium` \
             (apt-get install --no-install-recommends chromium); \
             set SHOPBOT_REQUIRE_CHROMIUM=1 to make this a failure ***\n"
        );
    }
    found
}

/// What one tab saw: problems (console errors, exceptions, CSP violations) and loads.
struct PageState {
    problems: Mutex<Vec<String>>,
    loads: watch::Sender<u64>,
}

/// The browser connection: commands out, answers and events in.
struct Conn {
    out: Mutex<mpsc::Sender<String>>,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, oneshot::Sender<Value>>>,
    pages: Mutex<HashMap<String, Arc<PageState>>>,
}

impl Conn {
    async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        let sent = self.out.lock().unwrap().send(message.to_string());
        assert!(sent.is_ok(), "the browser connection is closed ({method})");
        let answer = match tokio::time::timeout(COMMAND_TIMEOUT, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => panic!("the browser connection closed during {method}"),
            Err(elapsed) => panic!("{method} got no answer within {COMMAND_TIMEOUT:?} ({elapsed})"),
        };
        if let Some(error) = answer.get("error") {
            panic!("{method} failed: {error}");
        }
        answer["result"].clone()
    }

    /// One message from the browser: an answer to a command, or a tab's event.
    fn dispatch(&self, text: &str) {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return;
        };
        if let Some(id) = message.get("id").and_then(Value::as_u64) {
            if let Some(tx) = self.pending.lock().unwrap().remove(&id) {
                let _ = tx.send(message);
            }
            return;
        }
        let Some(session) = message.get("sessionId").and_then(Value::as_str) else {
            return;
        };
        let Some(page) = self.pages.lock().unwrap().get(session).cloned() else {
            return;
        };
        let params = &message["params"];
        let problem = match message["method"].as_str().unwrap_or_default() {
            "Page.loadEventFired" => {
                page.loads.send_modify(|n| *n += 1);
                None
            }
            "Runtime.consoleAPICalled" if params["type"] == "error" => {
                let args: Vec<String> = (params["args"].as_array().into_iter().flatten())
                    .map(|a| {
                        a["value"]
                            .as_str()
                            .map_or_else(|| a["value"].to_string(), str::to_owned)
                    })
                    .collect();
                Some(format!("console.error: {}", args.join(" ")))
            }
            "Runtime.exceptionThrown" => Some(format!(
                "exception: {}",
                exception_text(&params["exceptionDetails"])
            )),
            // Chromium asks every page for a favicon; its 404 is not the page's problem.
            "Log.entryAdded"
                if params["entry"]["level"] == "error"
                    && !(params["entry"]["source"] == "network"
                        && params["entry"]["url"]
                            .as_str()
                            .is_some_and(|u| u.ends_with("/favicon.ico"))) =>
            {
                let entry = &params["entry"];
                Some(format!(
                    "log ({}): {} {}",
                    entry["source"].as_str().unwrap_or("?"),
                    entry["text"].as_str().unwrap_or("?"),
                    entry["url"].as_str().unwrap_or_default()
                ))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            page.problems.lock().unwrap().push(problem);
        }
    }
}

/// The I/O thread: writes queued commands, reads answers and events, until either
/// side closes. A short read timeout lets one thread do both.
fn pump(mut ws: tungstenite::WebSocket<TcpStream>, out: &mpsc::Receiver<String>, conn: &Arc<Conn>) {
    loop {
        loop {
            match out.try_recv() {
                Ok(text) => {
                    if ws.send(Message::text(text)).is_err() {
                        return;
                    }
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        }
        match ws.read() {
            Ok(Message::Text(text)) => conn.dispatch(text.as_str()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// A headless Chromium with its own profile; killed (with its helpers) when dropped.
pub struct Browser {
    conn: Arc<Conn>,
    child: Child,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Starts `chromium` and connects to its browser endpoint.
    pub async fn launch(chromium: &Path) -> Self {
        use std::os::unix::process::CommandExt as _;
        let profile = tempfile::tempdir().expect("profile dir");
        let log = std::fs::File::create(profile.path().join("chromium.log")).expect("log");
        let child = Command::new(chromium)
            .args(FLAGS.split_whitespace())
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("chromium starts");
        let (tx, rx) = mpsc::channel();
        let mut browser = Self {
            conn: Arc::new(Conn {
                out: Mutex::new(tx),
                next_id: AtomicU64::new(1),
                pending: Mutex::new(HashMap::new()),
                pages: Mutex::new(HashMap::new()),
            }),
            child,
            profile,
        };
        let (port, path) = browser.endpoint().await;
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to chromium");
        let url = format!("ws://127.0.0.1:{port}{path}");
        let (ws, _) = tungstenite::client(url.as_str(), stream)
            .unwrap_or_else(|e| panic!("WebSocket to chromium at {url}: {e}"));
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(5)))
            .expect("read timeout");
        let conn = Arc::clone(&browser.conn);
        std::thread::spawn(move || pump(ws, &rx, &conn));
        browser
    }

    /// The port and path from `DevToolsActivePort`, once Chromium has written it.
    async fn endpoint(&mut self) -> (u16, String) {
        let file = self.profile.path().join("DevToolsActivePort");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let mut lines = text.lines();
            if let (Some(port), Some(path)) = (lines.next(), lines.next())
                && let Ok(port) = port.trim().parse::<u16>()
            {
                return (port, path.trim().to_owned());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("chromium exited ({status}):\n{}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "chromium wrote no DevToolsActivePort within 30 s:\n{}",
            self.log()
        );
    }

    /// What Chromium printed.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.profile.path().join("chromium.log")).unwrap_or_default()
    }

    /// A new tab in the default browser context (tabs share storage), with its
    /// events on and focus emulated (headless tabs are otherwise never focused).
    pub async fn new_page(&self) -> Page {
        let created = self
            .conn
            .call(None, "Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let target = created["targetId"].clone();
        let attached = self
            .conn
            .call(
                None,
                "Target.attachToTarget",
                json!({"targetId": target, "flatten": true}),
            )
            .await;
        let session = attached["sessionId"]
            .as_str()
            .expect("sessionId")
            .to_owned();
        let state = Arc::new(PageState {
            problems: Mutex::new(Vec::new()),
            loads: watch::channel(0).0,
        });
        self.conn
            .pages
            .lock()
            .unwrap()
            .insert(session.clone(), Arc::clone(&state));
        let page = Page {
            conn: Arc::clone(&self.conn),
            session,
            state,
        };
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            page.call(domain, json!({})).await;
        }
        page.call(
            "Emulation.setFocusEmulationEnabled",
            json!({"enabled": true}),
        )
        .await;
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole process group: the browser and its renderer and helper processes.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One tab.
pub struct Page {
    conn: Arc<Conn>,
    session: String,
    state: Arc<PageState>,
}

/// The message of a JavaScript exception (`exceptionDetails`).
fn exception_text(details: &Value) -> String {
    let description = details["exception"]["description"].as_str();
    description
        .or_else(|| details["text"].as_str())
        .unwrap_or("?")
        .to_owned()
}

impl Page {
    /// A protocol command in this tab's session.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        self.conn.call(Some(&self.session), method, params).await
    }

    /// Loads `url` and waits for its `load` event.
    pub async fn goto(&self, url: &str) {
        self.load("Page.navigate", json!({"url": url})).await;
    }

    /// Reloads the page and waits for its `load` event.
    pub async fn reload(&self) {
        self.load("Page.reload", json!({})).await;
    }

    async fn load(&self, method: &str, params: Value) {
        let mut loads = self.state.loads.subscribe();
        let before = *loads.borrow_and_update();
        let answer = self.call(method, params.clone()).await;
        if let Some(error) = answer.get("errorText").and_then(Value::as_str) {
            panic!("{method} {params} failed: {error}");
        }
        let waited = tokio::time::timeout(COMMAND_TIMEOUT, loads.wait_for(|n| *n > before)).await;
        assert!(
            matches!(waited, Ok(Ok(_))),
            "{method} {params}: no load within {COMMAND_TIMEOUT:?}"
        );
    }

    /// Evaluates `js` (a promise is awaited) and returns its value, or the
    /// exception's text.
    pub async fn try_eval(&self, js: &str) -> Result<Value, String> {
        let answer = self
            .call(
                "Runtime.evaluate",
                json!({"expression": js, "awaitPromise": true, "returnByValue": true}),
            )
            .await;
        if let Some(details) = answer.get("exceptionDetails") {
            return Err(exception_text(details));
        }
        Ok(answer["result"]
            .get("value")
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// Evaluates `js`; a JavaScript exception fails the test with its text.
    pub async fn eval(&self, js: &str) -> Value {
        match self.try_eval(js).await {
            Ok(value) => value,
            Err(e) => panic!("JavaScript failed: {e}\nin: {js}\n{}", self.dump().await),
        }
    }

    /// Polls until `condition` is truthy; on timeout fails with what the page shows.
    pub async fn wait_for(&self, condition: &str, timeout: Duration) {
        if let Err(last) = self.try_wait_for(condition, timeout).await {
            panic!(
                "waited {timeout:?} for: {condition}\nlast exception: {last}\n{}",
                self.dump().await
            );
        }
    }

    /// Polls until `condition` is truthy; on timeout, the last exception (if any).
    pub async fn try_wait_for(&self, condition: &str, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        let js = format!("!!({condition})");
        let mut last = String::new();
        while start.elapsed() < timeout {
            match self.try_eval(&js).await {
                Ok(Value::Bool(true)) => return Ok(()),
                Ok(_) => last.clear(),
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(last)
    }

    /// The page as a test failure should show it: the widget's shadow root (or the
    /// body), the focused element and the problems collected so far.
    pub async fn dump(&self) -> String {
        let page = match self.try_eval(DUMP_JS).await {
            Ok(Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(e) => format!("(no dump: {e})"),
        };
        let page: String = page.chars().take(30_000).collect();
        format!(
            "--- page ---\n{page}\n--- problems ---\n{:#?}",
            self.problems()
        )
    }

    /// Console errors, uncaught exceptions and CSP violations seen so far.
    pub fn problems(&self) -> Vec<String> {
        self.state.problems.lock().unwrap().clone()
    }
}
