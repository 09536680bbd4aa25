//! The Telegram channel: long polling in, the durable outbox out.
//!
//! Every update becomes one engine turn keyed by its platform identity (the chat
//! and message, or the callback query), so duplicates and re-sent presses change
//! nothing. Replies are sent only from the outbox, after the turn committed, by
//! one worker per chat (in order, paced to Telegram's limits by token buckets —
//! at once while under them, a new customer's first answer before anyone's
//! next — retried on 429 and network errors). The bot token is never logged: every error text that could
//! carry it (request URLs) is redacted first.

mod fetch;
#[cfg(test)]
mod fetch_tests;
pub mod format;
mod inbound;
mod media_in;
mod outbound;
mod payments;
mod photos;
mod relay;
mod topics;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::BotCommand;
use tokio::sync::{Notify, watch};

use super::pace::{Limits, Pacer};
use super::{STOP_GRACE, SecretError, SecretKind, lock};
use crate::channel::Channel;
use crate::engine::SharedEngine;
use crate::shop::{Phrase, Shop};

/// This adapter's channel.
pub const CHANNEL: Channel = Channel::Telegram;

/// Errors that stop the channel from starting.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("cannot read the Telegram token file {path}: {reason}")]
    TokenFile { path: String, reason: String },
    #[error("the Telegram token file {0} is empty")]
    EmptyToken(String),
    #[error("TELOXIDE_API_URL is not a valid URL: {0}")]
    ApiUrl(String),
    #[error("Telegram did not say the bot's username: {0}")]
    GetMe(String),
}

/// Where the bot token comes from, in order: `SHOPBOT_TELEGRAM_TOKEN`, the shop's
/// `[telegram] token_file` (relative to `shop.toml`), or a systemd credential named
/// `telegram-token`. `None`: Telegram is not configured.
pub fn token(shop: &Shop) -> Result<Option<String>, TelegramError> {
    super::secret(
        "SHOPBOT_TELEGRAM_TOKEN",
        shop.file.telegram.token_file.as_deref(),
        "telegram-token",
        &shop.base_dir,
        SecretKind::Token,
    )
    .map_err(|e| match e {
        SecretError::Unreadable { path, reason } => TelegramError::TokenFile { path, reason },
        SecretError::Empty(path) => TelegramError::EmptyToken(path),
    })
}

/// The bot's username, asked of the Bot API (`getMe`) with `token`, once, at
/// most `wait` long (`shopbot link`). Errors never show the token.
pub async fn username(token: &str, wait: std::time::Duration) -> Result<String, TelegramError> {
    let bot = bot(token)?;
    let redact = Redactor::new([token.to_owned()]);
    match tokio::time::timeout(wait, bot.get_me()).await {
        Ok(Ok(me)) => Ok(me.username().to_owned()),
        Ok(Err(e)) => Err(TelegramError::GetMe(redact.clean(e))),
        Err(_) => Err(TelegramError::GetMe(format!(
            "no answer within {} s",
            wait.as_secs()
        ))),
    }
}

/// A Bot API client with `token`, at `TELOXIDE_API_URL` when set (tests' fake).
fn bot(token: &str) -> Result<Bot, TelegramError> {
    let bot = Bot::new(token);
    match std::env::var("TELOXIDE_API_URL") {
        Ok(url) => {
            let parsed = url::Url::parse(url.trim_end_matches('/'))
                .map_err(|e| TelegramError::ApiUrl(e.to_string()))?;
            Ok(bot.set_api_url(parsed))
        }
        Err(_) => Ok(bot),
    }
}

/// Removes secrets (the bot token, payment provider tokens) from a text: error
/// messages carry request URLs, and the token is part of every URL.
#[derive(Clone, Default)]
pub struct Redactor(Arc<Vec<String>>);

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        Self(Arc::new(
            secrets.into_iter().filter(|s| !s.is_empty()).collect(),
        ))
    }

    pub fn clean(&self, text: impl std::fmt::Display) -> String {
        self.0.iter().fold(text.to_string(), |text, secret| {
            text.replace(secret.as_str(), "<secret>")
        })
    }
}

