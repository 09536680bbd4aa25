//! The web channel: the shop as a chat on the seller's own website, served by
//! the bot itself (`[web]` in `shop.toml`).
//!
//! A page (the widget on the seller's site, or `/chat`) holds a WebSocket. A
//! customer is a random token the browser keeps (never an address): a reload
//! or a second tab is the same conversation. The bot's messages are outbox
//! rows like on every channel; the web's "sent" means handed to the pages open
//! now, and a page that was away gets what it missed from the outbox when it
//! comes back, by message id, once.

mod customer;
mod frames;
mod http;
mod hub;
mod limits;
mod site;
mod socket;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sha2::{Digest, Sha256};
use tokio::sync::{Notify, watch};

use crate::channel::Channel;
use crate::channels::{STOP_GRACE, lock, pending, record_delivery};
use crate::engine::{OutboxRow, SharedEngine, outgoing_of};
use crate::shop::WebSettings;

pub use customer::chat_of;
pub use limits::Rates;

use hub::{Frame, Hub};
use limits::Limits;
use site::{Images, Site};

/// This adapter's channel.
pub const CHANNEL: Channel = Channel::Web;

/// Rows handed to the pages per round.
const BATCH: usize = 200;
/// How often the outbox is looked at when nothing wakes the sender (rows
/// queued by other channels' turns: an owner's answer from Telegram).
const POLL: Duration = Duration::from_millis(250);

/// Errors that stop the channel from starting.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("web: cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    #[error("web: {0}")]
    Serve(String),
}

/// What the server's tasks share.
pub(crate) struct Shared {
    engine: SharedEngine,
    site: Site,
    hub: Arc<Hub>,
    limits: Limits,
    images: Images,
    /// The shop's languages, for the browser's choice.
    languages: Vec<String>,
    base_dir: std::path::PathBuf,
    wake: Notify,
    stop: watch::Receiver<bool>,
    /// This run's key for the attachments' addresses (a page reloaded after a
    /// restart gets new addresses with the messages it is sent again).
    secret: [u8; 32],
}

impl Shared {
    /// Where a page fetches the attachment of outbox row `row`: an address
    /// only the bot can make (a keyed digest of the row and its chat), so a
    /// file reaches only the customer it was sent to.
    fn media_url(&self, row: &OutboxRow) -> String {
        format!("/media/{}/{}", row.id, self.media_key(row.id, &row.chat_id))
    }

    fn media_key(&self, row: i64, chat: &str) -> String {
        let mut digest = Sha256::new();
        digest.update(self.secret);
        digest.update(format!("\0media\0{row}\0{chat}").as_bytes());
        crate::channels::media::lower_hex(&digest.finalize()[..16])
    }

    /// A bot message as the frame the pages get, and the message it is shown
    /// as; `None` (logged) for a row that cannot be read.
    fn frame_of(&self, row: &OutboxRow) -> Option<(Frame, String)> {
        match outgoing_of(row) {
            Ok(out) => {
                let url = self.media_url(row);
                let message = frames::message(row, &out, &self.images, &self.base_dir, &url);
                let shows = message.shows.clone();
                let frame = Frame {
                    id: row.id,
                    json: Arc::from(frames::ToPage::Msg(Box::new(message)).json()),
                };
                Some((frame, shows))
            }
            Err(e) => {
                tracing::error!(row = row.id, "web: an outbox row cannot be read: {e}");
                None
            }
        }
    }
}

/// Runs the web chat until `stop` turns true.
pub async fn run(
    engine: SharedEngine,
    settings: WebSettings,
    stop: watch::Receiver<bool>,
) -> Result<(), WebError> {
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| WebError::Listen {
            addr: settings.listen.clone(),
            reason: e.to_string(),
        })?;
    let bound = listener.local_addr().map_err(|e| WebError::Listen {
        addr: settings.listen.clone(),
        reason: e.to_string(),
    })?;
    let images = Images::default();
    let (site, languages, base_dir, pictures) = {
        let locked = lock(&engine);
        let catalog = locked.shop();
        let pictures: Vec<String> = catalog
            .products()
            .iter()
            .filter_map(|p| p.image.clone())
            .collect();
        (
            Site::new(&settings, bound, catalog, &images),
            catalog.languages(),
            catalog.base_dir.clone(),
            pictures,
        )
    };
    tracing::info!(
        "web: listening on http://{bound} (the chat page: {}/chat; the widget: {}/widget.js)",
        site.public,
        site.public
    );
    let shared = Arc::new(Shared {
        engine,
        hub: Hub::new(site.max_connections, site.max_per_address),
        site,
        limits: Limits::new(Rates::standard()),
        images,
        languages,
        base_dir,
        wake: Notify::new(),
        stop: stop.clone(),
        secret: random_key()?,
    });
    // The catalog's pictures are named off the engine's lock and the start (a
    // page cached before a restart may ask for them before any card is sent).
    let naming = Arc::clone(&shared);
    tokio::task::spawn_blocking(move || naming.images.name_all(&naming.base_dir, &pictures));
    let sending = tokio::spawn(send_loop(Arc::clone(&shared)));
    let app = http::router(Arc::clone(&shared));
    let mut stopping = stop.clone();
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    })
    .await
    .map_err(|e| WebError::Serve(e.to_string()));
    shared.wake.notify_one();
    if tokio::time::timeout(STOP_GRACE, sending).await.is_err() {
        tracing::warn!("web: the outbox was not handed out before the stop");
    }
    served
}

/// 32 bytes from the system's random source.
fn random_key() -> Result<[u8; 32], WebError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| WebError::Serve(format!("no random source: {e}")))?;
    Ok(key)
}

/// Hands the web's outbox rows to the open pages, oldest first, and marks them
/// sent (a page that is not open gets them from the outbox when it comes back).
async fn send_loop(shared: Arc<Shared>) {
    let mut stop = shared.stop.clone();
    let mut tidied = tokio::time::Instant::now();
    loop {
        let rows = pending(&shared.engine, CHANNEL, BATCH).await;
        let mut marks = Vec::with_capacity(rows.len());
        for row in &rows {
            match shared.frame_of(row) {
                Some((frame, shows)) => {
                    shared.hub.publish(&row.chat_id, &frame, None);
                    marks.push((row.id, row.chat_id.clone(), shows));
                }
                None => marks.push((row.id, row.chat_id.clone(), String::new())),
            }
        }
        if !marks.is_empty() {
            let marked = record_delivery(&shared.engine, &shared.stop, CHANNEL, move |engine| {
                let now = Timestamp::now().as_second();
                for (id, chat, shows) in &marks {
                    if shows.is_empty() {
                        engine.mark_failed(*id, "unreadable", now)?;
                    } else {
                        engine.mark_sent_as(
                            *id,
                            now,
                            CHANNEL,
                            chat,
                            std::slice::from_ref(shows),
                        )?;
                    }
                }
                Ok(())
            })
            .await;
            if !marked {
                return;
            }
        }
        if tidied.elapsed() > Duration::from_mins(1) {
            shared.limits.tidy();
            tidied = tokio::time::Instant::now();
        }
        if rows.len() == BATCH {
            continue;
        }
        if *stop.borrow() {
            return;
        }
        tokio::select! {
            () = shared.wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
    }
}
