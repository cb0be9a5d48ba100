//! The mutating workflows: deploy, rollback, restart (each watched), scale and stop a task,
//! every one of them audited, refusals included.

use super::watch::{Learnt, watch_rollout};
use super::{
    DeployPlan, Outcome, Progress, ProgressSink, ReleaseError, RollbackPlan, Rollout, Scaled,
    Verdict, WatchOptions,
};
use crate::cloud::{Cloud, CloudError};
use crate::model::{
    DeploymentController, Millis, ServiceUpdate, StackRef, arn_name, family_revision,
};
use crate::ops::audit::{Audit, AuditEntry, rfc3339};
use crate::ops::discover;

/// A snapshot of a small database takes minutes; a big one can take an hour.
const SNAPSHOT_TIMEOUT_MS: Millis = 60 * 60 * 1000;
const SNAPSHOT_POLL_MS: Millis = 15_000;

fn target_of(stack: &StackRef) -> String {
    format!("{}/{}", stack.cluster, stack.service)
}

/// Writes the audit line of a refused action: a plan's guard (unknown tag, INACTIVE
/// revision, CODE_DEPLOY) after the user asked, or read-only. Faces call this when a plan
/// fails; the workflows below record their own.
pub async fn record_refusal(
    cloud: &Cloud,
    stack: &StackRef,
    audit: &Audit,
    action: &'static str,
    error: &ReleaseError,
) {
    audit
        .record(
            cloud,
            &stack.region,
            AuditEntry {
                action,
                target: target_of(stack),
                result: format!("refused: {error}"),
                exit_code: Some(super::EXIT_REFUSED),
                ..AuditEntry::default()
            },
        )
        .await;
}

/// `refused: ...` for read-only, `failed: ...` for anything else.
fn failure_result(error: &CloudError) -> (String, u8) {
    match error {
        CloudError::ReadOnly { .. } => (format!("refused: {error}"), super::EXIT_REFUSED),
        _ => (format!("failed: {error}"), super::EXIT_REFUSED),
    }
}

fn verdict_result(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Succeeded => "succeeded".into(),
        Verdict::Failed { reason } => format!("failed: {reason}"),
        Verdict::RolledBack { reason, to } => {
            format!("failed: {reason}; rolled back to {}", family_revision(to))
        }
        Verdict::TimedOut { waited_ms } => {
            format!("timed out after {}s", waited_ms / 1000)
        }
        Verdict::Replaced { by } => format!("replaced by {by}"),
    }
}

/// Points the service at `update` and finds the deployment that created.
async fn update_and_follow(
    cloud: &Cloud,
    stack: &StackRef,
    update: ServiceUpdate,
    previous: &str,
) -> Result<Rollout, CloudError> {
    let before = discover::stack_service(cloud, stack).await?;
    let earlier: Vec<String> = before.deployments.iter().map(|d| d.id.clone()).collect();
    let target = update
        .task_definition
        .clone()
        .unwrap_or_else(|| before.task_definition.clone());
    let started_at = cloud.clock.now();
    let after = cloud
        .ecs
        .update_service(&stack.cluster, &stack.service, update)
        .await?;
    // Ours is the new PRIMARY; moto adds none, and then the watch follows the task definition.
    let deployment_id = after
        .deployments
        .iter()
        .find(|d| {
            d.status == crate::model::DeploymentStatus::Primary
                && !earlier.contains(&d.id)
                && d.task_definition == target
        })
        .map(|d| d.id.clone());
    Ok(Rollout {
        stack: stack.clone(),
        deployment_id,
        task_definition: target,
        previous: previous.to_string(),
        earlier_deployments: earlier,
        started_at,
    })
}

fn started(rollout: &Rollout, sink: ProgressSink<'_>) {
    sink(Progress::Started {
        deployment_id: rollout.deployment_id.clone(),
        task_definition: rollout.task_definition.clone(),
        previous: rollout.previous.clone(),
    });
}

