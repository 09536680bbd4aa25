//! Checks of how the shop sells: delivery options, payment, coupons and the
//! team's canned replies.

use super::super::load::path_key;
use super::super::model::{Coupon, Payment, PaymentKind, ShopFile};
use super::Check;

impl Check<'_> {
    pub(super) fn delivery(&mut self, file: &ShopFile) {
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

    pub(super) fn payment(&mut self, file: &ShopFile) {
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

    pub(super) fn coupons(&mut self, file: &ShopFile) {
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

    /// `[[replies]]`: an id fit for a button, some text in every language given.
    pub(super) fn replies(&mut self, file: &ShopFile) {
        for (i, r) in file.replies.iter().enumerate() {
            let key = format!("replies[{i}]");
            self.id(&format!("{key}.id"), &r.id);
            let example = "text = \"We ship within 24 hours.\"";
            self.not_empty(&format!("{key}.text"), &r.text, example);
            self.i18n(&key, &r.i18n);
            for (lang, t) in &r.i18n {
                let text_key = format!("{key}.i18n.{}.text", path_key(lang));
                self.not_empty(&text_key, &t.text, example);
            }
        }
        let ids = file.replies.iter().enumerate();
        self.unique(
            "id",
            ids.map(|(i, r)| (format!("replies[{i}].id"), r.id.as_str())),
            false,
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
}
