//! Phrases for the shop's owners (notices, command answers, `/stats`, `shopbot
//! report`): bundled per language in `locales/owner/`, overridable in `shop.toml`
//! under `[owner_texts.LANG]`, the same way as the customers' `[texts.LANG]`.
//!
//! The owners read one language: `[owners] language`, else the shop's `language`;
//! a language without bundled owner phrases reads English.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use super::{Texts, fill};
use crate::shop::Money;

include!(concat!(env!("OUT_DIR"), "/owner_phrases.rs"));

/// The languages with bundled owner phrases, and their files.
pub const OWNER_BUNDLED: &[(&str, &str)] = &[
    ("en", include_str!("../../../locales/owner/en.toml")),
    ("es", include_str!("../../../locales/owner/es.toml")),
    ("ro", include_str!("../../../locales/owner/ro.toml")),
];

fn bundled() -> &'static HashMap<&'static str, HashMap<String, String>> {
    static CELL: OnceLock<HashMap<&'static str, HashMap<String, String>>> = OnceLock::new();
    CELL.get_or_init(|| {
        OWNER_BUNDLED
            .iter()
            .map(|(lang, src)| {
                let table: HashMap<String, String> = toml::from_str(src)
                    .unwrap_or_else(|e| panic!("bundled locales/owner/{lang}.toml is broken: {e}"));
                (*lang, table)
            })
            .collect()
    })
}

/// The English owner phrase for a key, used to check that overrides keep its placeholders.
pub fn owner_reference(key: &str) -> Option<&'static str> {
    bundled()["en"].get(key).map(String::as_str)
}

/// The key of the status phrase (`status_paid`, …) that `word` is in any bundled
/// language, compared without regard to case: `pagado` → `status_paid`.
pub fn owner_status_key(word: &str) -> Option<&'static str> {
    let word = word.to_lowercase();
    let keys = [
        OwnerPhrase::StatusNew,
        OwnerPhrase::StatusPaid,
        OwnerPhrase::StatusShipped,
        OwnerPhrase::StatusDelivered,
        OwnerPhrase::StatusCancelled,
    ];
    keys.into_iter().map(OwnerPhrase::as_str).find(|key| {
        bundled()
            .values()
            .filter_map(|phrases| phrases.get(*key))
            .any(|phrase| phrase.to_lowercase() == word)
    })
}

/// The owners' phrases in their language, with the shop's overrides applied.
#[derive(Debug, Clone)]
pub struct OwnerTexts {
    /// The language the phrases are in (English when `lang` has none bundled).
    pub lang: String,
    phrases: HashMap<String, String>,
    money_format: String,
    decimal_mark: String,
}

