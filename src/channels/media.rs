//! Image files by content: the SHA-256 of a file's bytes, cached by its path,
//! modification time and size, so a product card does not re-read its image.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::blocking;
use crate::engine::{MediaKey, SharedEngine};

/// What identifies a file's contents without reading it: its path, modification
/// time and size. Changed in any of these, it is hashed again.
type Stamp = (PathBuf, Option<SystemTime>, u64);

/// Hashes of image files by their stamp: a card does not re-read its image.
static HASHES: LazyLock<Mutex<HashMap<PathBuf, (Stamp, String)>>> = LazyLock::new(Mutex::default);

/// Bytes in lower-case hex.
pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The SHA-256 of `data`, in lower-case hex.
pub(crate) fn sha256(data: &[u8]) -> String {
    lower_hex(&Sha256::digest(data))
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    let meta = std::fs::metadata(path)?;
    Ok((path.to_owned(), meta.modified().ok(), meta.len()))
}

/// The hash of the file at `path`, read only when its stamp changed.
pub(crate) fn file_hash(path: &Path) -> std::io::Result<String> {
    let stamp = stamp(path)?;
    let cached = HASHES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(path)
        .filter(|(known, _)| *known == stamp)
        .map(|(_, hash)| hash.clone());
    if let Some(hash) = cached {
        return Ok(hash);
    }
    let data = std::fs::read(path)?;
    let hash = sha256(&data);
    remember_hash(path, &data, &hash);
    Ok(hash)
}

/// Remembers the hash of bytes just read, if the file still has the stamp of
/// these bytes (a file changing while read is hashed again next time).
pub(crate) fn remember_hash(path: &Path, data: &[u8], hash: &str) {
    if let Ok(stamp) = stamp(path)
        && stamp.2 == data.len() as u64
    {
        HASHES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(path.to_owned(), (stamp, hash.to_owned()));
    }
}

/// What was kept of an earlier upload of this image (a Telegram `file_id`, an
/// `mxc://` URI, an encrypted file's JSON). `None` when there is none, or when it
/// cannot be read (said in the log): the image is uploaded again.
pub(crate) async fn kept_upload(engine: &SharedEngine, key: &MediaKey) -> Option<String> {
    let key = key.clone();
    let channel = key.channel;
    match blocking(engine, move |engine| engine.uploaded(&key)).await {
        Some(Ok(reference)) => reference,
        Some(Err(e)) => {
            tracing::warn!("{channel}: cannot read the kept uploads: {e}");
            None
        }
        None => None,
    }
}

/// Uploads in progress, one lock per image (by channel, account and hash).
type Gates = HashMap<MediaKey, Arc<tokio::sync::Mutex<()>>>;
static GATES: LazyLock<Mutex<Gates>> = LazyLock::new(Mutex::default);

/// Waits until no other upload of this image runs, and holds that place: the
/// cards of other chats wait for one upload and then use what it kept, instead of
/// uploading the same bytes side by side.
pub(crate) async fn one_upload_at_a_time(key: &MediaKey) -> tokio::sync::OwnedMutexGuard<()> {
    let gate = {
        let mut gates = GATES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(gates.entry(key.clone()).or_default())
    };
    gate.lock_owned().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_hashed_again_only_when_it_changed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.png");
        std::fs::write(&path, b"first").expect("write");
        let first = file_hash(&path).expect("hash");
        assert_eq!(first, sha256(b"first"));
        assert_eq!(file_hash(&path).expect("hash"), first);
        std::fs::write(&path, b"second, longer").expect("write");
        assert_eq!(file_hash(&path).expect("hash"), sha256(b"second, longer"));
        assert_eq!(
            sha256(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
