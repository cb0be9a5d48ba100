//! The watch every rollout shares (deploy, rollback, restart): poll until our deployment
//! succeeded, failed, was rolled back, was replaced, or the time ran out.
//!
//! "The service is stable" is not success: after ECS rolls back by itself the service is
//! stable on the old revision. Success is our deployment (by id) PRIMARY, COMPLETED, with
//! running == desired and its own tasks healthy in every target group.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Outcome, Progress, ProgressSink, Rollout, TaskFailure, Verdict, WatchOptions, WatchView,
};
use crate::cloud::{Cloud, CloudError, CloudResult, DesiredStatus};
use crate::model::{
    DeploymentStatus, RolloutState, Service, ServiceDeployment, ServiceDeploymentStatus,
    TargetHealth, TargetState, Task, TaskStatus,
};

/// What one poll costs, for the docs and the CLI's `--help`.
pub const POLL_COST: &str = "one poll: ecs:DescribeServices (1 service), ecs:DescribeTasks once \
    for the new deployment's tasks that have not stopped (none before it has any), \
    elbv2:DescribeTargetHealth once per target group of the service; ecs:ListTasks (RUNNING \
    and STOPPED) only when ECS's task counts moved since the last listing, and every 6th \
    poll; where ECS keeps a deployment history, ecs:ListServiceDeployments + \
    ecs:DescribeServiceDeployments until ours is found, then ecs:DescribeServiceDeployments \
    alone";

/// A poll lists the service's tasks when the deployments' counts moved (a task started or
/// stopped) and, in case two changes cancelled out between polls, at least this often.
const LIST_EVERY: u32 = 6;

/// How many history entries are described while looking for ours (newest first).
const HISTORY_LOOKED_AT: usize = 3;

/// Watches a rollout to its verdict. Never returns an error: a watch that cannot see keeps
/// trying until the timeout, and one that is refused outright ends `Failed` (never success).
pub async fn watch(
    cloud: &Cloud,
    rollout: &Rollout,
    options: &WatchOptions,
    sink: ProgressSink<'_>,
) -> Outcome {
    watch_rollout(cloud, rollout, options, sink).await.0
}

/// What a finished watch learnt that a rollback needs.
#[derive(Debug, Clone, Default)]
pub(super) struct Learnt {
    /// Our entry in ECS's deployment history, when it answers.
    pub service_deployment_arn: Option<String>,
    /// Every deployment id the service showed at the last poll.
    pub deployment_ids: Vec<String>,
    /// A `Failed` verdict that the watch saw (rollout FAILED, crash loop), not one it
    /// concluded because it could no longer see: only those are rolled back.
    pub failure_seen: bool,
}

pub(super) async fn watch_rollout(
    cloud: &Cloud,
    rollout: &Rollout,
    options: &WatchOptions,
    sink: ProgressSink<'_>,
) -> (Outcome, Learnt) {
    let mut watcher = Watcher::new(cloud, rollout, options);
    let verdict = watcher.run(sink).await;
    let learnt = Learnt {
        service_deployment_arn: match &watcher.history {
            History::Ours(arn) => Some(arn.clone()),
            _ => None,
        },
        deployment_ids: watcher.deployment_ids.clone(),
        failure_seen: !watcher.lost_sight,
    };
    (watcher.outcome(verdict), learnt)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum History {
    /// Not found yet: list and look for ours.
    Looking,
    Ours(String),
    /// The endpoint has no history (moto, older partitions) or the role may not read it:
    /// fall back to the deployments array, and do not ask again in this watch.
    Unavailable,
}

/// ECS rolling our failed deployment back by itself (circuit breaker with rollback).
#[derive(Debug, Clone)]
struct EcsRollback {
    reason: String,
    deployment: Option<String>,
    task_definition: String,
}

struct Seen {
    service: Service,
    /// Our tasks' targets, per target group of the service.
    targets: Vec<(String, Vec<TargetHealth>)>,
    service_deployment: Option<ServiceDeployment>,
}

impl Seen {
    fn all_targets(&self) -> Vec<TargetHealth> {
        self.targets
            .iter()
            .flat_map(|(_, targets)| targets.iter().cloned())
            .collect()
    }
}

struct Watcher<'a> {
    cloud: &'a Cloud,
    rollout: &'a Rollout,
    options: &'a WatchOptions,
    ours: Option<String>,
    /// Our deployment's tasks, by ARN.
    tasks: BTreeMap<String, Task>,
    /// Tasks of other deployments: never described again.
    others: BTreeSet<String>,
    failures: Vec<TaskFailure>,
    /// Targets of our tasks last seen not healthy, by target id.
    unhealthy: BTreeMap<String, TargetHealth>,
    history: History,
    ecs_rollback: Option<EcsRollback>,
    deployment_ids: Vec<String>,
    last_view: Option<WatchView>,
    /// The watch ended on an error it could not see past, not on a failure it saw.
    lost_sight: bool,
    /// Each deployment's (id, running, pending, failed) when the tasks were last listed.
    listed_counts: Option<Vec<(String, u32, u32, u32)>>,
    polls_since_listing: u32,
}

