//! Product images uploaded once per homeserver: the first card with an image
//! uploads it and keeps what came back (in the database, per bot account,
//! keyed by the SHA-256 of the image's bytes): the `mxc://` URI for rooms in
//! the clear; for encrypted rooms the `EncryptedFile` (URI, key, iv, hashes),
//! whose key travels inside each encrypted event, so the ciphertext is
//! uploaded once too. A kept upload is checked once per run on the homeserver;
//! one it no longer has is uploaded again.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{LazyLock, Mutex};

use jiff::Timestamp;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::OwnedMxcUri;
use matrix_sdk::ruma::events::room::message::{
    FormattedBody, ImageMessageEventContent, MessageType, RoomMessageEventContent,
};
use matrix_sdk::ruma::events::room::{EncryptedFile, ImageInfo, MediaSource};

use super::{CHANNEL, Link};
use crate::channels::blocking;
use crate::channels::media::{file_hash, kept_upload, one_upload_at_a_time, sha256};
use crate::engine::MediaKey;

/// Kept uploads the homeserver was seen to still have, this run.
static CHECKED: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Mutex::default);

/// Why an image message could not be made.
pub(super) enum ImageError {
    /// The file cannot be read: the card goes as text.
    Unreadable(std::io::Error),
    /// The homeserver failed; retried like any send.
    Sdk(matrix_sdk::Error),
}

fn mime_of(path: &Path) -> mime::Mime {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jpg" | "jpeg") => mime::IMAGE_JPEG,
        Some("gif") => mime::IMAGE_GIF,
        _ => mime::IMAGE_PNG,
    }
}

/// The `m.image` of a product card: the image at `path`, captioned.
pub(super) async fn image_message(
    link: &Link,
    room: &matrix_sdk::Room,
    path: &Path,
    plain: String,
    html: String,
) -> Result<RoomMessageEventContent, ImageError> {
    let hashed = {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || file_hash(&path)).await
    };
    let sha256 = match hashed {
        Ok(Ok(hash)) => hash,
        Ok(Err(e)) => return Err(ImageError::Unreadable(e)),
        Err(e) => return Err(ImageError::Unreadable(std::io::Error::other(e))),
    };
    let encrypted = room
        .latest_encryption_state()
        .await
        .map_err(ImageError::Sdk)?
        .is_encrypted();
    let account = link
        .client
        .user_id()
        .map_or_else(String::new, ToString::to_string);
    let key = MediaKey {
        channel: CHANNEL,
        account,
        kind: if encrypted { "encrypted" } else { "mxc" }.to_owned(),
        sha256,
    };
    let _uploading = one_upload_at_a_time(&key).await;
    let (source, size) = match kept(link, &key).await {
        Some(source) => (source, None),
        None => upload(link, path, key, encrypted).await?,
    };
    let name = path
        .file_name()
        .map_or_else(|| "image".to_owned(), |n| n.to_string_lossy().into_owned());
    let mut image = ImageMessageEventContent::new(plain, source);
    image.formatted = Some(FormattedBody::html(html));
    image.filename = Some(name);
    let mut info = ImageInfo::new();
    info.mimetype = Some(mime_of(path).essence_str().to_owned());
    info.size = size.and_then(|s: u64| s.try_into().ok());
    image.info = Some(Box::new(info));
    Ok(RoomMessageEventContent::new(MessageType::Image(image)))
}

/// The kept upload of this image, if the homeserver still has it.
pub(super) async fn kept(link: &Link, key: &MediaKey) -> Option<MediaSource> {
    let reference = kept_upload(&link.engine, key).await?;
    let source = if key.kind == "encrypted" {
        match serde_json::from_str::<EncryptedFile>(&reference) {
            Ok(file) => MediaSource::Encrypted(Box::new(file)),
            Err(e) => {
                tracing::warn!("matrix: a kept encrypted upload is unreadable ({e})");
                return None;
            }
        }
    } else {
        MediaSource::Plain(OwnedMxcUri::from(reference.clone()))
    };
    let checked = CHECKED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .contains(&reference);
    if !checked {
        let request = MediaRequestParameters {
            source: source.clone(),
            format: MediaFormat::File,
        };
        match link.client.media().get_media_content(&request, false).await {
            Ok(_) => {
                CHECKED
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(reference);
            }
            Err(e) => {
                tracing::warn!("matrix: a kept upload is gone ({e}); uploading the image again");
                let key = key.clone();
                let _ = blocking(&link.engine, move |engine| {
                    engine.forget_upload(&key, &reference)
                })
                .await;
                return None;
            }
        }
    }
    Some(source)
}

/// Uploads the image (encrypted for an encrypted room) and keeps what came back.
async fn upload(
    link: &Link,
    path: &Path,
    mut key: MediaKey,
    encrypted: bool,
) -> Result<(MediaSource, Option<u64>), ImageError> {
    let data = tokio::fs::read(path)
        .await
        .map_err(ImageError::Unreadable)?;
    // The key names the bytes sent, even if the file changed since it was hashed.
    key.sha256 = sha256(&data);
    let size = data.len() as u64;
    let (source, reference) = if encrypted {
        let mut reader = std::io::Cursor::new(&data);
        let file = link
            .client
            .upload_encrypted_file(&mut reader)
            .await
            .map_err(ImageError::Sdk)?;
        let json = serde_json::to_string(&file)
            .map_err(|e| ImageError::Sdk(matrix_sdk::Error::SerdeJson(e)))?;
        (MediaSource::Encrypted(Box::new(file)), json)
    } else {
        let response = link
            .client
            .media()
            .upload(&mime_of(path), data, None)
            .await
            .map_err(ImageError::Sdk)?;
        let uri = response.content_uri;
        (MediaSource::Plain(uri.clone()), uri.to_string())
    };
    CHECKED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(reference.clone());
    let now = Timestamp::now().as_second();
    let kept = blocking(&link.engine, move |engine| {
        engine.remember_upload(&key, &reference, now)
    })
    .await;
    if let Some(Err(e)) = kept {
        tracing::warn!("matrix: cannot keep the upload (uploaded again next time): {e}");
    }
    Ok((source, Some(size)))
}
