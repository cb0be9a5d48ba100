//! The tail engine: every new event of the selected streams, exactly once, from a source.
//!
//! A [`LogTail`] wraps a [`TailSource`]: FilterLogEvents polling ([`PollSource`]) or
//! StartLiveTail ([`super::live::LiveSource`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;

use super::limiter::RateLimiter;
use super::streams::{GroupStreams, StreamSelection};
use crate::cloud::{CloudError, CloudResult, LogsApi};
use crate::model::{LogEvent, Millis};

/// What a source returns each time it is asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TailBatch {
    /// New events, in timestamp order (so in order within each stream).
    pub events: Vec<LogEvent>,
    /// Everything visible when the batch was read has been returned (a one-shot read stops
    /// at the first caught-up batch).
    pub caught_up: bool,
    /// AWS throttled the read; the source is backing off and will carry on by itself.
    pub throttled: bool,
    /// The source returned a sample, not every event (StartLiveTail above 500 events/s).
    pub sampled: bool,
}

/// Where a tail's events come from.
#[async_trait]
pub trait TailSource: Send {
    /// Waits until the next batch is due and returns it. An error leaves the source
    /// usable: calling again retries.
    async fn next_batch(&mut self) -> CloudResult<TailBatch>;
}

/// A running tail over a service's log streams, used by the logs pane and `opsdeck logs`.
pub struct LogTail {
    source: Box<dyn TailSource>,
}

impl std::fmt::Debug for LogTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogTail").finish_non_exhaustive()
    }
}

impl LogTail {
    pub fn new(source: Box<dyn TailSource>) -> LogTail {
        LogTail { source }
    }

    /// A tail by FilterLogEvents polling, sharing `limiter` with every other poller of the
    /// same account and region.
    pub fn polling(
        logs: Arc<dyn LogsApi>,
        limiter: Arc<RateLimiter>,
        selection: StreamSelection,
        options: PollOptions,
    ) -> LogTail {
        LogTail::new(Box::new(PollSource::new(logs, limiter, selection, options)))
    }

    pub async fn next(&mut self) -> CloudResult<TailBatch> {
        self.source.next_batch().await
    }
}

/// How a polling tail reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOptions {
    /// Events at or after this time.
    pub start: Millis,
    /// Time between polls; never less than [`MIN_POLL_INTERVAL`].
    pub interval: Duration,
    /// A CloudWatch filter pattern, applied by AWS.
    pub filter_pattern: Option<String>,
    /// Seed of the backoff jitter; None picks one.
    pub jitter_seed: Option<u64>,
}

impl PollOptions {
    pub fn from(start: Millis) -> PollOptions {
        PollOptions {
            start,
            interval: MIN_POLL_INTERVAL,
            filter_pattern: None,
            jitter_seed: None,
        }
    }
}

/// At most one poll a second per tail: AWS's quota is shared by every tool the user runs.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// First wait after a throttled call, doubled on each further one up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// A tail by FilterLogEvents polling.
///
/// Each poll reads every page from a window behind the newest event seen with a fresh
/// pagination (a spent `nextToken` is never reused), and returns only event ids not yet
/// returned: reading from "newest + 1 ms" would lose events that share a millisecond, and
/// the awslogs driver's 5-second flushes make events from other streams arrive late.
pub struct PollSource {
    logs: Arc<dyn LogsApi>,
    limiter: Arc<RateLimiter>,
    reads: Vec<GroupRead>,
    filter_pattern: Option<String>,
    interval: Duration,
    next_poll_at: Option<Instant>,
    backoff: Backoff,
}

struct GroupRead {
    streams: GroupStreams,
    dedupe: Dedupe,
}

impl PollSource {
    pub fn new(
        logs: Arc<dyn LogsApi>,
        limiter: Arc<RateLimiter>,
        selection: StreamSelection,
        options: PollOptions,
    ) -> PollSource {
        let seed = options.jitter_seed.unwrap_or_else(rand::random);
        PollSource {
            logs,
            limiter,
            reads: selection
                .groups
                .into_iter()
                .map(|streams| GroupRead {
                    streams,
                    dedupe: Dedupe::new(options.start),
                })
                .collect(),
            filter_pattern: options.filter_pattern,
            interval: options.interval.max(MIN_POLL_INTERVAL),
            next_poll_at: None,
            backoff: Backoff::new(seed),
        }
    }

