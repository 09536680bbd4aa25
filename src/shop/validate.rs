//! Cross-key checks of a parsed shop file: every rule serde cannot express.

use std::collections::{BTreeMap, HashMap};

use super::error::ConfigError;
use super::hours::{Hours, parse_day};
use super::load::{Locator, closest, path_key};
use super::model::{Coupon, Payment, PaymentKind, ShopFile};
use super::money::Money;
use super::texts;

#[path = "validate_catalog.rs"]
mod catalog;

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
    v.coupons(file);
    v.owners(file);
    v.matrix(file);
    v.hours(file);
    v.texts(file);
    v.followups(file);
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

    fn delivery(&mut self, file: &ShopFile) {
        if file.delivery.is_empty() {
            let fix = "add a `[[delivery]]` table with `id`, `name` and `price`";
            self.err("delivery", "no delivery option", fix);
        }
        for (i, d) in file.delivery.iter().enumerate() {
            let key = format!("delivery[{i}]");
            self.id(&format!("{key}.id"), &d.id);
            self.not_empty(&format!("{key}.name"), &d.name, "name = \"Courier\"");
            self.not_negative(&format!("{key}.price"), Some(d.price));
            self.not_negative(&format!("{key}.free_from"), d.free_from);
            self.i18n(&key, &d.i18n);
        }
        let ids = file.delivery.iter().enumerate();
        self.unique(
            "id",
            ids.map(|(i, d)| (format!("delivery[{i}].id"), d.id.as_str())),
            false,
        );
    }

    fn payment(&mut self, file: &ShopFile) {
        if file.payment.is_empty() {
            let fix = "add a `[[payment]]` table with `id`, `kind` and `name`";
            self.err("payment", "no payment method", fix);
        }
        for (i, p) in file.payment.iter().enumerate() {
            let key = format!("payment[{i}]");
            self.id(&format!("{key}.id"), &p.id);
            self.not_empty(
                &format!("{key}.name"),
                &p.name,
                "name = \"Cash on delivery\"",
            );
            self.provider_token(&key, p);
            self.i18n(&key, &p.i18n);
        }
        let ids = file.payment.iter().enumerate();
        self.unique(
            "id",
            ids.map(|(i, p)| (format!("payment[{i}].id"), p.id.as_str())),
            false,
        );
    }

    fn provider_token(&mut self, key: &str, p: &Payment) {
        let file = p.provider_token_file.as_deref().map(str::trim);
        if p.kind == PaymentKind::Telegram
            && file.is_none_or(str::is_empty)
            && !self.doubts(&format!("{key}.kind"))
        {
            let fix = "add `provider_token_file = \"telegram-provider.token\"` (a file holding the token from @BotFather)";
            self.err(
                &format!("{key}.provider_token_file"),
                "missing for `kind = \"telegram\"`",
                fix,
            );
        }
    }

    fn coupons(&mut self, file: &ShopFile) {
        for (i, c) in file.coupons.iter().enumerate() {
            self.coupon(&format!("coupons[{i}]"), c);
        }
        let codes = file.coupons.iter().enumerate();
        self.unique(
            "code",
            codes.map(|(i, c)| (format!("coupons[{i}].code"), c.code.as_str())),
            true,
        );
    }

    fn coupon(&mut self, key: &str, c: &Coupon) {
        let code_ok = (1..=32).contains(&c.code.chars().count())
            && c.code
                .chars()
                .all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_');
        if !code_ok {
            let fix = "use 1–32 letters, digits, `-` or `_`, e.g. `code = \"SPRING10\"`";
            self.err(
                &format!("{key}.code"),
                &format!("invalid code \"{}\"", c.code),
                fix,
            );
        }
        match (c.percent, c.amount) {
            (Some(_), Some(_)) => {
                let fix = "keep only one of `percent` and `amount`";
                self.err(
                    &format!("{key}.amount"),
                    "both `percent` and `amount` are set",
                    fix,
                );
            }
            (None, None) if !self.doubts(&format!("{key}.amount")) => {
                let fix = "add `percent = 10` or `amount = 5`";
                self.err(
                    &format!("{key}.percent"),
                    "neither `percent` nor `amount` is set",
                    fix,
                );
            }
            (Some(p), None) if !(1..=100).contains(&p) => {
                let fix = "use a percentage from 1 to 100";
                self.err(
                    &format!("{key}.percent"),
                    &format!("{p} is out of range"),
                    fix,
                );
            }
            _ => {}
        }
        self.not_negative(&format!("{key}.amount"), c.amount);
        self.not_negative(&format!("{key}.min_total"), c.min_total);
        if let Some(d) = &c.expires
            && (d.date.is_none() || d.time.is_some() || d.offset.is_some())
        {
            let fix = "write a plain date without quotes, e.g. `expires = 2027-12-31`";
            self.err(
                &format!("{key}.expires"),
                &format!("{d} is not a plain date"),
                fix,
            );
        }
    }

    fn owners(&mut self, file: &ShopFile) {
        for (i, &id) in file.owners.telegram.iter().enumerate() {
            if id <= 0 {
                let fix = "use the numeric user id (ask @userinfobot), e.g. `123456789`";
                self.err(
                    &format!("owners.telegram[{i}]"),
                    &format!("{id} is not a Telegram user id"),
                    fix,
                );
            }
        }
        for (i, id) in file.owners.matrix.iter().enumerate() {
            if !is_matrix_user(id) {
                let fix = "write a full Matrix id, e.g. `@ana:example.org`";
                self.err(
                    &format!("owners.matrix[{i}]"),
                    &format!("\"{id}\" is not a Matrix user id"),
                    fix,
                );
            }
        }
        if let Some(chat) = file.owners.telegram_chat
            && chat >= 0
        {
            let fix = "a group's id is negative, e.g. `-1001234567890` (add the bot to the group and see the README)";
            self.err(
                "owners.telegram_chat",
                &format!("{chat} is not a Telegram group id"),
                fix,
            );
        }
        if let Some(room) = &file.owners.matrix_room
            && !is_matrix_room(room)
        {
            let fix = "write the room's internal id, starting with `!` (Element: room settings → Advanced)";
            self.err(
                "owners.matrix_room",
                &format!("\"{room}\" is not a Matrix room id"),
                fix,
            );
        }
    }

    fn followups(&mut self, file: &ShopFile) {
        let f = &file.followups;
        for (key, hours) in [
            ("cart_reminder_hours", f.cart_reminder_hours),
            ("feedback_after_hours", f.feedback_after_hours),
        ] {
            if hours == Some(0) {
                self.err(
                    &format!("followups.{key}"),
                    "is 0",
                    "use a number of hours, e.g. `24`, or leave the key out to turn it off",
                );
            }
        }
        if let Some(code) = &f.cart_reminder_coupon {
            if f.cart_reminder_hours.is_none() && !self.doubts("followups.cart_reminder_hours") {
                self.err(
                    "followups.cart_reminder_coupon",
                    "set without `cart_reminder_hours`",
                    "add `cart_reminder_hours = 24` to send the reminder",
                );
            }
            if !self.unsure("coupons", file.coupons.len(), &["code"])
                && !file
                    .coupons
                    .iter()
                    .any(|c| c.code.eq_ignore_ascii_case(code))
            {
                self.err(
                    "followups.cart_reminder_coupon",
                    &format!("unknown coupon \"{code}\""),
                    "add it as a `[[coupons]]` entry, or use one of the coupon codes",
                );
            }
        }
        if file.shop.history_days == 0 {
            self.err(
                "shop.history_days",
                "is 0",
                "keep the history at least 1 day (the team needs it for tickets), e.g. `30`",
            );
        }
    }

    fn matrix(&mut self, file: &ShopFile) {
        let Some(m) = &file.matrix else { return };
        let web = m
            .homeserver
            .strip_prefix("https://")
            .or_else(|| m.homeserver.strip_prefix("http://"))
            .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace));
        if !web {
            self.err(
                "matrix.homeserver",
                &format!("\"{}\" is not a web address", m.homeserver),
                "write the homeserver's address, e.g. `https://matrix.example.org`",
            );
        }
        if !is_matrix_user(&m.user) {
            self.err(
                "matrix.user",
                &format!("\"{}\" is not a Matrix user id", m.user),
                "write the bot account's full id, e.g. `@shop:example.org`",
            );
        }
        for (i, entry) in m.allow.iter().enumerate() {
            let ok = if entry.starts_with('@') {
                is_matrix_user(entry)
            } else {
                !entry.is_empty() && !entry.contains(['@', '/', ' ']) && !entry.contains("://")
            };
            if !ok {
                self.err(
                    &format!("matrix.allow[{i}]"),
                    &format!("\"{entry}\" is neither a server name nor a user id"),
                    "write a server like `example.org` or a user like `@ana:example.org`",
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
        let keys = phrase_keys();
        for (lang, phrases) in &file.texts {
            let lang_key = format!("texts.{}", path_key(lang));
            self.language(&lang_key, lang, true);
            for (name, text) in phrases {
                let key = format!("{lang_key}.{}", path_key(name));
                let Some(reference) = texts::reference(name) else {
                    let fix = match closest(name, keys.iter().map(String::as_str)) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => "see locales/en.toml for the phrase keys".to_owned(),
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

/// `@user:server`, without spaces.
fn is_matrix_user(id: &str) -> bool {
    is_matrix_id(id, '@')
}

/// `!opaque` (room version 12 ids have no server part) or `!opaque:server`.
fn is_matrix_room(id: &str) -> bool {
    id.strip_prefix('!').is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with(':')
            && !rest.ends_with(':')
            && !rest.chars().any(char::is_whitespace)
    })
}

/// `<sigil>local:server`, without spaces.
fn is_matrix_id(id: &str, sigil: char) -> bool {
    id.strip_prefix(sigil)
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(user, server)| {
            !user.is_empty() && !server.is_empty() && !id.chars().any(char::is_whitespace)
        })
}
