//! Whole customer journeys. Transcripts run against the pure conversation core
//! on an in-memory world (`support::pure`: no engine, no `SQLite`) and are
//! snapshots: read them in `tests/snapshots/` as the dialogue. The
//! `…_through_the_engine` tests run the same journeys through the real engine
//! on an on-disk database, check what only the engine shows (rows, stock,
//! integrity, restarts, duplicate events), and that its replies and
//! transcripts equal the pure core's.

mod support;

use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, TurnResult};
use support::pure::{Driver, Pure, Recorded};
use support::*;

const FINDER_TO_ORDER: &[&str] = &[
    "1",             // Find a gift
    "A child",       // by label
    "1",             // Under €20
    "castles",       // label, any case
    "1",             // Add to cart (Wizard Tower)
    "2",             // Checkout
    "1",             // Courier
    "Ana Pop",       // name
    "call me maybe", // bad phone
    "+34 600 123 456",
    "Calle Mayor 5, Madrid",
    "skip", // optional note, by label
    "1",    // consent yes
    "1",    // cash
    "1",    // confirm
    "5",    // my orders
];

fn finder_to_order(pure: &mut Pure) -> String {
    pure.chat("ana", FINDER_TO_ORDER)
}

#[test]
fn finder_to_order_in_the_terminal() {
    let mut pure = Pure::new(small_shop());
    let transcript = finder_to_order(&mut pure);
    insta::assert_snapshot!(transcript);
    assert!(transcript.contains("Your order number is #1001"));
    assert_eq!(pure.world.orders.len(), 1);
    assert_eq!(pure.stock_of("tower"), 0);
}

#[test]
fn finder_to_order_in_the_terminal_through_the_engine() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    let transcript = chat(&mut engine, "ana", FINDER_TO_ORDER);
    assert_eq!(transcript, finder_to_order(&mut Pure::new(small_shop())));
    assert!(transcript.contains("Your order number is #1001"));
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 1);
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'tower'"),
        0
    );
    assert_eq!(integrity(&db.path), "ok");
}

