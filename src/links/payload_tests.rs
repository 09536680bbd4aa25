use proptest::prelude::*;

use super::{Malformed, Payload, Source, Target};

fn product(id: &str, source: Option<&str>) -> Payload {
    Payload {
        target: Some(Target::Product(id.to_owned())),
        source: source.map(|s| Source::new(s).unwrap()),
    }
}

#[test]
fn examples_parse_exactly() {
    assert_eq!(
        Payload::parse("p-castle-dragon-tower_s-instagram"),
        Ok(product("castle-dragon-tower", Some("instagram")))
    );
    assert_eq!(
        Payload::parse("s-instagram_p-castle-dragon-tower"),
        Ok(product("castle-dragon-tower", Some("instagram")))
    );
    assert_eq!(
        Payload::parse("p-big__box_s-flyer"),
        Ok(product("big_box", Some("flyer")))
    );
    assert_eq!(Payload::parse("p-a___s-x"), Ok(product("a_", Some("x"))));
    assert_eq!(Payload::parse("p-__a"), Ok(product("_a", None)));
    assert_eq!(
        Payload::parse("c-castles"),
        Ok(Payload {
            target: Some(Target::Category("castles".to_owned())),
            source: None,
        })
    );
    assert_eq!(
        Payload::parse("f_s-window"),
        Ok(Payload {
            target: Some(Target::Finder),
            source: Some(Source::new("window").unwrap()),
        })
    );
    assert_eq!(
        Payload::parse("s-window"),
        Ok(Payload {
            target: None,
            source: Some(Source::new("window").unwrap()),
        })
    );
    assert_eq!(Payload::parse(""), Ok(Payload::default()));
}

#[test]
fn malformed_payloads_say_why() {
    let cases = [
        ("p-", Malformed::Id(String::new())),
        ("p-Castle", Malformed::Id("Castle".to_owned())),
        ("x-castle", Malformed::UnknownPart("x-castle".to_owned())),
        (
            "castle-dragon-tower",
            Malformed::UnknownPart("castle-dragon-tower".to_owned()),
        ),
        ("_p-a", Malformed::EmptyPart),
        ("p-a_", Malformed::EmptyPart),
        ("p-a_s-x_s-y", Malformed::Twice("source")),
        ("p-a_c-b", Malformed::Twice("target")),
        ("f_f", Malformed::Twice("target")),
        ("s-Instagram", Malformed::TagCharacter('I')),
        ("s-a__b", Malformed::TagCharacter('_')),
        ("s-", Malformed::TagLength(0)),
        ("s-abcdefghijklmnopqrstuvwxy", Malformed::TagLength(25)),
        ("p-a b", Malformed::Character(' ')),
        ("p-ca\u{301}stle", Malformed::Character('\u{301}')),
        ("p-castle_s-insta\u{200b}", Malformed::Character('\u{200b}')),
        ("p-\u{202e}castle", Malformed::Character('\u{202e}')),
        ("p-castle.tower", Malformed::Character('.')),
    ];
    for (text, why) in cases {
        assert_eq!(Payload::parse(text), Err(why), "{text:?}");
    }
    // 65 characters: one too many, though every part is fine.
    let long = format!("p-{}_s-{}", "a".repeat(30), "b".repeat(30));
    assert_eq!(long.len(), 65);
    assert_eq!(Payload::parse(&long), Err(Malformed::TooLong(65)));
    let fits = format!("p-{}_s-{}", "a".repeat(32), "b".repeat(24));
    assert_eq!(fits.len(), 61);
    assert!(Payload::parse(&fits).is_ok());
    // Counted in characters: 64 two-byte letters are refused for the letters.
    let cyrillic = format!("p-{}", "а".repeat(62));
    assert_eq!(Payload::parse(&cyrillic), Err(Malformed::Character('а')));
    assert_eq!(Payload::parse(&"а".repeat(65)), Err(Malformed::TooLong(65)));
}

#[test]
fn encoding_writes_the_target_first_and_refuses_what_does_not_fit() {
    let p = Payload {
        target: Some(Target::Finder),
        source: Some(Source::new("window").unwrap()),
    };
    assert_eq!(p.encode().as_deref(), Ok("f_s-window"));
    assert_eq!(
        product("castle-dragon-tower", Some("instagram"))
            .encode()
            .as_deref(),
        Ok("p-castle-dragon-tower_s-instagram")
    );
    // 32 underscores doubled: 2 + 64 characters.
    let underscores = "_".repeat(32);
    assert_eq!(
        product(&underscores, None).encode(),
        Err(Malformed::TooLong(66))
    );
    assert_eq!(
        product("Castle", None).encode(),
        Err(Malformed::Id("Castle".to_owned()))
    );
    // The longest id with the longest tag fits.
    let longest = product(&"a".repeat(32), Some(&"b".repeat(24)));
    assert_eq!(longest.encode().map(|t| t.len()), Ok(61));
}

fn target() -> impl Strategy<Value = Option<Target>> {
    prop_oneof![
        Just(None),
        Just(Some(Target::Finder)),
        "[a-z0-9_-]{1,32}".prop_map(|id| Some(Target::Product(id))),
        "[a-z0-9_-]{1,32}".prop_map(|id| Some(Target::Category(id))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every payload built from valid ids and tags reads back the same, or
    /// is refused for its length alone.
    #[test]
    fn build_then_parse_round_trips(
        target in target(),
        tag in proptest::option::of("[a-z0-9-]{1,24}"),
    ) {
        let payload = Payload {
            target,
            source: tag.map(|t| Source::new(&t).unwrap()),
        };
        match payload.encode() {
            Ok(text) => {
                prop_assert!(text.len() <= 64);
                prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
                prop_assert_eq!(Payload::parse(&text), Ok(payload));
            }
            Err(Malformed::TooLong(n)) => prop_assert!(n > 64),
            Err(other) => prop_assert!(false, "unexpected {other}"),
        }
    }

    /// Any string of Telegram's alphabet up to 64 characters either parses
    /// (and then writes back to a payload meaning the same) or is refused;
    /// it never panics.
    #[test]
    fn every_string_of_the_alphabet_parses_or_is_refused(text in "[A-Za-z0-9_-]{0,64}") {
        if let Ok(payload) = Payload::parse(&text) {
            let again = payload.encode().unwrap();
            prop_assert_eq!(Payload::parse(&again), Ok(payload));
        }
    }

    /// Payload-looking strings mutated with anything: no panic, and a
    /// character outside the alphabet is always refused.
    #[test]
    fn hostile_unicode_is_refused(prefix in "(p-|c-|s-|f)?[a-z_-]{0,10}", noise in "\\PC{1,40}") {
        let text = format!("{prefix}{noise}");
        let result = Payload::parse(&text);
        if text.chars().any(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
            prop_assert!(result.is_err());
        }
    }
}
