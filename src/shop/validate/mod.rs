//! Cross-key checks of a parsed shop file: every rule serde cannot express.

use std::collections::{BTreeMap, HashMap};

use super::error::ConfigError;
use super::hours::{Hours, parse_day};
use super::load::{Locator, closest, path_key};
use super::model::ShopFile;
use super::money::Money;
use super::texts;

mod catalog;
mod digital;
mod people;
mod reviews;
mod selling;
mod web;

pub use digital::{Assets, DigitalFile, read_assets};

/// Every problem found, in file order.
pub fn validate(file: &ShopFile, loc: &Locator) -> Vec<ConfigError> {
    let mut v = Check {
        loc,
        errors: Vec::new(),
    };
    v.shop(file);
    v.categories(file);
    v.products(file);
    v.finder(file);
    v.questions(file);
    v.checkout(file);
    v.delivery(file);
    v.payment(file);
    v.digital(file);
    v.coupons(file);
    v.replies(file);
    v.owners(file);
    v.matrix(file);
    v.telegram(file);
    v.web(file);
    v.hours(file);
    v.texts(file);
    v.owner_texts(file);
    v.followups(file);
    v.reviews(file);
    let mut errors = v.errors;
    errors.sort_by_key(|e| (e.line, e.column));
    errors.dedup();
    errors
}

/// The checks, collecting errors.
struct Check<'a> {
    loc: &'a Locator,
    errors: Vec<ConfigError>,
}

