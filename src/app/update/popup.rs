//! Popups: scrolling the help and detail popups, choosing in the stack and stream pickers.

use super::Effect;
use super::logs::choose_stream;
use crate::app::state::{AppState, Popup};
use crate::model::StackRef;

/// Popups are short; this only keeps scrolling from running away.
const POPUP_SCROLL_MAX: usize = 500;

/// Enter in a picker: open the chosen stack, or narrow the logs to the chosen stream.
/// `None` when the open popup is not a picker.
pub(super) fn choose(state: &mut AppState) -> Option<Option<Effect>> {
    match &state.popup {
        Some(Popup::StackPicker { choices, selected }) => {
            let chosen = choices.get(*selected)?.clone();
            open_stack(state, chosen.clone());
            Some(Some(Effect::OpenStack(chosen)))
        }
        Some(Popup::StreamPicker { choices, selected }) => {
            let chosen = choices.get(*selected).map(|c| c.narrowing.clone());
            choose_stream(state, chosen.unwrap_or_default());
            Some(None)
        }
        _ => None,
    }
}

/// Points the dashboard at `stack`, dropping what was loaded for another one.
pub(super) fn open_stack(state: &mut AppState, stack: StackRef) {
    *state = AppState {
        width: state.width,
        height: state.height,
        now: state.now,
        identity: state.identity.take(),
        config_path: state.config_path.take(),
        ..AppState::new(
            state.backend.clone(),
            stack,
            state.read_only,
            state.logs.capacity(),
        )
    };
}

pub(super) fn scroll_popup(state: &mut AppState, by: usize, down: bool) {
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
pub(super) fn step_within(selected: usize, by: usize, down: bool, len: usize) -> usize {
    if down {
        selected.saturating_add(by).min(len.saturating_sub(1))
    } else {
        selected.saturating_sub(by)
    }
}
