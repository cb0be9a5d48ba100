//! The ECS control plane: task definitions, UpdateService, StopTask, task launches and stops.

use rand::RngExt;

use super::ids;
use super::resources::task_definition_arn;
use super::scheduler;
use super::world::{
    ACCOUNT_ID, DEPLOYMENT_HISTORY_KEPT, EcrImage, Fate, HistoryEntry, ImageBehaviour, REGION,
    ScriptedStep, SimDeployment, SimService, SimTask, StopCause, Target, World,
    service_deployment_arn,
};
use crate::cloud::{CloudError, CloudResult};
use crate::model::{
    Container, DeploymentController, DeploymentStatus, Millis, NewTaskDefinition, RolloutState,
    ServiceDeploymentStatus, ServiceUpdate, TargetState, Task, TaskDefinition,
    TaskDefinitionStatus, TaskHealth, TaskStatus,
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
    register(
        world,
        TaskDefinition {
            arn: String::new(),
            family: new.family,
            revision: 0,
            status: TaskDefinitionStatus::Active,
            cpu: new.cpu,
            memory: new.memory,
            containers: new.containers,
            registered_at: 0,
            tags: Vec::new(),
            task_role_arn: None,
            execution_role_arn: None,
        },
    )
}

/// Registers `template` as the next revision of its family: ECS assigns the ARN, the
/// revision and the registration time; every other field is kept.
pub(crate) fn register(world: &mut World, template: TaskDefinition) -> TaskDefinition {
    let revision = next_revision(world, &template.family);
    let definition = TaskDefinition {
        arn: task_definition_arn(&template.family, revision),
        revision,
        status: TaskDefinitionStatus::Active,
        registered_at: world.now,
        ..template
    };
    world.task_definitions.push(definition.clone());
    definition
}

/// The revision the family's next registration gets: deregistered ones keep their numbers.
pub(crate) fn next_revision(world: &World, family: &str) -> u32 {
    world
        .task_definitions
        .iter()
        .filter(|d| d.family == family)
        .map(|d| d.revision)
        .max()
        .unwrap_or(0)
        + 1
}

