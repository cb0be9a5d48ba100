//! Where each pane sits, and how a pane shares its rows out: shared by drawing, mouse
//! hit-testing and paging.

use ratatui::layout::{Constraint, Layout, Rect};

use super::rows;
use crate::app::action::PaneId;
use crate::app::state::{AppState, EcsLevel};
use crate::model::Task;

/// Smallest terminal the dashboard is drawn in; below it a notice says so.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    pub panes: Vec<(PaneId, Rect)>,
    pub status: Rect,
}

impl Dashboard {
    pub fn pane(&self, pane: PaneId) -> Option<Rect> {
        self.panes.iter().find(|(p, _)| *p == pane).map(|(_, r)| *r)
    }
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// The dashboard's panes inside `area`, or `None` when the terminal is too small.
/// `zoomed` draws that one pane over the whole body; `site` shares the middle row with the
/// site pane.
pub fn dashboard(area: Rect, zoomed: Option<PaneId>, site: bool) -> Option<Dashboard> {
    if too_small(area) {
        return None;
    }
    let [body, status] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    if let Some(pane) = zoomed {
        return Some(Dashboard {
            panes: vec![(pane, body)],
            status,
        });
    }
    let [top, middle, bottom] = Layout::vertical([
        Constraint::Percentage(44),
        Constraint::Percentage(30),
        Constraint::Fill(1),
    ])
    .areas(body);
    let columns = Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]);
    let [network, ecs] = columns.areas(top);
    let mut panes = vec![(PaneId::Network, network), (PaneId::Ecs, ecs)];
    if site {
        let [targets, rds, site] = Layout::horizontal([
            Constraint::Percentage(38),
            Constraint::Percentage(30),
            Constraint::Fill(1),
        ])
        .areas(middle);
        panes.extend([
            (PaneId::Targets, targets),
            (PaneId::Rds, rds),
            (PaneId::Site, site),
        ]);
    } else {
        let [targets, rds] = columns.areas(middle);
        panes.extend([(PaneId::Targets, targets), (PaneId::Rds, rds)]);
    }
    panes.push((PaneId::Logs, bottom));
    Some(Dashboard { panes, status })
}

/// The first `rows` items to show so that `selected` stays in view.
pub fn scroll_window(selected: usize, len: usize, rows: usize) -> std::ops::Range<usize> {
    if rows == 0 || len == 0 {
        return 0..0;
    }
    let start = selected.min(len - 1).saturating_sub(rows - 1);
    start..(start + rows).min(len)
}

// --- inside the panes ------------------------------------------------------------------

/// Rows given to each section, after the pane's own needs are ranked.
#[derive(Debug, Default, Clone, Copy)]
pub struct EcsSections {
    pub services: usize,
    /// The selected service's CPU and memory sparklines.
    pub metrics: usize,
    pub deployments: usize,
    pub tasks: usize,
    pub events: usize,
}

/// Shares the pane's rows out: the list being browsed first, then the rest by usefulness.
pub fn ecs_sections(
    state: &AppState,
    height: usize,
    services: usize,
    tasks: &[&Task],
) -> EcsSections {
    let deployments = rows::selected_service(state).map_or(0, |s| s.deployments.len());
    let events = rows::selected_service(state).map_or(0, |s| s.events.len());
    let metrics = usize::from(rows::selected_service(state).is_some_and(|s| {
        let (cpu, memory) = rows::service_metrics(state, s);
        cpu.is_some() || memory.is_some()
    }));
    let mut left = height;
    let mut give = |wanted: usize, least: usize| -> usize {
        let rows = wanted.min(left);
        if rows < least {
            return 0;
        }
        left -= rows;
        rows
    };
    let mut s = EcsSections::default();
    // Deployments come before tasks: during a rollout they are what the user is watching,
    // and there are rarely more than three of them.
    match state.ecs_pane.level {
        EcsLevel::Services => {
            s.services = give(1 + services.max(1), 2);
            s.metrics = give(metrics, 1);
            s.deployments = give(1 + deployments.min(3), 2);
            s.tasks = give(1 + tasks.len().max(1), 2);
        }
        EcsLevel::Tasks => {
            s.services = give(1 + services.clamp(1, 2), 2);
            s.metrics = give(metrics, 1);
            s.deployments = give(1 + deployments.min(3), 2);
            s.tasks = give(1 + tasks.len().max(1), 2);
        }
    }
    s.events = give(1 + events, 2);
    // Leftover rows go to a section that has more to show, the browsed list first.
    let browsed_more = match state.ecs_pane.level {
        EcsLevel::Services => s.services > 0 && s.services < 1 + services,
        EcsLevel::Tasks => s.tasks > 0 && s.tasks < 1 + tasks.len(),
    };
    if browsed_more {
        match state.ecs_pane.level {
            EcsLevel::Services => s.services += left,
            EcsLevel::Tasks => s.tasks += left,
        }
    } else if s.events > 0 && s.events < 1 + events {
        s.events += left;
    }
    s
}

/// How many load balancer lines go above the targets: one per load balancer with series,
/// while at least the table header and two targets still fit under them.
pub fn load_balancer_rows(state: &AppState, height: u16) -> u16 {
    let count = state
        .metrics
        .data
        .as_ref()
        .map_or(0, |m| m.load_balancers().len());
    fit_load_balancers(count, height)
}

pub fn fit_load_balancers(count: usize, height: u16) -> u16 {
    (count as u16).min(height.saturating_sub(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_tile_the_body_at_the_reference_size() {
        let layout = dashboard(Rect::new(0, 0, 120, 40), None, false).unwrap();
        assert_eq!(layout.status, Rect::new(0, 39, 120, 1));
        assert_eq!(layout.pane(PaneId::Network).unwrap().width, 66);
        assert_eq!(layout.panes.len(), 5);
    }

    #[test]
    fn selection_stays_in_view() {
        assert_eq!(scroll_window(0, 10, 3), 0..3);
        assert_eq!(scroll_window(5, 10, 3), 3..6);
        assert_eq!(scroll_window(99, 10, 3), 7..10);
    }
}
