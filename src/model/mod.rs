//! Domain types: what opsdeck knows about a stack, independent of any backend.
//!
//! Times are milliseconds since the Unix epoch (`Millis`). The sandbox runs them on a
//! virtual clock; the AWS backend converts the SDK's timestamps at its boundary.

pub mod ci;
pub mod graph;
pub mod metrics;
pub mod release;
pub mod site;
pub mod stack;

pub use ci::OidcProvider;
pub use graph::{Edge, NetGraph, Node, NodeId, NodeKind};
pub use metrics::{MetricQuery, MetricSeries, MetricUnit, MetricsSnapshot};
pub use release::{DbSnapshot, Image, ServiceDeployment, ServiceDeploymentStatus};
pub use site::{
    BucketAccess, BucketStats, Distribution, EdgeDistribution, FoundBy, Invalidation,
    InvalidationStatus, ObjectHeaders, Origin, OriginAccess, OriginKind, OriginProtocol,
    SiteBucket, SiteSnapshot, StackEdge, StoredObject, ViewerProtocol,
};
pub use stack::{
    Capability, CfnStack, ChangeAction, ChangeSet, ChangeSetKind, ChangeSetRequest,
    ChangeSetStatus, Replacement, ResourceChange, STACK_RESOURCE_TYPE, StackEvent, StackResource,
    StackStatus, TaggedResource,
};

use serde::Serialize;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The wall clock, in [`Millis`].
pub fn wall_clock_ms() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

/// Whether something is well, getting there, or broken. Drives colour everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Pending,
    Warning,
    Failed,
    Unknown,
}

/// The account and caller, as STS reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub account_id: String,
    pub arn: String,
}

