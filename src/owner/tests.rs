//! The owner's pure core over hand-built views: no `SQLite`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;

use super::*;
use crate::conversation::{Answer, Session, TicketWait};
use crate::shop::Money;
use crate::store::{HistoryLine, NewOrder, OrderLine};

fn shop() -> Shop {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shops");
    let src = std::fs::read_to_string(dir.join("small.toml")).expect("the small shop");
    Shop::from_source("small.toml", &src, dir).expect("the small shop is valid")
}

fn now() -> Timestamp {
    "2026-03-02T10:00:00Z".parse().expect("a time")
}

fn money(text: &str) -> Money {
    Money::parse(text).expect("an amount")
}

fn ticket(number: i64, open: bool) -> Ticket {
    Ticket {
        number,
        channel: Channel::Telegram,
        chat_id: "42".to_owned(),
        customer: "Ana (@ana)".to_owned(),
        question: Some("Is the castle\nin stock?".to_owned()),
        open,
        opened_at: 0,
    }
}

fn order(number: &str, status: OrderStatus) -> Order {
    Order {
        id: 1,
        number: number.to_owned(),
        status,
        tracking: None,
        placed: NewOrder {
            idempotency_key: format!("matrix:!room:example.org:s:{number}"),
            channel: Channel::Matrix,
            chat_id: "!room:example.org".to_owned(),
            lines: vec![OrderLine {
                product_id: "castle".to_owned(),
                variant: None,
                name: "Knight's Castle".to_owned(),
                unit_price: money("45.00"),
                qty: 2,
            }],
            subtotal: money("90.00"),
            discount: Money::default(),
            delivery_price: Money::default(),
            total: money("90.00"),
            currency: "EUR".to_owned(),
            coupon: None,
            delivery_id: "pickup".to_owned(),
            payment_id: "cash".to_owned(),
            stars: None,
            fields: BTreeMap::from([("name".to_owned(), "Ana".to_owned())]),
            language: "en".to_owned(),
            created_at: 0,
        },
    }
}

fn run(view: OwnerView, command: Command) -> OwnerTurn {
    handle(&shop(), view, command, now())
}

fn text(turn: &OwnerTurn) -> &str {
    assert_eq!(turn.replies.len(), 1, "one reply: {turn:?}");
    &turn.replies[0].text
}

#[test]
fn help_and_usage_only_answer() {
    let turn = run(OwnerView::default(), Command::Help);
    assert!(text(&turn).starts_with("Owner commands:"));
    assert!(turn.effects.is_empty() && turn.customers.is_empty());
    let turn = run(OwnerView::default(), Command::Usage("/close N"));
    assert_eq!(text(&turn), "Write it as: /close N");
}

#[test]
fn tickets_lists_the_open_ones_and_quotes_their_customers() {
    assert_eq!(
        text(&run(OwnerView::default(), Command::Tickets)),
        "No open tickets."
    );
    let view = OwnerView {
        open_tickets: vec![ticket(3, true)],
        ..OwnerView::default()
    };
    let turn = run(view, Command::Tickets);
    assert_eq!(
        text(&turn),
        "Open tickets (1):\n#3 · Telegram · Ana (@ana) — Is the castle in stock?"
    );
    assert_eq!(turn.about, [ChatKey::new(Channel::Telegram, "42")]);
}

#[test]
fn closing_a_ticket() {
    let turn = run(OwnerView::default(), Command::Close(9));
    assert_eq!(text(&turn), "There is no ticket #9.");
    assert!(turn.effects.is_empty());

    let closed = OwnerView {
        ticket: Some(ticket(9, false)),
        ..OwnerView::default()
    };
    let turn = run(closed, Command::Close(9));
    assert_eq!(text(&turn), "Ticket #9 is already closed.");
    assert!(turn.effects.is_empty());

    let open = OwnerView {
        ticket: Some(ticket(9, true)),
        ..OwnerView::default()
    };
    let turn = run(open, Command::Close(9));
    assert_eq!(
        text(&turn),
        "Ticket #9 closed. Ana (@ana) is back with the bot."
    );
    assert_eq!(turn.effects, [OwnerEffect::CloseTicket(9)]);
    assert_eq!(turn.customers.len(), 1);
    assert_eq!(turn.customers[0].input, Input::TicketClosed);
}

