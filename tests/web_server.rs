//! The web chat's server, black-box: the real `shopbot run` with `[web]`, and
//! pages that speak the widget's protocol without a browser (the browser tests
//! are `tests/web_browser.rs`). What it must hold on the open internet: only
//! the seller's pages, floods slowed and never lost, caps on connections,
//! nothing else of the shop's folder served, and across kill -9 nothing lost
//! or doubled.

#[path = "web_server/client.rs"]
mod client;
#[path = "support/process.rs"]
mod process;

use std::fmt::Write as _;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};

use client::{Page, SELLER, free_port, open, refused_status, start_bot, web_shop};
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
    let mut page = Page::new(bot.port, "f");
    page.reconnect().await;
    page.settle().await;
    assert!(page.sees("Welcome to Test Bricks"), "{}", page.transcript());
    for n in 0..40 {
        page.say(&format!("flood message {n}")).await;
    }
    page.settle().await;
    assert!(page.slows > 0, "the flood was slowed");
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
    let closed = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match silent.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                    return frame.map(|f| u16::from(f.code));
                }
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    })
    .await
    .expect("closed within 15 s");
    assert_eq!(closed, Some(1008));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_page_missed_arrives_once_and_a_resent_input_changes_nothing() {
    let bot = bot("").await;
    let mut page = Page::new(bot.port, "m");
    page.reconnect().await;
    page.settle().await;
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
    let mut tab = page.tab("t");
    tab.reconnect().await;
    tab.settle().await;
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
    let mut ana = Page::new(bot.port, "a");
    let mut bob = Page::new(bot.port, "b");
    ana.reconnect().await;
    bob.reconnect().await;
    ana.settle().await;
    bob.settle().await;
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
    let mut ana_again = ana.tab("x");
    ana_again.reconnect().await;
    ana_again.settle().await;
    assert!(
        !ana_again.sees("Welcome to Test Bricks") && !ana_again.sees("This erases everything"),
        "{}",
        ana_again.transcript()
    );
    let mut bob_again = bob.tab("y");
    bob_again.reconnect().await;
    bob_again.settle().await;
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
    let mut page = Page::new(bot.port, "k");
    page.reconnect().await;
    page.settle().await;
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
        count(&bot.db, "SELECT COUNT(*) FROM sessions WHERE channel = 'web'"),
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
    assert!(loaded < 150.0 * 1024.0, "RSS {loaded} KiB with {PAGES} pages");
    drop(held);
}