// ---------------------------------------------------------------------------------------
// ECS
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentController {
    Ecs,
    CodeDeploy,
    External,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CircuitBreaker {
    pub enable: bool,
    pub rollback: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceLoadBalancer {
    pub target_group_arn: String,
    pub container_name: String,
    pub container_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NetworkConfig {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentStatus {
    Primary,
    Active,
    Inactive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RolloutState {
    InProgress,
    Completed,
    Failed,
}

impl RolloutState {
    /// As ECS spells it: `IN_PROGRESS`.
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutState::InProgress => "IN_PROGRESS",
            RolloutState::Completed => "COMPLETED",
            RolloutState::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deployment {
    pub id: String,
    pub status: DeploymentStatus,
    pub rollout_state: RolloutState,
    pub rollout_state_reason: Option<String>,
    pub task_definition: String,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub failed_tasks: u32,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceEvent {
    pub id: String,
    pub at: Millis,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    pub name: String,
    pub arn: String,
    pub cluster_arn: String,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: String,
    pub launch_type: String,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub task_definition: String,
    /// Newest first, as ECS returns them.
    pub deployments: Vec<Deployment>,
    /// Newest first, as ECS returns them.
    pub events: Vec<ServiceEvent>,
    pub load_balancers: Vec<ServiceLoadBalancer>,
    pub network: NetworkConfig,
    pub circuit_breaker: Option<CircuitBreaker>,
    pub deployment_controller: DeploymentController,
    pub created_at: Millis,
}

impl Service {
    pub fn primary_deployment(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.status == DeploymentStatus::Primary)
    }

    pub fn health(&self) -> Health {
        match self.primary_deployment() {
            Some(d) if d.rollout_state == RolloutState::Failed => Health::Failed,
            Some(d) if d.rollout_state == RolloutState::InProgress => Health::Pending,
            _ if self.running < self.desired => Health::Warning,
            _ => Health::Ok,
        }
    }
}

/// ECS state of the dashboard's cluster: its services and the stack service's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EcsSnapshot {
    pub services: Vec<Service>,
    /// Running tasks and recently stopped ones (stopped tasks explain failures).
    pub tasks: Vec<Task>,
}

/// `lastStatus` / `desiredStatus` of a task, in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskStatus {
    Provisioning,
    Pending,
    Activating,
    Running,
    Deactivating,
    Stopping,
    Deprovisioning,
    Stopped,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Provisioning => "PROVISIONING",
            TaskStatus::Pending => "PENDING",
            TaskStatus::Activating => "ACTIVATING",
            TaskStatus::Running => "RUNNING",
            TaskStatus::Deactivating => "DEACTIVATING",
            TaskStatus::Stopping => "STOPPING",
            TaskStatus::Deprovisioning => "DEPROVISIONING",
            TaskStatus::Stopped => "STOPPED",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        Some(match s {
            "PROVISIONING" => TaskStatus::Provisioning,
            "PENDING" => TaskStatus::Pending,
            "ACTIVATING" => TaskStatus::Activating,
            "RUNNING" => TaskStatus::Running,
            "DEACTIVATING" => TaskStatus::Deactivating,
            "STOPPING" => TaskStatus::Stopping,
            "DEPROVISIONING" => TaskStatus::Deprovisioning,
            "STOPPED" => TaskStatus::Stopped,
            _ => return None,
        })
    }
}

/// Container health as ECS reports it for a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskHealth {
    Healthy,
    Unhealthy,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Container {
    pub name: String,
    pub last_status: String,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub image: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub arn: String,
    /// The last path segment of the ARN: what the console and log stream names use.
    pub id: String,
    pub task_definition: String,
    pub last_status: TaskStatus,
    pub desired_status: TaskStatus,
    pub health: TaskHealth,
    pub availability_zone: String,
    pub subnet_id: Option<String>,
    pub private_ip: Option<String>,
    pub public_ip: Option<String>,
    /// `startedBy`: for service tasks, the deployment id (`ecs-svc/...`).
    pub started_by: Option<String>,
    /// `group`: `service:<name>` for service tasks.
    pub group: String,
    pub created_at: Millis,
    pub started_at: Option<Millis>,
    pub stopped_at: Option<Millis>,
    pub stopped_reason: Option<String>,
    pub stop_code: Option<String>,
    pub containers: Vec<Container>,
}

impl Task {
    /// Revision number from the task-definition ARN (`...:task-definition/umami:7` -> 7).
    pub fn revision(&self) -> Option<u32> {
        revision_of(&self.task_definition)
    }

    pub fn health_class(&self) -> Health {
        match (self.last_status, self.health) {
            (TaskStatus::Stopped, _) if self.stopped_reason_is_failure() => Health::Failed,
            (TaskStatus::Stopped, _) => Health::Unknown,
            (TaskStatus::Running, TaskHealth::Unhealthy) => Health::Failed,
            (TaskStatus::Running, _) => Health::Ok,
            (s, _) if s > TaskStatus::Running => Health::Warning,
            _ => Health::Pending,
        }
    }

    fn stopped_reason_is_failure(&self) -> bool {
        self.stopped_reason
            .as_deref()
            .is_some_and(|r| r.contains("Error") || r.contains("failed") || r.contains("exited"))
    }
}

/// Revision number at the end of a task-definition ARN or `family:revision`.
pub fn revision_of(task_definition: &str) -> Option<u32> {
    task_definition.rsplit(':').next()?.parse().ok()
}

/// The name at the end of an ARN (`arn:aws:ecs:...:service/cluster/name` -> `name`); a
/// plain name stays as it is.
pub fn arn_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// `family:revision` from a task-definition ARN.
pub fn family_revision(task_definition: &str) -> &str {
    task_definition
        .rsplit_once('/')
        .map_or(task_definition, |(_, fr)| fr)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwsLogsConfig {
    pub group: String,
    pub region: String,
    pub stream_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerDefinition {
    pub name: String,
    pub image: String,
    pub essential: bool,
    pub port: Option<u16>,
    pub environment: Vec<(String, String)>,
    /// (name, valueFrom). The value itself is never fetched or shown.
    pub secrets: Vec<(String, String)>,
    pub logs: Option<AwsLogsConfig>,
    /// The container's own health check (Docker HEALTHCHECK), if it has one.
    pub health_check: Option<ContainerHealthCheck>,
}

/// A container health check as a task definition states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerHealthCheck {
    /// `["CMD-SHELL", "curl -f http://localhost:3000/api/heartbeat || exit 1"]`.
    pub command: Vec<String>,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub retries: u32,
    pub start_period_s: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskDefinitionStatus {
    Active,
    Inactive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskDefinition {
    pub arn: String,
    pub family: String,
    pub revision: u32,
    pub status: TaskDefinitionStatus,
    pub cpu: String,
    pub memory: String,
    pub containers: Vec<ContainerDefinition>,
    pub registered_at: Millis,
    /// Resource tags (DescribeTaskDefinition returns them only when asked with `include=TAGS`).
    pub tags: Vec<(String, String)>,
    /// The role the task's containers run as; a new revision passes it on (`iam:PassRole`).
    #[serde(skip)]
    pub task_role_arn: Option<String>,
    /// The role ECS pulls the image and reads the secrets with; passed on like the task role.
    #[serde(skip)]
    pub execution_role_arn: Option<String>,
}

/// What a caller asks to register; ECS assigns the ARN and revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTaskDefinition {
    pub family: String,
    pub cpu: String,
    pub memory: String,
    pub containers: Vec<ContainerDefinition>,
}

/// The parts of UpdateService that opsdeck uses. `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceUpdate {
    pub task_definition: Option<String>,
    pub desired_count: Option<u32>,
    pub force_new_deployment: bool,
}

// ---------------------------------------------------------------------------------------
// Load balancing
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthCheck {
    pub protocol: String,
    pub path: String,
    pub port: String,
    pub interval_s: u32,
    pub timeout_s: u32,
    pub healthy_threshold: u32,
    pub unhealthy_threshold: u32,
    pub matcher: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetGroup {
    pub arn: String,
    pub name: String,
    pub protocol: String,
    pub port: u16,
    pub target_type: String,
    pub vpc_id: String,
    pub health_check: HealthCheck,
    pub load_balancer_arns: Vec<String>,
    pub deregistration_delay_s: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetState {
    Initial,
    Healthy,
    Unhealthy,
    Unused,
    Draining,
    Unavailable,
}

impl TargetState {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Initial => "initial",
            TargetState::Healthy => "healthy",
            TargetState::Unhealthy => "unhealthy",
            TargetState::Unused => "unused",
            TargetState::Draining => "draining",
            TargetState::Unavailable => "unavailable",
        }
    }

    pub fn health(self) -> Health {
        match self {
            TargetState::Healthy => Health::Ok,
            TargetState::Initial => Health::Pending,
            TargetState::Draining | TargetState::Unused => Health::Warning,
            TargetState::Unhealthy | TargetState::Unavailable => Health::Failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetHealth {
    /// IP address for `ip` target groups (Fargate), instance id otherwise.
    pub target_id: String,
    pub port: u16,
    pub availability_zone: Option<String>,
    pub state: TargetState,
    /// e.g. `Target.ResponseCodeMismatch`.
    pub reason: Option<String>,
    pub description: Option<String>,
}

/// A target group with the health of its targets, as the targets pane shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetGroupHealth {
    pub group: TargetGroup,
    pub targets: Vec<TargetHealth>,
}

impl TargetGroupHealth {
    pub fn healthy(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.state == TargetState::Healthy)
            .count()
    }

    pub fn health(&self) -> Health {
        let healthy = self.healthy();
        if self.targets.is_empty() || healthy == 0 {
            Health::Failed
        } else if healthy < self.targets.len() {
            if self
                .targets
                .iter()
                .any(|t| t.state == TargetState::Unhealthy)
            {
                Health::Warning
            } else {
                Health::Pending
            }
        } else {
            Health::Ok
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ListenerAction {
    Forward {
        target_group_arns: Vec<String>,
    },
    Redirect {
        protocol: String,
        port: String,
        status_code: String,
    },
    FixedResponse {
        status_code: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listener {
    pub arn: String,
    pub port: u16,
    pub protocol: String,
    pub certificate_arns: Vec<String>,
    pub default_action: ListenerAction,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadBalancer {
    pub arn: String,
    pub name: String,
    pub dns_name: String,
    pub scheme: String,
    /// provisioning, active, active_impaired, failed.
    pub state: String,
    pub vpc_id: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub arn: String,
    pub domain: String,
    /// ISSUED, PENDING_VALIDATION, EXPIRED, ...
    pub status: String,
    pub not_after: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    pub zone: String,
    pub name: String,
    pub record_type: String,
    /// The DNS name the alias points at (an ALB's `dns_name`).
    pub alias_target: String,
}

impl DnsRecord {
    /// Whether this alias points at `dns_name`: Route53 alias targets may carry a
    /// `dualstack.` prefix, a trailing dot and other letter case than the ALB reports.
    pub fn aliases(&self, dns_name: &str) -> bool {
        // Route53 compares names case-insensitively, `DUALSTACK.` prefix included.
        let norm = |s: &str| {
            let s = s.trim_end_matches('.').to_ascii_lowercase();
            s.strip_prefix("dualstack.")
                .map(str::to_string)
                .unwrap_or(s)
        };
        norm(&self.alias_target) == norm(dns_name)
    }
}

// ---------------------------------------------------------------------------------------
// RDS
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbInstance {
    pub id: String,
    pub arn: String,
    /// available, creating, backing-up, modifying, rebooting, storage-full, maintenance, ...
    pub status: String,
    pub engine: String,
    pub engine_version: String,
    pub class: String,
    pub multi_az: bool,
    pub availability_zone: Option<String>,
    pub secondary_availability_zone: Option<String>,
    pub storage_type: String,
    pub allocated_storage_gb: u32,
    pub free_storage_bytes: Option<u64>,
    pub backup_retention_days: u32,
    pub latest_restorable_time: Option<Millis>,
    pub endpoint: Option<String>,
    pub port: Option<u16>,
    pub vpc_id: String,
    pub subnet_ids: Vec<String>,
    pub security_groups: Vec<String>,
    pub publicly_accessible: bool,
    pub deletion_protection: bool,
    /// Pending maintenance actions, as the console words them; `None` when they could not be
    /// read (the endpoint lacks DescribePendingMaintenanceActions, or access is denied).
    pub pending_maintenance: Option<Vec<String>>,
    /// True when the master password lives in Secrets Manager (`ManageMasterUserPassword`).
    pub managed_master_password: bool,
}

impl DbInstance {
    pub fn health(&self) -> Health {
        match self.status.as_str() {
            "available" => Health::Ok,
            "backing-up"
            | "modifying"
            | "creating"
            | "rebooting"
            | "maintenance"
            | "upgrading"
            | "starting"
            | "configuring-enhanced-monitoring" => Health::Pending,
            "stopped" | "stopping" => Health::Warning,
            _ => Health::Failed,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Network (EC2)
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vpc {
    pub id: String,
    pub cidr: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subnet {
    pub id: String,
    pub vpc_id: String,
    pub cidr: String,
    pub availability_zone: String,
    pub name: Option<String>,
    pub map_public_ip_on_launch: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "kebab-case")]
pub enum RouteTarget {
    Local,
    InternetGateway(String),
    NatGateway(String),
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub destination: String,
    pub target: RouteTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteTable {
    pub id: String,
    pub vpc_id: String,
    /// Explicitly associated subnets.
    pub subnet_ids: Vec<String>,
    /// The VPC's main table applies to subnets with no explicit association.
    pub main: bool,
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InternetGateway {
    pub id: String,
    pub vpc_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NatGateway {
    pub id: String,
    pub vpc_id: String,
    pub subnet_id: String,
    /// pending, available, deleting, deleted, failed.
    pub state: String,
    pub public_ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
pub enum RuleSource {
    Cidr(String),
    SecurityGroup(String),
    PrefixList(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityGroupRule {
    /// `tcp`, `udp`, `icmp` or `-1` for all.
    pub protocol: String,
    pub from_port: Option<u16>,
    pub to_port: Option<u16>,
    pub source: RuleSource,
}

impl SecurityGroupRule {
    pub fn admits_port(&self, port: u16) -> bool {
        if self.protocol == "-1" {
            return true;
        }
        self.protocol == "tcp"
            && match (self.from_port, self.to_port) {
                (Some(from), Some(to)) => from <= port && port <= to,
                _ => true,
            }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: String,
    pub ingress: Vec<SecurityGroupRule>,
}

impl SecurityGroup {
    /// Does this group admit traffic on `port` from a member of `source_group`?
    pub fn admits_group(&self, source_group: &str, port: u16) -> bool {
        self.ingress.iter().any(|r| {
            r.admits_port(port)
                && matches!(&r.source, RuleSource::SecurityGroup(g) if g == source_group)
        })
    }

    /// Does this group admit traffic on `port` from anywhere on the internet?
    pub fn admits_world(&self, port: u16) -> bool {
        self.ingress.iter().any(|r| {
            r.admits_port(port)
                && matches!(&r.source, RuleSource::Cidr(c) if c == "0.0.0.0/0" || c == "::/0")
        })
    }
}

// ---------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEvent {
    pub event_id: String,
    pub timestamp: Millis,
    pub ingestion_time: Millis,
    pub stream: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogStream {
    pub name: String,
    pub last_event_at: Option<Millis>,
}

/// One page of FilterLogEvents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogPage {
    pub events: Vec<LogEvent>,
    pub next_token: Option<String>,
}

/// What to read from a log group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogQuery {
    pub group: String,
    /// Streams whose names start with this prefix (`<stream-prefix>/<container>/`).
    pub stream_prefix: Option<String>,
    /// Exact stream names; empty means "all streams (or those under the prefix)".
    pub streams: Vec<String>,
    pub start: Option<Millis>,
    pub end: Option<Millis>,
    pub filter_pattern: Option<String>,
    pub limit: Option<u32>,
}

// ---------------------------------------------------------------------------------------
// The stack as a whole
// ---------------------------------------------------------------------------------------

/// Which service a dashboard is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackRef {
    /// Display name: a named stack from the config file, or the service name.
    pub name: String,
    pub region: String,
    pub cluster: String,
    pub service: String,
}

/// The wiring around a service, found by following references from it (see `ops::discover`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Topology {
    pub vpc: Option<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub internet_gateways: Vec<InternetGateway>,
    pub nat_gateways: Vec<NatGateway>,
    pub security_groups: Vec<SecurityGroup>,
    pub load_balancers: Vec<LoadBalancer>,
    pub target_groups: Vec<TargetGroup>,
    pub databases: Vec<DbInstance>,
    pub certificates: Vec<Certificate>,
    pub dns_records: Vec<DnsRecord>,
    /// Service security groups and subnets, from the service's network configuration.
    pub service_network: NetworkConfig,
    pub log_groups: Vec<AwsLogsConfig>,
    /// CloudFront in front of the stack, and the static site's buckets.
    pub edge: StackEdge,
}

impl Topology {
    pub fn subnet(&self, id: &str) -> Option<&Subnet> {
        self.subnets.iter().find(|s| s.id == id)
    }

    pub fn security_group(&self, id: &str) -> Option<&SecurityGroup> {
        self.security_groups.iter().find(|g| g.id == id)
    }

    /// The route table that applies to a subnet: its explicit association, else the main one.
    pub fn route_table_for(&self, subnet_id: &str) -> Option<&RouteTable> {
        self.route_tables
            .iter()
            .find(|t| t.subnet_ids.iter().any(|s| s == subnet_id))
            .or_else(|| self.route_tables.iter().find(|t| t.main))
    }

    /// A subnet is public when its default route goes to an internet gateway.
    pub fn is_public(&self, subnet_id: &str) -> bool {
        self.route_table_for(subnet_id).is_some_and(|t| {
            t.routes
                .iter()
                .any(|r| matches!(r.target, RouteTarget::InternetGateway(_)))
        })
    }
}
