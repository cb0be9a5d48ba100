//! The ECS control plane: task definitions, UpdateService, StopTask, task launches and stops.

use rand::RngExt;

use super::ids;
use super::scheduler;
use super::world::{
    ACCOUNT_ID, Fate, REGION, ScriptedStep, SimDeployment, SimTask, StopCause, Target, World,
};
use crate::cloud::{CloudError, CloudResult};
use crate::model::{
    Container, DeploymentController, DeploymentStatus, Millis, NewTaskDefinition, RolloutState,
    ServiceUpdate, TargetState, Task, TaskDefinition, TaskDefinitionStatus, TaskHealth, TaskStatus,
};

/// Target registration takes a moment before the first health check.
const REGISTRATION: Millis = 3_000;
/// A RUNNING task with no target to drain goes on to STOPPING at the next step.
const STEP_AFTER_DRAIN: Millis = 1_000;

pub(crate) fn ecr_registry() -> String {
    format!("{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com")
}

pub(crate) fn register_task_definition(
    world: &mut World,
    new: NewTaskDefinition,
) -> TaskDefinition {
    let revision = world
        .task_definitions
        .iter()
        .filter(|d| d.family == new.family)
        .map(|d| d.revision)
        .max()
        .unwrap_or(0)
        + 1;
    let definition = TaskDefinition {
        arn: format!(
            "arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task-definition/{}:{revision}",
            new.family
        ),
        family: new.family,
        revision,
        status: TaskDefinitionStatus::Active,
        cpu: new.cpu,
        memory: new.memory,
        containers: new.containers,
        registered_at: world.now,
        tags: Vec::new(),
    };
    world.task_definitions.push(definition.clone());
    definition
}

pub(crate) fn update_service(
    world: &mut World,
    service: usize,
    update: &ServiceUpdate,
) -> CloudResult<()> {
    let rejected = |message: String| CloudError::Rejected {
        operation: "UpdateService".to_string(),
        message,
    };
    let target_definition = match &update.task_definition {
        None => None,
        Some(reference) => {
            let definition = world
                .task_definition(reference)
                .ok_or_else(|| rejected(format!("task definition {reference} does not exist")))?;
            if definition.status == TaskDefinitionStatus::Inactive {
                return Err(rejected(format!(
                    "task definition {}:{} is INACTIVE: only ACTIVE revisions can be deployed",
                    definition.family, definition.revision
                )));
            }
            Some(definition.arn.clone())
        }
    };
    let svc = &mut world.services[service];
    if target_definition.is_some() && svc.deployment_controller != DeploymentController::Ecs {
        return Err(rejected(format!(
            "service {} uses the {:?} deployment controller, which deploys through its own tool",
            svc.name, svc.deployment_controller
        )));
    }
    if let Some(desired) = update.desired_count
        && desired != svc.desired
    {
        svc.desired = desired;
        svc.steady = false;
    }
    let changes_definition = target_definition
        .as_ref()
        .is_some_and(|arn| *arn != svc.task_definition);
    if changes_definition || update.force_new_deployment {
        let definition = target_definition.unwrap_or_else(|| svc.task_definition.clone());
        start_deployment(world, service, definition);
    }
    Ok(())
}

/// Makes a new PRIMARY deployment; the previous ones become ACTIVE and drain.
pub(crate) fn start_deployment(
    world: &mut World,
    service: usize,
    task_definition: String,
) -> String {
    let id = ids::deployment(&mut world.rng);
    let now = world.now;
    let svc = &mut world.services[service];
    for d in &mut svc.deployments {
        if d.status == DeploymentStatus::Primary {
            d.status = DeploymentStatus::Active;
            d.updated_at = now;
        }
    }
    svc.deployments.insert(
        0,
        SimDeployment {
            id: id.clone(),
            status: DeploymentStatus::Primary,
            rollout_state: RolloutState::InProgress,
            rollout_state_reason: Some("ECS deployment in progress.".to_string()),
            task_definition: task_definition.clone(),
            failed_tasks: 0,
            created_at: now,
            updated_at: now,
        },
    );
    svc.task_definition = task_definition;
    svc.steady = false;
    id
}

