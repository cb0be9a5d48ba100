//! `opsdeck logs` as a user runs it: the real binary against the sandbox, output piped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn opsdeck(args: &[&str]) -> Command {
    let home = std::env::temp_dir().join("opsdeck-logs-cli-home");
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command
        .args(["--sandbox", "logs", "--since", "5m"])
        .args(args)
        // Keep the user's own config and state out of the test.
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("NO_COLOR")
        .env_remove("OPSDECK_LOG");
    command
}

fn run(args: &[&str]) -> (Output, Vec<String>) {
    let output = opsdeck(args).output().expect("run opsdeck");
    let stdout = String::from_utf8(output.stdout.clone()).expect("utf-8 stdout");
    let lines = stdout.lines().map(str::to_string).collect();
    (output, lines)
}

/// `TIMESTAMP TASK/CONTAINER MESSAGE` split into its parts.
fn parts(line: &str) -> (&str, &str, &str, &str) {
    let (timestamp, rest) = line.split_once(' ').expect("a timestamp");
    let (source, message) = rest.split_once(' ').unwrap_or((rest, ""));
    let (task, container) = source.split_once('/').expect("task/container");
    (timestamp, task, container, message)
}

#[test]
fn prints_recent_lines_plain_when_piped() {
    let (output, lines) = run(&[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        lines.len() > 100,
        "five minutes of two tasks' logs: {}",
        lines.len()
    );
    for line in &lines {
        let (timestamp, task, container, _) = parts(line);
        assert!(
            chrono::DateTime::parse_from_rfc3339(timestamp).is_ok() && timestamp.ends_with('Z'),
            "{line}"
        );
        assert!(
            task.len() == 32 && task.bytes().all(|b| b.is_ascii_hexdigit()),
            "{line}"
        );
        assert_eq!(container, "umami");
    }
    assert!(
        !output
            .stdout
            .iter()
            .any(|&b| b == 0x1b || (b < 0x20 && b != b'\n')),
        "no escape sequences or control characters when piped"
    );
    let mut timestamps: Vec<&str> = lines.iter().map(|l| parts(l).0).collect();
    let printed = timestamps.clone();
    timestamps.sort();
    assert_eq!(printed, timestamps, "oldest first");
}

#[test]
fn json_prints_one_object_per_line() {
    let (output, lines) = run(&["--json"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(lines.len() > 100);
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object");
        for field in [
            "timestamp",
            "stream",
            "task",
            "container",
            "message",
            "event_id",
        ] {
            assert!(value[field].is_string(), "{field} in {line}");
        }
        assert_eq!(
            value["stream"],
            format!(
                "ecs/{}/{}",
                value["container"].as_str().unwrap(),
                value["task"].as_str().unwrap()
            )
        );
    }
    assert!(!output.stdout.contains(&0x1b));
}

#[test]
fn filter_and_task_narrow_the_lines() {
    let (_, all) = run(&[]);
    let (output, posts) = run(&["--filter", "POST"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(!posts.is_empty() && posts.len() < all.len());
    assert!(
        posts.iter().all(|l| parts(l).3.contains("POST")),
        "{posts:?}"
    );

    let task = parts(&all[0]).1.to_string();
    let (output, one_task) = run(&["--task", &task]);
    assert_eq!(output.status.code(), Some(0));
    assert!(!one_task.is_empty());
    assert!(one_task.iter().all(|l| parts(l).1 == task));
    assert!(one_task.len() < all.len());
}

#[test]
fn unknown_container_is_a_clear_error() {
    let (output, lines) = run(&["--container", "sidecar"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(lines.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sidecar") && stderr.contains("umami"),
        "{stderr}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    for follow in [false, true] {
        let mut command = opsdeck(if follow { &["--follow"] } else { &[] });
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn opsdeck");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("one line");
        assert!(!first.is_empty());
        // The reader is gone now (`| head -1`).
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "opsdeck logs kept running after the pipe closed"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let output = child.wait_with_output().expect("output");
        assert_eq!(status.code(), Some(0), "follow={follow}");
        assert!(
            output.stderr.is_empty(),
            "follow={follow}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn ctrl_c_ends_a_follow_with_exit_zero() {
    let mut child = opsdeck(&["--follow"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn opsdeck");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("a line");
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    // Keep reading so a full pipe cannot hold the process up.
    let rest = std::thread::spawn(move || reader.lines().count());
    let output = child.wait_with_output().expect("wait");
    rest.join().expect("reader");
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
