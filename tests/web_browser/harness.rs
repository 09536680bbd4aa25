//! The browser tests' world: a seller's page served by axum, the real bot with
//! the web test shop, a headless Chromium, and the widget as a customer sees it.
#![allow(dead_code)]

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use serde_json::{Value, json};

use crate::bot_process;
use crate::cdp::{Browser, Page};
use crate::fake_telegram::FakeTelegram;
use crate::process::{BotProcess, copy_shop};

/// Generous: a debug build, a bot and a browser per test, two cores.
pub const T: Duration = Duration::from_secs(30);
/// The widget's shadow root.
pub const ROOT: &str = "document.getElementById('shopbot-chat').shadowRoot";
/// The owner of the web test shop (`[owners] telegram`).
pub const OWNER: i64 = 9000;

/// A JavaScript string literal.
pub fn js(text: &str) -> String {
    serde_json::to_string(text).expect("a string")
}

/// The newest bot button labelled exactly `label`.
pub fn button(label: &str) -> String {
    format!(
        "[...{ROOT}.querySelectorAll('.sb-msg.sb-bot .sb-btn')]\
         .filter(b => b.textContent === {}).pop()",
        js(label)
    )
}

/// The button labelled `label` in the newest bot message whose text holds `text`.
pub fn button_in(text: &str, label: &str) -> String {
    format!(
        "[...{ROOT}.querySelectorAll('.sb-msg.sb-bot')]\
         .filter(m => [...m.querySelectorAll('.sb-text')].some(p => p.textContent.includes({})))\
         .flatMap(m => [...m.querySelectorAll('.sb-btn')])\
         .filter(b => b.textContent === {}).pop()",
        js(text),
        js(label)
    )
}

/// How many bot messages' text holds `text`.
pub fn bot_count(text: &str) -> String {
    format!(
        "[...{ROOT}.querySelectorAll('.sb-msg.sb-bot .sb-text')]\
         .filter(p => p.textContent.includes({})).length",
        js(text)
    )
}

/// How many of the customer's own messages say exactly `text`.
pub fn own_count(text: &str) -> String {
    format!(
        "[...{ROOT}.querySelectorAll('.sb-msg.sb-own .sb-text')]\
         .filter(p => p.textContent === {}).length",
        js(text)
    )
}

/// The element focused inside the widget, if any.
pub const FOCUSED: &str = "(document.activeElement && document.activeElement.id === 'shopbot-chat' \
     ? document.activeElement.shadowRoot.activeElement : null)";

/// True when the widget's focus is on a button labelled `label` in a message
/// holding `within` ("" for any).
pub fn focus_on(label: &str, within: &str) -> String {
    format!(
        "!!({FOCUSED} && {FOCUSED}.textContent === {} && \
         ({FOCUSED}.closest('.sb-msg') || {{textContent: ''}}).textContent.includes({}))",
        js(label),
        js(within)
    )
}

/// The castle's card: its picture, loaded, with the product's name as `alt`.
pub const CASTLE_IMG: &str = "[...document.getElementById('shopbot-chat').shadowRoot\
     .querySelectorAll('.sb-msg.sb-bot')]\
     .filter(m => m.textContent.includes(\"Knight's Castle — €45.00\"))\
     .map(m => m.querySelector('img.sb-img')).filter(i => i).pop()";

/// One bot, its database, the seller's page and a browser.
pub struct Web {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub bot: BotProcess,
    /// The bot's origin, e.g. `http://127.0.0.1:40123`.
    pub server: String,
    /// The seller's page, e.g. `http://127.0.0.1:40124/`.
    pub seller: String,
    pub browser: Browser,
    pub fake: Option<FakeTelegram>,
}

