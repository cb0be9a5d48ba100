//! The ECS service scheduler: rolling deployments, task replacement, circuit breaker, rollback.

use super::ecs::{begin_stop, launch_task, start_rollback};
use super::engine;
use super::world::{StopCause, World, mismatch_description};
use crate::model::{
    DeploymentStatus, RolloutState, ServiceDeploymentStatus, TargetState, TaskStatus,
};

/// One pass of the service scheduler over every service.
pub(crate) fn schedule(world: &mut World) {
    for si in 0..world.services.len() {
        replace_unhealthy(world, si);
        launch_for_primary(world, si);
        drain_old_deployments(world, si);
        trim_primary(world, si);
        settle(world, si);
    }
}

fn service_tasks(world: &World, si: usize) -> Vec<usize> {
    let svc = &world.services[si];
    world
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.cluster_arn == svc.cluster_arn && t.service.as_deref() == Some(&svc.name)
        })
        .map(|(i, _)| i)
        .collect()
}

/// RUNNING and, behind a load balancer, healthy there: what minimumHealthyPercent counts.
fn is_healthy(world: &World, ti: usize) -> bool {
    let t = &world.tasks[ti];
    t.is_alive()
        && t.task.last_status == TaskStatus::Running
        && world
            .elb
            .targets
            .iter()
            .filter(|g| g.task_arn == t.task.arn)
            .all(|g| g.state == TargetState::Healthy)
}

fn replace_unhealthy(world: &mut World, si: usize) {
    for ti in service_tasks(world, si) {
        if !world.tasks[ti].is_alive() {
            continue;
        }
        let Some((group, code)) = engine::failed_health_checks(world, &world.tasks[ti].task.arn)
        else {
            continue;
        };
        let name = world.services[si].name.clone();
        world.push_event(
            si,
            format!(
                "(service {name}) (port 3000) is unhealthy in (target-group {group}) due to (reason {}).",
                mismatch_description(code)
            ),
        );
        begin_stop(
            world,
            ti,
            StopCause::HealthCheck,
            format!("Task failed ELB health checks in (target-group {group})"),
        );
        if let Some(deployment) = world.tasks[ti].deployment().map(str::to_string) {
            record_failure(world, si, &deployment);
        }
    }
}

fn launch_for_primary(world: &mut World, si: usize) {
    let Some(primary) = world.services[si].primary().cloned() else {
        return;
    };
    if primary.rollout_state == RolloutState::Failed {
        return;
    }
    let tasks = service_tasks(world, si);
    let alive = tasks
        .iter()
        .filter(|&&ti| world.tasks[ti].is_alive())
        .count();
    let alive_primary = tasks
        .iter()
        .filter(|&&ti| {
            world.tasks[ti].is_alive() && world.tasks[ti].deployment() == Some(primary.id.as_str())
        })
        .count();
    let desired = world.services[si].desired as usize;
    // maximumPercent 200: old and new together may reach twice the desired count.
    let room = (desired * 2).saturating_sub(alive);
    let wanted = desired.saturating_sub(alive_primary).min(room);
    let started: Vec<String> = (0..wanted)
        .filter_map(|_| launch_task(world, si, &primary.id, &primary.task_definition))
        .collect();
    if started.is_empty() {
        return;
    }
    if let Some(entry) = world.history_of(si, &primary.id)
        && entry.status == ServiceDeploymentStatus::Pending
    {
        entry.status = ServiceDeploymentStatus::InProgress;
    }
    let name = world.services[si].name.clone();
    let list: Vec<String> = started.iter().map(|id| format!("(task {id})")).collect();
    world.push_event(
        si,
        format!(
            "(service {name}) has started {} tasks: {}.",
            started.len(),
            list.join(" ")
        ),
    );
}

