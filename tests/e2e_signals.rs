//! Exits: SIGTERM, SIGHUP and SIGINT stop the real binary cleanly in the dashboard and in
//! every wizard and dialog, with the terminal back in cooked mode, off the alternate screen
//! and with mouse capture off; a panic does the same and says where its report was written.

mod common;

use std::time::Duration;

use common::pty::PtyApp;
use nix::sys::signal::Signal;

const WAIT: Duration = Duration::from_secs(30);

/// A screen to be on when the signal comes: how to get there, and what it shows.
struct Screen {
    name: &'static str,
    args: &'static [&'static str],
    /// What the dashboard shows once the data the keys need has loaded.
    ready: &'static str,
    keys: &'static [&'static str],
    shows: &'static str,
}

const SCREENS: [Screen; 6] = [
    Screen {
        name: "dashboard",
        args: &["--sandbox"],
        ready: "[6] Site",
        keys: &[],
        shows: "[5] Logs",
    },
    Screen {
        name: "deploy wizard",
        args: &["--sandbox"],
        ready: "[6] Site",
        keys: &["2", "d"],
        shows: "v2.14.0",
    },
    Screen {
        name: "rollback picker",
        args: &["--sandbox"],
        ready: "[6] Site",
        keys: &["2", "u"],
        shows: "Roll back umami",
    },
    Screen {
        name: "scale confirmation",
        args: &["--sandbox"],
        ready: "[6] Site",
        keys: &["2", "s", "\r"],
        shows: "Scale umami?",
    },
    Screen {
        name: "site deploy prompt",
        args: &["--sandbox"],
        ready: "[6] Site",
        keys: &["6", "d"],
        shows: "Site deploy: build directory",
    },
    Screen {
        name: "bootstrap wizard",
        args: &["--sandbox", "--scenario", "empty"],
        ready: "no stack here",
        keys: &["b"],
        shows: "Bootstrap a stack",
    },
];

/// What a clean exit leaves: the terminal as the shell had it.
fn assert_restored(app: &PtyApp, what: &str) {
    assert!(
        app.terminal_is_cooked(),
        "{what}: the terminal is still in raw mode"
    );
    let raw = app.raw();
    let text = String::from_utf8_lossy(&raw);
    let left = text.rfind("\x1b[?1049l");
    let last_frame = text.rfind("\x1b[?1049h").unwrap_or(0);
    assert!(
        left.is_some_and(|left| left > last_frame),
        "{what}: the alternate screen was not left"
    );
    assert!(
        text.contains("\x1b[?1000l") || text.contains("\x1b[?1006l"),
        "{what}: mouse capture is still on"
    );
    assert!(text.contains("\x1b[?25h"), "{what}: the cursor is hidden");
}

#[test]
fn every_stop_signal_restores_the_terminal_on_every_screen() {
    let signals = [
        (Signal::SIGTERM, 143),
        (Signal::SIGHUP, 129),
        (Signal::SIGINT, 130),
    ];
    for screen in &SCREENS {
        for (signal, code) in signals {
            let what = format!("{signal} on the {}", screen.name);
            let mut app = PtyApp::start(screen.args, 120, 40);
            app.wait_for(&format!("{what}: started"), WAIT, |s| {
                s.contains(screen.ready)
            });
            for keys in screen.keys {
                app.send(keys);
            }
            app.wait_for(&format!("{what}: {}", screen.shows), WAIT, |s| {
                s.contains(screen.shows)
            });
            assert!(!app.terminal_is_cooked(), "{what}: raw mode while running");
            app.signal(signal);
            assert_eq!(app.wait_exit(WAIT), code, "{what}: exit code");
            assert_restored(&app, &what);
            let said = String::from_utf8_lossy(&app.raw()).into_owned();
            assert!(
                said.contains(&format!("stopped by {signal}")),
                "{what}: says why it stopped"
            );
        }
    }
}

#[test]
fn a_crash_restores_the_terminal_and_says_where_its_report_is() {
    let mut app = PtyApp::start_env(
        &["--sandbox"],
        120,
        40,
        &[("OPSDECK_CRASH_TEST", "1".into())],
    );
    let code = app.wait_exit(WAIT);
    assert_ne!(code, 0, "a crash is not a success");
    assert_restored(&app, "a panic");
    let text = String::from_utf8_lossy(&app.raw()).into_owned();
    let path = text
        .split("the details are in ")
        .nth(1)
        .and_then(|rest| rest.split(" (please").next())
        .unwrap_or_else(|| panic!("no report path in:\n{text}"))
        .trim()
        .to_string();
    let report = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the report {path} cannot be read: {e}"));
    assert!(report.contains("OPSDECK_CRASH_TEST is set"), "{report}");
    assert!(report.contains("src/app/run.rs"), "the place: {report}");
    assert!(report.contains("backtrace:"), "{report}");
    assert!(
        path.starts_with(&app.home().to_string_lossy().into_owned()),
        "under the program's state directory: {path}"
    );
}
