//! shopbot: a self-hosted shop bot for Telegram, Matrix and the terminal.
//!
//! Data flows one way: a channel turns a platform event into an [`conversation::Input`],
//! the [`engine`] runs the pure [`conversation::handle`] and commits its effects and
//! replies in one transaction, and the channel sends what the outbox holds.

pub mod attachment;
pub mod catalog_csv;
pub mod channel;
pub mod channels;
pub mod cli;
pub mod conversation;
pub mod engine;
pub mod flood;
pub mod links;
pub mod owner;
pub mod report;
pub mod shop;
pub mod spool;
pub mod store;
