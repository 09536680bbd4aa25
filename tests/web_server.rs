//! The web chat's server, black-box: the real `shopbot run` with `[web]`, and
//! pages that speak the widget's protocol without a browser (the browser tests
//! are `tests/web_browser.rs`). What it must hold on the open internet: only
//! the seller's pages, floods slowed and never lost, caps on connections,
//! nothing else of the shop's folder served, and across kill -9 nothing lost
//! or doubled.

#[path = "web_server/client.rs"]
mod client;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::fmt::Write as _;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};

use client::{Page, SELLER, close_code, free_port, open, refused_status, start_bot, web_shop};
use process::BotProcess;
use sha2::{Digest, Sha256};

struct Bot {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    shop: std::path::PathBuf,
    port: u16,
    process: BotProcess,
}

async fn bot(extra: &str) -> Bot {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let shop = web_shop(dir.path(), port, extra);
    let db = dir.path().join("shop.db");
    let process = start_bot(&shop, &db, port).await;
    Bot {
        _dir: dir,
        db,
        shop,
        port,
        process,
    }
}

fn count(db: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("db");
    conn.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A plain HTTP GET: status, headers (lower-case names), body.
async fn get(
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next().expect("status line")[9..12]
        .parse()
        .expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, raw[split + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_locked_down_and_only_the_shops_pictures_are_served() {
    let bot = bot("").await;
    let port = bot.port;
    // The page: its own strict policy, the seller's site allowed to frame it.
    let (status, headers, body) = get(port, "/chat", &[]).await;
    assert_eq!(status, 200);
    let csp = header(&headers, "content-security-policy").expect("csp");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(csp.contains(&format!("frame-ancestors {SELLER}")), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    let body = String::from_utf8(body).expect("utf-8");
    assert!(body.contains("<title>Test Bricks chat</title>"), "{body}");
    assert!(body.contains("<script src=\"/widget.js\" data-mode=\"page\"></script>"));
    // The widget: its settings in, loadable from the seller's site, revalidated.
    let (status, headers, body) = get(port, "/widget.js", &[]).await;
    assert_eq!(status, 200);
    let js = String::from_utf8(body).expect("utf-8");
    assert!(!js.contains("/*SHOPBOT_CONFIG*/null"));
    assert!(js.contains("\"title\":\"Test Bricks chat\"") && js.contains("#b4005a"));
    assert!(js.contains("\"web_open\"") || js.contains("\"open\":\"Chat with us\""));
    assert!(
        js.contains("\"open\":\"Escríbenos\""),
        "the shop's Spanish words"
    );
    assert_eq!(
        header(&headers, "cross-origin-resource-policy"),
        Some("cross-origin")
    );
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));
    let etag = header(&headers, "etag").expect("etag").to_owned();
    let (status, _, body) = get(port, "/widget.js", &[("If-None-Match", &etag)]).await;
    assert_eq!((status, body.len()), (304, 0));
    let (status, headers, _) = get(port, "/widget.css", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/css; charset=utf-8")
    );
    // A catalog picture, by a name made of its content: cached for ever.
    let png = std::fs::read("tests/fixtures/shops/images/castle.png").expect("png");
    let digest = Sha256::digest(&png);
    let name = digest.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })[..20]
        .to_owned();
    let (status, headers, body) = get(port, &format!("/img/{name}.png"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, png);
    assert_eq!(header(&headers, "content-type"), Some("image/png"));
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    // Nothing else of the shop's folder, whatever the path says.
    for path in [
        "/shop.toml",
        "/img/shop.toml",
        "/img/..%2fshop.toml",
        "/img/../shop.toml",
        "/img/castle.png",
        "/images/castle.png",
        "/shop.db",
        "/admin",
        "/api/orders",
    ] {
        let (status, headers, body) = get(port, path, &[]).await;
        assert!(status == 404 || status == 400, "{path}: {status}");
        assert!(!String::from_utf8_lossy(&body).contains("[shop]"), "{path}");
        assert_eq!(
            header(&headers, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(
            header(&headers, "content-security-policy").is_some(),
            "{path}"
        );
    }
    // Every answer carries the headers, and no cookie is ever set.
    for path in ["/chat", "/widget.js", "/widget.css", "/", "/nothing"] {
        let (_, headers, _) = get(port, path, &[]).await;
        assert_eq!(
            header(&headers, "referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
        assert!(header(&headers, "set-cookie").is_none(), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_sellers_pages_and_the_bots_own_may_open_the_chat() {
    let bot = bot("").await;
    let port = bot.port;
    for origin in [
        Some("http://evil.example"),
        Some("http://seller.test:8001"),
        Some("https://seller.test:8000"),
        Some("null"),
        None,
    ] {
        let refused = open(port, origin, &[]).await;
        assert_eq!(refused_status(&refused), Some(403), "{origin:?}");
    }
    let own = format!("http://127.0.0.1:{port}");
    for origin in [SELLER, own.as_str(), "HTTP://SELLER.TEST:8000"] {
        assert_eq!(
            refused_status(&open(port, Some(origin), &[]).await),
            None,
            "{origin}"
        );
    }
    assert_eq!(
        count(&bot.db, "SELECT COUNT(*) FROM outbox WHERE channel = 'web'"),
        0,
        "no hello, no conversation"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_slowed_and_every_message_still_goes_in_once() {
    let bot = bot("").await;
    let mut page = Page::opened(bot.port, "f").await;
    assert!(page.sees("Welcome to Test Bricks"), "{}", page.transcript());
    for n in 0..40 {
        page.say(&format!("flood message {n}")).await;
    }
    page.settle().await;
    assert!(page.slows > 0, "the flood was slowed");
    assert!(
        !page.sees("You're writing too fast"),
        "slowed by the server, never ignored by the flood guard: {}",
        page.transcript()
    );
    assert!(page.unacked.is_empty());
    let chat: String = rusqlite::Connection::open(&bot.db)
        .unwrap()
        .query_row(
            "SELECT DISTINCT chat_id FROM outbox WHERE channel = 'web'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The start and the 40 messages, each once.
    assert_eq!(
        count(
            &bot.db,
            &format!("SELECT COUNT(*) FROM inbox WHERE channel = 'web' AND chat_id = '{chat}'")
        ),
        41
    );
    // The ids the server sent over the whole flood: each once, in order.
    assert!(
        page.received.windows(2).all(|w| w[0] < w[1]),
        "{:?}",
        page.received
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_capped_overall_and_per_address() {
    let bot = bot("max_connections = 5\nmax_per_address = 3").await;
    let port = bot.port;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(open(port, Some(SELLER), &[]).await.expect("admitted"));
    }
    let fourth = open(port, Some(SELLER), &[]).await;
    assert_eq!(
        refused_status(&fourth),
        Some(503),
        "a fourth from one address"
    );
    // Behind the proxy on this machine, the forwarded address is the customer's.
    let proxied = [("x-forwarded-for", "203.0.113.1")];
    for _ in 0..2 {
        held.push(open(port, Some(SELLER), &proxied).await.expect("admitted"));
    }
    let other = [("x-forwarded-for", "203.0.113.2")];
    assert_eq!(
        refused_status(&open(port, Some(SELLER), &other).await),
        Some(503),
        "the server is full"
    );
    drop(held.pop());
    let mut again = None;
    for _ in 0..50 {
        match open(port, Some(SELLER), &other).await {
            Ok(ws) => {
                again = Some(ws);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    assert!(again.is_some(), "a closed connection frees its place");
    // Nobody said hello: a silent connection is closed after 10 s.
    let mut silent = held.pop().expect("one");
    let closed = close_code(&mut silent, Duration::from_secs(15)).await;
    assert_eq!(closed, Some(1008));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_page_missed_arrives_once_and_a_resent_input_changes_nothing() {
    let bot = bot("").await;
    let mut page = Page::opened(bot.port, "m").await;
    page.tap("Browse").await;
    page.settle().await;
    let before = page.shown;
    // The page types and loses its connection at once: the turn still runs.
    page.say("castle").await;
    page.drop_connection();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rows = count(&bot.db, "SELECT COUNT(*) FROM outbox WHERE channel = 'web'");
    // It comes back: the missed answer once, and its input (sent again) once.
    page.settle().await;
    assert!(page.shown > before);
    assert!(page.sees("Knight's Castle"), "{}", page.transcript());
    assert_eq!(
        count(&bot.db, "SELECT COUNT(*) FROM outbox WHERE channel = 'web'"),
        rows,
        "the input sent again was a duplicate"
    );
    assert!(
        page.received.windows(2).all(|w| w[0] < w[1]),
        "{:?}",
        page.received
    );
    // A second tab of the same browser: the same conversation, history shown.
    let mut tab = page.tab_opened("t").await;
    assert_eq!(tab.token, page.token);
    assert!(tab.sees("Knight's Castle"), "{}", tab.transcript());
    // What one tab types, the other sees as the customer's own; the answer in both.
    tab.say("tower").await;
    tab.settle().await;
    page.settle().await;
    assert_eq!(page.own, vec!["tower".to_owned()]);
    assert!(page.sees("Wizard Tower") && tab.sees("Wizard Tower"));
    assert_eq!(page.shown, tab.shown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_customer_is_never_an_owner_and_forgetting_takes_only_their_own() {
    let bot = bot("").await;
    let mut ana = Page::opened(bot.port, "a").await;
    let mut bob = Page::opened(bot.port, "b").await;
    ana.say("/status 1001 shipped").await;
    ana.say("/paused on").await;
    bob.say("castle").await;
    ana.settle().await;
    bob.settle().await;
    assert!(!ana.sees("Order #1001"), "{}", ana.transcript());
    assert_eq!(
        count(
            &bot.db,
            "SELECT COUNT(*) FROM settings WHERE key = 'paused'"
        ),
        0
    );
    let all_rows = count(&bot.db, "SELECT COUNT(*) FROM outbox WHERE channel = 'web'");
    ana.say("/forget").await;
    ana.settle().await;
    ana.tap("Yes, erase my data").await;
    ana.settle().await;
    assert!(
        count(&bot.db, "SELECT COUNT(*) FROM outbox WHERE channel = 'web'") < all_rows,
        "Ana's messages are gone"
    );
    // A new tab of Ana's shows only what came after the erasure; Bob's history is whole.
    let ana_again = ana.tab_opened("x").await;
    assert!(
        !ana_again.sees("Welcome to Test Bricks") && !ana_again.sees("This erases everything"),
        "{}",
        ana_again.transcript()
    );
    let bob_again = bob.tab_opened("y").await;
    assert!(
        bob_again.sees("Knight's Castle"),
        "{}",
        bob_again.transcript()
    );
    assert_eq!(
        bob_again.shown, bob.shown,
        "all of Bob's messages are still there"
    );
}

enum Step {
    Tap(&'static str),
    Say(&'static str),
}

/// Kill -9 at seeded random moments of a whole checkout; the page reconnects
/// and sends again what was not acknowledged, as the widget does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_conversation_loses_nothing_and_doubles_nothing() {
    let seed: u64 = std::env::var("SHOPBOT_WEB_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_secs())
        });
    eprintln!("SHOPBOT_WEB_KILL_SEED={seed}");
    let mut rng = seed;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut bot = bot("").await;
    let mut page = Page::opened(bot.port, "k").await;
    let steps = [
        Step::Tap("Browse"),
        Step::Tap("Cars"),
        Step::Tap("Race Car"),
        Step::Tap("Add to cart"),
        Step::Tap("Checkout"),
        Step::Tap("Courier"),
        Step::Say("Ana Pop"),
        Step::Say("+34 600 123 456"),
        Step::Say("Calle Mayor 5, Madrid"),
        Step::Tap("Skip"),
        Step::Tap("No, thanks"),
        Step::Tap("Cash on delivery"),
        Step::Tap("Confirm order"),
    ];
    let mut kills = 0;
    for step in &steps {
        match step {
            Step::Tap(label) => page.tap(label).await,
            Step::Say(text) => page.say(text).await,
        };
        if next() % 2 == 0 {
            let wait = next() % 40;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            bot.process.kill9();
            kills += 1;
            page.drop_connection();
            bot.process = start_bot(&bot.shop, &bot.db, bot.port).await;
        }
        page.settle().await;
    }
    assert!(
        page.sees("Your order number is #"),
        "seed {seed}\n{}",
        page.transcript()
    );
    assert_eq!(
        count(&bot.db, "SELECT COUNT(*) FROM orders WHERE channel = 'web'"),
        1,
        "seed {seed}"
    );
    // Every message of the conversation reached the page, none twice.
    assert!(
        page.received.windows(2).all(|w| w[0] < w[1]),
        "seed {seed}: {:?}",
        page.received
    );
    let rows = count(&bot.db, "SELECT COUNT(*) FROM outbox WHERE channel = 'web'");
    assert_eq!(
        i64::try_from(page.received.len()).unwrap(),
        rows,
        "seed {seed}"
    );
    // Each input went in once: the start and the steps.
    assert_eq!(
        count(&bot.db, "SELECT COUNT(*) FROM inbox WHERE channel = 'web'"),
        i64::try_from(steps.len()).unwrap() + 1,
        "seed {seed}"
    );
    eprintln!("seed {seed}: {kills} kills, {} reconnects", page.reconnects);
    // The figures count the web like every channel.
    let stats = std::process::Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(["stats", "--shop"])
        .arg(&bot.shop)
        .arg("--db")
        .arg(&bot.db)
        .output()
        .expect("stats runs");
    let text = String::from_utf8_lossy(&stats.stdout);
    let web = text
        .lines()
        .find(|l| l.starts_with("web "))
        .unwrap_or_else(|| panic!("no web line:\n{text}"));
    assert!(
        web.contains("€16.90"),
        "the order with delivery: {web}\n{text}"
    );
}

/// The bot's resident memory, in KiB (as `f64`: a figure, far below 2^52).
fn rss_kib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// 1,000 pages connected at once, each a new customer welcomed: the memory
/// figure of the README (`scripts/bench` runs it on the release build).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_pages_connected_at_once() {
    const PAGES: u32 = 1000;
    let bot = bot("").await;
    let port = bot.port;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(bot.process.pid());
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
    for n in 0..PAGES {
        let gate = std::sync::Arc::clone(&gate);
        tasks.spawn(async move {
            let permit = gate.acquire_owned().await.expect("gate");
            // Each page from its own address, as behind the proxy on this machine.
            let address = format!("10.{}.{}.{}", n / 65536, (n / 256) % 256, n % 256);
            let mut ws = open(port, Some(SELLER), &[("x-forwarded-for", &address)])
                .await
                .expect("admitted");
            let hello = r#"{"t":"hello","token":"","after":0,"langs":["en"],"start":""}"#;
            ws.send(tokio_tungstenite::tungstenite::Message::text(hello))
                .await
                .expect("hello");
            let mut messages = 0;
            while messages < 2 {
                let frame = tokio::time::timeout(Duration::from_mins(1), ws.next())
                    .await
                    .expect("a frame in time")
                    .expect("open")
                    .expect("frame");
                if frame.to_text().is_ok_and(|t| t.contains(r#""t":"msg""#)) {
                    messages += 1;
                }
            }
            drop(permit);
            ws
        });
    }
    let mut held = Vec::new();
    while let Some(ws) = tasks.join_next().await {
        held.push(ws.expect("page"));
    }
    let welcomed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded = rss_kib(bot.process.pid());
    assert_eq!(held.len(), 1000);
    assert_eq!(
        count(
            &bot.db,
            "SELECT COUNT(*) FROM sessions WHERE channel = 'web'"
        ),
        1000
    );
    let per_page = (loaded - idle) / f64::from(PAGES);
    println!(
        "FIGURE web chat: {PAGES} pages connected and welcomed in {:.1} s; RSS idle {:.1} MiB, \
         with {PAGES} pages {:.1} MiB ({per_page:.1} KiB a page)",
        welcomed.as_secs_f64(),
        idle / 1024.0,
        loaded / 1024.0,
    );
    assert!(
        loaded < 150.0 * 1024.0,
        "RSS {loaded} KiB with {PAGES} pages"
    );
    drop(held);
}

/// A ticket of a web customer, answered by the owner from Telegram with a photo
/// and words: both reach the page; the photo by an address only that page got.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owners_photo_from_telegram_reaches_the_web_customer_and_no_one_else() {
    let fake = fake_telegram::FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let shop = web_shop(dir.path(), port, "");
    let db = dir.path().join("shop.db");
    let api = fake.api_url();
    let env = [
        ("SHOPBOT_TELEGRAM_TOKEN", fake_telegram::FakeTelegram::TOKEN),
        ("TELOXIDE_API_URL", api.as_str()),
    ];
    let bot = BotProcess::spawn(&shop, &db, &env);
    client::remember_log(port, &bot);
    fake.wait_for_polling(Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    let owner = fake.customer(9000, "Marta");
    let mut page = Page::opened(port, "o").await;
    page.tap("Talk to a person").await;
    page.settle().await;
    page.say("Is the castle also in blue?").await;
    page.settle().await;
    let notice = owner
        .wait_for_text("Is the castle also in blue?", Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    assert!(
        notice.text.contains("web "),
        "the owners see a web customer: {}",
        notice.text
    );
    owner.reply_media(
        notice.message_id,
        fake_telegram::Kind::Photo,
        b"the blue one",
        Some("blue? \u{1f499}"),
    );
    owner.reply_text(notice.message_id, "Yes, since Monday.");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !(page.sees("since Monday")
        && page.view.iter().any(|(_, m)| {
            m["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("/media/"))
        }))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{}\n{}",
            page.transcript(),
            bot.log_text()
        );
        page.settle().await;
    }
    let photo = page
        .view
        .iter()
        .find(|(_, m)| {
            m["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("/media/"))
        })
        .map(|(_, m)| m.clone())
        .expect("the photo");
    assert!(
        photo["text"].as_str().unwrap_or_default().contains("blue?"),
        "{photo}"
    );
    let url = photo["image"].as_str().expect("url").to_owned();
    let (status, headers, body) = get(port, &url, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, b"the blue one");
    assert_eq!(header(&headers, "content-type"), Some("image/jpeg"));
    // Another key, or another row with this key: nothing.
    let (row, key) = url["/media/".len()..].split_once('/').expect("row/key");
    let mut forged = key.to_owned();
    forged.replace_range(0..1, if key.starts_with('0') { "1" } else { "0" });
    assert_eq!(
        get(port, &format!("/media/{row}/{forged}"), &[]).await.0,
        404
    );
    let other: i64 = row.parse::<i64>().expect("row") - 1;
    assert_eq!(
        get(port, &format!("/media/{other}/{key}"), &[]).await.0,
        404
    );
}

/// `shopbot link` gives the web chat's link; the page opened on it shows the
/// product, and the source is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_opens_the_product_in_the_web_chat_and_counts_its_source() {
    let bot = bot("").await;
    let out = tempfile::tempdir().expect("dir");
    let printed = std::process::Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(["link", "p-castle", "--source", "flyer", "--shop"])
        .arg(&bot.shop)
        .arg("--out")
        .arg(out.path())
        .env_remove("SHOPBOT_TELEGRAM_TOKEN")
        .output()
        .expect("link runs");
    let text = String::from_utf8_lossy(&printed.stdout);
    let url = format!("http://127.0.0.1:{}/chat?start=p-castle_s-flyer", bot.port);
    assert!(text.contains(&format!("Web chat: {url}")), "{text}");
    assert!(out.path().join("qr-p-castle_s-flyer-web.png").exists());
    let mut page = Page::new(bot.port, "l");
    page.start = "p-castle_s-flyer".to_owned();
    page.reconnect().await;
    page.settle().await;
    assert!(page.sees("Welcome to Test Bricks"), "{}", page.transcript());
    assert!(page.sees("Knight's Castle"), "{}", page.transcript());
    assert!(
        page.view
            .iter()
            .any(|(_, m)| m["image"].as_str().is_some_and(|i| i.starts_with("/img/"))),
        "the card's picture: {}",
        page.transcript()
    );
    // The same link again on the same day, in a new tab: no second welcome.
    let before = count(&bot.db, "SELECT COUNT(*) FROM outbox WHERE channel = 'web'");
    let mut tab = page.tab("m");
    tab.start = "p-castle_s-flyer".to_owned();
    tab.reconnect().await;
    tab.settle().await;
    assert_eq!(
        count(&bot.db, "SELECT COUNT(*) FROM outbox WHERE channel = 'web'"),
        before
    );
    assert_eq!(count(&bot.db, "SELECT COUNT(*) FROM orders"), 0);
    assert!(
        count(
            &bot.db,
            "SELECT COUNT(*) FROM events WHERE channel = 'web' AND source = 'flyer'"
        ) >= 1
    );
}

/// Odd text of every kind: direction overrides, zero-width and combining
/// marks, emoji sequences, NUL and control characters, right-to-left scripts,
/// the longest message allowed.
fn odd_text(n: u64) -> String {
    const PARTS: [&str; 14] = [
        "\u{202E}evil\u{202C}",
        "\u{200B}\u{200D}\u{FEFF}",
        "e\u{301}\u{302}\u{303}",
        "👩\u{200D}👩\u{200D}👧\u{200D}👦",
        "\u{0}\u{7}\u{1b}[31m",
        "مرحبا",
        "שָׁלוֹם",
        "<script>alert(1)</script>",
        "\"}{\"t\":\"ack\"",
        "🏰",
        "\r\n\t",
        "\u{FFFD}",
        "castle",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    ];
    let mut x = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut out = String::new();
    for _ in 0..=(n % 7) {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        out.push_str(PARTS[usize::try_from(x % 14).unwrap()]);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odd_unicode_and_broken_frames_never_break_the_chat() {
    let bot = bot("").await;
    let mut ana = Page::opened(bot.port, "u").await;
    for n in 0..20 {
        ana.say(&odd_text(n)).await;
    }
    ana.say(&"é".repeat(4096)).await;
    ana.settle().await;
    assert!(ana.unacked.is_empty(), "every odd message went in");
    // Broken frames close that connection only (1008), after a good hello.
    let longest = format!(r#"{{"t":"text","id":"a1","text":"{}"}}"#, "x".repeat(4097));
    let broken = [
        "not json",
        r#"{"t":"hello","token":"","after":0}"#,
        r#"{"t":"shout","id":"a1","text":"hi"}"#,
        r#"{"t":"text","id":"a b","text":"hi"}"#,
        r#"{"t":"text","id":"","text":"hi"}"#,
        r#"{"t":"press","id":"a1","row":"x","i":0}"#,
        r#"{"t":"text","id":"a1","text":"hi","admin":true}"#,
        longest.as_str(),
    ];
    for frame in broken {
        let mut ws = open(bot.port, Some(SELLER), &[]).await.expect("open");
        let hello = format!(r#"{{"t":"hello","token":"{}","after":999999}}"#, ana.token);
        ws.send(tokio_tungstenite::tungstenite::Message::text(hello))
            .await
            .expect("hello");
        ws.send(tokio_tungstenite::tungstenite::Message::text(frame))
            .await
            .expect("frame");
        let code = close_code(&mut ws, Duration::from_secs(10)).await;
        assert_eq!(code, Some(1008), "{}", &frame[..frame.len().min(60)]);
    }
    // Another customer pressing Ana's buttons: an expired button, nothing of hers.
    let mut bob = Page::opened(bot.port, "v").await;
    let anas_row = ana.view.iter().rev().find_map(|(s, m)| {
        let b = m["buttons"].as_array()?.first()?;
        Some((s.clone(), b["row"].as_i64()?))
    });
    let (shows, row) = anas_row.expect("Ana has a message with buttons");
    let forged = serde_json::json!({"t": "press", "row": row, "i": 0, "msg": shows});
    bob.unacked.push(("forged1".to_owned(), {
        let mut f = forged;
        f["id"] = serde_json::json!("forged1");
        f
    }));
    bob.drop_connection();
    bob.settle().await;
    assert!(bob.sees("That button has expired"), "{}", bob.transcript());
    assert!(
        !bob.sees("مرحبا") && !bob.sees("castle"),
        "{}",
        bob.transcript()
    );
    // And the chat still works.
    ana.say("castle").await;
    ana.settle().await;
    assert!(ana.sees("Knight's Castle"), "{}", ana.transcript());
}

/// A page whose customer writes nothing for `idle_minutes` is closed with
/// 4000 (the widget reconnects when they come back); pings alone do not count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_page_is_closed_and_comes_back_to_the_same_conversation() {
    let bot = bot("idle_minutes = 1").await;
    let mut page = Page::opened(bot.port, "i").await;
    let mut ws = open(bot.port, Some(SELLER), &[]).await.expect("open");
    let hello = format!(
        r#"{{"t":"hello","token":"{}","after":{}}}"#,
        page.token, page.shown
    );
    ws.send(tokio_tungstenite::tungstenite::Message::text(hello))
        .await
        .expect("hello");
    let started = std::time::Instant::now();
    let code = close_code(&mut ws, Duration::from_secs(90)).await;
    assert_eq!(code, Some(4000));
    assert!(
        started.elapsed() >= Duration::from_secs(59),
        "{:?}",
        started.elapsed()
    );
    // Back: the same conversation, nothing shown twice.
    page.say("castle").await;
    page.settle().await;
    assert!(page.sees("Knight's Castle"), "{}", page.transcript());
    assert!(page.received.windows(2).all(|w| w[0] < w[1]));
}
