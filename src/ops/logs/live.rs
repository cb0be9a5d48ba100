//! The StartLiveTail source: AWS pushes new events; reconnects fill the gap once.
//!
//! A session ends after 3 hours (or earlier on a timeout), so the source renews it before
//! then. Each (re)connect opens the new session first and then reads what it may have
//! missed with one FilterLogEvents pass; live-tail events carry no event id, so both are
//! deduplicated by stream, timestamp and message.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::limiter::RateLimiter;
use super::streams::{StreamSelection, StreamSet};
use super::tail::{MAX_LOOKBACK, MIN_LOOKBACK, TailBatch, TailSource, read_pages};
use crate::cloud::{CloudError, CloudResult, LiveTail, LiveTailRequest, LiveTailUpdate, LogsApi};
use crate::model::{LogEvent, Millis, wall_clock_ms};

/// AWS ends a live-tail session after 3 hours; renewing a little earlier keeps it ours.
pub const RENEW_AFTER: Duration = Duration::from_secs(3 * 3600 - 5 * 60);
/// StartLiveTail watches at most this many log groups.
pub const MAX_GROUPS: usize = 10;
/// How far behind the newest event a reconnect's backfill reads: events reach CloudWatch
/// up to one awslogs flush late, so the gap may hide events older than the newest seen.
const BACKFILL_LOOKBACK: Millis = 3 * MIN_LOOKBACK;
/// Tolerated difference between this machine's clock and AWS's ingestion timestamps.
const CLOCK_SKEW: Millis = 2_000;

/// Sessions are opened at most this often.
const MIN_SESSION_SPACING: Duration = Duration::from_secs(1);
/// How long AWS may take to confirm a session.
const SESSION_START_TIMEOUT: Duration = Duration::from_secs(10);

/// AWS confirms a session with a `sessionStart` message first. An endpoint that answers
/// anything else (moto returns a plain JSON body) does not speak live tail.
async fn expect_session_start(tail: &mut dyn LiveTail) -> CloudResult<()> {
    let first = tokio::time::timeout(SESSION_START_TIMEOUT, tail.next_update()).await;
    match first {
        Ok(Ok(Some(LiveTailUpdate::Started))) => Ok(()),
        Ok(Err(error)) => Err(error),
        Ok(Ok(_)) | Err(_) => Err(CloudError::Rejected {
            operation: "logs:StartLiveTail".into(),
            message: "the endpoint did not start a live-tail session".into(),
        }),
    }
}

/// How a live tail starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveOptions {
    /// Events at or after this time (read once by FilterLogEvents, then pushed live).
    pub start: Millis,
    pub filter_pattern: Option<String>,
    /// Renew the session after this long (tests shorten it).
    pub renew_after: Duration,
}

impl LiveOptions {
    pub fn from(start: Millis) -> LiveOptions {
        LiveOptions {
            start,
            filter_pattern: None,
            renew_after: RENEW_AFTER,
        }
    }
}

/// The ARN StartLiveTail needs for a log group (`arn:<partition>:logs:<region>:<account>:
/// log-group:<name>`, without the trailing `:*` DescribeLogGroups shows).
pub fn log_group_arn(region: &str, account_id: &str, group: &str) -> String {
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    format!("arn:{partition}:logs:{region}:{account_id}:log-group:{group}")
}

/// The StartLiveTail request for a selection. Stream filters are allowed only with one
/// group; with several, every stream comes and [`StreamSelection`] filters here.
pub fn live_request(
    selection: &StreamSelection,
    account_id: &str,
    filter_pattern: Option<String>,
) -> CloudResult<LiveTailRequest> {
    if selection.groups.is_empty() || selection.groups.len() > MAX_GROUPS {
        return Err(CloudError::Rejected {
            operation: "logs:StartLiveTail".into(),
            message: format!(
                "live tail watches 1 to {MAX_GROUPS} log groups, not {}",
                selection.groups.len()
            ),
        });
    }
    let mut request = LiveTailRequest {
        group_arns: selection
            .groups
            .iter()
            .map(|g| log_group_arn(&g.region, account_id, &g.group))
            .collect(),
        filter_pattern,
        ..LiveTailRequest::default()
    };
    if let [only] = selection.groups.as_slice() {
        match &only.streams {
            StreamSet::Names(names) => request.stream_names = names.clone(),
            StreamSet::Prefixes(prefixes) => {
                request.stream_prefixes =
                    prefixes.iter().filter(|p| !p.is_empty()).cloned().collect();
            }
        }
    }
    Ok(request)
}

/// A tail fed by StartLiveTail.
pub struct LiveSource {
    logs: Arc<dyn LogsApi>,
    limiter: Arc<RateLimiter>,
    selection: StreamSelection,
    request: LiveTailRequest,
    options: LiveOptions,
    session: Option<Session>,
    last_open: Option<Instant>,
    /// The session was opened but the gap before it not read yet.
    backfill_due: bool,
    seen: SeenEvents,
}

