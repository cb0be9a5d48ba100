//! Screens from the sandbox at a fixed seed and virtual time, reached by the same commands a
//! user's keys run, drawn with the embedded keymap at 120x40 and 80x24.

mod common;

use opsdeck::app::action::{Action, Command};
use opsdeck::app::screenshot::buffer_to_text;
use opsdeck::app::state::AppState;
use opsdeck::app::update::update;
use opsdeck::cloud::sandbox::Scenario;
use opsdeck::config::keymap::Keymap;
use opsdeck::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

fn dashboard(scenario: Scenario, seconds: i64, size: (u16, u16)) -> AppState {
    common::sandbox_dashboard(scenario, seconds, size)
}

fn press(state: &mut AppState, commands: &[Command]) {
    for command in commands {
        update(state, Action::Run(*command));
    }
}

fn screen(state: &AppState) -> String {
    let keymap = Keymap::embedded().unwrap();
    let mut terminal = Terminal::new(TestBackend::new(state.width, state.height)).unwrap();
    terminal
        .draw(|frame| ui::render(frame, state, &keymap, &Theme::default()))
        .unwrap();
    buffer_to_text(terminal.backend().buffer())
}

fn snapshot(name: &str, (width, height): (u16, u16), text: &str) {
    insta::assert_snapshot!(format!("{name}_{width}x{height}"), text);
}

#[test]
fn healthy_dashboard_mid_deployment() {
    for size in SIZES {
        let state = dashboard(Scenario::Healthy, 90, size);
        let text = screen(&state);
        for title in [
            "[1] Network",
            "[2] ECS",
            "[3] Targets",
            "[4] RDS",
            "[5] Logs",
        ] {
            assert!(text.contains(title), "{title} missing:\n{text}");
        }
        assert!(text.contains("sandbox:healthy"), "{text}");
        assert!(
            text.contains("IN_PROGRESS"),
            "the routine deployment is rolling:\n{text}"
        );
        snapshot("healthy_dashboard", size, &text);
    }
}

#[test]
fn every_pane_zoomed() {
    let panes = [
        ("network", Command::FocusNetwork, "ALB umami"),
        ("ecs", Command::FocusEcs, "PRIMARY"),
        ("targets", Command::FocusTargets, "/api/heartbeat"),
        ("rds", Command::FocusRds, "db.t3.micro"),
        ("logs", Command::FocusLogs, "following"),
    ];
    for size in SIZES {
        for (name, focus, expected) in panes {
            let mut state = dashboard(Scenario::Healthy, 90, size);
            press(&mut state, &[focus, Command::Zoom]);
            let text = screen(&state);
            assert!(
                text.contains(expected),
                "{name} zoomed shows {expected}:\n{text}"
            );
            snapshot(&format!("zoomed_{name}"), size, &text);
        }
    }
}

#[test]
fn the_network_pane_counts_findings_and_lists_them_when_zoomed() {
    for size in SIZES {
        let mut state = dashboard(Scenario::Healthy, 90, size);
        let dashboard_text = screen(&state);
        assert!(dashboard_text.contains("⚠ 2 findings"), "{dashboard_text}");
        press(&mut state, &[Command::FocusNetwork, Command::Zoom]);
        let text = screen(&state);
        assert!(text.contains("FINDINGS"), "{text}");
        assert!(
            text.contains("one NAT gateway serves 2 availability zones"),
            "{text}"
        );
        assert!(text.contains("not Multi-AZ"), "{text}");
    }
}

#[test]
fn help_popup_lists_the_focused_layer_then_global_keys() {
    for size in SIZES {
        let mut state = dashboard(Scenario::Healthy, 90, size);
        press(&mut state, &[Command::FocusLogs, Command::Help]);
        let text = screen(&state);
        assert!(text.contains("Keys: Logs"), "{text}");
        assert!(
            text.contains("Follow new lines"),
            "logs layer first:\n{text}"
        );
        snapshot("help_logs", size, &text);
    }
}

#[test]
fn drilling_into_the_service_then_a_task_opens_its_details() {
    for size in SIZES {
        let mut state = dashboard(Scenario::Healthy, 90, size);
        press(&mut state, &[Command::FocusEcs, Command::Enter]);
        let tasks = screen(&state);
        assert!(
            tasks.contains("umami tasks"),
            "drilled into the tasks:\n{tasks}"
        );
        snapshot("ecs_tasks", size, &tasks);

        press(&mut state, &[Command::Enter]);
        let detail = screen(&state);
        assert!(detail.contains("Task "), "task detail popup:\n{detail}");
        assert!(detail.contains("containers"), "{detail}");
        snapshot("task_detail", size, &detail);

        press(&mut state, &[Command::Back, Command::Back]);
        assert_eq!(
            screen(&state),
            screen(&{
                let mut fresh = dashboard(Scenario::Healthy, 90, size);
                press(&mut fresh, &[Command::FocusEcs]);
                fresh
            }),
            "Esc twice returns to the services view"
        );
    }
}