impl Web {
    /// The bot on a copy of the web test shop that allows the seller's origin,
    /// without Telegram (or with the fake Bot API and the owner on it).
    pub async fn start(chromium: &std::path::Path, telegram: bool) -> Self {
        let bot_origin = Arc::new(OnceLock::new());
        let seller = serve_seller(Arc::clone(&bot_origin)).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let shop = copy_shop("web", dir.path());
        let text = std::fs::read_to_string(&shop).expect("read shop");
        assert!(text.contains("http://seller.invalid"), "web.toml changed");
        let origin = seller.trim_end_matches('/');
        std::fs::write(&shop, text.replace("http://seller.invalid", origin)).expect("write");
        let db = dir.path().join("shop.db");
        let fake = if telegram {
            let fake = FakeTelegram::start().await;
            fake.set_strict(false);
            Some(fake)
        } else {
            None
        };
        let env = [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off")];
        let bot = match &fake {
            Some(fake) => bot_process::start(fake, &shop, &db, &env),
            None => BotProcess::spawn(&shop, &db, &env),
        };
        let server = listening(&bot).await;
        bot_origin.set(server.clone()).expect("set once");
        if let Some(fake) = &fake {
            fake.wait_for_polling(T)
                .await
                .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
        }
        let browser = Browser::launch(chromium).await;
        Self {
            dir,
            db,
            bot,
            server,
            seller,
            browser,
            fake,
        }
    }

    /// A new tab on the seller's page, the widget's launcher in place.
    pub async fn seller_tab(&self) -> Tab {
        let page = self.browser.new_page().await;
        page.goto(&self.seller).await;
        let tab = Tab { page };
        tab.launcher_shown().await;
        tab
    }

    /// The orders in the database (read-only): channel, number, total in cents.
    pub fn orders(&self) -> Vec<(String, String, i64)> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open the database read-only");
        let mut statement = conn
            .prepare("SELECT channel, number, total FROM orders ORDER BY id")
            .expect("select orders");
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query orders")
            .map(|row| row.expect("an order"))
            .collect()
    }

    /// The one order of a journey: on the web, #1001, €49.90 (castle and courier).
    pub fn assert_one_order(&self) {
        assert_eq!(
            self.orders(),
            [("web".to_owned(), "1001".to_owned(), 4990)],
            "{}",
            self.log()
        );
    }

    /// One value from the database (read-only).
    pub fn value(&self, sql: &str) -> Value {
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open the database read-only");
        conn.query_row(sql, [], |r| {
            Ok(match r.get_ref(0)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(n) => n.into(),
                rusqlite::types::ValueRef::Real(x) => x.into(),
                rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                    String::from_utf8_lossy(t).into_owned().into()
                }
            })
        })
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Kill -9 of the bot, then the bot again on the same address (as systemd
    /// restarts it): the pages must find it again by themselves.
    pub async fn kill_and_restart(&mut self) {
        self.bot.kill9();
        let shop = self.dir.path().join("shop.toml");
        let port = self.server.rsplit(':').next().expect("a port");
        let text = std::fs::read_to_string(&shop).expect("read shop");
        let text = text.replace(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"127.0.0.1:{port}\""),
        );
        std::fs::write(&shop, text).expect("write shop");
        let env = [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off")];
        self.bot = match &self.fake {
            Some(fake) => bot_process::start(fake, &shop, &self.db, &env),
            None => BotProcess::spawn(&shop, &self.db, &env),
        };
        assert_eq!(listening(&self.bot).await, self.server, "{}", self.log());
    }

    /// The end of the bot's log, for failure messages.
    pub fn log(&self) -> String {
        let text = self.bot.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(80)..].join("\n")
    }
}