impl<'a> Watcher<'a> {
    fn new(cloud: &'a Cloud, rollout: &'a Rollout, options: &'a WatchOptions) -> Self {
        Watcher {
            cloud,
            rollout,
            options,
            ours: rollout.deployment_id.clone(),
            tasks: BTreeMap::new(),
            others: BTreeSet::new(),
            failures: Vec::new(),
            unhealthy: BTreeMap::new(),
            history: History::Looking,
            ecs_rollback: None,
            deployment_ids: Vec::new(),
            last_view: None,
            lost_sight: false,
            listed_counts: None,
            polls_since_listing: 0,
        }
    }

    async fn run(&mut self, sink: ProgressSink<'_>) -> Verdict {
        let clock = &self.cloud.clock;
        loop {
            match self.poll().await {
                Ok(seen) => {
                    let verdict = self.judge(&seen);
                    sink(Progress::Poll {
                        view: Box::new(self.view(&seen)),
                    });
                    if let Some(verdict) = verdict {
                        return verdict;
                    }
                }
                Err(error) if error.may_pass() => {
                    let mut view = self.last_view.clone().unwrap_or_else(|| self.empty_view());
                    view.at = clock.now();
                    view.elapsed_ms = view.at - self.rollout.started_at;
                    view.blind = Some(error.to_string());
                    sink(Progress::Poll {
                        view: Box::new(view),
                    });
                }
                Err(error) => {
                    self.lost_sight = true;
                    return Verdict::Failed {
                        reason: format!("cannot follow the deployment: {error}"),
                    };
                }
            }
            let elapsed = clock.now() - self.rollout.started_at;
            if elapsed >= self.options.timeout_ms {
                return Verdict::TimedOut { waited_ms: elapsed };
            }
            let wait = self
                .options
                .poll_ms
                .max(1)
                .min(self.options.timeout_ms - elapsed);
            clock.sleep(wait).await;
        }
    }

