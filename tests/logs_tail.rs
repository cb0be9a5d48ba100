//! The log tail engine and buffer as the logs pane and `opsdeck logs` use them: every event
//! once and in order, narrowing, the shared FilterLogEvents budget, throttling, bounds.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::cloud::{CloudError, CloudResult, DesiredStatus, LogsApi};
use opsdeck::model::{LogEvent, LogPage, LogQuery, LogStream, StackRef};
use opsdeck::ops::logs::LogsError;
use opsdeck::ops::logs::streams::{GroupStreams, StreamSet};
use opsdeck::ops::logs::{
    BufferLimits, FilterSpec, FilteredLines, LineFilter, LogBuffer, LogTail, Narrowing,
    PollOptions, RateLimiter, SelectionError, Severity, StreamSelection, export_lines, pretty_json,
    severity, stack_streams,
};
use tokio::time::Instant;

fn umami() -> StackRef {
    StackRef {
        name: "umami".into(),
        region: "eu-west-2".into(),
        cluster: "umami".into(),
        service: "umami".into(),
    }
}

fn sandbox(scenario: Scenario) -> Arc<Sandbox> {
    Sandbox::new(
        scenario,
        42,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    )
}

fn options(start: i64) -> PollOptions {
    PollOptions {
        jitter_seed: Some(1),
        ..PollOptions::from(start)
    }
}

/// Everything the account holds for a query, read in one go.
async fn everything(logs: &dyn LogsApi, query: &LogQuery) -> Vec<LogEvent> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let page = logs
            .filter_log_events(query, token.as_deref())
            .await
            .unwrap();
        all.extend(page.events);
        match page.next_token {
            Some(next) => token = Some(next),
            None => return all,
        }
    }
}

fn assert_in_order_per_stream(events: &[LogEvent]) {
    let mut last: HashMap<&str, i64> = HashMap::new();
    for event in events {
        let previous = last
            .insert(event.stream.as_str(), event.timestamp)
            .unwrap_or(i64::MIN);
        assert!(
            event.timestamp >= previous,
            "out of order in {}",
            event.stream
        );
    }
}

#[tokio::test(start_paused = true)]
async fn every_burst_line_comes_out_once_and_in_order_per_stream() {
    let sandbox = sandbox(Scenario::LogBurst);
    let cloud = sandbox.cloud();
    let selection = stack_streams(&cloud, &umami(), &Narrowing::default())
        .await
        .unwrap();
    let start = sandbox.now();
    let limiter = Arc::new(RateLimiter::filter_log_events());
    let mut tail = LogTail::polling(
        cloud.logs.clone(),
        limiter,
        selection.clone(),
        options(start),
    );
    let mut seen = Vec::new();
    for _ in 0..120 {
        sandbox.advance(1_000);
        seen.extend(tail.next().await.unwrap().events);
    }
    // Let the last flushes land.
    sandbox.advance(20_000);
    seen.extend(tail.next().await.unwrap().events);

    let ids: HashSet<&str> = seen.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), seen.len(), "no line twice");

    let mut query = selection.groups[0].query(Some(start), None);
    query.end = Some(start + 120_000);
    let all = everything(cloud.logs.as_ref(), &query).await;
    assert!(
        all.len() > 1_000,
        "log-burst writes bursts ({} lines)",
        all.len()
    );
    let shared_millis = all.len()
        - all
            .iter()
            .map(|e| (e.timestamp, e.stream.as_str()))
            .collect::<HashSet<_>>()
            .len();
    assert!(
        shared_millis > 100,
        "bursts share milliseconds ({shared_millis})"
    );
    let missing = all
        .iter()
        .filter(|e| !ids.contains(e.event_id.as_str()))
        .count();
    assert_eq!(missing, 0, "lines never reached the tail");
    assert_in_order_per_stream(&seen);
}