#[test]
fn finder_relaxes_a_wish_instead_of_dead_ending() {
    let mut pure = Pure::new(small_shop());
    pure.turn("c", Input::Start);
    pure.press("c", "finder");
    pure.press("c", "fa:who:kid");
    pure.press("c", "fa:budget:high");
    let replies = pure.press("c", "fa:likes:castles");
    let text = text_of(&replies);
    assert!(
        text.contains("Nothing matched every wish exactly, so I relaxed: Over €100"),
        "{text}"
    );
    // The closest matches are real, in-stock products with add buttons.
    let buttons = buttons_of(&replies);
    assert!(buttons.contains(&"add:castle".to_owned()), "{buttons:?}");
    assert!(
        !buttons.contains(&"add:dragon".to_owned()),
        "sold out offered"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn finder_back_and_start_over() {
    let mut pure = Pure::new(small_shop());
    pure.turn("c", Input::Start);
    pure.press("c", "finder");
    pure.press("c", "fa:who:adult");
    let back = pure.press("c", "fb");
    assert!(text_of(&back).contains("Question 1 of 3"));
    // An answer to a question that is not the current one is stale.
    let stale = pure.press("c", "fa:likes:vehicles");
    assert!(text_of(&stale).contains("That button has expired"));
    assert!(text_of(&stale).contains("Question 1 of 3"));
    pure.press("c", "fa:who:adult");
    let again = pure.press("c", "fr");
    assert!(text_of(&again).contains("Question 1 of 3"));
}

#[test]
fn browsing_pages_variants_and_sold_out() {
    let mut pure = Pure::new(small_shop());
    let transcript = pure.chat(
        "b",
        &[
            "2",
            "Castles (3)",
            "Next ›",
            "Dragon Lair — €60.00 (sold out)",
            "/catalog",
            "2",
            "Big Truck — €120.00",
            "Add: Red",
            "1",
        ],
    );
    insta::assert_snapshot!(transcript);
    // Sold-out products and variants have no add button.
    let replies = pure.press("x", "p:dragon");
    assert!(!buttons_of(&replies).iter().any(|b| b.starts_with("add:")));
    let replies = pure.press("x", "p:truck");
    let buttons = buttons_of(&replies);
    assert!(buttons.contains(&"add:truck:red".to_owned()));
    assert!(!buttons.contains(&"add:truck:blue".to_owned()));
    // Pressing a forged add for a sold-out product changes nothing.
    let replies = pure.press("x", "add:dragon");
    assert!(text_of(&replies).contains("Sorry, Dragon Lair is sold out."));
    let replies = pure.press("x", "add:truck:blue");
    assert!(text_of(&replies).contains("sold out"));
    let replies = pure.press("x", "cart");
    assert!(text_of(&replies).contains("Your cart is empty"));
}

fn free_text(d: &mut impl Driver) {
    d.turn("q", Input::Start);
    let r = d.say("q", "How much is shipping?");
    assert!(text_of(&r).contains("Shipping is €4.90"), "{}", text_of(&r));
    let r = d.say("q", "¿Cuánto son los gastos de ENVIO?");
    assert!(text_of(&r).contains("Shipping is €4.90"), "{}", text_of(&r));
    let r = d.say("q", "castle under 50");
    let ids = buttons_of(&r);
    assert!(ids.contains(&"add:castle".to_owned()), "{ids:?}");
    assert!(!ids.iter().any(|b| b.contains("dragon")), "{ids:?}");
    let r = d.say("q", "do you sell spaceships to mars");
    assert!(text_of(&r).contains("I'm not sure I understood"));
}

/// Asking for a person then opens a ticket carrying that question.
fn free_text_then_a_person(d: &mut impl Driver) {
    let r = d.press("q", "human");
    assert!(text_of(&r).contains("Ticket #1"), "{}", text_of(&r));
}

#[test]
fn free_text_answers_questions_searches_and_records_the_rest() {
    let mut pure = Pure::new(small_shop());
    free_text(&mut pure);
    assert_eq!(pure.world.unanswered.len(), 1);
    free_text_then_a_person(&mut pure);
    let [ticket] = pure.world.tickets.as_slice() else {
        panic!("one ticket: {:?}", pure.world.tickets);
    };
    assert!(ticket.open);
    assert_eq!(
        ticket.question.as_deref(),
        Some("do you sell spaceships to mars")
    );
}

#[test]
fn free_text_answers_questions_searches_and_records_the_rest_through_the_engine() {
    let db = temp_db();
    let mut engine = Recorded::new(Engine::open(small_shop(), &db.path).unwrap());
    let mut pure = Recorded::new(Pure::new(small_shop()));
    free_text(&mut engine);
    free_text(&mut pure);
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM unanswered"), 1);
    free_text_then_a_person(&mut engine);
    free_text_then_a_person(&mut pure);
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM tickets WHERE status = 'open' \
             AND question = 'do you sell spaceships to mars'"
        ),
        1
    );
    assert_eq!(engine.seen, pure.seen);
}

#[test]
fn spanish_customer_sees_spanish_texts_and_names() {
    let mut pure = Pure::new(small_shop());
    let transcript = pure.chat("es", &["/lang es", "1", "1", "3", "1"]);
    insta::assert_snapshot!(transcript);
    assert!(transcript.contains("Castillo del caballero") || transcript.contains("Torre del mago"));
}

fn last_unit_race(d: &mut impl Driver) {
    d.to_confirm("first", &["add:tower"]);
    d.to_confirm("second", &["add:tower"]);
    let first = d.press("first", "confirm");
    assert!(text_of(&first).contains("Your order number is #"));
    let second = d.press("second", "confirm");
    let text = text_of(&second);
    assert!(
        text.contains(
            "while you were checking out, someone bought the last units of: Wizard Tower"
        ),
        "{text}"
    );
    assert!(text.contains("Your cart is empty"), "{text}");
}

