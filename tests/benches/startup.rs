//! Start-up latency of the real binary in a pseudo-terminal: time to the first frame, and
//! to the first frame that shows data from every pane.
//!
//! `cargo bench --bench startup`. Target: first frame within 50 ms of start.

#[path = "../common/pty.rs"]
mod pty;
#[path = "table.rs"]
mod table;

use std::time::{Duration, Instant};

use crate::table::Row;

const RUNS: usize = 20;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("startup: bench");
        return;
    }
    crate::table::print(&measure());
}

/// The first frame and the first frame with data, each the median of `RUNS` starts.
pub fn measure() -> Vec<Row> {
    let mut first_frame = Vec::new();
    let mut with_data = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let mut app = pty::PtyApp::start(&["--sandbox"], 120, 40);
        while !app.contents().contains("[1] Network") {
            std::thread::sleep(Duration::from_micros(200));
            assert!(started.elapsed() < Duration::from_secs(10), "no frame");
        }
        first_frame.push(started.elapsed());
        while !(app.contents().contains("umami-db") && app.contents().contains("RUNNING")) {
            std::thread::sleep(Duration::from_micros(200));
            assert!(started.elapsed() < Duration::from_secs(10), "no data");
        }
        with_data.push(started.elapsed());
        app.send("q");
        app.wait_exit(Duration::from_secs(10));
    }
    vec![
        row(
            "first frame (sandbox, 120x40, pty)",
            &mut first_frame,
            "<= 50",
        ),
        row("first frame with every pane's data", &mut with_data, ""),
    ]
}

fn row(what: &str, samples: &mut [Duration], target: &str) -> Row {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Row::new(what, ms(samples[samples.len() / 2]), "ms", target).note(format!(
        "median of {} starts, process spawn included; p90 {:.1} ms, max {:.1} ms",
        samples.len(),
        ms(samples[samples.len() * 9 / 10]),
        ms(samples[samples.len() - 1]),
    ))
}