#[test]
fn typing_a_filter_narrows_the_logs() {
    for size in SIZES {
        let mut state = dashboard(Scenario::Healthy, 90, size);
        press(&mut state, &[Command::FocusLogs, Command::Filter]);
        for c in "heartbeat".chars() {
            update(&mut state, Action::Input(c));
        }
        let text = screen(&state);
        assert!(text.contains("/heartbeat"), "the filter is shown:\n{text}");
        let log_rows: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.contains("[5] Logs"))
            .skip(1)
            .take_while(|l| !l.starts_with('╰') && !l.starts_with('┗'))
            .filter(|l| l.len() > 20)
            .collect();
        assert!(!log_rows.is_empty(), "{text}");
        assert!(
            log_rows.iter().all(|l| l.contains("heartbeat")),
            "only matching lines:\n{text}"
        );
        snapshot("logs_filter", size, &text);
    }
}

#[test]
fn bad_image_shows_why_the_tasks_stopped_and_the_rollback() {
    for size in SIZES {
        let mut state = dashboard(Scenario::BadImage, 150, size);
        press(&mut state, &[Command::FocusEcs, Command::Zoom]);
        let text = screen(&state);
        assert!(text.contains("FAILED"), "the failed deployment:\n{text}");
        assert!(
            text.contains("CannotPullContainerError"),
            "the reason:\n{text}"
        );
        snapshot("bad_image_ecs", size, &text);
    }
}

#[test]
fn failing_health_shows_the_reason_code() {
    for size in SIZES {
        let mut state = dashboard(Scenario::FailingHealth, 95, size);
        press(&mut state, &[Command::FocusTargets, Command::Zoom]);
        let text = screen(&state);
        assert!(text.contains("unhealthy"), "{text}");
        assert!(text.contains("Target.ResponseCodeMismatch"), "{text}");
        snapshot("failing_health_targets", size, &text);
    }
}

#[test]
fn a_terminal_below_the_minimum_gets_a_notice() {
    let state = dashboard(Scenario::Healthy, 90, (50, 12));
    let text = screen(&state);
    assert!(text.contains("too small"), "{text}");
    assert!(!text.contains("[1] Network"), "{text}");
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        update(state, Action::Input(c));
    }
}

/// Rows of the logs pane, between its title and its bottom border.
fn log_rows(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|l| !l.contains("[5] Logs"))
        .skip(1)
        .take_while(|l| !l.starts_with('╰') && !l.starts_with('┗'))
        .collect()
}

#[test]
fn a_regex_filter_hides_other_lines_and_highlights_its_matches() {
    for size in SIZES {
        let mut state = dashboard(Scenario::Healthy, 90, size);
        press(
            &mut state,
            &[
                Command::FocusLogs,
                Command::Zoom,
                Command::ToggleRegex,
                Command::Filter,
            ],
        );
        type_text(&mut state, "heartbeat|/\\.env");
        update(&mut state, Action::InputCommit);
        let text = screen(&state);
        assert!(text.contains("regex"), "the mode is in the title:\n{text}");
        let rows: Vec<&str> = log_rows(&text)
            .into_iter()
            .filter(|l| l.len() > 20)
            .collect();
        assert!(!rows.is_empty(), "{text}");
        assert!(
            rows.iter()
                .all(|l| l.contains("heartbeat") || l.contains("/.env")),
            "only matching lines:\n{text}"
        );
        // Every match is drawn in the match style.
        let keymap = Keymap::embedded().unwrap();
        let mut terminal = Terminal::new(TestBackend::new(state.width, state.height)).unwrap();
        terminal
            .draw(|frame| ui::render(frame, &state, &keymap, &Theme::default()))
            .unwrap();
        let buffer = terminal.backend().buffer();
        let highlighted: String = buffer
            .content()
            .iter()
            .filter(|cell| cell.bg == Theme::default().filter_match.bg.unwrap())
            .map(|cell| cell.symbol())
            .collect();
        assert!(
            highlighted.starts_with("heartbeat") || highlighted.starts_with("/.env"),
            "{highlighted}"
        );
        assert!(!highlighted.contains("GET"), "{highlighted}");
        snapshot("logs_regex_filter", size, &text);
    }
}

#[test]
fn an_invalid_regex_says_why_in_the_title_and_filters_nothing() {
    let mut state = dashboard(Scenario::Healthy, 90, (120, 40));
    press(
        &mut state,
        &[Command::FocusLogs, Command::ToggleRegex, Command::Filter],
    );
    type_text(&mut state, "send(");
    let text = screen(&state);
    assert!(text.contains("✗ bad regex: unclosed group"), "{text}");
    assert!(text.contains("GET /"), "lines stay unfiltered:\n{text}");
}

