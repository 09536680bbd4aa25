//! Lists the example shop's images so `shopbot init` can write them from the binary,
//! and turns the phrase keys of `locales/en.toml` into the `Phrase` enum and those of
//! `locales/owner/en.toml` into the `OwnerPhrase` enum.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    images();
    phrases(
        "locales/en.toml",
        "Phrase",
        "A customer-facing phrase",
        "phrases.rs",
    );
    phrases(
        "locales/owner/en.toml",
        "OwnerPhrase",
        "A phrase for the shop's owners",
        "owner_phrases.rs",
    );
}

fn images() {
    println!("cargo::rerun-if-changed=images");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("images");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    Path::new(n).extension().is_some_and(|e| {
                        e.eq_ignore_ascii_case("png") || e.eq_ignore_ascii_case("jpg")
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out = String::from("[\n");
    for name in &names {
        let path = dir.join(name);
        writeln!(
            out,
            "    ({name:?}, include_bytes!({:?}) as &[u8]),",
            path.display().to_string()
        )
        .expect("writing to a string");
    }
    out.push(']');
    let target =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("images.rs");
    std::fs::write(target, out).expect("cannot write images.rs");
}

/// `name` (`Phrase`, `OwnerPhrase`): one variant per key of `file` (English, the
/// reference language), so a misspelt key does not compile. Lines are `key = "text"`;
/// comments and blanks are skipped.
fn phrases(file: &str, name: &str, doc: &str, target: &str) {
    println!("cargo::rerun-if-changed={file}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
    let mut keys: Vec<(String, String)> = Vec::new();
    for (n, line) in src.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, _)) = line.split_once('=') else {
            panic!("{file}:{}: expected `key = \"text\"`", n + 1);
        };
        let key = key.trim();
        assert!(
            !key.is_empty()
                && key.starts_with(|c: char| c.is_ascii_lowercase())
                && key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{file}:{}: phrase key `{key}` is not snake_case",
            n + 1
        );
        let variant = camel(key);
        assert!(
            keys.iter().all(|(k, v)| k != key && *v != variant),
            "{file}:{}: phrase key `{key}` repeats another",
            n + 1
        );
        keys.push((key.to_owned(), variant));
    }
    let mut out = String::new();
    writeln!(
        out,
        "/// {doc}: one variant per key of `{file}`.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
         pub enum {name} {{"
    )
    .expect("writing to a string");
    for (key, variant) in &keys {
        writeln!(out, "    /// `{key}`\n    {variant},").expect("writing to a string");
    }
    writeln!(
        out,
        "}}\n\nimpl {name} {{\n    /// Every phrase, in the order of `{file}`.\n    pub const ALL: &[Self] = &["
    )
    .expect("writing to a string");
    for (_, variant) in &keys {
        writeln!(out, "        Self::{variant},").expect("writing to a string");
    }
    out.push_str("    ];\n\n    /// The keys as written in the locale files, in the same order.\n    const NAMES: &[&str] = &[\n");
    for (key, _) in &keys {
        writeln!(out, "        {key:?},").expect("writing to a string");
    }
    out.push_str(
        "    ];\n\n\
         \x20   /// The key as written in the locale files.\n\
         \x20   #[must_use]\n\
         \x20   pub const fn as_str(self) -> &'static str {\n\
         \x20       Self::NAMES[self as usize]\n\
         \x20   }\n\n\
         \x20   /// The phrase a key names, if any.\n\
         \x20   #[must_use]\n\
         \x20   pub fn from_name(name: &str) -> Option<Self> {\n\
         \x20       Self::ALL.iter().copied().find(|p| p.as_str() == name)\n\
         \x20   }\n\
         }\n",
    );
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join(target);
    std::fs::write(&target, out).expect("cannot write the phrase enum");
}

/// `menu_cart` → `MenuCart`.
fn camel(key: &str) -> String {
    key.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}