    async fn poll(&mut self) -> CloudResult<Seen> {
        let stack = &self.rollout.stack;
        let ecs = &self.cloud.ecs;
        let service = ecs
            .describe_services(&stack.cluster, std::slice::from_ref(&stack.service))
            .await?
            .into_iter()
            .find(|s| s.name == stack.service || s.arn == stack.service)
            .ok_or_else(|| CloudError::NotFound {
                kind: "service",
                name: format!("{} in cluster {}", stack.service, stack.cluster),
                hint: Some("it was deleted during the deployment".into()),
            })?;
        if self.ours.is_none() {
            self.ours = service
                .deployments
                .iter()
                .find(|d| {
                    d.task_definition == self.rollout.task_definition
                        && !self.rollout.earlier_deployments.contains(&d.id)
                })
                .map(|d| d.id.clone());
        }
        self.deployment_ids = service.deployments.iter().map(|d| d.id.clone()).collect();
        // New tasks show in ECS's counts first; a task of ours that stops is seen by
        // describing it. So the task lists are read only when the counts moved.
        let counts: Vec<(String, u32, u32, u32)> = service
            .deployments
            .iter()
            .map(|d| (d.id.clone(), d.running, d.pending, d.failed_tasks))
            .collect();
        let list = self.listed_counts.as_ref() != Some(&counts)
            || self.polls_since_listing + 1 >= LIST_EVERY;
        let live = |tasks: &BTreeMap<String, Task>, arn: &String| {
            tasks
                .get(arn)
                .is_none_or(|t| t.last_status != TaskStatus::Stopped)
        };
        let to_describe: Vec<String> = if list {
            let (running, stopped) = tokio::try_join!(
                ecs.list_tasks(&stack.cluster, Some(&stack.service), DesiredStatus::Running),
                ecs.list_tasks(&stack.cluster, Some(&stack.service), DesiredStatus::Stopped),
            )?;
            self.listed_counts = Some(counts);
            self.polls_since_listing = 0;
            running
                .into_iter()
                .chain(stopped)
                .filter(|arn| !self.others.contains(arn))
                .filter(|arn| live(&self.tasks, arn))
                .collect()
        } else {
            self.polls_since_listing += 1;
            self.tasks
                .keys()
                .filter(|arn| live(&self.tasks, arn))
                .cloned()
                .collect()
        };
        if !to_describe.is_empty() {
            for task in ecs.describe_tasks(&stack.cluster, &to_describe).await? {
                self.sort_task(task);
            }
        }
        let ips: BTreeSet<&str> = self
            .tasks
            .values()
            .filter_map(|t| t.private_ip.as_deref())
            .collect();
        let groups: BTreeSet<&str> = service
            .load_balancers
            .iter()
            .map(|lb| lb.target_group_arn.as_str())
            .collect();
        let mut targets = Vec::new();
        for group in groups {
            let ours: Vec<TargetHealth> = self
                .cloud
                .elb
                .describe_target_health(group)
                .await?
                .into_iter()
                .filter(|t| ips.contains(t.target_id.as_str()))
                .collect();
            targets.push((group.to_string(), ours));
        }
        let service_deployment = self.service_deployment().await?;
        self.note_failures();
        for (_, group) in &targets {
            self.note_targets(group);
        }
        Ok(Seen {
            service,
            targets,
            service_deployment,
        })
    }

    fn sort_task(&mut self, task: Task) {
        let ours = match &self.ours {
            Some(id) => task.started_by.as_deref() == Some(id.as_str()),
            // Without a deployment id (moto) our tasks are those of our task definition
            // started since the update.
            None => {
                task.task_definition == self.rollout.task_definition
                    && task.created_at >= self.rollout.started_at
            }
        };
        if ours {
            self.tasks.insert(task.arn.clone(), task);
        } else if self.ours.is_some() {
            self.others.insert(task.arn);
        }
    }

