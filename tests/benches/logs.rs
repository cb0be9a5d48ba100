//! The logs buffer and filter at the pane's scale.
//!
//! `cargo bench --bench logs`. Targets: ingest with dedupe at least 500,000 lines/s; a
//! substring filter over 1,000,000 buffered lines in at most 100 ms; buffer memory at most
//! twice the raw message text for 1,000,000 lines (printed as a ratio before the runs).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

use opsdeck::model::LogEvent;
use opsdeck::ops::logs::tail::Dedupe;
use opsdeck::ops::logs::{BufferLimits, FilterSpec, FilteredLines, LineFilter, LogBuffer};

const MILLION: usize = 1_000_000;
const START: i64 = 1_795_338_000_000;

/// Lines like the example app's, about 80 bytes, from eight tasks, many per millisecond.
fn events(count: usize) -> Vec<LogEvent> {
    let streams: Vec<String> = (0..8).map(|t| format!("ecs/umami/{t:032x}")).collect();
    (0..count)
        .map(|i| {
            let timestamp = START + (i / 20) as i64;
            let message = match i % 4 {
                0 => format!("POST /api/send 200 {}ms request-id={i:016x} ok", i % 40),
                1 => format!("GET /api/websites/{i:036}/stats 200 {}ms", i % 400),
                2 => format!("{{\"level\":\"info\",\"msg\":\"session created\",\"id\":{i:020}}}"),
                _ => format!(
                    "GET /dashboard 200 {}ms ua=Mozilla/5.0 (X11; Linux x86_64) {i}",
                    i % 120
                ),
            };
            LogEvent {
                event_id: format!("{timestamp:020}{i:020}"),
                timestamp,
                ingestion_time: timestamp + 3_000,
                stream: streams[i % 8].clone(),
                message,
            }
        })
        .collect()
}

fn full_buffer(events: &[LogEvent]) -> LogBuffer {
    let mut buffer = LogBuffer::new(BufferLimits {
        lines: MILLION,
        bytes: usize::MAX,
    });
    buffer.extend(events);
    buffer
}

fn report_memory(events: &[LogEvent]) {
    let buffer = full_buffer(events);
    let raw: usize = events.iter().map(|e| e.message.len()).sum();
    println!(
        "logs buffer: {} lines, raw text {:.1} MB, memory {:.1} MB, ratio {:.2}x (target <= 2x)",
        buffer.len(),
        raw as f64 / 1e6,
        buffer.memory_bytes() as f64 / 1e6,
        buffer.memory_bytes() as f64 / raw as f64
    );
}

fn ingest(c: &mut Criterion, events: &[LogEvent]) {
    let batch = &events[..100_000];
    let mut group = c.benchmark_group("logs_ingest");
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("dedupe_and_push_100k", |b| {
        b.iter_batched(
            || {
                (
                    Dedupe::new(START),
                    LogBuffer::new(BufferLimits {
                        lines: MILLION,
                        bytes: usize::MAX,
                    }),
                )
            },
            |(mut dedupe, mut buffer)| {
                // As the tail does: a poll's worth of events, then forget what fell behind.
                for poll in batch.chunks(1_000) {
                    for event in poll {
                        if dedupe.admit(event) {
                            buffer.push(event);
                        }
                    }
                    dedupe.settle();
                }
                black_box(buffer.len())
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn filter(c: &mut Criterion, buffer: &LogBuffer) {
    let mut group = c.benchmark_group("logs_filter_1m");
    group.sample_size(10);
    group.throughput(Throughput::Elements(buffer.len() as u64));
    for (name, case_sensitive, regex, pattern) in [
        ("substring", true, false, "request-id=00000000000f"),
        (
            "substring_any_case",
            false,
            false,
            "REQUEST-ID=00000000000F",
        ),
        ("regex", true, true, r"stats 200 3\d\dms"),
    ] {
        let filter = LineFilter::new(FilterSpec {
            pattern: pattern.into(),
            regex,
            case_sensitive,
        })
        .expect("filter");
        // What the pane does when the filter changes: one full scan into a fresh view.
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut view = FilteredLines::new(filter.clone());
                view.update(buffer);
                black_box(view.len())
            });
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let events = events(MILLION);
    report_memory(&events);
    ingest(c, &events);
    filter(c, &full_buffer(&events));
}

criterion_group!(logs, benches);
criterion_main!(logs);
