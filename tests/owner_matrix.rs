//! The owner behind the bot (issue 5), on a real Synapse and across channels: one
//! `shopbot run` with Telegram (the fake Bot API) and Matrix at once. A Telegram
//! customer answered by a Matrix owner and the reverse, owner commands refused to
//! everyone else, orders run from the owner's Matrix client, replies that route
//! after a `kill -9`. Skipped, loudly, without a Synapse: run `scripts/test`.

#[path = "support/both.rs"]
mod both;
mod fake_telegram;
#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

use std::time::Duration;

use both::{Both, Mx, Owners, T, Tg, button_number, number_after};
use matrix_customer::{MatrixCustomer, SeenEvent};
use synapse::Synapse;

/// The Telegram owner's user id (their private chat with the bot has the same id).
const BOSS_TG: i64 = 111_111;
/// What every refused owner command says.
const REFUSED: &str = "only for the shop's team";

/// Long enough for a Matrix event the bot sent to reach a client's sync: after
/// it, "nothing arrived" means nothing was sent.
async fn quiet() {
    tokio::time::sleep(Duration::from_secs(3)).await;
}

fn lower(text: &str) -> String {
    text.to_lowercase()
}

/// Opens a ticket from a Telegram chat with "Talk to a person"; returns its number.
async fn tg_ticket(both: &Both, tg: &Tg) -> u64 {
    tg.say(both, "/start", "What would you like to do?").await;
    let ticket = tg.tap(both, "Talk to a person", "Ticket #").await;
    assert!(
        ticket
            .all_buttons()
            .any(|(t, _)| t.contains("Back to the shop")),
        "{}",
        tg.transcript()
    );
    number_after(&ticket.text, "Ticket #").expect("a ticket number")
}

/// Opens a ticket from a Matrix DM with "Talk to a person" (its reaction
/// shortcut on the menu); returns its number.
async fn mx_ticket(both: &Both, mx: &Mx) -> u64 {
    let menu = mx.say(both, "/start", "What would you like to do?").await;
    let ticket = mx.tap(both, &menu, "Talk to a person", "Ticket #").await;
    assert!(
        button_number(&ticket.body, "Back to the shop").is_some(),
        "{:?}",
        ticket.body
    );
    number_after(&ticket.body, "Ticket #").expect("a ticket number")
}

/// The shop with one Matrix owner (no Telegram owner), started; the owner
/// writes "/help" to the bot in a direct room, which makes it the room of their
/// notices. Returns the bot, the owner, and the owner's help message.
async fn with_matrix_owner(syn: &Synapse, owner: &(String, String)) -> (Both, Mx, SeenEvent) {
    let both = Both::start(
        syn,
        &Owners {
            matrix: &[&owner.0],
            ..Owners::default()
        },
    )
    .await;
    let boss = Mx::open(syn, owner, &both.bot_id).await;
    let help = boss.say(&both, "/help", "/reply").await;
    for command in ["/close", "/tickets", "/status", "/stock", "/reload"] {
        assert!(help.body.contains(command), "{command}: {:?}", help.body);
    }
    both.wait_count(
        &format!(
            "SELECT COUNT(*) FROM owner_rooms WHERE channel = 'matrix' AND user_id = '{}' AND chat_id = '{}'",
            boss.id(),
            boss.room
        ),
        1,
    )
    .await;
    (both, boss, help)
}

/// Checks a ticket notice: it starts with `🎫 Ticket #N`, names the channel and
/// the customer (one of `names`), and offers `Close #N`.
fn check_ticket_notice(text: &str, number: u64, channel: &str, names: &[&str], buttons: &[String]) {
    assert!(
        text.starts_with(&format!("🎫 Ticket #{number}")),
        "{text:?}"
    );
    assert!(lower(text).contains(channel), "{channel}: {text:?}");
    assert!(
        names.iter().any(|n| text.contains(n)),
        "{names:?}: {text:?}"
    );
    let close = format!("Close #{number}");
    assert!(
        buttons.iter().any(|b| b.contains(&close)),
        "no {close} button: {buttons:?}\n{text:?}"
    );
}