    async fn service_deployment(&mut self) -> CloudResult<Option<ServiceDeployment>> {
        let ecs = &self.cloud.ecs;
        let stack = &self.rollout.stack;
        let answer = match &self.history {
            History::Unavailable => return Ok(None),
            History::Ours(arn) => ecs
                .describe_service_deployments(std::slice::from_ref(arn))
                .await
                .map(|found| found.into_iter().next()),
            History::Looking => {
                let listed = ecs
                    .list_service_deployments(&stack.cluster, &stack.service)
                    .await;
                match listed {
                    Ok(arns) if arns.is_empty() => Ok(None),
                    Ok(arns) => {
                        let newest: Vec<String> =
                            arns.into_iter().take(HISTORY_LOOKED_AT).collect();
                        ecs.describe_service_deployments(&newest)
                            .await
                            .map(|found| {
                                found.into_iter().find(|d| {
                                    d.target_task_definition.as_deref()
                                        == Some(self.rollout.task_definition.as_str())
                                        && d.created_at.is_none_or(|at| {
                                            // Clocks differ a little between ECS and us.
                                            at >= self.rollout.started_at - 60_000
                                        })
                                })
                            })
                    }
                    Err(error) => Err(error),
                }
            }
        };
        match answer {
            Ok(Some(found)) => {
                self.history = History::Ours(found.arn.clone());
                Ok(Some(found))
            }
            Ok(None) => Ok(None),
            Err(CloudError::Unsupported { .. } | CloudError::AccessDenied { .. }) => {
                self.history = History::Unavailable;
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    fn note_failures(&mut self) {
        for task in self.tasks.values() {
            if self.failures.iter().any(|f| f.task_id == task.id) {
                continue;
            }
            if let Some(failure) = failure_of(task) {
                self.failures.push(failure);
            }
        }
    }

    fn note_targets(&mut self, targets: &[TargetHealth]) {
        for target in targets {
            match target.state {
                TargetState::Healthy => {
                    self.unhealthy.remove(&target.target_id);
                }
                TargetState::Unhealthy | TargetState::Unavailable => {
                    self.unhealthy
                        .insert(target.target_id.clone(), target.clone());
                }
                // Draining after a failed check keeps the reason that mattered.
                _ => {
                    let known_bad = self.unhealthy.get(&target.target_id).is_some_and(|t| {
                        matches!(t.state, TargetState::Unhealthy | TargetState::Unavailable)
                    });
                    if !known_bad {
                        self.unhealthy
                            .insert(target.target_id.clone(), target.clone());
                    }
                }
            }
        }
    }

    /// The verdict of what this poll saw, or `None` to keep watching.
    fn judge(&mut self, seen: &Seen) -> Option<Verdict> {
        let service = &seen.service;
        let rollout = self.rollout;
        let primary = service.primary_deployment();
        let breaker_rolls_back = service
            .circuit_breaker
            .is_some_and(|cb| cb.enable && cb.rollback);
        let ours = self
            .ours
            .as_ref()
            .and_then(|id| service.deployments.iter().find(|d| &d.id == id));

        if let Some(rollback) = self.ecs_rollback.clone() {
            return self.follow_ecs_rollback(&rollback, seen);
        }

        if let Some(sd) = &seen.service_deployment {
            use ServiceDeploymentStatus as S;
            let reason = || {
                sd.status_reason
                    .clone()
                    .or_else(|| ours.and_then(|d| d.rollout_state_reason.clone()))
                    .unwrap_or_else(|| "the deployment failed".into())
            };
            match sd.status {
                S::RollbackFailed => {
                    return Some(Verdict::Failed {
                        reason: format!("{}; ECS's rollback failed", reason()),
                    });
                }
                S::RollbackSuccessful => {
                    return Some(Verdict::RolledBack {
                        reason: reason(),
                        to: sd
                            .source_task_definitions
                            .first()
                            .cloned()
                            .unwrap_or_else(|| rollout.previous.clone()),
                    });
                }
                S::RollbackRequested | S::RollbackInProgress => {
                    self.ecs_rollback = Some(EcsRollback {
                        reason: reason(),
                        deployment: primary
                            .filter(|p| Some(&p.id) != self.ours.as_ref())
                            .map(|p| p.id.clone()),
                        task_definition: sd
                            .source_task_definitions
                            .first()
                            .cloned()
                            .unwrap_or_else(|| rollout.previous.clone()),
                    });
                    return None;
                }
                S::Stopped | S::StopRequested
                    if ours.is_none_or(|d| d.rollout_state != RolloutState::Failed) =>
                {
                    return Some(Verdict::Replaced {
                        by: primary
                            .filter(|p| Some(&p.id) != self.ours.as_ref())
                            .map_or_else(|| "another deployment".into(), |p| p.id.clone()),
                    });
                }
                _ => {}
            }
        }

        match (&self.ours, ours) {
            (Some(_), Some(d)) if d.rollout_state == RolloutState::Failed => {
                let reason = d
                    .rollout_state_reason
                    .clone()
                    .unwrap_or_else(|| "the rollout FAILED".into());
                let successor = primary.filter(|p| p.id != d.id);
                if breaker_rolls_back {
                    // ECS starts its rollback at once; follow it to its end.
                    let rollback = EcsRollback {
                        reason,
                        deployment: successor.map(|p| p.id.clone()),
                        task_definition: successor.map_or_else(
                            || rollout.previous.clone(),
                            |p| p.task_definition.clone(),
                        ),
                    };
                    self.ecs_rollback = Some(rollback.clone());
                    return self.follow_ecs_rollback(&rollback, seen);
                }
                return Some(Verdict::Failed { reason });
            }
            (Some(_), Some(d)) if d.status != DeploymentStatus::Primary => {
                return Some(Verdict::Replaced {
                    by: primary.map_or_else(|| "another deployment".into(), |p| p.id.clone()),
                });
            }
            (Some(id), None) => {
                // Gone from the array: ECS keeps only the PRIMARY once a rollout completes.
                let by = primary.map_or_else(|| "another deployment".into(), |p| p.id.clone());
                if breaker_rolls_back
                    && !self.failures.is_empty()
                    && primary.is_some_and(|p| p.task_definition == rollout.previous)
                {
                    return Some(Verdict::RolledBack {
                        reason: format!(
                            "deployment {id} failed ({} tasks stopped) and ECS rolled it back",
                            self.failures.len()
                        ),
                        to: rollout.previous.clone(),
                    });
                }
                return Some(Verdict::Replaced { by });
            }
            (None, _) if !service.deployments.is_empty() => {
                // Ours is not reported yet (ECS's own rollback deployment appears a moment
                // after StopServiceDeployment): someone else's new PRIMARY replaces it, else wait.
                return primary
                    .filter(|p| {
                        !rollout.earlier_deployments.contains(&p.id)
                            && p.task_definition != rollout.task_definition
                    })
                    .map(|p| Verdict::Replaced { by: p.id.clone() });
            }
            (None, _) if service.task_definition != rollout.task_definition => {
                return Some(Verdict::Replaced {
                    by: service.task_definition.clone(),
                });
            }
            _ => {}
        }

        if self.failures.len() >= self.options.max_task_failures.max(1) as usize {
            return Some(Verdict::Failed {
                reason: self.crash_loop_reason(),
            });
        }

        let done = match ours {
            Some(d) => {
                d.status == DeploymentStatus::Primary
                    && d.rollout_state == RolloutState::Completed
                    && d.running == d.desired
                    && d.pending == 0
                    && self.targets_healthy(service, d.desired, &seen.targets)
            }
            // No deployments reported (moto): the service itself must be there.
            None => {
                service.task_definition == rollout.task_definition
                    && service.running == service.desired
                    && service.pending == 0
                    && self.targets_healthy(service, service.desired, &seen.targets)
            }
        };
        let history_agrees = seen.service_deployment.as_ref().is_none_or(|sd| {
            matches!(
                sd.status,
                ServiceDeploymentStatus::Successful | ServiceDeploymentStatus::InProgress
            )
        });
        (done && history_agrees).then_some(Verdict::Succeeded)
    }

    fn follow_ecs_rollback(&mut self, rollback: &EcsRollback, seen: &Seen) -> Option<Verdict> {
        let service = &seen.service;
        if let Some(sd) = &seen.service_deployment {
            match sd.status {
                ServiceDeploymentStatus::RollbackSuccessful => {
                    return Some(Verdict::RolledBack {
                        reason: rollback.reason.clone(),
                        to: rollback.task_definition.clone(),
                    });
                }
                ServiceDeploymentStatus::RollbackFailed => {
                    return Some(Verdict::Failed {
                        reason: format!("{}; ECS's rollback failed", rollback.reason),
                    });
                }
                _ => {}
            }
        }
        let mut rollback = rollback.clone();
        if rollback.deployment.is_none() {
            rollback.deployment = service
                .primary_deployment()
                .filter(|p| Some(&p.id) != self.ours.as_ref())
                .map(|p| p.id.clone());
            if let Some(p) = service.primary_deployment()
                && rollback.deployment.as_ref() == Some(&p.id)
            {
                rollback.task_definition = p.task_definition.clone();
            }
        }
        self.ecs_rollback = Some(rollback.clone());
        let id = rollback.deployment.as_ref()?;
        match service.deployments.iter().find(|d| &d.id == id) {
            Some(d) if d.rollout_state == RolloutState::Completed && d.running == d.desired => {
                Some(Verdict::RolledBack {
                    reason: rollback.reason.clone(),
                    to: d.task_definition.clone(),
                })
            }
            Some(d) if d.rollout_state == RolloutState::Failed => Some(Verdict::Failed {
                reason: format!(
                    "{}; ECS's rollback failed too: {}",
                    rollback.reason,
                    d.rollout_state_reason
                        .as_deref()
                        .unwrap_or("rollout FAILED")
                ),
            }),
            Some(_) => None,
            None => Some(Verdict::Failed {
                reason: format!(
                    "{}; ECS's rollback {id} was replaced by {}",
                    rollback.reason,
                    service
                        .primary_deployment()
                        .map_or("another deployment", |p| p.id.as_str())
                ),
            }),
        }
    }

    fn crash_loop_reason(&self) -> String {
        let mut reason = format!(
            "crash loop: {} tasks of the new deployment stopped",
            self.failures.len()
        );
        if let Some(last) = self.failures.last() {
            reason.push_str(&format!(" (last: {}", last.reason));
            if let Some(code) = last.exit_code {
                reason.push_str(&format!(", exit code {code}"));
            }
            reason.push(')');
        }
        reason.push_str("; the circuit breaker does not count every such task");
        reason
    }

    /// Each of our running tasks healthy in every target group, and enough of them.
    fn targets_healthy(
        &self,
        service: &Service,
        desired: u32,
        targets: &[(String, Vec<TargetHealth>)],
    ) -> bool {
        if service.load_balancers.is_empty() || desired == 0 {
            return true;
        }
        let running: Vec<&Task> = self
            .tasks
            .values()
            .filter(|t| {
                t.last_status == TaskStatus::Running && t.desired_status == TaskStatus::Running
            })
            .collect();
        if running.len() < desired as usize {
            return false;
        }
        running.iter().all(|task| {
            let Some(ip) = task.private_ip.as_deref() else {
                return false;
            };
            targets.iter().all(|(_, group)| {
                group
                    .iter()
                    .any(|t| t.target_id == ip && t.state == TargetState::Healthy)
            })
        })
    }

    fn view(&mut self, seen: &Seen) -> WatchView {
        let now = self.cloud.clock.now();
        let view = WatchView {
            at: now,
            elapsed_ms: now - self.rollout.started_at,
            deployments: seen.service.deployments.clone(),
            watched: self.ours.clone(),
            tasks: self.tasks.values().cloned().collect(),
            targets: seen.all_targets(),
            events: seen
                .service
                .events
                .iter()
                .filter(|e| e.at >= self.rollout.started_at)
                .cloned()
                .collect(),
            failures: self.failures.clone(),
            service_deployment: seen.service_deployment.as_ref().map(|sd| sd.status),
            blind: None,
        };
        self.last_view = Some(view.clone());
        view
    }

    fn empty_view(&self) -> WatchView {
        WatchView {
            at: self.rollout.started_at,
            elapsed_ms: 0,
            deployments: Vec::new(),
            watched: self.ours.clone(),
            tasks: Vec::new(),
            targets: Vec::new(),
            events: Vec::new(),
            failures: self.failures.clone(),
            service_deployment: None,
            blind: None,
        }
    }

    fn outcome(&self, verdict: Verdict) -> Outcome {
        let unhealthy_targets = if verdict.is_success() {
            Vec::new()
        } else {
            self.unhealthy.values().cloned().collect()
        };
        Outcome {
            verdict,
            deployment_id: self.ours.clone(),
            task_definition: self.rollout.task_definition.clone(),
            previous: self.rollout.previous.clone(),
            failures: self.failures.clone(),
            unhealthy_targets,
        }
    }
}

/// A stopped task of our deployment that counts as a failure: a container exited non-zero,
/// it failed health checks, or it never started. Stops by a person or by scaling do not.
pub(super) fn failure_of(task: &Task) -> Option<TaskFailure> {
    if task.last_status != TaskStatus::Stopped {
        return None;
    }
    let reason = task.stopped_reason.clone().unwrap_or_default();
    if task.stop_code.as_deref() == Some("UserInitiated") || reason.starts_with("Scaling activity")
    {
        return None;
    }
    let crashed = task
        .containers
        .iter()
        .find(|c| c.exit_code.is_some_and(|code| code != 0));
    let failed_checks = reason.contains("failed ELB health checks")
        || reason.contains("failed container health checks");
    let failed_to_start = task.stop_code.as_deref() == Some("TaskFailedToStart")
        || reason.contains("CannotPullContainerError")
        || reason.contains("ResourceInitializationError");
    if crashed.is_none() && !failed_checks && !failed_to_start {
        return None;
    }
    Some(TaskFailure {
        task_id: task.id.clone(),
        reason: if reason.is_empty() {
            "stopped".into()
        } else {
            reason
        },
        exit_code: crashed.and_then(|c| c.exit_code),
        container: crashed.map(|c| c.name.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Container, TaskHealth};

    fn stopped(reason: &str, stop_code: &str, exit: Option<i32>) -> Task {
        Task {
            arn: "arn:aws:ecs:eu-west-2:1:task/umami/abc".into(),
            id: "abc".into(),
            task_definition: "umami:9".into(),
            last_status: TaskStatus::Stopped,
            desired_status: TaskStatus::Stopped,
            health: TaskHealth::Unknown,
            availability_zone: "eu-west-2a".into(),
            subnet_id: None,
            private_ip: Some("10.0.10.5".into()),
            public_ip: None,
            started_by: Some("ecs-svc/1".into()),
            group: "service:umami".into(),
            created_at: 0,
            started_at: Some(1),
            stopped_at: Some(2),
            stopped_reason: Some(reason.into()),
            stop_code: Some(stop_code.into()),
            containers: vec![Container {
                name: "umami".into(),
                last_status: "STOPPED".into(),
                exit_code: exit,
                reason: None,
                image: "umami@sha256:1".into(),
            }],
        }
    }

    #[test]
    fn a_container_that_exits_non_zero_is_a_failure() {
        let failure = failure_of(&stopped(
            "Essential container in task exited",
            "EssentialContainerExited",
            Some(1),
        ))
        .expect("a failure");
        assert_eq!(failure.exit_code, Some(1));
        assert_eq!(failure.container.as_deref(), Some("umami"));
    }

    #[test]
    fn failed_health_checks_and_failed_starts_are_failures() {
        assert!(
            failure_of(&stopped(
                "Task failed ELB health checks in (target-group arn:tg)",
                "ServiceSchedulerInitiated",
                Some(137)
            ))
            .is_some()
        );
        assert!(
            failure_of(&stopped(
                "CannotPullContainerError: not found",
                "TaskFailedToStart",
                None
            ))
            .is_some()
        );
    }

    #[test]
    fn stops_by_people_and_by_scaling_are_not_failures() {
        assert!(failure_of(&stopped("Task stopped by user", "UserInitiated", Some(137))).is_none());
        assert!(
            failure_of(&stopped(
                "Scaling activity initiated by (deployment ecs-svc/1)",
                "ServiceSchedulerInitiated",
                Some(143)
            ))
            .is_none()
        );
        assert!(
            failure_of(&stopped(
                "Essential container in task exited",
                "EssentialContainerExited",
                Some(0)
            ))
            .is_none()
        );
    }
}
