//! Free-text understanding: common questions and product search.

use shopbot::shop::search::{SearchHits, SearchIndex, normalize};
use shopbot::shop::{Money, ShopFile};

const SHOP: &str = r#"
[shop]
name = "Toy Shop"
currency = "EUR"

[[categories]]
id = "castles"
name = "Castles"
i18n.es.name = "Castillos"
i18n.ro.name = "Castele"

[[categories]]
id = "puzzles"
name = "Puzzles"
i18n.es.name = "Rompecabezas"

[[products]]
id = "small-castle"
name = "Small Castle"
description = "A wooden castle with two towers."
price = 29.99
stock = 5
category = "castles"
tags = ["wood", "medieval"]
i18n.es.name = "Castillo pequeño"
i18n.es.description = "Un castillo de madera con dos torres."
i18n.ro.name = "Castel mic"

[[products]]
id = "dragon"
name = "Red Dragon"
description = "A dragon that guards the castle."
price = 15
stock = 3
category = "figures"
tags = ["fantasy"]
i18n.es.name = "Dragón rojo"

[[products]]
id = "big-castle"
name = "Big Castle"
description = "Knights, horses and a drawbridge."
price = 79.50
stock = 2
category = "castles"
i18n.es.name = "Castillo grande"

[[products]]
id = "night-sky"
name = "Night Sky Puzzle"
description = "1000 pieces of stars."
price = 19.90
stock = 8
category = "puzzles"
tags = ["space"]
i18n.es.name = "Puzle del cielo nocturno"

[[products]]
id = "teddy"
name = "Teddy Bear"
price = 24
category = "plush"
i18n.ro.name = "Ursuleț de pluș"

[[products.variants]]
id = "brown"
name = "Brown"
stock = 3
i18n.es.name = "Marrón"

[[products]]
id = "ball"
name = "Bouncing Ball"
description = "Rubber ball for the garden."
price = 4.5
stock = 20
category = "outdoor"
i18n.es.name = "Pelota saltarina"
i18n.ro.name = "Minge săritoare"

[[questions]]
id = "shipping"
title = "Shipping"
ask = ["shipping", "shipping cost", "how much does shipping cost", "delivery"]
answer = "Shipping is 4.90, free from 50."
i18n.es.title = "Envío"
i18n.es.ask = ["envío", "envíos", "cuánto cuesta el envío"]
i18n.es.answer = "El envío cuesta 4,90."
i18n.ro.ask = ["livrare", "transport"]

[[questions]]
id = "returns"
title = "Returns"
ask = ["return", "refund", "can I return a toy"]
answer = "30 days."
i18n.es.ask = ["devolución", "devolver"]

[[questions]]
id = "hours"
title = "Opening hours"
ask = ["opening hours", "when are you open"]
answer = "9 to 5."
i18n.es.ask = ["horario", "¿a qué hora abrís?"]

[[questions]]
id = "payment"
title = "Payment"
ask = ["how can I pay", "payment methods", "how much does it cost"]
answer = "Card or cash."
i18n.es.ask = ["formas de pago", "pagar con tarjeta"]

[[questions]]
id = "hello"
title = "Hello"
ask = ["how are you"]
answer = "Fine."
"#;

fn shop() -> (ShopFile, SearchIndex) {
    let file: ShopFile = toml::from_str(SHOP).expect("test shop parses");
    let index = SearchIndex::build(&file);
    (file, index)
}

fn ids(file: &ShopFile, hits: &SearchHits) -> Vec<String> {
    hits.products
        .iter()
        .map(|&i| file.products[i].id.clone())
        .collect()
}

fn found(text: &str) -> Vec<String> {
    let (file, index) = shop();
    let hits = index
        .search(&file, text)
        .unwrap_or_else(|| panic!("{text:?} finds"));
    ids(&file, &hits)
}