#[test]
fn answering_a_ticket_keeps_odd_unicode_as_written() {
    let odd = "Sí 👍🏽 — e\u{301}\u{200d}\u{202e}ok\n«line two»";
    let turn = answer(&shop(), 4, Some(ticket(4, true)), Answer::text(odd));
    assert_eq!(text(&turn), "✓ Sent to ticket #4.");
    assert_eq!(turn.effects, [OwnerEffect::TicketAnswered(4)]);
    assert_eq!(
        turn.customers[0].input,
        Input::OwnerAnswer(Answer::text(odd))
    );
    assert_eq!(turn.customers[0].customer.chat_id, "42");

    let turn = answer(&shop(), 4, Some(ticket(4, false)), Answer::text(odd));
    assert_eq!(
        text(&turn),
        "✓ Sent to ticket #4 (the ticket was closed; the customer gets it anyway)."
    );

    let turn = run(
        OwnerView::default(),
        Command::Reply {
            ticket: 5,
            text: odd.to_owned(),
        },
    );
    assert_eq!(
        text(&turn),
        "There is no ticket #5. /tickets lists the open ones."
    );
    assert!(turn.effects.is_empty() && turn.customers.is_empty());
}

#[test]
fn orders_and_one_order() {
    assert_eq!(
        text(&run(OwnerView::default(), Command::Orders(None))),
        "No orders."
    );
    let view = OwnerView {
        orders: vec![order("A1", OrderStatus::Paid)],
        ..OwnerView::default()
    };
    let turn = run(view, Command::Orders(Some(OrderStatus::Paid)));
    assert!(text(&turn).starts_with("Orders (1, newest first):\n#A1 · paid · "));
    assert!(text(&turn).ends_with(" · 2 item(s) · Ana"));

    let turn = run(OwnerView::default(), Command::Order("Z9".to_owned()));
    assert_eq!(text(&turn), "No order #Z9.");

    let view = OwnerView {
        order: Some(order("A1", OrderStatus::Delivered)),
        feedback: Some((4, Some("Lovely ✨".to_owned()))),
        ..OwnerView::default()
    };
    let turn = run(view, Command::Order("A1".to_owned()));
    let shown = text(&turn);
    assert!(shown.starts_with("Order #A1 — delivered · Matrix\n2 × Knight's Castle — "));
    assert!(
        shown.ends_with("\nFeedback: ⭐⭐⭐⭐ — Lovely ✨"),
        "{shown}"
    );
    assert_eq!(turn.about[0].channel, Channel::Matrix);
}

fn status(number: &str, to: OrderStatus, view: OwnerView) -> OwnerTurn {
    run(
        view,
        Command::Status {
            number: number.to_owned(),
            status: to,
            tracking: Some("TRK1".to_owned()),
        },
    )
}

#[test]
fn status_of_an_unknown_order_changes_nothing() {
    let turn = status("Z9", OrderStatus::Paid, OwnerView::default());
    assert_eq!(text(&turn), "No order #Z9.");
    assert!(turn.effects.is_empty());
}

#[test]
fn a_forbidden_transition_is_refused_without_a_write() {
    let delivered = OwnerView {
        order: Some(order("A1", OrderStatus::Delivered)),
        ..OwnerView::default()
    };
    let turn = status("A1", OrderStatus::Cancelled, delivered);
    assert_eq!(
        text(&turn),
        "Order #A1 is delivered — its status cannot change any more."
    );
    assert!(turn.effects.is_empty() && turn.customers.is_empty());

    let paid = OwnerView {
        order: Some(order("A1", OrderStatus::Paid)),
        ..OwnerView::default()
    };
    let turn = status("A1", OrderStatus::Paid, paid);
    assert_eq!(text(&turn), "Order #A1 is already paid.");
    assert!(turn.effects.is_empty());
}