    /// Reads every group once. Events come back even when a read is throttled part way:
    /// pages arrive in timestamp order, so what was read is complete up to its last event.
    /// Any other error fails the whole poll before anything is taken as seen, so the next
    /// poll reads the same events again.
    async fn poll(&mut self) -> CloudResult<TailBatch> {
        let mut pages = Vec::with_capacity(self.reads.len());
        let mut throttled = false;
        for read in &self.reads {
            let query = read.streams.query(
                Some(read.dedupe.read_from()),
                self.filter_pattern.as_deref(),
            );
            let (events, cut_short) = read_pages(self.logs.as_ref(), &self.limiter, &query).await?;
            pages.push(events);
            if cut_short {
                throttled = true;
                break;
            }
        }
        let mut batch = TailBatch {
            caught_up: !throttled,
            throttled,
            ..TailBatch::default()
        };
        for (read, events) in self.reads.iter_mut().zip(pages) {
            for event in events {
                if read.streams.contains(&event.stream) && read.dedupe.admit(&event) {
                    batch.events.push(event);
                }
            }
            read.dedupe.settle();
        }
        batch.events.sort_by_key(|e| e.timestamp);
        Ok(batch)
    }
}

#[async_trait]
impl TailSource for PollSource {
    async fn next_batch(&mut self) -> CloudResult<TailBatch> {
        if let Some(at) = self.next_poll_at {
            tokio::time::sleep_until(at).await;
        }
        let started = Instant::now();
        self.next_poll_at = Some(started + self.interval);
        let batch = self.poll().await?;
        if batch.throttled {
            let wait = self.backoff.next_wait();
            tracing::debug!(?wait, "FilterLogEvents throttled: backing off");
            self.next_poll_at = Some(Instant::now() + wait);
        } else {
            self.backoff.reset();
        }
        Ok(batch)
    }
}

/// Every page of one query, and whether the read was cut short by throttling. Any other
/// error fails the whole read, so nothing half-read is taken as seen.
pub(super) async fn read_pages(
    logs: &dyn LogsApi,
    limiter: &RateLimiter,
    query: &crate::model::LogQuery,
) -> CloudResult<(Vec<LogEvent>, bool)> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    let mut spent: HashSet<String> = HashSet::new();
    loop {
        limiter.acquire().await;
        let page = match logs.filter_log_events(query, token.as_deref()).await {
            Ok(page) => page,
            Err(CloudError::Throttled { .. }) => return Ok((events, true)),
            Err(error) => return Err(error),
        };
        events.extend(page.events);
        if let Some(used) = token.take() {
            spent.insert(used);
        }
        match page.next_token {
            Some(next) if !spent.contains(&next) => token = Some(next),
            _ => return Ok((events, false)),
        }
    }
}

/// Which events a polling read has already returned, and where the next read starts.
///
/// Ids are remembered for events within `window` of the newest timestamp seen; the next
/// read starts at that same horizon, so any event it sees again is recognised.
#[derive(Debug, Clone)]
pub struct Dedupe {
    start: Millis,
    newest: Option<Millis>,
    window: Millis,
    /// Ids older than this were forgotten: reads never start before it, even after the
    /// window widens, or forgotten events would come back as new.
    forgotten_before: Millis,
    seen: HashMap<String, Millis>,
}

/// Twice the awslogs driver's 5-second flush interval.
pub const MIN_LOOKBACK: Millis = 10_000;
/// The widest the window grows when events arrive very late.
pub const MAX_LOOKBACK: Millis = 120_000;
/// Slack over the latest ingestion delay seen.
const LOOKBACK_MARGIN: Millis = 5_000;

