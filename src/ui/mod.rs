//! Drawing: the dashboard panes, popups and status bar. Render functions only draw.
//!
//! OWNED BY THE UI HELPER: the signatures below are the contract the rest of the app uses.

mod chrome;
mod ecs;
pub mod layout;
mod logs;
mod network;
mod popup;
mod rds;
pub mod rows;
pub mod spark;
mod status;
mod table;
mod targets;
mod text;
pub mod theme;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Position, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::app::action::PaneId;
use crate::app::state::{AppState, InputKind, Popup};
use crate::config::keymap::{Binding, Keymap, Layer};
pub use popup::help_popup;
pub use theme::Theme;

/// The key bindings the Help popup lists: the focused pane's layer, then the global one.
#[derive(Debug, Clone, Copy, Default)]
pub struct HelpKeys<'a> {
    pub pane: &'a [Binding],
    pub global: &'a [Binding],
}

/// Draws the whole screen for `state`.
pub fn render(frame: &mut Frame, state: &AppState, keymap: &Keymap, theme: &Theme) {
    // Only the help popup needs the keymap; asking for it otherwise would be wasted work.
    let keys = match state.popup {
        Some(Popup::Help { .. }) => HelpKeys {
            pane: keymap.bindings(layer_of(state.focus)),
            global: keymap.bindings(Layer::Global),
        },
        _ => HelpKeys::default(),
    };
    render_with_keys(frame, state, keys, theme);
}

/// `render` with the help bindings given directly, so it can be tested without a keymap.
pub fn render_with_keys(frame: &mut Frame, state: &AppState, keys: HelpKeys, theme: &Theme) {
    let area = frame.area();
    draw(frame.buffer_mut(), area, state, keys, theme);
}

/// Draws the whole screen into a buffer area.
pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, keys: HelpKeys, theme: &Theme) {
    let Some(dashboard) = layout::dashboard(area, zoomed(state)) else {
        too_small_notice(buf, area, theme);
        return;
    };
    for (pane, rect) in &dashboard.panes {
        draw_pane(buf, *rect, state, *pane, theme);
    }
    status::draw(buf, dashboard.status, state, theme);
    match &state.popup {
        Some(Popup::Help { scroll }) => help_popup(
            buf,
            area,
            state.focus,
            keys.pane,
            keys.global,
            *scroll,
            theme,
        ),
        Some(Popup::Detail {
            title,
            lines,
            scroll,
        }) => popup::detail_popup(buf, area, title, lines, *scroll, theme),
        Some(Popup::StreamPicker { choices, selected }) => {
            popup::stream_picker(buf, area, choices, *selected, theme);
        }
        Some(Popup::StackPicker { choices, selected }) => {
            popup::stack_picker(buf, area, choices, *selected, theme);
        }
        None => {}
    }
    if let Some(input) = state
        .input
        .as_ref()
        .filter(|i| i.kind == InputKind::JumpToTime)
    {
        popup::jump_input(buf, area, input, theme);
    }
}

/// Which pane is drawn at a screen cell, for mouse clicks and wheel scrolls.
pub fn pane_at(state: &AppState, column: u16, row: u16) -> Option<PaneId> {
    let dashboard = layout::dashboard(screen(state), zoomed(state))?;
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
    let Some(rect) = layout::dashboard(screen(state), zoom).and_then(|d| d.pane(pane)) else {
        return 1;
    };
    let rows = match pane {
        PaneId::Network => network::page_rows(rect),
        PaneId::Ecs => ecs::page_rows(state, rect),
        PaneId::Targets => targets::page_rows(state, rect),
        PaneId::Rds => rds::page_rows(rect),
        PaneId::Logs => logs::page_rows(rect),
    };
    rows.max(1)
}

/// The keymap layer whose bindings apply in a pane.
pub fn layer_of(pane: PaneId) -> Layer {
    match pane {
        PaneId::Network => Layer::Network,
        PaneId::Ecs => Layer::Ecs,
        PaneId::Targets => Layer::Targets,
        PaneId::Rds => Layer::Rds,
        PaneId::Logs => Layer::Logs,
    }
}

fn screen(state: &AppState) -> Rect {
    Rect::new(0, 0, state.width, state.height)
}

fn zoomed(state: &AppState) -> Option<PaneId> {
    state.zoomed.then_some(state.focus)
}

fn draw_pane(buf: &mut Buffer, area: Rect, state: &AppState, pane: PaneId, theme: &Theme) {
    match pane {
        PaneId::Network => network::draw(buf, area, state, theme),
        PaneId::Ecs => ecs::draw(buf, area, state, theme),
        PaneId::Targets => targets::draw(buf, area, state, theme),
        PaneId::Rds => rds::draw(buf, area, state, theme),
        PaneId::Logs => logs::draw(buf, area, state, theme),
    }
}

fn too_small_notice(buf: &mut Buffer, area: Rect, theme: &Theme) {
    let message = format!(
        "terminal too small: {}x{} (need at least {}x{})",
        area.width,
        area.height,
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT
    );
    let lines = (message.len() as u16).div_ceil(area.width.max(1));
    let notice = area.centered_vertically(Constraint::Length(lines));
    Paragraph::new(Line::styled(message, theme.warning))
        .centered()
        .wrap(Wrap { trim: true })
        .render(notice, buf);
}
