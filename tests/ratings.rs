//! Ratings on the cards: the stars customers give after delivery, shown on
//! product cards and in search results with exact averages, the latest
//! comments on the product's details, `/hide-review`, `/forget`, hostile
//! comments shown as text, one rating per order, and the figures.
//!
//! Four customers rate orders whose products overlap:
//!
//! | order | customer | products              | stars | comment        |
//! |-------|----------|-----------------------|-------|----------------|
//! | 1001  | a        | castle ×2, racer      | 5     | "Lovely…"      |
//! | 1002  | b        | castle, tower         | 4     | hostile text   |
//! | 1003  | c        | castle, racer         | 4     | "Good"         |
//! | 1004  | d        | tower                 | 2     | (skipped)      |
//!
//! The castle: 5 + 4 + 4 = 13 over 3 ratings, 4.333… → "★ 4.3 · 3 reviews"
//! (two castles in one order count once). The racer and the tower have 2
//! ratings each: below the minimum of 3, no rating line.

mod support;
#[path = "ratings/world.rs"]
mod world;

use shopbot::conversation::Input;
use support::{noon, temp_db};
use world::{OWNER, card, delivered_order, hours, number, open, press, rate, say, texts};

const HOSTILE: &str =
    "\u{202E}<b>bold</b> *bold* [x](http://evil) zero\u{200B}width & co\nnext line";
const HOSTILE_SHOWN: &str = "<b>bold</b> *bold* [x](http://evil) zerowidth & co next line";

/// The four rated orders of the table above, each rated an hour after the last.
fn rated_shop(db: &support::TempDb) -> shopbot::engine::Engine {
    let mut engine = open(db, "");
    let at = noon();
    let n1 = delivered_order(
        &mut engine,
        "a",
        &["add:castle", "add:castle", "add:racer"],
        at,
    );
    let n2 = delivered_order(&mut engine, "b", &["add:castle", "add:tower"], at);
    let n3 = delivered_order(&mut engine, "c", &["add:castle", "add:racer"], at);
    let n4 = delivered_order(&mut engine, "d", &["add:tower"], at);
    assert_eq!([&n1, &n2, &n3, &n4], ["1001", "1002", "1003", "1004"]);
    rate(
        &mut engine,
        "a",
        "1001",
        5,
        Some("Lovely castle, fast delivery"),
        hours(1),
    );
    rate(&mut engine, "b", "1002", 4, Some(HOSTILE), hours(2));
    rate(&mut engine, "c", "1003", 4, Some("Good"), hours(3));
    rate(&mut engine, "d", "1004", 2, None, hours(4));
    engine
}

const CASTLE_EN: &str = "Knight's Castle — €45.00\n★ 4.3 · 3 reviews\nIn stock\n\
     A big castle with towers. Knights included.\n\nWhat customers say:\n\
     ★★★★☆ “Good”\n";

#[test]
fn cards_show_the_exact_average_from_the_minimum_and_the_latest_comments() {
    let db = temp_db();
    let mut engine = rated_shop(&db);
    let sent = press(&mut engine, "z", "p:castle", hours(5));
    assert_eq!(
        card(&sent, "z", "Knight's Castle"),
        format!("{CASTLE_EN}★★★★☆ “{HOSTILE_SHOWN}”\n★★★★★ “Lovely castle, fast delivery”")
    );
    // Two ratings each: no rating line at all.
    let racer = card(
        &press(&mut engine, "z", "p:racer", hours(5)),
        "z",
        "Race Car",
    );
    assert_eq!(racer, "Race Car — €12.00\nIn stock\nA fast car.");
    let tower = card(
        &press(&mut engine, "z", "p:tower", hours(5)),
        "z",
        "Wizard Tower",
    );
    assert!(!tower.contains('★'), "{tower}");
    // The figures kept are exactly the table's.
    assert_eq!(
        number(
            &db.path,
            "SELECT ratings * 100 + stars FROM product_ratings WHERE product_id = 'castle'"
        ),
        313
    );
    assert_eq!(
        number(
            &db.path,
            "SELECT ratings * 100 + stars FROM product_ratings WHERE product_id = 'racer'"
        ),
        209
    );
    assert_eq!(
        number(
            &db.path,
            "SELECT ratings * 100 + stars FROM product_ratings WHERE product_id = 'tower'"
        ),
        206
    );
    // A third tower rating (3 stars): 4 + 2 + 3 = 9 over 3, live on the next card.
    let n5 = delivered_order(&mut engine, "e", &["add:tower"], hours(6));
    rate(&mut engine, "e", &n5, 3, None, hours(6));
    let tower = card(
        &press(&mut engine, "z", "p:tower", hours(6)),
        "z",
        "Wizard Tower",
    );
    assert!(tower.contains("\n★ 3.0 · 3 reviews\n"), "{tower}");
}

