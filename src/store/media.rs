//! `media`: what a platform gave back for an uploaded image (a Telegram
//! `file_id`, a Matrix `mxc://` URI, an encrypted upload), so each image is
//! uploaded once per account rather than once per card shown.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store, Tx};
use crate::channel::Channel;

/// One image as one account of one platform knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaKey {
    pub channel: Channel,
    /// The account that uploaded it (a bot id, a Matrix user id): a `file_id`
    /// is valid only for the bot that received it.
    pub account: String,
    /// What `ref` holds: a `file_id`, an `mxc` URI, an `encrypted` upload.
    pub kind: String,
    /// The SHA-256 of the image's bytes, in lower-case hex.
    pub sha256: String,
}

fn uploaded(conn: &rusqlite::Connection, key: &MediaKey) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT ref FROM media
             WHERE channel = ?1 AND account = ?2 AND kind = ?3 AND sha256 = ?4",
        )?
        .query_row(
            params![key.channel, key.account, key.kind, key.sha256],
            |row| row.get(0),
        )
        .optional()?)
}

impl Store {
    /// What the platform gave back when this image was uploaded, if it was.
    pub fn uploaded(&self, key: &MediaKey) -> Result<Option<String>> {
        self.read(|conn| uploaded(conn, key))
    }
}

impl Tx<'_> {
    /// What the platform gave back when this image was uploaded, if it was.
    pub fn uploaded(&self, key: &MediaKey) -> Result<Option<String>> {
        uploaded(&self.tx, key)
    }

    /// Remembers an upload (a later one replaces an earlier one).
    pub fn remember_upload(&self, key: &MediaKey, reference: &str, now: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO media (channel, account, kind, sha256, ref, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (channel, account, kind, sha256)
                 DO UPDATE SET ref = excluded.ref, at = excluded.at",
            )?
            .execute(params![
                key.channel,
                key.account,
                key.kind,
                key.sha256,
                reference,
                now
            ])?;
        Ok(())
    }

    /// Forgets an upload the platform no longer accepts; only if it is still
    /// `reference` (another sender may already have uploaded it again).
    /// Returns whether it was forgotten.
    pub fn forget_upload(&self, key: &MediaKey, reference: &str) -> Result<bool> {
        let changed = self
            .tx
            .prepare_cached(
                "DELETE FROM media
                 WHERE channel = ?1 AND account = ?2 AND kind = ?3 AND sha256 = ?4 AND ref = ?5",
            )?
            .execute(params![
                key.channel,
                key.account,
                key.kind,
                key.sha256,
                reference
            ])?;
        Ok(changed == 1)
    }
}