/// The port from the bot's `web: listening on http://127.0.0.1:PORT` line.
async fn listening(bot: &BotProcess) -> String {
    const MARK: &str = "web: listening on http://127.0.0.1:";
    let start = Instant::now();
    while start.elapsed() < T {
        let log = bot.log_text();
        if let Some(at) = log.find(MARK) {
            let port: String = log[at + MARK.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !port.is_empty() {
                return format!("http://127.0.0.1:{port}");
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the bot logged no {MARK:?} within {T:?}:\n{}",
        bot.log_text()
    );
}

/// The seller's page with the one-line snippet, on a free port of its own.
async fn serve_seller(bot: Arc<OnceLock<String>>) -> String {
    let app = Router::new().route(
        "/",
        get(move || {
            let bot = bot.get().cloned().unwrap_or_default();
            async move {
                Html(format!(
                    "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
                     content=\"width=device-width, initial-scale=1\">\
                     <title>Seller</title></head><body><h1>Seller</h1>\
                     <script src=\"{bot}/widget.js\"></script></body></html>"
                ))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// A tab with the widget: what a customer sees and does.
pub struct Tab {
    pub page: Page,
}

impl Deref for Tab {
    type Target = Page;
    fn deref(&self) -> &Page {
        &self.page
    }
}

impl Tab {
    /// Waits until the launcher is there and shown (the widget's stylesheet is in).
    pub async fn launcher_shown(&self) {
        let launcher = format!("{ROOT}.querySelector('.sb-launcher')");
        self.wait_for(&format!("{launcher} && {launcher}.checkVisibility()"), T)
            .await;
    }

    /// Opens the panel with the launcher (a click) and waits for the menu.
    pub async fn open(&self) {
        self.click(&format!("{ROOT}.querySelector('.sb-launcher')"))
            .await;
        self.wait_for(
            &format!("{ROOT}.getElementById('sb-panel').checkVisibility()"),
            T,
        )
        .await;
    }

    /// Waits until a bot message holds `text`.
    pub async fn sees(&self, text: &str) {
        self.wait_for(&format!("{} > 0", bot_count(text)), T).await;
    }

    /// Presses the newest button labelled `label` and waits for `then`.
    pub async fn press(&self, label: &str, then: &str) {
        self.click(&button(label)).await;
        self.sees(then).await;
    }

    /// Types `text` into the input, sends it with Enter and waits for `then`.
    pub async fn say(&self, text: &str, then: &str) {
        self.click(&format!("{ROOT}.querySelector('.sb-input')"))
            .await;
        self.type_text(text).await;
        self.key("Enter").await;
        self.sees(then).await;
    }

    /// A number from JavaScript.
    pub async fn number(&self, js: &str) -> i64 {
        let value = self.eval(js).await;
        value
            .as_i64()
            .unwrap_or_else(|| panic!("{js} is not a number: {value}"))
    }

    /// The `data-id`s of the bot messages, in order; fails if one is shown twice.
    pub async fn bot_ids(&self) -> Vec<String> {
        let ids = self
            .eval(&format!(
                "[...{ROOT}.querySelectorAll('.sb-msg.sb-bot')].map(m => m.dataset.id)"
            ))
            .await;
        let ids: Vec<String> = serde_json::from_value(ids).expect("ids");
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            ids.len(),
            "a message shown twice: {ids:?}\n{}",
            self.dump().await
        );
        ids
    }

    /// The text of every message in the log, bot and own, in order (for failures).
    pub async fn transcript(&self) -> String {
        let lines = self
            .eval(&format!(
                "[...{ROOT}.querySelectorAll('.sb-msg')].map(m => \
                 (m.classList.contains('sb-own') ? '> ' : '#' + m.dataset.id + ' ') + \
                 m.textContent).join('\\n')"
            ))
            .await;
        lines.as_str().unwrap_or_default().to_owned()
    }
}

/// From the menu through the finder by clicks to the results with the castle.
pub async fn finder_to_castle(tab: &Tab) {
    tab.press("🎁 Find a gift", "Question 1 of 3: Who is it for?")
        .await;
    tab.press("A child", "Question 2 of 3: What is your budget?")
        .await;
    tab.press("Any budget", "Question 3 of 3: What do they like?")
        .await;
    tab.press("Castles", "Here is what I found for you:").await;
    tab.sees("Knight's Castle — €45.00").await;
}

/// From the finder's results: the castle into the cart, checkout with the courier,
/// up to the name question.
pub async fn castle_to_checkout(tab: &Tab) {
    tab.click(&button_in("Knight's Castle — €45.00", "Add to cart"))
        .await;
    tab.sees("Added Knight's Castle to your cart. In your cart now: 1 · €45.00.")
        .await;
    tab.press("✅ Checkout", "How would you like to receive your order?")
        .await;
    tab.press("Courier — €4.90", "What is your name?").await;
}

/// From the phone question to the placed order: phone, address, a note, no
/// offers, cash, the summary checked, confirm.
pub async fn phone_to_order(tab: &Tab) {
    tab.say(
        "+34 600 123 456",
        "What is the delivery address (street, number, city, postal code)?",
    )
    .await;
    tab.say(
        "Calle Mayor 5, Madrid",
        "Any note for us (gift message, delivery instructions)?",
    )
    .await;
    tab.say("Ring twice", "May Test Bricks send you occasional news")
        .await;
    tab.press("No, thanks", "How would you like to pay?").await;
    tab.press("Cash on delivery", "Please check your order:")
        .await;
    tab.sees("Total: €49.90").await;
    tab.press("✅ Confirm order", "Thank you! Your order number is #1001.")
        .await;
}

/// Presses `key` (Tab or Shift+Tab) until the widget's focused element is a button labelled `label`
/// (inside a message holding `within`, if given).
pub async fn tab_to(tab: &Tab, key: &str, label: &str, within: &str) {
    let check = focus_on(label, within);
    for _ in 0..30 {
        if tab.eval(&check).await == json!(true) {
            return;
        }
        tab.key(key).await;
    }
    panic!(
        "{key} 30 times never reached {label:?}\n{}",
        tab.dump().await
    );
}

/// The response head of `GET path` from the bot, as raw text.
pub async fn head_of(server: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let host = server.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .to_lowercase()
}
