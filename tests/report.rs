//! The owner's report page (`shopbot report`): exact bars for a scripted set of
//! conversations on two channels on a fixed clock, hostile text escaped, and the
//! page rendered by headless Chromium (Debian's `chromium`) with the expected
//! bars and no console errors. Without Chromium the browser test is skipped
//! loudly, unless `SHOPBOT_REQUIRE_CHROMIUM=1` (CI) makes that a failure.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use shopbot::channel::Channel;
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event};
use shopbot::shop::Shop;
use shopbot::store::Stats;
use support::{TempDb, small_shop, temp_db};

/// The report's clock: 2026-11-25 12:00 UTC (13:00 in the shop's Madrid).
fn now() -> Timestamp {
    support::noon()
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("valid timestamp")
}

/// A customer on one channel, with a clock that moves a second per message.
struct Customer<'a> {
    engine: &'a mut Engine,
    channel: Channel,
    chat: &'static str,
    now: Timestamp,
}

impl Customer<'_> {
    fn send(&mut self, input: &Input) {
        self.now += SignedDuration::from_secs(1);
        let event = Event {
            sender: Some(self.chat),
            sender_name: Some("Ana Pop (@ana)"),
            direct: true,
            ..Event::default()
        };
        let chat = Chat {
            channel: self.channel,
            chat_id: self.chat,
        };
        self.engine
            .run_turn(chat, event, input, self.now)
            .expect("turn runs");
    }

    fn press(&mut self, id: &str) {
        self.send(&Input::Button(id.to_owned()));
    }

    fn say(&mut self, text: &str) {
        self.send(&Input::Text(text.to_owned()));
    }

    /// From a cart to a placed order: courier delivery, cash.
    fn order(&mut self) {
        self.press("checkout");
        self.press("dlv:courier");
        self.say("Ana Pop");
        self.say("+34 600 123 456");
        self.say("Calle Mayor 5, Madrid");
        self.press("skip");
        self.press("consent:no");
        self.press("pay:cash");
        self.press("confirm");
    }
}

fn customer<'a>(
    engine: &'a mut Engine,
    channel: Channel,
    chat: &'static str,
    start: &str,
) -> Customer<'a> {
    let mut c = Customer {
        engine,
        channel,
        chat,
        now: at(start),
    };
    c.send(&Input::Start);
    c
}

/// The scripted week on two channels:
/// - telegram t1, Nov 23: the finder, then the wizard tower, ordered (€19.50 + €4.90);
/// - matrix m1, Nov 24: a race car, ordered (€12.00 + €4.90);
/// - telegram t2, Nov 25: the castle, ordered (€45.00 + €4.90);
/// - telegram t3, Nov 25: a question the bot does not know, then asks for a person;
/// - matrix m2, Nov 25: a race car in the cart, no checkout.
fn scripted_week(db: &TempDb) -> Engine {
    let mut engine = Engine::open(small_shop(), &db.path).expect("engine opens");
    engine.set_channels(&[Channel::Telegram, Channel::Matrix]);

    let mut t1 = customer(&mut engine, Channel::Telegram, "t1", "2026-11-23T09:00:00Z");
    t1.press("finder");
    t1.press("fa:who:kid");
    t1.press("fa:budget:low");
    t1.press("fa:likes:castles");
    t1.press("add:tower");
    t1.order();

    let mut m1 = customer(&mut engine, Channel::Matrix, "m1", "2026-11-24T10:00:00Z");
    m1.press("add:racer");
    m1.order();

    let mut t2 = customer(&mut engine, Channel::Telegram, "t2", "2026-11-25T08:00:00Z");
    t2.press("add:castle");
    t2.order();

    let mut t3 = customer(&mut engine, Channel::Telegram, "t3", "2026-11-25T09:00:00Z");
    t3.say("do you sell spaceships to mars");
    t3.press("human");

    let mut m2 = customer(&mut engine, Channel::Matrix, "m2", "2026-11-25T10:00:00Z");
    m2.press("add:racer");

    engine
}

fn week_stats(engine: &Engine) -> Stats {
    let shop = engine.shop();
    engine
        .store()
        .stats(7, now(), &shop.time_zone, shop.currency())
        .expect("stats")
}

/// A `<rect>` of the page: its attributes.
type Rect = BTreeMap<String, String>;

/// Every `<rect …>` tag's attributes (values as written, entities left alone).
fn rects(html: &str) -> Vec<Rect> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<rect ") {
        let tag = &rest[start + 6..];
        let end = tag.find('>').expect("a closed rect tag");
        let mut attrs = Rect::new();
        let mut body = &tag[..end];
        while let Some(eq) = body.find("=\"") {
            let name = body[..eq].trim().trim_start_matches('/').trim();
            let value_end = body[eq + 2..].find('"').expect("a closed attribute value");
            attrs.insert(name.to_owned(), body[eq + 2..eq + 2 + value_end].to_owned());
            body = &body[eq + 2 + value_end + 1..];
        }
        out.push(attrs);
        rest = &tag[end..];
    }
    out
}

