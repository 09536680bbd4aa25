//! The loader's own tests: every fixture gives a model to check.
use super::*;

/// Every broken fixture that is valid TOML still gives a model (with
/// stand-ins), so the semantic checks run on it.
#[test]
fn every_fixture_that_parses_gives_a_model_to_check() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/broken");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("the fixtures folder") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let src = std::fs::read_to_string(&path).expect("a fixture");
        let Ok(parsed) = parse("f.toml", &src) else {
            continue;
        };
        assert!(parsed.file.is_some(), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 30, "only {seen} fixtures parsed");
}

/// A whole file of the wrong shapes: every piece stands in, nothing is
/// reported twice, and the model is still there to check.
#[test]
fn wrong_shapes_everywhere_still_give_a_model() {
    let src = "shop = 1\ncategories = 2\nproducts = [3, \"x\", {}]\nfinder = [{ options = 4 }]\n\
               questions = {}\ncheckout = []\ndelivery = \"d\"\npayment = [{ kind = [] }]\n\
               coupons = [{ expires = \"soon\" }]\nowners = 5\nhours = 6\ntexts = 7\n\
               telegram = 8\nmatrix = 9\nfollowups = 10\n";
    let parsed = parse("f.toml", src).expect("valid TOML");
    assert!(parsed.file.is_some());
    let mut places: Vec<(usize, usize, &str)> = parsed
        .errors
        .iter()
        .map(|e| (e.line, e.column, e.key.as_str()))
        .collect();
    let before = places.len();
    places.sort_unstable();
    places.dedup();
    assert_eq!(places.len(), before, "{:#?}", parsed.errors);
    assert!(parsed.locator.doubts("shop.name"));
    assert!(parsed.locator.doubts("products[2].price"));
}
