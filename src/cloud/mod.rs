//! The boundary to AWS: one trait per service area, returning opsdeck's own types.
//!
//! Implementations page and batch inside (callers pass any number of names or ARNs) and map
//! their errors to [`CloudError`], which says what the user can do about a failure.

pub mod aws;
pub mod guard;
pub mod sandbox;

use std::sync::Arc;

use async_trait::async_trait;

use crate::model::{
    BucketAccess, CfnStack, ChangeSet, ChangeSetRequest, Distribution, Invalidation, ObjectHeaders,
    OidcProvider, StackEvent, StackResource, StoredObject, TaggedResource,
};
use crate::model::{
    Certificate, DbInstance, DbSnapshot, DnsRecord, Identity, Image, InternetGateway, LoadBalancer,
    LogEvent, LogPage, LogQuery, LogStream, MetricQuery, MetricSeries, Millis, NatGateway,
    NewTaskDefinition, RouteTable, SecurityGroup, Service, ServiceDeployment, ServiceUpdate,
    Subnet, TargetGroup, TargetHealth, Task, TaskDefinition, TaskDefinitionStatus, Vpc,
};

/// A failure talking to the cloud, phrased for the person at the keyboard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudError {
    #[error("no AWS credentials found: set AWS_PROFILE, run `aws configure`, or try --sandbox")]
    NoCredentials,
    #[error(
        "the SSO session for profile {profile} has expired: run `aws sso login --profile {profile}`"
    )]
    SsoExpired { profile: String },
    #[error("access denied to {action}: {message}")]
    AccessDenied { action: String, message: String },
    #[error("{kind} {name} not found{}", hint.as_deref().map(|h| format!(": {h}")).unwrap_or_default())]
    NotFound {
        kind: &'static str,
        name: String,
        hint: Option<String>,
    },
    #[error("{operation} was throttled by AWS: retrying with backoff")]
    Throttled { operation: String },
    #[error("cannot reach {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("{operation} rejected: {message}")]
    Rejected { operation: String, message: String },
    #[error("{operation} failed: {message}")]
    Other { operation: String, message: String },
    /// The endpoint does not offer this call (an emulator, an older partition), or the
    /// backend has no such thing; callers with a fallback use it silently.
    #[error("{operation} is not available here: {message}")]
    Unsupported { operation: String, message: String },
    /// Refused by opsdeck itself before anything was sent: the session is read-only.
    #[error("read-only: {action} on {target} refused (--read-only, or read_only in the config)")]
    ReadOnly { action: String, target: String },
}

impl CloudError {
    /// Whether trying again later may succeed: a dropped connection or throttling may pass;
    /// missing credentials, a denied action or a resource that is not there will not.
    pub fn may_pass(&self) -> bool {
        matches!(
            self,
            CloudError::Throttled { .. }
                | CloudError::Unreachable { .. }
                | CloudError::Other { .. }
        )
    }
}

pub type CloudResult<T> = Result<T, CloudError>;

/// Which task states ListTasks should return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesiredStatus {
    Running,
    Stopped,
}

#[async_trait]
pub trait IdentityApi: Send + Sync {
    async fn caller(&self) -> CloudResult<Identity>;
}

#[async_trait]
pub trait EcsApi: Send + Sync {
    async fn list_clusters(&self) -> CloudResult<Vec<String>>;
    /// Service ARNs in a cluster, all pages.
    async fn list_services(&self, cluster: &str) -> CloudResult<Vec<String>>;
    /// Describes any number of services (batched by 10). Missing ones are left out.
    async fn describe_services(
        &self,
        cluster: &str,
        services: &[String],
    ) -> CloudResult<Vec<Service>>;
    /// Task ARNs of a service (or the whole cluster), all pages.
    async fn list_tasks(
        &self,
        cluster: &str,
        service: Option<&str>,
        desired: DesiredStatus,
    ) -> CloudResult<Vec<String>>;
    /// Describes any number of tasks (batched by 100).
    async fn describe_tasks(&self, cluster: &str, tasks: &[String]) -> CloudResult<Vec<Task>>;
    async fn describe_task_definition(&self, task_definition: &str) -> CloudResult<TaskDefinition>;
    /// Task-definition ARNs of a family, newest first, ACTIVE only.
    async fn list_task_definitions(&self, family: &str) -> CloudResult<Vec<String>>;
    async fn register_task_definition(
        &self,
        definition: NewTaskDefinition,
    ) -> CloudResult<TaskDefinition>;
    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: ServiceUpdate,
    ) -> CloudResult<Service>;
    async fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> CloudResult<()>;

    /// Task-definition ARNs of a family with this status, newest first.
    async fn list_task_definitions_with_status(
        &self,
        family: &str,
        status: TaskDefinitionStatus,
    ) -> CloudResult<Vec<String>>;
    /// Registers a copy of `source` (a task-definition ARN) that keeps every field
    /// RegisterTaskDefinition accepts, its tags included, and changes only the image of
    /// `container`. Returns the new revision.
    async fn register_image_revision(
        &self,
        source: &str,
        container: &str,
        image: &str,
    ) -> CloudResult<TaskDefinition>;
    /// ARNs of the service's deployments in ECS's deployment history, newest first.
    /// Endpoints without the history (moto, older partitions) answer `Unsupported`.
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
    ) -> CloudResult<Vec<String>> {
        Err(unsupported(
            "ecs:ListServiceDeployments",
            format!("no deployment history for {cluster}/{service}"),
        ))
    }
    async fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> CloudResult<Vec<ServiceDeployment>> {
        Err(unsupported(
            "ecs:DescribeServiceDeployments",
            format!("{} deployments asked", arns.len()),
        ))
    }
    /// StopServiceDeployment; `rollback` asks for stopType ROLLBACK.
    async fn stop_service_deployment(&self, arn: &str, rollback: bool) -> CloudResult<()> {
        let _ = rollback;
        Err(unsupported("ecs:StopServiceDeployment", arn.to_string()))
    }
}

