//! Latency of `opsdeck logs --follow --poll` against moto: time from PutLogEvents returning
//! to the line read from the binary's stdout.
//!
//! `cargo bench --bench log_latency` (needs moto_server, as the moto tests do). Target:
//! median at most 1.5 s.

#[path = "../common/moto.rs"]
mod moto;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use moto::{Moto, REGION, binary_env, build_umami};

const SAMPLES: usize = 30;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("log_latency: bench");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let moto = Moto::start();
    let config = runtime.block_on(moto.sdk_config());
    let umami = runtime.block_on(build_umami(&config, "umami", 1));
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let task_id = umami.tasks[0].rsplit('/').next().expect("task id");
    let stream = format!("umami/umami/{task_id}");
    runtime
        .block_on(
            logs.create_log_stream()
                .log_group_name(&umami.log_group)
                .log_stream_name(&stream)
                .send(),
        )
        .expect("create stream");

    let home = tempfile::tempdir().expect("temp home");
    let (mut child, lines) = start_follow(&moto.endpoint, home.path());
    let put = |message: String| {
        runtime
            .block_on(
                logs.put_log_events()
                    .log_group_name(&umami.log_group)
                    .log_stream_name(&stream)
                    .log_events(
                        InputLogEvent::builder()
                            .timestamp(chrono::Utc::now().timestamp_millis())
                            .message(message)
                            .build()
                            .expect("event"),
                    )
                    .send(),
            )
            .expect("put");
        Instant::now()
    };

    // The first line also waits out the binary's start-up and stream discovery.
    put("warm-up".into());
    wait_for(&lines, "warm-up", Duration::from_secs(30));
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        // Spread the puts over the poll cycle so the samples do not lock to its phase.
        std::thread::sleep(Duration::from_millis(300 + (i as u64 * 373) % 1_000));
        let probe = format!("latency-probe-{i}");
        let sent = put(probe.clone());
        let printed = wait_for(&lines, &probe, Duration::from_secs(30));
        samples.push(printed.saturating_duration_since(sent));
    }
    let _ = child.kill();
    let _ = child.wait();
    report(&mut samples);
}

/// The binary following the logs, and its stdout lines with the time each was read.
fn start_follow(endpoint: &str, home: &std::path::Path) -> (Child, Receiver<(String, Instant)>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command
        .args(["--endpoint-url", endpoint, "--region", REGION])
        .args(["--cluster", "umami", "--service", "umami"])
        .args(["logs", "--follow", "--poll", "--since", "1m"])
        .envs(binary_env(home))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for name in moto::SCRUBBED_ENV {
        command.env_remove(name);
    }
    let mut child = command.spawn().expect("start opsdeck");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send((line, Instant::now())).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

fn wait_for(lines: &Receiver<(String, Instant)>, needle: &str, limit: Duration) -> Instant {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok((line, at)) if line.ends_with(needle) => return at,
            Ok(_) => continue,
            Err(_) => panic!("`{needle}` was not printed within {limit:?}"),
        }
    }
}

fn report(samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "PutLogEvents -> printed by `opsdeck logs --follow --poll` ({} samples): \
         median {:.0} ms, p90 {:.0} ms, min {:.0} ms, max {:.0} ms (target: median <= 1500 ms)",
        samples.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
    );
}
