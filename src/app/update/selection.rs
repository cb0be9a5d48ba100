//! Each pane's selection: moved by keys and the wheel, kept inside lists that shrink.

use crate::app::action::PaneId;
use crate::app::state::{AppState, EcsLevel};
use crate::app::view::rows;

/// Moves a pane's selection; for logs, scrolls through history (up pauses following).
pub(super) fn move_selection(state: &mut AppState, pane: PaneId, by: usize, down: bool) {
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
    let len = rows::list_len(state, pane);
    let selected = selection_mut(state, pane);
    *selected = if down {
        selected.saturating_add(by).min(len.saturating_sub(1))
    } else {
        selected.saturating_sub(by)
    };
}

pub(super) fn selection_mut(state: &mut AppState, pane: PaneId) -> &mut usize {
    match pane {
        PaneId::Network => &mut state.network_selected,
        PaneId::Ecs => match state.ecs_pane.level {
            EcsLevel::Services => &mut state.ecs_pane.service,
            EcsLevel::Tasks => &mut state.ecs_pane.task,
        },
        PaneId::Targets => &mut state.targets_selected,
        PaneId::Rds => &mut state.rds_selected,
        PaneId::Logs => &mut state.logs_pane.scroll,
        PaneId::Site => &mut state.site_selected,
    }
}

pub(super) fn reset_selection(state: &mut AppState, pane: PaneId) {
    *selection_mut(state, pane) = 0;
}

/// Keeps every selection inside its (possibly shrunk) list.
pub(super) fn clamp_selections(state: &mut AppState) {
    for pane in [
        PaneId::Network,
        PaneId::Ecs,
        PaneId::Targets,
        PaneId::Rds,
        PaneId::Site,
    ] {
        let len = rows::list_len(state, pane);
        let selected = selection_mut(state, pane);
        *selected = (*selected).min(len.saturating_sub(1));
    }
}
