//! Pacing to a platform's flood limits without a tick: token buckets (`governor`'s
//! GCRA) per chat, per group and overall. A message leaves at once while under
//! every limit and otherwise waits exactly as long as the fullest bucket needs.
//!
//! The overall bucket is shared by every chat and served in two classes: a
//! chat's first message after a quiet spell (a new customer's first answer) and
//! callback answers go before every waiting later message, so a burst of new
//! customers all hear from the bot at the overall rate before anyone's second
//! message. Within a class, waiters are served in arrival order.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{NotUntil, Quota, RateLimiter};
use tokio::sync::{Notify, watch};

/// `governor`'s clock on tokio's time (so tests with a paused clock see exact waits).
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    type Instant = Instant;

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

type Direct = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Instant>>;
type Keyed = RateLimiter<i64, HashMapStateStore<i64>, TokioClock, NoOpMiddleware<Instant>>;

/// The limits of one platform.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Every message of the bot.
    pub overall: Quota,
    /// Each chat.
    pub chat: Option<Quota>,
    /// Each group chat (negative ids on Telegram), on top of `chat`.
    pub group: Option<Quota>,
    /// A chat that was sent nothing for this long is served first.
    pub quiet: Duration,
}

fn quota(every: Duration, burst: u32) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
        .allow_burst(burst)
}

impl Limits {
    /// Telegram's: about 30 messages a second overall (one every 34 ms, so that
    /// no sliding second holds more than 30 even with some network jitter),
    /// one a second per chat after a burst of two (Telegram tolerates short
    /// bursts, about three; the third is the slack of [`Pacer::message`]), and
    /// 20 a minute per group (one every 3.1 s).
    #[must_use]
    pub fn telegram() -> Self {
        Self {
            overall: quota(Duration::from_millis(34), 1),
            chat: Some(quota(Duration::from_secs(1), 2)),
            group: Some(quota(Duration::from_millis(3100), 1)),
            quiet: Duration::from_mins(1),
        }
    }

    /// A homeserver's (Synapse's default `rc_message` allows a burst of 10,
    /// then 0.2 a second per user; servers for bots raise it): a burst of 10,
    /// then 10 a second; `M_LIMIT_EXCEEDED` is still honoured on top.
    #[must_use]
    pub fn matrix() -> Self {
        Self {
            overall: quota(Duration::from_millis(100), 10),
            chat: None,
            group: None,
            quiet: Duration::from_mins(1),
        }
    }
}

/// Which queue of the overall bucket a message waits in; each is served before
/// the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A callback answer: the customer's client shows a spinner until it comes,
    /// and the poll loop waits for it.
    Answer = 0,
    /// A quiet chat's first message.
    First = 1,
    Later = 2,
}

/// Paces one channel's messages. `off` never waits (benchmarks).
pub struct Pacer(Option<Inner>);

struct Inner {
    quiet: Duration,
    overall: Direct,
    chats: Option<Keyed>,
    groups: Option<Keyed>,
    gate: Mutex<Gate>,
    /// When each recently served chat was last sent something.
    last: Mutex<HashMap<i64, Instant>>,
    served: AtomicU64,
}

/// The waiters of the overall bucket, by class, in arrival order.
#[derive(Default)]
struct Gate {
    next: u64,
    queues: [VecDeque<(u64, Arc<Notify>)>; 3],
}

impl Gate {
    fn front(&self) -> Option<&(u64, Arc<Notify>)> {
        self.queues.iter().find_map(VecDeque::front)
    }

    fn head(&self) -> Option<u64> {
        self.front().map(|(id, _)| *id)
    }

    /// Removes a waiter and wakes the new head.
    fn leave(&mut self, id: u64) {
        for queue in &mut self.queues {
            if queue.front().is_some_and(|(i, _)| *i == id) {
                queue.pop_front();
            } else {
                queue.retain(|(i, _)| *i != id);
            }
        }
        if let Some((_, wake)) = self.front() {
            wake.notify_one();
        }
    }
}

/// A place in the gate, given up if the waiting is abandoned (a stop).
struct Ticket<'a> {
    gate: &'a Mutex<Gate>,
    id: u64,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        locked(self.gate).leave(self.id);
    }
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn wait_of(not: &NotUntil<Instant>) -> Duration {
    not.wait_time_from(TokioClock.now())
}