#[test]
fn stock_of_one_and_two_customers_gives_one_order_and_one_clear_sold_out() {
    let mut pure = Pure::new(small_shop());
    last_unit_race(&mut pure);
    assert_eq!(pure.world.orders.len(), 1);
    assert_eq!(pure.stock_of("tower"), 0);
}

#[test]
fn stock_of_one_and_two_customers_gives_one_order_and_one_clear_sold_out_through_the_engine() {
    let db = temp_db();
    let mut engine = Recorded::new(Engine::open(small_shop(), &db.path).unwrap());
    last_unit_race(&mut engine);
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 1);
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'tower'"),
        0
    );
    assert_eq!(integrity(&db.path), "ok");
    let mut pure = Recorded::new(Pure::new(small_shop()));
    last_unit_race(&mut pure);
    assert_eq!(engine.seen, pure.seen);
}

fn confirm_ten_times(d: &mut impl Driver) {
    d.to_confirm("c", &["add:racer", "add:racer"]);
    for i in 0..10 {
        let replies = d.press("c", "confirm");
        assert!(!replies.is_empty(), "press {i} unanswered");
        let text = text_of(&replies);
        if i == 0 {
            assert!(text.contains("Your order number is #1001"), "{text}");
        } else {
            assert!(
                text.contains("Your order #1001 is already placed"),
                "{text}"
            );
        }
    }
}

#[test]
fn confirm_pressed_ten_times_makes_one_order_and_answers_every_press() {
    let mut pure = Pure::new(small_shop());
    confirm_ten_times(&mut pure);
    assert_eq!(pure.world.orders.len(), 1);
    assert_eq!(pure.stock_of("racer"), 8);
}

#[test]
fn confirm_pressed_ten_times_makes_one_order_and_answers_every_press_through_the_engine() {
    let db = temp_db();
    let mut engine = Recorded::new(Engine::open(small_shop(), &db.path).unwrap());
    confirm_ten_times(&mut engine);
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 1);
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'racer'"),
        8
    );
    let mut pure = Recorded::new(Pure::new(small_shop()));
    confirm_ten_times(&mut pure);
    assert_eq!(engine.seen, pure.seen);
}

const BEFORE_RESTART: &[&str] = &["/catalog", "1", "1", "1", "2", "1", "Ana Pop"];
const AFTER_RESTART: &[&str] = &["+40 721 123 456"];

/// The pure core keeps its world between the two chats, as the database does.
fn restart_mid_checkout(pure: &mut Pure) -> String {
    pure.chat("r", BEFORE_RESTART);
    pure.chat("r", AFTER_RESTART)
}

#[test]
fn restart_mid_checkout_continues_where_it_stopped() {
    let transcript = restart_mid_checkout(&mut Pure::new(small_shop()));
    insta::assert_snapshot!(transcript);
    assert!(transcript.contains("Let's continue where you left off"));
    assert!(transcript.contains("What phone number"));
    assert!(transcript.contains("What is the delivery address"));
}

#[test]
fn restart_mid_checkout_continues_where_it_stopped_through_the_engine() {
    let db = temp_db();
    {
        let mut engine = Engine::open(small_shop(), &db.path).unwrap();
        chat(&mut engine, "r", BEFORE_RESTART);
    }
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    let transcript = chat(&mut engine, "r", AFTER_RESTART);
    assert_eq!(
        transcript,
        restart_mid_checkout(&mut Pure::new(small_shop()))
    );
    assert!(transcript.contains("Let's continue where you left off"));
    assert!(transcript.contains("What phone number"));
    assert!(transcript.contains("What is the delivery address"));
}

