//! Confirmations: what each mutation will change, and the yes (or the typed service name
//! on a production stack) that lets it go.

use super::Effect;
use crate::app::action::Command;
use crate::app::screens::{Confirm, Job, ProvisionKind, ReleaseKind, ReleaseWatch};
use crate::app::state::AppState;
use crate::model::family_revision;
use crate::ops::release::{DeployPlan, RollbackPlan, WatchOptions};

/// The text a production stack wants typed: its service name.
pub(super) fn required(production: bool, service: &str) -> Option<String> {
    production.then(|| service.to_string())
}

pub(super) fn deploy(plan: &DeployPlan, options: &WatchOptions, production: bool) -> Confirm {
    let mut lines = vec![
        format!(
            "service:    {} (cluster {})",
            plan.stack.service, plan.stack.cluster
        ),
        format!("container:  {}", plan.container),
        format!("from:       {}", plan.old_image),
        format!("to:         {}", plan.new_image),
    ];
    if let Some(tag) = &plan.tag {
        lines.push(format!("tag:        {tag}"));
    }
    lines.push(format!(
        "on failure: {}",
        if options.rollback_on_failure {
            "roll back"
        } else {
            "stop and report"
        }
    ));
    if let Some(db) = &plan.snapshot_of {
        lines.push(format!("first:      snapshot database {db}"));
    }
    lines.extend(plan.warnings.iter().map(|w| format!("warning:    {w}")));
    Confirm::new(
        format!("Deploy to {}?", plan.stack.service),
        lines,
        Job::Deploy {
            plan: Box::new(plan.clone()),
            options: options.clone(),
        },
        required(production, &plan.stack.service),
    )
}

pub(super) fn rollback(plan: &RollbackPlan, options: &WatchOptions, production: bool) -> Confirm {
    let mut lines = vec![
        format!("service: {}", plan.stack.service),
        format!(
            "from:    {}  to: {}",
            family_revision(&plan.from.arn),
            family_revision(&plan.to.arn)
        ),
    ];
    if plan.changes.is_empty() {
        lines.push("no difference in images, environment, secrets, sizes, ports or checks".into());
    }
    lines.extend(
        plan.changes
            .iter()
            .map(|c| format!("  {}: {} → {}", c.field, c.before, c.after)),
    );
    Confirm::new(
        format!(
            "Roll {} back to revision {}?",
            plan.stack.service, plan.to.revision
        ),
        lines,
        Job::Rollback {
            plan: Box::new(plan.clone()),
            options: options.clone(),
        },
        required(production, &plan.stack.service),
    )
}

pub(super) fn restart(state: &AppState) -> Confirm {
    let service = &state.stack.service;
    let running = state
        .stack_service()
        .map(|s| family_revision(&s.task_definition).to_string())
        .unwrap_or_default();
    Confirm::new(
        format!("Restart {service}?"),
        vec![
            format!("a new deployment of {running}: every task is replaced"),
            "old tasks stop once new ones are healthy".into(),
        ],
        Job::Restart {
            options: WatchOptions::default(),
        },
        required(state.production, service),
    )
}

pub(super) fn scale(state: &AppState, desired: u32) -> Confirm {
    let service = &state.stack.service;
    let before = state.stack_service().map_or(0, |s| s.desired);
    let mut lines = vec![format!("desired count: {before} → {desired}")];
    if desired == 0 {
        lines.push("warning: 0 stops every task: the app goes down".into());
    }
    Confirm::new(
        format!("Scale {service}?"),
        lines,
        Job::Scale { desired },
        required(state.production, service),
    )
}

pub(super) fn stop_task(state: &AppState, task: String, reason: String) -> Confirm {
    Confirm::new(
        format!("Stop task {}?", crate::app::view::text::short_id(&task)),
        vec![
            format!("task:   {task}"),
            format!("reason: {reason}"),
            "ECS starts a replacement to keep the desired count".into(),
        ],
        Job::StopTask { task, reason },
        required(state.production, &state.stack.service),
    )
}

/// `T`: deleting a stack always wants its name typed, production or not.
pub(super) fn teardown(state: &AppState) -> Confirm {
    let stack = &state.stack;
    Confirm::new(
        format!("Tear down stack {}?", stack.name),
        vec![
            format!(
                "deletes CloudFormation stack {} in {} and every resource in it",
                stack.name, stack.region
            ),
            "a database with deletion protection has it turned off first".into(),
            "its final snapshot and retained resources are kept and listed at the end".into(),
        ],
        Job::Teardown {
            stack: stack.name.clone(),
            region: stack.region.clone(),
        },
        Some(stack.name.clone()),
    )
}

pub(super) fn command(state: &mut AppState, command: Command) -> Option<Effect> {
    match command {
        Command::Back => {
            state.confirm = None;
            None
        }
        Command::Confirm => accept(state),
        _ => None,
    }
}

/// Typed text in a dialog that wants the service name.
pub(super) fn edit(state: &mut AppState, edit: impl FnOnce(&mut String)) {
    if let Some(confirm) = &mut state.confirm {
        edit(&mut confirm.typed);
        confirm.error = None;
    }
}

/// Yes: the job goes to the workers; a watched one opens the progress view.
pub(super) fn accept(state: &mut AppState) -> Option<Effect> {
    let confirm = state.confirm.as_mut()?;
    if let Some(wanted) = &confirm.require
        && confirm.typed.trim() != wanted
    {
        confirm.error = Some(format!("type {wanted} to go ahead, or Esc to cancel"));
        return None;
    }
    let job = confirm.job.clone();
    if job.is_watched() && state.release.as_ref().is_some_and(ReleaseWatch::is_running) {
        confirm.error = Some("a release is being watched: wait for its verdict first".into());
        return None;
    }
    let teardown = matches!(job, Job::Teardown { .. });
    if teardown && super::provision::running(state) {
        let confirm = state.confirm.as_mut()?;
        confirm.error = Some("a bootstrap or teardown is running: wait for its end".into());
        return None;
    }
    state.confirm = None;
    state.wizard = None;
    let kind = match &job {
        Job::Deploy { plan, .. } => Some((
            ReleaseKind::Deploy,
            plan.tag.clone().unwrap_or_else(|| plan.new_image.clone()),
        )),
        Job::Rollback { plan, .. } => Some((
            ReleaseKind::Rollback,
            family_revision(&plan.to.arn).to_string(),
        )),
        Job::Restart { .. } => Some((ReleaseKind::Restart, state.stack.service.clone())),
        Job::Scale { .. }
        | Job::StopTask { .. }
        | Job::Teardown { .. }
        | Job::SiteDeploy { .. } => None,
    };
    if let Some((kind, subject)) = kind {
        state.release = Some(ReleaseWatch::new(kind, subject, state.now));
    } else if teardown {
        super::provision::start(state, ProvisionKind::Teardown);
    } else {
        state.notice = Some(format!("{}: asked ECS…", job.verb()));
    }
    Some(Effect::Run(Box::new(job)))
}
