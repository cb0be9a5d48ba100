//! A big account against moto: 2,000 services in 5 clusters and a service with 500 tasks.
//! Time from process start to the stack picker's first screen (and to the whole listing),
//! the picker's peak memory, and the memory of the 500-task service's dashboard over
//! refreshes.
//!
//! `cargo bench --bench picker` (needs moto_server, as the moto tests do). Targets: first
//! screen within 3 s of start (median of the runs); the dashboard's memory does not grow
//! from refresh to refresh. Memory is the opsdeck process's VmHWM (Linux).
//!
//! A suite bench reuses the numbers: `#[path = "picker.rs"] mod picker;` and
//! `picker::measure()`.

#[path = "../common/moto.rs"]
mod moto;
#[path = "../common/pty.rs"]
mod pty;
#[path = "../common/scale.rs"]
mod scale;

use std::time::{Duration, Instant};

const CLUSTERS: usize = 5;
const SERVICES: usize = 2000;
const TASKS: u32 = 500;
const RUNS: usize = 5;
/// A hang guard: a run that takes longer fails the bench.
const HANG: Duration = Duration::from_secs(60);

/// (name, value, unit, target) of each measurement.
pub fn measure() -> Vec<(String, f64, String, String)> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let moto = moto::Moto::start();
    let account = runtime.block_on(scale::big_account(&moto, CLUSTERS, SERVICES, TASKS));
    let mut out = vec![row(
        &format!("seeding {SERVICES} services in {CLUSTERS} clusters and {TASKS} tasks (moto)"),
        account.seeding.as_secs_f64(),
        "s",
        "-",
    )];

    let mut first = Vec::new();
    let mut complete = Vec::new();
    let mut picker_rss = 0.0f64;
    for _ in 0..RUNS {
        let (to_first, to_complete, rss) = picker_run(&moto.endpoint);
        first.push(to_first);
        complete.push(to_complete);
        picker_rss = picker_rss.max(rss);
    }
    out.push(row(
        &format!("stack picker: first screen, {SERVICES} services (median of {RUNS})"),
        median(&mut first) * 1000.0,
        "ms",
        "<= 3000",
    ));
    out.push(row(
        &format!("stack picker: all {SERVICES} listed (median of {RUNS})"),
        median(&mut complete) * 1000.0,
        "ms",
        "-",
    ));
    out.push(row("stack picker: peak RSS", picker_rss, "MiB", "-"));

    let (after_3, after_13) = dashboard_rss(&moto.endpoint);
    out.push(row(
        &format!("dashboard of a {TASKS}-task service: peak RSS after 3 refreshes"),
        after_3,
        "MiB",
        "-",
    ));
    out.push(row(
        &format!("dashboard of a {TASKS}-task service: peak RSS growth over 10 more refreshes"),
        after_13 - after_3,
        "MiB",
        "~0 (bounded)",
    ));
    out
}

fn row(name: &str, value: f64, unit: &str, target: &str) -> (String, f64, String, String) {
    (name.into(), value, unit.into(), target.into())
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn picker_env() -> (tempfile::TempDir, Vec<(&'static str, String)>) {
    let home = tempfile::tempdir().expect("temp home");
    let mut env = moto::binary_env(home.path());
    env.retain(|(name, _)| *name != "HOME");
    (home, env)
}

/// Seconds to the first screen of the picker and to the whole listing, and peak RSS.
fn picker_run(endpoint: &str) -> (f64, f64, f64) {
    let (_home, env) = picker_env();
    let started = Instant::now();
    let mut app = pty::PtyApp::start_env(
        &["--endpoint-url", endpoint, "--region", moto::REGION],
        120,
        40,
        &env,
    );
    let shown = wait(&app, started, |s| {
        s.contains("Choose a service:") && s.contains(" / svc-")
    });
    let listed = wait(&app, started, |s| {
        s.contains(&format!("Choose a service: {SERVICES} in this account"))
    });
    let rss = scale::peak_rss_mib(app.pid().expect("pid"));
    app.send("\x1b");
    app.wait_exit(HANG);
    (shown, listed, rss)
}

/// Peak RSS of the dashboard of the stack's service after 3 refreshes and after 10 more.
fn dashboard_rss(endpoint: &str) -> (f64, f64) {
    let (_home, env) = picker_env();
    let started = Instant::now();
    let mut app = pty::PtyApp::start_env(
        &[
            "--endpoint-url",
            endpoint,
            "--region",
            moto::REGION,
            "--cluster",
            "umami",
            "--service",
            "umami",
        ],
        160,
        50,
        &env,
    );
    // The cluster's 400 services fill the ECS pane (the stack's own sorts last): its first
    // services and the database say the feeds have answered.
    wait(&app, started, |s| {
        s.contains("svc-0005") && s.contains("umami-db")
    });
    let pid = app.pid().expect("pid");
    let refresh = |app: &mut pty::PtyApp, times: usize| {
        for _ in 0..times {
            app.send("\x12");
            // A refresh of 400 services and 500 tasks against moto takes about a second.
            std::thread::sleep(Duration::from_millis(1500));
        }
    };
    refresh(&mut app, 3);
    let after_3 = scale::peak_rss_mib(pid);
    refresh(&mut app, 10);
    let after_13 = scale::peak_rss_mib(pid);
    app.send("q");
    app.wait_exit(HANG);
    (after_3, after_13)
}

/// Seconds from `started` until the screen satisfies `done`.
fn wait(app: &pty::PtyApp, started: Instant, done: impl Fn(&str) -> bool) -> f64 {
    loop {
        if done(&app.contents()) {
            return started.elapsed().as_secs_f64();
        }
        assert!(
            started.elapsed() < HANG,
            "no such screen within {HANG:?}:\n{}",
            app.contents()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

// The suite bench includes this file as a module, where `main` is not the entry point.
#[allow(dead_code)]
fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("picker: bench");
        return;
    }
    for (name, value, unit, target) in measure() {
        println!("{name}: {value:.1} {unit} (target {target})");
    }
}