/// The payment provider tokens of the shop's Telegram payment methods, by method id.
fn provider_tokens(shop: &Shop) -> HashMap<String, String> {
    shop.file
        .payment
        .iter()
        .filter(|p| p.kind == crate::shop::PaymentKind::Telegram)
        .filter_map(|p| {
            let path = shop.base_dir.join(p.provider_token_file.as_deref()?);
            match std::fs::read_to_string(&path) {
                Ok(token) if !token.trim().is_empty() => Some((p.id.clone(), token.trim().to_owned())),
                Ok(_) => {
                    tracing::error!(payment = %p.id, "telegram: the provider token file {} is empty", path.display());
                    None
                }
                Err(e) => {
                    tracing::error!(payment = %p.id, "telegram: cannot read the provider token file {}: {e}", path.display());
                    None
                }
            }
        })
        .collect()
}

/// What the polling and sending halves share.
#[derive(Clone)]
struct Link {
    bot: Bot,
    /// Telegram's flood limits, for sends, edits and callback answers alike.
    pace: Arc<Pacer>,
    engine: SharedEngine,
    redact: Redactor,
    /// Rings after each committed turn: the outbox has something new.
    wake: Arc<Notify>,
    stop: watch::Receiver<bool>,
    base_dir: PathBuf,
    /// Payment provider tokens by payment method id.
    providers: Arc<HashMap<String, String>>,
    /// The owners' forum group and its customers' topics.
    forums: Arc<topics::Forums>,
}

/// Runs the channel until `stop` turns true, then drains within [`STOP_GRACE`].
pub async fn run(
    engine: SharedEngine,
    token: String,
    stop: watch::Receiver<bool>,
) -> Result<(), TelegramError> {
    let bot = bot(&token)?;
    // Off only for benchmarks and crash tests: real Telegram would answer 429s.
    let unpaced = std::env::var("SHOPBOT_TELEGRAM_RATE_LIMIT").is_ok_and(|v| v == "off");
    let (base_dir, providers, owners) = {
        let engine = lock(&engine);
        (
            engine.shop().base_dir.clone(),
            provider_tokens(engine.shop()),
            engine.shop().file.owners.telegram_chat,
        )
    };
    let redact = Redactor::new(std::iter::once(token).chain(providers.values().cloned()));
    let link = Link {
        pace: Arc::new(Pacer::new(Limits::telegram(), !unpaced)),
        bot,
        engine,
        redact,
        wake: Arc::new(Notify::new()),
        stop,
        base_dir,
        providers: Arc::new(providers),
        forums: Arc::new(topics::Forums::new(owners)),
    };
    let Some(me) = inbound::introduce(&link).await else {
        return Ok(());
    };
    set_commands(&link).await;
    tracing::info!(bot = %me, "telegram: connected");
    let sending = tokio::spawn(outbound::send_loop(link.clone()));
    inbound::poll_loop(&link, &me).await;
    // Polling stopped: give the outbox a last chance to drain.
    link.wake.notify_one();
    if tokio::time::timeout(STOP_GRACE, sending).await.is_err() {
        tracing::warn!(
            "telegram: outbox not drained before the stop; the rest is sent at the next start"
        );
    }
    Ok(())
}

/// The command menu, in the shop's language.
async fn set_commands(link: &Link) {
    let commands: Vec<BotCommand> = {
        let engine = lock(&link.engine);
        let shop = engine.shop();
        let t = shop.texts(shop.default_language());
        [
            ("start", Phrase::CommandStart),
            ("menu", Phrase::CommandMenu),
            ("cart", Phrase::CommandCart),
            ("orders", Phrase::CommandOrders),
            ("help", Phrase::CommandHelp),
            ("lang", Phrase::CommandLang),
        ]
        .iter()
        .map(|(c, key)| BotCommand::new(*c, t.get(*key).to_owned()))
        .collect()
    };
    if let Err(e) = link.bot.set_my_commands(commands).await {
        tracing::warn!(
            "telegram: cannot set the command menu: {}",
            link.redact.clean(e)
        );
    }
}
