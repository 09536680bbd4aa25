//! Whole customer journeys through the real engine, on an on-disk database.
//! Transcripts are snapshots: read them in `tests/snapshots/` as the dialogue.

mod support;

use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, TurnResult};
use support::*;

#[test]
fn finder_to_order_in_the_terminal() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    let transcript = chat(
        &mut engine,
        "ana",
        &[
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
        ],
    );
    insta::assert_snapshot!(transcript);
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
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    turn(&mut engine, "c", Input::Start);
    press(&mut engine, "c", "finder");
    press(&mut engine, "c", "fa:who:kid");
    press(&mut engine, "c", "fa:budget:high");
    let replies = press(&mut engine, "c", "fa:likes:castles");
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
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    turn(&mut engine, "c", Input::Start);
    press(&mut engine, "c", "finder");
    press(&mut engine, "c", "fa:who:adult");
    let back = press(&mut engine, "c", "fb");
    assert!(text_of(&back).contains("Question 1 of 3"));
    // An answer to a question that is not the current one is stale.
    let stale = press(&mut engine, "c", "fa:likes:vehicles");
    assert!(text_of(&stale).contains("That button has expired"));
    assert!(text_of(&stale).contains("Question 1 of 3"));
    press(&mut engine, "c", "fa:who:adult");
    let again = press(&mut engine, "c", "fr");
    assert!(text_of(&again).contains("Question 1 of 3"));
}

#[test]
fn browsing_pages_variants_and_sold_out() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    let transcript = chat(
        &mut engine,
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
    let replies = press(&mut engine, "x", "p:dragon");
    assert!(!buttons_of(&replies).iter().any(|b| b.starts_with("add:")));
    let replies = press(&mut engine, "x", "p:truck");
    let buttons = buttons_of(&replies);
    assert!(buttons.contains(&"add:truck:red".to_owned()));
    assert!(!buttons.contains(&"add:truck:blue".to_owned()));
    // Pressing a forged add for a sold-out product changes nothing.
    let replies = press(&mut engine, "x", "add:dragon");
    assert!(text_of(&replies).contains("Sorry, Dragon Lair is sold out."));
    let replies = press(&mut engine, "x", "add:truck:blue");
    assert!(text_of(&replies).contains("sold out"));
    let replies = press(&mut engine, "x", "cart");
    assert!(text_of(&replies).contains("Your cart is empty"));
}

#[test]
fn free_text_answers_questions_searches_and_records_the_rest() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    turn(&mut engine, "q", Input::Start);
    let r = say(&mut engine, "q", "How much is shipping?");
    assert!(text_of(&r).contains("Shipping is €4.90"), "{}", text_of(&r));
    let r = say(&mut engine, "q", "¿Cuánto son los gastos de ENVIO?");
    assert!(text_of(&r).contains("Shipping is €4.90"), "{}", text_of(&r));
    let r = say(&mut engine, "q", "castle under 50");
    let ids = buttons_of(&r);
    assert!(ids.contains(&"add:castle".to_owned()), "{ids:?}");
    assert!(!ids.iter().any(|b| b.contains("dragon")), "{ids:?}");
    let r = say(&mut engine, "q", "do you sell spaceships to mars");
    assert!(text_of(&r).contains("I'm not sure I understood"));
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM unanswered"), 1);
    // Asking for a person then opens a ticket carrying that question.
    let r = press(&mut engine, "q", "human");
    assert!(text_of(&r).contains("Ticket #1"), "{}", text_of(&r));
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM tickets WHERE status = 'open' \
             AND question = 'do you sell spaceships to mars'"
        ),
        1
    );
}

#[test]
fn spanish_customer_sees_spanish_texts_and_names() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    let transcript = chat(&mut engine, "es", &["/lang es", "1", "1", "3", "1"]);
    insta::assert_snapshot!(transcript);
    assert!(transcript.contains("Castillo del caballero") || transcript.contains("Torre del mago"));
}

#[test]
fn stock_of_one_and_two_customers_gives_one_order_and_one_clear_sold_out() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    to_confirm(&mut engine, "first", &["add:tower"]);
    to_confirm(&mut engine, "second", &["add:tower"]);
    let first = press(&mut engine, "first", "confirm");
    assert!(text_of(&first).contains("Your order number is #"));
    let second = press(&mut engine, "second", "confirm");
    let text = text_of(&second);
    assert!(
        text.contains(
            "while you were checking out, someone bought the last units of: Wizard Tower"
        ),
        "{text}"
    );
    assert!(text.contains("Your cart is empty"), "{text}");
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 1);
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'tower'"),
        0
    );
    assert_eq!(integrity(&db.path), "ok");
}

