//! Property tests ("fuzzing") of the two doors strangers can push on: the
//! `shop.toml` loader and the customer's input path (typed text and button
//! tokens). No input may panic; every customer input gets an answer or an effect
//! the engine answers — never silence.
//!
//! `PROPTEST_CASES=20000 cargo test --release --test fuzz` runs a long session;
//! CI runs the default (a few hundred cases per property, seconds).

use std::path::PathBuf;

use jiff::Timestamp;
use proptest::prelude::*;
use shopbot::channel::Channel;
use shopbot::conversation::{self, Input, Session};
use shopbot::shop::{EXAMPLE_TOML, Shop, StockLevels};

fn noon() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

/// Strings that tend to break parsers and formatters.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\u{0}".to_owned()),
        Just("/".to_owned()),
        Just("/start@".to_owned()),
        Just("/lang ../../etc".to_owned()),
        Just("99999999999999999999".to_owned()),
        Just("-1".to_owned()),
        Just("[3]".to_owned()),
        Just("<b>&amp;</b> *_`[]()~>#+-=|{}.!".to_owned()),
        Just("\u{202e}evil\u{200b}\u{feff}".to_owned()),
        Just("🏰".repeat(2_000)),
        Just("castle under -5".to_owned()),
        Just("castle under 1e308".to_owned()),
        "\\PC{0,200}",
        ".{0,50}",
    ]
}

/// Button ids: real shapes with odd parts, and noise.
fn button() -> impl Strategy<Value = String> {
    let word = "[a-z0-9_/-]{0,12}";
    prop_oneof![
        Just("menu".to_owned()),
        Just("finder".to_owned()),
        Just("checkout".to_owned()),
        Just("confirm".to_owned()),
        Just("human".to_owned()),
        Just("endticket".to_owned()),
        Just("forget".to_owned()),
        (word, word).prop_map(|(a, b)| format!("fa:{a}:{b}")),
        (word, 0..1000usize).prop_map(|(c, p)| format!("cat:{c}:{p}")),
        word.prop_map(|p| format!("add:{p}")),
        word.prop_map(|p| format!("p:{p}")),
        word.prop_map(|k| format!("inc:{k}")),
        word.prop_map(|k| format!("dec:{k}")),
        (word, 0..10u8).prop_map(|(o, n)| format!("rate:{o}:{n}")),
        word.prop_map(|d| format!("dlv:{d}")),
        word.prop_map(|d| format!("pay:{d}")),
        word.prop_map(|d| format!("o:shipped:{d}")),
        "\\PC{0,80}",
    ]
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        4 => nasty().prop_map(Input::Text),
        4 => button().prop_map(Input::Button),
        1 => Just(Input::Start),
        1 => Just(Input::Unsupported),
        1 => Just(Input::Unreadable),
        1 => Just(Input::Resume),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
    ))]

    /// Any text at all: a shop, or errors that each name a line and a column.
    #[test]
    fn any_text_loads_or_is_refused_with_places(src in "\\PC{0,3000}") {
        if let Err(errors) = Shop::from_source("fuzz.toml", &src, PathBuf::from(".")) {
            prop_assert!(!errors.0.is_empty());
            for e in &errors.0 {
                prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
            }
        }
    }

    /// The bundled example with a few characters changed, cut, or spliced.
    #[test]
    fn a_damaged_example_loads_or_is_refused_with_places(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<char>(), 0..3u8), 1..6)
    ) {
        let mut chars: Vec<char> = EXAMPLE_TOML.chars().collect();
        for (at, c, how) in edits {
            let i = at.index(chars.len());
            match how {
                0 => chars[i] = c,
                1 => { chars.remove(i); }
                _ => chars.insert(i, c),
            }
        }
        let src: String = chars.into_iter().collect();
        if let Err(errors) = Shop::from_source("fuzz.toml", &src, PathBuf::from(".")) {
            prop_assert!(!errors.0.is_empty());
            for e in &errors.0 {
                prop_assert!(e.line >= 1 && e.column >= 1, "{e}");
            }
        }
    }

    /// Any sequence of customer inputs, from any step the sequence reaches:
    /// no panic, and every input is answered (or hands the engine an effect
    /// whose answer the conversation then gives).
    #[test]
    fn any_customer_input_is_answered(inputs in prop::collection::vec(input(), 1..40)) {
        let shop = Shop::example();
        let stock = StockLevels::from_shop(&shop);
        let mut session = Session::new(shop.default_language(), "fuzz");
        session.channel = Some(Channel::Telegram);
        for input in &inputs {
            let turn = conversation::handle(&shop, &stock, &session, input, noon());
            prop_assert!(
                !turn.replies.is_empty() || !turn.effects.is_empty(),
                "no answer to {input:?} at {:?}",
                session.step
            );
            for reply in &turn.replies {
                prop_assert!(!reply.text.trim().is_empty(), "an empty message for {input:?}");
                for b in &reply.buttons {
                    prop_assert!(b.id.len() <= 64, "button id too long for Telegram: {}", b.id);
                }
            }
            session = turn.session;
        }
    }
}