#[tokio::test(start_paused = true)]
async fn task_and_container_narrow_the_streams() {
    let sandbox = sandbox(Scenario::Healthy);
    sandbox.advance(60_000);
    let cloud = sandbox.cloud();
    let arns = cloud
        .ecs
        .list_tasks("umami", Some("umami"), DesiredStatus::Running)
        .await
        .unwrap();
    assert!(arns.len() >= 2, "the example service runs two tasks");
    let task = arns[0].rsplit('/').next().unwrap().to_string();
    let start = sandbox.now() - 5 * 60_000;
    let read = |narrowing: Narrowing| {
        let cloud = cloud.clone();
        async move {
            let selection = stack_streams(&cloud, &umami(), &narrowing).await?;
            let limiter = Arc::new(RateLimiter::filter_log_events());
            let mut tail = LogTail::polling(cloud.logs.clone(), limiter, selection, options(start));
            Ok::<_, LogsError>(tail.next().await?.events)
        }
    };

    let all = read(Narrowing::default()).await.unwrap();
    let streams: HashSet<&str> = all.iter().map(|e| e.stream.as_str()).collect();
    assert!(streams.len() >= 2, "{streams:?}");

    let one = read(Narrowing {
        task: Some(arns[0].clone()),
        container: Some("umami".into()),
    })
    .await
    .unwrap();
    assert!(!one.is_empty());
    assert!(one.iter().all(|e| e.stream == format!("ecs/umami/{task}")));
    let expected = all.iter().filter(|e| e.stream.ends_with(&task)).count();
    assert_eq!(one.len(), expected);

    let unknown = read(Narrowing {
        container: Some("sidecar".into()),
        ..Narrowing::default()
    })
    .await;
    assert!(matches!(
        unknown,
        Err(LogsError::Selection(
            SelectionError::UnknownContainer { .. }
        ))
    ));
}

/// A log group held in memory that pages by `page_size`, can be told to throttle, and
/// records when each call was made and with which token.
struct FakeLogs {
    events: Mutex<Vec<LogEvent>>,
    page_size: usize,
    throttle_next: AtomicUsize,
    /// Throttles only calls that continue a pagination.
    throttle_pages: AtomicUsize,
    /// Fails (not throttles) calls that continue a pagination.
    fail_pages: AtomicUsize,
    calls: Mutex<Vec<(Instant, Option<String>)>>,
}

impl FakeLogs {
    fn new(page_size: usize) -> Arc<FakeLogs> {
        Arc::new(FakeLogs {
            events: Mutex::new(Vec::new()),
            page_size,
            throttle_next: AtomicUsize::new(0),
            throttle_pages: AtomicUsize::new(0),
            fail_pages: AtomicUsize::new(0),
            calls: Mutex::new(Vec::new()),
        })
    }

    fn put(&self, stream: &str, timestamp: i64, count: usize) {
        let mut events = self.events.lock().unwrap();
        for _ in 0..count {
            let id = events.len();
            events.push(LogEvent {
                event_id: format!("{id:08}"),
                timestamp,
                ingestion_time: timestamp + 2_000,
                stream: stream.into(),
                message: format!("line {id}"),
            });
        }
        events.sort_by(|a, b| (a.timestamp, &a.event_id).cmp(&(b.timestamp, &b.event_id)));
    }

    fn call_times(&self) -> Vec<Instant> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(at, _)| *at)
            .collect()
    }
}

#[async_trait]
impl LogsApi for FakeLogs {
    async fn filter_log_events(
        &self,
        query: &LogQuery,
        next_token: Option<&str>,
    ) -> CloudResult<LogPage> {
        self.calls
            .lock()
            .unwrap()
            .push((Instant::now(), next_token.map(str::to_string)));
        let take = |counter: &AtomicUsize| {
            counter
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        };
        if take(&self.throttle_next) || (next_token.is_some() && take(&self.throttle_pages)) {
            return Err(CloudError::Throttled {
                operation: "FilterLogEvents".into(),
            });
        }
        if next_token.is_some() && take(&self.fail_pages) {
            return Err(CloudError::Unreachable {
                endpoint: "logs".into(),
                message: "connection reset".into(),
            });
        }
        let skip: usize = next_token.map_or(0, |t| t.parse().unwrap());
        let matching: Vec<LogEvent> = self
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| query.start.is_none_or(|s| e.timestamp >= s))
            .filter(|e| {
                query
                    .stream_prefix
                    .as_deref()
                    .is_none_or(|p| e.stream.starts_with(p))
            })
            .cloned()
            .collect();
        let end = (skip + self.page_size).min(matching.len());
        Ok(LogPage {
            events: matching[skip..end].to_vec(),
            next_token: (end < matching.len()).then(|| end.to_string()),
        })
    }

    async fn describe_log_streams(
        &self,
        _group: &str,
        _prefix: Option<&str>,
    ) -> CloudResult<Vec<LogStream>> {
        Ok(Vec::new())
    }
}

