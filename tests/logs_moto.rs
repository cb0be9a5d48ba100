//! The log tail over the real AWS backend against moto: 20,000 events put in bursts while a
//! polling tail runs come out exactly once and in order per stream; `opsdeck logs --follow
//! --poll` prints lines put after it started.
//!
//! Needs `moto_server`: `python3 -m venv .venv && .venv/bin/pip install 'moto[server]'`.

#[path = "common/moto.rs"]
mod moto;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use moto::{Moto, REGION, binary_env, build_umami};
use opsdeck::model::LogEvent;
use opsdeck::ops::logs::streams::{GroupStreams, StreamSet};
use opsdeck::ops::logs::{LogTail, PollOptions, RateLimiter, StreamSelection};

const GROUP: &str = "/ecs/umami";
const STREAMS: usize = 4;
const TOTAL: usize = 20_000;
/// Events per PutLogEvents call: 20 bursts, 1,000 events each.
const BURST: usize = 1_000;
/// Events sharing each millisecond.
const PER_MILLISECOND: usize = 25;

fn stream_name(i: usize) -> String {
    format!("ecs/umami/{i:032x}")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Puts `TOTAL` events in bursts: each burst goes to one stream, 25 events per millisecond,
/// and later streams' bursts carry older timestamps (as the awslogs driver's 5-second
/// flushes deliver them), so batches arrive out of order across streams.
async fn put_in_bursts(logs: aws_sdk_cloudwatchlogs::Client) -> HashMap<String, Vec<String>> {
    let mut sent: HashMap<String, Vec<String>> = HashMap::new();
    for burst in 0..TOTAL / BURST {
        let stream = burst % STREAMS;
        let name = stream_name(stream);
        let base = now_ms() - 4_000 + (STREAMS - stream) as i64 * 700;
        let events: Vec<InputLogEvent> = (0..BURST)
            .map(|i| {
                let message = format!("burst {burst} line {i} of {name}");
                sent.entry(name.clone()).or_default().push(message.clone());
                InputLogEvent::builder()
                    .timestamp(base + (i / PER_MILLISECOND) as i64)
                    .message(message)
                    .build()
                    .unwrap()
            })
            .collect();
        logs.put_log_events()
            .log_group_name(GROUP)
            .log_stream_name(&name)
            .set_log_events(Some(events))
            .send()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    sent
}

async fn create_streams(logs: &aws_sdk_cloudwatchlogs::Client) {
    logs.create_log_group()
        .log_group_name(GROUP)
        .send()
        .await
        .unwrap();
    for i in 0..STREAMS {
        logs.create_log_stream()
            .log_group_name(GROUP)
            .log_stream_name(stream_name(i))
            .send()
            .await
            .unwrap();
    }
    // A stream outside the selection: moto ignores logStreamNamePrefix, so the tail's own
    // stream check must drop these.
    logs.create_log_stream()
        .log_group_name(GROUP)
        .log_stream_name("other/sidecar/x")
        .send()
        .await
        .unwrap();
    logs.put_log_events()
        .log_group_name(GROUP)
        .log_stream_name("other/sidecar/x")
        .log_events(
            InputLogEvent::builder()
                .timestamp(now_ms())
                .message("not ours")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

fn selection() -> StreamSelection {
    StreamSelection {
        groups: vec![GroupStreams {
            group: GROUP.into(),
            region: REGION.into(),
            streams: StreamSet::Prefixes(vec!["ecs/umami/".into()]),
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_burst_events_come_out_once_and_in_order_per_stream() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    create_streams(&logs).await;
    let (cloud, calls) = moto.cloud().await;
    let start = now_ms() - 60_000;
    let mut tail = LogTail::polling(
        cloud.logs.clone(),
        Arc::new(RateLimiter::filter_log_events()),
        selection(),
        PollOptions {
            jitter_seed: Some(1),
            ..PollOptions::from(start)
        },
    );

    let putting = tokio::spawn(put_in_bursts(logs));
    let mut received: Vec<LogEvent> = Vec::new();
    let mut polls = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while received.len() < TOTAL || !putting.is_finished() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {TOTAL} events within 120 s",
            received.len()
        );
        let batch = tail.next().await.unwrap();
        polls += 1;
        received.extend(batch.events);
    }
    let sent = putting.await.unwrap();
    // Two more polls: nothing else may come out.
    for _ in 0..2 {
        let batch = tail.next().await.unwrap();
        assert!(
            batch.events.is_empty(),
            "{} extra events",
            batch.events.len()
        );
        polls += 1;
    }

    let ids: HashSet<&str> = received.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), received.len(), "an event came out twice");
    assert_eq!(received.len(), TOTAL);
    let mut by_stream: HashMap<String, Vec<&LogEvent>> = HashMap::new();
    for event in &received {
        by_stream
            .entry(event.stream.clone())
            .or_default()
            .push(event);
    }
    assert_eq!(by_stream.len(), STREAMS, "{:?}", by_stream.keys());
    for (stream, events) in &by_stream {
        assert!(
            events.windows(2).all(|w| w[0].timestamp <= w[1].timestamp),
            "{stream} out of timestamp order"
        );
        let mut got: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
        let mut want: Vec<&str> = sent[stream].iter().map(String::as_str).collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{stream}: every line, once");
    }
    // More calls than polls: the 10,000-event pages were followed by nextToken.
    let filter_calls = calls.calls()["CloudWatch Logs.FilterLogEvents"];
    assert!(
        filter_calls > polls,
        "{filter_calls} calls for {polls} polls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opsdeck_logs_follow_poll_prints_lines_put_after_it_started() {
    let stderr = follow_prints_lines_put_after_start(&["--poll"]).await;
    assert!(!stderr.contains("live tail"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_poll_moto_falls_back_to_polling_with_a_one_line_notice() {
    let stderr = follow_prints_lines_put_after_start(&[]).await;
    let notices: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("live tail unavailable"))
        .collect();
    assert_eq!(notices.len(), 1, "{stderr}");
    assert!(notices[0].ends_with("polling FilterLogEvents"), "{stderr}");
}

/// Runs `opsdeck logs --follow <extra>` against moto, puts three lines after it started,
/// checks they are printed, and returns its stderr.
async fn follow_prints_lines_put_after_start(extra: &[&str]) -> String {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let task_id = umami.tasks[0].rsplit('/').next().unwrap().to_string();
    let stream = format!("umami/umami/{task_id}");
    logs.create_log_stream()
        .log_group_name(&umami.log_group)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();

    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command
        .args(["--endpoint-url", &moto.endpoint, "--region", REGION])
        .args(["--cluster", "umami", "--service", "umami"])
        .args(["logs", "--follow", "--since", "1m"])
        .args(extra)
        .envs(binary_env(home.path()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in moto::SCRUBBED_ENV {
        command.env_remove(name);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    // Past start-up (and, without --poll, the failed live-tail attempt and its retries).
    tokio::time::sleep(Duration::from_secs(if extra.is_empty() { 6 } else { 2 })).await;

    for i in 0..3 {
        logs.put_log_events()
            .log_group_name(&umami.log_group)
            .log_stream_name(&stream)
            .log_events(
                InputLogEvent::builder()
                    .timestamp(now_ms())
                    .message(format!("GET /after-start/{i} 200"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match lines_rx.recv_timeout(Duration::from_secs(15)) {
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(seen.len(), 3, "stdout {seen:?}\nstderr {stderr}");
    for (i, line) in seen.iter().enumerate() {
        assert!(
            line.ends_with(&format!("{task_id}/umami GET /after-start/{i} 200")),
            "{line}"
        );
    }
    stderr.into_owned()
}