/// Waits until `limiter` lets one message of `key` through, and takes it.
async fn take_key(limiter: &Keyed, key: i64) {
    while let Err(not) = limiter.check_key(&key) {
        tokio::time::sleep(wait_of(&not)).await;
    }
}

impl Pacer {
    #[must_use]
    pub fn new(limits: Limits, on: bool) -> Self {
        Self(on.then(|| {
            Inner {
                quiet: limits.quiet,
                overall: RateLimiter::direct_with_clock(limits.overall, TokioClock),
                chats: limits
                    .chat
                    .map(|q| RateLimiter::hashmap_with_clock(q, TokioClock)),
                groups: limits
                    .group
                    .map(|q| RateLimiter::hashmap_with_clock(q, TokioClock)),
                gate: Mutex::default(),
                last: Mutex::default(),
                served: AtomicU64::new(0),
            }
        }))
    }

    /// A pacer that never waits.
    #[must_use]
    pub fn off() -> Self {
        Self(None)
    }

    /// Waits until one message (a send or an edit) to `chat` may leave now.
    pub async fn message(&self, chat: i64) {
        let Some(inner) = &self.0 else { return };
        let class = if inner.quiet(chat) {
            Class::First
        } else {
            Class::Later
        };
        let group = chat < 0;
        inner.take_chat(chat, group).await;
        let before = tokio::time::Instant::now();
        inner.take_overall(class).await;
        // The chat's tokens were taken before the overall wait, the platform
        // counts the message only now. A wait of up to a second is covered by
        // the token of slack below the platform's burst; after a longer one,
        // take them again so the chat's next message keeps its distance.
        if before.elapsed() > Duration::from_secs(1) {
            inner.take_chat(chat, group).await;
        }
        inner.sent(chat);
    }

    /// Waits for the overall bucket alone, before every waiting message (a
    /// callback answer: the client shows a spinner until it arrives).
    pub async fn answer(&self) {
        if let Some(inner) = &self.0 {
            inner.take_overall(Class::Answer).await;
        }
    }

    /// Waits for the overall bucket alone, in `class`.
    pub async fn overall(&self, class: Class) {
        if let Some(inner) = &self.0 {
            inner.take_overall(class).await;
        }
    }
}

impl Inner {
    fn quiet(&self, chat: i64) -> bool {
        locked(&self.last)
            .get(&chat)
            .is_none_or(|at| TokioClock.now().duration_since(*at) >= self.quiet)
    }

    fn sent(&self, chat: i64) {
        let now = TokioClock.now();
        let mut last = locked(&self.last);
        last.insert(chat, now);
        // Now and then, forget chats that are quiet again.
        if self.served.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            last.retain(|_, at| now.duration_since(*at) < self.quiet);
            drop(last);
            for limiter in [&self.chats, &self.groups].into_iter().flatten() {
                limiter.retain_recent();
            }
        }
    }

    async fn take_chat(&self, chat: i64, group: bool) {
        if let Some(chats) = &self.chats {
            take_key(chats, chat).await;
        }
        if group && let Some(groups) = &self.groups {
            take_key(groups, chat).await;
        }
    }

    /// Waits for a token of the overall bucket, served by class, then by arrival.
    async fn take_overall(&self, class: Class) {
        let wake = Arc::new(Notify::new());
        let id = {
            let mut gate = locked(&self.gate);
            let id = gate.next;
            gate.next += 1;
            gate.queues[class as usize].push_back((id, Arc::clone(&wake)));
            id
        };
        let ticket = Ticket {
            gate: &self.gate,
            id,
        };
        loop {
            let wait = {
                let gate = locked(&self.gate);
                if gate.head() == Some(id) {
                    match self.overall.check() {
                        Ok(()) => None,
                        Err(not) => Some(Some(wait_of(&not))),
                    }
                } else {
                    Some(None)
                }
            };
            match wait {
                // Our turn, and the token is ours: leaving the gate wakes the next.
                None => {
                    drop(ticket);
                    return;
                }
                // First in line: the bucket refills in exactly this long.
                Some(Some(wait)) => tokio::time::sleep(wait).await,
                // Someone is before us: woken when we are first.
                Some(None) => wake.notified().await,
            }
        }
    }
}

