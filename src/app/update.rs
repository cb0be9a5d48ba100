//! The pure state transition: `update(state, action)` changes state and names the effects
//! (work for the workers) it needs; it never does I/O itself.

use std::path::PathBuf;

use chrono::{NaiveTime, TimeDelta};

use crate::app::action::{Action, Command, Feed, FeedData, PaneId};
use crate::app::state::{
    AppState, EcsLevel, FilterInput, InputKind, Popup, StreamChoice, VisibleLogs,
};
use crate::model::{Millis, StackRef};
use crate::ops;
use crate::ops::logs::buffer::{stream_container, stream_task_id};
use crate::ops::logs::{FilterError, FilterSpec, FilteredLines, LineFilter, Narrowing};
use crate::ui;

/// Work that `update` asks the event loop to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Reload every feed now instead of waiting for its interval.
    RefreshAll,
    /// Write the logs pane's lines to `path`, off the UI task; the outcome comes back as
    /// [`Action::LogsExported`].
    ExportLogs {
        path: PathBuf,
        /// Boxed: a copy of the buffer is large beside the other effects.
        lines: Box<VisibleLogs>,
    },
    /// Show the dashboard of this stack: (re)start the feed workers for it.
    OpenStack(StackRef),
}

/// Lines the mouse wheel moves.
const WHEEL_STEP: usize = 3;
/// Popups are short; this only keeps scrolling from running away.
const POPUP_SCROLL_MAX: usize = 500;

pub fn update(state: &mut AppState, action: Action) -> Option<Effect> {
    match action {
        Action::Run(command) => return run(state, command),
        Action::Input(c) => edit_input(state, |text| text.push(c)),
        Action::InputBackspace => edit_input(state, |text| {
            text.pop();
        }),
        Action::InputCommit => commit_input(state),
        Action::InputCancel => {
            if let Some(input) = state.input.take()
                && input.kind == InputKind::Filter
            {
                state.filters.remove(&input.pane);
                reset_selection(state, input.pane);
                refresh_log_view(state);
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
                Feed::Metrics => state.metrics.error = Some(error.clone()),
            }
            state.last_error = Some(format!("{label}: {error}"));
        }
        Action::LogsSampled(sampled) => state.logs_pane.sampled = sampled,
        Action::LogsExported { path, result } => match result {
            Ok(lines) => {
                state.notice = Some(format!("exported {lines} log lines to {}", path.display()));
            }
            Err(error) => state.last_error = Some(format!("export: {error}")),
        },
    }
    None
}

/// Edits the text being typed. A filter applies at once; a time waits for Enter.
fn edit_input(state: &mut AppState, edit: impl FnOnce(&mut String)) {
    let Some(input) = &mut state.input else {
        return;
    };
    edit(&mut input.text);
    input.error = None;
    if input.kind == InputKind::Filter {
        let pane = input.pane;
        reset_selection(state, pane);
        refresh_log_view(state);
    }
}

fn commit_input(state: &mut AppState) {
    let Some(input) = state.input.take() else {
        return;
    };
    match input.kind {
        InputKind::Filter => {
            if input.text.is_empty() {
                state.filters.remove(&input.pane);
            } else {
                state.filters.insert(input.pane, input.text);
            }
        }
        InputKind::JumpToTime => {
            if let Err(error) = jump_to_time(state, &input.text) {
                // Nothing is lost: the text stays for the user to correct.
                state.input = Some(FilterInput {
                    error: Some(error),
                    ..input
                });
            }
        }
    }
}