/// minimumHealthyPercent 100: an old task stops only once a new one is healthy in its place.
fn drain_old_deployments(world: &mut World, si: usize) {
    let Some(primary_id) = world.services[si].primary().map(|d| d.id.clone()) else {
        return;
    };
    let desired = world.services[si].desired as usize;
    let tasks = service_tasks(world, si);
    let healthy = tasks.iter().filter(|&&ti| is_healthy(world, ti)).count();
    let mut spare = healthy.saturating_sub(desired);
    let old: Vec<usize> = tasks
        .into_iter()
        .filter(|&ti| {
            world.tasks[ti].is_alive() && world.tasks[ti].deployment() != Some(primary_id.as_str())
        })
        .collect();
    let (serving, not_serving): (Vec<usize>, Vec<usize>) =
        old.into_iter().partition(|&ti| is_healthy(world, ti));
    for ti in not_serving {
        stop_for_scaling(world, ti);
    }
    for ti in serving {
        if spare == 0 {
            break;
        }
        spare -= 1;
        stop_for_scaling(world, ti);
    }
}

/// After a scale-in the primary has more tasks than desired: the youngest go first.
fn trim_primary(world: &mut World, si: usize) {
    let Some(primary_id) = world.services[si].primary().map(|d| d.id.clone()) else {
        return;
    };
    let mut mine: Vec<usize> = service_tasks(world, si)
        .into_iter()
        .filter(|&ti| {
            world.tasks[ti].is_alive() && world.tasks[ti].deployment() == Some(primary_id.as_str())
        })
        .collect();
    let desired = world.services[si].desired as usize;
    if mine.len() <= desired {
        return;
    }
    mine.sort_by_key(|&ti| {
        let t = &world.tasks[ti].task;
        (
            t.last_status == TaskStatus::Running,
            std::cmp::Reverse(t.created_at),
        )
    });
    let extra = mine.len() - desired;
    for ti in mine.into_iter().take(extra) {
        stop_for_scaling(world, ti);
    }
}

fn stop_for_scaling(world: &mut World, ti: usize) {
    let deployment = world.tasks[ti].deployment().unwrap_or_default().to_string();
    begin_stop(
        world,
        ti,
        StopCause::Scaling,
        format!("Scaling activity initiated by (deployment {deployment})"),
    );
}

/// Completes the primary once it serves the desired count alone, and says when the service
/// is steady again.
fn settle(world: &mut World, si: usize) {
    let Some(primary) = world.services[si].primary().cloned() else {
        return;
    };
    let tasks = service_tasks(world, si);
    let mine = |ti: &&usize| world.tasks[**ti].deployment() == Some(primary.id.as_str());
    let alive_primary = tasks
        .iter()
        .filter(mine)
        .filter(|&&ti| world.tasks[ti].is_alive())
        .count();
    let healthy_primary = tasks
        .iter()
        .filter(mine)
        .filter(|&&ti| is_healthy(world, ti))
        .count();
    let others_stopped = tasks
        .iter()
        .filter(|ti| !mine(ti))
        .all(|&ti| world.tasks[ti].task.last_status == TaskStatus::Stopped);
    let desired = world.services[si].desired as usize;
    let serving = alive_primary == desired && healthy_primary == desired;
    let name = world.services[si].name.clone();
    if primary.rollout_state == RolloutState::InProgress && serving && others_stopped {
        let now = world.now;
        let svc = &mut world.services[si];
        svc.deployments
            .retain(|d| d.status == DeploymentStatus::Primary);
        if let Some(d) = svc.deployments.first_mut() {
            d.rollout_state = RolloutState::Completed;
            d.rollout_state_reason = Some("ECS deployment completed.".to_string());
            d.updated_at = now;
        }
        world.push_event(
            si,
            format!(
                "(service {name}) (deployment {}) deployment completed.",
                primary.id
            ),
        );
        let id = primary.id.clone();
        if let Some(entry) = world.history_of(si, &id) {
            entry.status = if entry.rollback.as_deref() == Some(id.as_str()) {
                ServiceDeploymentStatus::RollbackSuccessful
            } else {
                ServiceDeploymentStatus::Successful
            };
            entry.finished_at = Some(now);
        }
    }
    let svc = &world.services[si];
    let steady = serving
        && others_stopped
        && svc.deployments.len() == 1
        && svc.deployments[0].rollout_state == RolloutState::Completed
        && tasks.iter().all(|&ti| {
            let t = &world.tasks[ti];
            t.is_alive() || t.task.last_status == TaskStatus::Stopped
        });
    if steady && !svc.steady {
        world.push_event(si, format!("(service {name}) has reached a steady state."));
    }
    world.services[si].steady = steady;
}

