//! Typed text: a pane's filter (applied as it is typed) or a time for the logs to jump to.

use super::logs::{jump_to_time, refresh_log_view};
use super::selection::reset_selection;
use crate::app::state::{AppState, FilterInput, InputKind};

/// Esc while typing: a filter is dropped; a time is abandoned.
pub(super) fn cancel(state: &mut AppState) {
    if let Some(input) = state.input.take()
        && input.kind == InputKind::Filter
    {
        state.filters.remove(&input.pane);
        reset_selection(state, input.pane);
        refresh_log_view(state);
    }
}

/// Edits the text being typed. A filter applies at once; a time waits for Enter.
pub(super) fn edit_input(state: &mut AppState, edit: impl FnOnce(&mut String)) {
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

pub(super) fn commit_input(state: &mut AppState) {
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
