//! The web chat's guards on the open internet: how fast one conversation and one
//! address may write, and how many new conversations one address may start.
//! A refused message is not dropped: the page is told to send it again later.
//! (The engine's flood guard stays behind these, as on every channel.)

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::channels::pace::TokioClock;

type Keyed<K> = RateLimiter<K, HashMapStateStore<K>, TokioClock, NoOpMiddleware<Instant>>;

/// A burst of `burst`, then one every `every`.
fn quota(every: Duration, burst: u32) -> Quota {
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// The rates, per conversation and per address.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    /// A customer's messages and button presses: a burst, then a steady pace.
    pub per_chat: Quota,
    /// Every conversation from one address together (a flood with many tokens).
    pub per_address: Quota,
    /// New conversations (tokens given out) per address.
    pub new_chats: Quota,
}

impl Rates {
    /// 10 at once then 2 a second per chat (faster than a person clicks);
    /// 40 at once then 5 a second per address; 20 new chats at once then one
    /// every 30 s per address (an office or a school behind one address).
    pub fn standard() -> Self {
        Self {
            per_chat: quota(Duration::from_millis(500), 10),
            per_address: quota(Duration::from_millis(200), 40),
            new_chats: quota(Duration::from_secs(30), 20),
        }
    }
}

/// The limiters.
pub struct Limits {
    per_chat: Keyed<String>,
    per_address: Keyed<IpAddr>,
    new_chats: Keyed<IpAddr>,
}

impl Limits {
    pub fn new(rates: Rates) -> Self {
        Self {
            per_chat: RateLimiter::new(rates.per_chat, HashMapStateStore::default(), TokioClock),
            per_address: RateLimiter::new(
                rates.per_address,
                HashMapStateStore::default(),
                TokioClock,
            ),
            new_chats: RateLimiter::new(rates.new_chats, HashMapStateStore::default(), TokioClock),
        }
    }

    /// Whether a message of `chat` from `address` may go in now; else how long to wait.
    pub fn message(&self, chat: &str, address: IpAddr) -> Result<(), Duration> {
        let now = TokioClock.now();
        let key = chat.to_owned();
        self.per_chat
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(now))?;
        self.per_address
            .check_key(&address)
            .map_err(|not_until| not_until.wait_time_from(now))
    }

    /// Whether `address` may start one more conversation now.
    pub fn new_chat(&self, address: IpAddr) -> bool {
        self.new_chats.check_key(&address).is_ok()
    }

    /// Forgets the keys whose buckets are full again (memory stays bounded).
    pub fn tidy(&self) {
        self.per_chat.retain_recent();
        self.per_address.retain_recent();
        self.new_chats.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_then_the_pace_and_the_wait_is_told() {
        let limits = Limits::new(Rates::standard());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..10 {
            assert_eq!(limits.message("a", ip), Ok(()));
        }
        let wait = limits.message("a", ip).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(500));
        // Another conversation from the same address still goes in …
        assert_eq!(limits.message("b", ip), Ok(()));
        tokio::time::advance(Duration::from_millis(500)).await;
        assert_eq!(limits.message("a", ip), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn many_conversations_from_one_address_share_its_limit() {
        let limits = Limits::new(Rates::standard());
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let passed = (0..100)
            .filter(|n| limits.message(&format!("chat{n}"), ip).is_ok())
            .count();
        assert_eq!(passed, 40);
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        assert_eq!(limits.message("chat0", other), Ok(()));
        let minted = (0..50).filter(|_| limits.new_chat(ip)).count();
        assert_eq!(minted, 20);
        assert!(limits.new_chat(other));
    }
}