fn question(text: &str) -> Option<&'static str> {
    let (_, index) = shop();
    let ids = ["shipping", "returns", "hours", "payment", "hello"];
    index.common_question(text).map(|i| ids[i])
}

#[test]
fn normalizes() {
    assert_eq!(
        normalize("¿Cuánto cuesta el ENVÍO?"),
        "cuanto cuesta el envio"
    );
    assert_eq!(
        normalize("Ursuleț, Ursuleţ; URSULEȚ!"),
        "ursulet ursulet ursulet"
    );
    assert_eq!(
        normalize("Mañana—Pingüino/Straße"),
        "manana pinguino strasse"
    );
}

#[test]
fn common_questions_in_english() {
    assert_eq!(question("shipping"), Some("shipping"));
    assert_eq!(question("Shipping?"), Some("shipping"));
    assert_eq!(question("how much is shipping"), Some("shipping"));
    assert_eq!(question("what does shiping cost"), Some("shipping"));
    assert_eq!(question("can I get a refund?"), Some("returns"));
    assert_eq!(question("When are you open?"), Some("hours"));
    assert_eq!(question("how much does it cost"), Some("payment"));
    assert_eq!(question("How are you?"), Some("hello"));
}

#[test]
fn common_questions_in_spanish_and_romanian() {
    assert_eq!(question("envio"), Some("shipping"));
    assert_eq!(question("ENVÍO?"), Some("shipping"));
    assert_eq!(question("¿hacéis envíos a Canarias?"), Some("shipping"));
    assert_eq!(question("¿Cuánto cuesta el envío?"), Some("shipping"));
    assert_eq!(question("quiero devolver un juguete"), Some("returns"));
    assert_eq!(question("¿a qué hora abrís?"), Some("hours"));
    assert_eq!(question("cât costă livrarea?"), Some("shipping"));
}

#[test]
fn common_questions_no_false_positives() {
    assert_eq!(question(""), None);
    assert_eq!(question("the"), None);
    assert_eq!(question("castle"), None);
    assert_eq!(question("how much does the castle cost"), None);
    assert_eq!(question("how are you shipping castles"), Some("shipping"));
    assert_eq!(
        question(
            "My grandmother told me yesterday that the weather in Madrid was lovely and \
             that she would visit the museum with her friends next week"
        ),
        None
    );
    assert_eq!(
        question(
            "Hi, my daughter loved the dragon from her birthday, the box mentioned shipping \
             but she mostly plays with knights, horses and towers in the garden all afternoon"
        ),
        None
    );
}

#[test]
fn search_matches_accents_case_and_plurals() {
    assert_eq!(found("CASTLE"), ["small-castle", "big-castle", "dragon"]);
    assert_eq!(found("castles"), ["small-castle", "big-castle", "dragon"]);
    assert_eq!(found("castillos"), ["small-castle", "big-castle"]);
    assert_eq!(found("castillo"), ["small-castle", "big-castle"]);
    assert_eq!(found("Dragón"), ["dragon"]);
    assert_eq!(found("dragones rojos"), ["dragon"]);
    assert_eq!(found("ursuleti"), ["teddy"]);
    assert_eq!(found("ursuleț"), ["teddy"]);
    assert_eq!(found("mingi"), ["ball"]);
    assert_eq!(found("puzzles"), ["night-sky"]);
    assert_eq!(found("rompecabezas"), ["night-sky"]);
}

#[test]
fn search_prefix_typo_variant_and_tags() {
    assert_eq!(found("drag"), ["dragon"]);
    assert_eq!(found("puzz"), ["night-sky"]);
    assert_eq!(found("cast")[..2], ["small-castle", "big-castle"]);
    assert_eq!(found("dargon"), ["dragon"]);
    assert_eq!(found("pelotta"), ["ball"]);
    assert_eq!(found("marron"), ["teddy"]);
    assert_eq!(found("medieval"), ["small-castle"]);
    assert_eq!(found("do you have anything for space fans?"), ["night-sky"]);
}