pub(crate) fn stop_task(
    world: &mut World,
    cluster: &str,
    task: &str,
    reason: &str,
) -> CloudResult<()> {
    let cluster_arn = world.cluster(cluster)?.arn.clone();
    let ti = world
        .tasks
        .iter()
        .position(|t| t.cluster_arn == cluster_arn && (t.task.arn == task || t.task.id == task))
        .ok_or_else(|| CloudError::NotFound {
            kind: "task",
            name: task.to_string(),
            hint: Some("it may have stopped more than an hour ago".to_string()),
        })?;
    let reason = if reason.trim().is_empty() {
        "Task stopped by user"
    } else {
        reason
    };
    begin_stop(world, ti, StopCause::User, reason.to_string());
    Ok(())
}

/// Does what a scenario's script says, as a user would through the API.
pub(crate) fn run_script(world: &mut World) {
    while world.script.first().is_some_and(|(at, _)| *at <= world.now) {
        let (_, step) = world.script.remove(0);
        if let Err(error) = run_step(world, step) {
            tracing::warn!(%error, "sandbox scenario step failed");
        }
    }
}

fn run_step(world: &mut World, step: ScriptedStep) -> CloudResult<()> {
    let ScriptedStep::Deploy {
        cluster,
        service,
        image_tag,
        env,
    } = step;
    let si = world.service_index(&cluster, &service)?;
    let current = world.services[si].task_definition.clone();
    let mut definition = world
        .task_definition(&current)
        .cloned()
        .ok_or(CloudError::NotFound {
            kind: "task definition",
            name: current,
            hint: None,
        })?;
    for container in &mut definition.containers {
        if let Some((repo, _)) = container.image.rsplit_once(':') {
            container.image = format!("{repo}:{image_tag}");
        }
        for (name, value) in &env {
            match container.environment.iter_mut().find(|(n, _)| n == name) {
                Some(entry) => entry.1.clone_from(value),
                None => container.environment.push((name.clone(), value.clone())),
            }
        }
    }
    let registered = register_task_definition(
        world,
        NewTaskDefinition {
            family: definition.family,
            cpu: definition.cpu,
            memory: definition.memory,
            containers: definition.containers,
        },
    );
    update_service(
        world,
        si,
        &ServiceUpdate {
            task_definition: Some(registered.arn),
            ..ServiceUpdate::default()
        },
    )
}

/// Starts a task for a deployment; `None` when its task definition has vanished.
pub(crate) fn launch_task(
    world: &mut World,
    si: usize,
    deployment: &str,
    task_definition: &str,
) -> Option<String> {
    let definition = world.task_definition(task_definition)?.clone();
    let subnet_id = least_used_subnet(world, si)?;
    let subnet = world
        .network
        .subnets
        .iter()
        .find(|s| s.id == subnet_id)?
        .clone();
    let ip = free_ip(world, &subnet.cidr);
    let id = ids::hex(&mut world.rng, 32);
    let svc = &world.services[si];
    let cluster_name = svc.cluster_arn.rsplit('/').next().unwrap_or_default();
    let arn = format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task/{cluster_name}/{id}");
    let fate = Fate {
        missing_image: definition
            .containers
            .iter()
            .find(|c| !image_exists(world, &c.image))
            .map(|c| c.image.clone()),
        fails_health: definition.containers.iter().any(|c| {
            c.environment
                .iter()
                .any(|(k, v)| k == "DATABASE_TYPE" && v != "postgresql")
        }),
    };
    let log_stream = definition.containers.iter().find_map(|c| {
        c.logs.as_ref().map(|l| {
            (
                l.group.clone(),
                format!("{}/{}/{id}", l.stream_prefix, c.name),
            )
        })
    });
    let task = Task {
        arn,
        id: id.clone(),
        task_definition: definition.arn.clone(),
        last_status: TaskStatus::Provisioning,
        desired_status: TaskStatus::Running,
        health: TaskHealth::Unknown,
        availability_zone: subnet.availability_zone.clone(),
        subnet_id: Some(subnet.id.clone()),
        private_ip: Some(ip),
        public_ip: None,
        started_by: Some(deployment.to_string()),
        group: format!("service:{}", svc.name),
        created_at: world.now,
        started_at: None,
        stopped_at: None,
        stopped_reason: None,
        stop_code: None,
        containers: definition
            .containers
            .iter()
            .map(|c| Container {
                name: c.name.clone(),
                last_status: "PENDING".to_string(),
                exit_code: None,
                reason: None,
                image: c.image.clone(),
            })
            .collect(),
    };
    let provisioning = world.rng.random_range(8..=12) * 1000;
    world.tasks.push(SimTask {
        task,
        cluster_arn: svc.cluster_arn.clone(),
        service: Some(svc.name.clone()),
        next_at: world.now + provisioning,
        fate,
        stop_cause: None,
        log_stream,
        next_burst_at: None,
    });
    Some(id)
}

