//! The flood guard: a customer who writes faster than a person can is slowed
//! down, so one chat cannot take the bot's time from the others.
//!
//! Each chat has a bucket of [`BURST`] messages that refills at [`REFILL_PER_SEC`];
//! a message that finds it empty is ignored. The customer is told once per
//! flood, and the owners get at most one notice a minute about all floods.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::channel::{Channel, ChatKey};

/// Messages a chat may send at once.
pub const BURST: f64 = 12.0;
/// Messages a chat earns back per second.
pub const REFILL_PER_SEC: f64 = 1.0;
/// The least time between two notices to the owners.
const NOTICE_EVERY_MS: i64 = 60_000;
/// Chats remembered before idle ones are forgotten.
const KEEP: usize = 10_000;

/// What to do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Ignore it; tell the customer (first message ignored in this flood) and
    /// the owners (with how many were ignored), when due.
    Drop {
        tell_customer: bool,
        tell_owners: Option<u64>,
    },
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
    warned: bool,
    ignored: u64,
}

/// Per-chat buckets, in memory (a restart forgives everyone).
#[derive(Debug, Default)]
pub struct FloodGuard {
    buckets: HashMap<ChatKey, Bucket>,
    last_notice_ms: Option<i64>,
}

/// A chat's place in the guard before a message was taken, to put back when
/// that message's turn did not happen (it failed and will be tried again).
#[derive(Debug, Clone)]
pub struct Taken {
    key: ChatKey,
    bucket: Option<Bucket>,
    last_notice_ms: Option<i64>,
}

impl FloodGuard {
    /// Takes one message of `chat` at `now`, remembering how things stood before.
    pub fn take(&mut self, channel: Channel, chat: &str, now: Timestamp) -> (Verdict, Taken) {
        let key = ChatKey::new(channel, chat);
        let taken = Taken {
            bucket: self.buckets.get(&key).copied(),
            key,
            last_notice_ms: self.last_notice_ms,
        };
        (self.check(channel, chat, now), taken)
    }

    /// Undoes a [`FloodGuard::take`]: the message was never handled.
    pub fn give_back(&mut self, taken: Taken) {
        match taken.bucket {
            Some(bucket) => {
                self.buckets.insert(taken.key, bucket);
            }
            None => {
                self.buckets.remove(&taken.key);
            }
        }
        self.last_notice_ms = taken.last_notice_ms;
    }

    /// Takes one message of `chat` at `now`.
    pub fn check(&mut self, channel: Channel, chat: &str, now: Timestamp) -> Verdict {
        let now_ms = now.as_millisecond();
        if self.buckets.len() >= KEEP {
            self.forget_idle(now_ms);
        }
        let bucket = self
            .buckets
            .entry(ChatKey::new(channel, chat))
            .or_insert(Bucket {
                tokens: BURST,
                at_ms: now_ms,
                warned: false,
                ignored: 0,
            });
        refill(bucket, now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            if bucket.tokens >= BURST - 1.0 {
                bucket.warned = false;
            }
            return Verdict::Pass;
        }
        bucket.ignored += 1;
        let tell_customer = !bucket.warned;
        bucket.warned = true;
        let ignored = bucket.ignored;
        let due = self
            .last_notice_ms
            .is_none_or(|last| now_ms - last >= NOTICE_EVERY_MS);
        let tell_owners = due.then(|| {
            self.last_notice_ms = Some(now_ms);
            ignored
        });
        Verdict::Drop {
            tell_customer,
            tell_owners,
        }
    }

    fn forget_idle(&mut self, now_ms: i64) {
        self.buckets.retain(|_, b| {
            refill(b, now_ms);
            b.tokens < BURST
        });
    }
}

#[allow(clippy::cast_precision_loss)] // milliseconds between two messages
fn refill(bucket: &mut Bucket, now_ms: i64) {
    let elapsed = (now_ms - bucket.at_ms).max(0) as f64 / 1000.0;
    bucket.tokens = (bucket.tokens + elapsed * REFILL_PER_SEC).min(BURST);
    bucket.at_ms = bucket.at_ms.max(now_ms);
}

#[cfg(test)]
mod tests {
    use super::{Channel, ChatKey, FloodGuard, Verdict};
    use jiff::Timestamp;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_800_000_000_000 + ms).unwrap()
    }

    #[test]
    fn a_burst_passes_a_flood_is_slowed_and_reported_once_a_minute() {
        let mut guard = FloodGuard::default();
        for i in 0..12 {
            assert_eq!(guard.check(Channel::Telegram, "1", at(i)), Verdict::Pass);
        }
        assert_eq!(
            guard.check(Channel::Telegram, "1", at(20)),
            Verdict::Drop {
                tell_customer: true,
                tell_owners: Some(1)
            }
        );
        for i in 0..100 {
            let verdict = guard.check(Channel::Telegram, "1", at(30 + i));
            assert_eq!(
                verdict,
                Verdict::Drop {
                    tell_customer: false,
                    tell_owners: None
                }
            );
        }
        // A message whose turn failed is given back: its retry costs nothing more.
        let (verdict, taken) = guard.take(Channel::Telegram, "1", at(40));
        assert!(matches!(verdict, Verdict::Drop { .. }));
        guard.give_back(taken);
        let (_, taken) = guard.take(Channel::Telegram, "2", at(40));
        guard.give_back(taken);
        assert!(
            !guard
                .buckets
                .contains_key(&ChatKey::new(Channel::Telegram, "2"))
        );
        // Another chat is not affected.
        assert_eq!(guard.check(Channel::Matrix, "!r", at(200)), Verdict::Pass);
        // One second later one more message passes.
        assert_eq!(
            guard.check(Channel::Telegram, "1", at(1_200)),
            Verdict::Pass
        );
        // A minute on, a new flood is reported again, with the running count.
        for _ in 0..12 {
            guard.check(Channel::Telegram, "1", at(61_000));
        }
        assert!(matches!(
            guard.check(Channel::Telegram, "1", at(61_001)),
            Verdict::Drop {
                tell_owners: Some(n),
                ..
            } if n > 100
        ));
    }
}
