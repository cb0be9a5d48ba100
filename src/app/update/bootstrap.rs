//! The bootstrap wizard: moving through the questions, answers checked as they are typed,
//! the name looked up in the account, then the plan, which is the confirmation: `y` applies.

use super::Effect;
use crate::app::action::Command;
use crate::app::screens::bootstrap::{Field, Planned, Refused};
use crate::app::screens::{
    BootstrapStep, BootstrapWizard, Loading, ProvisionKind, ProvisionView, Wizard,
};
use crate::app::state::{AppState, FilterInput, InputKind};
use crate::model::StackRef;
use crate::ops::bootstrap::provision::{Existing, stuck_advice};

/// Plan rows a page key scrolls by.
const PAGE: usize = 10;

/// `b`: the wizard opens on its first question, every answer but the name and image at
/// its default.
pub(super) fn open(state: &mut AppState) {
    state.wizard = Some(Wizard::Bootstrap(Box::default()));
}

pub(super) fn command(state: &mut AppState, command: Command) -> Option<Effect> {
    let focus = state.focus;
    let wizard = wizard_mut(state)?;
    match wizard.step {
        BootstrapStep::Questions(group) => match command {
            Command::Back => match group.prev() {
                Some(prev) => wizard.open_group(prev),
                None => state.wizard = None,
            },
            Command::Up => wizard.selected = wizard.selected.saturating_sub(1),
            Command::Down => {
                let last = wizard.shown_fields(group).len().saturating_sub(1);
                wizard.selected = (wizard.selected + 1).min(last);
            }
            Command::Enter => {
                let field = wizard.selected_field()?;
                if field.options().is_some() {
                    wizard.cycle(field, true);
                } else {
                    // Editing starts from the refused text, to correct it, else the answer.
                    let text = wizard
                        .refused
                        .get(&field)
                        .map_or_else(|| wizard.value(field).to_string(), |r| r.text.clone());
                    let mut input = FilterInput::filter(focus, text);
                    input.kind = InputKind::BootstrapAnswer;
                    state.input = Some(input);
                }
            }
            Command::NextChoice | Command::PrevChoice => {
                let field = wizard.selected_field()?;
                wizard.cycle(field, command == Command::NextChoice);
            }
            Command::NextGroup => match group.next() {
                Some(next) => wizard.open_group(next),
                None => return plan(wizard),
            },
            Command::PrevGroup => {
                if let Some(prev) = group.prev() {
                    wizard.open_group(prev);
                }
            }
            Command::Plan => return plan(wizard),
            _ => {}
        },
        BootstrapStep::Plan { back_to } => match command {
            Command::Back => {
                let discard = match wizard.plan.take() {
                    Some(Loading::Ready(summary)) if !summary.plan.is_empty() => {
                        Some(Effect::DiscardBootstrapPlan(Box::new(summary.plan)))
                    }
                    _ => None,
                };
                wizard.open_group(back_to);
                return discard;
            }
            Command::Enter | Command::Confirm => return apply(state),
            Command::Up => wizard.scroll = wizard.scroll.saturating_sub(1),
            Command::Down => wizard.scroll = wizard.scroll.saturating_add(1),
            Command::PageUp => wizard.scroll = wizard.scroll.saturating_sub(PAGE),
            Command::PageDown => wizard.scroll = wizard.scroll.saturating_add(PAGE),
            _ => {}
        },
    }
    None
}

/// Enter on a typed answer: kept if the answer file's reader takes it, else shown refused
/// under its question. A new name is looked up in the account.
pub(super) fn answer_typed(state: &mut AppState, text: String) -> Option<Effect> {
    let wizard = wizard_mut(state)?;
    let field = wizard.selected_field()?;
    wizard.answer(field, text).ok()?;
    if field != Field::Name {
        return None;
    }
    wizard.name_note = None;
    let name = wizard.value(Field::Name).to_string();
    (!name.is_empty()).then_some(Effect::CheckStackName(name))
}