fn app_streams() -> StreamSelection {
    StreamSelection {
        groups: vec![GroupStreams {
            group: "/ecs/web".into(),
            region: "eu-west-2".into(),
            streams: StreamSet::Prefixes(vec!["ecs/app/".into()]),
        }],
    }
}

#[tokio::test(start_paused = true)]
async fn two_tails_sharing_a_limiter_never_exceed_five_calls_a_second() {
    // Pages of 10 over ~35 events: every poll of each tail wants about four calls.
    let logs = FakeLogs::new(10);
    logs.put("ecs/app/t1", 1_000, 35);
    let limiter = Arc::new(RateLimiter::filter_log_events());
    let run = |seed: u64| {
        let logs: Arc<dyn LogsApi> = logs.clone();
        let limiter = limiter.clone();
        async move {
            let mut tail = LogTail::polling(
                logs,
                limiter,
                app_streams(),
                PollOptions {
                    jitter_seed: Some(seed),
                    ..PollOptions::from(0)
                },
            );
            let until = Instant::now() + Duration::from_secs(20);
            while Instant::now() < until {
                tail.next().await.unwrap();
            }
        }
    };
    tokio::join!(run(1), run(2));

    let times = logs.call_times();
    assert!(
        times.len() > 60,
        "both tails kept polling ({} calls)",
        times.len()
    );
    for (i, at) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| **t < *at + Duration::from_secs(1))
            .count();
        assert!(
            in_window <= 5,
            "{in_window} calls in the second from call {i}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_single_tail_polls_at_most_once_a_second() {
    let logs = FakeLogs::new(1_000);
    logs.put("ecs/app/t1", 1_000, 3);
    let limiter = Arc::new(RateLimiter::filter_log_events());
    let mut tail = LogTail::polling(logs.clone(), limiter, app_streams(), options(0));
    for _ in 0..10 {
        tail.next().await.unwrap();
    }
    let times = logs.call_times();
    assert_eq!(times.len(), 10);
    assert!(
        times
            .windows(2)
            .all(|w| w[1] - w[0] >= Duration::from_secs(1))
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_backs_off_and_recovers_without_loss_or_repeats() {
    let logs = FakeLogs::new(10);
    logs.put("ecs/app/t1", 1_000, 25);
    logs.put("ecs/app/t1", 1_001, 5);
    let limiter = Arc::new(RateLimiter::filter_log_events());
    let mut tail = LogTail::polling(logs.clone(), limiter, app_streams(), options(0));
    let mut seen = Vec::new();

    // AWS throttles the first four calls in a row.
    logs.throttle_next.store(4, Ordering::SeqCst);
    let mut throttled = 0;
    loop {
        let batch = tail.next().await.unwrap();
        throttled += usize::from(batch.throttled);
        seen.extend(batch.events);
        if batch.caught_up {
            break;
        }
    }
    assert_eq!((throttled, seen.len()), (4, 30));
    let times = logs.call_times();
    let waits: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    for (i, wait) in waits.iter().take(4).enumerate() {
        let full = Duration::from_secs(1 << i).min(Duration::from_secs(10));
        assert!(
            *wait >= full / 2 && *wait <= full + Duration::from_millis(1),
            "wait {i} is {wait:?}: {waits:?}"
        );
    }

    // Then it throttles in the middle of a pagination: what was read counts, the rest
    // comes with the next poll, nothing twice.
    logs.put("ecs/app/t1", 2_000, 30);
    logs.throttle_pages.store(1, Ordering::SeqCst);
    loop {
        let batch = tail.next().await.unwrap();
        seen.extend(batch.events);
        if batch.caught_up {
            break;
        }
    }
    let ids: HashSet<&str> = seen.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), seen.len(), "no repeats");
    assert_eq!(seen.len(), 60, "no loss");
    assert_in_order_per_stream(&seen);
}

