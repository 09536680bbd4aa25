//! The Matrix channel: the same shop in Element and other clients, encrypted rooms
//! included.
//!
//! The bot logs in once and keeps its device: the session (with its access token)
//! and the SDK's encrypted `SQLite` store live in the data directory, so it decrypts
//! and encrypts across restarts. Events reach the engine one at a time, each keyed
//! by its event id (the SDK may deliver an event twice); replies leave from the
//! outbox as `m.notice` messages with numbered buttons and 1️⃣…🔟 reaction shortcuts.

mod attach;
mod attach_out;
mod inbound;
mod media;
mod outbound;
mod parse;
mod turns;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use matrix_sdk::Client;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::encryption::{BackupDownloadStrategy, EncryptionSettings};
use tokio::sync::{Notify, watch};

use crate::channel::Channel;
use crate::channels::{STOP_GRACE, SecretError, SecretKind, lock, secret};
use crate::engine::SharedEngine;
use crate::shop::{MatrixSettings, Shop};

/// This adapter's channel.
pub const CHANNEL: Channel = Channel::Matrix;

/// Errors that stop the channel from starting.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    #[error(
        "no password for the Matrix account {0}: set SHOPBOT_MATRIX_PASSWORD or `[matrix] password_file`"
    )]
    NoPassword(String),
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    #[error(
        "the Matrix crypto store in {store} is missing but the bot's device is already logged in \
         (session file {session}). Without its keys the bot cannot read encrypted rooms. \
         Restore the store from a backup, or delete {session} to log in as a new device \
         (customers' clients will then see a new, unverified device)."
    )]
    StoreLost { store: String, session: String },
    #[error("Matrix: {0}")]
    Sdk(String),
}

/// Where the channel keeps its state, next to the database.
pub struct Paths {
    /// The SDK's state and crypto store (`SQLite`, encrypted with the passphrase).
    pub store: PathBuf,
    /// The login session: user id, device id, access token.
    pub session: PathBuf,
    /// The store's passphrase, made at the first start.
    pub passphrase: PathBuf,
}

impl Paths {
    pub fn beside(db: &Path) -> Self {
        let dir = db
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        Self {
            store: dir.join("matrix-store"),
            session: dir.join("matrix-session.json"),
            passphrase: dir.join("matrix-store.key"),
        }
    }
}

/// The password of the bot's account: `SHOPBOT_MATRIX_PASSWORD`, else `password_file`.
fn password(settings: &MatrixSettings, base_dir: &Path) -> Result<String, MatrixError> {
    let found = secret(
        "SHOPBOT_MATRIX_PASSWORD",
        settings.password_file.as_deref(),
        "matrix-password",
        base_dir,
        SecretKind::Password,
    );
    match found {
        Ok(Some(password)) => Ok(password),
        Ok(None) | Err(SecretError::Empty(_)) => {
            Err(MatrixError::NoPassword(settings.user.clone()))
        }
        Err(SecretError::Unreadable { path, reason }) => Err(MatrixError::File { path, reason }),
    }
}

/// Writes a secret file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> Result<(), MatrixError> {
    let fail = |e: std::io::Error| MatrixError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::write(path, contents).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
    }
    Ok(())
}

/// The store passphrase: read, or made from the system's random source at the first start.
fn passphrase(paths: &Paths) -> Result<String, MatrixError> {
    if let Ok(existing) = std::fs::read_to_string(&paths.passphrase) {
        return Ok(existing.trim().to_owned());
    }
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| MatrixError::File {
            path: "/dev/urandom".to_owned(),
            reason: e.to_string(),
        })?;
    let made = crate::channels::media::lower_hex(&bytes);
    write_private(&paths.passphrase, &made)?;
    Ok(made)
}

/// Log directives that keep matrix-sdk from logging trouble where there is none,
/// added to every log filter (unless `RUST_LOG` names matrix-sdk itself). The bot
/// keeps no key backup (its keys live in its crypto store, backed up with the
/// data directory), and matrix-sdk 0.18 has no setting that turns its backup and
/// recovery parts off: [`bot_encryption`] only keeps them from acting.
/// - `matrix_sdk_crypto::backups`: the SDK's backup upload task runs after every
///   sync and every room key, and warns each time that there is no backup key.
/// - `matrix_sdk::http_client`: logs every failed request as ERROR, also those
///   the SDK expects to fail (at each start, two `GET account_data/
///   m.secret_storage.default_key` → 404: "no secret storage", which the SDK reads
///   as "none"). Every other failure reaches its caller, and the bot logs its own
///   (sync, send, join, upload failures) with what it does about it.
pub const QUIET_SDK: &[&str] = &[
    "matrix_sdk_crypto::backups=error",
    "matrix_sdk::http_client=off",
];

/// Encryption for a bot: no cross-signing bootstrap, no key backup created, no
/// keys downloaded from one (the defaults of matrix-sdk 0.18, stated so that a
/// new default cannot switch them on).
fn bot_encryption() -> EncryptionSettings {
    EncryptionSettings {
        auto_enable_cross_signing: false,
        backup_download_strategy: BackupDownloadStrategy::Manual,
        auto_enable_backups: false,
    }
}

