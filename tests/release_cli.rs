//! The release subcommands as a CI pipeline runs them: the real binary against the sandbox,
//! stdin not a terminal, output piped. Asserts exit codes, the JSON printed and the audit.
//!
//! Most runs use the log-burst scenario: the same stack with no deployment of its own, so
//! ours is not replaced by the healthy scenario's routine one at +30 s.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::pty::PtyApp;

struct Run {
    output: Output,
    stdout: String,
    stderr: String,
    state: tempfile::TempDir,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn audit_path(&self) -> PathBuf {
        self.state.path().join("state/opsdeck/audit.jsonl")
    }

    fn audit(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.audit_path())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("audit lines are JSON"))
            .collect()
    }

    fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

fn opsdeck_in(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("OPSDECK_LOG")
        .stdin(Stdio::null());
    command
}

fn run(args: &[&str]) -> Run {
    let state = tempfile::tempdir().unwrap();
    let output = opsdeck_in(state.path(), args)
        .output()
        .expect("run opsdeck");
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        output,
        state,
    }
}

/// A sandbox stack with no deployment of its own, at 200x.
fn sandbox(args: &[&str]) -> Run {
    let mut all = vec!["--scenario", "log-burst", "--speed", "200"];
    all.extend_from_slice(args);
    run(&all)
}

fn explain(run: &Run) -> String {
    format!("stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr)
}

#[test]
fn deploy_wait_yes_succeeds() {
    let run = sandbox(&["deploy", "--image", "v2.14.0", "--wait", "--yes"]);
    assert_eq!(run.code(), Some(0), "{}", explain(&run));
    assert!(run.stdout.contains("deploy succeeded"), "{}", explain(&run));
}

#[test]
fn deploy_of_a_tag_already_in_the_repository_succeeds_with_ci_lines_and_an_audit_line() {
    let run = sandbox(&["deploy", "--image", "v2.13.1", "--wait", "--yes"]);
    assert_eq!(run.code(), Some(0), "{}", explain(&run));
    assert!(
        run.stdout
            .contains("new image  123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami@sha256:"),
        "{}",
        explain(&run)
    );
    let progress: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains(" deployment ecs-svc/"))
        .collect();
    assert!(!progress.is_empty(), "{}", explain(&run));
    for line in &progress {
        let (time, _) = line.split_once(' ').unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'),
            "{line}"
        );
    }
    let mut unique = progress.clone();
    unique.dedup_by(|a, b| a.split_once(' ').map(|x| x.1) == b.split_once(' ').map(|x| x.1));
    assert_eq!(
        unique.len(),
        progress.len(),
        "a line only when something changed"
    );
    let audit = run.audit();
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0]["action"], "deploy");
    assert_eq!(audit[0]["result"], "succeeded");
}

#[test]
fn snapshot_first_waits_for_an_available_snapshot_before_anything_is_registered() {
    let run = sandbox(&[
        "deploy",
        "--image",
        "v2.14.0",
        "--snapshot",
        "--wait",
        "--yes",
    ]);
    assert_eq!(run.code(), Some(0), "{}", explain(&run));
    let position = |text: &str| {
        run.stdout
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} missing:\n{}", explain(&run)))
    };
    let started = position("of umami-db started");
    let available = position("is available");
    let registered = position("registered umami:");
    assert!(
        started < available && available < registered,
        "{}",
        explain(&run)
    );
    let audit = run.audit();
    assert!(
        audit.iter().any(|l| l["action"] == "snapshot"),
        "the snapshot is audited: {audit:#?}"
    );
}

#[test]
fn a_crash_loop_exits_3() {
    let run = sandbox(&["deploy", "--image", "v2.14.1-crash", "--wait", "--yes"]);
    assert_eq!(run.code(), Some(3), "{}", explain(&run));
}

#[test]
fn a_crash_loop_with_rollback_on_failure_exits_4() {
    let run = sandbox(&[
        "deploy",
        "--image",
        "v2.14.1-crash",
        "--wait",
        "--yes",
        "--rollback-on-failure",
    ]);
    assert_eq!(run.code(), Some(4), "{}", explain(&run));
}

#[test]
fn a_short_timeout_exits_5() {
    let run = sandbox(&[
        "deploy",
        "--image",
        "v2.13.1",
        "--wait",
        "--yes",
        "--timeout",
        "5s",
    ]);
    assert_eq!(run.code(), Some(5), "{}", explain(&run));
}