#[test]
fn a_status_change_tells_the_customer_or_nobody_once_forgotten() {
    let paid = OwnerView {
        order: Some(order("A1", OrderStatus::Paid)),
        ..OwnerView::default()
    };
    let turn = status("A1", OrderStatus::Shipped, paid);
    assert_eq!(text(&turn), "Order #A1: shipped — customer told.");
    assert_eq!(
        turn.effects,
        [OwnerEffect::SetStatus {
            number: "A1".to_owned(),
            from: OrderStatus::Paid,
            status: OrderStatus::Shipped,
            tracking: Some("TRK1".to_owned()),
        }]
    );
    assert_eq!(
        turn.customers[0].input,
        Input::OrderStatus {
            number: "A1".to_owned(),
            status: OrderStatus::Shipped,
            tracking: Some("TRK1".to_owned()),
        }
    );

    let mut forgotten = order("A1", OrderStatus::New);
    forgotten.placed.chat_id = format!("{}abc", crate::store::FORGOTTEN);
    let view = OwnerView {
        order: Some(forgotten),
        ..OwnerView::default()
    };
    let turn = status("A1", OrderStatus::Cancelled, view);
    assert_eq!(
        text(&turn),
        "Order #A1: cancelled. Its customer erased their data, so nobody was told. \
         Its stock is back on sale."
    );
    assert!(turn.customers.is_empty() && turn.about.is_empty());
    assert_eq!(turn.effects.len(), 1);
}

fn stock(key: &str, qty: i64, before: Option<i64>) -> OwnerTurn {
    let view = OwnerView {
        stock_before: before,
        ..OwnerView::default()
    };
    run(
        view,
        Command::Stock {
            key: key.to_owned(),
            qty,
        },
    )
}

#[test]
fn stock_of_products_and_variants() {
    let turn = stock("castle", 7, Some(5));
    assert_eq!(text(&turn), "Stock of Knight's Castle: 7 (was 5).");
    assert_eq!(
        turn.effects,
        [OwnerEffect::SetStock {
            key: "castle".to_owned(),
            qty: 7,
            product: "castle".to_owned(),
        }]
    );
    let turn = stock("truck/red", 3, None);
    assert_eq!(text(&turn), "Stock of Big Truck (Red): 3.");
    assert_eq!(stock_target("truck:red"), ("truck", Some("red")));
}

#[test]
fn stock_refusals_make_no_write() {
    for (key, said) in [
        (
            "ghost",
            "No product `ghost` in shop.toml (use the product's id).",
        ),
        ("truck:green", "`truck` has no variant `green`."),
        (
            "truck",
            "`truck` has variants; name one: /stock truck:red|blue N",
        ),
        ("castle:red", "`castle` has no variants."),
    ] {
        let turn = stock(key, 1, None);
        assert_eq!(text(&turn), said);
        assert!(turn.effects.is_empty(), "{key}");
    }
    assert_eq!(
        text(&stock_uncounted(&shop(), "truck")),
        "`truck` has no stock count in shop.toml (unlimited); set `stock = N` there first."
    );
}

#[test]
fn pause_and_resume_are_one_setting() {
    let turn = run(OwnerView::default(), Command::Pause);
    assert!(text(&turn).starts_with("Paused (holiday mode)"));
    assert_eq!(
        turn.effects,
        [OwnerEffect::SetPaused(Some(now().as_second()))]
    );
    let turn = run(OwnerView::default(), Command::Resume);
    assert_eq!(text(&turn), "Resumed: tickets are answered as usual.");
    assert_eq!(turn.effects, [OwnerEffect::SetPaused(None)]);
}

