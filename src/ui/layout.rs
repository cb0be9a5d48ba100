//! Where each pane sits: one function shared by drawing, mouse hit-testing and paging.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::action::PaneId;

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
/// `zoomed` draws that one pane over the whole body.
pub fn dashboard(area: Rect, zoomed: Option<PaneId>) -> Option<Dashboard> {
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
    let [targets, rds] = columns.areas(middle);
    Some(Dashboard {
        panes: vec![
            (PaneId::Network, network),
            (PaneId::Ecs, ecs),
            (PaneId::Targets, targets),
            (PaneId::Rds, rds),
            (PaneId::Logs, bottom),
        ],
        status,
    })
}

/// The first `rows` items to show so that `selected` stays in view.
pub fn scroll_window(selected: usize, len: usize, rows: usize) -> std::ops::Range<usize> {
    if rows == 0 || len == 0 {
        return 0..0;
    }
    let start = selected.min(len - 1).saturating_sub(rows - 1);
    start..(start + rows).min(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_tile_the_body_at_the_reference_size() {
        let layout = dashboard(Rect::new(0, 0, 120, 40), None).unwrap();
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