/// Builds the client, restoring the saved session or logging in (once); true
/// when this is the device's first start, and the sync position the SDK had saved.
async fn connect(
    settings: &MatrixSettings,
    shop: &Shop,
    paths: &Paths,
) -> Result<(Client, bool, Option<String>), MatrixError> {
    let mut sdk_since = None;
    let has_session = paths.session.exists();
    let store_present = std::fs::read_dir(&paths.store).is_ok_and(|mut d| d.next().is_some());
    if has_session && !store_present {
        return Err(MatrixError::StoreLost {
            store: paths.store.display().to_string(),
            session: paths.session.display().to_string(),
        });
    }
    std::fs::create_dir_all(&paths.store).map_err(|e| MatrixError::File {
        path: paths.store.display().to_string(),
        reason: e.to_string(),
    })?;
    let passphrase = passphrase(paths)?;
    let client = Client::builder()
        .homeserver_url(&settings.homeserver)
        .sqlite_store_with_config_and_cache_path(
            store_config(&paths.store, &passphrase),
            None::<&Path>,
        )
        .with_encryption_settings(bot_encryption())
        .build()
        .await
        .map_err(|e| MatrixError::Sdk(e.to_string()))?;
    if has_session {
        let text = std::fs::read_to_string(&paths.session).map_err(|e| MatrixError::File {
            path: paths.session.display().to_string(),
            reason: e.to_string(),
        })?;
        let session: MatrixSession =
            serde_json::from_str(&text).map_err(|e| MatrixError::File {
                path: paths.session.display().to_string(),
                reason: e.to_string(),
            })?;
        // The SDK drops a sync response whose `next_batch` is the token it
        // saved last. That token may be ahead of the bot's own position (a
        // kill after the SDK saved it, before the sync's turns committed):
        // the first sync from the bot's position would then answer with that
        // very token and its events would be dropped, never answered. The bot
        // keeps its own position (`inbound`), so the SDK forgets its token;
        // it is the start's position only where the bot has none of its own.
        let store = client.state_store();
        let key = matrix_sdk::store::StateStoreDataKey::SyncToken;
        let sdk_error = |e: matrix_sdk::StoreError| MatrixError::Sdk(e.to_string());
        sdk_since = store
            .get_kv_data(key)
            .await
            .map_err(sdk_error)?
            .and_then(matrix_sdk::store::StateStoreDataValue::into_sync_token);
        store.remove_kv_data(key).await.map_err(sdk_error)?;
        client
            .restore_session(session)
            .await
            .map_err(|e| MatrixError::Sdk(e.to_string()))?;
    } else {
        let password = password(settings, &shop.base_dir)?;
        client
            .matrix_auth()
            .login_username(&settings.user, &password)
            .initial_device_display_name(&format!("shopbot ({})", shop.name()))
            .send()
            .await
            .map_err(|e| MatrixError::Sdk(e.to_string()))?;
        let session = client
            .matrix_auth()
            .session()
            .ok_or_else(|| MatrixError::Sdk("logged in without a session".to_owned()))?;
        let text = serde_json::to_string(&session).map_err(|e| MatrixError::Sdk(e.to_string()))?;
        write_private(&paths.session, &text)?;
    }
    Ok((client, !has_session, sdk_since))
}

/// What the event handlers, the turn loop and the sender share.
#[derive(Clone)]
struct Link {
    client: Client,
    engine: SharedEngine,
    wake: Arc<Notify>,
    stop: watch::Receiver<bool>,
    base_dir: PathBuf,
    allow: Arc<Vec<String>>,
}

/// Runs the channel until `stop` turns true.
pub async fn run(
    engine: SharedEngine,
    settings: MatrixSettings,
    db: &Path,
    stop: watch::Receiver<bool>,
) -> Result<(), MatrixError> {
    let paths = Paths::beside(db);
    let (the_shop, base_dir) = {
        let engine = lock(&engine);
        (engine.shop().clone(), engine.shop().base_dir.clone())
    };
    let (client, first_start, sdk_since) = connect(&settings, &the_shop, &paths).await?;
    tracing::info!(user = %settings.user, "matrix: connected");
    let link = Link {
        client,
        engine,
        wake: Arc::new(Notify::new()),
        stop,
        base_dir,
        allow: Arc::new(settings.allow.clone()),
    };
    let sending = tokio::spawn(outbound::send_loop(link.clone()));
    inbound::sync_loop(&link, first_start, sdk_since).await;
    link.wake.notify_one();
    if tokio::time::timeout(STOP_GRACE, sending).await.is_err() {
        tracing::warn!(
            "matrix: outbox not drained before the stop; the rest is sent at the next start"
        );
    }
    Ok(())
}

/// The SDK's stores (state, crypto, event cache, media), kept small: by default
/// each opens up to 4 connections per core with a 2 MB page cache each; a bot
/// with a handful of rooms needs the minimum pool (one writer, one reader) and
/// a 512 KiB cache.
fn store_config(path: &Path, passphrase: &str) -> matrix_sdk::SqliteStoreConfig {
    matrix_sdk::SqliteStoreConfig::new(path)
        .passphrase(Some(passphrase))
        .pool_max_size(2)
        .cache_size(512 * 1024)
        .journal_size_limit(2_000_000)
}