#[test]
fn search_results_show_the_rating_line_without_comments_and_spanish_writes_a_comma() {
    let db = temp_db();
    let mut engine = rated_shop(&db);
    let sent = say(&mut engine, "z", "knight", hours(5));
    assert_eq!(
        card(&sent, "z", "Knight's Castle"),
        "Knight's Castle — €45.00\n★ 4.3 · 3 reviews\nA big castle with towers."
    );
    press(&mut engine, "s", "lang:es", hours(5));
    let sent = press(&mut engine, "s", "p:castle", hours(5));
    assert_eq!(
        card(&sent, "s", "Castillo del caballero"),
        format!(
            "Castillo del caballero — 45,00 €\n★ 4,3 · 3 opiniones\nDisponible\n\
             Un gran castillo con torres.\n\nLo que dicen los clientes:\n★★★★☆ «Good»\n\
             ★★★★☆ «{HOSTILE_SHOWN}»\n★★★★★ «Lovely castle, fast delivery»"
        )
    );
}

#[test]
fn rating_an_order_again_replaces_its_stars_and_a_redelivered_press_changes_nothing() {
    let db = temp_db();
    let mut engine = rated_shop(&db);
    // The same press delivered twice (one event key): counted once.
    let press_again = |engine: &mut shopbot::engine::Engine, stars: u8, at| {
        let input = Input::Button(format!("rate:1001:{stars}"));
        world::turn_keyed(engine, "a", &input, Some("update-77"), at)
    };
    assert!(!press_again(&mut engine, 3, hours(5)).is_empty());
    assert!(press_again(&mut engine, 3, hours(5)).is_empty());
    // Order 1001 now has 3 stars: the castle has 3 + 4 + 4 = 11 over 3 ratings.
    let castle = card(
        &press(&mut engine, "z", "p:castle", hours(5)),
        "z",
        "Knight's",
    );
    assert!(castle.contains("\n★ 3.7 · 3 reviews\n"), "{castle}");
    // Rated again with 5 stars (a new press): back to 13 over 3, never 4 ratings.
    press(&mut engine, "a", "rate:1001:5", hours(6));
    press(&mut engine, "a", "skip", hours(6));
    let castle = card(
        &press(&mut engine, "z", "p:castle", hours(6)),
        "z",
        "Knight's",
    );
    assert!(castle.contains("\n★ 4.3 · 3 reviews\n"), "{castle}");
    assert_eq!(
        number(
            &db.path,
            "SELECT COUNT(*) FROM feedback WHERE order_number = '1001'"
        ),
        1
    );
    // Someone else's press on the order rates nothing.
    let sent = press(&mut engine, "z", "rate:1001:1", hours(6));
    assert!(texts(&sent, "z").join("\n").contains("has expired"));
    let castle = card(
        &press(&mut engine, "z", "p:castle", hours(6)),
        "z",
        "Knight's",
    );
    assert!(castle.contains("\n★ 4.3 · 3 reviews\n"), "{castle}");
    // The aggregates still equal what the feedback says, order by order.
    assert_eq!(
        number(
            &db.path,
            "SELECT COUNT(*) FROM product_ratings r WHERE r.stars <> (
                 SELECT SUM(f.stars) FROM feedback f JOIN orders o ON o.number = f.order_number
                 WHERE o.id IN (SELECT order_id FROM order_items WHERE product_id = r.product_id))"
        ),
        0
    );
}