/// The `Unsupported` error of a call this backend does not offer.
pub fn unsupported(operation: &str, message: String) -> CloudError {
    CloudError::Unsupported {
        operation: operation.to_string(),
        message,
    }
}

#[async_trait]
pub trait EcrApi: Send + Sync {
    /// Every image of a repository (all pages), newest push first.
    async fn describe_images(&self, repository: &str) -> CloudResult<Vec<Image>>;
}

#[async_trait]
pub trait LoadBalancingApi: Send + Sync {
    async fn describe_target_groups(&self, arns: &[String]) -> CloudResult<Vec<TargetGroup>>;
    async fn describe_target_health(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<Vec<TargetHealth>>;
    /// Load balancers with their listeners filled in.
    async fn describe_load_balancers(&self, arns: &[String]) -> CloudResult<Vec<LoadBalancer>>;
}

#[async_trait]
pub trait RdsApi: Send + Sync {
    async fn describe_db_instances(&self) -> CloudResult<Vec<DbInstance>>;
    /// Starts a manual snapshot of an instance.
    async fn create_db_snapshot(&self, instance: &str, snapshot: &str) -> CloudResult<DbSnapshot>;
    async fn describe_db_snapshot(&self, snapshot: &str) -> CloudResult<DbSnapshot>;
    /// ModifyDBInstance with deletion protection off, applied at once: teardown's one step
    /// outside CloudFormation, which cannot delete a protected instance.
    async fn disable_deletion_protection(&self, instance: &str) -> CloudResult<()>;
}

#[async_trait]
pub trait NetworkApi: Send + Sync {
    async fn describe_vpc(&self, vpc_id: &str) -> CloudResult<Vpc>;
    async fn describe_subnets(&self, ids: &[String]) -> CloudResult<Vec<Subnet>>;
    async fn describe_vpc_subnets(&self, vpc_id: &str) -> CloudResult<Vec<Subnet>>;
    async fn describe_route_tables(&self, vpc_id: &str) -> CloudResult<Vec<RouteTable>>;
    async fn describe_internet_gateways(&self, vpc_id: &str) -> CloudResult<Vec<InternetGateway>>;
    async fn describe_nat_gateways(&self, vpc_id: &str) -> CloudResult<Vec<NatGateway>>;
    async fn describe_security_groups(&self, ids: &[String]) -> CloudResult<Vec<SecurityGroup>>;
    async fn describe_vpc_security_groups(&self, vpc_id: &str) -> CloudResult<Vec<SecurityGroup>>;
}

#[async_trait]
pub trait EdgeApi: Send + Sync {
    async fn describe_certificates(&self, arns: &[String]) -> CloudResult<Vec<Certificate>>;
    /// Route53 alias records (in any hosted zone) whose target is `dns_name`.
    async fn records_aliasing(&self, dns_name: &str) -> CloudResult<Vec<DnsRecord>>;
    /// The id (`Z0123...`, without `/hostedzone/`) of the public hosted zone named `name`.
    async fn hosted_zone_id(&self, name: &str) -> CloudResult<Option<String>>;
}

#[async_trait]
pub trait LogsApi: Send + Sync {
    async fn filter_log_events(
        &self,
        query: &LogQuery,
        next_token: Option<&str>,
    ) -> CloudResult<LogPage>;
    async fn describe_log_streams(
        &self,
        group: &str,
        prefix: Option<&str>,
    ) -> CloudResult<Vec<LogStream>>;
    /// Opens a StartLiveTail session. Backends without live tail (the sandbox, test fakes)
    /// keep this default, and the tail polls instead.
    async fn start_live_tail(&self, request: &LiveTailRequest) -> CloudResult<Box<dyn LiveTail>> {
        Err(CloudError::Rejected {
            operation: "logs:StartLiveTail".into(),
            message: format!(
                "live tail is not available here (log groups {})",
                request.group_arns.join(", ")
            ),
        })
    }
}

/// What a StartLiveTail session watches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveTailRequest {
    /// Log-group ARNs (`arn:aws:logs:<region>:<account>:log-group:<name>`), at most 10.
    pub group_arns: Vec<String>,
    /// Stream-name prefixes; AWS allows stream filters only with a single group.
    pub stream_prefixes: Vec<String>,
    /// Exact stream names (one task's streams); used instead of prefixes when set.
    pub stream_names: Vec<String>,
    pub filter_pattern: Option<String>,
}

