//! The rollback picker: move through the revisions, see each one's difference, confirm.

use super::Effect;
use super::confirm;
use crate::app::action::Command;
use crate::app::screens::{Loading, RollbackPicker, Wizard};
use crate::app::state::AppState;
use crate::ops::release::{Revision, RollbackPlan, WatchOptions};

/// `u` in the ECS pane.
pub(super) fn open(state: &mut AppState) -> Option<Effect> {
    state.wizard = Some(Wizard::Rollback(RollbackPicker::default()));
    Some(Effect::LoadRevisions)
}

pub(super) fn revisions_loaded(
    state: &mut AppState,
    result: Result<Vec<Revision>, String>,
) -> Option<Effect> {
    let picker = picker_mut(state)?;
    if let Ok(revisions) = &result {
        picker.selected = RollbackPicker::default_selection(revisions);
    }
    picker.revisions = result.into();
    plan_selected(picker)
}

pub(super) fn planned(state: &mut AppState, revision: u32, result: Result<RollbackPlan, String>) {
    if let Some(picker) = picker_mut(state) {
        picker.plans.insert(revision, result.into());
    }
}

pub(super) fn command(state: &mut AppState, command: Command) -> Option<Effect> {
    let production = state.production;
    let picker = picker_mut(state)?;
    let len = picker.revisions.ready().map_or(0, Vec::len);
    let by = match command {
        Command::Back => {
            state.wizard = None;
            return None;
        }
        Command::Enter => {
            let Some(Loading::Ready(plan)) = picker.selected_plan() else {
                return None;
            };
            let dialog = confirm::rollback(plan, &WatchOptions::default(), production);
            state.confirm = Some(dialog);
            return None;
        }
        Command::Up => Some((1, false)),
        Command::Down => Some((1, true)),
        Command::PageUp => Some((10, false)),
        Command::PageDown => Some((10, true)),
        Command::Top => Some((usize::MAX, false)),
        Command::Bottom => Some((usize::MAX, true)),
        _ => None,
    };
    let (by, down) = by?;
    picker.selected = super::popup::step_within(picker.selected, by, down, len);
    plan_selected(picker)
}

/// Asks for the selected revision's plan unless it is known or on its way.
fn plan_selected(picker: &mut RollbackPicker) -> Option<Effect> {
    let revision = picker.selected_revision()?.revision;
    if picker.plans.contains_key(&revision) {
        return None;
    }
    picker.plans.insert(revision, Loading::Waiting);
    Some(Effect::PlanRollback(revision))
}

fn picker_mut(state: &mut AppState) -> Option<&mut RollbackPicker> {
    match &mut state.wizard {
        Some(Wizard::Rollback(picker)) => Some(picker),
        _ => None,
    }
}