/// Counts a failed task against its deployment; trips the circuit breaker at the threshold.
/// Only tasks that fail to start (a pull failure) or fail ELB health checks come here: see
/// `ecs::crash` for why a task that crashes after starting does not.
pub(crate) fn record_failure(world: &mut World, si: usize, deployment: &str) {
    let now = world.now;
    let svc = &mut world.services[si];
    let threshold = breaker_threshold(svc.desired);
    let breaker = svc.circuit_breaker.filter(|cb| cb.enable);
    let Some(d) = svc.deployments.iter_mut().find(|d| d.id == deployment) else {
        return;
    };
    d.failed_tasks += 1;
    d.updated_at = now;
    let trips = breaker.is_some()
        && d.status == DeploymentStatus::Primary
        && d.rollout_state == RolloutState::InProgress
        && d.failed_tasks >= threshold;
    let failures = d.failed_tasks;
    if let Some(entry) = world.history_of(si, deployment)
        && entry.deployment == deployment
        && breaker.is_some()
    {
        entry.circuit_breaker_failures = Some(failures);
    }
    if !trips {
        return;
    }
    let svc = &mut world.services[si];
    if let Some(d) = svc.deployments.iter_mut().find(|d| d.id == deployment) {
        d.rollout_state = RolloutState::Failed;
        d.rollout_state_reason =
            Some("ECS deployment circuit breaker: tasks failed to start.".to_string());
    }
    let name = svc.name.clone();
    let last_good = svc
        .deployments
        .iter()
        .find(|d| d.rollout_state == RolloutState::Completed)
        .map(|d| (d.id.clone(), d.task_definition.clone()));
    world.push_event(
        si,
        format!(
            "(service {name}) (deployment {deployment}) deployment failed: tasks failed to start."
        ),
    );
    let rolls_back = breaker.is_some_and(|b| b.rollback);
    let rolling_back_already = world
        .history_of(si, deployment)
        .is_some_and(|h| h.rollback.as_deref() == Some(deployment));
    if rolling_back_already {
        // The rollback itself failed: ECS gives up and leaves the service as it is.
        if let Some(entry) = world.history_of(si, deployment) {
            entry.status = ServiceDeploymentStatus::RollbackFailed;
            entry.status_reason = Some(
                "The rollback failed: ECS deployment circuit breaker: tasks failed to start."
                    .to_string(),
            );
            entry.finished_at = Some(now);
        }
        return;
    }
    match (last_good, rolls_back) {
        (Some((good_id, good_definition)), true) => {
            world.push_event(
                si,
                format!("(service {name}) rolling back to deployment {good_id}."),
            );
            start_rollback(
                world,
                si,
                deployment,
                good_definition,
                "ECS deployment circuit breaker: tasks failed to start. Rolling back.",
            );
        }
        _ => {
            if let Some(entry) = world.history_of(si, deployment) {
                entry.status = ServiceDeploymentStatus::Stopped;
                entry.status_reason =
                    Some("ECS deployment circuit breaker: tasks failed to start.".to_string());
                entry.finished_at = Some(now);
            }
        }
    }
}

/// Half the desired count, at least 3 and at most 200.
pub(crate) fn breaker_threshold(desired: u32) -> u32 {
    desired.div_ceil(2).clamp(3, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_threshold_is_half_the_desired_count_within_bounds() {
        assert_eq!(breaker_threshold(1), 3);
        assert_eq!(breaker_threshold(2), 3);
        assert_eq!(breaker_threshold(9), 5);
        assert_eq!(breaker_threshold(1000), 200);
    }
}