#[tokio::test(start_paused = true)]
async fn an_error_part_way_loses_nothing_and_the_tail_carries_on() {
    let logs = FakeLogs::new(10);
    logs.put("ecs/app/t1", 1_000, 35);
    logs.fail_pages.store(1, Ordering::SeqCst);
    let limiter = Arc::new(RateLimiter::filter_log_events());
    let mut tail = LogTail::polling(logs.clone(), limiter, app_streams(), options(0));
    let error = tail.next().await.unwrap_err();
    assert!(matches!(error, CloudError::Unreachable { .. }), "{error:?}");
    let batch = tail.next().await.unwrap();
    assert!(batch.caught_up);
    assert_eq!(batch.events.len(), 35);
}

#[tokio::test(start_paused = true)]
async fn spent_tokens_are_never_reused() {
    let logs = FakeLogs::new(7);
    logs.put("ecs/app/t1", 1_000, 40);
    let limiter = Arc::new(RateLimiter::filter_log_events());
    let mut tail = LogTail::polling(logs.clone(), limiter, app_streams(), options(0));
    let mut total = 0;
    for round in 0..5 {
        logs.put("ecs/app/t1", 2_000 + round, 9);
        total += tail.next().await.unwrap().events.len();
    }
    assert_eq!(total, 40 + 5 * 9);
    // Each poll starts a fresh pagination: tokens repeat only across polls, never within.
    let calls = logs.calls.lock().unwrap().clone();
    let mut poll_tokens: HashSet<String> = HashSet::new();
    for (_, token) in calls {
        match token {
            None => poll_tokens.clear(),
            Some(token) => assert!(poll_tokens.insert(token), "token reused within a poll"),
        }
    }
}

fn line(i: usize, stream: &str, message: &str) -> LogEvent {
    LogEvent {
        event_id: i.to_string(),
        timestamp: SANDBOX_EPOCH + i as i64,
        ingestion_time: SANDBOX_EPOCH + i as i64,
        stream: stream.into(),
        message: message.into(),
    }
}

#[test]
fn the_buffer_is_bounded_by_lines_and_by_bytes() {
    let mut by_lines = LogBuffer::new(BufferLimits {
        lines: 1_000,
        bytes: usize::MAX,
    });
    let mut by_bytes = LogBuffer::new(BufferLimits {
        lines: usize::MAX,
        bytes: 100_000,
    });
    for i in 0..50_000 {
        let event = line(i, "ecs/umami/t1", &format!("{i:>79}"));
        by_lines.push(&event);
        by_bytes.push(&event);
    }
    assert_eq!(by_lines.len(), 1_000);
    assert_eq!(by_lines.evicted(), 49_000);
    assert_eq!(by_lines.get_back(0).unwrap().message.trim(), "49999");
    assert_eq!(by_lines.get(0).unwrap().message.trim(), "49000");
    assert!(by_bytes.text_bytes() <= 100_000);
    assert_eq!(by_bytes.len(), 100_000 / 79);
    assert!(
        by_bytes.memory_bytes() < 400_000,
        "{}",
        by_bytes.memory_bytes()
    );
}

#[test]
fn buffer_memory_stays_under_twice_the_text() {
    let mut buffer = LogBuffer::new(BufferLimits {
        lines: 200_000,
        bytes: usize::MAX,
    });
    let streams: Vec<String> = (0..8).map(|t| format!("ecs/umami/{t:032x}")).collect();
    for i in 0..200_000 {
        let message = format!(
            "GET /api/websites/{i:08}/stats?startAt=1795251600000 200 {}ms",
            i % 400
        );
        buffer.push(&line(i, &streams[i % 8], &message));
    }
    let ratio = buffer.memory_bytes() as f64 / buffer.text_bytes() as f64;
    assert!(ratio <= 2.0, "memory is {ratio:.2}x the text");
    assert_eq!(buffer.streams().count(), 8);
}

#[test]
fn hostile_lines_are_neutralised_in_the_buffer() {
    let hostile = [
        "GET /\u{1b}[31m../../etc/passwd 404 2ms",
        "GET /?q=\u{1b}]0;pwned\u{7} 404 1ms",
        "GET /cgi-bin/%2e%2e/%2e%2e/bin/sh\u{1b}[2J\u{1b}[H 400 0ms",
        "POST /api/send\u{8}\u{8}\u{8}\u{0} 400 3ms",
        "x\u{9b}2J \u{202e}txt.exe\r\nsecond line\u{7f}",
    ];
    let mut buffer = LogBuffer::new(BufferLimits::for_lines(100));
    for (i, message) in hostile.iter().enumerate() {
        buffer.push(&line(i, "ecs/umami/t1", message));
    }
    for line in buffer.iter() {
        assert!(
            !line
                .message
                .chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "{:?}",
            line.message
        );
    }
    assert_eq!(
        buffer.get(0).unwrap().message,
        "GET /^[[31m../../etc/passwd 404 2ms"
    );
    assert_eq!(
        buffer.get(4).unwrap().message,
        "x\\u{9b}2J \\u{202e}txt.exe^M ⏎ second line^?"
    );
}