/// The ticket's row: (channel, chat id, status).
fn ticket_row(both: &Both, number: u64) -> (String, String, String) {
    let get = |col: &str| {
        both.text(&format!(
            "SELECT {col} FROM tickets WHERE number = {number}"
        ))
        .unwrap_or_default()
    };
    (get("channel"), get("chat_id"), get("status"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_telegram_customers_ticket_is_answered_from_matrix() {
    let Some(syn) = Synapse::shared() else { return };
    let boss_user = syn.register("boss");
    let (both, boss, help) = with_matrix_owner(&syn, &boss_user).await;

    let ana = both.telegram(1001, "Ana");
    ana.user.set_username(Some("ana_bricks"));
    let number = tg_ticket(&both, &ana).await;
    assert_eq!(number, 1);
    assert_eq!(
        ticket_row(&both, 1),
        ("telegram".into(), "1001".into(), "open".into())
    );

    let notice = boss.bot_says(&both, 0, "🎫 Ticket #1").await;
    let lines: Vec<String> = notice.body.lines().map(str::to_owned).collect();
    check_ticket_notice(&notice.body, 1, "telegram", &["Ana", "ana_bricks"], &lines);
    assert!(notice.encrypted, "a notice in clear in an encrypted room");

    // What the customer writes now goes to the owner, and only there.
    let (boss_mark, ana_mark) = (boss.mark(), ana.mark());
    ana.user.send_text("Is the castle in stock for Friday?");
    let relayed = boss
        .bot_says(&both, boss_mark, "Is the castle in stock for Friday?")
        .await;
    assert!(relayed.body.starts_with("💬 #1"), "{:?}", relayed.body);
    assert!(relayed.body.contains("Ana"), "{:?}", relayed.body);
    both.settle().await;
    assert!(
        ana.bot_messages_after(ana_mark).is_empty(),
        "the bot answered a message meant for the owner\n{}",
        ana.transcript()
    );

    // A Matrix reply to the ticket notice reaches the Telegram customer.
    boss.reply(
        &both,
        &notice.event_id,
        "Yes, 5 castles are here.",
        "✓ Sent to ticket #1",
    )
    .await;
    let answer = ana
        .sees_after(&both, ana_mark, "Yes, 5 castles are here.")
        .await;
    assert!(answer.text.contains("Test Bricks"), "{:?}", answer.text);

    // A reply to the relayed message, from an older client that quotes it:
    // only the owner's own words reach the customer.
    let (boss_mark, ana_mark) = (boss.mark(), ana.mark());
    boss.user
        .send_reply_with_fallback(
            &boss.room,
            &relayed.event_id,
            &both.bot_id,
            &relayed.body,
            "We ship on Monday.",
        )
        .await;
    boss.bot_says(&both, boss_mark, "✓ Sent to ticket #1").await;
    let answer = ana.sees_after(&both, ana_mark, "We ship on Monday.").await;
    assert!(
        !answer.text.contains("> <") && !answer.text.contains("in stock for Friday"),
        "the quoted original reached the customer: {:?}",
        answer.text
    );

    // A reply to a message that belongs to no ticket: said so, sent nowhere.
    let ana_mark = ana.mark();
    boss.reply(
        &both,
        &help.event_id,
        "Who is this for?",
        "I can't tell which ticket",
    )
    .await;
    both.settle().await;
    assert!(
        ana.bot_messages_after(ana_mark).is_empty(),
        "{}",
        ana.transcript()
    );

    let open = boss.say(&both, "/tickets", "#1").await;
    assert!(!open.body.contains("No open tickets"), "{:?}", open.body);

    boss.say(&both, "/close 1", "Ticket #1 closed.").await;
    ana.sees_after(&both, ana_mark, "back with the shop bot")
        .await;
    assert_eq!(ticket_row(&both, 1).2, "closed");
    assert_eq!(
        both.count(
            "SELECT COUNT(*) FROM tickets WHERE number = 1 AND closed_at IS NOT NULL AND first_answer_at IS NOT NULL"
        ),
        1
    );
    boss.say(&both, "/tickets", "No open tickets.").await;

    // Back with the bot: answered by it, nothing relayed any more.
    let boss_mark = boss.mark();
    ana.say(&both, "how much is shipping?", "Shipping is €4.90")
        .await;
    quiet().await;
    assert!(
        boss.bot_messages_after(boss_mark).is_empty(),
        "{}",
        boss.user.describe(&boss.room)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_matrix_customers_ticket_is_answered_from_telegram() {
    let Some(syn) = Synapse::shared() else { return };
    let cy_user = syn.register("cy");
    let both = Both::start(
        &syn,
        &Owners {
            telegram: &[BOSS_TG],
            ..Owners::default()
        },
    )
    .await;
    let boss = both.telegram(BOSS_TG, "Boss");
    let cy = Mx::open(&syn, &cy_user, &both.bot_id).await;
    cy.user.set_display_name("Cy Customer").await;
    let number = mx_ticket(&both, &cy).await;
    assert_eq!(number, 1);
    assert_eq!(
        ticket_row(&both, 1),
        ("matrix".into(), cy.room.to_string(), "open".into())
    );

    // The notice goes to the Telegram owner's private chat.
    let notice = boss.sees_after(&both, 0, "🎫 Ticket #1").await;
    let buttons: Vec<String> = notice.all_buttons().map(|(t, _)| t.clone()).collect();
    check_ticket_notice(
        &notice.text,
        1,
        "matrix",
        &["Cy Customer", cy.id().as_str()],
        &buttons,
    );

    let (boss_mark, cy_mark) = (boss.mark(), cy.mark());
    cy.user.send_text(&cy.room, "Do you gift-wrap?").await;
    let relayed = boss.sees_after(&both, boss_mark, "Do you gift-wrap?").await;
    assert!(relayed.text.starts_with("💬 #1"), "{:?}", relayed.text);
    quiet().await;
    assert!(
        cy.bot_messages_after(cy_mark).is_empty(),
        "the bot answered a message meant for the owner\n{}",
        cy.user.describe(&cy.room)
    );

    // A Telegram reply to the relayed message reaches the Matrix customer, encrypted.
    boss.reply(
        &both,
        relayed.message_id,
        "Yes, for free.",
        "✓ Sent to ticket #1",
    )
    .await;
    let answer = cy.bot_says(&both, cy_mark, "Yes, for free.").await;
    assert!(answer.encrypted);
    assert!(answer.body.contains("Test Bricks"), "{:?}", answer.body);
    // A reply to the ticket notice itself, and /reply.
    boss.reply(
        &both,
        notice.message_id,
        "Anything else?",
        "✓ Sent to ticket #1",
    )
    .await;
    cy.bot_says(&both, cy_mark, "Anything else?").await;
    boss.say(&both, "/reply 1 We ship on Monday.", "✓ Sent to ticket #1")
        .await;
    cy.bot_says(&both, cy_mark, "We ship on Monday.").await;

    // A reply to the bot's help: no ticket, nothing sent.
    let help = boss.say(&both, "/help", "/reply").await;
    let cy_mark = cy.mark();
    boss.reply(
        &both,
        help.message_id,
        "hello?",
        "I can't tell which ticket",
    )
    .await;
    quiet().await;
    assert!(
        cy.bot_messages_after(cy_mark).is_empty(),
        "{}",
        cy.user.describe(&cy.room)
    );

    // The Close button of the notice.
    boss.tap(&both, "Close #1", "Ticket #1 closed.").await;
    cy.bot_says(&both, cy_mark, "back with the shop bot").await;
    assert_eq!(ticket_row(&both, 1).2, "closed");
    boss.say(&both, "/tickets", "No open tickets.").await;

    // A second ticket, ended by the customer with "Back to the shop".
    let boss_mark = boss.mark();
    assert_eq!(mx_ticket(&both, &cy).await, 2);
    let opened = cy.bot_says(&both, 0, "Ticket #2").await;
    boss.sees_after(&both, boss_mark, "🎫 Ticket #2").await;
    cy.tap(&both, &opened, "Back to the shop", "back with the shop bot")
        .await;
    boss.sees_after(&both, boss_mark, "Ticket #2 closed by the customer")
        .await;
    assert_eq!(ticket_row(&both, 2).2, "closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn owner_commands_from_matrix_users_who_are_not_owners_change_nothing() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["boss", "imp", "dee"]);
    let (both, boss, _) = with_matrix_owner(&syn, &users[0]).await;
    boss.user.set_display_name("Shop Boss").await;
    // Someone else with the owner's display name.
    let imp = Mx::open(&syn, &users[1], &both.bot_id).await;
    imp.user.set_display_name("Shop Boss").await;
    let dee = Mx::open(&syn, &users[2], &both.bot_id).await;

    // An order (Telegram) and an open ticket (Matrix) for the commands to aim at.
    let bo = both.telegram(2002, "Bo");
    bo.order(&both, "Vehicles", "Race Car").await;
    boss.bot_says(&both, 0, "🛒 New order #1001").await;
    assert_eq!(mx_ticket(&both, &dee).await, 1);
    boss.bot_says(&both, 0, "🎫 Ticket #1").await;
    // The file changes on disk: only an owner's /reload may load it.
    let text = std::fs::read_to_string(&both.shop).unwrap();
    std::fs::write(
        &both.shop,
        text.replace("name = \"Test Bricks\"", "name = \"Other Bricks\""),
    )
    .unwrap();

    let racer = "SELECT qty FROM stock WHERE key = 'racer'";
    let stock_before = both.count(racer);
    assert_eq!(stock_before, 9);
    let settings_before = both.count("SELECT COUNT(*) FROM settings");
    let (boss_mark, dee_mark, bo_mark) = (boss.mark(), dee.mark(), bo.mark());
    let commands = [
        "/status 1001 cancelled",
        "/stock racer 99",
        "/reload",
        "/reply 1 I am the boss, ignore the bot",
        "/close 1",
        "/tickets",
        "/pause",
    ];
    for command in commands {
        let refused = imp.say(&both, command, REFUSED).await;
        assert!(
            refused.body.contains(REFUSED),
            "{command}: {:?}",
            refused.body
        );
    }
    // The customer with the open ticket cannot run them either (and they are
    // not relayed to the owner as ticket messages).
    for command in ["/close 1", "/status 1001 shipped TRK"] {
        dee.say(&both, command, REFUSED).await;
    }

    // Nothing changed.
    assert_eq!(
        both.text("SELECT status FROM orders WHERE number = '1001'")
            .as_deref(),
        Some("new")
    );
    assert_eq!(both.count(racer), stock_before);
    assert_eq!(ticket_row(&both, 1).2, "open");
    assert_eq!(
        both.count("SELECT COUNT(*) FROM tickets WHERE first_answer_at IS NOT NULL"),
        0
    );
    assert_eq!(both.count("SELECT COUNT(*) FROM settings"), settings_before);
    assert_eq!(
        both.count(&format!(
            "SELECT COUNT(*) FROM owner_rooms WHERE user_id IN ('{}', '{}')",
            imp.id(),
            dee.id()
        )),
        0,
        "a customer's room became an owner room"
    );
    quiet().await;
    both.settle().await;
    let leaked = dee
        .bot_messages_after(dee_mark)
        .into_iter()
        .any(|m| m.body.contains("I am the boss"));
    assert!(!leaked, "{}", dee.user.describe(&dee.room));
    assert!(
        !bo.bot_messages_after(bo_mark)
            .iter()
            .any(|m| m.text.contains("#1001")),
        "{}",
        bo.transcript()
    );
    let to_boss = boss.bot_messages_after(boss_mark);
    assert!(
        to_boss
            .iter()
            .all(|m| !m.body.contains("/close") && !m.body.contains("/status")),
        "commands were relayed as ticket messages\n{}",
        boss.user.describe(&boss.room)
    );
    // The old shop still runs.
    imp.say(&both, "/start", "Welcome to Test Bricks").await;

    // The owner, for contrast: the same commands work.
    boss.say(&both, "/stock racer 7", "Stock of Race Car: 7 (was 9).")
        .await;
    assert_eq!(both.count(racer), 7);
    boss.say(&both, "/reload", "shop.toml: 5 products").await;
    imp.say(&both, "/start", "Welcome to Other Bricks").await;
    boss.say(&both, "/close 1", "Ticket #1 closed.").await;
    dee.bot_says(&both, dee_mark, "back with the shop bot")
        .await;
}

/// A Telegram customer's order, run by the Matrix owner: shipped with
/// tracking, then cancelled, which returns the stock.
async fn a_telegram_order_tracked_then_cancelled(both: &Both, boss: &Mx) -> Tg {
    let bo = both.telegram(3003, "Bo");
    let racer = "SELECT qty FROM stock WHERE key = 'racer'";
    bo.order(both, "Vehicles", "Race Car").await;
    assert_eq!(both.count(racer), 9);
    let notice = boss.bot_says(both, 0, "🛒 New order #1002").await;
    for part in ["Race Car", "Bo Lee", "+34 611 222 333"] {
        assert!(notice.body.contains(part), "{part}: {:?}", notice.body);
    }
    let bo_mark = bo.mark();
    boss.say(
        both,
        "/status 1002 shipped TRK-42",
        "Order #1002: shipped — customer told.",
    )
    .await;
    let told = bo
        .sees_after(both, bo_mark, "Order #1002 is on its way.")
        .await;
    assert!(told.text.contains("Tracking: TRK-42"), "{:?}", told.text);
    assert_eq!(
        both.text("SELECT tracking FROM orders WHERE number = '1002'")
            .as_deref(),
        Some("TRK-42")
    );
    boss.say(
        both,
        "/status 1002 cancelled",
        "Order #1002: cancelled — customer told.",
    )
    .await;
    bo.sees_after(both, bo_mark, "Order #1002 was cancelled.")
        .await;
    assert_eq!(both.count(racer), 10, "the cancel returned the stock");

    bo
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_are_run_from_the_matrix_owners_phone() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["boss", "cy"]);
    let (both, boss, _) = with_matrix_owner(&syn, &users[0]).await;
    let cy = Mx::open(&syn, &users[1], &both.bot_id).await;

    // A Matrix customer's order.
    let placed = cy.order_tower(&both).await;
    assert!(placed.body.contains("#1001"), "{:?}", placed.body);
    let tower = "SELECT qty FROM stock WHERE key = 'tower'";
    assert_eq!(both.count(tower), 0);
    let notice = boss.bot_says(&both, 0, "🛒 New order #1001").await;
    assert!(
        notice.body.starts_with("🛒 New order #1001"),
        "{:?}",
        notice.body
    );
    for part in ["Wizard Tower", "Cy Customer", "600 123 456", "19.50"] {
        assert!(notice.body.contains(part), "{part}: {:?}", notice.body);
    }
    for button in ["Paid", "Shipped", "Delivered", "Cancel"] {
        assert!(
            button_number(&notice.body, button).is_some(),
            "{button}: {:?}",
            notice.body
        );
    }

    // The keycap of "Shipped" on the notice.
    let cy_mark = cy.mark();
    boss.tap(
        &both,
        &notice,
        "Shipped",
        "Order #1001: shipped — customer told.",
    )
    .await;
    let told = cy
        .bot_says(&both, cy_mark, "Order #1001 is on its way.")
        .await;
    assert!(told.encrypted);
    assert!(!told.body.contains("Tracking"), "{:?}", told.body);
    let status = "SELECT status FROM orders WHERE number = '1001'";
    assert_eq!(both.text(status).as_deref(), Some("shipped"));

    boss.say(
        &both,
        "/status 1001 delivered",
        "Order #1001: delivered — customer told.",
    )
    .await;
    cy.bot_says(&both, cy_mark, "Order #1001 was delivered.")
        .await;
    assert_eq!(both.text(status).as_deref(), Some("delivered"));

    // Delivered is final: a cancel is refused and returns nothing.
    let boss_mark = boss.mark();
    boss.user
        .send_text(&boss.room, "/status 1001 cancelled")
        .await;
    let refused = boss.bot_says(&both, boss_mark, "#1001").await;
    assert!(
        !refused.body.contains("customer told"),
        "{:?}",
        refused.body
    );
    assert_eq!(both.text(status).as_deref(), Some("delivered"));
    assert_eq!(both.count(tower), 0);

    let bo = a_telegram_order_tracked_then_cancelled(&both, &boss).await;

    let list = boss.say(&both, "/orders", "#1002").await;
    assert!(list.body.contains("#1001"), "{:?}", list.body);
    let one = boss.say(&both, "/order 1002", "Race Car").await;
    assert!(one.body.contains("#1002"), "{:?}", one.body);
    boss.say(&both, "/order 9999", "No order #9999.").await;
    boss.say(
        &both,
        "/stock castle 3",
        "Stock of Knight's Castle: 3 (was 5).",
    )
    .await;
    assert_eq!(both.count("SELECT qty FROM stock WHERE key = 'castle'"), 3);
    boss.say(
        &both,
        "/stock truck:red 4",
        "Stock of Big Truck (Red): 4 (was 2).",
    )
    .await;
    assert_eq!(
        both.count("SELECT qty FROM stock WHERE key = 'truck/red'"),
        4
    );
    // Each customer was told each change once.
    quiet().await;
    let cy_told: Vec<String> = cy
        .bot_messages_after(0)
        .into_iter()
        .map(|m| m.body)
        .filter(|b| b.contains("Order #1001"))
        .collect();
    assert_eq!(cy_told.len(), 2, "{cy_told:#?}");
    let bo_told = bo
        .user
        .bot_messages()
        .into_iter()
        .filter(|m| m.text.contains("Order #1002 "))
        .count();
    assert_eq!(bo_told, 2, "{}", bo.transcript());
}

/// A customer on either channel.
enum Who {
    Tg(Tg),
    Mx(Box<Mx>),
}

impl Who {
    /// The texts of every bot message the customer has.
    fn bot_texts(&self) -> Vec<String> {
        match self {
            Who::Tg(tg) => tg.user.bot_messages().into_iter().map(|m| m.text).collect(),
            Who::Mx(mx) => mx
                .bot_messages_after(0)
                .into_iter()
                .map(|m| m.body)
                .collect(),
        }
    }

    /// Waits until a bot message contains `needle`.
    async fn wait_for(&self, both: &Both, needle: &str) {
        let deadline = std::time::Instant::now() + T;
        while !self.bot_texts().iter().any(|t| t.contains(needle)) {
            assert!(
                std::time::Instant::now() < deadline,
                "no bot message with {needle:?}: {:#?}\n{}",
                self.bot_texts(),
                both.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn send(&self, text: &str) {
        match self {
            Who::Tg(tg) => {
                tg.user.send_text(text);
            }
            Who::Mx(mx) => {
                mx.user.send_text(&mx.room, text).await;
            }
        }
    }
}

/// Each customer got their answer, once, and nobody else's (waits for them).
async fn each_got_their_answer_once(
    both: &Both,
    customers: &[(u64, Who)],
    secret: impl Fn(u64) -> String,
) {
    let deadline = std::time::Instant::now() + T;
    loop {
        let mut wrong = Vec::new();
        for (n, who) in customers {
            let texts = who.bot_texts();
            let answers: Vec<&String> = texts
                .iter()
                .filter(|t| t.contains("answer-for-ticket-"))
                .collect();
            if answers.len() != 1 || !answers[0].contains(&secret(*n)) {
                wrong.push(format!("ticket #{n}: {answers:?}"));
            }
        }
        if wrong.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "answers went astray:\n{}\n{}",
            wrong.join("\n"),
            both.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Customers on both channels with open tickets; the Matrix owner answers in a
/// shuffled order, by replies to old notices and by `/reply`, with a `kill -9`
/// of the bot in the middle: every answer reaches its customer, and only it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_kill_9_replies_to_old_notices_reach_the_right_customers() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["boss", "mxa", "mxb", "mxc"]);
    let (mut both, boss, _) = with_matrix_owner(&syn, &users[0]).await;
    let mut customers: Vec<(u64, Who)> = Vec::new();
    for i in 0..5 {
        let tg = both.telegram(4000 + i, &format!("Tg{i}"));
        let n = tg_ticket(&both, &tg).await;
        customers.push((n, Who::Tg(tg)));
    }
    for user in &users[1..] {
        let mx = Mx::open(&syn, user, &both.bot_id).await;
        let n = mx_ticket(&both, &mx).await;
        customers.push((n, Who::Mx(Box::new(mx))));
    }
    let mut numbers: Vec<u64> = customers.iter().map(|(n, _)| *n).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=8).collect::<Vec<_>>());

    // Every ticket's notice, and one relayed message of ticket 3.
    let mut notices = Vec::new();
    for n in 1..=8 {
        notices.push(boss.bot_says(&both, 0, &format!("🎫 Ticket #{n}")).await);
    }
    let who_is_3 = customers.iter().find(|(n, _)| *n == 3).unwrap();
    let boss_mark = boss.mark();
    who_is_3.1.send("one more thing from ticket three").await;
    let relayed_3 = boss
        .bot_says(&both, boss_mark, "one more thing from ticket three")
        .await;
    assert!(relayed_3.body.starts_with("💬 #3"), "{:?}", relayed_3.body);

    let order = [6u64, 2, 8, 3, 1, 7, 4, 5];
    let secret = |n: u64| format!("answer-for-ticket-{n} (only yours)");
    for (i, n) in order.iter().copied().enumerate() {
        if i == 4 {
            both.restart().await;
        }
        let text = secret(n);
        match (i % 3, n) {
            // The relayed message of ticket 3, from before the restart.
            (_, 3) => {
                boss.reply(&both, &relayed_3.event_id, &text, "✓ Sent to ticket #3")
                    .await;
            }
            (0 | 1, _) => {
                let notice = &notices[usize::try_from(n - 1).unwrap()];
                boss.reply(
                    &both,
                    &notice.event_id,
                    &text,
                    &format!("✓ Sent to ticket #{n}"),
                )
                .await;
            }
            _ => {
                boss.say(
                    &both,
                    &format!("/reply {n} {text}"),
                    &format!("✓ Sent to ticket #{n}"),
                )
                .await;
            }
        }
    }

    each_got_their_answer_once(&both, &customers, secret).await;
    assert_eq!(
        both.count(
            "SELECT COUNT(*) FROM tickets WHERE status = 'open' AND first_answer_at IS NOT NULL"
        ),
        8
    );

    // The Close shortcut of a notice from before the restart still works.
    boss.tap(&both, &notices[1], "Close #2", "Ticket #2 closed.")
        .await;
    let who_is_2 = &customers.iter().find(|(n, _)| *n == 2).unwrap().1;
    who_is_2.wait_for(&both, "back with the shop bot").await;
    assert_eq!(ticket_row(&both, 2).2, "closed");
    assert_eq!(
        both.count("SELECT COUNT(*) FROM tickets WHERE status = 'open'"),
        7
    );
}

/// `matrix_room`: the owners' notices go to a room the owner made (room version
/// 12: its id has no server part), where a member who is not an owner cannot
/// answer or command, and the owner can.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn notices_go_to_the_configured_matrix_room_where_only_owners_act() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["boss", "staff", "shopbot"]);
    // The room exists before the bot starts: the owner invites its account.
    let boss = MatrixCustomer::login(syn.url(), &users[0].0, &users[0].1).await;
    let staff = MatrixCustomer::login(syn.url(), &users[1].0, &users[1].1).await;
    let staff_id = staff.user_id().to_owned();
    let bot_account = matrix_sdk::ruma::UserId::parse(users[2].0.as_str()).unwrap();
    let room = boss.create_group(&[&staff_id, &bot_account]).await;
    staff.join(&room).await;
    let both = Both::start_as(
        &syn,
        &users[2],
        &Owners {
            matrix: &[&users[0].0],
            matrix_room: Some(room.as_str()),
            ..Owners::default()
        },
    )
    .await;
    boss.wait_for_join(&room, &both.bot_id, T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", both.log()));
    let boss = Mx {
        user: boss,
        room: room.clone(),
        bot: both.bot_id.clone(),
    };
    let staff = Mx {
        user: staff,
        room: room.clone(),
        bot: both.bot_id.clone(),
    };

    let ana = both.telegram(5005, "Ana");
    assert_eq!(tg_ticket(&both, &ana).await, 1);
    let notice = boss.bot_says(&both, 0, "🎫 Ticket #1").await;
    // A member of the room who is not an owner: a reply to the notice or a
    // command sends nothing and closes nothing; a command addressed to the bot
    // is refused.
    let ana_mark = ana.mark();
    let staff_mark = staff.mark();
    staff
        .user
        .send_reply(&room, &notice.event_id, "staff answer")
        .await;
    staff.user.send_text(&room, "/close 1").await;
    let addressed = format!("{}: /close 1", both.bot_id.localpart());
    staff.say(&both, &addressed, REFUSED).await;
    quiet().await;
    both.settle().await;
    assert!(
        ana.bot_messages_after(ana_mark).is_empty(),
        "{}",
        ana.transcript()
    );
    assert_eq!(ticket_row(&both, 1).2, "open");
    assert_eq!(
        both.count("SELECT COUNT(*) FROM tickets WHERE first_answer_at IS NOT NULL"),
        0
    );
    let said: Vec<String> = staff
        .bot_messages_after(staff_mark)
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert!(
        !said
            .iter()
            .any(|b| b.contains("Sent to ticket") || b.contains("closed")),
        "{said:#?}"
    );
    // The owner, in the same room.
    boss.reply(
        &both,
        &notice.event_id,
        "owner answer",
        "✓ Sent to ticket #1",
    )
    .await;
    ana.sees_after(&both, ana_mark, "owner answer").await;
    boss.say(&both, "/close 1", "Ticket #1 closed.").await;
    assert_eq!(ticket_row(&both, 1).2, "closed");
}
