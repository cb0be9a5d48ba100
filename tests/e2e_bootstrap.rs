//! End-to-end bootstrap from the keyboard: the real binary in a pseudo-terminal on an empty
//! sandbox account sped up so a whole stack takes seconds, from "no stack here" through the
//! wizard, the plan and the progress view to the dashboard of the new stack.

mod common;

use std::time::Duration;

use common::pty::PtyApp;

/// The slowest resources (RDS, NAT) take minutes of virtual time: at `--speed 400` seconds.
const WAIT: Duration = Duration::from_secs(90);

/// The ECS pane's row of the service `umami` (`umami ACTIVE 2/2/0 umami:1`) with tasks
/// running.
fn runs_umami(row: &str) -> bool {
    row.contains("umami")
        && row.contains("ACTIVE")
        && row.split_whitespace().any(|cell| {
            let counts: Vec<&str> = cell.split('/').collect();
            counts.len() == 3
                && counts.iter().all(|c| c.parse::<u32>().is_ok())
                && counts[1].parse::<u32>().is_ok_and(|running| running > 0)
        })
}

#[test]
fn bootstrapping_an_empty_account_opens_the_dashboard_on_the_new_stack_and_remembers_it() {
    let home = tempfile::tempdir().expect("temp HOME");
    let config = home.path().join("opsdeck.toml");
    std::fs::write(&config, "# written by the bootstrap\n").expect("config file");
    let config_arg = config.display().to_string();
    let mut app = PtyApp::start_in(
        &[
            "--scenario",
            "empty",
            "--speed",
            "400",
            "--config",
            &config_arg,
        ],
        120,
        40,
        home,
    );
    app.wait_for_text("no stack here: press b", WAIT);

    app.send("b");
    app.wait_for_text("Bootstrap a stack", WAIT);
    // The name: Enter edits it, Enter keeps it.
    app.send("\r");
    app.send("umami\r");
    app.wait_for("the name taken", WAIT, |s| {
        s.contains("stack name              umami")
    });
    // Tab to the service's questions; the image is the first.
    app.send("\t");
    app.wait_for_text("VPC CIDR block", WAIT);
    app.send("\t");
    app.wait_for_text("container port", WAIT);
    app.send("\r");
    app.send("umami\r");
    app.wait_for("the image taken", WAIT, |s| {
        s.contains("image                   umami")
    });

    // Every other answer at its default: the plan.
    app.send("p");
    app.wait_for("the plan", WAIT, |s| {
        s.contains("Stack umami in eu-west-2") && s.contains("AWS::EC2::VPC")
    });
    app.send("y");
    app.wait_for_text("Bootstrap umami", WAIT);
    app.wait_for("the end of the bootstrap", WAIT, |s| {
        s.contains("SUCCEEDED") || s.contains("FAILED")
    });
    let end = app.contents();
    assert!(end.contains("SUCCEEDED"), "{end}");
    assert!(end.contains("remembered as [stacks.umami]"), "{end}");

    let written = std::fs::read_to_string(&config).expect("config file");
    assert!(written.contains("[stacks.umami]"), "{written}");
    assert!(written.contains("# written by the bootstrap"), "{written}");

    // Esc closes the view onto the dashboard of the new stack.
    app.send("\x1b");
    app.wait_for("the view closed", WAIT, |s| !s.contains("SUCCEEDED"));
    app.wait_for("the new stack's service with running tasks", WAIT, |s| {
        !s.contains("no stack here") && s.lines().any(runs_umami)
    });

    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
}
