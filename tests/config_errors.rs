//! Every broken shop file in `tests/fixtures/broken` must fail with exactly
//! the messages in its `.expected` file; the valid ones must load.

use std::path::{Path, PathBuf};

use shopbot::shop::Shop;

const BROKEN: &str = "tests/fixtures/broken";

fn broken_fixtures() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(BROKEN)
        .expect("the broken fixtures folder exists")
        .map(|entry| entry.expect("a readable folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn broken_configs_report_exact_messages() {
    let fixtures = broken_fixtures();
    assert!(
        fixtures.len() >= 22,
        "expected at least 22 broken fixtures, found {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for toml in &fixtures {
        // Relative to the crate root, as the file label in messages.
        let name = toml
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 name");
        let path = Path::new(BROKEN).join(format!("{name}.toml"));
        let expected_path = Path::new(BROKEN).join(format!("{name}.expected"));
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let got = match Shop::load(&path) {
            Ok(_) => "(loaded without errors)".to_owned(),
            Err(err) => err.to_string(),
        };
        if got.trim_end() != expected.trim_end() {
            failures.push(format!(
                "── {name}\n   expected:\n{}\n   got:\n{}",
                expected.trim_end(),
                got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_broken_fixture_has_expected_messages() {
    for toml in broken_fixtures() {
        assert!(
            toml.with_extension("expected").is_file(),
            "{} has no .expected file",
            toml.display()
        );
    }
}

#[test]
fn valid_minimal_shop_loads() {
    let shop = Shop::load(Path::new("tests/fixtures/valid/minimal.toml"))
        .unwrap_or_else(|e| panic!("minimal.toml should load:\n{e}"));
    assert_eq!(shop.name(), "Ana's Toys");
    assert_eq!(shop.products().len(), 2);
    assert_eq!(shop.finder()[0].options.len(), 3);
    assert!(!shop.hours.always_open());
}

/// Cheap deterministic mangling of every fixture: truncations, dropped
/// lines and swapped characters must give errors, never a panic.
#[test]
fn mangled_files_never_panic() {
    let mut sources =
        vec![std::fs::read_to_string("tests/fixtures/valid/minimal.toml").expect("minimal.toml")];
    for path in broken_fixtures() {
        sources.push(std::fs::read_to_string(path).expect("a fixture"));
    }
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(seed >> 33).unwrap_or(0) % n.max(1)
    };
    let noise = [
        '[', ']', '"', '=', '\n', '-', '.', ',', '{', '}', '1', 'x', 'é', '#',
    ];
    for src in &sources {
        let chars: Vec<char> = src.chars().collect();
        let lines: Vec<&str> = src.lines().collect();
        for cut in (0..chars.len()).step_by(7) {
            let text: String = chars[..cut].iter().collect();
            let _ = Shop::from_source("mangled.toml", &text, PathBuf::from("."));
        }
        for drop in 0..lines.len() {
            let text: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter_map(|(i, l)| (i != drop).then_some(*l))
                .collect();
            let _ = Shop::from_source("mangled.toml", &text.join("\n"), PathBuf::from("."));
        }
        for _ in 0..200 {
            let mut text = chars.clone();
            for _ in 0..3 {
                let at = next(text.len());
                if let Some(c) = text.get_mut(at) {
                    *c = noise[next(noise.len())];
                }
            }
            let text: String = text.into_iter().collect();
            let _ = Shop::from_source("mangled.toml", &text, PathBuf::from("."));
        }
    }
}

/// The messages for a source, without the file name.
fn messages(src: &str) -> Vec<String> {
    match Shop::from_source("shop.toml", src, PathBuf::from(".")) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .0
            .iter()
            .map(|e| format!("{}:{}: {}: {}", e.line, e.column, e.key, e.problem))
            .collect(),
    }
}

/// Every fixture's messages come in file order (line, then column).
#[test]
fn every_fixture_reports_in_file_order() {
    for toml in broken_fixtures() {
        let Err(errors) = Shop::load(&toml) else {
            panic!("{} loaded", toml.display());
        };
        let places: Vec<(usize, usize)> = errors.0.iter().map(|e| (e.line, e.column)).collect();
        let mut sorted = places.clone();
        sorted.sort_unstable();
        assert_eq!(places, sorted, "{}:\n{errors}", toml.display());
    }
}

/// A broken key in a product does not hide the other problems of that same
/// product, nor those of the rest of the file.
#[test]
fn a_structural_problem_hides_nothing_in_its_own_table() {
    let valid = std::fs::read_to_string("tests/fixtures/valid/minimal.toml").expect("minimal.toml");
    let src = valid.replacen(
        "price = 19.90\nstock = 4\ncategory = \"puzzles\"",
        "pricee = 19.90\nstock = -4\ncategory = \"puzles\"\ncolor = \"🔴\"",
        1,
    );
    let src = src.replacen(
        "time_zone = \"Europe/Madrid\"",
        "time_zone = \"Europe/Madird\"",
        1,
    );
    assert_eq!(
        messages(&src),
        [
            "8:13: shop.time_zone: unknown time zone \"Europe/Madird\"",
            "19:1: products[0].price: missing",
            "22:1: products[0].pricee: unknown key",
            "23:9: products[0].stock: is negative",
            "24:12: products[0].category: unknown category \"puzles\"",
            "25:1: products[0].color: unknown key",
        ]
    );
}

/// Where a value had to be stood in for (missing, wrong type, a whole table
/// of the wrong shape), the checks that would judge the stand-in stay
/// silent: one message per mistake, never a made-up one.
#[test]
fn stand_ins_raise_no_messages_of_their_own() {
    let valid = std::fs::read_to_string("tests/fixtures/valid/minimal.toml").expect("minimal.toml");
    let cases: &[(&str, &str, &[&str])] = &[
        // No [shop] at all: no "is empty", no "not a currency code".
        (
            "[shop]\nname = \"Ana's Toys\"\ncurrency = \"EUR\"\n",
            "[tienda]\nname = \"x\"\n",
            &["1:1: shop: missing", "3:2: tienda: unknown key"],
        ),
        // A category without its id: products in it are not "unknown".
        (
            "id = \"puzzles\"\n",
            "",
            &["10:1: categories[0].id: missing"],
        ),
        (
            "id = \"puzzles\"",
            "id = 5",
            &["11:6: categories[0].id: wrong type: expected text in quotes, found `5`"],
        ),
        // A product without a name: no "is empty".
        (
            "name = \"Tren de madera\"",
            "nombre = \"Tren de madera\"",
            &[
                "29:1: products[1].name: missing",
                "31:1: products[1].nombre: unknown key",
            ],
        ),
        // A coupon whose percent is text: not "neither percent nor amount".
        (
            "percent = 10",
            "percent = \"10\"",
            &[
                "95:11: coupons[0].percent: wrong type: expected a whole number (0 or more), found text \"10\"",
            ],
        ),
        // A finder option whose attribute is a number: not "min without attribute".
        (
            "  attribute = \"age\"\n  max = 6",
            "  attribute = 7\n  max = 6",
            &[
                "56:15: finder[0].options[0].attribute: wrong type: expected text in quotes, found `7`",
            ],
        ),
        // A payment kind that is a number: no provider token asked for.
        (
            "kind = \"cash\"",
            "kind = 3",
            &["90:8: payment[0].kind: wrong type: expected text in quotes"],
        ),
        // Variants of the wrong shape: not "stock missing".
        (
            "  [[products.variants]]\n  id = \"red\"",
            "  [[products.variants]]\n  id = [\"red\"]",
            &[
                "39:8: products[1].variants[0].id: wrong type: expected text in quotes, found a list",
            ],
        ),
        (
            "[[products]]\nid = \"forest-500\"",
            "[[products]]\nid = \"forest-500\"\nvariants = 3",
            &["21:12: products[0].variants: wrong type: expected a list of tables, found `3`"],
        ),
        // `stokc` is `stock`: its absence is not reported a second time.
        (
            "stock = 4",
            "stokc = 4",
            &["23:1: products[0].stokc: unknown key"],
        ),
        // A product's attributes of the wrong shape: the finder does not
        // claim its options match nothing.
        (
            "attributes = { pieces = 500, age = [8, 99] }",
            "attributes = 500",
            &["27:14: products[0].attributes: wrong type: expected a table, found `500`"],
        ),
    ];
    for (from, to, expected) in cases {
        assert!(valid.contains(from), "{from}");
        let src = valid.replacen(from, to, 1);
        assert_eq!(
            messages(&src),
            *expected,
            "after replacing {from:?} with {to:?}"
        );
    }
}

/// Whole tables and lists of the wrong shape stand in as empty ones; the
/// rest of the file is still checked.
#[test]
fn a_table_of_the_wrong_shape_hides_nothing_else() {
    let src = "categories = \"toys\"\n\
               products = [1, { id = \"Kite\", name = \"Kite 🪁\", price = -1, stock = 1, category = \"toys\" }]\n\
               hours = \"9-18\"\n\
               \n\
               [shop]\n\
               name = \"Toys\"\n\
               currency = \"€\"\n\
               \n\
               [[delivery]]\n\
               id = \"post\"\n\
               name = \"Post\"\n\
               price = 3\n\
               \n\
               [[payment]]\n\
               id = \"cash\"\n\
               kind = \"cash\"\n\
               name = \"Cash\"\n";
    assert_eq!(
        messages(src),
        [
            "1:14: categories: wrong type: expected a list of tables, found text \"toys\"",
            "2:13: products[0]: wrong type: expected a table, found `1`",
            "2:23: products[1].id: invalid id \"Kite\"",
            "2:56: products[1].price: is negative",
            "3:9: hours: wrong type: expected a table, found text \"9-18\"",
            "7:12: shop.currency: \"€\" is not a currency code",
        ]
    );
}
