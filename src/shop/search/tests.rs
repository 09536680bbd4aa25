//! Unit tests of price parsing and of the indexes together.

use super::price::parse;
use super::text::fold;
use super::*;

fn cents(amount: &str) -> Option<Money> {
    if amount.is_empty() {
        None
    } else {
        Some(Money::parse(amount).expect("test amount"))
    }
}

#[test]
fn price_bounds_table() {
    // text, min, max, words left over
    let table: &[(&str, &str, &str, &str)] = &[
        ("castle under 50", "", "50", "castle"),
        ("below 50€", "", "50", ""),
        ("less than 50 euros", "", "50", ""),
        ("cheaper than $50", "", "50", ""),
        ("max 50", "", "50", ""),
        ("maximum 50 eur", "", "50", ""),
        ("up to 50", "", "50", ""),
        ("< 50", "", "50", ""),
        ("<50", "", "50", ""),
        ("<= 50", "", "50", ""),
        ("50 or less", "", "50", ""),
        ("50€ max", "", "50", ""),
        ("no more than 50", "", "50", ""),
        ("over 30", "30", "", ""),
        ("above 30 usd", "30", "", ""),
        ("more than 30", "30", "", ""),
        ("from 20", "20", "", ""),
        ("at least 20", "20", "", ""),
        ("> 20", "20", "", ""),
        ("20 or more", "20", "", ""),
        ("20+", "20", "", ""),
        ("between 20 and 40", "20", "40", ""),
        ("between 40 and 20", "20", "40", ""),
        ("20-40", "20", "40", ""),
        ("20 - 40 €", "20", "40", ""),
        ("20 to 40", "20", "40", ""),
        ("from 20 to 40", "20", "40", ""),
        ("lego from €20 up to €40", "20", "40", "lego"),
        ("menos de 50", "", "50", ""),
        ("castillo por menos de 50", "", "50", "castillo por"),
        ("hasta 50 euros", "", "50", ""),
        ("máximo 50", "", "50", ""),
        ("no más de 50", "", "50", ""),
        ("más de 30", "30", "", ""),
        ("desde 20", "20", "", ""),
        ("desde 20 hasta 40", "20", "40", ""),
        ("entre 20 y 40", "20", "40", ""),
        ("50 o menos", "", "50", ""),
        ("sub 50 lei", "", "50", ""),
        ("până la 50", "", "50", ""),
        ("maxim 50 ron", "", "50", ""),
        ("peste 30", "30", "", ""),
        ("de la 20", "20", "", ""),
        ("de la 20 la 40 lei", "20", "40", ""),
        ("între 20 și 40", "20", "40", ""),
        ("intre 20 si 40", "20", "40", ""),
        ("under 49,99", "", "49.99", ""),
        ("under 49.5", "", "49.50", ""),
        ("sub 1.000 lei", "", "1000", ""),
        ("under 1,299.99", "", "1299.99", ""),
        ("sub 1.299,99 lei", "", "1299.99", ""),
        ("under 50eur", "", "50", ""),
        // Not prices.
        ("castle 50", "", "", "castle 50"),
        ("castillo de la princesa", "", "", "castillo de la princesa"),
        ("puzzle 6-12 years", "", "", "puzzle 6 12 years"),
        ("under the bed", "", "", "under the bed"),
        ("3d puzzle", "", "", "3d puzzle"),
        ("game for 2 to 4 players", "", "", "game for 2 to 4 players"),
        ("lego age 6-12", "", "", "lego age 6 12"),
        ("under -5", "", "", "under 5"),
        ("under 1.2.3", "", "", "under 1 2 3"),
    ];
    for &(text, min, max, rest) in table {
        let folded = fold(text);
        let parsed = parse(&folded);
        assert_eq!(parsed.min, cents(min), "min of {text:?}");
        assert_eq!(parsed.max, cents(max), "max of {text:?}");
        assert_eq!(parsed.words.join(" "), rest, "words of {text:?}");
    }
}

#[test]
fn price_parsing_survives_odd_input() {
    for text in [
        "",
        "-",
        "<",
        "between",
        "between 20 and",
        "20-",
        "-20",
        "99999999999999999999999 euros",
        "under 9223372036854775807",
        "12,,5 ..3 ,",
        "٣٠ تحت",
        "under 5\u{200B}0",
        "🏰🏰 < 🏰",
    ] {
        let folded = fold(text);
        let _ = parse(&folded);
    }
    let long = "under 50 ".repeat(2000);
    assert_eq!(parse(&fold(&long)).max, cents("50"));
}

#[test]
fn empty_shop_answers_nothing() {
    let file: ShopFile = toml::from_str("[shop]\nname = \"x\"\ncurrency = \"EUR\"\n").unwrap();
    let index = SearchIndex::build(&file);
    assert_eq!(index.common_question("shipping"), None);
    assert_eq!(index.search(&file, "castle"), None);
    let hits = index.search(&file, "under 5").unwrap();
    assert!(hits.products.is_empty());
    assert_eq!(hits.price_max, cents("5"));
}