impl Dedupe {
    pub fn new(start: Millis) -> Dedupe {
        Dedupe {
            start,
            newest: None,
            window: MIN_LOOKBACK,
            forgotten_before: start,
            seen: HashMap::new(),
        }
    }

    /// Where the next read starts.
    pub fn read_from(&self) -> Millis {
        let behind_newest = self.newest.map_or(self.start, |n| n - self.window);
        behind_newest.max(self.start).max(self.forgotten_before)
    }

    /// True the first time an event id is offered; false for a repeat or an event before
    /// the start.
    pub fn admit(&mut self, event: &LogEvent) -> bool {
        if event.timestamp < self.start || self.seen.contains_key(&event.event_id) {
            return false;
        }
        self.seen.insert(event.event_id.clone(), event.timestamp);
        self.newest = Some(
            self.newest
                .map_or(event.timestamp, |n| n.max(event.timestamp)),
        );
        // Events that took long to be ingested say others may be as late: widen the window.
        let delay = event.ingestion_time.saturating_sub(event.timestamp);
        self.window = self.window.max((delay + LOOKBACK_MARGIN).min(MAX_LOOKBACK));
        true
    }

    /// After a read: forgets ids that the next read cannot see again.
    pub fn settle(&mut self) {
        let horizon = self.read_from();
        if horizon > self.forgotten_before {
            self.seen.retain(|_, at| *at >= horizon);
            self.forgotten_before = horizon;
        }
    }

    /// Ids remembered now.
    pub fn remembered(&self) -> usize {
        self.seen.len()
    }
}

/// Exponential backoff with jitter: each wait is between half and all of a doubling delay,
/// so tails throttled together do not retry in lockstep.
#[derive(Debug)]
struct Backoff {
    failures: u32,
    rng: ChaCha8Rng,
}

impl Backoff {
    fn new(seed: u64) -> Backoff {
        Backoff {
            failures: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    fn next_wait(&mut self) -> Duration {
        let full = FIRST_BACKOFF
            .saturating_mul(1 << self.failures.min(8))
            .min(MAX_BACKOFF);
        self.failures += 1;
        let half = full / 2;
        half + half.mul_f64(self.rng.random_range(0.0..=1.0))
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, timestamp: Millis) -> LogEvent {
        LogEvent {
            event_id: id.into(),
            timestamp,
            ingestion_time: timestamp + 1_000,
            stream: "ecs/app/t".into(),
            message: id.into(),
        }
    }

    #[test]
    fn dedupe_drops_repeats_and_remembers_only_the_window() {
        let mut dedupe = Dedupe::new(0);
        assert!(dedupe.admit(&event("a", 1_000)));
        assert!(!dedupe.admit(&event("a", 1_000)));
        assert!(
            dedupe.admit(&event("b", 1_000)),
            "same millisecond, other id"
        );
        assert!(dedupe.admit(&event("c", 50_000)));
        dedupe.settle();
        assert_eq!(dedupe.read_from(), 50_000 - MIN_LOOKBACK);
        assert_eq!(dedupe.remembered(), 1);
    }

    #[test]
    fn a_wider_window_never_reaches_back_past_forgotten_ids() {
        let mut dedupe = Dedupe::new(0);
        assert!(dedupe.admit(&event("a", 100_000)));
        dedupe.settle();
        let before = dedupe.read_from();
        let mut late = event("late", 99_000);
        late.ingestion_time = 160_000;
        assert!(dedupe.admit(&late));
        dedupe.settle();
        assert_eq!(dedupe.read_from(), before);
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let mut backoff = Backoff::new(7);
        let waits: Vec<Duration> = (0..8).map(|_| backoff.next_wait()).collect();
        for (i, wait) in waits.iter().enumerate() {
            let full = FIRST_BACKOFF.saturating_mul(1 << i).min(MAX_BACKOFF);
            assert!(*wait >= full / 2 && *wait <= full, "{i}: {wait:?}");
        }
        backoff.reset();
        assert!(backoff.next_wait() <= FIRST_BACKOFF);
    }
}
