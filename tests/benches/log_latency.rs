//! Latency of `opsdeck logs --follow --poll` against moto: time from PutLogEvents returning
//! to the line read from the binary's stdout; beside it, in the same run and for the same
//! lines, `awslogs get GROUP ALL --watch` (awslogs 0.15.0, which polls FilterLogEvents every
//! second), when it is installed.
//!
//! `cargo bench --bench log_latency` (needs moto_server, as the moto tests do). Target:
//! median at most 1.5 s. awslogs is found through `OPSDECK_AWSLOGS`, else
//! `.venv-awslogs/bin/awslogs`, else `.venv/bin/awslogs`; install it in a venv of its own,
//! so its boto3 cannot disturb moto's:
//! `python3 -m venv .venv-awslogs && .venv-awslogs/bin/pip install awslogs==0.15.0`.

#[path = "../common/moto.rs"]
mod moto;
#[path = "table.rs"]
mod table;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use moto::{Moto, REGION, binary_env, build_umami};

use crate::table::Row;

const SAMPLES: usize = 30;
const INSTALL: &str =
    "python3 -m venv .venv-awslogs && .venv-awslogs/bin/pip install awslogs==0.15.0";

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("log_latency: bench");
        return;
    }
    crate::table::print(&measure());
}

/// A program following the log group: its name, the process, its stdout lines with the time
/// each was read.
struct Follower {
    name: &'static str,
    target: &'static str,
    child: Child,
    lines: Receiver<(String, Instant)>,
    samples: Vec<Duration>,
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn measure() -> Vec<Row> {
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
    let mut followers = vec![start_opsdeck(&moto.endpoint, home.path())];
    let awslogs = find_awslogs();
    if let Some(program) = &awslogs {
        followers.push(start_awslogs(
            program,
            &moto.endpoint,
            &umami.log_group,
            home.path(),
        ));
    }
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

    // The first line also waits out each program's start-up and stream discovery; a line
    // that reaches awslogs proves it reads this moto (the line exists nowhere else).
    put("warm-up".into());
    for follower in &followers {
        wait_for(follower, "warm-up", Duration::from_secs(30));
    }
    for i in 0..SAMPLES {
        // Spread the puts over the poll cycle so the samples do not lock to its phase.
        std::thread::sleep(Duration::from_millis(300 + (i as u64 * 373) % 1_000));
        let probe = format!("latency-probe-{i}");
        let sent = put(probe.clone());
        for follower in &mut followers {
            let printed = wait_for(follower, &probe, Duration::from_secs(30));
            follower
                .samples
                .push(printed.saturating_duration_since(sent));
        }
    }
    let mut rows: Vec<Row> = followers
        .iter_mut()
        .map(|follower| row(follower.name, &mut follower.samples, follower.target))
        .collect();
    if awslogs.is_none() {
        rows.push(
            Row::missing(
                "put-to-print, `awslogs get GROUP ALL --watch`",
                "not installed",
                "ms",
                "",
            )
            .note(format!(
                "install it with `{INSTALL}`, or point OPSDECK_AWSLOGS at it"
            )),
        );
    }
    rows
}

/// The binary following the logs.
fn start_opsdeck(endpoint: &str, home: &std::path::Path) -> Follower {
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command
        .args(["--endpoint-url", endpoint, "--region", REGION])
        .args(["--cluster", "umami", "--service", "umami"])
        .args(["logs", "--follow", "--poll", "--since", "1m"])
        .envs(binary_env(home));
    follow(
        "put-to-print, `opsdeck logs --follow --poll`",
        "<= 1500",
        command,
    )
}

/// awslogs following every stream of the group. Its `--aws-endpoint-url` sends it to moto.
fn start_awslogs(
    program: &PathBuf,
    endpoint: &str,
    group: &str,
    home: &std::path::Path,
) -> Follower {
    let mut command = Command::new(program);
    command
        .args(["get", group, "ALL", "--watch", "--start", "1m"])
        .args(["--aws-endpoint-url", endpoint, "--aws-region", REGION])
        .envs(binary_env(home))
        // Python buffers a pipe's output; awslogs flushes after each line anyway.
        .env("PYTHONUNBUFFERED", "1");
    follow("put-to-print, `awslogs get GROUP ALL --watch`", "", command)
}

fn follow(name: &'static str, target: &'static str, mut command: Command) -> Follower {
    command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    for variable in moto::SCRUBBED_ENV {
        command.env_remove(variable);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send((line, Instant::now())).is_err() {
                return;
            }
        }
    });
    Follower {
        name,
        target,
        child,
        lines,
        samples: Vec::with_capacity(SAMPLES),
    }
}

/// awslogs from `OPSDECK_AWSLOGS`, else the repository's `.venv-awslogs` or `.venv`.
fn find_awslogs() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OPSDECK_AWSLOGS").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [".venv-awslogs/bin/awslogs", ".venv/bin/awslogs"]
        .into_iter()
        .map(|path| root.join(path))
        .find(|path| path.is_file())
}

fn wait_for(follower: &Follower, needle: &str, limit: Duration) -> Instant {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match follower.lines.recv_timeout(left) {
            Ok((line, at)) if line.ends_with(needle) => return at,
            Ok(_) => continue,
            Err(_) => panic!(
                "`{needle}` was not printed by {} within {limit:?}",
                follower.name
            ),
        }
    }
}

fn row(name: &str, samples: &mut [Duration], target: &str) -> Row {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Row::new(name, ms(at(0.5)), "ms", target).note(format!(
        "median of {} PutLogEvents against moto; p90 {:.0} ms, min {:.0} ms, max {:.0} ms",
        samples.len(),
        ms(at(0.9)),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    ))
}