#[test]
fn search_ranks_by_words_then_weight_then_order() {
    // Both words beat one word; a name match beats a description match.
    assert_eq!(
        found("castle dragon"),
        ["dragon", "small-castle", "big-castle"]
    );
    // The dragon has "castle" only in its description: with two words asked,
    // a description-only match is not enough.
    assert_eq!(found("big castle"), ["big-castle", "small-castle"]);
    assert_eq!(found("wooden castle towers")[0], "small-castle");
}

#[test]
fn search_with_price_bounds() {
    let (file, index) = shop();
    let hits = index.search(&file, "castle under 50").unwrap();
    assert_eq!(ids(&file, &hits), ["small-castle", "dragon"]);
    assert_eq!(hits.price_max, Some(Money::from_cents(5000)));
    assert_eq!(hits.price_min, None);
    assert_eq!(found("castillo por menos de 50"), ["small-castle"]);
    assert_eq!(found("castel sub 50 lei"), ["small-castle"]);
    assert_eq!(found("castle over 30"), ["big-castle"]);
    assert_eq!(found("something under 20"), ["dragon", "night-sky", "ball"]);
    assert_eq!(
        found("algo entre 10 y 25 €"),
        ["dragon", "night-sky", "teddy"]
    );
    assert_eq!(found("ceva între 20 și 30 lei"), ["small-castle", "teddy"]);
    assert_eq!(found("under 4"), Vec::<String>::new());
    assert_eq!(found("castle under 10"), Vec::<String>::new());
}

#[test]
fn search_without_products_is_none() {
    let (file, index) = shop();
    for text in [
        "",
        "hello",
        "xyzzy plugh",
        "what is the weather",
        "🏰",
        "the a de la",
    ] {
        assert_eq!(index.search(&file, text), None, "{text:?}");
    }
}

#[test]
fn odd_input_never_panics() {
    let (file, index) = shop();
    let long = "castle ".repeat(1500);
    let noise: String = (0u32..12_000).filter_map(char::from_u32).collect();
    for text in [
        "",
        " ",
        "\u{200B}\u{200D}\u{FEFF}",
        "قلعة تحت 50",
        "\u{202E}elbats\u{202C} castle",
        "👨‍👩‍👧 🏰🐉 < 50 €",
        "ǅ ﬁ İ ß ŉ ΐ",
        long.as_str(),
        noise.as_str(),
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "9999999999999999999999999999 - 99999999999999999999",
    ] {
        let _ = index.common_question(text);
        let _ = index.search(&file, text);
        let _ = normalize(text);
    }
    assert_eq!(
        ids(&file, &index.search(&file, &long).unwrap())[0],
        "small-castle"
    );
}

#[test]
fn random_input_never_panics() {
    const POOL: &[&str] = &[
        "castle",
        "under",
        "between",
        "and",
        "y",
        "si",
        "-",
        "<",
        "=",
        "+",
        "€",
        "$",
        "lei",
        "0",
        "1",
        "50",
        "9999999999999999999",
        ",",
        ".",
        " ",
        "\u{200B}",
        "\u{202E}",
        "ș",
        "İ",
        "ß",
        "🏰",
        "👨‍👩‍👧",
        "ق",
        "\u{301}",
        "shipping",
        "envío",
        "de",
        "la",
        "max",
        "or",
        "less",
        "aaaaaaa",
        "ffi",
        "\n",
        "\t",
        "\u{0}",
        "…",
        "ǅ",
        "x",
    ];
    let (file, index) = shop();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % 1_000_003).unwrap()
    };
    for _ in 0..3000 {
        let len = next() % 24;
        let text: String = (0..len).map(|_| POOL[next() % POOL.len()]).collect();
        let _ = index.common_question(&text);
        if let Some(hits) = index.search(&file, &text) {
            assert!(hits.products.iter().all(|&i| i < file.products.len()));
        }
        let _ = normalize(&text);
    }
}
