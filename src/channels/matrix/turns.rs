//! The turn loop: the events queued at one moment (those of one sync) become
//! engine turns as one group commit (`engine::group`: one fsync for all, each
//! turn still all-or-nothing), and the sender is woken only after the commit.
//! From the first event whose turn fails, the rest goes one by one by the one
//! rule (`channels::turns`), in order: nothing skipped, nothing twice.

use std::time::Duration;

use tokio::sync::mpsc;

use super::inbound::{Queued, Raw};
use super::{CHANNEL, Link};
use crate::channels::blocking;
use crate::channels::turns::{self, Settled};

/// The longest wait for the rest of a sync's events once the first is queued.
const GATHER: Duration = Duration::from_secs(1);

/// Runs the turns in the order the events arrived: a barrier is answered only
/// once every event before it committed or was given up, so the sync position
/// never passes an event whose turn did not commit.
pub(super) async fn turn_loop(link: Link, mut rx: mpsc::UnboundedReceiver<Queued>) {
    while let Some(first) = rx.recv().await {
        // The events of one sync: up to its barrier, queued right after the
        // SDK called the handlers of the sync's last event. A sync that failed
        // after its events were queued sends no barrier: what came is run
        // after a short wait, as before, without waiting for the next sync.
        let mut raws = Vec::new();
        let mut barrier = None;
        let mut next = Some(first);
        while let Some(queued) = next.take() {
            match queued {
                Queued::Event(raw) => {
                    raws.push(raw);
                    next = tokio::time::timeout(GATHER, rx.recv()).await.ok().flatten();
                }
                Queued::Barrier(done) => barrier = Some(done),
            }
        }
        let grouped = group(&link, &raws).await;
        for raw in raws.into_iter().skip(grouped) {
            let origin = raw.origin();
            let attempt = || {
                let (link, raw) = (link.clone(), raw.clone());
                async move { turn(link, raw).await }
            };
            match turns::settle(&link.engine, &link.stop, CHANNEL, &origin, attempt).await {
                Settled::Committed => {}
                Settled::GaveUp => link.wake.notify_one(),
                // Dropping the queue fails the barrier: the position is not saved.
                Settled::Stopped => return,
            }
        }
        if let Some(done) = barrier {
            let _ = done.send(());
        }
    }
}

/// Runs the leading events of `raws` as one group commit and wakes the sender
/// after it. Returns how many events are done (committed, or needing no turn);
/// the rest, from the first that failed (in its translation or its turn), goes
/// one by one.
async fn group(link: &Link, raws: &[Raw]) -> usize {
    if raws.is_empty() {
        return 0;
    }
    // Translated in a task of their own, in order: a panic there ends the
    // task, and that event and the rest go one by one, where a panic is one
    // try's failure.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let translating = tokio::spawn({
        let (link, raws) = (link.clone(), raws.to_vec());
        async move {
            for raw in raws {
                if tx.send(raw.translate(&link).await).is_err() {
                    return;
                }
            }
        }
    });
    let finished = translating.await.is_ok();
    let mut turns = Vec::new();
    let mut translated = 0;
    while let Ok(incoming) = rx.try_recv() {
        if let Some(incoming) = incoming {
            turns.push((translated, incoming));
        }
        translated += 1;
    }
    let covered = if finished { raws.len() } else { translated };
    turns::run_group(
        &link.engine,
        &link.wake,
        turns,
        covered,
        |engine, incoming| incoming.run(engine),
    )
    .await
}

/// One try of an event's turn, alone: translate, run, wake the sender.
async fn turn(link: Link, raw: Raw) -> Result<(), String> {
    let Some(incoming) = raw.translate(&link).await else {
        return Ok(());
    };
    match blocking(&link.engine, move |engine| incoming.run(engine)).await {
        Some(Ok(_)) => {
            link.wake.notify_one();
            Ok(())
        }
        Some(Err(e)) => Err(e.to_string()),
        None => Err("the turn panicked".to_owned()),
    }
}
