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
