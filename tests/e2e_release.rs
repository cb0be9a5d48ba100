//! End-to-end releases from the keyboard: the real binary in a pseudo-terminal, on a sandbox
//! sped up so a rollout takes seconds, driven by key presses from the picker to the verdict.

mod common;

use std::time::Duration;

use common::pty::PtyApp;

/// A sandbox rollout is a few virtual minutes: at `--speed 60` a few seconds of real time.
const WAIT: Duration = Duration::from_secs(60);

/// The services row of the ECS pane names the running revision (`umami:9`).
fn service_row(screen: &str) -> Option<&str> {
    screen
        .lines()
        .find(|l| l.contains("umami") && l.contains("ACTIVE") && l.contains("umami:"))
}

#[test]
fn a_rollback_from_the_picker_to_the_verdict_leaves_the_dashboard_on_the_old_revision() {
    let mut app = PtyApp::start(&["--sandbox", "--speed", "60"], 120, 40);
    // The healthy scenario ships v2.13.1 (revision 9) by itself at +30 s; wait for it to
    // finish, so the rollback is the only deployment.
    app.wait_for("revision 9 rolled out", WAIT, |s| {
        service_row(s).is_some_and(|row| row.contains("umami:9"))
            && !s.contains("IN_PROGRESS")
            && s.contains("2/2 healthy")
    });

    app.send("2");
    app.send("u");
    app.wait_for("the picker with the difference", WAIT, |s| {
        s.contains("Roll back umami")
            && s.contains("running → umami:8")
            && s.contains("image umami")
    });
    let picker = app.contents();
    assert!(
        picker.lines().any(|l| l.contains("● umami:9")),
        "the running revision is marked:\n{picker}"
    );
    assert!(
        picker.contains("INACTIVE"),
        "inactive revisions are listed:\n{picker}"
    );

    app.send("\r");
    app.wait_for("the confirmation", WAIT, |s| {
        s.contains("Roll umami back to revision 8?")
    });
    app.send("y");
    app.wait_for("the live view", WAIT, |s| {
        s.contains("Rollback umami:8") && s.contains("DEPLOYMENTS")
    });
    app.wait_for("the verdict", WAIT, |s| s.contains("SUCCEEDED"));

    // Esc closes the view: the dashboard behind it is on the old revision.
    app.send("\x1b");
    app.wait_for("the dashboard on revision 8", WAIT, |s| {
        !s.contains("DEPLOYMENTS") && service_row(s).is_some_and(|row| row.contains("umami:8"))
    });

    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
    let audit = std::fs::read_to_string(app.home().join(".state/opsdeck/audit.jsonl"))
        .expect("the rollback is in the audit log");
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert!(
        lines.iter().any(|l| l["action"] == "rollback"
            && l["result"]
                .as_str()
                .is_some_and(|r| r.contains("succeeded"))),
        "{audit}"
    );
}

#[test]
fn read_only_refuses_a_deploy_from_the_keyboard_and_records_the_refusal() {
    let mut app = PtyApp::start(&["--sandbox", "--speed", "60", "--read-only"], 120, 40);
    app.wait_for("the dashboard", WAIT, |s| {
        s.contains("READ-ONLY") && s.contains("2/2 healthy")
    });
    app.send("2");
    app.send("d");
    app.wait_for("the tags", WAIT, |s| {
        s.contains("Deploy umami") && s.contains("v2.14.0")
    });
    app.send("/");
    app.send("v2.14.0");
    app.send("\r");
    app.send("\r");
    app.wait_for("the summary", WAIT, |s| s.contains("@sha256:"));
    app.send("\r");
    app.wait_for("the confirmation", WAIT, |s| s.contains("Deploy to umami?"));
    app.send("y");
    app.wait_for("the refusal", WAIT, |s| {
        s.contains("could not run") && s.contains("read-only: ecs:RegisterTaskDefinition")
    });
    // Esc and a key right behind it read as Alt-key: wait for the view to close first.
    app.send("\x1b");
    app.wait_for("the view closed", WAIT, |s| !s.contains("could not run"));
    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
    let audit = std::fs::read_to_string(app.home().join(".state/opsdeck/audit.jsonl"))
        .expect("the refusal is in the audit log");
    assert!(audit.contains("refused"), "{audit}");
}