/// A copy of `source` with one container's image changed, registered as a new revision.
pub(crate) fn register_image_revision(
    world: &mut World,
    source: &str,
    container: &str,
    image: &str,
) -> CloudResult<TaskDefinition> {
    let mut copy = world
        .task_definition(source)
        .cloned()
        .ok_or_else(|| CloudError::NotFound {
            kind: "task definition",
            name: source.to_string(),
            hint: Some("`opsdeck rollback` lists the ACTIVE revisions".to_string()),
        })?;
    let names: Vec<String> = copy.containers.iter().map(|c| c.name.clone()).collect();
    let Some(target) = copy.containers.iter_mut().find(|c| c.name == container) else {
        return Err(CloudError::Rejected {
            operation: "RegisterTaskDefinition".to_string(),
            message: format!(
                "task definition {} has no container {container}; its containers are: {}",
                crate::model::family_revision(&copy.arn),
                names.join(", ")
            ),
        });
    };
    target.image = image.to_string();
    Ok(register(world, copy))
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

/// Makes a new PRIMARY deployment; the previous ones become ACTIVE and drain. It opens an
/// entry in the deployment history; one still in progress there is stopped by it.
pub(crate) fn start_deployment(
    world: &mut World,
    service: usize,
    task_definition: String,
) -> String {
    let id = open_deployment(world, service, task_definition.clone());
    let now = world.now;
    let svc = &mut world.services[service];
    let sources = source_definitions(svc, &id);
    for entry in svc.history.iter_mut().filter(|h| !h.status.is_final()) {
        entry.status = ServiceDeploymentStatus::Stopped;
        entry.status_reason = Some(format!("Stopped by a newer deployment ({id})."));
        entry.finished_at = Some(now);
    }
    svc.history.insert(
        0,
        HistoryEntry {
            deployment: id.clone(),
            rollback: None,
            status: ServiceDeploymentStatus::Pending,
            status_reason: None,
            target_task_definition: task_definition,
            source_task_definitions: sources,
            circuit_breaker_failures: svc.circuit_breaker.filter(|cb| cb.enable).map(|_| 0),
            created_at: now,
            finished_at: None,
        },
    );
    svc.history.truncate(DEPLOYMENT_HISTORY_KEPT);
    id
}

/// Rolls `failed` (a deployment id) back to `task_definition`: a new PRIMARY deployment,
/// recorded in the history as the rollback of the failed one, as ECS records it.
pub(crate) fn start_rollback(
    world: &mut World,
    service: usize,
    failed: &str,
    task_definition: String,
    reason: &str,
) -> String {
    let id = open_deployment(world, service, task_definition);
    if let Some(entry) = world.history_of(service, failed) {
        entry.status = ServiceDeploymentStatus::RollbackInProgress;
        entry.status_reason = Some(reason.to_string());
        entry.rollback = Some(id.clone());
    }
    id
}

/// The task definitions a new deployment moves away from: those of the other deployments.
fn source_definitions(svc: &SimService, new: &str) -> Vec<String> {
    let mut sources: Vec<String> = Vec::new();
    for d in svc.deployments.iter().filter(|d| d.id != new) {
        if !sources.contains(&d.task_definition) {
            sources.push(d.task_definition.clone());
        }
    }
    sources
}

fn open_deployment(world: &mut World, service: usize, task_definition: String) -> String {
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

/// The service and history entry a service-deployment ARN names.
pub(crate) fn find_service_deployment(world: &World, arn: &str) -> CloudResult<(usize, usize)> {
    world
        .services
        .iter()
        .enumerate()
        .find_map(|(si, svc)| {
            svc.history
                .iter()
                .position(|h| service_deployment_arn(&svc.arn, &h.deployment) == arn)
                .map(|hi| (si, hi))
        })
        .ok_or_else(|| CloudError::NotFound {
            kind: "service deployment",
            name: arn.to_string(),
            hint: Some("ListServiceDeployments lists a service's deployments".to_string()),
        })
}

/// StopServiceDeployment: ROLLBACK deploys the revision the deployment replaced (allowed
/// even when the service has no automatic rollback); ABORT leaves the service as it stands
/// and starts no more tasks for it.
pub(crate) fn stop_service_deployment(
    world: &mut World,
    arn: &str,
    rollback: bool,
) -> CloudResult<()> {
    let (si, hi) = find_service_deployment(world, arn)?;
    let entry = world.services[si].history[hi].clone();
    let primary = world.services[si].primary().map(|d| d.id.clone());
    if !entry.in_progress() || primary.as_deref() != Some(entry.deployment.as_str()) {
        return Err(CloudError::Rejected {
            operation: "StopServiceDeployment".to_string(),
            message: format!(
                "service deployment {arn} is {:?}, not in progress: only a deployment in progress can be stopped",
                entry.status
            ),
        });
    }
    let now = world.now;
    let name = world.services[si].name.clone();
    if rollback {
        let Some(source) = entry.source_task_definitions.first().cloned() else {
            return Err(CloudError::Rejected {
                operation: "StopServiceDeployment".to_string(),
                message: format!("service deployment {arn} has no source revision to roll back to"),
            });
        };
        world.push_event(
            si,
            format!(
                "(service {name}) (deployment {}) rolling back: stop requested by user.",
                entry.deployment
            ),
        );
        start_rollback(
            world,
            si,
            &entry.deployment,
            source,
            "Rollback requested with StopServiceDeployment.",
        );
        return Ok(());
    }
    let svc = &mut world.services[si];
    if let Some(d) = svc
        .deployments
        .iter_mut()
        .find(|d| d.id == entry.deployment)
    {
        d.rollout_state = RolloutState::Failed;
        d.rollout_state_reason = Some("ECS deployment stopped by user.".to_string());
        d.updated_at = now;
    }
    let h = &mut svc.history[hi];
    h.status = ServiceDeploymentStatus::Stopped;
    h.status_reason = Some("Stopped with StopServiceDeployment.".to_string());
    h.finished_at = Some(now);
    Ok(())
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
    let registered = register(world, definition);
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
    let fate = fate_of(world, &definition);
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
        crash_at: None,
    });
    Some(id)
}

