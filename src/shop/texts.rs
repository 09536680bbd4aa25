//! Customer-facing phrases: bundled per language, overridable in `shop.toml`.
//!
//! A phrase may hold `{name}` placeholders, filled by [`Texts::fill`].

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// The languages with bundled phrases, and their files.
pub const BUNDLED: &[(&str, &str)] = &[
    ("en", include_str!("../../locales/en.toml")),
    ("es", include_str!("../../locales/es.toml")),
    ("ro", include_str!("../../locales/ro.toml")),
];

fn bundled() -> &'static HashMap<&'static str, HashMap<String, String>> {
    static CELL: OnceLock<HashMap<&'static str, HashMap<String, String>>> = OnceLock::new();
    CELL.get_or_init(|| {
        BUNDLED
            .iter()
            .map(|(lang, src)| {
                let table: HashMap<String, String> = toml::from_str(src)
                    .unwrap_or_else(|e| panic!("bundled locales/{lang}.toml is broken: {e}"));
                (*lang, table)
            })
            .collect()
    })
}

/// Whether a language has bundled phrases.
pub fn is_bundled(lang: &str) -> bool {
    bundled().contains_key(lang)
}

/// Whether `key` names a bundled phrase (English is the reference).
pub fn is_known_key(key: &str) -> bool {
    bundled()["en"].contains_key(key)
}

/// The placeholders a phrase uses, e.g. `["name"]` for `"Hi {name}"`.
pub fn placeholders(phrase: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = phrase;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            out.push(name);
        }
        rest = &after[end + 1..];
    }
    out
}

/// The English phrase for a key, used to check that overrides keep its placeholders.
pub fn reference(key: &str) -> Option<&'static str> {
    bundled()["en"].get(key).map(String::as_str)
}

/// The phrases of one language, with the shop's overrides applied.
#[derive(Debug, Clone)]
pub struct Texts {
    pub lang: String,
    phrases: HashMap<String, String>,
}

impl Texts {
    /// Phrases for `lang` (English where a phrase is missing), then `overrides`.
    pub fn new(lang: &str, overrides: Option<&BTreeMap<String, String>>) -> Self {
        let all = bundled();
        let mut phrases = all["en"].clone();
        if let Some(own) = all.get(lang) {
            phrases.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(overrides) = overrides {
            phrases.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Self {
            lang: lang.to_owned(),
            phrases,
        }
    }

    /// The phrase for `key`; the key itself if no language has it (a bug, shown plainly).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.phrases.get(key).map_or(key, String::as_str)
    }

    /// An amount in this language's money format (`money_format`, `decimal_mark`).
    pub fn money(&self, amount: super::Money, currency: &str) -> String {
        amount.format(currency, self.get("money_format"), self.get("decimal_mark"))
    }

    /// The phrase for `key` with `{placeholders}` filled in.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut out = self.get(key).to_owned();
        for (name, value) in values {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key_with_the_same_placeholders() {
        let all = bundled();
        for (lang, phrases) in all {
            for (key, en) in &all["en"] {
                let Some(own) = phrases.get(key) else {
                    panic!("locales/{lang}.toml lacks `{key}`");
                };
                let mut want = placeholders(en);
                let mut got = placeholders(own);
                want.sort_unstable();
                got.sort_unstable();
                want.dedup();
                got.dedup();
                assert_eq!(want, got, "placeholders of `{key}` in {lang}");
            }
            for key in phrases.keys() {
                assert!(all["en"].contains_key(key), "{lang} has unknown key {key}");
            }
        }
    }

    #[test]
    fn overrides_win() {
        let mut o = BTreeMap::new();
        o.insert("welcome".to_owned(), "Yo {shop}!".to_owned());
        let t = Texts::new("es", Some(&o));
        assert_eq!(t.fill("welcome", &[("shop", "X")]), "Yo X!");
    }
}