/// Runs `pacing`; true if the channel stopped first and the wait went on for
/// `grace` after the stop (short waits still finish when stopping: the drain).
pub async fn or_stop(
    stop: &watch::Receiver<bool>,
    grace: Duration,
    pacing: impl Future<Output = ()>,
) -> bool {
    let mut stop = stop.clone();
    tokio::select! {
        () = pacing => false,
        () = async {
            let _ = stop.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant as TInstant;

    fn telegram() -> Arc<Pacer> {
        Arc::new(Pacer::new(Limits::telegram(), true))
    }

    #[tokio::test(start_paused = true)]
    async fn an_uncontended_message_leaves_at_once() {
        let pace = telegram();
        let start = TInstant::now();
        pace.message(7).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        pace.message(8).await;
        // The second chat waits only the overall bucket's 34 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(34));
        let pace = telegram();
        let start = TInstant::now();
        pace.message(9).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_chat_gets_a_burst_of_two_then_one_a_second() {
        let pace = telegram();
        let start = TInstant::now();
        let mut at = Vec::new();
        for _ in 0..6 {
            pace.message(42).await;
            at.push(start.elapsed().as_millis());
        }
        assert_eq!(at, [0, 34, 1000, 2000, 3000, 4000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_gets_one_message_every_3_1_seconds() {
        let pace = telegram();
        let start = TInstant::now();
        let mut at = Vec::new();
        for _ in 0..4 {
            pace.message(-100).await;
            at.push(start.elapsed().as_millis());
        }
        // So never more than 20 in any minute.
        assert_eq!(at, [0, 3100, 6200, 9300]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_overall_bucket_spaces_every_chat_34_ms_apart() {
        let pace = telegram();
        let start = TInstant::now();
        let tasks: Vec<_> = (1..=60)
            .map(|chat| {
                let pace = Arc::clone(&pace);
                tokio::spawn(async move {
                    pace.message(chat).await;
                    start.elapsed()
                })
            })
            .collect();
        let mut at = Vec::new();
        for t in tasks {
            at.push(t.await.unwrap());
        }
        at.sort();
        for (i, t) in at.iter().enumerate() {
            assert_eq!(*t, Duration::from_millis(34) * u32::try_from(i).unwrap());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_chat_goes_before_the_waiting_later_messages() {
        let pace = telegram();
        // Ten chats that already talked: their next messages are "later".
        for chat in 1..=10 {
            pace.message(chat).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for chat in 1..=10 {
            let (pace, order) = (Arc::clone(&pace), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                pace.message(chat).await;
                locked(&order).push(chat);
            }));
            tokio::task::yield_now().await;
        }
        // Newcomers arrive after the later messages queued.
        for chat in 100..105 {
            let (pace, order) = (Arc::clone(&pace), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                pace.message(chat).await;
                locked(&order).push(chat);
            }));
            tokio::task::yield_now().await;
        }
        let answer = {
            let (pace, order) = (Arc::clone(&pace), Arc::clone(&order));
            tokio::spawn(async move {
                pace.answer().await;
                locked(&order).push(0);
            })
        };
        for t in tasks {
            t.await.unwrap();
        }
        answer.await.unwrap();
        let order = locked(&order).clone();
        // The first later message had the token already; then the callback
        // answer, then every newcomer in arrival order; then the later ones.
        assert_eq!(
            order,
            [1, 0, 100, 101, 102, 103, 104, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_wait_does_not_block_the_others() {
        let pace = telegram();
        pace.message(1).await;
        let abandoned = {
            let pace = Arc::clone(&pace);
            tokio::spawn(async move { pace.overall(Class::First).await })
        };
        tokio::task::yield_now().await;
        abandoned.abort();
        let start = TInstant::now();
        pace.overall(Class::Later).await;
        assert!(start.elapsed() <= Duration::from_millis(34));
    }

    #[tokio::test(start_paused = true)]
    async fn off_never_waits_and_matrix_allows_a_burst_of_ten() {
        let pace = Pacer::off();
        let start = TInstant::now();
        for _ in 0..1000 {
            pace.message(1).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        let pace = Pacer::new(Limits::matrix(), true);
        for _ in 0..10 {
            pace.overall(Class::Later).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        pace.overall(Class::Later).await;
        assert_eq!(start.elapsed(), Duration::from_millis(100));
    }

    #[tokio::test(start_paused = true)]
    async fn or_stop_lets_short_waits_finish_and_cuts_long_ones() {
        let (tx, rx) = watch::channel(true);
        let grace = Duration::from_secs(2);
        assert!(!or_stop(&rx, grace, tokio::time::sleep(Duration::from_secs(1))).await);
        assert!(or_stop(&rx, grace, tokio::time::sleep(Duration::from_secs(30))).await);
        drop(tx);
    }
}
