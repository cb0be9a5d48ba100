//! CPU used by an idle dashboard: the sandbox running, nobody touching a key, for 30 s.
//!
//! `cargo bench --bench idle`. Target: at most 1% of one core. Reads the process's user and
//! system time from /proc (Linux).

#[path = "../common/pty.rs"]
mod pty;

use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(30);

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("idle: bench");
        return;
    }
    let mut app = pty::PtyApp::start(&["--sandbox"], 120, 40);
    app.wait_for("data", Duration::from_secs(10), |s| s.contains("umami-db"));
    let pid = app.pid().expect("pid");
    let ticks_per_s = clock_ticks();
    let before = cpu_ticks(pid);
    let started = Instant::now();
    std::thread::sleep(WINDOW);
    let used = (cpu_ticks(pid) - before) as f64 / ticks_per_s;
    let wall = started.elapsed().as_secs_f64();
    println!(
        "idle dashboard: {:.2}% of one core ({used:.2} s CPU over {wall:.1} s, sandbox, 120x40)",
        100.0 * used / wall
    );
    app.send("q");
    app.wait_exit(Duration::from_secs(10));
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