/// The bars of one chart (`class="bar"`).
fn bars<'a>(all: &'a [Rect], chart: &str) -> Vec<&'a Rect> {
    all.iter()
        .filter(|r| {
            r.get("class").map(String::as_str) == Some("bar")
                && r.get("data-chart").map(String::as_str) == Some(chart)
        })
        .collect()
}

/// The value of the one bar with these markers.
fn value(all: &[Rect], chart: &str, channel: &str, key: &str, at: &str) -> i64 {
    let found: Vec<_> = bars(all, chart)
        .into_iter()
        .filter(|r| {
            r.get("data-channel").map(String::as_str) == Some(channel)
                && r.get(key).map(String::as_str) == Some(at)
        })
        .collect();
    assert_eq!(found.len(), 1, "one {chart} bar for {channel} {at}");
    found[0]["data-value"].parse().expect("numeric data-value")
}

const WEEK: [&str; 7] = [
    "2026-11-19",
    "2026-11-20",
    "2026-11-21",
    "2026-11-22",
    "2026-11-23",
    "2026-11-24",
    "2026-11-25",
];

/// The exact bars of the scripted week, checked in the page's HTML or in the
/// DOM Chromium built from it.
fn assert_week_bars(html: &str) {
    let all = rects(html);

    // The funnel: six steps for telegram, matrix and all channels together.
    let funnel = bars(&all, "funnel");
    assert_eq!(funnel.len(), 18, "funnel bars");
    let expected = [
        ("telegram", [3, 1, 1, 2, 2, 2]),
        ("matrix", [2, 0, 0, 2, 1, 1]),
        ("all", [5, 1, 1, 4, 3, 3]),
    ];
    let steps = [
        "conversations",
        "finder_started",
        "finder_completed",
        "carts",
        "checkouts",
        "orders",
    ];
    for (channel, values) in expected {
        for (step, want) in steps.iter().zip(values) {
            assert_eq!(
                value(&all, "funnel", channel, "data-step", step),
                want,
                "funnel {channel} {step}"
            );
        }
    }

    // Orders and revenue per day: every day of the week, both channels, zero days included.
    for chart in ["orders", "revenue"] {
        assert_eq!(bars(&all, chart).len(), 14, "{chart} bars");
        let days: Vec<_> = all
            .iter()
            .filter(|r| {
                r.get("class").map(String::as_str) == Some("day")
                    && r.get("data-chart").map(String::as_str) == Some(chart)
            })
            .map(|r| r["data-date"].clone())
            .collect();
        assert_eq!(days, WEEK, "{chart} day columns");
    }
    let orders = |channel, day| value(&all, "orders", channel, "data-date", day);
    let revenue = |channel, day| value(&all, "revenue", channel, "data-date", day);
    for day in WEEK {
        let (tg, mx) = match day {
            "2026-11-23" => ((1, 2440), (0, 0)),
            "2026-11-24" => ((0, 0), (1, 1690)),
            "2026-11-25" => ((1, 4990), (0, 0)),
            _ => ((0, 0), (0, 0)),
        };
        assert_eq!(orders("telegram", day), tg.0, "telegram orders {day}");
        assert_eq!(revenue("telegram", day), tg.1, "telegram revenue {day}");
        assert_eq!(orders("matrix", day), mx.0, "matrix orders {day}");
        assert_eq!(revenue("matrix", day), mx.1, "matrix revenue {day}");
    }
    // A zero day is drawn flat; a day with orders is not.
    let flat = |chart: &str, channel: &str, day: &str| {
        bars(&all, chart)
            .into_iter()
            .find(|r| r["data-channel"] == channel && r["data-date"] == day)
            .map(|r| r["height"].clone())
    };
    assert_eq!(flat("orders", "matrix", "2026-11-19").as_deref(), Some("0"));
    assert_ne!(
        flat("orders", "telegram", "2026-11-23").as_deref(),
        Some("0")
    );
}