/// The healthy scenario's own routine deploy lands at +30 s virtual, after ours.
#[test]
fn a_deploy_replaced_by_another_exits_6() {
    let run = run(&[
        "--sandbox",
        "--speed",
        "20",
        "deploy",
        "--image",
        "v2.12.0",
        "--wait",
        "--yes",
    ]);
    assert_eq!(run.code(), Some(6), "{}", explain(&run));
    assert!(run.stdout.contains("replaced"), "{}", explain(&run));
}

#[test]
fn without_a_terminal_yes_is_required_and_nothing_changes() {
    let run = sandbox(&["deploy", "--image", "v2.13.1", "--wait"]);
    assert_eq!(run.code(), Some(2), "{}", explain(&run));
    assert!(run.stderr.contains("--yes"), "{}", explain(&run));
    assert!(!run.stdout.contains("registered"), "{}", explain(&run));
    assert!(
        run.audit().is_empty(),
        "nothing was done: {:#?}",
        run.audit()
    );
}

#[test]
fn json_lines_parse_and_end_with_the_verdict() {
    let run = sandbox(&["deploy", "--image", "v2.13.1", "--wait", "--yes", "--json"]);
    assert_eq!(run.code(), Some(0), "{}", explain(&run));
    let lines = run.json_lines();
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert!(events.contains(&"started"), "{events:?}");
    assert!(events.contains(&"poll"), "{events:?}");
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "outcome");
    assert_eq!(last["verdict"]["verdict"], "succeeded");
    assert_eq!(last["exit_code"], 0);
    assert!(
        last["task_definition"]
            .as_str()
            .unwrap()
            .contains("task-definition/umami:")
    );
}

#[test]
fn images_json_is_an_array_with_the_running_one_marked() {
    let run = sandbox(&["images", "--json"]);
    assert_eq!(run.code(), Some(0), "{}", explain(&run));
    let images: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let images = images.as_array().expect("an array");
    assert!(!images.is_empty());
    assert_eq!(images.iter().filter(|i| i["running"] == true).count(), 1);
    for image in images {
        assert!(
            image["image"]["digest"]
                .as_str()
                .unwrap()
                .starts_with("sha256:")
        );
        assert!(image["image"]["tags"].is_array());
    }
    let table = sandbox(&["images"]);
    assert!(
        table.stdout.lines().any(|l| l.starts_with("* ")),
        "{}",
        table.stdout
    );
}

#[test]
fn revisions_json_is_an_array_newest_first() {
    let run = sandbox(&["revisions", "--json"]);
    assert_eq!(run.code(), Some(0), "{}", explain(&run));
    let revisions: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let revisions = revisions.as_array().expect("an array");
    let numbers: Vec<u64> = revisions
        .iter()
        .map(|r| r["revision"].as_u64().unwrap())
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] > w[1]), "{numbers:?}");
    assert!(revisions.iter().any(|r| r["running"] == true));
    assert!(revisions.iter().any(|r| r["status"] == "INACTIVE"));
}

#[test]
fn read_only_refuses_the_deploy_and_audits_it() {
    let run = sandbox(&[
        "--read-only",
        "deploy",
        "--image",
        "v2.13.1",
        "--wait",
        "--yes",
    ]);
    assert_eq!(run.code(), Some(2), "{}", explain(&run));
    assert!(run.stderr.contains("read-only"), "{}", explain(&run));
    let audit = run.audit();
    assert_eq!(audit.len(), 1, "{audit:#?}");
    assert_eq!(audit[0]["action"], "deploy");
    assert!(
        audit[0]["result"]
            .as_str()
            .unwrap()
            .starts_with("refused: read-only"),
        "{}",
        audit[0]
    );
}

#[test]
fn an_unknown_tag_exits_2_naming_the_tags() {
    let run = sandbox(&["deploy", "--image", "v0.0.1", "--yes"]);
    assert_eq!(run.code(), Some(2), "{}", explain(&run));
    assert!(run.stderr.contains("repository umami"), "{}", explain(&run));
    assert!(
        run.audit()[0]["result"]
            .as_str()
            .unwrap()
            .starts_with("refused: ")
    );
}