struct Session {
    tail: Box<dyn LiveTail>,
    renew_at: Instant,
    /// Wall-clock time it opened: backfilled events ingested after this will also come live.
    opened_at: Millis,
}

impl LiveSource {
    /// Opens the first session now, so a caller learns at once whether live tail is
    /// available here (an emulator answers with an error) and can fall back to polling.
    pub async fn start(
        logs: Arc<dyn LogsApi>,
        limiter: Arc<RateLimiter>,
        selection: StreamSelection,
        account_id: &str,
        options: LiveOptions,
    ) -> CloudResult<LiveSource> {
        let request = live_request(&selection, account_id, options.filter_pattern.clone())?;
        let mut source = LiveSource {
            logs,
            limiter,
            selection,
            request,
            seen: SeenEvents::new(options.start),
            options,
            session: None,
            last_open: None,
            backfill_due: false,
        };
        source.open().await?;
        Ok(source)
    }

    async fn open(&mut self) -> CloudResult<()> {
        if let Some(last) = self.last_open {
            // A session that ends at once (an endpoint that only mimics live tail) must
            // not turn into a reconnect loop.
            tokio::time::sleep_until(last + MIN_SESSION_SPACING).await;
        }
        self.last_open = Some(Instant::now());
        let mut tail = self.logs.start_live_tail(&self.request).await?;
        expect_session_start(tail.as_mut()).await?;
        self.session = Some(Session {
            tail,
            renew_at: Instant::now() + self.options.renew_after,
            opened_at: wall_clock_ms(),
        });
        self.backfill_due = true;
        Ok(())
    }

    /// One FilterLogEvents pass over what the new session cannot have pushed.
    async fn backfill(&mut self, opened_at: Millis) -> CloudResult<TailBatch> {
        let from = self.seen.backfill_from();
        let mut read = Vec::new();
        for group in &self.selection.groups {
            let query = group.query(Some(from), self.options.filter_pattern.as_deref());
            let (events, cut_short) = read_pages(self.logs.as_ref(), &self.limiter, &query).await?;
            if cut_short {
                // Throttled: nothing is taken as seen; the next call reads the gap again.
                return Ok(TailBatch {
                    throttled: true,
                    ..TailBatch::default()
                });
            }
            read.extend(events.into_iter().filter(|e| group.contains(&e.stream)));
        }
        self.backfill_due = false;
        let events = self.seen.admit_backfill(read, opened_at - CLOCK_SKEW);
        Ok(self.batch(events, false))
    }

    fn batch(&mut self, mut events: Vec<LogEvent>, sampled: bool) -> TailBatch {
        events.sort_by_key(|e| e.timestamp);
        self.seen.forget_old();
        TailBatch {
            events,
            caught_up: true,
            throttled: false,
            sampled,
        }
    }

    fn wanted(&self, event: &LogEvent) -> bool {
        self.selection
            .groups
            .iter()
            .any(|g| g.contains(&event.stream))
    }
}

#[async_trait]
impl TailSource for LiveSource {
    async fn next_batch(&mut self) -> CloudResult<TailBatch> {
        loop {
            let Some(session) = self.session.as_mut() else {
                self.open().await?;
                continue;
            };
            if self.backfill_due {
                let opened_at = session.opened_at;
                return self.backfill(opened_at).await;
            }
            let renew_at = session.renew_at;
            let update = tokio::select! {
                update = session.tail.next_update() => Some(update),
                () = tokio::time::sleep_until(renew_at) => None,
            };
            let Some(update) = update else {
                tracing::debug!("renewing the live-tail session before AWS ends it");
                self.session = None;
                continue;
            };
            match update {
                Ok(Some(LiveTailUpdate::Started)) => continue,
                Ok(Some(LiveTailUpdate::Events { events, sampled })) => {
                    let events: Vec<LogEvent> =
                        events.into_iter().filter(|e| self.wanted(e)).collect();
                    let admitted = self.seen.admit_live(events);
                    return Ok(self.batch(admitted, sampled));
                }
                Ok(None) => {
                    tracing::debug!("AWS ended the live-tail session: reconnecting");
                    self.session = None;
                }
                Err(error) => {
                    // The next call reconnects and backfills what this session missed.
                    self.session = None;
                    return Err(error);
                }
            }
        }
    }
}

/// Which events were returned, by content: live-tail events have no event id.
#[derive(Debug)]
struct SeenEvents {
    start: Millis,
    newest: Option<Millis>,
    /// How often each (stream, timestamp, message) was returned, and its timestamp.
    counts: HashMap<u64, (u32, Millis)>,
    /// Backfilled events the current session may push again: dropped once when they come.
    claims: HashMap<u64, u32>,
}

