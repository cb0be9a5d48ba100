//! The rollback picker: the family's revisions, the running one marked, and the difference
//! between the running revision and the selected one beside the list.

use std::collections::HashMap;

use super::Loading;
use crate::ops::release::{Revision, RollbackPlan};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RollbackPicker {
    pub revisions: Loading<Vec<Revision>>,
    pub selected: usize,
    /// Plans by revision number, asked for as the selection reaches each one; a refusal
    /// (INACTIVE, the running one) is kept as the reason.
    pub plans: HashMap<u32, Loading<RollbackPlan>>,
}

impl RollbackPicker {
    pub fn selected_revision(&self) -> Option<&Revision> {
        self.revisions.ready()?.get(self.selected)
    }

    pub fn selected_plan(&self) -> Option<&Loading<RollbackPlan>> {
        self.plans.get(&self.selected_revision()?.revision)
    }

    /// Where the picker starts: the newest ACTIVE revision older than the running one,
    /// which is what `opsdeck rollback` with no `--to` picks.
    pub fn default_selection(revisions: &[Revision]) -> usize {
        let running = revisions.iter().find(|r| r.running).map(|r| r.revision);
        revisions
            .iter()
            .position(|r| {
                r.status == crate::model::TaskDefinitionStatus::Active
                    && running.is_none_or(|run| r.revision < run)
            })
            .unwrap_or(0)
    }
}
