//! The browser tests' `DevTools` client (`tests/support/cdp.rs`) proved on static
//! pages served by axum in the test: real mouse clicks inside a shadow root,
//! typing, the keyboard, screenshots, console errors, exceptions, CSP violations,
//! and two tabs sharing `localStorage`. Skipped loudly without Chromium.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;
use support::cdp::{Browser, chromium, png_size};

const T: Duration = Duration::from_secs(30);

const INDEX: &str = r#"<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>self test</title></head>
<body><input id="first" aria-label="first"><div style="height: 2000px">spacer</div>
<div id="host"></div><script src="/app.js"></script></body></html>"#;

const APP: &str = r"
const root = document.getElementById('host').attachShadow({mode: 'open'});
root.innerHTML = '<button id=inner type=button>Press me</button><textarea id=text></textarea>';
window.clicks = [];
root.getElementById('inner').addEventListener('click', e =>
  window.clicks.push({trusted: e.isTrusted, detail: e.detail}));
window.keys = [];
document.addEventListener('keydown', e => window.keys.push(e.key + (e.shiftKey ? '+shift' : '')), true);
console.error('self-test error', 42);
setTimeout(() => { throw new Error('late boom'); }, 0);
";

const CSP_PAGE: &str = "<!doctype html><html><head><title>csp</title></head><body>\
<script>document.title = 'inline ran';</script></body></html>";

/// The static pages, on a free loopback port.
async fn serve() -> SocketAddr {
    let app = Router::new()
        .route(
            "/",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], INDEX) }),
        )
        .route(
            "/app.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], APP) }),
        )
        .route(
            "/csp",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_SECURITY_POLICY, "script-src 'self'"),
                    ],
                    CSP_PAGE,
                )
                    .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The shadow root of the test page.
