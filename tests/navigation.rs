//! Moving around the dashboard: selections stay in their lists, Enter opens what is
//! selected, the mouse focuses and scrolls the pane under it.

mod common;

use opsdeck::app::action::{Action, Command, PaneId};
use opsdeck::app::state::{AppState, EcsLevel, Popup};
use opsdeck::app::update::update;
use opsdeck::app::view::{self, rows};
use opsdeck::cloud::sandbox::Scenario;

fn run(state: &mut AppState, commands: &[Command]) {
    for command in commands {
        update(state, Action::Run(*command));
    }
}

/// A cell inside `pane` on the current layout.
fn point_in(state: &AppState, pane: PaneId) -> (u16, u16) {
    (0..state.height)
        .flat_map(|row| (0..state.width).map(move |column| (column, row)))
        .find(|&(column, row)| view::pane_at(state, column, row) == Some(pane))
        .unwrap_or_else(|| panic!("{pane:?} is on screen"))
}

#[test]
fn selection_stops_at_both_ends_of_the_list() {
    let mut state = common::sandbox_dashboard(Scenario::Healthy, 90, (120, 40));
    run(&mut state, &[Command::FocusTargets]);
    let targets = rows::list_len(&state, PaneId::Targets);
    assert!(targets >= 2, "the sandbox has targets");
    for _ in 0..targets + 5 {
        run(&mut state, &[Command::Down]);
    }
    assert_eq!(state.targets_selected, targets - 1);
    run(&mut state, &[Command::Top]);
    assert_eq!(state.targets_selected, 0);
    run(&mut state, &[Command::Up]);
    assert_eq!(state.targets_selected, 0);
    run(&mut state, &[Command::Bottom]);
    assert_eq!(state.targets_selected, targets - 1);
}

#[test]
fn enter_on_a_target_shows_its_reason_and_description() {
    let mut state = common::sandbox_dashboard(Scenario::FailingHealth, 95, (120, 40));
    run(&mut state, &[Command::FocusTargets]);
    let unhealthy = rows::targets(&state)
        .iter()
        .position(|(_, t)| t.reason.as_deref() == Some("Target.ResponseCodeMismatch"))
        .expect("an unhealthy target");
    for _ in 0..unhealthy {
        run(&mut state, &[Command::Down]);
    }
    run(&mut state, &[Command::Enter]);
    let Some(Popup::Detail { lines, .. }) = &state.popup else {
        panic!("a detail popup: {:?}", state.popup);
    };
    let text = lines.join("\n");
    assert!(text.contains("Target.ResponseCodeMismatch"), "{text}");
    assert!(
        text.contains("Health checks failed"),
        "the description: {text}"
    );
    run(&mut state, &[Command::Back]);
    assert_eq!(state.popup, None);
}

#[test]
fn ecs_drill_down_and_back() {
    let mut state = common::sandbox_dashboard(Scenario::Healthy, 90, (120, 40));
    run(&mut state, &[Command::FocusEcs, Command::Enter]);
    assert_eq!(state.ecs_pane.level, EcsLevel::Tasks);
    let tasks = rows::list_len(&state, PaneId::Ecs);
    assert!(tasks >= 4, "running and stopped tasks: {tasks}");
    run(&mut state, &[Command::PageDown]);
    assert!(state.ecs_pane.task > 0 && state.ecs_pane.task < tasks);
    run(&mut state, &[Command::Back]);
    assert_eq!(state.ecs_pane.level, EcsLevel::Services);
}

#[test]
fn a_filter_narrows_the_list_and_the_selection_follows() {
    let mut state = common::sandbox_dashboard(Scenario::Healthy, 90, (120, 40));
    run(&mut state, &[Command::FocusTargets]);
    let all = rows::list_len(&state, PaneId::Targets);
    run(&mut state, &[Command::Filter]);
    for c in "initial".chars() {
        update(&mut state, Action::Input(c));
    }
    update(&mut state, Action::InputCommit);
    let narrowed = rows::list_len(&state, PaneId::Targets);
    assert!(narrowed >= 1 && narrowed < all, "{narrowed} of {all}");
    assert!(
        rows::targets(&state)
            .iter()
            .all(|(_, t)| t.state.as_str() == "initial")
    );
    run(&mut state, &[Command::Bottom]);
    assert_eq!(state.targets_selected, narrowed - 1);
}

#[test]
fn a_click_focuses_the_pane_under_the_mouse() {
    let mut state = common::sandbox_dashboard(Scenario::Healthy, 90, (120, 40));
    for pane in [
        PaneId::Rds,
        PaneId::Logs,
        PaneId::Ecs,
        PaneId::Targets,
        PaneId::Network,
    ] {
        let (column, row) = point_in(&state, pane);
        update(&mut state, Action::MouseClick { column, row });
        assert_eq!(state.focus, pane);
    }
}

#[test]
fn the_wheel_scrolls_the_logs_back_and_forth() {
    let mut state = common::sandbox_dashboard(Scenario::Healthy, 90, (120, 40));
    let (column, row) = point_in(&state, PaneId::Logs);
    update(
        &mut state,
        Action::MouseScroll {
            column,
            row,
            down: false,
        },
    );
    assert!(!state.logs_pane.follow, "scrolling up pauses");
    assert_eq!(state.logs_pane.scroll, 3);
    update(
        &mut state,
        Action::MouseScroll {
            column,
            row,
            down: true,
        },
    );
    assert!(
        state.logs_pane.follow,
        "back at the bottom it follows again"
    );
    assert_eq!(
        state.focus,
        PaneId::Network,
        "the wheel does not steal focus"
    );
}
