//! Typed text: a pane's filter (applied as it is typed), a time for the logs to jump to, the
//! deploy wizard's tag filter, a desired count, a reason to stop a task, a bootstrap answer;
//! and the name a production confirmation or a teardown wants.

use super::logs::{jump_to_time, refresh_log_view};
use super::selection::reset_selection;
use super::site;
use super::{bootstrap, confirm, deploy, ecs, popup};
use crate::app::state::{AppState, FilterInput, InputKind};

/// Keys go to the confirmation's text when it wants the service name typed.
fn confirm_typing(state: &AppState) -> bool {
    state.confirm.as_ref().is_some_and(|c| c.is_typing())
}

/// Esc while typing: a filter is dropped; anything else is abandoned.
pub(super) fn cancel(state: &mut AppState) {
    if confirm_typing(state) {
        state.confirm = None;
        return;
    }
    let Some(input) = state.input.take() else {
        return;
    };
    match input.kind {
        InputKind::Filter => {
            state.filters.remove(&input.pane);
            reset_selection(state, input.pane);
            refresh_log_view(state);
        }
        InputKind::WizardFilter => deploy::filter_typed(state, ""),
        InputKind::StackFilter => popup::stack_filter_typed(state, ""),
        InputKind::JumpToTime
        | InputKind::ScaleCount
        | InputKind::StopReason
        | InputKind::BootstrapAnswer
        | InputKind::SiteDir => {}
    }
}

/// Edits the text being typed. Filters apply at once; the rest wait for Enter.
pub(super) fn edit_input(state: &mut AppState, edit: impl FnOnce(&mut String)) {
    if confirm_typing(state) {
        confirm::edit(state, edit);
        return;
    }
    let Some(input) = &mut state.input else {
        return;
    };
    edit(&mut input.text);
    input.error = None;
    match input.kind {
        InputKind::Filter => {
            let pane = input.pane;
            reset_selection(state, pane);
            refresh_log_view(state);
        }
        InputKind::WizardFilter => {
            let text = input.text.clone();
            deploy::filter_typed(state, &text);
        }
        InputKind::StackFilter => {
            let text = input.text.clone();
            popup::stack_filter_typed(state, &text);
        }
        InputKind::JumpToTime
        | InputKind::ScaleCount
        | InputKind::StopReason
        | InputKind::BootstrapAnswer
        | InputKind::SiteDir => {}
    }
}

pub(super) fn commit_input(state: &mut AppState) -> Option<super::Effect> {
    if confirm_typing(state) {
        return confirm::accept(state);
    }
    let input = state.input.take()?;
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
        // The filter is already applied; Enter only stops typing.
        InputKind::WizardFilter | InputKind::StackFilter => {}
        InputKind::ScaleCount => ecs::scale_typed(state, input),
        InputKind::StopReason => {
            let reason = input.text.trim();
            let reason = if reason.is_empty() {
                "stopped from opsdeck"
            } else {
                reason
            };
            ecs::stop_reason_typed(state, reason.to_string());
        }
        InputKind::BootstrapAnswer => return bootstrap::answer_typed(state, input.text),
        InputKind::SiteDir => return site::dir_typed(state, input),
    }
    None
}