fn run(state: &mut AppState, command: Command) -> Option<Effect> {
    state.notice = None;
    match command {
        Command::Quit => state.should_quit = true,
        Command::Help => {
            state.popup = match state.popup {
                Some(Popup::Help { .. }) => None,
                _ => Some(Popup::Help { scroll: 0 }),
            }
        }
        Command::Back => back(state),
        Command::Enter => return enter(state),
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
            state.input = Some(FilterInput::filter(state.focus, text));
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
        Command::ToggleRegex => {
            state.logs_pane.regex = !state.logs_pane.regex;
            refresh_log_view(state);
        }
        Command::ToggleCase => {
            state.logs_pane.case_sensitive = !state.logs_pane.case_sensitive;
            refresh_log_view(state);
        }
        Command::ToggleJson => state.logs_pane.pretty_json = !state.logs_pane.pretty_json,
        Command::JumpToTime => state.input = Some(FilterInput::jump_to_time()),
        Command::ChooseStream => open_stream_picker(state),
        Command::ExportLogs => {
            return Some(Effect::ExportLogs {
                path: state.default_export_path(),
                lines: Box::new(state.visible_logs()),
            });
        }
    }
    None
}

/// Rebuilds the logs pane's cache of shown lines when the filter or narrowing changed:
/// the one full scan of the buffer, done here so that frames never filter.
fn refresh_log_view(state: &mut AppState) {
    let pattern = state.filter_for(PaneId::Logs).unwrap_or("").to_string();
    let pane = &mut state.logs_pane;
    let spec = FilterSpec {
        pattern,
        regex: pane.regex,
        case_sensitive: pane.case_sensitive,
    };
    // A regex still being typed is often invalid: say so and show the lines unfiltered.
    let filter = match LineFilter::new(spec) {
        Ok(filter) => {
            pane.filter_error = None;
            filter
        }
        Err(FilterError::BadRegex(why)) => {
            pane.filter_error = Some(regex_error_summary(&why));
            LineFilter::substring("")
        }
    };
    if filter.spec().pattern.is_empty() && pane.narrowing.is_everything() {
        pane.shown = None;
        return;
    }
    let unchanged = pane
        .shown
        .as_ref()
        .is_some_and(|shown| shown.filter() == &filter && shown.narrowing() == &pane.narrowing);
    if unchanged {
        return;
    }
    let mut shown = FilteredLines::new(filter).narrowed(pane.narrowing.clone());
    shown.update(&state.logs);
    pane.scroll = pane.scroll.min(shown.len().saturating_sub(1));
    pane.shown = Some(shown);
}

/// The regex crate explains a syntax error over several lines with a caret under the
/// pattern; a pane title has room for its last line only (`unclosed group`).
fn regex_error_summary(why: &str) -> String {
    let last = why
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(why);
    format!("bad regex: {}", last.trim().trim_start_matches("error: "))
}

/// The picker lists every task and container with lines in the buffer, most lines first,
/// after the choice of every stream.
fn open_stream_picker(state: &mut AppState) {
    let mut counts = vec![0usize; state.logs.streams().count()];
    for (_, stream, _) in state.logs.scan_from(state.logs.first_seq()) {
        if let Some(count) = counts.get_mut(stream) {
            *count += 1;
        }
    }
    let mut streams: Vec<StreamChoice> = state
        .logs
        .streams()
        .zip(counts)
        .filter(|(_, lines)| *lines > 0)
        .map(|(stream, lines)| StreamChoice {
            narrowing: stream_narrowing(stream),
            lines,
        })
        .collect();
    streams.sort_by(|a, b| {
        b.lines
            .cmp(&a.lines)
            .then(a.narrowing.task.cmp(&b.narrowing.task))
    });
    let mut choices = vec![StreamChoice {
        narrowing: Narrowing::default(),
        lines: state.logs.len(),
    }];
    choices.extend(streams);
    let selected = choices
        .iter()
        .position(|c| c.narrowing == state.logs_pane.narrowing)
        .unwrap_or(0);
    state.popup = Some(Popup::StreamPicker { choices, selected });
}

/// The task and container of an awslogs stream name.
fn stream_narrowing(stream: &str) -> Narrowing {
    let container = stream_container(stream);
    Narrowing {
        task: Some(stream_task_id(stream).to_string()),
        container: (!container.is_empty()).then(|| container.to_string()),
    }
}