const ROOT: &str = "document.getElementById('host').shadowRoot";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mouse_keyboard_and_typing_reach_a_shadow_root() {
    let Some(chromium) = chromium() else { return };
    let addr = serve().await;
    let browser = Browser::launch(&chromium).await;
    let page = browser.new_page().await;
    page.goto(&format!("http://{addr}/")).await;
    page.wait_for("window.clicks", T).await;

    // A real mouse click on a button below the fold, inside the shadow root.
    page.click(&format!("{ROOT}.getElementById('inner')")).await;
    page.wait_for("window.clicks.length === 1", T).await;
    assert_eq!(
        page.eval("window.clicks[0]").await,
        json!({"trusted": true, "detail": 1})
    );

    // The keyboard, on the page loaded again: Tab from the top reaches the input,
    // then the shadow button; Enter and Space press it (keyboard clicks: detail 0).
    page.reload().await;
    page.wait_for("window.clicks", T).await;
    page.key("Tab").await;
    assert_eq!(page.eval("document.activeElement.id").await, json!("first"));
    page.key("Tab").await;
    assert_eq!(
        page.eval(&format!("{ROOT}.activeElement.id")).await,
        json!("inner")
    );
    page.key("Enter").await;
    page.wait_for("window.clicks.length === 1", T).await;
    page.key("Tab").await;
    assert_eq!(
        page.eval(&format!("{ROOT}.activeElement.id")).await,
        json!("text")
    );
    page.key("Shift+Tab").await;
    assert_eq!(
        page.eval(&format!("{ROOT}.activeElement.id")).await,
        json!("inner")
    );
    page.key("Space").await;
    page.wait_for("window.clicks.length === 2", T).await;
    assert_eq!(
        page.eval("window.clicks").await,
        json!([{"trusted": true, "detail": 0}, {"trusted": true, "detail": 0}])
    );
    page.key("Escape").await;
    assert_eq!(
        page.eval("window.keys").await,
        json!(["Tab", "Tab", "Enter", "Tab", "Tab+shift", " ", "Escape"])
    );

    // Typing into the textarea it focuses by a click; Enter there is a new line.
    page.click(&format!("{ROOT}.getElementById('text')")).await;
    page.type_text("héllo 🧱").await;
    page.key("Shift+Enter").await;
    page.type_text("<b>x</b>").await;
    assert_eq!(
        page.eval(&format!("{ROOT}.getElementById('text').value"))
            .await,
        json!("héllo 🧱\n<b>x</b>")
    );

    // Evaluation: values, promises, and exceptions as errors.
    assert_eq!(
        page.eval("new Promise(r => setTimeout(() => r({a: [1, 'b']}), 10))")
            .await,
        json!({"a": [1, "b"]})
    );
    let error = page.try_eval("throw new Error('eval boom')").await;
    assert!(
        error.as_ref().is_err_and(|e| e.contains("eval boom")),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problems_reloads_and_screenshots_are_seen() {
    let Some(chromium) = chromium() else { return };
    let addr = serve().await;
    let browser = Browser::launch(&chromium).await;
    let page = browser.new_page().await;
    page.goto(&format!("http://{addr}/")).await;
    page.wait_for("window.clicks", T).await;
    wait_problems(&page, 2).await;
    let problems = page.problems();
    assert!(
        problems[0].contains("console.error: self-test error 42"),
        "{problems:#?}"
    );
    assert!(problems[1].contains("late boom"), "{problems:#?}");

    // A reload runs the page again.
    page.eval("window.marker = 1").await;
    page.reload().await;
    assert_eq!(page.eval("typeof window.marker").await, json!("undefined"));
    wait_problems(&page, 4).await;

    // An inline script refused by the page's CSP is a problem, and did not run.
    page.goto(&format!("http://{addr}/csp")).await;
    wait_problems(&page, 5).await;
    let problems = page.problems();
    assert!(
        problems[4].contains("Content Security Policy"),
        "{problems:#?}"
    );
    assert_eq!(page.eval("document.title").await, json!("csp"));

    // A screenshot is a PNG of the viewport in device pixels.
    page.set_viewport(400, 300, false, 2.0).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shots/page.png");
    let png = page.screenshot(&path).await;
    assert_eq!(png_size(&png), (800, 600));
    assert_eq!(std::fs::read(&path).expect("written"), png);
    page.set_viewport(390, 844, true, 3.0).await;
    page.goto(&format!("http://{addr}/")).await;
    assert_eq!(page.eval("innerWidth").await, json!(390));
    let png = page.screenshot(&path).await;
    assert_eq!(png_size(&png), (1170, 2532));
}

/// Waits until a page has collected `n` problems.
async fn wait_problems(page: &support::cdp::Page, n: usize) {
    let start = std::time::Instant::now();
    while page.problems().len() < n {
        assert!(
            start.elapsed() < T,
            "expected {n} problems: {:#?}",
            page.problems()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_of_one_browser_share_local_storage() {
    let Some(chromium) = chromium() else { return };
    let addr = serve().await;
    let browser = Browser::launch(&chromium).await;
    let a = browser.new_page().await;
    let b = browser.new_page().await;
    a.goto(&format!("http://{addr}/")).await;
    b.goto(&format!("http://{addr}/")).await;
    a.eval("localStorage.setItem('shopbot:test', 'token-1')")
        .await;
    assert_eq!(
        b.eval("localStorage.getItem('shopbot:test')").await,
        json!("token-1")
    );
    // Tab B's write reaches tab A as a `storage` event: they are one context.
    a.eval("window.seen = []; addEventListener('storage', e => seen.push(e.newValue))")
        .await;
    b.eval("localStorage.setItem('shopbot:test', 'token-2')")
        .await;
    a.wait_for("seen.length === 1 && seen[0] === 'token-2'", T)
        .await;
    // A second browser is a separate profile: nothing shared.
    let other = Browser::launch(&chromium).await;
    let c = other.new_page().await;
    c.goto(&format!("http://{addr}/")).await;
    assert_eq!(
        c.eval("localStorage.getItem('shopbot:test')").await,
        json!(null)
    );
}
