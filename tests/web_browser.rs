//! Issue 16 in a real browser: the web chat widget on a seller's page (and the
//! bot's own `/chat` page), driven in headless Chromium over the `DevTools`
//! protocol against the real `shopbot run` binary. Each test has its own bot,
//! database, seller page and browser. Skipped loudly without Chromium, unless
//! `SHOPBOT_REQUIRE_CHROMIUM=1` (CI) makes that a failure.

#[path = "support/bot_process.rs"]
mod bot_process;
#[path = "support/cdp.rs"]
mod cdp;
mod fake_telegram;
#[path = "web_browser/harness.rs"]
mod harness;
#[path = "support/process.rs"]
mod process;

use std::path::Path;

use cdp::{chromium, png_size};
use harness::{
    CASTLE_IMG, FOCUSED, OWNER, ROOT, T, Tab, Web, bot_count, button, button_in,
    castle_to_checkout, finder_to_castle, focus_on, head_of, js, own_count, phone_to_order, tab_to,
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_orders_from_the_sellers_page() {
    let Some(chromium) = chromium() else { return };
    let web = Web::start(&chromium, false).await;
    let tab = web.seller_tab().await;
    let launcher = format!("{ROOT}.querySelector('.sb-launcher')");
    assert_eq!(
        tab.eval(&format!("{launcher}.getAttribute('aria-expanded')"))
            .await,
        json!("false")
    );
    assert_eq!(
        tab.eval(&format!(
            "{ROOT}.getElementById('sb-panel').checkVisibility()"
        ))
        .await,
        json!(false)
    );
    tab.open().await;
    assert_eq!(
        tab.eval(&format!("{launcher}.getAttribute('aria-expanded')"))
            .await,
        json!("true")
    );
    tab.sees("Hello! Welcome to Test Bricks.").await;
    finder_to_castle(&tab).await;
    tab.wait_for(
        &format!("{CASTLE_IMG} && {CASTLE_IMG}.complete && {CASTLE_IMG}.naturalWidth > 0"),
        T,
    )
    .await;
    assert_eq!(
        tab.eval(&format!("{CASTLE_IMG}.alt")).await,
        json!("Knight's Castle — €45.00")
    );
    let src = tab.eval(&format!("{CASTLE_IMG}.src")).await;
    assert!(
        src.as_str()
            .is_some_and(|s| s.starts_with(&format!("{}/img/", web.server))),
        "the picture comes from the bot: {src}"
    );
    castle_to_checkout(&tab).await;
    tab.say("Ana Pop", "What phone number can we reach you on?")
        .await;
    phone_to_order(&tab).await;
    tab.bot_ids().await;

    web.assert_one_order();
    assert_eq!(
        web.value(
            "SELECT json_extract(fields, '$.name') || ' / ' || json_extract(fields, '$.note') \
             || ' / ' || delivery_id || ' / ' || payment_id FROM orders"
        ),
        json!("Ana Pop / Ring twice / courier / cash")
    );
    assert_eq!(
        web.value("SELECT group_concat(product_id || '×' || qty) FROM order_items"),
        json!("castle×1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_mid_checkout_continues_the_same_conversation() {
    let Some(chromium) = chromium() else { return };
    let web = Web::start(&chromium, false).await;
    let tab = web.seller_tab().await;
    tab.open().await;
    finder_to_castle(&tab).await;
    castle_to_checkout(&tab).await;
    tab.say("Ana Pop", "What phone number can we reach you on?")
        .await;
    let key = js(&format!("shopbot:{}", web.server));
    let token = tab.eval(&format!("localStorage.getItem({key})")).await;
    assert!(
        token.as_str().is_some_and(|t| !t.is_empty()),
        "no token: {token}"
    );
    let before = tab.bot_ids().await;

    tab.reload().await;
    tab.launcher_shown().await;
    if tab
        .eval(&format!(
            "{ROOT}.getElementById('sb-panel').checkVisibility()"
        ))
        .await
        == json!(false)
    {
        tab.open().await;
    }
    // The history is replayed: the last question is there again, once.
    tab.sees("What phone number can we reach you on?").await;
    tab.wait_for(
        &format!(
            "{ROOT}.querySelectorAll('.sb-msg.sb-bot').length >= {}",
            before.len()
        ),
        T,
    )
    .await;
    assert_eq!(
        tab.number(&bot_count("What phone number can we reach you on?"))
            .await,
        1,
        "{}",
        tab.transcript().await
    );
    assert_eq!(tab.bot_ids().await, before, "{}", tab.transcript().await);
    assert_eq!(
        tab.eval(&format!("localStorage.getItem({key})")).await,
        token
    );
    phone_to_order(&tab).await;
    tab.bot_ids().await;
    web.assert_one_order();
    assert_eq!(
        web.value("SELECT COUNT(DISTINCT chat_id) FROM orders"),
        json!(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_are_one_conversation() {
    let Some(chromium) = chromium() else { return };
    let web = Web::start(&chromium, false).await;
    let a = web.seller_tab().await;
    a.open().await;
    a.sees("What would you like to do?").await;
    let b = web.seller_tab().await;
    b.open().await;
    b.sees("What would you like to do?").await;
    assert_eq!(a.bot_ids().await, b.bot_ids().await);

    a.say("How much is shipping?", "Shipping is €4.90, free from €60.")
        .await;
    b.sees("Shipping is €4.90, free from €60.").await;
    b.wait_for(&format!("{} === 1", own_count("How much is shipping?")), T)
        .await;
    // Then the other way round, by a button in tab B.
    b.press(
        "🛒 My cart (0)",
        "Your cart is empty. Shall we find something?",
    )
    .await;
    a.sees("Your cart is empty. Shall we find something?").await;
    for tab in [&a, &b] {
        let transcript = tab.transcript().await;
        assert_eq!(
            tab.number(&own_count("How much is shipping?")).await,
            1,
            "{transcript}"
        );
        assert_eq!(
            tab.number(&bot_count("Shipping is €4.90, free from €60."))
                .await,
            1,
            "{transcript}"
        );
        assert_eq!(
            tab.number(&bot_count("Your cart is empty.")).await,
            1,
            "{transcript}"
        );
    }
    // Settled, both tabs show the same bot messages, each once.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        a.bot_ids().await,
        b.bot_ids().await,
        "A:\n{}\nB:\n{}",
        a.transcript().await,
        b.transcript().await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_answers_a_ticket_from_telegram() {
    let Some(chromium) = chromium() else { return };
    let web = Web::start(&chromium, true).await;
    let fake = web.fake.as_ref().expect("the fake Bot API");
    let owner = fake.customer(OWNER, "Boss");
    let tab = web.seller_tab().await;
    tab.open().await;
    tab.say(
        "do you sell spaceships to mars",
        "I'm not sure I understood.",
    )
    .await;
    tab.press(
        "💬 Talk to a person",
        "Ticket #1: I've passed your conversation to a person at Test Bricks.",
    )
    .await;
    let notice = owner
        .wait_for_text("🎫 Ticket #1", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", web.log()));
    assert!(
        notice.text.contains("do you sell spaceships to mars"),
        "{}",
        notice.text
    );
    // As a person would: after the bot has recorded which ticket the notice is for
    // (a reply within milliseconds of the notice can beat that record).
    bot_process::settle(fake, &web.db).await;
    owner.reply_text(notice.message_id, "Only to the Moon, sorry!");
    if tab
        .try_wait_for(&format!("{} > 0", bot_count("Only to the Moon, sorry!")), T)
        .await
        .is_err()
    {
        panic!(
            "the owner's answer never reached the page\n{}\n--- owner's chat ---\n{:#?}\n--- outbox ---\n{}\n--- bot log ---\n{}",
            tab.dump().await,
            owner
                .messages()
                .iter()
                .map(|m| (m.message_id, m.from_bot, m.text.clone()))
                .collect::<Vec<_>>(),
            web.value(
                "SELECT group_concat(id || ' ' || channel || ' ' || chat_id || ' sent=' || \
                 ifnull(sent_at, '-') || ' ' || substr(payload, 1, 120), char(10)) FROM outbox"
            )
            .as_str()
            .unwrap_or_default(),
            web.log()
        );
    }
    assert_eq!(
        tab.number(&bot_count("💬 Test Bricks: Only to the Moon, sorry!"))
            .await,
        1,
        "{}",
        tab.transcript().await
    );
    tab.bot_ids().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_catalog_text_is_shown_as_text() {
    const NAME: &str = "<img src=x onerror=\"document.title='pwned'\"> Trap";
    const DESCRIPTION: &str =
        "</p><script>document.title='pwned'</script> & <b>bold</b> \u{202E}evil\u{202C}";
    let Some(chromium) = chromium() else { return };
    let web = Web::start(&chromium, false).await;
    let tab = web.seller_tab().await;
    tab.open().await;
    tab.say("trap", "Matching products: 1 (showing 1):").await;
    tab.sees(&format!("{NAME} — €5.00")).await;
    tab.press(&format!("Details: {NAME}"), DESCRIPTION).await;
    // Give any injected handler its chance to run.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(tab.eval("document.title").await, json!("Seller"));
    assert_eq!(
        tab.eval(&format!(
            "[...{ROOT}.querySelectorAll('*')].filter(e => \
             ['SCRIPT', 'B', 'P'].includes(e.tagName) && !e.classList.contains('sb-text') \
             || e.tagName === 'IMG' && !e.matches('img.sb-img, img.sb-avatar') \
             || [...e.attributes].some(a => a.name.startsWith('on'))).map(e => e.outerHTML)"
        ))
        .await,
        json!([])
    );
    assert_eq!(
        tab.eval("document.querySelectorAll('script').length").await,
        json!(1)
    );
    assert_eq!(
        tab.number(&format!(
            "[...{ROOT}.querySelectorAll('.sb-btn')].filter(b => b.textContent === {}).length",
            js(&format!("Details: {NAME}"))
        ))
        .await,
        1
    );
    let problems = tab.problems();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyboard_alone_is_enough() {
    let Some(chromium) = chromium() else { return };
    let web = Web::start(&chromium, false).await;
    let tab = web.seller_tab().await;
    assert_eq!(
        tab.eval("document.activeElement.tagName").await,
        json!("BODY")
    );
    tab.key("Tab").await;
    let launcher_focused = format!("{FOCUSED} === {ROOT}.querySelector('.sb-launcher')");
    assert_eq!(
        tab.eval(&launcher_focused).await,
        json!(true),
        "{}",
        tab.dump().await
    );
    tab.key("Enter").await;
    tab.wait_for(
        &format!("{FOCUSED} === {ROOT}.querySelector('.sb-input')"),
        T,
    )
    .await;
    let panel = format!("{ROOT}.getElementById('sb-panel')");
    assert_eq!(
        tab.eval(&format!(
            "[{panel}.getAttribute('role'), {panel}.getAttribute('aria-label'), {panel}.lang, \
             {ROOT}.querySelector('.sb-log').getAttribute('role'), \
             {ROOT}.querySelector('.sb-log').getAttribute('aria-live'), \
             {ROOT}.querySelector('.sb-status').getAttribute('role'), \
             {ROOT}.querySelector('.sb-input').getAttribute('aria-label')]"
        ))
        .await,
        json!([
            "dialog",
            "Test Bricks chat",
            "en",
            "log",
            "polite",
            "status",
            "Type a message…"
        ])
    );
    tab.sees("What would you like to do?").await;
    tab_to(&tab, "Shift+Tab", "🎁 Find a gift", "").await;
    tab.key("Enter").await;
    tab.sees("Question 1 of 3: Who is it for?").await;
    // Focus follows the answer: the first button of the question.
    tab.wait_for(&focus_on("A child", ""), T).await;
    tab.key("Enter").await;
    tab.sees("Question 2 of 3: What is your budget?").await;
    tab.wait_for(&focus_on("Under €20", ""), T).await;
    tab_to(&tab, "Tab", "Any budget", "").await;
    tab.key("Space").await;
    tab.sees("Question 3 of 3: What do they like?").await;
    tab.wait_for(&focus_on("Castles", ""), T).await;
    tab.key("Enter").await;
    tab.sees("Here is what I found for you:").await;
    // The newest message with buttons is the offer of more, after the cards.
    tab.wait_for(&focus_on("« Back", "Would you like something else?"), T)
        .await;
    tab_to(&tab, "Shift+Tab", "Add to cart", "Knight's Castle — €45.00").await;
    tab.key("Enter").await;
    tab.sees("Added Knight's Castle to your cart. In your cart now: 1 · €45.00.")
        .await;
    tab.wait_for(&focus_on("🛒 View cart", "Anything else?"), T)
        .await;
    tab.key("Escape").await;
    tab.wait_for(&format!("!{panel}.checkVisibility()"), T)
        .await;
    assert_eq!(
        tab.eval(&launcher_focused).await,
        json!(true),
        "{}",
        tab.dump().await
    );
    assert_eq!(
        tab.eval(&format!(
            "{ROOT}.querySelector('.sb-launcher').getAttribute('aria-expanded')"
        ))
        .await,
        json!("false")
    );
    // The launcher opens it again, where it was.
    tab.key("Enter").await;
    tab.wait_for(&format!("{panel}.checkVisibility()"), T).await;
    tab.sees("Added Knight's Castle to your cart.").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_the_panel_fills_the_screen() {
    let Some(chromium) = chromium() else { return };
    let web = Web::start(&chromium, false).await;
    let page = web.browser.new_page().await;
    page.set_viewport(390, 844, true, 3.0).await;
    page.goto(&web.seller).await;
    let tab = Tab { page };
    tab.launcher_shown().await;
    tab.open().await;
    finder_to_castle(&tab).await;
    tab.wait_for(
        &format!("{CASTLE_IMG} && {CASTLE_IMG}.complete && {CASTLE_IMG}.naturalWidth > 0"),
        T,
    )
    .await;
    tab.click(&button("Details: Knight's Castle")).await;
    tab.sees("A big castle with towers. Knights included.")
        .await;
    // Let the log's scrolling settle before the picture is taken.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let png = tab
        .screenshot(&manifest.join("target/web-chat-phone.png"))
        .await;
    assert_eq!(png_size(&png), (1170, 2532));
    let readme = manifest.join("images/readme/web-chat-phone.png");
    std::fs::create_dir_all(readme.parent().expect("folder")).expect("images/readme");
    std::fs::write(&readme, &png).expect("README screenshot");
    let rect = tab
        .eval(&format!(
            "(r => [r.left, r.top, r.width, r.height].map(Math.round))\
             ({ROOT}.getElementById('sb-panel').getBoundingClientRect())"
        ))
        .await;
    assert_eq!(rect, json!([0, 0, 390, 844]), "{}", tab.dump().await);
    // 16 px at least, or phones zoom into the page when the input gets focus.
    let font = tab
        .eval(&format!(
            "getComputedStyle({ROOT}.querySelector('.sb-input')).fontSize"
        ))
        .await;
    assert_eq!(font, json!("16px"), "the input's font size on a phone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_page_runs_under_its_csp_without_errors() {
    let Some(chromium) = chromium() else { return };
    let web = Web::start(&chromium, false).await;
    let page = web.browser.new_page().await;
    page.set_viewport(1024, 768, false, 1.0).await;
    page.goto(&format!("{}/chat", web.server)).await;
    let tab = Tab { page };
    tab.wait_for(
        &format!("{ROOT}.getElementById('sb-panel').checkVisibility()"),
        T,
    )
    .await;
    assert_eq!(
        tab.eval(&format!(
            "[document.title, {ROOT}.querySelectorAll('.sb-launcher').length, \
             (r => [r.width, r.height])({ROOT}.getElementById('sb-panel').getBoundingClientRect()), \
             innerWidth, innerHeight]"
        ))
        .await,
        json!(["Test Bricks chat", 0, [1024, 768], 1024, 768])
    );
    finder_to_castle(&tab).await;
    tab.wait_for(
        &format!("{CASTLE_IMG} && {CASTLE_IMG}.complete && {CASTLE_IMG}.naturalWidth > 0"),
        T,
    )
    .await;
    tab.click(&button_in("Knight's Castle — €45.00", "Add to cart"))
        .await;
    tab.sees("Added Knight's Castle to your cart.").await;
    tab.say("How much is shipping?", "Shipping is €4.90, free from €60.")
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let problems = tab.problems();
    assert!(problems.is_empty(), "{problems:#?}\n{}", tab.dump().await);
    tab.bot_ids().await;
    // The policy it ran under, word for word: only the seller's site may frame it.
    let head = head_of(&web.server, "/chat").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let seller = web.seller.trim_end_matches('/');
    assert!(
        head.contains(&format!(
            "\r\ncontent-security-policy: default-src 'none'; script-src 'self'; \
             style-src 'self'; img-src 'self' data: https:; connect-src 'self'; \
             base-uri 'none'; form-action 'none'; frame-ancestors {seller}\r\n"
        )),
        "{head}"
    );
}

/// Kill -9 of the bot while a press and a typed message are on their way: the
/// page finds the restarted bot by itself, sends again what was not
/// acknowledged, and every answer is shown once; one order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_conversation_the_page_reconnects_and_nothing_is_lost_or_doubled() {
    let Some(chromium) = chromium() else { return };
    let mut web = Web::start(&chromium, false).await;
    let tab = web.seller_tab().await;
    tab.open().await;
    finder_to_castle(&tab).await;
    tab.click(&button_in("Knight's Castle — €45.00", "Add to cart"))
        .await;
    web.kill_and_restart().await;
    tab.sees("Added Knight's Castle to your cart.").await;
    tab.press("✅ Checkout", "How would you like to receive your order?")
        .await;
    tab.press("Courier — €4.90", "What is your name?").await;
    tab.click(&format!("{ROOT}.querySelector('.sb-input')"))
        .await;
    tab.type_text("Ana Pop").await;
    tab.key("Enter").await;
    web.kill_and_restart().await;
    tab.sees("What phone number can we reach you on?").await;
    phone_to_order(&tab).await;
    for text in [
        "Added Knight's Castle to your cart.",
        "What phone number can we reach you on?",
        "Thank you! Your order number is #1001.",
    ] {
        assert_eq!(
            tab.number(&bot_count(text)).await,
            1,
            "{text}\n{}",
            tab.transcript().await
        );
    }
    assert_eq!(tab.number(&own_count("Ana Pop")).await, 1);
    tab.bot_ids().await;
    web.assert_one_order();
}
