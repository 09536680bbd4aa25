//! Group commit: the turns that arrive together (one `getUpdates` batch, the
//! Matrix events queued at one moment) in one transaction — one fsync for all.
//!
//! Each turn is still all-or-nothing: inside the group it is a savepoint, and a
//! turn that fails (an error or a panic) is rolled back alone. The group stops
//! at the first turn that fails or must run alone (`/reload`), commits the turns
//! before it, and says how many those are: the channel answers them (only now,
//! after the commit) and hands the failed turn and every later one to the
//! one-by-one rule of `channels::turns`, so the order is kept and nothing is
//! skipped. When the commit itself fails, nothing of the group happened, in the
//! database or in memory: flood tokens are given back and the live stock is
//! the one from before the group.

use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use super::{Engine, EngineError, TurnResult};
use crate::flood::Taken;
use crate::shop::StockLevels;

/// Test-only fault point: `SHOPBOT_TEST_ABORT_IN_GROUP=N` aborts the process
/// after the N-th turn of a group, before its commit (a kill -9 inside a group
/// commit). Never set it in production.
pub const ABORT_ENV: &str = "SHOPBOT_TEST_ABORT_IN_GROUP";

/// The fault point's N, read once when the engine opens.
pub(super) fn abort_in_group() -> Option<usize> {
    std::env::var(ABORT_ENV)
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .filter(|&n| n > 0)
}

/// What the turns of an open group changed in memory, undone if it does not commit.
#[derive(Default)]
pub(super) struct Ledger {
    /// Flood tokens taken, in order.
    pub(super) taken: Vec<Taken>,
    /// The live stock before the first turn that refreshed it.
    pub(super) stock_before: Option<StockLevels>,
    /// The products' ratings before the first turn that changed them.
    pub(super) ratings_before: Option<crate::store::Ratings>,
    /// A customer was erased: the log is emptied after the commit.
    pub(super) forgotten: bool,
}

impl Engine {
    /// Runs `turns` in order as one group (see the module docs): `run` does one
    /// turn (usually [`Engine::run_turn`]). Returns the results of the turns
    /// committed, a prefix of `turns`: empty when the first one failed or the
    /// commit did not happen. The turns after the prefix did not happen.
    pub fn run_turns<I, E: Display>(
        &mut self,
        turns: impl IntoIterator<Item = I>,
        mut run: impl FnMut(&mut Engine, I) -> Result<TurnResult, E>,
    ) -> Vec<TurnResult> {
        if let Err(e) = self.store.begin_group() {
            tracing::warn!("cannot open a group commit ({e}); turns run one by one");
            return Vec::new();
        }
        self.ledger = Some(Ledger::default());
        let mut done = Vec::new();
        for turn in turns {
            match catch_unwind(AssertUnwindSafe(|| run(self, turn))) {
                Ok(Ok(result)) => done.push(result),
                Ok(Err(e)) => {
                    tracing::debug!("a turn of a group failed ({e}); the rest runs one by one");
                    break;
                }
                Err(_) => {
                    tracing::debug!("a turn of a group panicked; the rest runs one by one");
                    break;
                }
            }
            if self.abort_in_group == Some(done.len()) {
                tracing::error!("{ABORT_ENV}: aborting inside a group, before its commit");
                std::process::abort();
            }
        }
        let ledger = self.ledger.take().unwrap_or_default();
        if done.is_empty() {
            if let Err(e) = self.store.end_group(false) {
                tracing::warn!("cannot roll back an empty group: {e}");
            }
            return Vec::new();
        }
        match self.store.end_group(true) {
            Ok(()) => {
                tracing::trace!(turns = done.len(), "group committed");
                if ledger.forgotten {
                    // The files first: taking them out of the trash writes to the log.
                    self.empty_spool_trash();
                    self.checkpoint_after_forget();
                }
                done
            }
            Err(e) => {
                tracing::warn!(
                    turns = done.len(),
                    "a group commit failed ({e}); its turns run again one by one"
                );
                for taken in ledger.taken.into_iter().rev() {
                    self.flood.give_back(taken);
                }
                if let Some(stock) = ledger.stock_before {
                    self.stock = stock;
                }
                if let Some(ratings) = ledger.ratings_before {
                    self.ratings = ratings;
                }
                Vec::new()
            }
        }
    }
}

impl Engine {
    /// Runs `writes` (outside a turn: sent-marks of many chats) as one group:
    /// each all-or-nothing in its own savepoint, all committed together. Says
    /// for each whether it is committed (`Err` with why not; a failed commit
    /// fails them all).
    pub fn run_writes<I, E: Display>(
        &mut self,
        writes: impl IntoIterator<Item = I>,
        mut run: impl FnMut(&mut Engine, I) -> Result<(), E>,
    ) -> Vec<Result<(), String>> {
        let writes: Vec<I> = writes.into_iter().collect();
        if let Err(e) = self.store.begin_group() {
            let e = e.to_string();
            return writes.iter().map(|_| Err(e.clone())).collect();
        }
        let mut done = Vec::with_capacity(writes.len());
        for write in writes {
            let outcome = match self.store.enter_savepoint() {
                Err(e) => Err(e.to_string()),
                Ok(()) => match catch_unwind(AssertUnwindSafe(|| run(self, write))) {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("the write panicked".to_owned()),
                },
            };
            let kept = self.store.leave_savepoint(outcome.is_ok());
            done.push(outcome.and(kept.map_err(|e| e.to_string())));
        }
        if let Err(e) = self.store.end_group(true) {
            let e = e.to_string();
            return done.iter().map(|_| Err(e.clone())).collect();
        }
        done
    }
}

/// A write made outside a turn (a sent-mark), for the next group commit.
pub type WriteFn = dyn Fn(&mut Engine) -> Result<(), EngineError> + Send + Sync;

/// The engine shared by a channel's tasks (turns run one at a time), and the
/// writes waiting to be committed together: while one group commits, the writes
/// submitted meanwhile wait here and go into the next one.
pub struct Shared {
    engine: Mutex<Engine>,
    queued: Mutex<Vec<(Arc<WriteFn>, Committed)>>,
}

/// Told whether a queued write was committed (`Err` with why not).
pub type Committed = oneshot::Sender<Result<(), String>>;

impl Shared {
    pub(super) fn new(engine: Engine) -> Self {
        Self {
            engine: Mutex::new(engine),
            queued: Mutex::default(),
        }
    }

    /// Locks the engine; a panic elsewhere never leaves it unusable.
    pub fn lock(&self) -> MutexGuard<'_, Engine> {
        self.engine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `write` for the next [`Shared::commit_queued`]; `done` hears
    /// whether it was committed.
    pub fn queue(&self, write: Arc<WriteFn>, done: Committed) {
        self.queued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((write, done));
    }

    /// Commits every queued write as one group (`engine` is this one, locked),
    /// and tells each whether it was committed.
    pub fn commit_queued(&self, engine: &mut Engine) {
        let queued =
            std::mem::take(&mut *self.queued.lock().unwrap_or_else(PoisonError::into_inner));
        if queued.is_empty() {
            return;
        }
        let (writes, done): (Vec<_>, Vec<_>) = queued.into_iter().unzip();
        let outcomes = engine.run_writes(writes, |engine, write| write(engine));
        for (done, outcome) in done.into_iter().zip(outcomes) {
            // A caller that stopped waiting needs no answer.
            let _ = done.send(outcome);
        }
    }
}
