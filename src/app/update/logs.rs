//! The logs pane: follow and scroll, filter and narrowing, jump to a time, export.

use chrono::{NaiveTime, TimeDelta};

use super::Effect;
use crate::app::action::{Command, PaneId};
use crate::app::state::{AppState, FilterInput, Popup, StreamChoice};
use crate::app::view;
use crate::model::Millis;
use crate::ops::logs::buffer::{stream_container, stream_task_id};
use crate::ops::logs::{FilterError, FilterSpec, FilteredLines, LineFilter, Narrowing};

/// The logs pane's own commands.
pub(super) fn command(state: &mut AppState, command: Command) -> Option<Effect> {
    match command {
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
        _ => {}
    }
    None
}

/// The export finished: say where the lines went, or why none did.
pub(super) fn exported(
    state: &mut AppState,
    path: &std::path::Path,
    result: Result<usize, String>,
) {
    match result {
        Ok(lines) => {
            state.notice = Some(format!("exported {lines} log lines to {}", path.display()));
        }
        Err(error) => state.last_error = Some(format!("export: {error}")),
    }
}

/// Rebuilds the logs pane's cache of shown lines when the filter or narrowing changed:
/// the one full scan of the buffer, done here so that frames never filter.
pub(super) fn refresh_log_view(state: &mut AppState) {
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
pub(super) fn regex_error_summary(why: &str) -> String {
    let last = why
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(why);
    format!("bad regex: {}", last.trim().trim_start_matches("error: "))
}

/// The picker lists every task and container with lines in the buffer, most lines first,
/// after the choice of every stream.
pub(super) fn open_stream_picker(state: &mut AppState) {
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
pub(super) fn stream_narrowing(stream: &str) -> Narrowing {
    let container = stream_container(stream);
    Narrowing {
        task: Some(stream_task_id(stream).to_string()),
        container: (!container.is_empty()).then(|| container.to_string()),
    }
}

pub(super) fn choose_stream(state: &mut AppState, narrowing: Narrowing) {
    state.popup = None;
    state.logs_pane.narrowing = narrowing;
    state.logs_pane.scroll = 0;
    state.logs_pane.follow = true;
    refresh_log_view(state);
}

/// Scrolls the logs to the first line at or after the time typed, and pauses there.
pub(super) fn jump_to_time(state: &mut AppState, text: &str) -> Result<(), String> {
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
    let rows = view::page_rows(state, PaneId::Logs);
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
