//! Start-up latency of the real binary in a pseudo-terminal: time to the first frame, and
//! to the first frame that shows data from every pane.
//!
//! `cargo bench --bench startup`. Target: first frame within 50 ms of start.

#[path = "../common/pty.rs"]
mod pty;

use std::time::{Duration, Instant};

const RUNS: usize = 20;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("startup: bench");
        return;
    }
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
    report("first frame", &mut first_frame);
    report("first frame with every pane's data", &mut with_data);
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: median {:.1} ms, p90 {:.1} ms, max {:.1} ms over {} runs (process spawn included)",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 9 / 10]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
}