/// What the account has under the name: a name that cannot be used is refused under it;
/// a stack to update or to follow is noted.
pub(super) fn name_checked(state: &mut AppState, name: &str, result: Result<Existing, String>) {
    let Some(wizard) = wizard_mut(state) else {
        return;
    };
    // The user may have typed another name since.
    if wizard.value(Field::Name) != name {
        return;
    }
    let refuse = |wizard: &mut BootstrapWizard, error: String| {
        wizard.refused.insert(
            Field::Name,
            Refused {
                text: name.to_string(),
                error,
            },
        );
    };
    match result {
        Err(error) => refuse(wizard, error),
        Ok(Existing::Stuck {
            stack,
            first_failure,
        }) => refuse(wizard, stuck_advice(&stack, first_failure.as_ref())),
        Ok(Existing::Ready { stack }) => {
            wizard.name_note = Some(format!(
                "stack {name} exists ({}): the plan updates it to these answers",
                stack.status
            ));
        }
        Ok(Existing::Busy { stack }) => {
            wizard.name_note = Some(format!(
                "CloudFormation is working on stack {name} ({}): the plan step follows it",
                stack.status
            ));
        }
        Ok(Existing::Absent | Existing::Reviewed { .. }) => wizard.name_note = None,
    }
}

/// Checks every answer; the first one to fix is opened with its error, else the plan is
/// asked for.
fn plan(wizard: &mut BootstrapWizard) -> Option<Effect> {
    match wizard.checked() {
        Ok(answers) => {
            wizard.step = BootstrapStep::Plan {
                back_to: wizard.group(),
            };
            wizard.plan = Some(Loading::Waiting);
            wizard.scroll = 0;
            Some(Effect::PlanBootstrap(Box::new(answers)))
        }
        Err((field, error)) => {
            refuse(wizard, field, error);
            None
        }
    }
}

/// Shows an error under the field it names and opens that field; one that names none stays
/// on the plan step.
fn refuse(wizard: &mut BootstrapWizard, field: Option<Field>, error: String) {
    match field {
        Some(field) => {
            let text = wizard
                .refused
                .get(&field)
                .map_or_else(|| wizard.value(field).to_string(), |r| r.text.clone());
            wizard.refused.insert(field, Refused { text, error });
            wizard.select(field);
        }
        None => wizard.plan = Some(Loading::Failed(error)),
    }
}

/// The plan job answered. A plan nobody waits for any more is discarded at once; a stack
/// CloudFormation is working on is followed instead of planned.
pub(super) fn planned(state: &mut AppState, result: Result<Planned, String>) -> Option<Effect> {
    let now = state.now;
    let waiting = wizard_mut(state).is_some_and(|w| {
        matches!(w.step, BootstrapStep::Plan { .. }) && w.plan == Some(Loading::Waiting)
    });
    if !waiting {
        return match result {
            Ok(Planned::Ready(summary)) if !summary.plan.is_empty() => {
                Some(Effect::DiscardBootstrapPlan(Box::new(summary.plan)))
            }
            _ => None,
        };
    }
    let wizard = wizard_mut(state)?;
    match result {
        Ok(Planned::Ready(summary)) => wizard.plan = Some(Loading::Ready(*summary)),
        Ok(Planned::Busy(stack)) => {
            let region = wizard.value(Field::Region).to_string();
            state.wizard = None;
            state.provision = Some(ProvisionView::new(
                ProvisionKind::Reattach,
                new_stack(&stack.name, &region),
                now,
            ));
            return Some(Effect::ReattachBootstrap(stack));
        }
        Err(error) => {
            let field = Field::of_error(&error);
            if let Some(field) = field {
                wizard.plan = None;
                refuse(wizard, Some(field), error);
            } else {
                wizard.plan = Some(Loading::Failed(error));
            }
        }
    }
    None
}

/// `y` on the plan: the change set is executed and followed in the progress view.
fn apply(state: &mut AppState) -> Option<Effect> {
    if state
        .provision
        .as_ref()
        .is_some_and(ProvisionView::is_running)
    {
        state.last_error = Some("a bootstrap or teardown is running: wait for its end".into());
        return None;
    }
    let Some(Wizard::Bootstrap(wizard)) = &state.wizard else {
        return None;
    };
    let Some(Loading::Ready(summary)) = &wizard.plan else {
        return None;
    };
    let (plan, region) = (summary.plan.clone(), summary.region.clone());
    state.provision = Some(ProvisionView::new(
        ProvisionKind::Create,
        new_stack(&plan.stack, &region),
        state.now,
    ));
    state.wizard = None;
    Some(Effect::ApplyBootstrap {
        plan: Box::new(plan),
        region,
    })
}

/// The dashboard's view of a stack bootstrap made: its cluster and service take its name.
fn new_stack(name: &str, region: &str) -> StackRef {
    StackRef {
        name: name.to_string(),
        region: region.to_string(),
        cluster: name.to_string(),
        service: name.to_string(),
    }
}

fn wizard_mut(state: &mut AppState) -> Option<&mut BootstrapWizard> {
    match &mut state.wizard {
        Some(Wizard::Bootstrap(wizard)) => Some(wizard.as_mut()),
        _ => None,
    }
}