#[test]
fn confirm_pressed_ten_times_makes_one_order_and_answers_every_press() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    to_confirm(&mut engine, "c", &["add:racer", "add:racer"]);
    for i in 0..10 {
        let replies = press(&mut engine, "c", "confirm");
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
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 1);
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'racer'"),
        8
    );
}

#[test]
fn restart_mid_checkout_continues_where_it_stopped() {
    let db = temp_db();
    {
        let mut engine = Engine::open(small_shop(), &db.path).unwrap();
        chat(
            &mut engine,
            "r",
            &["/catalog", "1", "1", "1", "2", "1", "Ana Pop"],
        );
    }
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    let transcript = chat(&mut engine, "r", &["+40 721 123 456"]);
    insta::assert_snapshot!(transcript);
    assert!(transcript.contains("Let's continue where you left off"));
    assert!(transcript.contains("What phone number"));
    assert!(transcript.contains("What is the delivery address"));
}

#[test]
fn coupons_expired_below_minimum_and_applied() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    turn(&mut engine, "k", Input::Start);
    press(&mut engine, "k", "add:racer");
    press(&mut engine, "k", "coupon");
    let r = say(&mut engine, "k", "old5");
    assert!(text_of(&r).contains("that coupon has expired"));
    let r = say(&mut engine, "k", "welcome10");
    assert!(text_of(&r).contains("needs an order of at least €30.00"));
    let r = say(&mut engine, "k", "NOPE");
    assert!(text_of(&r).contains("I don't know that coupon code"));
    press(&mut engine, "k", "cart");
    press(&mut engine, "k", "add:castle");
    press(&mut engine, "k", "coupon");
    let r = say(&mut engine, "k", " Welcome10 ");
    let text = text_of(&r);
    assert!(text.contains("Coupon WELCOME10 applied."), "{text}");
    assert!(text.contains("Coupon WELCOME10: −€5.70"), "{text}");
    assert!(text.contains("Total: €51.30"), "{text}");
    // Confirm with the coupon: it is stored with the order.
    press(&mut engine, "k", "checkout");
    press(&mut engine, "k", "dlv:pickup");
    say(&mut engine, "k", "Ana");
    say(&mut engine, "k", "600123456");
    press(&mut engine, "k", "skip");
    press(&mut engine, "k", "consent:yes");
    let r = press(&mut engine, "k", "pay:bank");
    let text = text_of(&r);
    assert!(
        text.contains("Delivery: Pick up in the shop (free)"),
        "{text}"
    );
    assert!(text.contains("Total: €51.30"), "{text}");
    let r = press(&mut engine, "k", "confirm");
    assert!(text_of(&r).contains("Transfer the total to ES00"));
    assert_eq!(count(&db.path, "SELECT discount FROM orders"), 570);
    assert_eq!(count(&db.path, "SELECT total FROM orders"), 5130);
}

#[test]
fn removing_a_coupon_minimum_drops_the_coupon_at_confirm() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    turn(&mut engine, "k", Input::Start);
    press(&mut engine, "k", "add:castle");
    press(&mut engine, "k", "coupon");
    say(&mut engine, "k", "WELCOME10");
    press(&mut engine, "k", "dec:castle");
    press(&mut engine, "k", "add:racer");
    let r = to_confirm(&mut engine, "k", &[]);
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

#[test]
fn odd_inputs_get_helpful_answers() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    turn(&mut engine, "o", Input::Start);
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
        let replies = turn(&mut engine, "o", input.clone());
        assert!(!replies.is_empty(), "no answer to {input:?}");
        assert!(
            !replies.iter().any(|r| r.text.trim().is_empty()),
            "blank reply to {input:?}"
        );
    }
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 0);
}

#[test]
fn bundled_example_questions_search_coupon_and_checkout() {
    let db = temp_db();
    let mut engine = Engine::open(shopbot::shop::Shop::example(), &db.path).unwrap();
    let transcript = chat(
        &mut engine,
        "demo",
        &[
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
        ],
    );
    insta::assert_snapshot!(transcript);
    assert!(
        transcript.contains("Tu número de pedido es el #1001"),
        "{transcript}"
    );
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 1);
}