fn choose_stream(state: &mut AppState, narrowing: Narrowing) {
    state.popup = None;
    state.logs_pane.narrowing = narrowing;
    state.logs_pane.scroll = 0;
    state.logs_pane.follow = true;
    refresh_log_view(state);
}

/// Scrolls the logs to the first line at or after the time typed, and pauses there.
fn jump_to_time(state: &mut AppState, text: &str) -> Result<(), String> {
    let target = parse_jump_time(text, state.now)?;
    // The view is in arrival order, which is time order but for a few lines at the edges
    // of bursts: counting back from the newest finds the first line at the target.
    let after = (0..state.log_view_len())
        .take_while(|&n| {
            state
                .log_line_back(n)
                .is_some_and(|l| l.timestamp >= target)
        })
        .count();
    if after == 0 {
        return Err(format!(
            "no log lines at or after {}",
            crate::ops::logs::iso_timestamp(target)
        ));
    }
    // The line is put at the top of the pane (one row per line assumed), so what happened
    // next is in view.
    let rows = ui::page_rows(state, PaneId::Logs);
    state.logs_pane.scroll = after.saturating_sub(rows);
    state.logs_pane.follow = false;
    Ok(())
}

/// `HH:MM` or `HH:MM:SS` in UTC (as the pane shows times), the latest such time not after
/// `now`; or `-30s`, `-5m`, `-2h` back from `now`.
pub fn parse_jump_time(text: &str, now: Millis) -> Result<Millis, String> {
    let text = text.trim();
    let expected = || format!("{text:?} is not a time: type HH:MM, HH:MM:SS (UTC) or -5m");
    if let Some(ago) = text.strip_prefix('-') {
        let mut chars = ago.chars();
        let unit_ms = match chars.next_back() {
            Some('s') => 1_000,
            Some('m') => 60_000,
            Some('h') => 3_600_000,
            Some('d') => 86_400_000,
            _ => return Err(expected()),
        };
        let amount: u32 = chars.as_str().parse().map_err(|_| expected())?;
        return Ok(now - i64::from(amount).saturating_mul(unit_ms));
    }
    let time = NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .map_err(|_| expected())?;
    let today = chrono::DateTime::from_timestamp_millis(now)
        .ok_or_else(expected)?
        .date_naive()
        .and_time(time)
        .and_utc();
    let at = if today.timestamp_millis() > now {
        today - TimeDelta::days(1)
    } else {
        today
    };
    Ok(at.timestamp_millis())
}

fn focus(state: &mut AppState, pane: PaneId) {
    state.popup = None;
    state.focus = pane;
}

/// Esc undoes the innermost thing: a popup, then a filter, then a drill-down, then zoom.
fn back(state: &mut AppState) {
    // Before a stack is chosen there is nothing behind the picker: leaving it leaves opsdeck.
    if matches!(state.popup, Some(Popup::StackPicker { .. })) && state.stack.service.is_empty() {
        state.should_quit = true;
        return;
    }
    if state.popup.take().is_some() {
        return;
    }
    if state.filters.remove(&state.focus).is_some() {
        reset_selection(state, state.focus);
        refresh_log_view(state);
        return;
    }
    if state.focus == PaneId::Logs && !state.logs_pane.narrowing.is_everything() {
        choose_stream(state, Narrowing::default());
        return;
    }
    if state.focus == PaneId::Ecs && state.ecs_pane.level == EcsLevel::Tasks {
        // A filter typed at this level was over tasks; it was cleared just above.
        state.ecs_pane.level = EcsLevel::Services;
        return;
    }
    state.zoomed = false;
}

