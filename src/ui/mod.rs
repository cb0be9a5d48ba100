//! Drawing: the dashboard panes, popups and status bar. Render functions only draw.
//!
//! OWNED BY THE UI HELPER: the signatures below are the contract the rest of the app uses.

pub mod rows;
pub mod theme;

use ratatui::Frame;

use crate::app::action::PaneId;
use crate::app::state::AppState;
use crate::config::keymap::Keymap;
pub use theme::Theme;

/// Draws the whole screen for `state`.
pub fn render(frame: &mut Frame, state: &AppState, keymap: &Keymap, theme: &Theme) {
    let _ = (frame, state, keymap, theme);
    unimplemented!()
}

/// Which pane is drawn at a screen cell, for mouse clicks and wheel scrolls.
pub fn pane_at(state: &AppState, column: u16, row: u16) -> Option<PaneId> {
    let _ = (state, column, row);
    unimplemented!()
}

/// How many list rows the pane shows at the current size (for page up/down).
pub fn page_rows(state: &AppState, pane: PaneId) -> usize {
    let _ = (state, pane);
    unimplemented!()
}