/// Fargate spreads a service's tasks across its subnets' zones.
fn least_used_subnet(world: &World, si: usize) -> Option<String> {
    let svc = &world.services[si];
    svc.network
        .subnets
        .iter()
        .min_by_key(|subnet| {
            world
                .tasks
                .iter()
                .filter(|t| t.is_alive() && t.task.subnet_id.as_deref() == Some(subnet.as_str()))
                .count()
        })
        .cloned()
}

fn free_ip(world: &mut World, cidr: &str) -> String {
    let prefix = cidr
        .split('/')
        .next()
        .and_then(|net| net.rsplit_once('.'))
        .map_or("10.0.10", |(p, _)| p)
        .to_string();
    for _ in 0..64 {
        // AWS reserves the first four addresses and the last of every subnet.
        let ip = format!("{prefix}.{}", world.rng.random_range(4..255));
        let taken = world.tasks.iter().any(|t| {
            t.task.last_status != TaskStatus::Stopped
                && t.task.private_ip.as_deref() == Some(ip.as_str())
        });
        if !taken {
            return ip;
        }
    }
    format!("{prefix}.254")
}

/// Images in this account's ECR must exist there; anything else is assumed pullable.
pub(crate) fn image_exists(world: &World, image: &str) -> bool {
    let registry = ecr_registry();
    let Some(path) = image
        .strip_prefix(registry.as_str())
        .and_then(|p| p.strip_prefix('/'))
    else {
        return true;
    };
    let (name, digest) = match path.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (path, None),
    };
    let (repo, tag) = match name.split_once(':') {
        Some((repo, tag)) => (repo, Some(tag)),
        None => (name, None),
    };
    let Some(images) = world.ecr.get(repo) else {
        return false;
    };
    match (tag, digest) {
        (_, Some(digest)) => images.iter().any(|i| i.digest == digest),
        (Some(tag), None) => images.iter().any(|i| i.tag == tag),
        (None, None) => images.iter().any(|i| i.tag == "latest"),
    }
}

/// ECS registers a task with its service's target groups once it is RUNNING.
pub(crate) fn register_targets(world: &mut World, ti: usize) {
    let Some(si) = service_of(world, ti) else {
        return;
    };
    let now = world.now;
    let t = &world.tasks[ti].task;
    let (ip, az, arn) = (
        t.private_ip.clone().unwrap_or_default(),
        t.availability_zone.clone(),
        t.arn.clone(),
    );
    let name = world.services[si].name.clone();
    for lb in world.services[si].load_balancers.clone() {
        world.elb.targets.push(Target {
            group_arn: lb.target_group_arn.clone(),
            task_arn: arn.clone(),
            ip: ip.clone(),
            port: lb.container_port,
            availability_zone: az.clone(),
            state: TargetState::Initial,
            reason: Some("Elb.RegistrationInProgress"),
            passes: 0,
            failures: 0,
            next_check_at: now + REGISTRATION,
            unhealthy_since: None,
            drained_at: None,
        });
        world.push_event(
            si,
            format!(
                "(service {name}) registered 1 targets in (target-group {})",
                lb.target_group_arn
            ),
        );
    }
}

fn service_of(world: &World, ti: usize) -> Option<usize> {
    let t = &world.tasks[ti];
    let name = t.service.as_deref()?;
    world
        .services
        .iter()
        .position(|s| s.cluster_arn == t.cluster_arn && s.name == name)
}

