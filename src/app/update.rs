//! The pure state transition: `update(state, action)` changes state and names the effects
//! (work for the workers) it needs; it never does I/O itself.

use crate::app::action::{Action, Command, Feed, FeedData, PaneId};
use crate::app::state::{AppState, EcsLevel, FilterInput, Popup};
use crate::ops;
use crate::ui;

/// Work that `update` asks the event loop to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reload every feed now instead of waiting for its interval.
    RefreshAll,
}

/// Lines the mouse wheel moves.
const WHEEL_STEP: usize = 3;
/// Popups are short; this only keeps scrolling from running away.
const POPUP_SCROLL_MAX: usize = 500;

pub fn update(state: &mut AppState, action: Action) -> Option<Effect> {
    match action {
        Action::Run(command) => return run(state, command),
        Action::Input(c) => {
            if let Some(input) = &mut state.input {
                input.text.push(c);
                reset_selection(state, state.input.as_ref().map_or(state.focus, |i| i.pane));
            }
        }
        Action::InputBackspace => {
            if let Some(input) = &mut state.input {
                input.text.pop();
            }
        }
        Action::InputCommit => {
            if let Some(input) = state.input.take() {
                if input.text.is_empty() {
                    state.filters.remove(&input.pane);
                } else {
                    state.filters.insert(input.pane, input.text);
                }
            }
        }
        Action::InputCancel => {
            if let Some(input) = state.input.take() {
                state.filters.remove(&input.pane);
                reset_selection(state, input.pane);
            }
        }
        Action::PendingKeys(keys) => state.pending_keys = keys,
        Action::MouseScroll { column, row, down } => {
            if state.popup.is_some() {
                scroll_popup(state, WHEEL_STEP, down);
            } else if let Some(pane) = ui::pane_at(state, column, row) {
                move_selection(state, pane, WHEEL_STEP, down);
            }
        }
        Action::MouseClick { column, row } => {
            if state.popup.is_none()
                && let Some(pane) = ui::pane_at(state, column, row)
            {
                state.focus = pane;
            }
        }
        Action::Resize { width, height } => {
            state.width = width;
            state.height = height;
        }
        Action::Tick(now) => state.now = now,
        Action::Identity(identity) => state.identity = Some(identity),
        Action::Loaded { data, at } => loaded(state, data, at),
        Action::LoadFailed { feed, error, at: _ } => {
            let label = feed_label(feed);
            match feed {
                Feed::Topology => state.topology.error = Some(error.clone()),
                Feed::Ecs => state.ecs.error = Some(error.clone()),
                Feed::Targets => state.targets.error = Some(error.clone()),
                Feed::Rds => state.rds.error = Some(error.clone()),
                Feed::Logs => state.logs_error = Some(error.clone()),
            }
            state.last_error = Some(format!("{label}: {error}"));
        }
    }
    None
}

fn run(state: &mut AppState, command: Command) -> Option<Effect> {
    match command {
        Command::Quit => state.should_quit = true,
        Command::Help => {
            state.popup = match state.popup {
                Some(Popup::Help { .. }) => None,
                _ => Some(Popup::Help { scroll: 0 }),
            }
        }
        Command::Back => back(state),
        Command::Enter => enter(state),
        Command::FocusNext => focus(state, state.focus.next()),
        Command::FocusPrev => focus(state, state.focus.prev()),
        Command::FocusNetwork => focus(state, PaneId::Network),
        Command::FocusEcs => focus(state, PaneId::Ecs),
        Command::FocusTargets => focus(state, PaneId::Targets),
        Command::FocusRds => focus(state, PaneId::Rds),
        Command::FocusLogs => focus(state, PaneId::Logs),
        Command::Zoom => state.zoomed = !state.zoomed,
        Command::Filter => {
            let text = state.filters.get(&state.focus).cloned().unwrap_or_default();
            state.input = Some(FilterInput {
                pane: state.focus,
                text,
            });
        }
        Command::Refresh => {
            state.last_error = None;
            return Some(Effect::RefreshAll);
        }
        Command::Up => step(state, 1, false),
        Command::Down => step(state, 1, true),
        Command::PageUp => step(state, ui::page_rows(state, state.focus).max(1), false),
        Command::PageDown => step(state, ui::page_rows(state, state.focus).max(1), true),
        Command::Top => step(state, usize::MAX, false),
        Command::Bottom => step(state, usize::MAX, true),
        Command::ToggleFollow => {
            let logs = &mut state.logs_pane;
            logs.follow = !logs.follow;
            if logs.follow {
                logs.scroll = 0;
            }
        }
        Command::ToggleWrap => state.logs_pane.wrap = !state.logs_pane.wrap,
        Command::ToggleTimestamps => state.logs_pane.timestamps = !state.logs_pane.timestamps,
    }
    None
}