#[test]
fn broadcast_goes_to_the_consenting_only() {
    let view = OwnerView {
        consenting: vec![
            ChatKey::new(Channel::Telegram, "1"),
            ChatKey::new(Channel::Matrix, "!r:x"),
        ],
        ..OwnerView::default()
    };
    let turn = run(view, Command::Broadcast("Sale 🎉".to_owned()));
    assert_eq!(
        text(&turn),
        "Sent to 2 customer(s) who agreed to offers and news."
    );
    assert!(
        turn.customers
            .iter()
            .all(|c| c.input == Input::Marketing("Sale 🎉".to_owned()))
    );
    assert!(turn.about.is_empty() && turn.effects.is_empty());
}

#[test]
fn reload_is_not_decided_here() {
    let turn = run(OwnerView::default(), Command::Reload);
    assert_eq!(text(&turn), "/reload is done by the engine.");
}

#[test]
fn unknown_reply_sends_nothing() {
    let turn = unknown_reply(&shop());
    assert!(text(&turn).starts_with("I can't tell which ticket"));
    assert!(turn.customers.is_empty() && turn.effects.is_empty());
}

#[test]
fn destinations_use_the_known_rooms_only_without_a_matrix_room() {
    let mut shop = shop();
    shop.file.owners.telegram = vec![7, 8];
    assert!(needs_matrix_rooms(
        &shop,
        &[Channel::Telegram, Channel::Matrix]
    ));
    assert!(!needs_matrix_rooms(&shop, &[Channel::Telegram]));
    let rooms = vec!["!dm:x".to_owned()];
    assert_eq!(
        destinations(&shop, &[Channel::Telegram, Channel::Matrix], rooms.clone()),
        [
            ChatKey::new(Channel::Telegram, "7"),
            ChatKey::new(Channel::Telegram, "8"),
            ChatKey::new(Channel::Matrix, "!dm:x"),
        ]
    );
    shop.file.owners.telegram_chat = Some(-100);
    shop.file.owners.matrix_room = Some("!team:x".to_owned());
    assert!(!needs_matrix_rooms(&shop, &[Channel::Matrix]));
    assert_eq!(
        destinations(&shop, &[Channel::Telegram, Channel::Matrix], rooms),
        [
            ChatKey::new(Channel::Telegram, "-100"),
            ChatKey::new(Channel::Matrix, "!team:x"),
        ]
    );
    assert!(destinations(&shop, &[], Vec::new()).is_empty());
}

#[test]
fn ticket_wait_says_away_in_holiday_mode() {
    assert_eq!(ticket_wait(&shop(), true, now()), TicketWait::Away);
    assert_ne!(ticket_wait(&shop(), false, now()), TicketWait::Away);
}

#[test]
fn ticket_notice_shows_question_cart_history_and_wait() {
    let shop = shop();
    let mut session = Session::new("en", "s1");
    session.finder = vec![("who".to_owned(), "kid".to_owned())];
    let history = [
        HistoryLine {
            who: "customer".to_owned(),
            text: "hello\nthere".to_owned(),
        },
        HistoryLine {
            who: "bot".to_owned(),
            text: "Hi!".to_owned(),
        },
    ];
    let notice = ticket_notice(
        &shop,
        &ticket(6, true),
        &session,
        &history,
        &TicketWait::Away,
    );
    assert_eq!(notice.ticket, Some(6));
    assert_eq!(
        notice.reply.text,
        "🎫 Ticket #6 — Telegram · Ana (@ana)\n\
         Asked: Is the castle\nin stock?\n\
         Finder: Who is it for? → A child\n\
         Cart: empty\n\
         Last messages:\n\
         » hello there\n\
         « Hi!\n\
         (Holiday mode: the customer was told you are away.)\n\
         Reply to this message (or to any 💬 #6) to answer, or send /reply 6 your answer. \
         /close 6 ends it."
    );
    assert_eq!(notice.reply.buttons.len(), 1);
    assert_eq!(notice.reply.buttons[0].label, "Close #6");
}
