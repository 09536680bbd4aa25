//! `/start PAYLOAD` on the pure core, for any payload: the welcome always
//! comes first, nothing panics, and the source is kept only when well formed.

use jiff::Timestamp;
use proptest::prelude::*;

use crate::conversation::{Input, Session, Step, handle};
use crate::links::Payload;
use crate::shop::{Shop, StockLevels};

fn shop() -> Shop {
    Shop::load(std::path::Path::new("tests/fixtures/shops/small.toml")).expect("fixture shop")
}

fn now() -> Timestamp {
    Timestamp::from_second(1_700_000_000).expect("time")
}

fn start(shop: &Shop, session: &Session, text: &str) -> crate::conversation::Turn {
    handle(
        shop,
        &StockLevels::default(),
        session,
        &Input::Text(text.to_owned()),
        now(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Any string of Telegram's alphabet (and beyond): the welcome first,
    /// then a screen; a source only from a payload that parses.
    #[test]
    fn any_payload_is_answered(payload in prop_oneof![
        "[A-Za-z0-9_-]{0,70}",
        "(p-|c-|s-|f_)(castle|cars|tower|x)(_s-[a-z]{1,30})?",
        "\\PC{0,80}",
    ]) {
        let shop = shop();
        let fresh = Session::new("en", "s");
        let turn = start(&shop, &fresh, &format!("/start {payload}"));
        prop_assert!(turn.replies[0].text.starts_with("Hello! Welcome to Test Bricks."));
        let parsed = Payload::parse(payload.trim());
        let expected = parsed.ok().and_then(|p| p.source).map(|s| s.as_str().to_owned());
        prop_assert_eq!(turn.session.source, expected);
        if turn.session.step == Step::Menu {
            prop_assert!(turn.replies.len() >= 2);
        }
    }
}

#[test]
fn an_existing_source_is_kept_and_the_cart_too() {
    let shop = shop();
    let mut session = Session::new("en", "s");
    session.source = Some("flyer".to_owned());
    session.cart.push(crate::conversation::CartItem {
        product: "tower".to_owned(),
        variant: None,
        qty: 2,
    });
    let turn = start(&shop, &session, "/start p-castle_s-instagram");
    assert_eq!(turn.session.source.as_deref(), Some("flyer"));
    assert_eq!(turn.session.cart, session.cart);
    assert_eq!(
        turn.session.step,
        Step::Product {
            id: "castle".to_owned()
        }
    );
}