#[test]
fn the_owner_hides_a_comment_its_stars_still_count_and_unhides_it() {
    let db = temp_db();
    let mut engine = rated_shop(&db);
    let sent = say(&mut engine, OWNER, "/hide-review 1003", hours(5));
    assert_eq!(
        texts(&sent, OWNER),
        [
            "The comment on order #1003 no longer shows on product cards (its stars still count). \
          /unhide-review 1003 shows it again."
        ]
    );
    let castle = card(
        &press(&mut engine, "z", "p:castle", hours(5)),
        "z",
        "Knight's",
    );
    assert!(castle.contains("\n★ 4.3 · 3 reviews\n"), "{castle}");
    assert!(!castle.contains("Good"), "{castle}");
    assert!(
        castle.ends_with("“Lovely castle, fast delivery”"),
        "{castle}"
    );
    // An order without a comment, or none at all: said, nothing changes.
    for n in ["1004", "9999"] {
        let sent = say(&mut engine, OWNER, &format!("/hide-review {n}"), hours(5));
        assert_eq!(
            texts(&sent, OWNER),
            [format!("Order #{n} has no feedback comment.")]
        );
    }
    // A customer cannot use it: it is the shop's conversation for them.
    let sent = say(&mut engine, "c", "/unhide-review 1003", hours(5));
    assert!(texts(&sent, OWNER).is_empty());
    let castle = card(
        &press(&mut engine, "z", "p:castle", hours(5)),
        "z",
        "Knight's",
    );
    assert!(!castle.contains("Good"), "{castle}");
    let sent = say(&mut engine, OWNER, "/unhide-review #1003", hours(6));
    assert_eq!(
        texts(&sent, OWNER),
        ["The comment on order #1003 shows on product cards again."]
    );
    let castle = card(
        &press(&mut engine, "z", "p:castle", hours(6)),
        "z",
        "Knight's",
    );
    assert!(
        castle.contains("\nWhat customers say:\n★★★★☆ “Good”\n"),
        "{castle}"
    );
    let help = texts(&say(&mut engine, OWNER, "/help", hours(6)), OWNER).join("\n");
    assert!(help.contains("/hide-review N") && help.contains("/unhide-review N"));
}

#[test]
fn the_owners_notice_of_a_comment_says_how_to_hide_it() {
    let db = temp_db();
    let mut engine = open(&db, "");
    let n = delivered_order(&mut engine, "a", &["add:castle"], noon());
    press(&mut engine, "a", &format!("rate:{n}:4"), hours(1));
    let sent = say(&mut engine, "a", "Nice", hours(1));
    assert_eq!(
        texts(&sent, OWNER),
        ["💬 Comment on order #1001 from Customer a (@a): Nice\n\
          It shows on the product cards; to keep it off them: /hide-review 1001"]
    );
}

#[test]
fn a_forgotten_customers_comment_is_gone_from_the_cards_and_their_stars_stay() {
    let db = temp_db();
    let mut engine = rated_shop(&db);
    // Another customer saw the comment on a card before: that message quotes
    // the comment's author, and the chat's history does not keep it.
    let seen = card(
        &press(&mut engine, "z", "p:castle", hours(5)),
        "z",
        "Knight's",
    );
    assert!(seen.contains("Lovely castle"), "{seen}");
    assert_eq!(
        number(
            &db.path,
            "SELECT COUNT(*) FROM history WHERE text LIKE '%Lovely%'"
        ),
        1,
        "only the author's own line"
    );
    say(&mut engine, "a", "/forget", hours(5));
    let sent = press(&mut engine, "a", "forget", hours(5));
    assert!(!sent.is_empty());
    for file in ["", "-wal"] {
        let path = format!("{}{file}", db.path.display());
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(13).any(|w| w == b"Lovely castle"),
            "{path} still holds the forgotten customer's comment"
        );
    }
    let castle = card(
        &press(&mut engine, "z", "p:castle", hours(5)),
        "z",
        "Knight's",
    );
    assert!(castle.contains("\n★ 4.3 · 3 reviews\n"), "{castle}");
    assert!(!castle.contains("Lovely"), "{castle}");
    assert_eq!(
        number(
            &db.path,
            "SELECT COUNT(*) FROM feedback WHERE comment LIKE '%Lovely%'"
        ),
        0
    );
    assert_eq!(
        number(
            &db.path,
            "SELECT stars FROM feedback WHERE order_number = '1001'"
        ),
        5
    );
    // After a restart too: the cards are read from the database again.
    drop(engine);
    let mut engine = open(&db, "");
    let again = card(
        &press(&mut engine, "z", "p:castle", hours(6)),
        "z",
        "Knight's",
    );
    assert_eq!(again, castle);
    let sent = say(&mut engine, OWNER, "/hide-review 1001", hours(6));
    assert_eq!(
        texts(&sent, OWNER),
        ["Order #1001 has no feedback comment."]
    );
}

