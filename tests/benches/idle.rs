//! CPU used by an idle dashboard: the sandbox running, nobody touching a key, for 30 s; and
//! by the same dashboard while its live release view watches a deploy.
//!
//! `cargo bench --bench idle`. Targets: at most 1% of one core idle, 2% while watching.
//! Reads the process's user and system time from /proc (Linux).

#[path = "../common/pty.rs"]
mod pty;
#[path = "table.rs"]
mod table;

use std::time::{Duration, Instant};

use crate::table::Row;

const WINDOW: Duration = Duration::from_secs(30);
/// The healthy scenario starts its own routine deployment 30 s after start, which would
/// replace ours: the watch is measured before it.
const WATCH_WINDOW: Duration = Duration::from_secs(20);
const WAIT: Duration = Duration::from_secs(20);

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("idle: bench");
        return;
    }
    crate::table::print(&measure());
}

pub fn measure() -> Vec<Row> {
    vec![idle_dashboard(), deploy_watch()]
}

fn idle_dashboard() -> Row {
    let mut app = pty::PtyApp::start(&["--sandbox"], 120, 40);
    app.wait_for("data", Duration::from_secs(10), |s| s.contains("umami-db"));
    let (percent, used, wall) = cpu_over(&app, WINDOW);
    app.send("q");
    app.wait_exit(Duration::from_secs(10));
    Row::new(
        "idle CPU, dashboard (sandbox, 120x40)",
        percent,
        "% core",
        "<= 1",
    )
    .note(format!("{used:.2} s CPU over {wall:.1} s, nobody typing"))
}

/// `d` in the ECS pane, v2.14.0 picked through the filter, confirmed; then the CPU while
/// the release view follows the rollout (real time: one poll every 5 s).
fn deploy_watch() -> Row {
    let mut app = pty::PtyApp::start(&["--sandbox"], 120, 40);
    app.wait_for("data", Duration::from_secs(10), |s| s.contains("umami-db"));
    app.send("2");
    app.send("d");
    app.wait_for("the tags", WAIT, |s| s.contains("v2.14.0"));
    app.send("/");
    app.send("v2.14.0");
    app.send("\r");
    app.send("\r");
    app.wait_for("the summary pinned to a digest", WAIT, |s| {
        s.contains("@sha256:")
    });
    app.send("\r");
    app.wait_for("the confirmation", WAIT, |s| s.contains("Deploy to umami?"));
    app.send("y");
    app.wait_for("the live release view", WAIT, |s| s.contains("DEPLOYMENTS"));
    let (percent, used, wall) = cpu_over(&app, WATCH_WINDOW);
    let screen = app.contents();
    // The release view's headline until the verdict.
    let still_watching = screen.contains("watching…");
    // Measured: dropping the app ends it (Esc then q sent at once would read as Alt-q).
    drop(app);
    let row = Row::new(
        "idle CPU, deploy watch (release view, 120x40)",
        percent,
        "% core",
        "<= 2",
    );
    if still_watching {
        row.note(format!(
            "{used:.2} s CPU over {wall:.1} s while the sandbox rolls v2.14.0 out at real speed"
        ))
    } else {
        row.note(format!(
            "{used:.2} s CPU over {wall:.1} s; the watch ended inside the window:\n{screen}"
        ))
    }
}

/// The share of one core the app used over `window`: (percent, CPU seconds, wall seconds).
fn cpu_over(app: &pty::PtyApp, window: Duration) -> (f64, f64, f64) {
    let pid = app.pid().expect("pid");
    let ticks_per_s = clock_ticks();
    let before = cpu_ticks(pid);
    let started = Instant::now();
    std::thread::sleep(window);
    let used = (cpu_ticks(pid) - before) as f64 / ticks_per_s;
    let wall = started.elapsed().as_secs_f64();
    (100.0 * used / wall, used, wall)
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}