#[test]
fn json_lines_pretty_printed_over_several_rows() {
    for size in SIZES {
        let mut state = dashboard(Scenario::Healthy, 90, size);
        press(
            &mut state,
            &[Command::FocusLogs, Command::Zoom, Command::ToggleJson],
        );
        let text = screen(&state);
        assert!(text.contains("json"), "the mode is in the title:\n{text}");
        assert!(
            log_rows(&text).iter().any(|l| l
                .trim_end_matches(['┃', ' '])
                .ends_with("\"level\": \"error\",")),
            "the level field on a row of its own:\n{text}"
        );
        snapshot("logs_json_pretty", size, &text);
    }
}

#[test]
fn the_stream_picker_lists_the_tasks_and_narrows_the_pane() {
    for size in SIZES {
        let mut state = dashboard(Scenario::Healthy, 90, size);
        press(&mut state, &[Command::FocusLogs, Command::ChooseStream]);
        let text = screen(&state);
        assert!(text.contains("Show logs of"), "{text}");
        assert!(text.contains("▶ all streams"), "{text}");
        assert!(text.contains("task 5ae30366/umami"), "{text}");
        snapshot("logs_stream_picker", size, &text);

        press(&mut state, &[Command::Down, Command::Enter]);
        let narrowed = screen(&state);
        let title = narrowed
            .lines()
            .find(|l| l.contains("[5] Logs"))
            .unwrap_or_default();
        let task = title
            .split("task ")
            .nth(1)
            .and_then(|t| t.get(..8))
            .expect("the task in the title");
        let rows: Vec<&str> = log_rows(&narrowed)
            .into_iter()
            .filter(|l| l.len() > 20)
            .collect();
        assert!(!rows.is_empty(), "{narrowed}");
        assert!(
            rows.iter().all(|l| l.contains(task)),
            "only task {task}:\n{narrowed}"
        );
    }
}

#[test]
fn jump_to_time_input_refuses_a_bad_time_and_keeps_it() {
    for size in SIZES {
        let mut state = dashboard(Scenario::Healthy, 90, size);
        press(&mut state, &[Command::FocusLogs, Command::JumpToTime]);
        type_text(&mut state, "09:61");
        update(&mut state, Action::InputCommit);
        let text = screen(&state);
        assert!(text.contains("Jump to time"), "{text}");
        assert!(text.contains("09:61▏"), "the text is kept:\n{text}");
        assert!(text.contains("is not a time"), "{text}");
        snapshot("logs_jump_input", size, &text);

        for _ in 0..2 {
            update(&mut state, Action::InputBackspace);
        }
        type_text(&mut state, "01");
        update(&mut state, Action::InputCommit);
        let jumped = screen(&state);
        assert!(jumped.contains("paused"), "{jumped}");
        let first = log_rows(&jumped)[0];
        assert!(
            first.contains("09:01:0"),
            "the view starts at 09:01:\n{jumped}"
        );
    }
}

#[test]
fn a_discovery_error_is_shown_in_the_panes_and_the_status_bar() {
    use opsdeck::app::action::Feed;
    use opsdeck::cloud::BackendKind;
    let mut state = AppState::new(
        BackendKind::Aws {
            profile: Some("prod".into()),
            region: "eu-west-2".into(),
            endpoint: None,
        },
        common::umami(),
        false,
        1_000,
    );
    update(
        &mut state,
        Action::Resize {
            width: 120,
            height: 40,
        },
    );
    for feed in [Feed::Topology, Feed::Ecs] {
        let error = "service umami in cluster umami not found".to_string();
        update(&mut state, Action::LoadFailed { feed, error, at: 0 });
    }
    let text = screen(&state);
    assert!(text.contains("prod@eu-west-2"), "{text}");
    assert!(
        text.contains("ecs: service umami in cluster umami not found"),
        "{text}"
    );
    assert_eq!(
        text.matches("cannot discover the stack").count(),
        3,
        "targets, RDS and logs say why they are empty:\n{text}"
    );
}

#[test]
fn the_zoomed_rds_pane_shows_a_cpu_sparkline_with_its_latest_value() {
    let mut state = dashboard(Scenario::Healthy, 90, (120, 40));
    press(&mut state, &[Command::FocusRds, Command::Zoom]);
    let text = screen(&state);
    let cpu = text
        .lines()
        .find(|line| line.contains("cpu "))
        .unwrap_or_else(|| panic!("no cpu line:\n{text}"));
    assert!(cpu.contains('%'), "{cpu}");
    assert!(
        cpu.chars().filter(|c| ('▁'..='█').contains(c)).count() > 30,
        "{cpu}"
    );
}

#[test]
fn a_sampled_live_tail_says_so_in_the_logs_title() {
    let mut state = dashboard(Scenario::LogBurst, 90, (120, 40));
    assert!(!screen(&state).contains("sampled by AWS"));
    update(&mut state, Action::LogsSampled(true));
    let text = screen(&state);
    let title = text
        .lines()
        .find(|l| l.contains("[5] Logs"))
        .unwrap_or_default();
    assert!(title.contains("sampled by AWS"), "{text}");
    update(&mut state, Action::LogsSampled(false));
    assert!(!screen(&state).contains("sampled by AWS"));
}
