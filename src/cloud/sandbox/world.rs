//! The state of the simulated account, and how it reads back as opsdeck's domain types.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;

use super::clock::Clock;
use super::logs::LogStore;
use crate::cloud::{CloudError, CloudResult};
use crate::model::{
    Certificate, CircuitBreaker, DbInstance, DbSnapshot, Deployment, DeploymentController,
    DeploymentStatus, DnsRecord, InternetGateway, LoadBalancer, Millis, NatGateway, NetworkConfig,
    RolloutState, RouteTable, SecurityGroup, Service, ServiceDeployment, ServiceDeploymentStatus,
    ServiceEvent, ServiceLoadBalancer, Subnet, TargetGroup, TargetHealth, TargetState, Task,
    TaskDefinition, TaskStatus, Vpc,
};

pub(crate) const ACCOUNT_ID: &str = "123456789012";
pub(crate) const REGION: &str = "eu-west-2";
/// ECS keeps stopped tasks visible for about an hour.
pub(crate) const STOPPED_TASK_TTL: Millis = 60 * 60 * 1000;
/// Bounds the stopped tasks kept per service however busy the hour was.
pub(crate) const STOPPED_TASKS_KEPT: usize = 50;
/// ECS returns the newest 100 service events.
pub(crate) const SERVICE_EVENTS_KEPT: usize = 100;
/// ECS keeps 90 days of deployment history; the sandbox keeps this many per service.
pub(crate) const DEPLOYMENT_HISTORY_KEPT: usize = 50;
/// The RDS default quota of manual snapshots per region, which also bounds the list.
pub(crate) const MANUAL_SNAPSHOT_QUOTA: usize = 100;

/// Something a scenario does on its own at a virtual time, as if someone ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScriptedStep {
    /// Register a new revision of the service's task definition with this image tag and
    /// environment override, then point the service at it.
    Deploy {
        cluster: String,
        service: String,
        image_tag: String,
        env: Vec<(String, String)>,
    },
}

#[derive(Debug, Default)]
pub(crate) struct Network {
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub internet_gateways: Vec<InternetGateway>,
    pub nat_gateways: Vec<NatGateway>,
    pub security_groups: Vec<SecurityGroup>,
}

#[derive(Debug, Default)]
pub(crate) struct Edge {
    pub certificates: Vec<Certificate>,
    /// The account's Route53 hosted zones: a record set names its zone by id.
    pub hosted_zones: Vec<HostedZone>,
    pub records: Vec<DnsRecord>,
}

/// A Route53 hosted zone: `Z...` id and the domain it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostedZone {
    pub id: String,
    pub name: String,
}

/// A registered target and where its health checks stand.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub group_arn: String,
    pub task_arn: String,
    pub ip: String,
    pub port: u16,
    pub availability_zone: String,
    pub state: TargetState,
    pub reason: Option<&'static str>,
    pub passes: u32,
    pub failures: u32,
    pub next_check_at: Millis,
    pub unhealthy_since: Option<Millis>,
    pub drained_at: Option<Millis>,
    /// The HTTP status the last failed health check got, for the reason's description.
    pub failed_code: Option<u16>,
}

impl Target {
    pub(crate) fn to_model(&self) -> TargetHealth {
        TargetHealth {
            target_id: self.ip.clone(),
            port: self.port,
            availability_zone: Some(self.availability_zone.clone()),
            state: self.state,
            reason: self.reason.map(str::to_string),
            description: self.reason.map(|r| reason_description(r, self.failed_code)),
        }
    }
}

pub(crate) fn reason_description(reason: &str, failed_code: Option<u16>) -> String {
    match reason {
        "Elb.RegistrationInProgress" => "Target registration is in progress".to_string(),
        "Elb.InitialHealthChecking" => "Initial health checks in progress".to_string(),
        "Target.ResponseCodeMismatch" => mismatch_description(failed_code.unwrap_or(502)),
        "Target.Timeout" => "Request timed out".to_string(),
        "Target.DeregistrationInProgress" => "Target deregistration is in progress".to_string(),
        _ => String::new(),
    }
}