fn coupons(d: &mut impl Driver) {
    d.turn("k", Input::Start);
    d.press("k", "add:racer");
    d.press("k", "coupon");
    let r = d.say("k", "old5");
    assert!(text_of(&r).contains("that coupon has expired"));
    let r = d.say("k", "welcome10");
    assert!(text_of(&r).contains("needs an order of at least €30.00"));
    let r = d.say("k", "NOPE");
    assert!(text_of(&r).contains("I don't know that coupon code"));
    d.press("k", "cart");
    d.press("k", "add:castle");
    d.press("k", "coupon");
    let r = d.say("k", " Welcome10 ");
    let text = text_of(&r);
    assert!(text.contains("Coupon WELCOME10 applied."), "{text}");
    assert!(text.contains("Coupon WELCOME10: −€5.70"), "{text}");
    assert!(text.contains("Total: €51.30"), "{text}");
    // Confirm with the coupon: it is stored with the order.
    d.press("k", "checkout");
    d.press("k", "dlv:pickup");
    d.say("k", "Ana");
    d.say("k", "600123456");
    d.press("k", "skip");
    d.press("k", "consent:yes");
    let r = d.press("k", "pay:bank");
    let text = text_of(&r);
    assert!(
        text.contains("Delivery: Pick up in the shop (free)"),
        "{text}"
    );
    assert!(text.contains("Total: €51.30"), "{text}");
    let r = d.press("k", "confirm");
    assert!(text_of(&r).contains("Transfer the total to ES00"));
}

#[test]
fn coupons_expired_below_minimum_and_applied() {
    let mut pure = Pure::new(small_shop());
    coupons(&mut pure);
    let [order] = pure.world.orders.as_slice() else {
        panic!("one order");
    };
    assert_eq!(order.discount.cents(), 570);
    assert_eq!(order.total.cents(), 5130);
}

#[test]
fn coupons_expired_below_minimum_and_applied_through_the_engine() {
    let db = temp_db();
    let mut engine = Recorded::new(Engine::open(small_shop(), &db.path).unwrap());
    coupons(&mut engine);
    assert_eq!(count(&db.path, "SELECT discount FROM orders"), 570);
    assert_eq!(count(&db.path, "SELECT total FROM orders"), 5130);
    let mut pure = Recorded::new(Pure::new(small_shop()));
    coupons(&mut pure);
    assert_eq!(engine.seen, pure.seen);
}

#[test]
fn removing_a_coupon_minimum_drops_the_coupon_at_confirm() {
    let mut pure = Pure::new(small_shop());
    pure.turn("k", Input::Start);
    pure.press("k", "add:castle");
    pure.press("k", "coupon");
    pure.say("k", "WELCOME10");
    pure.press("k", "dec:castle");
    pure.press("k", "add:racer");
    let r = pure.to_confirm("k", &[]);
    let text = text_of(&r);
    assert!(
        text.contains("Coupon WELCOME10 no longer applies"),
        "{text}"
    );
    assert!(text.contains("Total: €16.90"), "{text}");
}

#[test]
fn a_duplicate_event_changes_nothing() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    let chat = Chat {
        channel: shopbot::channel::Channel::Terminal,
        chat_id: "d",
    };
    let first = engine
        .run_turn(
            chat,
            Event {
                key: Some("update-1"),
                ..Event::default()
            },
            &Input::Start,
            noon(),
        )
        .unwrap();
    assert!(matches!(first, TurnResult::Replies(ref r) if !r.is_empty()));
    let again = engine
        .run_turn(
            chat,
            Event {
                key: Some("update-1"),
                ..Event::default()
            },
            &Input::Start,
            noon(),
        )
        .unwrap();
    assert_eq!(again, TurnResult::Duplicate);
}