fn focus(state: &mut AppState, pane: PaneId) {
    state.popup = None;
    state.focus = pane;
}

/// Esc undoes the innermost thing: a popup, then a filter, then a drill-down, then zoom.
fn back(state: &mut AppState) {
    if state.popup.take().is_some() {
        return;
    }
    if state.filters.remove(&state.focus).is_some() {
        reset_selection(state, state.focus);
        return;
    }
    if state.focus == PaneId::Ecs && state.ecs_pane.level == EcsLevel::Tasks {
        // A filter typed at this level was over tasks; it was cleared just above.
        state.ecs_pane.level = EcsLevel::Services;
        return;
    }
    state.zoomed = false;
}

fn enter(state: &mut AppState) {
    if state.popup.is_some() {
        return;
    }
    if state.focus == PaneId::Ecs && state.ecs_pane.level == EcsLevel::Services {
        drill_into_service(state);
        return;
    }
    if let Some((title, lines)) = ui::rows::detail(state, state.focus) {
        state.popup = Some(Popup::Detail {
            title,
            lines,
            scroll: 0,
        });
    }
}

/// Opens the selected service's tasks. The ECS filter applies to the list on screen, so the
/// services filter is dropped and the selection re-pointed at the same service unfiltered.
fn drill_into_service(state: &mut AppState) {
    let Some(name) = ui::rows::selected_service(state).map(|s| s.name.clone()) else {
        return;
    };
    state.filters.remove(&PaneId::Ecs);
    state.ecs_pane.service = ui::rows::services(state)
        .iter()
        .position(|s| s.name == name)
        .unwrap_or(0);
    state.ecs_pane.level = EcsLevel::Tasks;
    state.ecs_pane.task = 0;
}

fn step(state: &mut AppState, by: usize, down: bool) {
    if state.popup.is_some() {
        scroll_popup(state, by, down);
    } else {
        move_selection(state, state.focus, by, down);
    }
}

fn scroll_popup(state: &mut AppState, by: usize, down: bool) {
    if let Some(Popup::Help { scroll } | Popup::Detail { scroll, .. }) = &mut state.popup {
        *scroll = if down {
            scroll.saturating_add(by).min(POPUP_SCROLL_MAX)
        } else {
            scroll.saturating_sub(by)
        };
    }
}

/// Moves a pane's selection; for logs, scrolls through history (up pauses following).
fn move_selection(state: &mut AppState, pane: PaneId, by: usize, down: bool) {
    if pane == PaneId::Logs {
        let logs = &mut state.logs_pane;
        let max = state.logs.len().saturating_sub(1);
        logs.scroll = if down {
            logs.scroll.saturating_sub(by)
        } else {
            logs.scroll.saturating_add(by).min(max)
        };
        logs.follow = logs.scroll == 0;
        return;
    }
    let len = ui::rows::list_len(state, pane);
    let selected = selection_mut(state, pane);
    *selected = if down {
        selected.saturating_add(by).min(len.saturating_sub(1))
    } else {
        selected.saturating_sub(by)
    };
}

fn selection_mut(state: &mut AppState, pane: PaneId) -> &mut usize {
    match pane {
        PaneId::Network => &mut state.network_selected,
        PaneId::Ecs => match state.ecs_pane.level {
            EcsLevel::Services => &mut state.ecs_pane.service,
            EcsLevel::Tasks => &mut state.ecs_pane.task,
        },
        PaneId::Targets => &mut state.targets_selected,
        PaneId::Rds => &mut state.rds_selected,
        PaneId::Logs => &mut state.logs_pane.scroll,
    }
}

fn reset_selection(state: &mut AppState, pane: PaneId) {
    *selection_mut(state, pane) = 0;
}