/// One message of a live-tail session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveTailUpdate {
    /// AWS accepted the session.
    Started,
    /// About a second's events; `sampled` when AWS sent a sample (above 500 events/s).
    Events {
        events: Vec<LogEvent>,
        sampled: bool,
    },
}

/// A running StartLiveTail session.
#[async_trait]
pub trait LiveTail: Send {
    /// The next update; `None` when AWS ended the session (after 3 hours, or on a timeout).
    async fn next_update(&mut self) -> CloudResult<Option<LiveTailUpdate>>;
}

#[async_trait]
pub trait MetricsApi: Send + Sync {
    /// Every query's datapoints between `start` and `end` at one-minute periods, in the
    /// order asked; a query with no data gives an empty series.
    async fn metric_series(
        &self,
        queries: &[MetricQuery],
        start: Millis,
        end: Millis,
    ) -> CloudResult<Vec<MetricSeries>>;
}

/// CloudFormation: change sets are the plan, executing one is the apply, stack events are
/// the progress, DeleteStack is the teardown.
#[async_trait]
pub trait StacksApi: Send + Sync {
    /// The stack by name (or ARN); `None` when there is no such stack.
    async fn describe_stack(&self, name: &str) -> CloudResult<Option<CfnStack>>;
    /// Starts a change set; answers `(change_set_id, stack_id)`. CloudFormation computes it
    /// asynchronously: poll `describe_change_set` until its status leaves CREATE_PENDING /
    /// CREATE_IN_PROGRESS.
    async fn create_change_set(&self, request: &ChangeSetRequest) -> CloudResult<(String, String)>;
    /// A change set with every page of its changes.
    async fn describe_change_set(&self, stack: &str, change_set: &str) -> CloudResult<ChangeSet>;
    async fn execute_change_set(&self, stack: &str, change_set: &str) -> CloudResult<()>;
    async fn delete_change_set(&self, stack: &str, change_set: &str) -> CloudResult<()>;
    /// The stack's events newest first, paging back until `after_event_id` (exclusive) or
    /// the oldest: a follower that re-attaches gets only what it has not seen.
    async fn stack_events(
        &self,
        stack: &str,
        after_event_id: Option<&str>,
    ) -> CloudResult<Vec<StackEvent>>;
    async fn stack_resources(&self, stack: &str) -> CloudResult<Vec<StackResource>>;
    async fn delete_stack(&self, name: &str) -> CloudResult<()>;
    /// The stack's current template body, as submitted.
    async fn get_template(&self, stack: &str) -> CloudResult<String>;
}

/// IAM, read only: what the account trusts already. opsdeck changes IAM only through
/// CloudFormation, so there is nothing here to refuse in read-only mode.
#[async_trait]
pub trait IamApi: Send + Sync {
    /// The account's OpenID Connect identity providers, with their audiences
    /// (ListOpenIDConnectProviders, then GetOpenIDConnectProvider for each).
    async fn oidc_providers(&self) -> CloudResult<Vec<OidcProvider>>;
}

/// The Resource Groups Tagging API: resources of every service, found by tag.
#[async_trait]
pub trait TaggingApi: Send + Sync {
    /// Every resource (all pages) carrying the tag `key=value`.
    async fn resources_tagged(&self, key: &str, value: &str) -> CloudResult<Vec<TaggedResource>>;
}