impl SeenEvents {
    fn new(start: Millis) -> SeenEvents {
        SeenEvents {
            start,
            newest: None,
            counts: HashMap::new(),
            claims: HashMap::new(),
        }
    }

    fn backfill_from(&self) -> Millis {
        self.newest
            .map_or(self.start, |n| (n - BACKFILL_LOOKBACK).max(self.start))
    }

    /// A read sees every copy of an event, so only copies beyond those already returned
    /// are new. Those ingested after the session opened will come live too: claim them.
    fn admit_backfill(&mut self, read: Vec<LogEvent>, session_opened: Millis) -> Vec<LogEvent> {
        self.claims.clear();
        let mut in_read: HashMap<u64, u32> = HashMap::new();
        let mut admitted = Vec::new();
        for event in read {
            if event.timestamp < self.start {
                continue;
            }
            let key = content_key(&event);
            let copy = in_read.entry(key).or_default();
            *copy += 1;
            if event.ingestion_time >= session_opened {
                *self.claims.entry(key).or_default() += 1;
            }
            let (returned, _) = self.counts.entry(key).or_insert((0, event.timestamp));
            if *copy > *returned {
                *returned = *copy;
                self.note(event.timestamp);
                admitted.push(event);
            }
        }
        admitted
    }

    fn admit_live(&mut self, events: Vec<LogEvent>) -> Vec<LogEvent> {
        let mut admitted = Vec::with_capacity(events.len());
        for event in events {
            if event.timestamp < self.start {
                continue;
            }
            let key = content_key(&event);
            if let Some(claim) = self.claims.get_mut(&key).filter(|c| **c > 0) {
                *claim -= 1;
                continue;
            }
            self.counts.entry(key).or_insert((0, event.timestamp)).0 += 1;
            self.note(event.timestamp);
            admitted.push(event);
        }
        admitted
    }

    fn note(&mut self, timestamp: Millis) {
        self.newest = Some(self.newest.map_or(timestamp, |n| n.max(timestamp)));
    }

    /// Keeps only what a backfill can read again.
    fn forget_old(&mut self) {
        if let Some(newest) = self.newest {
            let horizon = newest - MAX_LOOKBACK.max(BACKFILL_LOOKBACK);
            self.counts.retain(|_, (_, at)| *at >= horizon);
        }
    }
}

fn content_key(event: &LogEvent) -> u64 {
    let mut hasher = DefaultHasher::new();
    (&event.stream, event.timestamp, &event.message).hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::logs::streams::GroupStreams;

    fn event(stream: &str, timestamp: Millis, message: &str, ingested: Millis) -> LogEvent {
        LogEvent {
            event_id: String::new(),
            timestamp,
            ingestion_time: ingested,
            stream: stream.into(),
            message: message.into(),
        }
    }

    #[test]
    fn arns_name_the_partition_account_and_group() {
        assert_eq!(
            log_group_arn("eu-west-2", "123456789012", "/ecs/umami"),
            "arn:aws:logs:eu-west-2:123456789012:log-group:/ecs/umami"
        );
        assert!(log_group_arn("cn-north-1", "1", "g").starts_with("arn:aws-cn:"));
    }

    #[test]
    fn stream_filters_only_with_one_group() {
        let group = |name: &str| GroupStreams {
            group: name.into(),
            region: "eu-west-2".into(),
            streams: StreamSet::Prefixes(vec!["umami/umami/".into()]),
        };
        let one = StreamSelection {
            groups: vec![group("/a")],
        };
        let request = live_request(&one, "1", None).unwrap_or_default();
        assert_eq!(request.stream_prefixes, ["umami/umami/"]);
        let two = StreamSelection {
            groups: vec![group("/a"), group("/b")],
        };
        let request = live_request(&two, "1", None).unwrap_or_default();
        assert_eq!(request.group_arns.len(), 2);
        assert!(request.stream_prefixes.is_empty());
    }

    #[test]
    fn a_backfill_returns_only_new_copies_and_claims_what_will_come_live() {
        let mut seen = SeenEvents::new(0);
        let twice = [event("s", 10, "a", 10), event("s", 10, "a", 10)];
        assert_eq!(seen.admit_live(twice.to_vec()).len(), 2);
        let read = vec![
            event("s", 10, "a", 10),
            event("s", 10, "a", 10),
            event("s", 10, "a", 11),
            event("s", 20, "b", 5_000),
        ];
        let new = seen.admit_backfill(read, 4_000);
        assert_eq!(new.len(), 2, "the third copy of a, and b");
        assert!(seen.admit_live(vec![event("s", 20, "b", 5_000)]).is_empty());
        assert_eq!(seen.admit_live(vec![event("s", 20, "b", 5_000)]).len(), 1);
    }
}
