//! Placeholder until the UI branch lands.
use crate::app::action::PaneId;
use crate::app::state::AppState;
pub fn list_len(state: &AppState, pane: PaneId) -> usize {
    let _ = (state, pane);
    0
}
pub fn detail(state: &AppState, pane: PaneId) -> Option<(String, Vec<String>)> {
    let _ = (state, pane);
    None
}
