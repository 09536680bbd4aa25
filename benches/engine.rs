//! `cargo bench --bench engine`: the speed figures of the README.
//!
//! - one customer turn through the engine (load, handle, commit with
//!   `synchronous=FULL`, outbox) on an on-disk database;
//! - a checkout's confirm (order, stock, durable commit);
//! - the finder and free-text search on a generated 10,000-product catalog,
//!   through the pure conversation core.
//!
//! Prints median and p99 of each; no assertion (this is a measurement, not a test).
//!
//! `-- --loads N` loads the big shop N times (default 5; the p99 column is
//! then the slowest); `-- --only-load` measures nothing else (for `perf`).

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use shopbot::channel::Channel;
use shopbot::conversation::{self, Input, Session};
use shopbot::engine::{Chat, Engine, Event};
use shopbot::shop::{Shop, StockLevels};

fn main() {
    let turns = arg_count("--turns", 2000);
    let loads = arg_count("--loads", 5).max(1);
    println!(
        "shopbot benchmark ({} build)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!("{:<58} {:>10} {:>10}", "what", "median", "p99");
    if std::env::args().any(|a| a == "--only-load") {
        big_shop(loads);
        return;
    }
    engine_turns(turns);
    checkouts(turns / 10);
    big_catalog(turns, loads);
}

fn arg_count(flag: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pick = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i]
    };
    println!(
        "{what:<58} {:>8.3}ms {:>8.3}ms",
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.99).as_secs_f64() * 1e3
    );
}

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().expect("timestamp")
}

fn example_engine() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = Engine::open(Shop::example(), &dir.path().join("bench.db")).expect("engine");
    (dir, engine)
}

/// Menu → finder → answers → menu, over and over, for many customers.
fn engine_turns(turns: usize) {
    let (_dir, mut engine) = example_engine();
    let buttons = ["menu", "finder", "browse", "cart", "faq"];
    let mut samples = Vec::with_capacity(turns);
    for i in 0..turns {
        let chat_id = format!("c{}", i % 200);
        let chat = Chat {
            channel: Channel::Terminal,
            chat_id: &chat_id,
        };
        let input = Input::Button(buttons[i % buttons.len()].to_owned());
        let start = Instant::now();
        engine
            .run_turn(chat, Event::default(), &input, now())
            .expect("turn");
        samples.push(start.elapsed());
    }
    report(
        "engine turn: load + handle + commit + outbox (on disk)",
        samples,
    );
}

/// Full checkouts; measures the confirm turn that places the order.
fn checkouts(count: usize) {
    let (_dir, mut engine) = example_engine();
    let product = engine
        .shop()
        .products()
        .iter()
        .find(|p| p.variants.is_empty() && p.stock.unwrap_or(0) > 0)
        .map(|p| p.id.clone())
        .expect("a product in stock");
    let mut samples = Vec::with_capacity(count);
    for i in 0..count {
        let chat_id = format!("buyer{i}");
        let chat = Chat {
            channel: Channel::Terminal,
            chat_id: &chat_id,
        };
        // Restock so every checkout can succeed.
        engine
            .store_mut()
            .sync_stock(&[(product.clone(), 1_000_000 + i64::try_from(i).unwrap_or(0))])
            .expect("restock");
        let mut run = |input: Input| {
            engine
                .run_turn(chat, Event::default(), &input, now())
                .expect("turn")
        };
        run(Input::Start);
        run(Input::Button(format!("add:{product}")));
        run(Input::Button("checkout".into()));
        let first_delivery = Shop::example().file.delivery[0].id.clone();
        run(Input::Button(format!("dlv:{first_delivery}")));
        for answer in [
            "Ana Pop",
            "+34 600 123 456",
            "ana@example.org",
            "Calle Mayor 5, Madrid",
            "no note",
        ] {
            run(Input::Text(answer.into()));
        }
        run(Input::Button("consent:no".into()));
        run(Input::Button("pay:cash".into()));
        let start = Instant::now();
        run(Input::Button("confirm".into()));
        samples.push(start.elapsed());
    }
    report("checkout confirm: order + stock + durable commit", samples);
}

