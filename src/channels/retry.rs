//! Retry with backoff, the same for every channel: after a failure the loop waits
//! a pause that starts at [`Policy::first`] and doubles after each further failure,
//! never past [`Policy::max`] (no jitter); a success starts it over. A wait ends at
//! once when the channel is asked to stop. The pauses come from the `backon` crate.
//!
//! A server's own "retry after" (Telegram's 429, Matrix's rate limit) is waited for
//! as the server says; the loop's pause still grows underneath.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use tokio::sync::watch;

/// How the pauses of a retry loop grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The pause after the first failure; doubled after each one.
    pub first: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl Policy {
    /// Sending, joining, saying hello to the server: 1 s, 2 s, 4 s… up to a minute.
    pub const SEND: Policy = Policy {
        first: Duration::from_secs(1),
        max: Duration::from_mins(1),
    };
    /// Asking the server for news (`getUpdates`, `/sync`): 1 s, 2 s, 4 s… up to 30 s.
    pub const POLL: Policy = Policy {
        first: Duration::from_secs(1),
        max: Duration::from_secs(30),
    };
    /// A turn, or writing what became of a delivery: 1 s, 2 s, 4 s, 8 s, then 15 s.
    pub const TURN: Policy = Policy {
        first: Duration::from_secs(1),
        max: Duration::from_secs(15),
    };

    /// Waiting for something the channel cannot start without (Matrix's first
    /// sync, the saved sync position): every 2 s, not growing.
    pub const SETUP: Policy = Policy {
        first: Duration::from_secs(2),
        max: Duration::from_secs(2),
    };

    /// A fresh sequence of pauses by this policy.
    pub fn backoff(self) -> Backoff {
        Backoff {
            policy: self,
            delays: self.delays(),
        }
    }

    fn delays(self) -> ExponentialBackoff {
        ExponentialBuilder::new()
            .with_min_delay(self.first)
            .with_max_delay(self.max)
            .with_factor(2.0)
            .without_max_times()
            .build()
    }
}

/// The pauses of one retry loop.
#[derive(Debug)]
pub struct Backoff {
    policy: Policy,
    delays: ExponentialBackoff,
}

impl Backoff {
    /// The pause after this failure (the next one will be longer, up to the cap).
    pub fn next_delay(&mut self) -> Duration {
        self.delays.next().unwrap_or(self.policy.max)
    }

    /// After a success: the next failure waits the first pause again.
    pub fn reset(&mut self) {
        self.delays = self.policy.delays();
    }
}

/// Sleeps, or returns true at once when the channel is asked to stop.
pub(crate) async fn wait_or_stop(stop: &watch::Receiver<bool>, delay: Duration) -> bool {
    let mut watching = stop.clone();
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        _ = watching.wait_for(|s| *s) => return true,
    }
    *stop.borrow()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(policy: Policy, n: usize) -> Vec<Duration> {
        let mut backoff = policy.backoff();
        (0..n).map(|_| backoff.next_delay()).collect()
    }

    #[test]
    fn the_pauses_double_up_to_the_cap_and_start_over_after_a_success() {
        let secs = |s: &[u64]| {
            s.iter()
                .map(|&s| Duration::from_secs(s))
                .collect::<Vec<_>>()
        };
        assert_eq!(first(Policy::TURN, 7), secs(&[1, 2, 4, 8, 15, 15, 15]));
        assert_eq!(first(Policy::POLL, 7), secs(&[1, 2, 4, 8, 16, 30, 30]));
        assert_eq!(first(Policy::SEND, 8), secs(&[1, 2, 4, 8, 16, 32, 60, 60]));
        assert_eq!(first(Policy::SETUP, 3), secs(&[2, 2, 2]));
        let mut backoff = Policy::SEND.backoff();
        backoff.next_delay();
        backoff.next_delay();
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_secs(1));
    }

    #[test]
    fn short_pauses_are_exact_too() {
        let quick = Policy {
            first: Duration::from_millis(5),
            max: Duration::from_millis(20),
        };
        let ms = |s: &[u64]| {
            s.iter()
                .map(|&s| Duration::from_millis(s))
                .collect::<Vec<_>>()
        };
        assert_eq!(first(quick, 5), ms(&[5, 10, 20, 20, 20]));
        let long_first = Policy {
            first: Duration::from_mins(1),
            max: Duration::from_millis(20),
        };
        assert_eq!(first(long_first, 3), ms(&[60_000, 20, 20]));
    }
}