/// What the ALB says of a target whose health check got `code`.
pub(crate) fn mismatch_description(code: u16) -> String {
    format!("Health checks failed with these codes: [{code}]")
}

#[derive(Debug, Default)]
pub(crate) struct Elb {
    pub load_balancers: Vec<LoadBalancer>,
    pub target_groups: Vec<TargetGroup>,
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone)]
pub(crate) struct SimDeployment {
    pub id: String,
    pub status: DeploymentStatus,
    pub rollout_state: RolloutState,
    pub rollout_state_reason: Option<String>,
    pub task_definition: String,
    pub failed_tasks: u32,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub(crate) struct SimService {
    pub name: String,
    pub arn: String,
    pub cluster_arn: String,
    pub desired: u32,
    pub task_definition: String,
    /// Newest first; INACTIVE ones are dropped.
    pub deployments: Vec<SimDeployment>,
    /// Newest first, bounded.
    pub events: Vec<ServiceEvent>,
    pub load_balancers: Vec<ServiceLoadBalancer>,
    pub network: NetworkConfig,
    pub circuit_breaker: Option<CircuitBreaker>,
    pub deployment_controller: DeploymentController,
    pub created_at: Millis,
    /// Whether "has reached a steady state" has been said since the last change.
    pub steady: bool,
    /// ECS's deployment history (ListServiceDeployments), newest first, bounded.
    pub history: Vec<HistoryEntry>,
}

/// One service deployment as ECS's deployment history tracks it. A rollback is part of
/// the deployment it undoes (as in ECS), carried out by a deployment of its own in the
/// `deployments` array.
#[derive(Debug, Clone)]
pub(crate) struct HistoryEntry {
    /// The `ecs-svc/...` deployment that carries it out.
    pub deployment: String,
    /// The deployment rolling this one back, once a rollback began.
    pub rollback: Option<String>,
    pub status: ServiceDeploymentStatus,
    pub status_reason: Option<String>,
    pub target_task_definition: String,
    pub source_task_definitions: Vec<String>,
    pub circuit_breaker_failures: Option<u32>,
    pub created_at: Millis,
    pub finished_at: Option<Millis>,
}

impl HistoryEntry {
    pub(crate) fn to_model(&self, service_arn: &str) -> ServiceDeployment {
        ServiceDeployment {
            arn: service_deployment_arn(service_arn, &self.deployment),
            status: self.status,
            status_reason: self.status_reason.clone(),
            target_task_definition: Some(self.target_task_definition.clone()),
            source_task_definitions: self.source_task_definitions.clone(),
            circuit_breaker_failures: self.circuit_breaker_failures,
            created_at: Some(self.created_at),
            finished_at: self.finished_at,
        }
    }

    pub(crate) fn in_progress(&self) -> bool {
        matches!(
            self.status,
            ServiceDeploymentStatus::Pending | ServiceDeploymentStatus::InProgress
        )
    }
}

/// `arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>`; the id is
/// the digits of the `ecs-svc/...` deployment it tracks, so the two can be matched up.
pub(crate) fn service_deployment_arn(service_arn: &str, deployment: &str) -> String {
    let path = service_arn
        .split_once(":service/")
        .map_or(service_arn, |(_, path)| path);
    let id = deployment.strip_prefix("ecs-svc/").unwrap_or(deployment);
    format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:service-deployment/{path}/{id}")
}

impl SimService {
    pub(crate) fn primary(&self) -> Option<&SimDeployment> {
        self.deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
    }
}

/// Why a task is heading for STOPPED, decided when the stop began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopCause {
    Scaling,
    User,
    HealthCheck,
    PullFailed,
    /// The essential container exited on its own (exit code 1).
    Crashed,
}

/// What will happen to a task's containers, decided at launch from its task definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fate {
    /// The image reference that cannot be pulled, if any.
    pub missing_image: Option<String>,
    /// The status the app answers health checks (and most requests) with, when not 200.
    pub failing_status: Option<u16>,
    /// How long after RUNNING the essential container exits with code 1.
    pub crashes_after: Option<Millis>,
    /// The version the app reports: the image's tag, even when pinned by digest.
    pub version: String,
}

