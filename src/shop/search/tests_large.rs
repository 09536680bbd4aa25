//! A generated 10,000-product catalog: correctness, and an optional timing report.

use std::fmt::Write as _;

use super::*;

const WORDS: [&str; 10] = [
    "castle", "dragon", "puzzle", "rocket", "garden", "pirate", "robot", "train", "doll", "kite",
];

const QUESTIONS: &str = r#"
[[questions]]
id = "shipping"
title = "Shipping"
ask = ["shipping", "how much does shipping cost"]
answer = "4.90"
i18n.es.ask = ["envío", "envíos"]

[[questions]]
id = "returns"
title = "Returns"
ask = ["refund", "can I return a toy"]
answer = "30 days"
"#;

/// Product `i` is named "{WORDS[i % 10]} {WORDS[i / 10 % 10]} model{i}" and costs `i % 100`.
fn catalog() -> ShopFile {
    let mut toml = String::from("[shop]\nname = \"Big\"\ncurrency = \"EUR\"\n");
    for i in 0..10_000 {
        let (a, b) = (WORDS[i % 10], WORDS[(i / 10) % 10]);
        writeln!(
            toml,
            "[[products]]\nid = \"p{i}\"\nname = \"{a} {b} model{i}\"\nprice = {}\n\
             description = \"Item number {i}\"\nstock = 1\ncategory = \"c{}\"\n\
             i18n.es.name = \"Juguete {i}\"",
            i % 100,
            i % 7
        )
        .unwrap();
    }
    toml.push_str(QUESTIONS);
    toml::from_str(&toml).unwrap()
}

#[test]
fn large_catalog_uses_the_index_correctly() {
    let file = catalog();
    let index = SearchIndex::build(&file);

    // One word: products naming it first or second.
    let hits = index.search(&file, "rockets").unwrap();
    assert_eq!(hits.products.len(), 1000 + 900);
    let both = index.search(&file, "rocket dragon").unwrap();
    assert_eq!(both.products.len(), 1900 + 1900 - 200);
    // Products naming both words come first, in file order.
    assert_eq!(both.products[..2], [13, 31]);
    for &i in &both.products[..200] {
        let name = &file.products[i].name;
        assert!(name.contains("rocket") && name.contains("dragon"), "{name}");
    }
    assert!(both.products[..200].is_sorted());
    // A unique model number, a translated name, and price bounds on a big result.
    assert_eq!(index.search(&file, "model4242").unwrap().products, [4242]);
    assert_eq!(index.search(&file, "juguete 777").unwrap().products[0], 777);
    let dear = index.search(&file, "kite over 95").unwrap();
    assert_eq!(dear.products.len(), 500);
    for &i in &dear.products {
        assert!(file.products[i].price >= Money::from_cents(9500));
        assert!(file.products[i].name.contains("kite"));
    }
    let cheap = index.search(&file, "anything under 1").unwrap();
    assert_eq!(cheap.products.len(), 200);
    assert_eq!(index.search(&file, "xyzzy"), None);
    assert_eq!(index.common_question("¿hacéis envíos?"), Some(0));
    assert_eq!(index.common_question("I want a refund"), Some(1));
    assert_eq!(index.common_question("rocket dragon"), None);
}

/// Prints query times: `cargo test --release -- --ignored --nocapture report_query_times`.
#[test]
#[ignore = "timing report, not a check"]
fn report_query_times() {
    let file = catalog();
    let start = std::time::Instant::now();
    let index = SearchIndex::build(&file);
    println!("build: {:?}", start.elapsed());
    let long = "tell me about castles and dragons please ".repeat(250);
    let noise = "xyzzy plugh über 🏰 ".repeat(250);
    let queries = [
        "castle under 50",
        "castillo por menos de 50",
        "something under 20",
        "cast",
        "dargon",
        "castles dragons",
        "how much is shipping",
        long.as_str(),
        noise.as_str(),
    ];
    for text in queries {
        let runs = 200;
        let start = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..runs {
            n += index.search(&file, text).map_or(0, |h| h.products.len());
        }
        let searching = start.elapsed() / runs;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            n += index.common_question(text).unwrap_or(0);
        }
        let asking = start.elapsed() / runs;
        let text: String = text.chars().take(30).collect();
        println!("{text:>30}: search {searching:?}, question {asking:?} ({n})");
    }
}