fn odd_inputs(d: &mut impl Driver) {
    d.turn("o", Input::Start);
    for input in [
        Input::Text(String::new()),
        Input::Text("   ".into()),
        Input::Text("/nonsense".into()),
        Input::Text("99".into()),
        Input::Text("\u{202e}RTL \u{200b} \u{5e9}\u{5dc}\u{5d5}\u{5dd} 🧱🧱 <b>&amp;".into()),
        Input::Text("x".repeat(10_000)),
        Input::Button("fa:::".into()),
        Input::Button("confirm".into()),
        Input::Button("cat:nope:3".into()),
        Input::Button("\u{0}\u{1}garbage".into()),
        Input::Unsupported,
        Input::Unreadable,
    ] {
        let replies = d.turn("o", input.clone());
        assert!(!replies.is_empty(), "no answer to {input:?}");
        assert!(
            !replies.iter().any(|r| r.text.trim().is_empty()),
            "blank reply to {input:?}"
        );
    }
}

#[test]
fn odd_inputs_get_helpful_answers() {
    let mut pure = Pure::new(small_shop());
    odd_inputs(&mut pure);
    assert!(pure.world.orders.is_empty());
}

#[test]
fn odd_inputs_get_helpful_answers_through_the_engine() {
    let db = temp_db();
    let mut engine = Recorded::new(Engine::open(small_shop(), &db.path).unwrap());
    odd_inputs(&mut engine);
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 0);
    let mut pure = Recorded::new(Pure::new(small_shop()));
    odd_inputs(&mut pure);
    assert_eq!(engine.seen, pure.seen);
}

const BUNDLED_EXAMPLE: &[&str] = &[
    "how much is shipping?",
    "¿puedo devolver un juguete?",
    "police car under 30",
    "1", // add the first result
    "/cart",
    "4",         // coupon code
    "WELCOME10", // below its minimum
    "BRICKS5",   // below its minimum too
    "/menu",
    "/lang es",
    "/cart",
    "3", // checkout
    "2", // pick-up
    "Ana Pop",
    "+34 600 123 456",
    "ana@example.org",
    "saltar", // skip the note, by its Spanish label
    "2",      // no marketing
    "2",      // bank transfer
    "1",      // confirm
];

#[test]
fn bundled_example_questions_search_coupon_and_checkout() {
    let mut pure = Pure::new(shopbot::shop::Shop::example());
    let transcript = pure.chat("demo", BUNDLED_EXAMPLE);
    insta::assert_snapshot!(transcript);
    assert!(
        transcript.contains("Tu número de pedido es el #1001"),
        "{transcript}"
    );
    assert_eq!(pure.world.orders.len(), 1);
}

#[test]
fn bundled_example_questions_search_coupon_and_checkout_through_the_engine() {
    let db = temp_db();
    let mut engine = Engine::open(shopbot::shop::Shop::example(), &db.path).unwrap();
    let transcript = chat(&mut engine, "demo", BUNDLED_EXAMPLE);
    assert_eq!(
        transcript,
        Pure::new(shopbot::shop::Shop::example()).chat("demo", BUNDLED_EXAMPLE)
    );
    assert!(
        transcript.contains("Tu número de pedido es el #1001"),
        "{transcript}"
    );
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 1);
}

/// `/mydata` and `/forget` after an order and a ticket: the in-memory world
/// answers these effects as the database does.
fn my_data_and_forget(d: &mut impl Driver) {
    d.to_confirm("m", &["add:racer"]);
    d.press("m", "confirm");
    d.say("m", "do you sell spaceships to mars");
    d.press("m", "human");
    d.say("m", "/end");
    let r = d.say("m", "/mydata");
    assert!(text_of(&r).contains("#1001"), "{}", text_of(&r));
    d.say("m", "/forget");
    d.press("m", "forget");
    let r = d.say("m", "/mydata");
    assert!(!text_of(&r).contains("#1001"), "{}", text_of(&r));
}

#[test]
fn my_data_and_forget_through_the_engine_and_the_pure_core_agree() {
    let db = temp_db();
    let mut engine = Recorded::new(Engine::open(small_shop(), &db.path).unwrap());
    my_data_and_forget(&mut engine);
    let mut pure = Recorded::new(Pure::new(small_shop()));
    my_data_and_forget(&mut pure);
    assert_eq!(engine.seen, pure.seen);
}