#[test]
fn filter_finds_matches_by_substring_regex_and_case() {
    let mut buffer = LogBuffer::new(BufferLimits::for_lines(100));
    for (i, message) in [
        "GET /api/send 200 4ms",
        "Error: Timed out fetching a new connection",
        r#"{"level":"error","msg":"Unhandled rejection"}"#,
        "GET /api/heartbeat 502 2ms",
    ]
    .iter()
    .enumerate()
    {
        buffer.push(&line(i, "ecs/umami/abc123", message));
    }
    let count = |spec: FilterSpec| {
        let filter = LineFilter::new(spec).unwrap();
        buffer.iter().filter(|l| filter.matches_line(l)).count()
    };
    let spec = |pattern: &str, regex, case_sensitive| FilterSpec {
        pattern: pattern.into(),
        regex,
        case_sensitive,
    };
    assert_eq!(count(spec("error", false, false)), 2);
    assert_eq!(count(spec("error", false, true)), 1);
    assert_eq!(count(spec(r"\b5\d\d\b", true, false)), 1);
    assert_eq!(
        count(spec("abc123", false, true)),
        4,
        "the task id matches too"
    );

    let filter = LineFilter::new(spec("e", false, false)).unwrap();
    assert_eq!(filter.match_ranges("GET /api/Error"), [1..2, 9..10]);
}

#[test]
fn filtered_lines_follow_the_buffer_as_it_grows_and_evicts() {
    let mut buffer = LogBuffer::new(BufferLimits::for_lines(10));
    let mut view = FilteredLines::new(LineFilter::substring("odd"));
    for i in 0..30 {
        let word = if i % 2 == 1 { "odd" } else { "even" };
        buffer.push(&line(i, "s/c/t", &format!("{word} {i}")));
        view.update(&buffer);
    }
    assert_eq!(view.len(), 5);
    assert_eq!(view.get_back(0, &buffer).unwrap().message, "odd 29");
    assert_eq!(view.get_back(4, &buffer).unwrap().message, "odd 21");
    assert_eq!(view.get_back(5, &buffer), None);
}

#[test]
fn severity_and_json_of_real_lines() {
    let cases = [
        (
            r#"{"level":"warn","msg":"slow query","durationMs":1200}"#,
            Some(Severity::Warn),
        ),
        (
            "prisma:error Timed out fetching a new connection",
            Some(Severity::Error),
        ),
        (
            "2026-11-22 09:00:00 INFO server started",
            Some(Severity::Info),
        ),
        ("[debug] cache miss", Some(Severity::Debug)),
        ("GET /api/send 200 4ms", None),
    ];
    for (message, expected) in cases {
        assert_eq!(severity(message), expected, "{message}");
    }
    assert_eq!(
        pretty_json(r#"{"level":"info","nested":{"a":[1,{"b":null}]}}"#).as_deref(),
        Some(
            "{\n  \"level\": \"info\",\n  \"nested\": {\n    \"a\": [\n      1,\n      {\n        \"b\": null\n      }\n    ]\n  }\n}"
        )
    );
    assert_eq!(pretty_json("GET /api/send 200"), None);
}

#[test]
fn export_writes_one_plain_line_each() {
    let mut buffer = LogBuffer::new(BufferLimits::for_lines(10));
    buffer.push(&line(0, "ecs/umami/abc", "first"));
    buffer.push(&line(1, "ecs/umami/abc", "second \u{1b}[2J"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.log");
    assert_eq!(export_lines(&path, buffer.iter()).unwrap(), 2);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "2026-11-22T09:00:00.000Z abc/umami first\n2026-11-22T09:00:00.001Z abc/umami second ^[[2J\n"
    );
    let error = export_lines(&dir.path().join("no/such/dir"), buffer.iter()).unwrap_err();
    assert!(error.to_string().contains("no/such/dir"), "{error}");
}