#[derive(Debug, Clone)]
pub(crate) struct SimTask {
    pub task: Task,
    pub cluster_arn: String,
    pub service: Option<String>,
    /// When the current lifecycle phase ends.
    pub next_at: Millis,
    pub fate: Fate,
    pub stop_cause: Option<StopCause>,
    /// (log group, stream) of the app container.
    pub log_stream: Option<(String, String)>,
    /// When this task's next log burst starts (log-burst scenario).
    pub next_burst_at: Option<Millis>,
    /// When its essential container exits, once it runs an image that crashes.
    pub crash_at: Option<Millis>,
}

impl SimTask {
    pub(crate) fn is_alive(&self) -> bool {
        self.task.desired_status == TaskStatus::Running
    }

    pub(crate) fn deployment(&self) -> Option<&str> {
        self.task.started_by.as_deref()
    }
}

/// A tagged image in an ECR repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrImage {
    pub tag: String,
    /// `sha256:` and 64 hex characters.
    pub digest: String,
    pub pushed_at: Millis,
    /// Compressed size, as DescribeImages reports it.
    pub size_bytes: u64,
    /// What a container running this image does: the engine follows the image a task
    /// actually runs, whether it was referenced by tag or by digest.
    pub behaviour: ImageBehaviour,
}

/// How the app in an image behaves once started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageBehaviour {
    /// Starts, passes health checks, serves.
    Healthy,
    /// Starts, then the process exits with code 1 this many seconds later.
    CrashesAfterStart { after_s: u32 },
    /// Runs, but its health check endpoint answers with this status.
    FailsHealthChecks { status: u16 },
}

/// A manual RDS snapshot and when it finishes.
#[derive(Debug, Clone)]
pub(crate) struct SimSnapshot {
    pub snapshot: DbSnapshot,
    pub ready_at: Millis,
}

#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    pub name: String,
    pub arn: String,
}

/// Behaviour a scenario switches on for the whole run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Quirks {
    pub log_bursts: bool,
}

pub(crate) struct World {
    pub clock: Clock,
    /// How far the engine has run: at most the clock's now.
    pub now: Millis,
    pub rng: ChaCha8Rng,
    pub quirks: Quirks,
    pub network: Network,
    pub edge: Edge,
    pub elb: Elb,
    pub databases: Vec<DbInstance>,
    /// Manual snapshots, oldest first, at most `MANUAL_SNAPSHOT_QUOTA`.
    pub db_snapshots: Vec<SimSnapshot>,
    /// DB subnet groups by name -> their subnets: an instance's network comes from its group.
    pub db_subnet_groups: BTreeMap<String, Vec<String>>,
    /// Whether the ECS deployment-history calls answer (they do on AWS since 2025; an
    /// emulator or older partition answers `Unsupported`).
    pub deployment_history: bool,
    /// Repository name -> its images.
    pub ecr: BTreeMap<String, Vec<EcrImage>>,
    pub task_definitions: Vec<TaskDefinition>,
    pub clusters: Vec<Cluster>,
    pub services: Vec<SimService>,
    pub tasks: Vec<SimTask>,
    pub logs: LogStore,
    /// Pending scripted steps, soonest first.
    pub script: Vec<(Millis, ScriptedStep)>,
    /// The CloudFormation stand-in's stacks.
    pub stacks: super::cfn::Stacks,
    /// S3 buckets and CloudFront invalidations.
    pub site: super::site::SiteStore,
}

impl World {
    pub(crate) fn cluster(&self, name_or_arn: &str) -> CloudResult<&Cluster> {
        self.clusters
            .iter()
            .find(|c| c.name == name_or_arn || c.arn == name_or_arn)
            .ok_or_else(|| CloudError::NotFound {
                kind: "cluster",
                name: name_or_arn.to_string(),
                hint: Some(
                    "check the cluster name; `opsdeck status` lists the clusters of this account"
                        .to_string(),
                ),
            })
    }