/// A generated shop of 10,000 products, loaded `loads` times (the text is
/// generated once, outside the timing).
fn big_shop(loads: usize) -> Shop {
    const NOUNS: &[&str] = &[
        "castle", "rocket", "truck", "dragon", "station", "garden", "robot", "ship", "train",
        "house",
    ];
    const ADJ: &[&str] = &[
        "red", "giant", "tiny", "flying", "secret", "royal", "space", "city", "magic", "rapid",
    ];
    const TAGS: &[&str] = &["kids", "adults", "teens", "family"];
    const LIKES: &[&str] = &["vehicles", "space", "castles", "animals", "creative"];
    let mut toml = String::from(
        "[shop]\nname = \"Big\"\ncurrency = \"EUR\"\n\n[[categories]]\nid = \"all\"\nname = \"All\"\n\n",
    );
    for i in 0..10_000usize {
        let _ = write!(
            toml,
            "[[products]]\nid = \"p{i}\"\nname = \"{} {} {i}\"\ndescription = \"A {} {} set number {i}.\"\nprice = {}.99\nstock = {}\ncategory = \"all\"\ntags = [\"{}\", \"{}\"]\nattributes = {{ age = [{}, {}] }}\n\n",
            ADJ[i % ADJ.len()],
            NOUNS[(i / 10) % NOUNS.len()],
            ADJ[(i / 7) % ADJ.len()],
            NOUNS[i % NOUNS.len()],
            5 + i % 190,
            i % 7,
            TAGS[i % TAGS.len()],
            LIKES[i % LIKES.len()],
            3 + i % 10,
            8 + i % 30,
        );
    }
    toml.push_str(
        r#"[[finder]]
id = "who"
question = "Who?"
options = [{ id = "kid", label = "Kid", tags = ["kids"] }, { id = "adult", label = "Adult", tags = ["adults"] }]

[[finder]]
id = "age"
question = "Age?"
options = [{ id = "young", label = "4-6", attribute = "age", min = 4, max = 6 }, { id = "old", label = "14+", attribute = "age", min = 14 }]

[[finder]]
id = "budget"
question = "Budget?"
options = [{ id = "low", label = "Under 20", price_max = 20 }, { id = "any", label = "Any", any = true }]

[[finder]]
id = "likes"
question = "Likes?"
options = [{ id = "space", label = "Space", tags = ["space"] }, { id = "castles", label = "Castles", tags = ["castles"] }]

[[questions]]
id = "shipping"
title = "Shipping"
ask = ["shipping", "delivery cost", "envío"]
answer = "Shipping is 4.90."

[[delivery]]
id = "courier"
name = "Courier"
price = 4.90

[[payment]]
id = "cash"
kind = "cash"
name = "Cash"
"#,
    );
    let mut samples = Vec::with_capacity(loads);
    let mut shop = None;
    for _ in 0..loads {
        let started = Instant::now();
        let loaded =
            Shop::from_source("big.toml", &toml, ".".into()).expect("the generated shop is valid");
        samples.push(started.elapsed());
        shop = Some(loaded);
    }
    report(
        "load + validate + index a 10,000-product shop.toml",
        samples,
    );
    shop.expect("loaded at least once")
}

fn big_catalog(turns: usize, loads: usize) {
    let shop = big_shop(loads);
    let stock = StockLevels::from_shop(&shop);
    let mut session = Session::new("en", "bench");
    session.step = conversation::Step::Finder { question: 3 };
    session.finder = vec![
        ("who".into(), "kid".into()),
        ("age".into(), "old".into()),
        ("budget".into(), "low".into()),
    ];
    let answer = Input::Button("fa:likes:space".into());
    let mut samples = Vec::with_capacity(turns);
    for _ in 0..turns {
        let start = Instant::now();
        black_box(conversation::handle(
            &shop,
            &stock,
            &session,
            &answer,
            now(),
        ));
        samples.push(start.elapsed());
    }
    report("finder results, 10,000 products (pure handle)", samples);
    let queries = [
        "red castle under 50",
        "flying rocket",
        "giant dragon between 20 and 40",
        "secret garden 4512",
    ];
    let menu = Session::new("en", "bench");
    let mut samples = Vec::with_capacity(turns);
    for i in 0..turns {
        let input = Input::Text(queries[i % queries.len()].into());
        let start = Instant::now();
        black_box(conversation::handle(&shop, &stock, &menu, &input, now()));
        samples.push(start.elapsed());
    }
    report("free-text search, 10,000 products (pure handle)", samples);
    let input = Input::Text("how much is shipping?".into());
    let mut samples = Vec::with_capacity(turns);
    for _ in 0..turns {
        let start = Instant::now();
        black_box(conversation::handle(&shop, &stock, &menu, &input, now()));
        samples.push(start.elapsed());
    }
    report("common question, 10,000 products (pure handle)", samples);
}
