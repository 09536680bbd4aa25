//! The one rule for a platform event's turn, on every channel.
//!
//! A turn that fails (an error, or a panic anywhere in handling the event, its
//! translation from the platform's types included) is tried again with a growing
//! pause ([`Pace::STANDARD`]: 1 s, 2 s, 4 s, 8 s, then every 15 s); the channel's
//! position (Telegram's offset, the Matrix sync token) waits for it. After 5 failed
//! tries, and after each one from then on, a tiny write tells the two causes apart:
//! - the database cannot write at all (full disk, I/O errors): keep waiting and
//!   trying, for ever — nothing is skipped;
//! - the database writes, so the event itself is at fault (a bug, a poison
//!   message): give up on it — an apology to the customer, a report to the owners
//!   and its key recorded, in one transaction, and the error logged in full — and
//!   only then pass it. If even that cannot be written, keep trying.

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Notify, watch};

use crate::channel::Channel;
use crate::channels::retry::Policy;
use crate::channels::{blocking, wait_or_stop};
use crate::engine::{Engine, Origin, SharedEngine, TurnResult};

/// The pauses of the rule.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The pause after the first failed try; doubled after each one.
    pub first: Duration,
    /// The longest pause between two tries.
    pub max: Duration,
    /// Failed tries before the database is probed and the event may be given up.
    pub probe_after: u32,
}

impl Pace {
    /// 1 s, 2 s, 4 s, 8 s, then every 15 s; the probe after 5 failed tries (15 s).
    pub const STANDARD: Pace = Pace {
        first: Policy::TURN.first,
        max: Policy::TURN.max,
        probe_after: 5,
    };
}

/// How an event's turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Its turn committed (or it needed none).
    Committed,
    /// Its own turn kept failing: the customer got an apology, the owners a report.
    GaveUp,
    /// The channel is stopping; the event was not handled and must not be passed.
    Stopped,
}

/// Handles one event by the rule above. `attempt` makes one try: `Ok` once the
/// turn committed, `Err` with what went wrong; it runs as its own task, so a
/// panic inside is that try's failure, never the process's.
pub async fn settle<F, Fut>(
    engine: &SharedEngine,
    stop: &watch::Receiver<bool>,
    channel: Channel,
    origin: &Origin,
    attempt: F,
) -> Settled
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    settle_paced(Pace::STANDARD, engine, stop, channel, origin, attempt).await
}

/// [`settle`] with other pauses (tests).
pub async fn settle_paced<F, Fut>(
    pace: Pace,
    engine: &SharedEngine,
    stop: &watch::Receiver<bool>,
    channel: Channel,
    origin: &Origin,
    mut attempt: F,
) -> Settled
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let mut tries: u32 = 0;
    let mut backoff = Policy {
        first: pace.first,
        max: pace.max,
    }
    .backoff();
    loop {
        let error = match tokio::spawn(attempt()).await {
            Ok(Ok(())) => return Settled::Committed,
            Ok(Err(e)) => e,
            Err(e) if e.is_panic() => format!("panicked: {}", panic_text(&*e.into_panic())),
            Err(e) => format!("cancelled: {e}"),
        };
        tries = tries.saturating_add(1);
        let delay = backoff.next_delay();
        tracing::warn!(
            %channel,
            chat = origin.chat_id.as_deref().unwrap_or("?"),
            tries,
            "a turn failed ({error}); trying again in {} ms",
            delay.as_millis()
        );
        if tries >= pace.probe_after && give_up(engine, channel, origin, tries, &error).await {
            return Settled::GaveUp;
        }
        if wait_or_stop(stop, delay).await {
            return Settled::Stopped;
        }
    }
}

/// Probes the database; when it writes, gives up on the event. True if given up.
async fn give_up(
    engine: &SharedEngine,
    channel: Channel,
    origin: &Origin,
    tries: u32,
    error: &str,
) -> bool {
    let probe = blocking(engine, |engine| engine.probe_write(Timestamp::now())).await;
    match probe {
        Some(Ok(())) => {}
        Some(Err(e)) => {
            tracing::error!(
                %channel,
                "the database cannot write ({e}); waiting for it, nothing is skipped"
            );
            return false;
        }
        None => return false,
    }
    let owned = (origin.clone(), error.to_owned());
    let given_up = blocking(engine, move |engine| {
        let (origin, error) = owned;
        engine.give_up(channel, &origin, tries, &error, Timestamp::now())
    })
    .await;
    match given_up {
        Some(Ok(_)) => {
            tracing::error!(
                %channel,
                chat = origin.chat_id.as_deref().unwrap_or("?"),
                key = origin.key.as_deref().unwrap_or("?"),
                tries,
                "gave up on an event whose turn kept failing while the database writes; \
                 the customer got an apology and the owners a report. The error: {error}"
            );
            true
        }
        Some(Err(e)) => {
            tracing::error!(
                %channel,
                "cannot record giving up on an event ({e}); trying again"
            );
            false
        }
        None => false,
    }
}

