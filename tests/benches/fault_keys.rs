//! How fast the dashboard answers a key while AWS misbehaves: the real binary against moto
//! through the fault proxy of the tests (tests/common/faults.rs), a key pressed 20 times
//! under each fault, from the key's write to the pty until the screen shows its answer.
//!
//! `cargo bench --bench fault_keys` (needs moto_server, as the moto tests do). Target: at most
//! 50 ms for every key, under every fault.

#[path = "../common/faults.rs"]
mod faults;
#[path = "../common/moto.rs"]
mod moto;
#[path = "../common/pty.rs"]
mod pty;

use std::time::{Duration, Instant};

use faults::{Fault, FaultProxy};
use moto::{Moto, REGION, binary_env, build_umami};
use pty::PtyApp;

const PRESSES: usize = 20;
const WAIT: Duration = Duration::from_secs(60);

/// The median and the slowest key, in milliseconds, under each fault and with none.
pub fn measure() -> Vec<(String, f64, String, String)> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let moto = Moto::start();
    runtime.block_on(async {
        let config = moto.sdk_config().await;
        build_umami(&config, "umami", 2).await;
    });
    let proxy = FaultProxy::start(&moto.endpoint);
    let home = tempfile::tempdir().expect("temp home");
    let dir = home.path().join("config/opsdeck");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(
        dir.join("config.toml"),
        "call_timeout = 3\n[refresh]\necs = 0.5\ntargets = 0.5\nrds = 1\nlogs = 0.5\n",
    )
    .expect("config");
    let mut app = PtyApp::start_env(
        &[
            "--endpoint-url",
            &proxy.endpoint,
            "--region",
            REGION,
            "--cluster",
            "umami",
            "--service",
            "umami",
        ],
        140,
        44,
        &binary_env(home.path()),
    );
    app.wait_for("the dashboard", WAIT, |s| {
        s.contains("ALB umami") && s.contains("umami-db")
    });
    let mut rows = Vec::new();
    let cases = std::iter::once(("none", Fault::None)).chain(Fault::ALL);
    for (name, fault) in cases {
        proxy.set(fault);
        if fault != Fault::None {
            proxy.wait_faulted(3, WAIT);
        }
        let mut times: Vec<f64> = (0..PRESSES)
            .flat_map(|_| {
                let open = press(&mut app, "?", |s| s.contains(" Keys: "));
                let close = press(&mut app, "?", |s| !s.contains(" Keys: "));
                [open, close]
            })
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect();
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let slowest = times[times.len() - 1];
        rows.push((
            format!("key under fault: {name} (median)"),
            median,
            "ms".into(),
            "≤ 50".into(),
        ));
        rows.push((
            format!("key under fault: {name} (slowest of {})", times.len()),
            slowest,
            "ms".into(),
            "≤ 50".into(),
        ));
    }
    proxy.set(Fault::None);
    app.send("q");
    app.wait_exit(WAIT);
    rows
}

/// From the key's write to the screen showing its answer, polled every 0.5 ms.
fn press(app: &mut PtyApp, key: &str, answered: impl Fn(&str) -> bool) -> Duration {
    let sent = Instant::now();
    app.send(key);
    while !answered(&app.contents()) {
        assert!(sent.elapsed() < WAIT, "{key:?} not answered");
        std::thread::sleep(Duration::from_micros(500));
    }
    sent.elapsed()
}

#[allow(dead_code)]
fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("fault_keys: bench");
        return;
    }
    for (name, value, unit, target) in measure() {
        println!("{name:<44} {value:>8.1} {unit:<3} (target {target})");
    }
}