#[test]
fn a_bad_timeout_exits_2_naming_the_flag() {
    let run = sandbox(&[
        "deploy",
        "--image",
        "v2.13.1",
        "--wait",
        "--yes",
        "--timeout",
        "soon",
    ]);
    assert_eq!(run.code(), Some(2), "{}", explain(&run));
    assert!(
        run.stderr.contains("--timeout") && run.stderr.contains("15m"),
        "{}",
        explain(&run)
    );
}

#[test]
fn without_wait_deploy_returns_once_ecs_accepted_it() {
    let run = sandbox(&["deploy", "--image", "v2.13.1", "--yes"]);
    assert_eq!(run.code(), Some(0), "{}", explain(&run));
    assert!(run.stdout.contains("opsdeck status"), "{}", explain(&run));
    assert_eq!(run.audit()[0]["result"], "started");
}

#[test]
fn scale_and_rollback_plans_are_printed() {
    let run = sandbox(&["scale", "0", "--yes"]);
    assert_eq!(run.code(), Some(0), "{}", explain(&run));
    assert!(run.stdout.contains("2 -> 0"), "{}", explain(&run));
    assert!(run.stdout.contains("warning"), "{}", explain(&run));
    let run = sandbox(&["rollback", "--to", "7", "--yes"]);
    assert_eq!(run.code(), Some(0), "{}", explain(&run));
    assert!(
        run.stdout.contains("image umami"),
        "the changes table: {}",
        explain(&run)
    );
    let run = sandbox(&["rollback", "--to", "2", "--yes"]);
    assert_eq!(run.code(), Some(2), "{}", explain(&run));
    assert!(run.stderr.contains("INACTIVE"), "{}", explain(&run));
}

#[test]
fn completions_cover_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let run = run(&["completions", shell]);
        assert_eq!(run.code(), Some(0), "{}", explain(&run));
        for command in [
            "deploy",
            "rollback",
            "scale",
            "restart",
            "stop-task",
            "images",
            "revisions",
            "status",
            "logs",
        ] {
            assert!(run.stdout.contains(command), "{shell} lacks {command}");
        }
    }
}

#[test]
fn on_a_terminal_deploy_asks_and_no_changes_nothing() {
    let mut app = PtyApp::start(
        &["--scenario", "log-burst", "deploy", "--image", "v2.13.1"],
        120,
        30,
    );
    app.wait_for_text(
        "Deploy umami:v2.13.1 to umami/umami? [y/N]",
        Duration::from_secs(20),
    );
    app.send("n\r");
    assert_eq!(app.wait_exit(Duration::from_secs(20)), 2);
    assert!(
        app.contents().contains("not confirmed"),
        "{}",
        app.contents()
    );
    assert!(!app.home().join(".state/opsdeck/audit.jsonl").exists());
}

#[test]
fn a_production_stack_asks_for_the_service_name() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[stacks.umami]\nservice = \"umami\"\nproduction = true\n",
    )
    .unwrap();
    let config = config.to_str().unwrap().to_string();
    let mut app = PtyApp::start_in(
        &[
            "--scenario",
            "log-burst",
            "--config",
            &config,
            "--stack",
            "umami",
            "scale",
            "3",
        ],
        120,
        30,
        home,
    );
    app.wait_for_text("type the service name (umami)", Duration::from_secs(20));
    app.send("y\r");
    assert_eq!(
        app.wait_exit(Duration::from_secs(20)),
        2,
        "y is not the name"
    );

    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[stacks.umami]\nservice = \"umami\"\nproduction = true\n",
    )
    .unwrap();
    let config = config.to_str().unwrap().to_string();
    let mut app = PtyApp::start_in(
        &[
            "--scenario",
            "log-burst",
            "--config",
            &config,
            "--stack",
            "umami",
            "scale",
            "3",
        ],
        120,
        30,
        home,
    );
    app.wait_for_text("type the service name (umami)", Duration::from_secs(20));
    app.send("umami\r");
    assert_eq!(
        app.wait_exit(Duration::from_secs(20)),
        0,
        "{}",
        app.contents()
    );
    app.wait_for_text(
        "scaled umami/umami from 2 to 3 tasks",
        Duration::from_secs(5),
    );
    let audit = std::fs::read_to_string(app.home().join(".state/opsdeck/audit.jsonl")).unwrap();
    assert!(audit.contains("\"action\":\"scale\""), "{audit}");
}