    /// Index of a service of a cluster, by name or ARN.
    pub(crate) fn service_index(&self, cluster: &str, service: &str) -> CloudResult<usize> {
        let cluster_arn = self.cluster(cluster)?.arn.clone();
        self.services
            .iter()
            .position(|s| s.cluster_arn == cluster_arn && (s.name == service || s.arn == service))
            .ok_or_else(|| CloudError::NotFound {
                kind: "service",
                name: service.to_string(),
                hint: Some(format!(
                    "cluster {cluster} has no such service; `opsdeck status` lists its services"
                )),
            })
    }

    /// A task definition by ARN, `family:revision`, or `family` (its newest ACTIVE revision).
    pub(crate) fn task_definition(&self, reference: &str) -> Option<&TaskDefinition> {
        let wanted = crate::model::family_revision(reference);
        match wanted.split_once(':') {
            Some((family, revision)) => self
                .task_definitions
                .iter()
                .find(|d| d.family == family && d.revision.to_string() == revision),
            None => self
                .task_definitions
                .iter()
                .filter(|d| {
                    d.family == wanted && d.status == crate::model::TaskDefinitionStatus::Active
                })
                .max_by_key(|d| d.revision),
        }
    }

    pub(crate) fn service_model(&self, index: usize) -> Option<Service> {
        let svc = self.services.get(index)?;
        let deployments: Vec<Deployment> = svc
            .deployments
            .iter()
            .map(|d| self.deployment_model(svc, d))
            .collect();
        let running = deployments.iter().map(|d| d.running).sum();
        let pending = deployments.iter().map(|d| d.pending).sum();
        Some(Service {
            name: svc.name.clone(),
            arn: svc.arn.clone(),
            cluster_arn: svc.cluster_arn.clone(),
            status: "ACTIVE".to_string(),
            launch_type: "FARGATE".to_string(),
            desired: svc.desired,
            running,
            pending,
            task_definition: svc.task_definition.clone(),
            deployments,
            events: svc.events.clone(),
            load_balancers: svc.load_balancers.clone(),
            network: svc.network.clone(),
            circuit_breaker: svc.circuit_breaker,
            deployment_controller: svc.deployment_controller,
            created_at: svc.created_at,
        })
    }

    fn deployment_model(&self, svc: &SimService, d: &SimDeployment) -> Deployment {
        let tasks = || {
            self.tasks.iter().filter(|t| {
                t.service.as_deref() == Some(&svc.name) && t.deployment() == Some(&d.id)
            })
        };
        let running = tasks()
            .filter(|t| t.task.last_status == TaskStatus::Running)
            .count();
        let pending = tasks()
            .filter(|t| t.is_alive() && t.task.last_status < TaskStatus::Running)
            .count();
        let desired = match d.status {
            DeploymentStatus::Primary => svc.desired,
            _ => count(tasks().filter(|t| t.is_alive()).count()),
        };
        Deployment {
            id: d.id.clone(),
            status: d.status,
            rollout_state: d.rollout_state,
            rollout_state_reason: d.rollout_state_reason.clone(),
            task_definition: d.task_definition.clone(),
            desired,
            running: count(running),
            pending: count(pending),
            failed_tasks: d.failed_tasks,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }

    pub(crate) fn push_event(&mut self, service: usize, message: String) {
        let id = super::ids::uuid(&mut self.rng);
        let at = self.now;
        if let Some(svc) = self.services.get_mut(service) {
            svc.events.insert(0, ServiceEvent { id, at, message });
            svc.events.truncate(SERVICE_EVENTS_KEPT);
        }
    }

    /// The history entry a deployment carries out: its own, or the one it rolls back.
    pub(crate) fn history_of(&mut self, si: usize, deployment: &str) -> Option<&mut HistoryEntry> {
        self.services
            .get_mut(si)?
            .history
            .iter_mut()
            .find(|h| h.deployment == deployment || h.rollback.as_deref() == Some(deployment))
    }

    pub(crate) fn target_group(&self, arn: &str) -> Option<&TargetGroup> {
        self.elb.target_groups.iter().find(|g| g.arn == arn)
    }
}

pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