impl Check<'_> {
    /// A problem at `key`, unless the value there (or around it) stands in
    /// for one already reported as structurally wrong.
    fn err(&mut self, key: &str, problem: &str, fix: &str) {
        if !self.loc.doubts(key) {
            self.errors.push(self.loc.error(key, problem, fix));
        }
    }

    /// A problem with a key's name (not its value).
    fn key_err(&mut self, key: &str, problem: &str, fix: &str) {
        if !self.loc.stood_in(key) {
            self.errors.push(self.loc.key_error(key, problem, fix));
        }
    }

    /// Whether a check that reads `key` would judge a stand-in value.
    fn doubts(&self, key: &str) -> bool {
        self.loc.doubts(key)
    }

    /// Whether a cross-reference into `list` may miss an entry: the list
    /// itself, or one of the given fields of an entry, is a stand-in.
    fn unsure(&self, list: &str, len: usize, fields: &[&str]) -> bool {
        if !self.doubts(list) {
            return false;
        }
        self.loc.stood_in(list)
            || (0..len).any(|i| {
                fields
                    .iter()
                    .any(|f| self.doubts(&format!("{list}[{i}].{f}")))
            })
    }

    /// Ids go into 64-byte button data: 1–32 characters of `a-z 0-9 - _`.
    fn id(&mut self, key: &str, id: &str) {
        let ok = (1..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            let fix = format!(
                "use 1–32 characters from a-z, 0-9, `-` and `_`, e.g. `{}`",
                slug(id)
            );
            self.err(key, &format!("invalid id \"{id}\""), &fix);
        }
    }

    /// Reports every repeated id after its first use; `fold` makes the
    /// comparison case-insensitive.
    fn unique<'i>(
        &mut self,
        what: &str,
        items: impl IntoIterator<Item = (String, &'i str)>,
        fold: bool,
    ) {
        let mut seen: HashMap<String, String> = HashMap::new();
        for (key, id) in items {
            if self.doubts(&key) {
                continue;
            }
            let norm = if fold {
                id.to_lowercase()
            } else {
                id.to_owned()
            };
            if let Some(first) = seen.get(&norm) {
                let problem = format!(
                    "duplicate {what} \"{id}\" (also on line {})",
                    self.loc.line(first)
                );
                self.err(
                    &key,
                    &problem,
                    &format!("give each {what} a different value"),
                );
            } else {
                seen.insert(norm, key);
            }
        }
    }

    fn not_empty(&mut self, key: &str, text: &str, example: &str) {
        if text.trim().is_empty() {
            self.err(
                key,
                "is empty",
                &format!("write something, e.g. `{example}`"),
            );
        }
    }

    fn not_negative(&mut self, key: &str, amount: Option<Money>) {
        if amount.is_some_and(|m| m.cents() < 0) {
            self.err(key, "is negative", "use 0 or more");
        }
    }

    fn language(&mut self, key: &str, lang: &str, at_key: bool) {
        if !texts::is_bundled(lang) {
            let problem = format!("unsupported language \"{lang}\"");
            let fix = format!("use one of: {}", supported());
            if at_key {
                self.key_err(key, &problem, &fix);
            } else {
                self.err(key, &problem, &fix);
            }
        }
    }

    /// The languages of an `i18n` table.
    fn i18n<T>(&mut self, key: &str, i18n: &BTreeMap<String, T>) {
        for lang in i18n.keys() {
            self.language(&format!("{key}.i18n.{}", path_key(lang)), lang, true);
        }
    }

    fn shop(&mut self, file: &ShopFile) {
        let s = &file.shop;
        self.not_empty("shop.name", &s.name, "name = \"Ana's Toys\"");
        if !(s.currency.len() == 3 && s.currency.bytes().all(|b| b.is_ascii_uppercase())) {
            let upper = s.currency.trim().to_uppercase();
            let example = if upper.len() == 3 && upper.bytes().all(|b| b.is_ascii_uppercase()) {
                upper
            } else {
                "EUR".to_owned()
            };
            let problem = format!("\"{}\" is not a currency code", s.currency);
            let fix =
                format!("use a 3-letter upper-case ISO 4217 code, e.g. `currency = \"{example}\"`");
            self.err("shop.currency", &problem, &fix);
        }
        self.language("shop.language", &s.language, false);
        for (i, lang) in s.languages.iter().enumerate() {
            self.language(&format!("shop.languages[{i}]"), lang, false);
        }
        if jiff::tz::TimeZone::get(&s.time_zone).is_err() {
            let problem = format!("unknown time zone \"{}\"", s.time_zone);
            self.err(
                "shop.time_zone",
                &problem,
                "use an IANA name such as `Europe/Madrid` or `UTC`",
            );
        }
        for (key, n) in [
            ("shop.page_size", s.page_size),
            ("shop.suggestions", s.suggestions),
        ] {
            if !(1..=10).contains(&n) {
                self.err(
                    key,
                    &format!("{n} is out of range"),
                    "use a number from 1 to 10",
                );
            }
        }
    }

    fn hours(&mut self, file: &ShopFile) {
        for (day, text) in Hours::days_of(&file.hours) {
            if let Some(Err(problem)) = text.map(parse_day) {
                let fix = "write ranges like `\"09:00-13:00, 15:00-19:00\"` (24-hour clock), or `\"closed\"`";
                self.err(&format!("hours.{day}"), &problem, fix);
            }
        }
    }

    fn texts(&mut self, file: &ShopFile) {
        self.overrides(
            "texts",
            &file.texts,
            &phrase_keys(),
            texts::reference,
            "see locales/en.toml for the phrase keys",
            false,
        );
    }

    /// `[owners] language` and `[owner_texts.LANG]`, checked like `[texts.LANG]`.
    fn owner_texts(&mut self, file: &ShopFile) {
        if let Some(lang) = &file.owners.language {
            self.language("owners.language", lang, false);
        }
        let mut keys: Vec<String> = texts::OwnerPhrase::ALL
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        keys.sort();
        self.overrides(
            "owner_texts",
            &file.owner_texts,
            &keys,
            texts::owner_reference,
            "see locales/owner/en.toml for the phrase keys",
            true,
        );
    }

    /// Phrase overrides under `table`: known languages, known keys, and only
    /// the placeholders the English phrase (`reference`) has.
    fn overrides(
        &mut self,
        table: &str,
        langs: &BTreeMap<String, BTreeMap<String, String>>,
        keys: &[String],
        reference: fn(&str) -> Option<&'static str>,
        see: &str,
        keep_all: bool,
    ) {
        for (lang, phrases) in langs {
            let lang_key = format!("{table}.{}", path_key(lang));
            self.language(&lang_key, lang, true);
            for (name, text) in phrases {
                let key = format!("{lang_key}.{}", path_key(name));
                let Some(reference) = reference(name) else {
                    let fix = match closest(name, keys.iter().map(String::as_str)) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => see.to_owned(),
                    };
                    self.key_err(&key, "unknown phrase", &fix);
                    continue;
                };
                let allowed = texts::placeholders(reference);
                for used in texts::placeholders(text) {
                    if !allowed.contains(&used) {
                        let fix = if allowed.is_empty() {
                            "this phrase has no placeholders; remove it".to_owned()
                        } else {
                            let list: Vec<String> =
                                allowed.iter().map(|p| format!("{{{p}}}")).collect();
                            format!("use only {}", list.join(", "))
                        };
                        self.err(&key, &format!("unknown placeholder `{{{used}}}`"), &fix);
                    }
                }
                if keep_all {
                    let used = texts::placeholders(text);
                    for lost in allowed.iter().filter(|p| !used.contains(p)) {
                        let fix = format!("keep `{{{lost}}}` in the text: the bot fills it in");
                        self.err(&key, &format!("lost placeholder `{{{lost}}}`"), &fix);
                    }
                }
                if name == "months" && text.split_whitespace().count() != 12 {
                    let fix =
                        "write the twelve short month names, January first, separated by spaces";
                    self.err(&key, "needs 12 month names", fix);
                }
            }
        }
    }
}

/// Every phrase key (English is the reference).
fn phrase_keys() -> Vec<String> {
    let mut keys: Vec<String> = texts::Phrase::ALL
        .iter()
        .map(|p| p.as_str().to_owned())
        .collect();
    keys.sort();
    keys
}

fn supported() -> String {
    let langs: Vec<&str> = texts::BUNDLED.iter().map(|(lang, _)| *lang).collect();
    langs.join(", ")
}

/// A valid id made from an invalid one: `"Red Car!"` → `red-car`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(32).collect();
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "item-1".to_owned()
    } else {
        out.to_owned()
    }
}