#[test]
fn the_minimum_and_the_comments_shown_come_from_shop_toml() {
    let db = temp_db();
    drop(rated_shop(&db));
    let mut engine = open(&db, "[reviews]\nmin_count = 2\nshow_comments = 1\n");
    let racer = card(
        &press(&mut engine, "z", "p:racer", hours(5)),
        "z",
        "Race Car",
    );
    // 5 + 4 over 2: 4.5; one comment, the latest (order 1003's).
    assert_eq!(
        racer,
        "Race Car — €12.00\n★ 4.5 · 2 reviews\nIn stock\nA fast car.\n\n\
         What customers say:\n★★★★☆ “Good”"
    );
    drop(engine);
    let mut engine = open(&db, "[reviews]\nmin_count = 4\nshow_comments = 0\n");
    let castle = card(
        &press(&mut engine, "z", "p:castle", hours(5)),
        "z",
        "Knight's",
    );
    assert_eq!(
        castle,
        "Knight's Castle — €45.00\nIn stock\nA big castle with towers. Knights included."
    );
}

#[test]
fn the_figures_show_satisfaction_per_product_and_per_week_exactly() {
    let db = temp_db();
    let mut engine = rated_shop(&db);
    // A rating eight days later falls in the next week (weeks from Monday).
    let n5 = delivered_order(&mut engine, "e", &["add:tower"], hours(8 * 24));
    rate(&mut engine, "e", &n5, 3, None, hours(8 * 24));
    let now = hours(8 * 24 + 1);
    let shop = engine.shop().clone();
    let stats = engine
        .store()
        .stats(30, now, &shop.time_zone, shop.currency())
        .unwrap();
    let s = &stats.satisfaction;
    // Each rated order once: 5 + 4 + 4 + 2 + 3 = 18 over 5 = 3.6.
    assert_eq!(
        (s.total.count, s.total.sum, s.total.stars),
        (5, 18, [0, 1, 1, 2, 1])
    );
    let products: Vec<(&str, u64, u64, [u64; 5])> = s
        .per_product
        .iter()
        .map(|p| {
            (
                p.product_id.as_str(),
                p.tally.count,
                p.tally.sum,
                p.tally.stars,
            )
        })
        .collect();
    assert_eq!(
        products,
        [
            ("castle", 3, 13, [0, 0, 0, 2, 1]),
            ("tower", 3, 9, [0, 1, 1, 1, 0]),
            ("racer", 2, 9, [0, 0, 0, 1, 1]),
        ]
    );
    assert!(!s.by_month);
    let weeks: Vec<(&str, u64, u64)> = s
        .over_time
        .iter()
        .filter(|w| w.tally.count > 0)
        .map(|w| (w.start.as_str(), w.tally.count, w.tally.sum))
        .collect();
    assert_eq!(weeks, [("2026-11-23", 4, 15), ("2026-11-30", 1, 3)]);
    // 30 days up to 2026-12-03: the weeks from Monday 2026-11-02 on.
    assert_eq!(s.over_time.len(), 5);
    assert_eq!(s.over_time[0].start, "2026-11-02");

    let text = texts(&say(&mut engine, OWNER, "/stats", now), OWNER).join("\n");
    assert!(
        text.contains(
            "Satisfaction: ★ 3.6 from 5 rated orders (1★ 0 · 2★ 1 · 3★ 1 · 4★ 2 · 5★ 1)\n\
             Ratings per product:\n  Knight's Castle: ★ 4.3 · 3\n  Wizard Tower: ★ 3.0 · 3\n  \
             Race Car: ★ 4.5 · 2"
        ),
        "{text}"
    );
    let html = shopbot::report::html(&shop, &stats).unwrap();
    assert!(
        html.contains(
            "<tr class=\"product\" data-key=\"castle\"><th scope=\"row\" class=\"text\">\
             <bdi>Knight&#39;s Castle</bdi></th><td>4.3</td><td>3</td><td>0</td><td>0</td>\
             <td>0</td><td>2</td><td>1</td></tr>"
        ),
        "{html}"
    );
    assert!(
        html.contains(
            "<tr class=\"period\" data-key=\"2026-11-30\"><th scope=\"row\" class=\"text\">\
             <bdi>2026-11-30</bdi></th><td>3.0</td><td>1</td><td>0</td><td>0</td><td>1</td>\
             <td>0</td><td>0</td></tr>"
        ),
        "{html}"
    );
    assert!(html.contains("<h2>Satisfaction per week</h2>"));
    // No ratings in a period: said plainly.
    let quiet = engine
        .store()
        .stats(1, hours(30 * 24), &shop.time_zone, shop.currency())
        .unwrap();
    assert_eq!(quiet.satisfaction.total.count, 0);
    let html = shopbot::report::html(&shop, &quiet).unwrap();
    assert!(html.contains("<p class=\"note\">No ratings in this period.</p>"));
    assert!(
        shopbot::report::text(&shop, &quiet).contains("Satisfaction: no ratings in this period.")
    );
}