/// S3 and CloudFront, for a static site: the bucket's objects, uploads, deletions, and the
/// distribution's invalidations.
#[async_trait]
pub trait SiteApi: Send + Sync {
    /// Every object of the bucket (all pages).
    async fn list_objects(&self, bucket: &str) -> CloudResult<Vec<StoredObject>>;
    /// PutObject of the file at `path`, streamed, with its content type and cache policy.
    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        path: &std::path::Path,
        headers: &ObjectHeaders,
    ) -> CloudResult<()>;
    /// DeleteObjects, 1000 keys a call.
    async fn delete_objects(&self, bucket: &str, keys: &[String]) -> CloudResult<()>;
    /// CreateInvalidation; `reference` makes a retried request idempotent.
    async fn create_invalidation(
        &self,
        distribution: &str,
        paths: &[String],
        reference: &str,
    ) -> CloudResult<Invalidation>;
    async fn get_invalidation(&self, distribution: &str, id: &str) -> CloudResult<Invalidation>;
    /// Every distribution of the account (ListDistributions, all pages). The summaries do
    /// not carry the default root object: it reads None here, and [`SiteApi::distribution`]
    /// has it.
    async fn list_distributions(&self) -> CloudResult<Vec<Distribution>>;
    /// One distribution with its whole configuration (GetDistribution).
    async fn distribution(&self, id: &str) -> CloudResult<Distribution>;
    /// The newest invalidations of a distribution, newest first, at most `max` (their
    /// summaries: no paths).
    async fn list_invalidations(
        &self,
        distribution: &str,
        max: usize,
    ) -> CloudResult<Vec<Invalidation>>;
    /// Who may read the bucket: its Block Public Access settings and its policy.
    async fn bucket_access(&self, bucket: &str) -> CloudResult<BucketAccess>;
}

/// The backend's time: the wall clock on AWS, the virtual clock in the sandbox. Workflows
/// that wait (a deploy watch, a snapshot) wait on it, so a sandbox at `--speed 60` finishes
/// a deploy in seconds and a test's manual clock runs a whole rollout without sleeping.
#[async_trait]
pub trait Clock: Send + Sync {
    fn now(&self) -> Millis;
    /// Waits `ms` of this clock's time.
    async fn sleep(&self, ms: Millis);
}

/// Real time, for AWS.
pub struct WallClock;

#[async_trait]
impl Clock for WallClock {
    fn now(&self) -> Millis {
        crate::model::wall_clock_ms()
    }

    async fn sleep(&self, ms: Millis) {
        tokio::time::sleep(std::time::Duration::from_millis(
            u64::try_from(ms).unwrap_or(0),
        ))
        .await;
    }
}

/// Where the data comes from, as the status bar names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendKind {
    Sandbox {
        scenario: String,
    },
    Aws {
        profile: Option<String>,
        region: String,
        endpoint: Option<String>,
    },
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackendKind::Sandbox { scenario } => write!(f, "sandbox:{scenario}"),
            BackendKind::Aws {
                profile, region, ..
            } => write!(f, "{}@{region}", profile.as_deref().unwrap_or("default")),
        }
    }
}

/// Every service area of one account and region, behind trait objects so tests inject fakes.
#[derive(Clone)]
pub struct Cloud {
    pub kind: BackendKind,
    pub identity: Arc<dyn IdentityApi>,
    pub ecs: Arc<dyn EcsApi>,
    pub elb: Arc<dyn LoadBalancingApi>,
    pub rds: Arc<dyn RdsApi>,
    pub network: Arc<dyn NetworkApi>,
    pub edge: Arc<dyn EdgeApi>,
    pub logs: Arc<dyn LogsApi>,
    pub metrics: Arc<dyn MetricsApi>,
    pub ecr: Arc<dyn EcrApi>,
    pub stacks: Arc<dyn StacksApi>,
    /// CloudFormation in us-east-1, where CloudFront takes its certificates from: a site's
    /// companion stack lives there when the stack is elsewhere.
    pub edge_stacks: Arc<dyn StacksApi>,
    pub tagging: Arc<dyn TaggingApi>,
    pub site: Arc<dyn SiteApi>,
    pub iam: Arc<dyn IamApi>,
    pub clock: Arc<dyn Clock>,
}

impl Cloud {
    /// The same account with every mutating call refused in the cloud layer itself
    /// (`--read-only`, `read_only = true`): no face of opsdeck can get round it.
    pub fn read_only(self) -> Cloud {
        Cloud {
            ecs: Arc::new(guard::ReadOnlyEcs(self.ecs)),
            rds: Arc::new(guard::ReadOnlyRds(self.rds)),
            stacks: Arc::new(guard::ReadOnlyStacks(self.stacks)),
            edge_stacks: Arc::new(guard::ReadOnlyStacks(self.edge_stacks)),
            site: Arc::new(guard::ReadOnlySite(self.site)),
            ..self
        }
    }
}

impl std::fmt::Debug for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cloud").field("kind", &self.kind).finish()
    }
}
