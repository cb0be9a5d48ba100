//! End-to-end: the real binary in a pseudo-terminal, driven by key presses.

mod common;

use std::time::Duration;

use common::pty::PtyApp;

const WAIT: Duration = Duration::from_secs(20);

fn count(screen: &str, text: &str) -> usize {
    screen.matches(text).count()
}

#[test]
fn sandbox_dashboard_opens_navigates_and_quits_cleanly() {
    let mut app = PtyApp::start(&["--sandbox", "--seed", "7"], 120, 40);

    // The dashboard: five panes with their data, and the status bar.
    app.wait_for("the five panes with data", WAIT, |s| {
        [
            "[1] Network",
            "[2] ECS",
            "[3] Targets",
            "[4] RDS",
            "[5] Logs",
        ]
        .iter()
        .all(|t| s.contains(t))
            && s.contains("umami-db")
            && s.contains("RUNNING")
            // Target health loaded ("sandbox:healthy" in the status bar would match "healthy").
            && s.contains("2/2 healthy")
            && s.contains("123456789012")
    });
    let screen = app.contents();
    assert!(
        screen.contains("sandbox:healthy"),
        "status bar names the backend:\n{screen}"
    );
    assert!(
        screen.contains("123456789012"),
        "status bar names the account:\n{screen}"
    );

    // Focus the targets pane by number and zoom it: only that pane is left on screen.
    app.send("3");
    app.send("z");
    app.wait_for("targets zoomed", WAIT, |s| {
        s.contains("[3] Targets") && !s.contains("[1] Network") && !s.contains("[5] Logs")
    });
    assert!(app.contents().contains("/api/heartbeat"));

    // Esc unzooms; Tab moves focus on to RDS; zoom shows RDS alone.
    app.send("\x1b");
    app.wait_for("unzoomed", WAIT, |s| s.contains("[1] Network"));
    app.send("\t");
    app.send("z");
    app.wait_for("rds zoomed", WAIT, |s| {
        s.contains("[4] RDS") && !s.contains("[3] Targets")
    });
    app.send("z");

    // Help lists the keys of the focused layer and the global ones, from the keymap.
    app.send("?");
    app.wait_for("help popup", WAIT, |s| {
        s.contains("Keys:") && s.contains("Zoom the focused pane")
    });
    let help = app.contents();
    assert!(
        help.to_lowercase().contains("quit"),
        "help shows quit:\n{help}"
    );
    app.send("\x1b");
    app.wait_for("help closed", WAIT, |s| !s.contains("Keys:"));

    // q quits with status 0 and leaves the terminal as it found it.
    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
    let raw = app.raw();
    let text = String::from_utf8_lossy(&raw);
    let left = text
        .rfind("\x1b[?1049l")
        .expect("left the alternate screen");
    assert!(
        left > text.rfind("[1] Network").unwrap_or(0),
        "restored after the last frame"
    );
    assert!(
        text.contains("\x1b[?1000l") || text.contains("\x1b[?1006l"),
        "mouse capture off"
    );
}

#[test]
fn exporting_the_filtered_logs_writes_the_lines_shown_to_a_file() {
    let mut app = PtyApp::start(&["--sandbox", "--seed", "7"], 120, 40);
    app.wait_for("logs loaded", WAIT, |s| {
        s.contains("[5] Logs") && s.contains("GET /")
    });
    // Focus the logs, filter them, then export: the file holds exactly the matching lines.
    app.send("5");
    app.send("/heartbeat\r");
    app.wait_for("the filter applied", WAIT, |s| {
        s.lines()
            .any(|l| l.contains("[5] Logs") && l.contains("/heartbeat "))
    });
    let title = app.contents();
    let matching: usize = title
        .lines()
        .find(|l| l.contains("[5] Logs"))
        .and_then(|l| l.split_whitespace().find(|w| w.contains('/')))
        .and_then(|counts| counts.split('/').next())
        .and_then(|n| n.parse().ok())
        .expect("a match count in the title");
    app.send("e");
    app.wait_for("the export reported", WAIT, |s| s.contains("exported"));
    let status = app.contents();
    let line = status
        .lines()
        .find(|l| l.contains("exported"))
        .unwrap_or_default()
        .to_string();
    let files: Vec<_> = std::fs::read_dir(app.home())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("opsdeck-logs-umami-") && n.ends_with(".log"))
        })
        .collect();
    assert_eq!(
        files.len(),
        1,
        "one export in the working directory: {files:?}"
    );
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        line.contains(&format!("exported {} log lines", lines.len())),
        "{line}"
    );
    // New lines may have matched between reading the title and pressing the key.
    assert!(
        lines.len() >= matching && matching > 0,
        "{matching} vs {}",
        lines.len()
    );
    assert!(
        lines.iter().all(|l| l.to_lowercase().contains("heartbeat")),
        "only the filtered lines:\n{text}"
    );
    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
}

#[test]
fn sandbox_is_alive_without_key_presses() {
    // Speed 20: the routine deployment starts and rolls within seconds of real time.
    let app = PtyApp::start(&["--sandbox", "--speed", "20"], 120, 40);
    app.wait_for_text("[2] ECS", WAIT);
    app.wait_for("a new task starting", Duration::from_secs(40), |s| {
        s.contains("PROVISIONING") || s.contains("PENDING") || s.contains("ACTIVATING")
    });
    app.wait_for("the rollout completing", Duration::from_secs(60), |s| {
        s.contains("COMPLETED") && !s.contains("IN_PROGRESS")
    });
}

#[test]
fn too_small_terminal_shows_a_notice_and_recovers_on_resize() {
    let mut app = PtyApp::start(&["--sandbox"], 40, 10);
    app.wait_for("too-small notice", WAIT, |s| {
        s.to_lowercase().contains("too small")
    });
    app.resize(80, 24);
    app.wait_for("dashboard after resize", WAIT, |s| {
        s.contains("[1] Network") && count(s, "[") >= 5
    });
    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
}

#[test]
fn a_bad_keymap_stops_start_up_with_file_and_line_and_leaves_the_terminal_alone() {
    let dir = tempfile::tempdir().unwrap();
    let keymap = dir.path().join("keymap.toml");
    std::fs::write(
        &keymap,
        "[ecs]\nprepend_keymap = [\n  { on = \"x\", run = \"quit\", desc = \"ok\" },\n  { on = \"r\", run = \"rollbak\", desc = \"typo\" },\n]\n",
    )
    .unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--sandbox", "--keymap"])
        .arg(&keymap)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:4:", keymap.display())),
        "names file and line: {stderr}"
    );
    assert!(stderr.contains("rollbak"), "names the action: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing drawn: {:?}",
        output.stdout
    );
}

#[test]
fn without_credentials_the_error_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .env("HOME", dir.path())
        .env("AWS_REGION", "eu-west-2")
        // No instance-metadata lookup: tests talk only to loopback.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no AWS credentials"), "{stderr}");
    assert!(stderr.contains("--sandbox"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(output.stdout.is_empty(), "the terminal was left alone");
}
