//! The view model: what each pane lists and where it sits on screen. Both `update` and the
//! render functions read it, so the selection always points at what is drawn and the update
//! never asks the view.

pub mod layout;
pub mod rows;
pub mod text;

use ratatui::layout::{Position, Rect};

use crate::app::action::PaneId;
use crate::app::screens::Wizard;
use crate::app::state::{AppState, EcsLevel};
use crate::config::keymap::Layer;

/// Which pane is drawn at a screen cell, for mouse clicks and wheel scrolls.
pub fn pane_at(state: &AppState, column: u16, row: u16) -> Option<PaneId> {
    let dashboard = layout::dashboard(screen(state), zoomed(state), state.has_site())?;
    let cell = Position::new(column, row);
    dashboard
        .panes
        .iter()
        .find(|(_, rect)| rect.contains(cell))
        .map(|(pane, _)| *pane)
}

/// How many list rows the pane shows at the current size (for page up/down).
pub fn page_rows(state: &AppState, pane: PaneId) -> usize {
    let zoom = zoomed(state).filter(|z| *z == pane);
    let Some(rect) =
        layout::dashboard(screen(state), zoom, state.has_site()).and_then(|d| d.pane(pane))
    else {
        return 1;
    };
    // Every pane has a one-cell border; what is inside depends on the pane.
    let inner = rect.height.saturating_sub(2);
    let rows = match pane {
        PaneId::Network | PaneId::Rds | PaneId::Logs | PaneId::Site => inner as usize,
        PaneId::Ecs => {
            let services = rows::services(state).len();
            let tasks = rows::tasks(state);
            let sections = layout::ecs_sections(state, inner as usize, services, &tasks);
            match state.ecs_pane.level {
                EcsLevel::Services => sections.services,
                EcsLevel::Tasks => sections.tasks,
            }
            .saturating_sub(1)
        }
        PaneId::Targets => {
            let groups = rows::groups(state).len();
            let load_balancers = layout::load_balancer_rows(state, inner);
            (inner.saturating_sub(1 + load_balancers) as usize).saturating_sub(groups)
        }
    };
    rows.max(1)
}

/// The layer of the innermost screen under any popup: a confirmation, a wizard, the
/// progress of a bootstrap or release, else the focused pane. The help popup lists its keys.
pub fn screen_layer(state: &AppState) -> Layer {
    if state.confirm.is_some() {
        Layer::Confirm
    } else if let Some(wizard) = &state.wizard {
        match wizard {
            Wizard::Bootstrap(_) => Layer::Bootstrap,
            Wizard::Deploy(_) | Wizard::Rollback(_) => Layer::Wizard,
        }
    } else if state.provision.as_ref().is_some_and(|p| p.shown)
        || state.release.as_ref().is_some_and(|r| r.shown)
    {
        Layer::Watch
    } else {
        layer_of(state.focus)
    }
}

/// The keymap layer whose bindings apply in a pane.
pub fn layer_of(pane: PaneId) -> Layer {
    match pane {
        PaneId::Network => Layer::Network,
        PaneId::Ecs => Layer::Ecs,
        PaneId::Targets => Layer::Targets,
        PaneId::Rds => Layer::Rds,
        PaneId::Logs => Layer::Logs,
        PaneId::Site => Layer::Site,
    }
}

fn screen(state: &AppState) -> Rect {
    Rect::new(0, 0, state.width, state.height)
}

/// The pane drawn over the whole body, if any.
pub fn zoomed(state: &AppState) -> Option<PaneId> {
    state.zoomed.then_some(state.focus)
}
