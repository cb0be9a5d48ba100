//! The ECS pane: drilling from services into the selected service's tasks.

use crate::app::action::PaneId;
use crate::app::state::{AppState, EcsLevel};
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