#[test]
fn scripted_week_on_two_channels_gives_exact_bars() {
    let db = temp_db();
    let engine = scripted_week(&db);
    let stats = week_stats(&engine);
    let html = shopbot::report::html(engine.shop(), &stats).expect("report renders");

    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    assert_week_bars(&html);

    // The table, best sellers, the question, the answer time.
    assert!(html.contains("<h1><bdi>Test Bricks</bdi></h1>"));
    assert!(html.contains("2026-11-19</time> to <time datetime=\"2026-11-25\">"));
    assert!(
        html.contains("<td>€91.20</td>"),
        "total revenue in the table"
    );
    assert!(
        html.contains("<td>66.7 %</td>"),
        "telegram's conversion (2 of 3)"
    );
    assert!(
        html.contains("<td>50.0 %</td>"),
        "matrix's conversion (1 of 2)"
    );
    for name in ["Knight&#39;s Castle", "Wizard Tower", "Race Car"] {
        assert!(
            html.contains(&format!("<bdi>{name}</bdi>")),
            "best seller {name}"
        );
    }
    assert!(html.contains("do you sell spaceships to mars"));
    assert!(html.contains("No tickets were answered in this period."));
    assert!(!html.contains("<script"), "no script at all");
    assert!(
        !html
            .replace("http://www.w3.org/2000/svg", "")
            .contains("://"),
        "nothing to fetch: no URL but the SVG namespace"
    );
}

/// The small shop under a hostile name, on the scripted week plus rows with
/// hostile text: everything escaped, the page's markup intact.
#[test]
fn hostile_text_is_escaped() {
    let db = temp_db();
    let hostile = "<script>alert(\"name\")</script> O'Brien & Söhne \u{202e}evil\u{202c} 🧱";
    let toml = std::fs::read_to_string("tests/fixtures/shops/small.toml")
        .unwrap()
        .replace(
            "name = \"Test Bricks\"",
            &format!("name = {}", toml_string(hostile)),
        );
    let shop = Shop::from_source("hostile.toml", &toml, PathBuf::from("tests/fixtures/shops"))
        .expect("the hostile shop loads");
    assert_eq!(shop.name(), hostile);
    let mut engine = Engine::open(shop, &db.path).expect("engine opens");
    engine.set_channels(&[Channel::Telegram, Channel::Matrix]);
    let mut c = customer(&mut engine, Channel::Telegram, "h", "2026-11-25T08:00:00Z");
    c.say("<img src=x onerror=alert(1)> \"quoted\" 'single' مرحبا 🙂");
    c.press("add:racer");
    c.order();
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.execute(
        "UPDATE order_items SET name = '</td><script>alert(2)</script>'",
        [],
    )
    .unwrap();
    // An answered ticket: opened 10:00, first answer 10:12 (Madrid).
    conn.execute(
        "INSERT INTO tickets (number, channel, chat_id, customer, question, status, opened_at, first_answer_at)
         VALUES (99, 'matrix', 'x', '<b>who</b>', NULL, 'closed', ?1, ?2)",
        [
            at("2026-11-25T09:00:00Z").as_second(),
            at("2026-11-25T09:12:00Z").as_second(),
        ],
    )
    .unwrap();
    drop(conn);

    let stats = week_stats(&engine);
    let html = shopbot::report::html(engine.shop(), &stats).expect("report renders");
    assert!(!html.contains("<script"), "no script tag got through");
    assert!(!html.contains("<img"), "no img tag got through");
    assert!(!html.contains("</script>"));
    // askama writes `<`, `>`, `&`, `"` and `'` as numeric entities.
    assert!(html.contains(
        "&#60;script&#62;alert(&#34;name&#34;)&#60;/script&#62; O&#39;Brien &#38; Söhne \u{202e}evil\u{202c} 🧱"
    ));
    assert!(html.contains("<title>&#60;script&#62;alert(&#34;name&#34;)"));
    assert!(html.contains(
        "&#60;img src=x onerror=alert(1)&#62; &#34;quoted&#34; &#39;single&#39; مرحبا 🙂"
    ));
    assert!(html.contains("&#60;/td&#62;&#60;script&#62;alert(2)&#60;/script&#62;"));
    assert!(html.contains("<strong class=\"median\">12 min</strong>"));
    // User text sits in <bdi>, so right-to-left text cannot flip the page around it.
    assert!(html.contains("<h1><bdi>&#60;script&#62;"));
    // The markup around it is intact: every rect parses, the bars are there.
    let all = rects(&html);
    assert_eq!(bars(&all, "orders").len(), 7);
    assert_eq!(
        value(&all, "orders", "telegram", "data-date", "2026-11-25"),
        1
    );
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An empty database: the funnel and every day drawn with zeros, no division by zero.
#[test]
fn empty_shop_renders_every_day_at_zero() {
    let db = temp_db();
    let engine = Engine::open(small_shop(), &db.path).expect("engine opens");
    let shop = engine.shop();
    let stats = engine
        .store()
        .stats(30, now(), &shop.time_zone, shop.currency())
        .unwrap();
    let html = shopbot::report::html(shop, &stats).unwrap();
    let all = rects(&html);
    let days = |chart: &str| {
        all.iter()
            .filter(|r| r["class"] == "day" && r["data-chart"] == chart)
            .count()
    };
    assert_eq!(days("orders"), 30);
    assert_eq!(days("revenue"), 30);
    let funnel = bars(&all, "funnel");
    assert_eq!(funnel.len(), 6, "one group, all channels, all zero");
    assert!(
        funnel
            .iter()
            .all(|r| r["data-value"] == "0" && r["width"] == "0")
    );
    assert!(!html.contains("NaN") && !html.contains("inf"));
    assert!(html.contains("No orders in this period."));
}

// ---------------------------------------------------------------------------
// Headless Chromium

/// Debian's `chromium`, or why the report's browser test cannot run.
fn chromium() -> Option<PathBuf> {
    support::cdp::chromium_for("the report's browser test needs")
}

/// What one headless Chromium run printed.
struct Run {
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium on `page` with `extra` arguments, with a fresh
/// profile, no network services, and a time limit.
fn run_chromium(chromium: &Path, page: &Path, extra: &[String]) -> Run {
    let profile = tempfile::tempdir().expect("profile dir");
    let out = tempfile::tempdir().expect("output dir");
    let (stdout_path, stderr_path) = (out.path().join("stdout"), out.path().join("stderr"));
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish within 90 s; stderr:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let run = Run {
        stdout: std::fs::read_to_string(&stdout_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
    };
    assert!(
        status.success(),
        "chromium failed ({status}):\n{}",
        run.stderr
    );
    run
}

/// The console messages and script errors Chromium logged.
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            let lower = l.to_lowercase();
            l.contains("CONSOLE")
                || l.contains("Uncaught")
                || lower.contains("content security policy")
                || (l.contains("ERROR:") && lower.contains("console"))
        })
        .collect()
}