impl OwnerTexts {
    /// Phrases for `lang` (English where a phrase or the language is missing),
    /// then `overrides`; amounts are written the way `money` (the customers'
    /// phrases of the same language) writes them.
    pub fn new(lang: &str, overrides: Option<&BTreeMap<String, String>>, money: &Texts) -> Self {
        let all = bundled();
        let mut phrases = all["en"].clone();
        let lang = match all.get(lang) {
            Some(own) => {
                phrases.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
                lang
            }
            None => "en",
        };
        if let Some(overrides) = overrides {
            phrases.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Self {
            lang: lang.to_owned(),
            phrases,
            money_format: money.get(super::Phrase::MoneyFormat).to_owned(),
            decimal_mark: money.get(super::Phrase::DecimalMark).to_owned(),
        }
    }

    /// The bundled English phrases (tests, and code with no shop at hand).
    pub fn english() -> Self {
        Self::new("en", None, &Texts::new("en", None))
    }

    /// The phrase for `key`; the key itself if no language has it (a bug, shown plainly).
    pub fn get(&self, key: OwnerPhrase) -> &str {
        let key = key.as_str();
        self.phrases.get(key).map_or(key, String::as_str)
    }

    /// The phrase for `key` with its `{placeholders}` filled in, in one pass: a
    /// value that itself holds `{name}` (a customer's name, say) stays as it is.
    pub fn fill(&self, key: OwnerPhrase, values: &[(&str, &str)]) -> String {
        fill(self.get(key), values)
    }

    /// An amount in this language's money format.
    pub fn money(&self, amount: Money, currency: &str) -> String {
        amount.format(currency, &self.money_format, &self.decimal_mark)
    }

    /// A number with `decimals` places and this language's decimal mark (`50,0`).
    pub fn decimal(&self, value: f64, decimals: usize) -> String {
        format!("{value:.decimals$}").replace('.', &self.decimal_mark)
    }

    /// The short name of a month, 1 to 12 (`Nov`, `nov.`).
    pub fn month(&self, month: i8) -> &str {
        let index = usize::try_from(month.max(1) - 1).unwrap_or(0);
        self.get(OwnerPhrase::Months)
            .split_whitespace()
            .nth(index)
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::super::placeholders;
    use super::*;

    #[test]
    fn every_owner_language_has_every_key_with_the_same_placeholders() {
        let all = bundled();
        for (lang, phrases) in all {
            for (key, en) in &all["en"] {
                let Some(own) = phrases.get(key) else {
                    panic!("locales/owner/{lang}.toml lacks `{key}`");
                };
                let mut want = placeholders(en);
                let mut got = placeholders(own);
                want.sort_unstable();
                got.sort_unstable();
                want.dedup();
                got.dedup();
                assert_eq!(want, got, "placeholders of `{key}` in owner {lang}");
            }
            for key in phrases.keys() {
                assert!(
                    all["en"].contains_key(key),
                    "owner {lang} has unknown key {key}"
                );
            }
            assert_eq!(
                phrases["months"].split_whitespace().count(),
                12,
                "twelve months in owner {lang}"
            );
        }
    }

    #[test]
    fn the_owner_phrase_enum_names_exactly_the_english_keys() {
        let en = &bundled()["en"];
        assert_eq!(OwnerPhrase::ALL.len(), en.len());
        for phrase in OwnerPhrase::ALL {
            assert!(en.contains_key(phrase.as_str()), "{phrase:?}");
            assert_eq!(OwnerPhrase::from_name(phrase.as_str()), Some(*phrase));
        }
    }

    /// The command words in the help and the usages stay English in every language.
    #[test]
    fn command_words_stay_as_typed() {
        for (lang, phrases) in bundled() {
            let help = &phrases["help"];
            for word in [
                "/tickets",
                "/reply N",
                "/close N",
                "/orders [new|paid|shipped|delivered|cancelled]",
                "/order N",
                "/status N paid|shipped|delivered|cancelled",
                "/stock PRODUCT_ID[:VARIANT_ID] N",
                "/reload",
                "/pause",
                "/resume",
                "/stats",
                "/broadcast",
            ] {
                assert!(help.contains(word), "owner {lang} help lacks `{word}`");
            }
        }
    }

    #[test]
    fn fills_once_and_leaves_braces_in_values_alone() {
        let t = OwnerTexts::english();
        assert_eq!(
            t.fill(
                OwnerPhrase::Relay,
                &[("n", "3"), ("customer", "{text}"), ("text", "hi {n}")]
            ),
            "💬 #3 · {text}: hi {n}"
        );
        assert_eq!(fill("a {b} {c} {", &[("b", "x")]), "a x {c} {");
    }

    #[test]
    fn reads_status_words_of_every_language() {
        assert_eq!(owner_status_key("paid"), Some("status_paid"));
        assert_eq!(owner_status_key("Enviado"), Some("status_shipped"));
        assert_eq!(owner_status_key("LIVRATĂ"), Some("status_delivered"));
        assert_eq!(owner_status_key("lost"), None);
    }

    #[test]
    fn an_unbundled_language_reads_english_and_overrides_win() {
        let mut o = BTreeMap::new();
        o.insert("paused".to_owned(), "Gone fishing.".to_owned());
        let t = OwnerTexts::new("xx", Some(&o), &Texts::new("en", None));
        assert_eq!(t.lang, "en");
        assert_eq!(t.get(OwnerPhrase::Paused), "Gone fishing.");
        assert_eq!(t.get(OwnerPhrase::NoOrders), "No orders.");
        assert_eq!(t.month(11), "Nov");
    }
}
