//! The logs buffer and filter at the pane's scale.
//!
//! `cargo bench --bench logs`. Targets: ingest with dedupe at least 500,000 lines/s; a
//! substring filter over 1,000,000 buffered lines in at most 100 ms; buffer memory at most
//! twice the raw message text for 1,000,000 lines (printed as a ratio before the runs).
//! The suite (`measure`) times the same work with plain loops and adds the process's
//! resident memory for the million lines.

#[path = "table.rs"]
mod table;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

use opsdeck::model::LogEvent;
use opsdeck::ops::logs::tail::Dedupe;
use opsdeck::ops::logs::{BufferLimits, FilterSpec, FilteredLines, LineFilter, LogBuffer};

use crate::table::Row;

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
    let mut buffer = empty_buffer();
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

/// As the tail does: a poll's worth of events, then forget what fell behind.
fn ingest_polls(batch: &[LogEvent], mut dedupe: Dedupe, mut buffer: LogBuffer) -> usize {
    for poll in batch.chunks(1_000) {
        for event in poll {
            if dedupe.admit(event) {
                buffer.push(event);
            }
        }
        dedupe.settle();
    }
    buffer.len()
}

fn empty_buffer() -> LogBuffer {
    LogBuffer::new(BufferLimits {
        lines: MILLION,
        bytes: usize::MAX,
    })
}

/// The filters the pane is timed with: (name, case-sensitive, regex, pattern).
const FILTERS: [(&str, bool, bool, &str); 3] = [
    ("substring", true, false, "request-id=00000000000f"),
    (
        "substring_any_case",
        false,
        false,
        "REQUEST-ID=00000000000F",
    ),
    ("regex", true, true, r"stats 200 3\d\dms"),
];

fn line_filter((_, case_sensitive, regex, pattern): (&str, bool, bool, &str)) -> LineFilter {
    LineFilter::new(FilterSpec {
        pattern: pattern.into(),
        regex,
        case_sensitive,
    })
    .expect("filter")
}

fn ingest(c: &mut Criterion, events: &[LogEvent]) {
    let batch = &events[..100_000];
    let mut group = c.benchmark_group("logs_ingest");
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("dedupe_and_push_100k", |b| {
        b.iter_batched(
            || (Dedupe::new(START), empty_buffer()),
            |(dedupe, buffer)| black_box(ingest_polls(batch, dedupe, buffer)),
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn filter(c: &mut Criterion, buffer: &LogBuffer) {
    let mut group = c.benchmark_group("logs_filter_1m");
    group.sample_size(10);
    group.throughput(Throughput::Elements(buffer.len() as u64));
    for spec in FILTERS {
        let (name, filter) = (spec.0, line_filter(spec));
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

/// The suite's rows: memory first (the process's resident set grows by what the buffer
/// really holds, allocator overhead included), then ingest and filter in plain loops.
#[allow(dead_code)] // the suite's; the bench's own main is criterion's
pub fn measure() -> Vec<Row> {
    let events = events(MILLION);
    let raw: usize = events.iter().map(|e| e.message.len()).sum();
    let resident_before = resident_bytes();
    let buffer = full_buffer(&events);
    let resident = resident_bytes()
        .zip(resident_before)
        .map(|(a, b)| a.saturating_sub(b));
    let mb = |bytes: usize| bytes as f64 / 1e6;
    let mut rows = vec![
        Row::new(
            format!("log buffer memory, {} lines", lines(&buffer)),
            mb(buffer.memory_bytes()),
            "MB",
            &format!("<= {:.0}", 2.0 * mb(raw)),
        )
        .note(format!(
            "{:.2}x the raw message text ({:.1} MB); target twice the text",
            buffer.memory_bytes() as f64 / raw as f64,
            mb(raw)
        )),
    ];
    rows.push(match resident {
        Some(bytes) => Row::new(
            format!("process RSS growth, {} lines buffered", lines(&buffer)),
            mb(bytes),
            "MB",
            &format!("<= {:.0}", 2.0 * mb(raw)),
        )
        .note("VmRSS of the bench process before and after filling the buffer"),
        None => Row::missing("process RSS growth", "no /proc", "MB", ""),
    });

    let batch = &events[..100_000];
    let ingest = crate::table::median_time(crate::table::iterations(20), || {
        black_box(ingest_polls(batch, Dedupe::new(START), empty_buffer()));
    });
    rows.push(Row::new(
        "log ingest with dedupe (100k lines in polls of 1,000)",
        batch.len() as f64 / ingest.as_secs_f64(),
        "lines/s",
        ">= 500,000",
    ));
    for spec in FILTERS {
        let filter = line_filter(spec);
        let took = crate::table::median_time(crate::table::iterations(10), || {
            let mut view = FilteredLines::new(filter.clone());
            view.update(&buffer);
            black_box(view.len());
        });
        rows.push(Row::new(
            format!("log filter, {} over {} lines", spec.0, lines(&buffer)),
            crate::table::ms(took),
            "ms",
            // The documented target is the substring filter's.
            if spec.2 { "" } else { "<= 100" },
        ));
    }
    rows
}

fn lines(buffer: &LogBuffer) -> String {
    crate::table::format_value(buffer.len() as f64)
}

/// The process's resident set (VmRSS), where /proc has it.
fn resident_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