#[test]
fn report_renders_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    // First make sure a console error would be seen at all.
    let canary = dir.path().join("canary.html");
    std::fs::write(
        &canary,
        "<!DOCTYPE html><html><body><script>console.error('canary-42')</script></body></html>",
    )
    .unwrap();
    let run = run_chromium(&chromium, &canary, &["--dump-dom".to_owned()]);
    assert!(
        console_errors(&run.stderr)
            .iter()
            .any(|l| l.contains("canary-42")),
        "Chromium's console is not visible in its log, so the check below would prove nothing:\n{}",
        run.stderr
    );

    let db = temp_db();
    let engine = scripted_week(&db);
    let html = shopbot::report::html(engine.shop(), &week_stats(&engine)).unwrap();
    let page = dir.path().join("report.html");
    std::fs::write(&page, &html).unwrap();

    let run = run_chromium(&chromium, &page, &["--dump-dom".to_owned()]);
    let errors = console_errors(&run.stderr);
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
    assert!(
        run.stdout
            .contains("<svg class=\"chart\" data-chart=\"funnel\""),
        "the DOM has the charts:\n{}",
        &run.stdout[..run.stdout.len().min(2000)]
    );
    // The DOM Chromium built holds exactly the bars of the page.
    assert_week_bars(&run.stdout);
    assert_eq!(rects(&run.stdout).len(), rects(&html).len());

    for (name, size) in [("wide.png", "1000,2000"), ("phone.png", "390,2400")] {
        let png = dir.path().join(name);
        let run = run_chromium(
            &chromium,
            &page,
            &[
                format!("--screenshot={}", png.display()),
                format!("--window-size={size}"),
                "--hide-scrollbars".to_owned(),
            ],
        );
        let errors = console_errors(&run.stderr);
        assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
        let bytes = std::fs::read(&png).expect("a screenshot was written");
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is a PNG");
        assert!(
            bytes.len() > 10_000,
            "{name} has content: {} bytes",
            bytes.len()
        );
        if let Some(keep) = std::env::var_os("SHOPBOT_REPORT_SCREENSHOTS") {
            std::fs::create_dir_all(&keep).unwrap();
            std::fs::copy(&png, Path::new(&keep).join(name)).unwrap();
            std::fs::copy(&page, Path::new(&keep).join("report.html")).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------
// The command

#[test]
fn shopbot_report_writes_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let out = dir.path().join("r.html");
    let output = Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args([
            "report",
            "--shop",
            "tests/fixtures/shops/small.toml",
            "--db",
        ])
        .arg(&db)
        .arg("--out")
        .arg(&out)
        .args(["--days", "14"])
        .output()
        .expect("shopbot runs");
    assert!(
        output.status.success(),
        "shopbot report failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("wrote"), "{stdout}");
    let html = std::fs::read_to_string(&out).expect("the page was written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h1><bdi>Test Bricks</bdi></h1>"));
    assert!(html.contains("Figures for the last 14 days"));
    let all = rects(&html);
    let days = all
        .iter()
        .filter(|r| r["class"] == "day" && r["data-chart"] == "orders")
        .count();
    assert_eq!(days, 14);
}