fn enter(state: &mut AppState) -> Option<Effect> {
    if let Some(Popup::StackPicker { choices, selected }) = &state.popup {
        let chosen = choices.get(*selected)?.clone();
        open_stack(state, chosen.clone());
        return Some(Effect::OpenStack(chosen));
    }
    if let Some(Popup::StreamPicker { choices, selected }) = &state.popup {
        let chosen = choices.get(*selected).map(|c| c.narrowing.clone());
        choose_stream(state, chosen.unwrap_or_default());
        return None;
    }
    if state.popup.is_some() {
        return None;
    }
    if state.focus == PaneId::Ecs && state.ecs_pane.level == EcsLevel::Services {
        drill_into_service(state);
        return None;
    }
    if let Some((title, lines)) = ui::rows::detail(state, state.focus) {
        state.popup = Some(Popup::Detail {
            title,
            lines,
            scroll: 0,
        });
    }
    None
}

/// Points the dashboard at `stack`, dropping what was loaded for another one.
fn open_stack(state: &mut AppState, stack: StackRef) {
    *state = AppState {
        width: state.width,
        height: state.height,
        now: state.now,
        identity: state.identity.take(),
        ..AppState::new(
            state.backend.clone(),
            stack,
            state.read_only,
            state.logs.capacity(),
        )
    };
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
    match &mut state.popup {
        Some(Popup::Help { scroll } | Popup::Detail { scroll, .. }) => {
            *scroll = if down {
                scroll.saturating_add(by).min(POPUP_SCROLL_MAX)
            } else {
                scroll.saturating_sub(by)
            };
        }
        Some(Popup::StreamPicker { choices, selected }) => {
            *selected = step_within(*selected, by, down, choices.len());
        }
        Some(Popup::StackPicker { choices, selected }) => {
            *selected = step_within(*selected, by, down, choices.len());
        }
        None => {}
    }
}

/// `selected` moved `by` rows within a list of `len`.
fn step_within(selected: usize, by: usize, down: bool, len: usize) -> usize {
    if down {
        selected.saturating_add(by).min(len.saturating_sub(1))
    } else {
        selected.saturating_sub(by)
    }
}

/// Moves a pane's selection; for logs, scrolls through history (up pauses following).
fn move_selection(state: &mut AppState, pane: PaneId, by: usize, down: bool) {
    if pane == PaneId::Logs {
        let max = state.log_view_len().saturating_sub(1);
        let logs = &mut state.logs_pane;
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
            for event in &events {
                state.logs.push(event);
            }
            let arrived = match &mut state.logs_pane.shown {
                Some(shown) => shown.update(&state.logs),
                None => events.len(),
            };
            // A paused view stays on the same lines while new ones arrive below it.
            if !state.logs_pane.follow {
                state.logs_pane.scroll =
                    (state.logs_pane.scroll + arrived).min(state.log_view_len().saturating_sub(1));
            }
            state.logs_at = Some(at);
            state.logs_error = None;
            return;
        }
        FeedData::Metrics(metrics) => {
            state.metrics.data = Some(metrics);
            state.metrics.at = Some(at);
            state.metrics.error = None;
            // Sparklines feed neither the graph nor the selections.
            return;
        }
    }
    rebuild_graph(state);
    clamp_selections(state);
}

