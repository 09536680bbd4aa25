//! Checks of who the shop talks to: owners, follow-ups and the Matrix account.

use super::super::load::path_key;
use super::super::model::ShopFile;
use super::Check;

impl Check<'_> {
    pub(super) fn owners(&mut self, file: &ShopFile) {
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
        self.owner_names(file);
    }

    /// `[owners] names`: each key one of the owners, each name some text.
    fn owner_names(&mut self, file: &ShopFile) {
        let owners = &file.owners;
        for (id, name) in &owners.names {
            let key = format!("owners.names.{}", path_key(id));
            let known = id
                .parse::<i64>()
                .is_ok_and(|n| owners.telegram.contains(&n))
                || owners.matrix.iter().any(|m| m == id);
            if !known && !self.doubts("owners.telegram") && !self.doubts("owners.matrix") {
                let fix = "use a Telegram id listed in `owners.telegram` or a Matrix id listed in `owners.matrix`";
                self.key_err(&key, &format!("\"{id}\" is not one of the owners"), fix);
            }
            self.not_empty(&key, name, "\"123456789\" = \"Marta\"");
        }
    }

    pub(super) fn followups(&mut self, file: &ShopFile) {
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

    pub(super) fn telegram(&mut self, file: &ShopFile) {
        let Some(name) = &file.telegram.username else {
            return;
        };
        if !crate::links::is_telegram_username(name.trim_start_matches('@')) {
            self.err(
                "telegram.username",
                &format!("\"{name}\" is not a Telegram bot username"),
                "write the username @BotFather gave the bot (5–32 of A-Z a-z 0-9 _), e.g. `BrickyardBot`",
            );
        }
    }

    pub(super) fn matrix(&mut self, file: &ShopFile) {
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