/// Runs the translated turns of one batch (each with its place in the batch) as
/// one group commit, and wakes the sender if any committed. Returns how many of
/// the batch's events are done: those before the first turn that did not commit,
/// or `covered` when all did.
pub(crate) async fn run_group<T, E>(
    engine: &SharedEngine,
    wake: &Notify,
    turns: Vec<(usize, T)>,
    covered: usize,
    run: impl Fn(&mut Engine, T) -> Result<TurnResult, E> + Send + 'static,
) -> usize
where
    T: Send + 'static,
    E: std::fmt::Display,
{
    if turns.is_empty() {
        return covered;
    }
    let positions: Vec<usize> = turns.iter().map(|(at, _)| *at).collect();
    let done = blocking(engine, move |engine| {
        engine
            .run_turns(turns, |engine, (_, turn)| run(engine, turn))
            .len()
    })
    .await
    .unwrap_or(0);
    if done > 0 {
        wake.notify_one();
    }
    match positions.get(done) {
        // The turn at `at` did not commit: every event before it is done.
        Some(&at) => at,
        None => covered,
    }
}

/// What a panic said.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::engine::Engine;
    use crate::shop::Shop;

    const QUICK: Pace = Pace {
        first: Duration::from_millis(5),
        max: Duration::from_millis(20),
        probe_after: 3,
    };

    fn engine(dir: &std::path::Path) -> SharedEngine {
        let shop = Shop::load(std::path::Path::new("tests/fixtures/shops/small.toml"))
            .expect("the small test shop loads");
        Engine::open(shop, &dir.join("shop.db"))
            .expect("engine")
            .shared()
    }

    fn count(dir: &std::path::Path, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(dir.join("shop.db")).expect("db");
        conn.query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    fn origin() -> Origin {
        Origin {
            chat_id: Some("42".to_owned()),
            key: Some("m:42:7".to_owned()),
            sender_name: Some("Ana".to_owned()),
        }
    }

    #[tokio::test]
    async fn a_turn_that_panics_every_time_is_given_up_with_an_apology() {
        let dir = tempfile::tempdir().expect("dir");
        let engine = engine(dir.path());
        let (_stop_tx, stop) = watch::channel(false);
        let tries = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&tries);
        let settled = settle_paced(
            QUICK,
            &engine,
            &stop,
            Channel::Telegram,
            &origin(),
            move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { panic!("a poison message") }
            },
        )
        .await;
        assert_eq!(settled, Settled::GaveUp);
        assert_eq!(tries.load(Ordering::SeqCst), QUICK.probe_after);
        let sql = "SELECT COUNT(*) FROM inbox WHERE key = 'm:42:7'";
        assert_eq!(count(dir.path(), sql), 1, "the key is recorded");
        let sql =
            "SELECT COUNT(*) FROM outbox WHERE chat_id = '42' AND payload LIKE '%went wrong%'";
        assert_eq!(count(dir.path(), sql), 1, "one apology");
        // Given up once: the same event again (a restart) apologises no more.
        let again = settle_paced(
            QUICK,
            &engine,
            &stop,
            Channel::Telegram,
            &origin(),
            || async { Err::<(), _>("still failing".to_owned()) },
        )
        .await;
        assert_eq!(again, Settled::GaveUp);
        assert_eq!(count(dir.path(), sql), 1, "no second apology");
    }

    #[tokio::test]
    async fn a_database_that_cannot_write_is_waited_for_and_never_skipped() {
        let dir = tempfile::tempdir().expect("dir");
        let engine = engine(dir.path());
        let conn = rusqlite::Connection::open(dir.path().join("shop.db")).expect("db");
        for table in ["settings", "inbox", "outbox"] {
            conn.execute_batch(&format!(
                "CREATE TRIGGER full_{table} BEFORE INSERT ON {table} \
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;
                 CREATE TRIGGER full_u_{table} BEFORE UPDATE ON {table} \
                 BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;"
            ))
            .expect("trigger");
        }
        let (stop_tx, stop) = watch::channel(false);
        let tries = Arc::new(AtomicU32::new(0));
        let counted = Arc::clone(&tries);
        let waiting = tokio::spawn({
            let engine = Arc::clone(&engine);
            async move {
                settle_paced(
                    QUICK,
                    &engine,
                    &stop,
                    Channel::Matrix,
                    &origin(),
                    move || {
                        let n = counted.fetch_add(1, Ordering::SeqCst);
                        async move {
                            if n < 30 {
                                Err("database or disk is full".to_owned())
                            } else {
                                Ok(())
                            }
                        }
                    },
                )
                .await
            }
        });
        // Far past the probe: still trying, nothing given up or recorded.
        while tries.load(Ordering::SeqCst) < 10 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(!waiting.is_finished());
        assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM outbox"), 0);
        assert_eq!(count(dir.path(), "SELECT COUNT(*) FROM inbox"), 0);
        // Space is back: the turn commits.
        assert_eq!(waiting.await.expect("joins"), Settled::Committed);
        drop(stop_tx);
    }

    #[tokio::test]
    async fn a_stop_ends_the_wait_without_passing_the_event() {
        let dir = tempfile::tempdir().expect("dir");
        let engine = engine(dir.path());
        let (stop_tx, stop) = watch::channel(false);
        let pace = Pace {
            first: Duration::from_mins(1),
            ..QUICK
        };
        let waiting = tokio::spawn(async move {
            settle_paced(
                pace,
                &engine,
                &stop,
                Channel::Telegram,
                &origin(),
                || async { Err::<(), _>("busy".to_owned()) },
            )
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop_tx.send(true).expect("stop");
        let settled = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("stops at once")
            .expect("joins");
        assert_eq!(settled, Settled::Stopped);
    }
}
