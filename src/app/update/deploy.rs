//! The deploy wizard: tag, container, options and summary, then the confirmation.

use super::Effect;
use super::confirm;
use crate::app::action::Command;
use crate::app::screens::deploy::DeployChoices;
use crate::app::screens::{DeployStep, DeployWizard, Loading, Wizard};
use crate::app::state::{AppState, FilterInput, InputKind};
use crate::model::DeploymentController;
use crate::ops::release::{DeployPlan, DeployRequest, WatchOptions};

/// `d` in the ECS pane: the wizard opens at once and fills in as the images arrive.
pub(super) fn open(state: &mut AppState) -> Option<Effect> {
    // Refused here only because nothing could be deployed: the service is not ECS's to roll.
    if let Some(service) = state.stack_service()
        && service.deployment_controller != DeploymentController::Ecs
    {
        state.last_error = Some(format!(
            "deploy: service {} uses the {:?} deployment controller: deploy through that \
             tool, not opsdeck",
            service.name, service.deployment_controller
        ));
        return None;
    }
    state.wizard = Some(Wizard::Deploy(Box::default()));
    Some(Effect::LoadDeployChoices)
}

pub(super) fn choices_loaded(state: &mut AppState, result: Result<DeployChoices, String>) {
    // Start on the container the load balancer targets, as the CLI's default does.
    let targeted = state
        .stack_service()
        .and_then(|s| s.load_balancers.first())
        .map(|lb| lb.container_name.clone());
    let Some(wizard) = wizard_mut(state) else {
        return;
    };
    wizard.choices = result.into();
    if let (Some(name), Some(choices)) = (targeted, wizard.choices.ready()) {
        wizard.container = choices
            .current
            .containers
            .iter()
            .position(|c| c.name == name)
            .unwrap_or(0);
    }
}

pub(super) fn planned(state: &mut AppState, result: Result<DeployPlan, String>) {
    if let Some(wizard) = wizard_mut(state)
        && wizard.step == DeployStep::Summary
    {
        wizard.plan = Some(result.into());
    }
}

pub(super) fn command(state: &mut AppState, command: Command) -> Option<Effect> {
    let (production, focus) = (state.production, state.focus);
    let wizard = wizard_mut(state)?;
    match command {
        Command::Back => match wizard.step {
            DeployStep::Tag => state.wizard = None,
            DeployStep::Container => wizard.step = DeployStep::Tag,
            DeployStep::Summary => {
                wizard.plan = None;
                wizard.step = if wizard.containers().len() > 1 {
                    DeployStep::Container
                } else {
                    DeployStep::Tag
                };
            }
        },
        Command::Enter => match wizard.step {
            DeployStep::Tag => {
                wizard.selected_image()?;
                if wizard.containers().len() > 1 {
                    wizard.step = DeployStep::Container;
                } else {
                    return summary(wizard);
                }
            }
            DeployStep::Container => return summary(wizard),
            DeployStep::Summary => {
                let Some(Loading::Ready(plan)) = &wizard.plan else {
                    return None;
                };
                let options = WatchOptions {
                    rollback_on_failure: wizard.rollback_on_failure,
                    ..WatchOptions::default()
                };
                let dialog = confirm::deploy(plan, &options, production);
                state.confirm = Some(dialog);
            }
        },
        Command::Up => step(wizard, 1, false),
        Command::Down => step(wizard, 1, true),
        Command::PageUp => step(wizard, 10, false),
        Command::PageDown => step(wizard, 10, true),
        Command::Top => step(wizard, usize::MAX, false),
        Command::Bottom => step(wizard, usize::MAX, true),
        Command::Filter if wizard.step == DeployStep::Tag => {
            let mut input = FilterInput::filter(focus, wizard.filter.clone());
            input.kind = InputKind::WizardFilter;
            state.input = Some(input);
        }
        Command::ToggleRollbackOnFailure if wizard.step == DeployStep::Summary => {
            wizard.rollback_on_failure = !wizard.rollback_on_failure;
        }
        Command::ToggleSnapshot if wizard.step == DeployStep::Summary => {
            wizard.snapshot = !wizard.snapshot;
            // The plan names the database to snapshot, so it is asked for again.
            return summary(wizard);
        }
        _ => {}
    }
    None
}

/// The tag filter changed as it was typed.
pub(super) fn filter_typed(state: &mut AppState, text: &str) {
    if let Some(wizard) = wizard_mut(state) {
        wizard.filter = text.to_string();
        wizard.selected = 0;
    }
}

/// Opens the summary and asks for the plan it shows.
fn summary(wizard: &mut DeployWizard) -> Option<Effect> {
    let image = wizard.image_reference()?;
    wizard.step = DeployStep::Summary;
    wizard.plan = Some(Loading::Waiting);
    let several = wizard.containers().len() > 1;
    Some(Effect::PlanDeploy(DeployRequest {
        image,
        container: if several {
            wizard.container_name()
        } else {
            None
        },
        snapshot: wizard.snapshot,
    }))
}

fn step(wizard: &mut DeployWizard, by: usize, down: bool) {
    let (selected, len) = match wizard.step {
        DeployStep::Tag => {
            let len = wizard.shown_images().len();
            (&mut wizard.selected, len)
        }
        DeployStep::Container => {
            let len = wizard.containers().len();
            (&mut wizard.container, len)
        }
        DeployStep::Summary => return,
    };
    *selected = super::popup::step_within(*selected, by, down, len);
}

fn wizard_mut(state: &mut AppState) -> Option<&mut DeployWizard> {
    match &mut state.wizard {
        Some(Wizard::Deploy(wizard)) => Some(wizard.as_mut()),
        _ => None,
    }
}