/// What a task will do, from the images its containers actually run: a missing image
/// fails the pull; an essential container's image decides how the app behaves.
fn fate_of(world: &World, definition: &TaskDefinition) -> Fate {
    let mut fate = Fate::default();
    for (i, c) in definition.containers.iter().enumerate() {
        let found = match find_image(world, &c.image) {
            ImageLookup::Outside => None,
            ImageLookup::Missing => {
                fate.missing_image.get_or_insert_with(|| c.image.clone());
                None
            }
            ImageLookup::Found(image) => Some(image),
        };
        if i == 0 {
            fate.version = found.map_or_else(|| tag_of(&c.image).to_string(), |f| f.tag.clone());
        }
        // A typo in the environment: the app answers every request, health checks
        // included, with 502.
        if c.environment
            .iter()
            .any(|(k, v)| k == "DATABASE_TYPE" && v != "postgresql")
        {
            fate.failing_status = Some(502);
        }
        if !c.essential {
            continue;
        }
        match found.map(|f| f.behaviour) {
            Some(ImageBehaviour::CrashesAfterStart { after_s }) => {
                fate.crashes_after = Some(Millis::from(after_s) * 1000);
            }
            Some(ImageBehaviour::FailsHealthChecks { status }) => {
                fate.failing_status = Some(status);
            }
            Some(ImageBehaviour::Healthy) | None => {}
        }
    }
    fate
}

/// The tag of an image reference (`repo:tag`), or `latest` when it names none.
fn tag_of(image: &str) -> &str {
    let name = image.split_once('@').map_or(image, |(name, _)| name);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':').map_or("latest", |(_, tag)| tag)
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

/// What an image reference points at.
pub(crate) enum ImageLookup<'a> {
    /// Not in this account's ECR (Docker Hub, another account): assumed pullable and healthy.
    Outside,
    /// In this account's ECR, but no such repository, tag or digest.
    Missing,
    Found(&'a EcrImage),
}

/// Resolves `registry/repo:tag`, `registry/repo@sha256:...` or `registry/repo` (latest).
pub(crate) fn find_image<'a>(world: &'a World, image: &str) -> ImageLookup<'a> {
    let registry = ecr_registry();
    let Some(path) = image
        .strip_prefix(registry.as_str())
        .and_then(|p| p.strip_prefix('/'))
    else {
        return ImageLookup::Outside;
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
        return ImageLookup::Missing;
    };
    let found = match (tag, digest) {
        (_, Some(digest)) => images.iter().find(|i| i.digest == digest),
        (Some(tag), None) => images.iter().find(|i| i.tag == tag),
        (None, None) => images.iter().find(|i| i.tag == "latest"),
    };
    found.map_or(ImageLookup::Missing, ImageLookup::Found)
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
            failed_code: None,
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
            StopCause::Crashed => "EssentialContainerExited",
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

/// The essential container exited with code 1: ECS stops the task and the scheduler
/// replaces it. Deliberately NOT counted by the circuit breaker: ECS's breaker does not
/// reliably count tasks that reach RUNNING and then crash (aws/containers-roadmap#1206),
/// so a crash-looping release stays IN_PROGRESS and loops until someone stops it. Callers
/// must count the new deployment's stopped tasks themselves.
pub(crate) fn crash(world: &mut World, ti: usize) {
    let t = &mut world.tasks[ti];
    t.crash_at = None;
    for c in &mut t.task.containers {
        c.last_status = "STOPPED".to_string();
        c.exit_code = Some(1);
    }
    begin_stop(
        world,
        ti,
        StopCause::Crashed,
        "Essential container in task exited".to_string(),
    );
}
