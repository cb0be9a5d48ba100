//! The ECS pane: drilling from services into the selected service's tasks, and asking for
//! the values a scale or a task stop needs.

use super::confirm;
use crate::app::action::PaneId;
use crate::app::state::{AppState, EcsLevel, FilterInput, InputKind};
use crate::app::view::rows;

/// Opens the selected service's tasks. The ECS filter applies to the list on screen, so the
/// services filter is dropped and the selection re-pointed at the same service unfiltered.
pub(super) fn drill_into_service(state: &mut AppState) {
    let Some(name) = rows::selected_service(state).map(|s| s.name.clone()) else {
        return;
    };
    state.filters.remove(&PaneId::Ecs);
    state.ecs_pane.service = rows::services(state)
        .iter()
        .position(|s| s.name == name)
        .unwrap_or(0);
    state.ecs_pane.level = EcsLevel::Tasks;
    state.ecs_pane.task = 0;
}

/// `s`: type the desired count (the current one to start from), then confirm.
pub(super) fn ask_scale(state: &mut AppState) {
    let current = state.stack_service().map_or(0, |s| s.desired);
    let mut input = FilterInput::filter(PaneId::Ecs, current.to_string());
    input.kind = InputKind::ScaleCount;
    state.input = Some(input);
}

/// `x` on a task: type why (ECS keeps it as the stopped reason), then confirm.
pub(super) fn ask_stop_task(state: &mut AppState) {
    if state.ecs_pane.level != EcsLevel::Tasks {
        state.notice = Some("open a service's tasks (Enter) and select the task to stop".into());
        return;
    }
    if rows::tasks(state).get(state.ecs_pane.task).is_none() {
        return;
    }
    let mut input = FilterInput::filter(PaneId::Ecs, "stopped from opsdeck");
    input.kind = InputKind::StopReason;
    state.input = Some(input);
}

/// Enter on the desired count: a whole number opens the confirmation; anything else stays
/// for the user to correct.
pub(super) fn scale_typed(state: &mut AppState, input: FilterInput) {
    match input.text.trim().parse::<u32>() {
        Ok(desired) => state.confirm = Some(confirm::scale(state, desired)),
        Err(_) => {
            state.input = Some(FilterInput {
                error: Some(format!(
                    "{:?} is not a desired count: type a whole number (0 stops every task)",
                    input.text
                )),
                ..input
            });
        }
    }
}

pub(super) fn stop_reason_typed(state: &mut AppState, reason: String) {
    let Some(task) = rows::tasks(state)
        .get(state.ecs_pane.task)
        .map(|t| t.arn.clone())
    else {
        return;
    };
    state.confirm = Some(confirm::stop_task(state, task, reason));
}