/// Sets a task on its way to STOPPED; a RUNNING one first drains from its target groups.
pub(crate) fn begin_stop(world: &mut World, ti: usize, cause: StopCause, reason: String) {
    if !world.tasks[ti].is_alive() {
        return;
    }
    let now = world.now;
    let t = &mut world.tasks[ti];
    t.task.desired_status = TaskStatus::Stopped;
    t.task.stopped_reason = Some(reason);
    t.task.stop_code = Some(
        match cause {
            StopCause::User => "UserInitiated",
            StopCause::Scaling | StopCause::HealthCheck => "ServiceSchedulerInitiated",
            StopCause::PullFailed => "TaskFailedToStart",
        }
        .to_string(),
    );
    t.stop_cause = Some(cause);
    let was_running = t.task.last_status == TaskStatus::Running;
    let (task_arn, task_id, deployment) = (
        t.task.arn.clone(),
        t.task.id.clone(),
        t.deployment().unwrap_or_default().to_string(),
    );
    if !was_running {
        t.task.last_status = TaskStatus::Deprovisioning;
        t.next_at = now + 3_000;
    } else {
        t.task.last_status = TaskStatus::Deactivating;
        t.next_at = now + STEP_AFTER_DRAIN;
    }
    let drained_at = drain_targets(world, &task_arn);
    if let Some(at) = drained_at {
        world.tasks[ti].next_at = at;
    }
    let Some(si) = service_of(world, ti) else {
        return;
    };
    let name = world.services[si].name.clone();
    if drained_at.is_some() {
        world.push_event(
            si,
            format!(
                "(service {name}, taskSet {deployment}) has begun draining connections on 1 tasks."
            ),
        );
        for group in targets_of(world, &task_arn) {
            world.push_event(
                si,
                format!("(service {name}) deregistered 1 targets in (target-group {group})"),
            );
        }
    }
    if cause != StopCause::User {
        world.push_event(
            si,
            format!("(service {name}) has stopped 1 running tasks: (task {task_id})."),
        );
    }
}

/// Marks a task's targets draining for their groups' deregistration delay; returns when
/// the last one is gone.
fn drain_targets(world: &mut World, task_arn: &str) -> Option<Millis> {
    let now = world.now;
    let delays: Vec<(String, Millis)> = world
        .elb
        .target_groups
        .iter()
        .map(|g| (g.arn.clone(), Millis::from(g.deregistration_delay_s) * 1000))
        .collect();
    let mut last = None;
    for target in world
        .elb
        .targets
        .iter_mut()
        .filter(|t| t.task_arn == task_arn)
    {
        let delay = delays
            .iter()
            .find(|(arn, _)| *arn == target.group_arn)
            .map_or(300_000, |(_, d)| *d);
        target.state = TargetState::Draining;
        target.reason = Some("Target.DeregistrationInProgress");
        target.drained_at = Some(now + delay);
        last = last.max(Some(now + delay));
    }
    last
}

fn targets_of(world: &World, task_arn: &str) -> Vec<String> {
    world
        .elb
        .targets
        .iter()
        .filter(|t| t.task_arn == task_arn)
        .map(|t| t.group_arn.clone())
        .collect()
}

/// The image could not be pulled: the task stops before it ever ran.
pub(crate) fn fail_to_pull(world: &mut World, ti: usize) {
    let now = world.now;
    let t = &mut world.tasks[ti];
    let image = t.fate.missing_image.clone().unwrap_or_default();
    let reason = format!(
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref {image}: not found"
    );
    t.task.desired_status = TaskStatus::Stopped;
    t.task.last_status = TaskStatus::Stopped;
    t.task.stopped_at = Some(now);
    t.task.stopped_reason = Some(reason.clone());
    t.task.stop_code = Some("TaskFailedToStart".to_string());
    t.stop_cause = Some(StopCause::PullFailed);
    for c in &mut t.task.containers {
        c.last_status = "STOPPED".to_string();
        if c.image == image {
            c.reason = Some(reason.clone());
        }
    }
    let deployment = t.deployment().map(str::to_string);
    if let (Some(si), Some(deployment)) = (service_of(world, ti), deployment) {
        scheduler::record_failure(world, si, &deployment);
    }
}
