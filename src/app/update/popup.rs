//! Popups: scrolling the help and detail popups, choosing in the stack and stream pickers,
//! and the stack picker's filter and the services listed while it is open.

use super::Effect;
use super::logs::choose_stream;
use crate::app::action::StackListing;
use crate::app::state::{AppState, FilterInput, InputKind, Popup};
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

/// More of the account's services, listed while the stack picker is open. A service the
/// user moved to stays selected as others land above it; untouched, the first row is.
pub(super) fn stacks_listed(state: &mut AppState, listing: StackListing) {
    let Some(Popup::StackPicker { choices, selected }) = &mut state.popup else {
        return;
    };
    match listing {
        StackListing::Found(found) => {
            let current = (*selected > 0).then(|| choices.get(*selected).cloned());
            choices.add(found);
            *selected = current
                .flatten()
                .and_then(|c| choices.row_of(&c))
                .unwrap_or(0);
        }
        StackListing::Done => choices.listing = false,
        StackListing::Failed(error) => {
            choices.listing = false;
            choices.error = Some(error);
        }
    }
}

/// `/` in the stack picker: type a filter over `cluster / service`, applied as typed.
/// `false` when the stack picker is not open.
pub(super) fn start_stack_filter(state: &mut AppState) -> bool {
    let Some(Popup::StackPicker { choices, .. }) = &state.popup else {
        return false;
    };
    state.input = Some(FilterInput {
        text: choices.filter().to_string(),
        kind: InputKind::StackFilter,
        ..FilterInput::filter(state.focus, "")
    });
    true
}

/// The stack picker's filter changed: the first service it keeps is selected.
pub(super) fn stack_filter_typed(state: &mut AppState, text: &str) {
    if let Some(Popup::StackPicker { choices, selected }) = &mut state.popup {
        choices.set_filter(text);
        *selected = 0;
    }
}

/// Esc in the stack picker drops its filter first; `false` when there was none.
pub(super) fn clear_stack_filter(state: &mut AppState) -> bool {
    match &state.popup {
        Some(Popup::StackPicker { choices, .. }) if !choices.filter().is_empty() => {
            stack_filter_typed(state, "");
            true
        }
        _ => false,
    }
}