/// Keeps every selection inside its (possibly shrunk) list.
fn clamp_selections(state: &mut AppState) {
    for pane in [PaneId::Network, PaneId::Ecs, PaneId::Targets, PaneId::Rds] {
        let len = ui::rows::list_len(state, pane);
        let selected = selection_mut(state, pane);
        *selected = (*selected).min(len.saturating_sub(1));
    }
}

fn loaded(state: &mut AppState, data: FeedData, at: i64) {
    match data {
        FeedData::Topology(topology) => {
            state.topology.data = Some(*topology);
            state.topology.at = Some(at);
            state.topology.error = None;
        }
        FeedData::Ecs(snapshot) => {
            state.ecs.data = Some(snapshot);
            state.ecs.at = Some(at);
            state.ecs.error = None;
        }
        FeedData::Targets(targets) => {
            state.targets.data = Some(targets);
            state.targets.at = Some(at);
            state.targets.error = None;
        }
        FeedData::Rds(databases) => {
            state.rds.data = Some(databases);
            state.rds.at = Some(at);
            state.rds.error = None;
        }
        FeedData::Logs(events) => {
            // A paused view stays on the same lines while new ones arrive below it.
            if !state.logs_pane.follow {
                state.logs_pane.scroll = (state.logs_pane.scroll + events.len())
                    .min(state.logs.capacity().saturating_sub(1));
            }
            for event in &events {
                state.logs.push(event);
            }
            state.logs_at = Some(at);
            state.logs_error = None;
            return;
        }
    }
    rebuild_graph(state);
    clamp_selections(state);
}

fn rebuild_graph(state: &mut AppState) {
    if let Some(topology) = &state.topology.data {
        state.graph = ops::graph::build(
            topology,
            &state.stack.service,
            state.ecs.data.as_ref(),
            state.targets.data.as_deref(),
            state.rds.data.as_deref(),
        );
    }
}

