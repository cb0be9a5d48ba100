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
    if super::provision::running(state) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::action::Action;
    use crate::app::screens::bootstrap::{Group, PlanSummary};
    use crate::app::update::update;
    use crate::model::ChangeSetKind;
    use crate::ops::bootstrap::Answers;
    use crate::ops::bootstrap::provision::Plan;

    /// What the plan job sends for `answers`: a change set named `opsdeck-1`.
    fn planned(answers: &Answers) -> (Plan, Action) {
        let plan = Plan {
            stack: answers.name.clone(),
            kind: ChangeSetKind::Create,
            change_set: Some("opsdeck-1".into()),
            stack_id: format!(
                "arn:aws:cloudformation:eu-west-2:1:stack/{}/1",
                answers.name
            ),
            changes: Vec::new(),
            edge: None,
        };
        let summary = PlanSummary {
            plan: plan.clone(),
            region: answers.region.clone(),
            resources: Vec::new(),
            notes: Vec::new(),
            cost: crate::ops::bootstrap::estimate_answers(answers).expect("cost"),
        };
        let action = Action::BootstrapPlanned(Box::new(Ok(Planned::Ready(Box::new(summary)))));
        (plan, action)
    }

    fn run(state: &mut AppState, command: Command) -> Option<Effect> {
        update(state, Action::Run(command))
    }

    /// Enter on the selected question, the text typed over the answer, Enter.
    fn answer(state: &mut AppState, text: &str) -> Option<Effect> {
        run(state, Command::Enter);
        if let Some(input) = &mut state.input {
            input.text.clear();
        }
        for c in text.chars() {
            update(state, Action::Input(c));
        }
        update(state, Action::InputCommit)
    }

    fn wizard(state: &AppState) -> &BootstrapWizard {
        match &state.wizard {
            Some(Wizard::Bootstrap(wizard)) => wizard,
            other => panic!("the bootstrap wizard is open: {other:?}"),
        }
    }

    fn opened() -> AppState {
        let mut state = AppState::for_tests();
        run(&mut state, Command::Bootstrap);
        state
    }

    #[test]
    fn a_bad_answer_is_refused_under_its_field_with_the_answer_files_words() {
        let mut state = opened();
        run(&mut state, Command::NextGroup);
        assert_eq!(wizard(&state).selected_field(), Some(Field::Cidr));
        assert_eq!(answer(&mut state, "10.0.0.0/30"), None);
        let refused = &wizard(&state).refused[&Field::Cidr];
        assert_eq!(refused.text, "10.0.0.0/30");
        assert!(refused.error.starts_with("network.cidr: "), "{refused:?}");
        // The accepted answer stays, and planning goes back to the refused one.
        assert_eq!(wizard(&state).value(Field::Cidr), "10.0.0.0/16");
        run(&mut state, Command::Plan);
        assert_eq!(
            wizard(&state).step,
            BootstrapStep::Questions(Group::Network)
        );

        assert_eq!(answer(&mut state, "10.1.0.0/16"), None);
        assert!(wizard(&state).refused.is_empty());
        run(&mut state, Command::Down);
        run(&mut state, Command::Down);
        assert_eq!(wizard(&state).selected_field(), Some(Field::Nat));
    }

    #[test]
    fn a_name_is_looked_up_and_a_used_one_refused() {
        let mut state = opened();
        assert_eq!(
            answer(&mut state, "demo"),
            Some(Effect::CheckStackName("demo".into()))
        );
        update(
            &mut state,
            Action::StackNameChecked {
                name: "demo".into(),
                result: Box::new(Err("name: a CloudFormation stack named demo already \
                                      exists"
                    .into())),
            },
        );
        assert!(wizard(&state).refused.contains_key(&Field::Name));
    }

    #[test]
    fn the_nat_choice_costs_more_per_az_and_switching_it_changes_the_total() {
        let mut state = opened();
        let costs = wizard(&state)
            .costs
            .clone()
            .expect("costs for the defaults");
        let single = costs.nat.iter().find(|(c, _)| c.label() == "single");
        let per_az = costs.nat.iter().find(|(c, _)| c.label() == "per-az");
        let (Some((_, single)), Some((_, per_az))) = (single, per_az) else {
            panic!("both NAT choices are priced: {costs:?}");
        };
        assert!(per_az > single, "{costs:?}");
        assert_eq!(costs.total, *single);
        run(&mut state, Command::NextGroup);
        run(&mut state, Command::Down);
        run(&mut state, Command::Down);
        run(&mut state, Command::NextChoice);
        let after = wizard(&state).costs.clone().expect("costs");
        assert_eq!(wizard(&state).value(Field::Nat), "per-az");
        assert_eq!(after.total, *per_az);
    }

    #[test]
    fn planning_asks_for_the_name_and_image_then_esc_discards_the_plan() {
        let mut state = opened();
        run(&mut state, Command::Plan);
        assert_eq!(wizard(&state).selected_field(), Some(Field::Name));
        answer(&mut state, "demo");
        run(&mut state, Command::Plan);
        assert_eq!(wizard(&state).selected_field(), Some(Field::Image));
        answer(&mut state, "umami");
        let Some(Effect::PlanBootstrap(answers)) = run(&mut state, Command::Plan) else {
            panic!("the plan is asked for");
        };
        assert_eq!(answers.name, "demo");
        let (plan, action) = planned(&answers);
        update(&mut state, action);
        assert_eq!(
            run(&mut state, Command::Back),
            Some(Effect::DiscardBootstrapPlan(Box::new(plan)))
        );
        assert_eq!(
            wizard(&state).step,
            BootstrapStep::Questions(Group::Service)
        );
    }

    #[test]
    fn a_plan_that_arrives_after_esc_is_discarded() {
        let mut state = opened();
        answer(&mut state, "demo");
        run(&mut state, Command::NextGroup);
        run(&mut state, Command::NextGroup);
        answer(&mut state, "umami");
        let Some(Effect::PlanBootstrap(answers)) = run(&mut state, Command::Plan) else {
            panic!("the plan is asked for");
        };
        assert_eq!(run(&mut state, Command::Back), None);
        assert!(wizard(&state).plan.is_none());
        let (plan, action) = planned(&answers);
        assert_eq!(
            update(&mut state, action),
            Some(Effect::DiscardBootstrapPlan(Box::new(plan)))
        );
        assert_eq!(
            wizard(&state).step,
            BootstrapStep::Questions(Group::Service)
        );
    }
}
