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
