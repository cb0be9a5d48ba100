//! The request budget of FilterLogEvents, shared by every tail of one account and region.
//!
//! AWS allows 5 FilterLogEvents calls per second per account and region, for all tools the
//! user runs together. Every poller of one account and region holds the same `RateLimiter`
//! (passed in as an `Arc`), so two tails open side by side still stay under the limit.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket that hands out start times in order: each caller reserves the next free
/// slot and sleeps until it, so waiters are served first come, first served.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// How far ahead of the steady rate a burst may go.
    burst_allowance: Duration,
    /// When the next call would be due at the steady rate.
    next_slot: Mutex<Option<Instant>>,
}

/// FilterLogEvents' quota per account and region.
pub const FILTER_LOG_EVENTS_PER_SECOND: u32 = 5;

impl RateLimiter {
    /// `per_second` calls a second on average, at most `burst` of them back to back.
    pub fn new(per_second: u32, burst: u32) -> RateLimiter {
        let interval = Duration::from_secs(1) / per_second.max(1);
        RateLimiter {
            interval,
            burst_allowance: interval * burst.max(1).saturating_sub(1),
            next_slot: Mutex::new(None),
        }
    }

    /// The limiter for FilterLogEvents: 5 calls a second, no bursts, so no one-second
    /// window ever holds more than five.
    pub fn filter_log_events() -> RateLimiter {
        RateLimiter::new(FILTER_LOG_EVENTS_PER_SECOND, 1)
    }

    /// Waits until a call may be made.
    pub async fn acquire(&self) {
        let start = self.reserve(Instant::now());
        tokio::time::sleep_until(start).await;
    }

    /// The start time of the next call, reserved (GCRA: `next_slot` is the theoretical
    /// arrival time of the next call at the steady rate).
    fn reserve(&self, now: Instant) -> Instant {
        let mut next_slot = self
            .next_slot
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let due = next_slot.map_or(now, |slot| slot.max(now));
        let start = due
            .checked_sub(self.burst_allowance)
            .map_or(now, |allowed| allowed.max(now));
        *next_slot = Some(due + self.interval);
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_calls_by_the_interval() {
        let limiter = RateLimiter::new(5, 1);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..4 {
            limiter.acquire().await;
            starts.push((Instant::now() - t0).as_millis());
        }
        assert_eq!(starts, [0, 200, 400, 600]);
    }

    #[tokio::test(start_paused = true)]
    async fn allows_a_burst_then_the_steady_rate() {
        let limiter = RateLimiter::new(5, 3);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..5 {
            limiter.acquire().await;
            starts.push((Instant::now() - t0).as_millis());
        }
        assert_eq!(starts, [0, 0, 0, 200, 400]);
    }
}