/// Takes the snapshot a plan asks for and waits until it is available.
async fn snapshot(
    cloud: &Cloud,
    plan: &DeployPlan,
    instance: &str,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<(), ReleaseError> {
    let stamp = rfc3339(cloud.clock.now())
        .replace([':', 'T'], "-")
        .trim_end_matches('Z')
        .to_string();
    let service: String = plan
        .stack
        .service
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let id = format!("opsdeck-{service}-{stamp}");
    let entry = |result: String, exit_code: Option<u8>| AuditEntry {
        action: "snapshot",
        target: instance.to_string(),
        before: None,
        after: Some(id.clone()),
        result,
        exit_code,
    };
    if let Err(error) = cloud.rds.create_db_snapshot(instance, &id).await {
        let (result, code) = failure_result(&error);
        audit
            .record(cloud, &plan.stack.region, entry(result, Some(code)))
            .await;
        return Err(error.into());
    }
    sink(Progress::Step {
        message: format!("snapshot {id} of {instance} started"),
    });
    let start = cloud.clock.now();
    let result = loop {
        match cloud.rds.describe_db_snapshot(&id).await {
            Ok(s) if s.status == "available" => break Ok(()),
            Ok(s) if s.status == "failed" || s.status == "error" => {
                break Err(format!("snapshot {id} ended {}", s.status));
            }
            Ok(_) => {}
            Err(error) if error.may_pass() => {}
            Err(error) => break Err(format!("cannot follow snapshot {id}: {error}")),
        }
        if cloud.clock.now() - start >= SNAPSHOT_TIMEOUT_MS {
            break Err(format!(
                "snapshot {id} not available after {} minutes",
                SNAPSHOT_TIMEOUT_MS / 60_000
            ));
        }
        cloud.clock.sleep(SNAPSHOT_POLL_MS).await;
    };
    match result {
        Ok(()) => {
            audit
                .record(
                    cloud,
                    &plan.stack.region,
                    entry("succeeded".into(), Some(0)),
                )
                .await;
            sink(Progress::Step {
                message: format!("snapshot {id} is available"),
            });
            Ok(())
        }
        Err(message) => {
            audit
                .record(
                    cloud,
                    &plan.stack.region,
                    entry(format!("failed: {message}"), Some(super::EXIT_REFUSED)),
                )
                .await;
            Err(ReleaseError::Refused(format!(
                "{message}: nothing was deployed"
            )))
        }
    }
}

/// Snapshot (if planned), new revision, UpdateService: the deploy up to the point where ECS
/// rolls it out. Not audited here.
async fn begin_deploy(
    cloud: &Cloud,
    plan: &DeployPlan,
    sink: ProgressSink<'_>,
) -> Result<Rollout, CloudError> {
    let registered = cloud
        .ecs
        .register_image_revision(&plan.current.arn, &plan.container, &plan.new_image)
        .await?;
    sink(Progress::Step {
        message: format!(
            "registered {}:{} with {} = {}",
            registered.family, registered.revision, plan.container, plan.new_image
        ),
    });
    let rollout = update_and_follow(
        cloud,
        &plan.stack,
        ServiceUpdate {
            task_definition: Some(registered.arn.clone()),
            ..ServiceUpdate::default()
        },
        &plan.current.arn,
    )
    .await?;
    sink(Progress::Step {
        message: format!(
            "service {} updated to {}",
            plan.stack.service,
            family_revision(&registered.arn)
        ),
    });
    started(&rollout, sink);
    Ok(rollout)
}

/// The audit line of a release whose update was refused or failed before any rollout.
async fn record_failed_start(
    cloud: &Cloud,
    stack: &StackRef,
    audit: &Audit,
    action: &'static str,
    (before, after): (&str, &str),
    error: &CloudError,
) {
    let (result, code) = failure_result(error);
    audit
        .record(
            cloud,
            &stack.region,
            AuditEntry {
                action,
                target: target_of(stack),
                before: Some(before.to_string()),
                after: Some(after.to_string()),
                result,
                exit_code: Some(code),
            },
        )
        .await;
}

/// The snapshot when asked for, then the new revision and UpdateService.
async fn launch_deploy(
    cloud: &Cloud,
    plan: &DeployPlan,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<Rollout, ReleaseError> {
    maybe_snapshot(cloud, plan, audit, sink).await?;
    match begin_deploy(cloud, plan, sink).await {
        Ok(rollout) => Ok(rollout),
        Err(error) => {
            let change = (plan.current.arn.as_str(), plan.new_image.as_str());
            record_failed_start(cloud, &plan.stack, audit, "deploy", change, &error).await;
            Err(error.into())
        }
    }
}

async fn maybe_snapshot(
    cloud: &Cloud,
    plan: &DeployPlan,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<(), ReleaseError> {
    match &plan.snapshot_of {
        Some(instance) => snapshot(cloud, plan, instance, audit, sink).await,
        None => Ok(()),
    }
}

/// Starts a deploy and returns once UpdateService accepted it (the CLI without `--wait`).
/// Audited as `started`.
pub async fn start_deploy(
    cloud: &Cloud,
    plan: &DeployPlan,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<Rollout, ReleaseError> {
    let rollout = launch_deploy(cloud, plan, audit, sink).await?;
    finish_started(cloud, &rollout, "deploy", audit).await;
    Ok(rollout)
}

/// Deploys the plan's image and watches the rollout to its verdict; with
/// `rollback_on_failure`, a failure is rolled back and that is watched too. Audited once,
/// with the verdict.
pub async fn deploy(
    cloud: &Cloud,
    plan: &DeployPlan,
    options: &WatchOptions,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<Outcome, ReleaseError> {
    let rollout = launch_deploy(cloud, plan, audit, sink).await?;
    let (mut outcome, learnt) = watch_rollout(cloud, &rollout, options, sink).await;
    if options.rollback_on_failure
        && learnt.failure_seen
        && let Verdict::Failed { reason } = &outcome.verdict
    {
        outcome.verdict = roll_back_failed(cloud, &rollout, reason, &learnt, options, sink).await;
    }
    finish(cloud, &rollout, "deploy", &outcome, audit).await;
    Ok(outcome)
}

async fn finish(
    cloud: &Cloud,
    rollout: &Rollout,
    action: &'static str,
    outcome: &Outcome,
    audit: &Audit,
) {
    audit
        .record(
            cloud,
            &rollout.stack.region,
            AuditEntry {
                action,
                target: target_of(&rollout.stack),
                before: Some(rollout.previous.clone()),
                after: Some(rollout.task_definition.clone()),
                result: verdict_result(&outcome.verdict),
                exit_code: Some(outcome.verdict.exit_code()),
            },
        )
        .await;
}

/// `--rollback-on-failure`: only a failure proven (rollout FAILED, crash loop) is rolled
/// back. A timeout proves nothing, and a replaced deployment belongs to someone else now;
/// ECS's own rollback is followed by the watch, not repeated.
async fn roll_back_failed(
    cloud: &Cloud,
    rollout: &Rollout,
    reason: &str,
    learnt: &Learnt,
    options: &WatchOptions,
    sink: ProgressSink<'_>,
) -> Verdict {
    let failed = |why: String| Verdict::Failed {
        reason: format!("{reason}; {why}"),
    };
    let mut back = None;
    if let Some(arn) = &learnt.service_deployment_arn {
        match cloud.ecs.stop_service_deployment(arn, true).await {
            Ok(()) => {
                sink(Progress::RollingBack {
                    to: rollout.previous.clone(),
                    how: format!("ECS rollback of {arn} (StopServiceDeployment, ROLLBACK)"),
                });
                let mut earlier = learnt.deployment_ids.clone();
                earlier.extend(rollout.deployment_id.clone());
                back = Some(Rollout {
                    stack: rollout.stack.clone(),
                    deployment_id: None,
                    task_definition: rollout.previous.clone(),
                    previous: rollout.task_definition.clone(),
                    earlier_deployments: earlier,
                    started_at: cloud.clock.now(),
                });
            }
            Err(CloudError::Unsupported { .. } | CloudError::AccessDenied { .. }) => {}
            Err(error) => return failed(format!("the rollback could not start: {error}")),
        }
    }
    let back = match back {
        Some(back) => back,
        None => {
            sink(Progress::RollingBack {
                to: rollout.previous.clone(),
                how: format!(
                    "UpdateService back to {}",
                    family_revision(&rollout.previous)
                ),
            });
            let update = ServiceUpdate {
                task_definition: Some(rollout.previous.clone()),
                ..ServiceUpdate::default()
            };
            match update_and_follow(cloud, &rollout.stack, update, &rollout.task_definition).await {
                Ok(back) => back,
                Err(error) => return failed(format!("the rollback could not start: {error}")),
            }
        }
    };
    started(&back, sink);
    let (outcome, _) = watch_rollout(cloud, &back, options, sink).await;
    match outcome.verdict {
        Verdict::Succeeded => Verdict::RolledBack {
            reason: reason.to_string(),
            to: rollout.previous.clone(),
        },
        other => failed(format!(
            "the rollback did not finish: {}",
            verdict_result(&other)
        )),
    }
}

/// Points the service back at the plan's revision; returns once UpdateService accepted it.
pub async fn start_rollback(
    cloud: &Cloud,
    plan: &RollbackPlan,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<Rollout, ReleaseError> {
    let rollout = begin_rollback(cloud, plan, audit, sink).await?;
    finish_started(cloud, &rollout, "rollback", audit).await;
    Ok(rollout)
}

async fn begin_rollback(
    cloud: &Cloud,
    plan: &RollbackPlan,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<Rollout, ReleaseError> {
    let update = ServiceUpdate {
        task_definition: Some(plan.to.arn.clone()),
        ..ServiceUpdate::default()
    };
    match update_and_follow(cloud, &plan.stack, update, &plan.from.arn).await {
        Ok(rollout) => {
            sink(Progress::Step {
                message: format!(
                    "service {} updated to {}",
                    plan.stack.service,
                    family_revision(&plan.to.arn)
                ),
            });
            started(&rollout, sink);
            Ok(rollout)
        }
        Err(error) => {
            let change = (plan.from.arn.as_str(), plan.to.arn.as_str());
            record_failed_start(cloud, &plan.stack, audit, "rollback", change, &error).await;
            Err(error.into())
        }
    }
}

async fn finish_started(cloud: &Cloud, rollout: &Rollout, action: &'static str, audit: &Audit) {
    audit
        .record(
            cloud,
            &rollout.stack.region,
            AuditEntry {
                action,
                target: target_of(&rollout.stack),
                before: Some(rollout.previous.clone()),
                after: Some(rollout.task_definition.clone()),
                result: "started".into(),
                exit_code: Some(0),
            },
        )
        .await;
}

/// Rolls back to the plan's revision and watches that to its verdict. A failed rollback is
/// not rolled back again (that would redeploy the revision being left).
pub async fn rollback(
    cloud: &Cloud,
    plan: &RollbackPlan,
    options: &WatchOptions,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<Outcome, ReleaseError> {
    let rollout = begin_rollback(cloud, plan, audit, sink).await?;
    let (outcome, _) = watch_rollout(cloud, &rollout, options, sink).await;
    finish(cloud, &rollout, "rollback", &outcome, audit).await;
    Ok(outcome)
}

async fn begin_restart(
    cloud: &Cloud,
    stack: &StackRef,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<Rollout, ReleaseError> {
    let service = discover::stack_service(cloud, stack).await?;
    if service.deployment_controller != DeploymentController::Ecs {
        let error = ReleaseError::Refused(format!(
            "service {} uses the {:?} deployment controller: restart it through that controller",
            service.name, service.deployment_controller
        ));
        record_refusal(cloud, stack, audit, "restart", &error).await;
        return Err(error);
    }
    let update = ServiceUpdate {
        force_new_deployment: true,
        ..ServiceUpdate::default()
    };
    match update_and_follow(cloud, stack, update, &service.task_definition).await {
        Ok(rollout) => {
            sink(Progress::Step {
                message: format!("service {} is replacing its tasks", stack.service),
            });
            started(&rollout, sink);
            Ok(rollout)
        }
        Err(error) => {
            let running = service.task_definition.as_str();
            record_failed_start(cloud, stack, audit, "restart", (running, running), &error).await;
            Err(error.into())
        }
    }
}

/// Forces a new deployment of the running revision; returns once ECS accepted it.
pub async fn start_restart(
    cloud: &Cloud,
    stack: &StackRef,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<Rollout, ReleaseError> {
    let rollout = begin_restart(cloud, stack, audit, sink).await?;
    finish_started(cloud, &rollout, "restart", audit).await;
    Ok(rollout)
}

/// Replaces every task with a fresh one of the same revision, watched to its verdict.
pub async fn restart(
    cloud: &Cloud,
    stack: &StackRef,
    options: &WatchOptions,
    audit: &Audit,
    sink: ProgressSink<'_>,
) -> Result<Outcome, ReleaseError> {
    let rollout = begin_restart(cloud, stack, audit, sink).await?;
    let (outcome, _) = watch_rollout(cloud, &rollout, options, sink).await;
    finish(cloud, &rollout, "restart", &outcome, audit).await;
    Ok(outcome)
}

/// Sets the service's desired count. 0 is allowed, with a warning.
pub async fn scale(
    cloud: &Cloud,
    stack: &StackRef,
    desired: u32,
    audit: &Audit,
) -> Result<Scaled, ReleaseError> {
    let service = discover::stack_service(cloud, stack).await?;
    let before = service.desired;
    let warning = (desired == 0).then(|| {
        format!(
            "scaling {} to 0 stops every task: the app is down (the load balancer answers 503) \
             until it is scaled up again",
            stack.service
        )
    });
    let update = ServiceUpdate {
        desired_count: Some(desired),
        ..ServiceUpdate::default()
    };
    let result = cloud
        .ecs
        .update_service(&stack.cluster, &stack.service, update)
        .await;
    let (text, code) = match &result {
        Ok(_) => ("succeeded".to_string(), 0),
        Err(error) => failure_result(error),
    };
    audit
        .record(
            cloud,
            &stack.region,
            AuditEntry {
                action: "scale",
                target: target_of(stack),
                before: Some(before.to_string()),
                after: Some(desired.to_string()),
                result: text,
                exit_code: Some(code),
            },
        )
        .await;
    result?;
    Ok(Scaled {
        before,
        after: desired,
        warning,
    })
}

/// Stops one task of the stack's service (ECS starts a replacement). A task of another
/// service, or none, is refused and named.
pub async fn stop_task(
    cloud: &Cloud,
    stack: &StackRef,
    task: &str,
    reason: &str,
    audit: &Audit,
) -> Result<(), ReleaseError> {
    let task = task.trim();
    let wanted = arn_name(task);
    let described = cloud
        .ecs
        .describe_tasks(&stack.cluster, &[task.to_string()])
        .await?;
    let entry = |result: String, code: u8| AuditEntry {
        action: "stop-task",
        target: format!("{}/{wanted}", stack.cluster),
        before: None,
        after: None,
        result,
        exit_code: Some(code),
    };
    let group = format!("service:{}", stack.service);
    let found = described
        .into_iter()
        .find(|t| t.id == wanted || t.arn == task);
    let refusal = match &found {
        None => Some(format!(
            "no task {wanted} in cluster {}: `opsdeck status` lists the service's tasks",
            stack.cluster
        )),
        Some(t) if t.group != group => Some(format!(
            "task {wanted} belongs to {}, not to service {}: opsdeck stops only the stack's tasks",
            t.group, stack.service
        )),
        Some(_) => None,
    };
    if let Some(refusal) = refusal {
        let error = ReleaseError::Refused(refusal);
        audit
            .record(
                cloud,
                &stack.region,
                entry(format!("refused: {error}"), super::EXIT_REFUSED),
            )
            .await;
        return Err(error);
    }
    let arn = found.map_or_else(|| task.to_string(), |t| t.arn);
    let reason = if reason.trim().is_empty() {
        "Stopped with opsdeck"
    } else {
        reason
    };
    let result = cloud.ecs.stop_task(&stack.cluster, &arn, reason).await;
    let (text, code) = match &result {
        Ok(()) => ("succeeded".to_string(), 0),
        Err(error) => failure_result(error),
    };
    audit.record(cloud, &stack.region, entry(text, code)).await;
    Ok(result?)
}
