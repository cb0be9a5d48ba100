//! Every benchmark in one run and one table: `cargo bench --bench suite`.
//!
//! Each bench file keeps its own main (`cargo bench --bench render` ...) and offers its
//! measurements as rows through `measure()`; this runs them in turn (timing loops in place
//! of criterion) and prints the rows together. `cargo bench --bench suite -- render calls`
//! runs only the sections named. A section that panics is a `failed` row, not the end of
//! the run.

// Each bench file brings its own copy of the table and of the harness it drives (pty, moto):
// they are loaded once per bench that includes them, by design.
#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "calls.rs"]
mod calls;
#[allow(dead_code)]
#[path = "fault_keys.rs"]
mod fault_keys;
#[allow(dead_code)]
#[path = "idle.rs"]
mod idle;
#[allow(dead_code)]
#[path = "log_latency.rs"]
mod log_latency;
#[allow(dead_code)]
#[path = "logs.rs"]
mod logs;
#[allow(dead_code)]
#[path = "picker.rs"]
mod picker;
#[allow(dead_code)]
#[path = "render.rs"]
mod render;
#[allow(dead_code)]
#[path = "startup.rs"]
mod startup;
#[path = "table.rs"]
mod table;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use crate::table::Row;

type Section = (&'static str, fn() -> Vec<Row>);

const SECTIONS: [Section; 8] = [
    ("startup", startup::measure),
    ("render", render::measure),
    ("idle", idle::measure),
    ("logs", logs::measure),
    ("calls", calls::measure),
    ("picker", picker_rows),
    ("fault_keys", fault_key_rows),
    ("log_latency", log_latency::measure),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("suite: bench");
        return;
    }
    // cargo passes `--bench`; any other word names a section to run.
    let chosen: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let started = Instant::now();
    let mut rows = Vec::new();
    for (name, measure) in SECTIONS {
        if !chosen.is_empty() && !chosen.contains(&name) {
            continue;
        }
        eprintln!("suite: {name}...");
        let section = Instant::now();
        match catch_unwind(AssertUnwindSafe(measure)) {
            Ok(measured) => rows.extend(measured),
            Err(_) => rows.push(
                Row::missing(format!("{name}: failed"), "failed", "", "")
                    .note("it panicked; the message is above the table"),
            ),
        }
        eprintln!(
            "suite: {name} took {:.0} s",
            section.elapsed().as_secs_f64()
        );
    }
    table::print(&rows);
    println!(
        "\n{} rows in {:.0} s ({} build)",
        rows.len(),
        started.elapsed().as_secs_f64(),
        if cfg!(debug_assertions) {
            "debug: the numbers are not meaningful"
        } else {
            "release"
        }
    );
}

fn picker_rows() -> Vec<Row> {
    picker::measure().into_iter().map(Row::from).collect()
}

fn fault_key_rows() -> Vec<Row> {
    fault_keys::measure().into_iter().map(Row::from).collect()
}