fn feed_label(feed: Feed) -> &'static str {
    match feed {
        Feed::Topology => "network",
        Feed::Ecs => "ecs",
        Feed::Targets => "targets",
        Feed::Rds => "rds",
        Feed::Logs => "logs",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::EcsSnapshot;
    use crate::cloud::BackendKind;
    use crate::model::{LogEvent, StackRef};

    fn state() -> AppState {
        AppState::new(
            BackendKind::Sandbox {
                scenario: "healthy".into(),
            },
            StackRef {
                name: "umami".into(),
                region: "eu-west-2".into(),
                cluster: "umami".into(),
                service: "umami".into(),
            },
            false,
            100,
        )
    }

    fn log(id: usize) -> LogEvent {
        LogEvent {
            event_id: id.to_string(),
            timestamp: id as i64,
            ingestion_time: id as i64,
            stream: "ecs/umami/abc".into(),
            message: format!("line {id}"),
        }
    }

    fn logs_loaded(state: &mut AppState, ids: std::ops::Range<usize>) {
        let events = ids.map(log).collect();
        update(
            state,
            Action::Loaded {
                data: FeedData::Logs(events),
                at: 1,
            },
        );
    }

    #[test]
    fn focus_cycles_through_the_five_panes_and_wraps() {
        let mut s = state();
        let mut seen = vec![s.focus];
        for _ in 0..5 {
            update(&mut s, Action::Run(Command::FocusNext));
            seen.push(s.focus);
        }
        assert_eq!(
            seen,
            [
                PaneId::Network,
                PaneId::Ecs,
                PaneId::Targets,
                PaneId::Rds,
                PaneId::Logs,
                PaneId::Network
            ]
        );
        update(&mut s, Action::Run(Command::FocusPrev));
        assert_eq!(s.focus, PaneId::Logs);
        update(&mut s, Action::Run(Command::FocusRds));
        assert_eq!(s.focus, PaneId::Rds);
    }

    #[test]
    fn help_toggles_and_focus_change_closes_it() {
        let mut s = state();
        update(&mut s, Action::Run(Command::Help));
        assert_eq!(s.popup, Some(Popup::Help { scroll: 0 }));
        update(&mut s, Action::Run(Command::Down));
        assert_eq!(s.popup, Some(Popup::Help { scroll: 1 }));
        update(&mut s, Action::Run(Command::Help));
        assert_eq!(s.popup, None);
        update(&mut s, Action::Run(Command::Help));
        update(&mut s, Action::Run(Command::FocusLogs));
        assert_eq!((s.popup.clone(), s.focus), (None, PaneId::Logs));
    }

    #[test]
    fn escape_unwinds_popup_then_filter_then_zoom() {
        let mut s = state();
        update(&mut s, Action::Run(Command::Zoom));
        update(&mut s, Action::Run(Command::Filter));
        for c in "err".chars() {
            update(&mut s, Action::Input(c));
        }
        assert_eq!(s.filter_for(PaneId::Network), Some("err"));
        update(&mut s, Action::InputCommit);
        assert_eq!(s.input, None);
        assert_eq!(s.filter_for(PaneId::Network), Some("err"));
        update(&mut s, Action::Run(Command::Help));

        update(&mut s, Action::Run(Command::Back));
        assert_eq!(s.popup, None);
        assert!(s.zoomed);
        update(&mut s, Action::Run(Command::Back));
        assert_eq!(s.filter_for(PaneId::Network), None);
        assert!(s.zoomed);
        update(&mut s, Action::Run(Command::Back));
        assert!(!s.zoomed);
    }

    #[test]
    fn cancelled_filter_input_drops_the_filter() {
        let mut s = state();
        update(&mut s, Action::Run(Command::Filter));
        update(&mut s, Action::Input('x'));
        update(&mut s, Action::InputBackspace);
        update(&mut s, Action::Input('y'));
        assert_eq!(s.filter_for(PaneId::Network), Some("y"));
        update(&mut s, Action::InputCancel);
        assert_eq!(
            (s.input.clone(), s.filter_for(PaneId::Network)),
            (None, None)
        );
    }

    #[test]
    fn scrolling_logs_up_pauses_and_new_lines_keep_the_view_still() {
        let mut s = state();
        update(&mut s, Action::Run(Command::FocusLogs));
        logs_loaded(&mut s, 0..50);
        assert!(s.logs_pane.follow);
        update(&mut s, Action::Run(Command::Up));
        update(&mut s, Action::Run(Command::Up));
        assert_eq!((s.logs_pane.follow, s.logs_pane.scroll), (false, 2));
        logs_loaded(&mut s, 50..60);
        assert_eq!(
            s.logs_pane.scroll, 12,
            "paused view must stay on the same lines"
        );
        update(&mut s, Action::Run(Command::Bottom));
        assert_eq!((s.logs_pane.follow, s.logs_pane.scroll), (true, 0));
        update(&mut s, Action::Run(Command::ToggleFollow));
        assert!(!s.logs_pane.follow);
        update(&mut s, Action::Run(Command::ToggleFollow));
        assert!(s.logs_pane.follow);
    }

    #[test]
    fn log_buffer_is_bounded_and_counts_evictions() {
        let mut s = state();
        logs_loaded(&mut s, 0..250);
        assert_eq!(s.logs.len(), 100);
        assert_eq!(s.logs.evicted(), 150);
        assert_eq!(s.logs.lines().front().map(|l| l.message), Some("line 150"));
    }

    #[test]
    fn a_failed_load_is_shown_and_cleared_by_the_next_success() {
        let mut s = state();
        update(
            &mut s,
            Action::LoadFailed {
                feed: Feed::Ecs,
                error: "cluster umami not found".into(),
                at: 5,
            },
        );
        assert_eq!(
            s.last_error.as_deref(),
            Some("ecs: cluster umami not found")
        );
        assert_eq!(s.ecs.error.as_deref(), Some("cluster umami not found"));
        update(
            &mut s,
            Action::Loaded {
                data: FeedData::Ecs(EcsSnapshot::default()),
                at: 7,
            },
        );
        assert_eq!((s.ecs.error.clone(), s.ecs.at), (None, Some(7)));
    }

    #[test]
    fn refresh_asks_the_workers_and_clears_the_error() {
        let mut s = state();
        s.last_error = Some("x".into());
        assert_eq!(
            update(&mut s, Action::Run(Command::Refresh)),
            Some(Effect::RefreshAll)
        );
        assert_eq!(s.last_error, None);
    }

    #[test]
    fn quit_sets_should_quit() {
        let mut s = state();
        update(&mut s, Action::Run(Command::Quit));
        assert!(s.should_quit);
    }
}