/// The graph and the findings follow from the feeds, so they are rebuilt when one changes.
fn rebuild_graph(state: &mut AppState) {
    if let Some(topology) = &state.topology.data {
        state.graph = ops::graph::build(
            topology,
            &state.stack.service,
            state.ecs.data.as_ref(),
            state.targets.data.as_deref(),
            state.rds.data.as_deref(),
        );
        state.findings = ops::findings::findings(
            topology,
            state.targets.data.as_deref().unwrap_or_default(),
            state.ecs.data.as_ref().map_or(&[], |e| e.tasks.as_slice()),
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
        Feed::Metrics => "metrics",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::EcsSnapshot;
    use crate::model::{LogEvent, StackRef};

    fn state() -> AppState {
        AppState::for_tests()
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

    fn logs_from(state: &mut AppState, stream: &str, messages: &[&str], first_ms: i64) {
        let events = messages
            .iter()
            .enumerate()
            .map(|(i, message)| LogEvent {
                event_id: format!("{stream}-{first_ms}-{i}"),
                timestamp: first_ms + i as i64 * 1000,
                ingestion_time: first_ms,
                stream: stream.into(),
                message: (*message).into(),
            })
            .collect();
        update(
            state,
            Action::Loaded {
                data: FeedData::Logs(events),
                at: 1,
            },
        );
    }

    fn type_filter(state: &mut AppState, text: &str) {
        update(state, Action::Run(Command::FocusLogs));
        update(state, Action::Run(Command::Filter));
        for c in text.chars() {
            update(state, Action::Input(c));
        }
    }

    fn shown_messages(state: &AppState) -> Vec<String> {
        state
            .visible_logs()
            .lines()
            .map(|l| l.message.to_string())
            .collect()
    }

    #[test]
    fn regex_and_case_toggles_refilter_and_a_bad_regex_is_reported_not_applied() {
        let mut s = state();
        logs_from(
            &mut s,
            "ecs/umami/abc",
            &["GET /a 500", "get /b 200", "POST /c 502"],
            0,
        );
        type_filter(&mut s, "get");
        assert_eq!(s.log_view_len(), 2, "substring, any case, by default");
        update(&mut s, Action::Run(Command::ToggleCase));
        assert_eq!(shown_messages(&s), ["get /b 200"]);
        update(&mut s, Action::Run(Command::ToggleCase));
        for _ in 0..3 {
            update(&mut s, Action::InputBackspace);
        }
        for c in " 5\\d\\d".chars() {
            update(&mut s, Action::Input(c));
        }
        assert_eq!(
            s.log_view_len(),
            0,
            "a substring: the backslashes are literal"
        );
        update(&mut s, Action::Run(Command::ToggleRegex));
        assert_eq!(shown_messages(&s), ["GET /a 500", "POST /c 502"]);
        update(&mut s, Action::Input('('));
        assert_eq!(
            s.logs_pane.filter_error.as_deref(),
            Some("bad regex: unclosed group")
        );
        assert_eq!(s.log_view_len(), 3, "an invalid regex does not filter");
        update(&mut s, Action::InputBackspace);
        assert_eq!(
            (s.logs_pane.filter_error.clone(), s.log_view_len()),
            (None, 2)
        );
    }

    #[test]
    fn filtered_lines_follow_new_lines_and_keep_a_paused_view_still() {
        let mut s = state();
        logs_from(&mut s, "ecs/umami/abc", &["error 1", "ok", "error 2"], 0);
        type_filter(&mut s, "error");
        update(&mut s, Action::InputCommit);
        update(&mut s, Action::Run(Command::Up));
        assert_eq!(s.logs_pane.scroll, 1);
        logs_from(&mut s, "ecs/umami/abc", &["error 3", "fine"], 10_000);
        assert_eq!(s.log_view_len(), 3);
        assert_eq!(s.logs_pane.scroll, 2, "one matching line arrived below");
    }

    #[test]
    fn jump_times_parse_as_utc_clock_times_or_relative() {
        // 2026-11-22 09:00:00.123 UTC.
        let now = 1_795_338_000_123;
        assert_eq!(parse_jump_time("-5m", now), Ok(now - 300_000));
        assert_eq!(parse_jump_time(" -30s ", now), Ok(now - 30_000));
        assert_eq!(parse_jump_time("08:59", now), Ok(1_795_337_940_000));
        assert_eq!(parse_jump_time("08:59:30", now), Ok(1_795_337_970_000));
        assert_eq!(
            parse_jump_time("09:30", now),
            Ok(1_795_339_800_000 - 86_400_000),
            "a time later than now is yesterday's"
        );
        for bad in ["", "9", "25:00", "-5", "-m", "-5y", "--5m", "12:3x", "-é"] {
            let error = parse_jump_time(bad, now).expect_err(bad);
            assert!(error.contains("HH:MM"), "{bad}: {error}");
        }
    }

    #[test]
    fn jumping_to_a_time_scrolls_there_and_pauses_and_a_bad_time_keeps_the_text() {
        let mut s = state();
        s.height = 24;
        s.width = 80;
        let messages: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
        let refs: Vec<&str> = messages.iter().map(String::as_str).collect();
        // One line a second from 09:00:00.
        logs_from(&mut s, "ecs/umami/abc", &refs, 1_795_338_000_000);
        update(&mut s, Action::Tick(1_795_338_600_000));
        update(&mut s, Action::Run(Command::FocusLogs));

        update(&mut s, Action::Run(Command::JumpToTime));
        for c in "9:0x".chars() {
            update(&mut s, Action::Input(c));
        }
        update(&mut s, Action::InputCommit);
        let input = s.input.clone().expect("the input stays open");
        assert_eq!(input.text, "9:0x");
        assert!(input.error.is_some_and(|e| e.contains("not a time")));
        assert!(s.logs_pane.follow, "nothing changed");

        update(&mut s, Action::InputBackspace);
        for c in "0:30".chars() {
            update(&mut s, Action::Input(c));
        }
        update(&mut s, Action::InputCommit);
        assert_eq!(s.input, None);
        assert!(!s.logs_pane.follow);
        let top = ui::page_rows(&s, PaneId::Logs);
        let at_top = s.log_line_back(s.logs_pane.scroll + top - 1);
        assert_eq!(at_top.map(|l| l.message), Some("line 30"));

        update(&mut s, Action::Run(Command::JumpToTime));
        for c in "-1m".chars() {
            update(&mut s, Action::Input(c));
        }
        update(&mut s, Action::InputCommit);
        assert!(
            s.input
                .as_ref()
                .and_then(|i| i.error.as_deref())
                .is_some_and(|e| e.contains("no log lines at or after")),
            "{:?}",
            s.input
        );
        update(&mut s, Action::InputCancel);
        assert_eq!(s.input, None);
    }

    #[test]
    fn the_stream_picker_lists_tasks_and_narrows_the_pane() {
        let mut s = state();
        logs_from(&mut s, "ecs/web/task-a", &["a1", "a2", "a3"], 0);
        logs_from(&mut s, "ecs/web/task-b", &["b1"], 5_000);
        logs_from(&mut s, "ecs/sidecar/task-a", &["s1", "s2"], 9_000);
        update(&mut s, Action::Run(Command::FocusLogs));
        update(&mut s, Action::Run(Command::ChooseStream));
        let Some(Popup::StreamPicker { choices, selected }) = s.popup.clone() else {
            panic!("picker open: {:?}", s.popup);
        };
        let listed: Vec<(Option<&str>, Option<&str>, usize)> = choices
            .iter()
            .map(|c| {
                (
                    c.narrowing.task.as_deref(),
                    c.narrowing.container.as_deref(),
                    c.lines,
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (None, None, 6),
                (Some("task-a"), Some("web"), 3),
                (Some("task-a"), Some("sidecar"), 2),
                (Some("task-b"), Some("web"), 1),
            ]
        );
        assert_eq!(selected, 0);
        update(&mut s, Action::Run(Command::Down));
        update(&mut s, Action::Run(Command::Down));
        update(&mut s, Action::Run(Command::Enter));
        assert_eq!(s.popup, None);
        assert_eq!(shown_messages(&s), ["s1", "s2"]);

        logs_from(&mut s, "ecs/sidecar/task-a", &["s3"], 20_000);
        logs_from(&mut s, "ecs/web/task-a", &["a4"], 20_000);
        assert_eq!(
            shown_messages(&s),
            ["s1", "s2", "s3"],
            "new lines narrowed too"
        );

        type_filter(&mut s, "3");
        assert_eq!(shown_messages(&s), ["s3"], "filter and narrowing together");
        update(&mut s, Action::InputCommit);
        update(&mut s, Action::Run(Command::Back));
        assert_eq!(s.log_view_len(), 3, "Esc drops the filter first");
        update(&mut s, Action::Run(Command::Back));
        assert_eq!(s.log_view_len(), 8, "then the narrowing");
    }

    #[test]
    fn export_asks_for_the_visible_lines_and_reports_back() {
        let mut s = state();
        update(&mut s, Action::Tick(1_795_338_000_123));
        logs_from(&mut s, "ecs/umami/abc", &["error 1", "ok", "error 2"], 0);
        type_filter(&mut s, "error");
        update(&mut s, Action::InputCommit);
        let Some(Effect::ExportLogs { path, lines }) =
            update(&mut s, Action::Run(Command::ExportLogs))
        else {
            panic!("an export effect");
        };
        assert_eq!(
            path,
            PathBuf::from("./opsdeck-logs-umami-20261122T090000Z.log")
        );
        let exported: Vec<&str> = lines.lines().map(|l| l.message).collect();
        assert_eq!(exported, ["error 1", "error 2"]);
        assert_eq!(lines.len(), 2);

        update(
            &mut s,
            Action::LogsExported {
                path: path.clone(),
                result: Ok(2),
            },
        );
        assert_eq!(
            s.notice.as_deref(),
            Some("exported 2 log lines to ./opsdeck-logs-umami-20261122T090000Z.log")
        );
        update(
            &mut s,
            Action::LogsExported {
                path,
                result: Err("cannot write x: permission denied".into()),
            },
        );
        assert_eq!(
            s.last_error.as_deref(),
            Some("export: cannot write x: permission denied")
        );
    }

    #[test]
    fn toggles_flip_the_pane_modes() {
        let mut s = state();
        update(&mut s, Action::Run(Command::ToggleJson));
        assert!(s.logs_pane.pretty_json);
        update(&mut s, Action::Run(Command::ToggleJson));
        assert!(!s.logs_pane.pretty_json);
        update(&mut s, Action::Run(Command::ToggleRegex));
        update(&mut s, Action::Run(Command::ToggleCase));
        assert!(s.logs_pane.regex && s.logs_pane.case_sensitive);
        assert_eq!(s.logs_pane.shown, None, "no filter typed: nothing to cache");
    }

    fn stack(cluster: &str, service: &str) -> StackRef {
        StackRef {
            name: service.into(),
            region: "eu-west-2".into(),
            cluster: cluster.into(),
            service: service.into(),
        }
    }

    #[test]
    fn choosing_a_stack_opens_it_and_drops_the_old_data() {
        let mut s = state();
        s.stack = stack("", "");
        logs_loaded(&mut s, 0..5);
        s.popup = Some(Popup::StackPicker {
            choices: vec![stack("a", "api"), stack("b", "web")],
            selected: 0,
        });
        update(&mut s, Action::Run(Command::Down));
        update(&mut s, Action::Run(Command::Down));
        let effect = update(&mut s, Action::Run(Command::Enter));
        assert_eq!(effect, Some(Effect::OpenStack(stack("b", "web"))));
        assert_eq!(s.stack, stack("b", "web"));
        assert_eq!((s.popup.clone(), s.logs.len()), (None, 0));
    }

    #[test]
    fn leaving_the_stack_picker_before_choosing_quits() {
        let mut s = state();
        s.stack = stack("", "");
        s.popup = Some(Popup::StackPicker {
            choices: vec![stack("a", "api")],
            selected: 0,
        });
        update(&mut s, Action::Run(Command::Back));
        assert!(s.should_quit);
    }

    #[test]
    fn quit_sets_should_quit() {
        let mut s = state();
        update(&mut s, Action::Run(Command::Quit));
        assert!(s.should_quit);
    }
}
