//! Releases against the sandbox on a manual clock: a whole rollout runs in milliseconds.
//! Each test asserts what a user would notice: the verdict and its exit code, what the
//! service runs afterwards, the calls made, the audit line written.

mod common;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::cloud::{
    Clock, Cloud, CloudError, CloudResult, DesiredStatus, EcsApi, LoadBalancingApi, RdsApi,
};
use opsdeck::model::{
    DbInstance, DbSnapshot, DeploymentController, LoadBalancer, Millis, NewTaskDefinition, Service,
    ServiceDeployment, ServiceUpdate, TargetGroup, TargetHealth, Task, TaskDefinition,
    TaskDefinitionStatus,
};
use opsdeck::ops::audit::Audit;
use opsdeck::ops::release::{
    self, DeployRequest, Outcome, POLL_COST, Progress, ReleaseError, Verdict, WatchOptions,
};

// ---------------------------------------------------------------------------------------
// Harness: the real sandbox, a clock that advances it, and a wrapper that records calls.
// ---------------------------------------------------------------------------------------

/// Every call the workflows make, in order; `sleep` marks the end of a poll.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn push(&self, name: &str) {
        self.0.lock().unwrap().push(name.to_string());
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    fn mutating(&self) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|c| MUTATING.contains(&c.as_str()))
            .collect()
    }
    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

const MUTATING: &[&str] = &[
    "RegisterTaskDefinition",
    "UpdateService",
    "StopTask",
    "StopServiceDeployment",
    "CreateDBSnapshot",
];

/// The sandbox's own clock (a manual one runs the world forward on `sleep`), with each
/// sleep recorded: the calls between two sleeps are one watch poll.
struct Counted {
    clock: Arc<dyn Clock>,
    calls: Calls,
}

#[async_trait]
impl Clock for Counted {
    fn now(&self) -> Millis {
        self.clock.now()
    }
    async fn sleep(&self, ms: Millis) {
        self.calls.push("sleep");
        self.clock.sleep(ms).await;
    }
}

/// ECS, ELB and RDS of the sandbox with every call recorded. `controller` pretends the
/// service uses another deployment controller.
struct Recorded {
    ecs: Arc<dyn EcsApi>,
    elb: Arc<dyn LoadBalancingApi>,
    rds: Arc<dyn RdsApi>,
    calls: Calls,
    controller: Option<DeploymentController>,
    /// Every other DescribeTasks is throttled: a watch that cannot see must go on.
    throttle: bool,
    describes: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl EcsApi for Recorded {
    async fn list_clusters(&self) -> CloudResult<Vec<String>> {
        self.calls.push("ListClusters");
        self.ecs.list_clusters().await
    }
    async fn list_services(&self, cluster: &str) -> CloudResult<Vec<String>> {
        self.calls.push("ListServices");
        self.ecs.list_services(cluster).await
    }
    async fn describe_services(
        &self,
        cluster: &str,
        services: &[String],
    ) -> CloudResult<Vec<Service>> {
        self.calls.push("DescribeServices");
        let mut found = self.ecs.describe_services(cluster, services).await?;
        if let Some(controller) = self.controller {
            for s in &mut found {
                s.deployment_controller = controller;
            }
        }
        Ok(found)
    }
    async fn list_tasks(
        &self,
        cluster: &str,
        service: Option<&str>,
        desired: DesiredStatus,
    ) -> CloudResult<Vec<String>> {
        self.calls.push("ListTasks");
        self.ecs.list_tasks(cluster, service, desired).await
    }
    async fn describe_tasks(&self, cluster: &str, tasks: &[String]) -> CloudResult<Vec<Task>> {
        self.calls.push("DescribeTasks");
        let n = self
            .describes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.throttle && n % 2 == 1 {
            return Err(CloudError::Throttled {
                operation: "ecs:DescribeTasks".into(),
            });
        }
        self.ecs.describe_tasks(cluster, tasks).await
    }
    async fn describe_task_definition(&self, task_definition: &str) -> CloudResult<TaskDefinition> {
        self.calls.push("DescribeTaskDefinition");
        self.ecs.describe_task_definition(task_definition).await
    }
    async fn list_task_definitions(&self, family: &str) -> CloudResult<Vec<String>> {
        self.calls.push("ListTaskDefinitions");
        self.ecs.list_task_definitions(family).await
    }
    async fn list_task_definitions_with_status(
        &self,
        family: &str,
        status: TaskDefinitionStatus,
    ) -> CloudResult<Vec<String>> {
        self.calls.push("ListTaskDefinitions");
        self.ecs
            .list_task_definitions_with_status(family, status)
            .await
    }
    async fn register_task_definition(
        &self,
        definition: NewTaskDefinition,
    ) -> CloudResult<TaskDefinition> {
        self.calls.push("RegisterTaskDefinition");
        self.ecs.register_task_definition(definition).await
    }
    async fn register_image_revision(
        &self,
        source: &str,
        container: &str,
        image: &str,
    ) -> CloudResult<TaskDefinition> {
        self.calls.push("RegisterTaskDefinition");
        self.ecs
            .register_image_revision(source, container, image)
            .await
    }
    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: ServiceUpdate,
    ) -> CloudResult<Service> {
        self.calls.push("UpdateService");
        self.ecs.update_service(cluster, service, update).await
    }
    async fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> CloudResult<()> {
        self.calls.push("StopTask");
        self.ecs.stop_task(cluster, task, reason).await
    }
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
    ) -> CloudResult<Vec<String>> {
        self.calls.push("ListServiceDeployments");
        self.ecs.list_service_deployments(cluster, service).await
    }
    async fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> CloudResult<Vec<ServiceDeployment>> {
        self.calls.push("DescribeServiceDeployments");
        self.ecs.describe_service_deployments(arns).await
    }
    async fn stop_service_deployment(&self, arn: &str, rollback: bool) -> CloudResult<()> {
        self.calls.push("StopServiceDeployment");
        self.ecs.stop_service_deployment(arn, rollback).await
    }
}

#[async_trait]
impl LoadBalancingApi for Recorded {
    async fn describe_target_groups(&self, arns: &[String]) -> CloudResult<Vec<TargetGroup>> {
        self.calls.push("DescribeTargetGroups");
        self.elb.describe_target_groups(arns).await
    }
    async fn describe_target_health(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<Vec<TargetHealth>> {
        self.calls.push("DescribeTargetHealth");
        self.elb.describe_target_health(target_group_arn).await
    }
    async fn describe_load_balancers(&self, arns: &[String]) -> CloudResult<Vec<LoadBalancer>> {
        self.calls.push("DescribeLoadBalancers");
        self.elb.describe_load_balancers(arns).await
    }
}

#[async_trait]
impl RdsApi for Recorded {
    async fn describe_db_instances(&self) -> CloudResult<Vec<DbInstance>> {
        self.calls.push("DescribeDBInstances");
        self.rds.describe_db_instances().await
    }
    async fn create_db_snapshot(&self, instance: &str, snapshot: &str) -> CloudResult<DbSnapshot> {
        self.calls.push("CreateDBSnapshot");
        self.rds.create_db_snapshot(instance, snapshot).await
    }
    async fn describe_db_snapshot(&self, snapshot: &str) -> CloudResult<DbSnapshot> {
        self.calls.push("DescribeDBSnapshots");
        self.rds.describe_db_snapshot(snapshot).await
    }
    async fn disable_deletion_protection(&self, instance: &str) -> CloudResult<()> {
        self.calls.push("ModifyDBInstance");
        self.rds.disable_deletion_protection(instance).await
    }
}

struct Account {
    sandbox: Arc<Sandbox>,
    cloud: Cloud,
    calls: Calls,
    _state: tempfile::TempDir,
    audit_path: std::path::PathBuf,
    audit: Audit,
}

fn account_with(controller: Option<DeploymentController>) -> Account {
    account_made(controller, false, true)
}

/// `history`: whether ECS's deployment history answers (it does on AWS; moto and narrow
/// roles lack it, and the workflows fall back to the `deployments` array).
fn account_made(
    controller: Option<DeploymentController>,
    throttle: bool,
    history: bool,
) -> Account {
    let sandbox = Sandbox::new(
        Scenario::Healthy,
        42,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let sandbox = if history {
        sandbox
    } else {
        sandbox.without_deployment_history()
    };
    // The scenario deploys v2.13.1 by itself at +30 s: let that finish first.
    sandbox.advance(10 * 60 * 1000);
    let calls = Calls::default();
    let plain = sandbox.cloud();
    let recorded = Arc::new(Recorded {
        ecs: plain.ecs.clone(),
        elb: plain.elb.clone(),
        rds: plain.rds.clone(),
        calls: calls.clone(),
        controller,
        throttle,
        describes: Default::default(),
    });
    let cloud = Cloud {
        ecs: recorded.clone(),
        elb: recorded.clone(),
        rds: recorded,
        clock: Arc::new(Counted {
            clock: plain.clock.clone(),
            calls: calls.clone(),
        }),
        ..plain
    };
    let state = tempfile::tempdir().unwrap();
    let audit_path = state.path().join("opsdeck/audit.jsonl");
    Account {
        audit: Audit::at(&audit_path),
        sandbox,
        cloud,
        calls,
        _state: state,
        audit_path,
    }
}

fn account() -> Account {
    account_with(None)
}

fn quiet(_: Progress) {}

fn fast() -> WatchOptions {
    WatchOptions {
        poll_ms: 5_000,
        ..WatchOptions::default()
    }
}

impl Account {
    async fn deploy(&self, image: &str, options: &WatchOptions) -> Outcome {
        let plan = release::plan_deploy(
            &self.cloud,
            &common::umami(),
            &DeployRequest {
                image: image.into(),
                ..DeployRequest::default()
            },
        )
        .await
        .expect("plan");
        release::deploy(&self.cloud, &plan, options, &self.audit, &quiet)
            .await
            .expect("deploy started")
    }

    async fn service(&self) -> Service {
        opsdeck::ops::discover::stack_service(&self.cloud, &common::umami())
            .await
            .unwrap()
    }

    fn audit_lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.audit_path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Deploys
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn healthy_deploy_succeeds_pinned_to_the_digest() {
    let account = account();
    let before = account.service().await.task_definition;
    let outcome = account.deploy("v2.14.0", &fast()).await;
    assert_eq!(outcome.verdict, Verdict::Succeeded, "{outcome:#?}");
    assert_eq!(outcome.verdict.exit_code(), 0);
    assert_eq!(outcome.previous, before, "the previous ARN is recorded");
    let service = account.service().await;
    assert_eq!(service.task_definition, outcome.task_definition);
    let registered = account
        .cloud
        .ecs
        .describe_task_definition(&outcome.task_definition)
        .await
        .unwrap();
    let image = &registered.containers[0].image;
    assert!(
        image.starts_with("123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami@sha256:"),
        "pinned to the digest: {image}"
    );
}

/// The same path with a tag this branch's sandbox already holds.
#[tokio::test]
async fn deploy_of_an_earlier_tag_succeeds_and_is_audited() {
    let account = account();
    let before = account.service().await.task_definition;
    let outcome = account.deploy("v2.13.0", &fast()).await;
    assert_eq!(outcome.verdict, Verdict::Succeeded, "{outcome:#?}");
    assert!(outcome.deployment_id.is_some());
    assert_eq!(outcome.previous, before);
    let registered = account
        .cloud
        .ecs
        .describe_task_definition(&outcome.task_definition)
        .await
        .unwrap();
    assert!(
        registered.containers[0].image.contains("/umami@sha256:"),
        "{}",
        registered.containers[0].image
    );
    let lines = account.audit_lines();
    assert_eq!(lines.len(), 1, "one line per mutation: {lines:#?}");
    let line = &lines[0];
    assert_eq!(line["action"], "deploy");
    assert_eq!(line["target"], "umami/umami");
    assert_eq!(line["result"], "succeeded");
    assert_eq!(line["exit_code"], 0);
    assert_eq!(line["before"], before.as_str());
    assert_eq!(line["after"], outcome.task_definition.as_str());
    assert_eq!(line["caller"], "arn:aws:iam::123456789012:user/sandbox");
    assert_eq!(line["account"], "123456789012");
    assert_eq!(line["region"], "eu-west-2");
    assert!(
        chrono::DateTime::parse_from_rfc3339(line["time"].as_str().unwrap()).is_ok(),
        "{line}"
    );
}

#[tokio::test]
async fn a_crash_loop_fails_though_the_circuit_breaker_does_not_count_it() {
    let account = account();
    let outcome = account.deploy("v2.14.1-crash", &fast()).await;
    assert!(
        matches!(outcome.verdict, Verdict::Failed { .. }),
        "{outcome:#?}"
    );
    assert_eq!(outcome.verdict.exit_code(), 3);
    assert!(outcome.failures.len() >= 3, "{:#?}", outcome.failures);
    assert!(
        outcome.failures.iter().all(|f| f.exit_code == Some(1)),
        "{:#?}",
        outcome.failures
    );
    let lines = account.audit_lines();
    let last = lines.last().expect("an audit line");
    assert!(
        last["result"].as_str().unwrap().starts_with("failed: "),
        "{last}"
    );
    assert_eq!(last["exit_code"], 3);
}

#[tokio::test]
async fn a_crash_loop_with_rollback_on_failure_ends_on_the_old_revision() {
    let account = account();
    let before = account.service().await.task_definition;
    let options = WatchOptions {
        rollback_on_failure: true,
        ..fast()
    };
    let outcome = account.deploy("v2.14.1-crash", &options).await;
    assert!(
        matches!(&outcome.verdict, Verdict::RolledBack { to, .. } if *to == before),
        "{outcome:#?}"
    );
    assert_eq!(outcome.verdict.exit_code(), 4);
    assert_eq!(account.service().await.task_definition, before);
    // Where ECS keeps the deployment history, its own rollback of the deployment is used.
    let calls = account.calls.all();
    assert!(
        calls.iter().any(|c| c == "StopServiceDeployment"),
        "{calls:?}"
    );
    assert_eq!(
        calls.iter().filter(|c| *c == "UpdateService").count(),
        1,
        "only the deploy's own UpdateService: {calls:?}"
    );
}

#[tokio::test]
async fn failing_health_checks_are_rolled_back_by_ecs_and_never_called_success() {
    let account = account();
    let outcome = account.deploy("v2.14.1-unhealthy", &fast()).await;
    assert!(
        matches!(
            outcome.verdict,
            Verdict::RolledBack { .. } | Verdict::Failed { .. }
        ),
        "{outcome:#?}"
    );
    assert!(
        outcome
            .unhealthy_targets
            .iter()
            .any(|t| t.reason.as_deref() == Some("Target.ResponseCodeMismatch")),
        "{:#?}",
        outcome.unhealthy_targets
    );
}

/// ECS's own rollback, with what this branch's sandbox does already: a revision whose
/// tasks fail their health checks trips the circuit breaker.
#[tokio::test]
async fn a_rollback_to_a_broken_revision_is_followed_through_ecs_own_rollback() {
    let account = account();
    let service = account.service().await;
    let mut broken = account
        .cloud
        .ecs
        .describe_task_definition(&service.task_definition)
        .await
        .unwrap();
    // A typo in the environment: the app answers health checks with an error.
    for (name, value) in &mut broken.containers[0].environment {
        if name == "DATABASE_TYPE" {
            *value = "mysql".into();
        }
    }
    let broken = account
        .cloud
        .ecs
        .register_task_definition(NewTaskDefinition {
            family: broken.family,
            cpu: broken.cpu,
            memory: broken.memory,
            containers: broken.containers,
        })
        .await
        .unwrap();
    let plan = release::plan_rollback(
        &account.cloud,
        &common::umami(),
        Some(&broken.revision.to_string()),
    )
    .await
    .unwrap();
    assert!(
        plan.changes.iter().any(|c| c.field == "env DATABASE_TYPE"),
        "{:#?}",
        plan.changes
    );
    let outcome = release::rollback(&account.cloud, &plan, &fast(), &account.audit, &quiet)
        .await
        .unwrap();
    assert!(
        matches!(&outcome.verdict, Verdict::RolledBack { to, .. } if *to == service.task_definition),
        "{outcome:#?}"
    );
    assert_eq!(outcome.verdict.exit_code(), 4);
    assert!(
        outcome
            .unhealthy_targets
            .iter()
            .any(|t| t.reason.as_deref() == Some("Target.ResponseCodeMismatch")),
        "the reason the targets failed: {outcome:#?}"
    );
    assert!(
        outcome
            .failures
            .iter()
            .any(|f| f.reason.contains("ELB health checks")),
        "{:#?}",
        outcome.failures
    );
    assert_eq!(
        account.service().await.task_definition,
        service.task_definition
    );
    let lines = account.audit_lines();
    assert_eq!(lines.last().unwrap()["action"], "rollback");
    assert_eq!(lines.last().unwrap()["exit_code"], 4);
}

#[tokio::test]
async fn a_short_timeout_times_out() {
    let account = account();
    let options = WatchOptions {
        timeout_ms: 20_000,
        ..fast()
    };
    let outcome = account.deploy("v2.13.0", &options).await;
    assert!(
        matches!(outcome.verdict, Verdict::TimedOut { waited_ms } if waited_ms >= 20_000),
        "{outcome:#?}"
    );
    assert_eq!(outcome.verdict.exit_code(), 5);
}

#[tokio::test]
async fn a_deploy_replaced_midway_says_so() {
    let account = account();
    let start = account.sandbox.now();
    let other = account.cloud.clone();
    let sandbox = account.sandbox.clone();
    // Another pipeline run, a minute into ours.
    let concurrent = tokio::spawn(async move {
        while sandbox.now() < start + 60_000 {
            tokio::task::yield_now().await;
        }
        other
            .ecs
            .update_service(
                "umami",
                "umami",
                ServiceUpdate {
                    force_new_deployment: true,
                    ..ServiceUpdate::default()
                },
            )
            .await
            .unwrap()
    });
    let outcome = account.deploy("v2.13.0", &fast()).await;
    let theirs = concurrent.await.unwrap();
    let by = theirs.primary_deployment().unwrap().id.clone();
    assert_eq!(outcome.verdict, Verdict::Replaced { by }, "{outcome:#?}");
    assert_eq!(outcome.verdict.exit_code(), 6);
}

// ---------------------------------------------------------------------------------------
// Refusals: nothing changes
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_tag_is_refused_naming_the_repository_and_its_newest_tags() {
    let account = account();
    account.calls.clear();
    let refused = release::plan_deploy(
        &account.cloud,
        &common::umami(),
        &DeployRequest {
            image: "v9.9.9".into(),
            ..DeployRequest::default()
        },
    )
    .await
    .expect_err("refused");
    let ReleaseError::Refused(message) = &refused else {
        panic!("{refused:?}")
    };
    assert!(message.contains("repository umami"), "{message}");
    assert!(message.contains("v2.13.1"), "{message}");
    assert!(
        account.calls.mutating().is_empty(),
        "{:?}",
        account.calls.all()
    );
    release::record_refusal(
        &account.cloud,
        &common::umami(),
        &account.audit,
        "deploy",
        &refused,
    )
    .await;
    let lines = account.audit_lines();
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0]["result"]
            .as_str()
            .unwrap()
            .starts_with("refused: "),
        "{}",
        lines[0]
    );
    assert_eq!(lines[0]["exit_code"], 2);
}

#[tokio::test]
async fn a_rollback_to_an_inactive_revision_is_refused() {
    let account = account();
    let inactive = account
        .cloud
        .ecs
        .list_task_definitions_with_status("umami", TaskDefinitionStatus::Inactive)
        .await
        .unwrap();
    let revision = opsdeck::model::revision_of(&inactive[0]).unwrap();
    let refused = release::plan_rollback(
        &account.cloud,
        &common::umami(),
        Some(&revision.to_string()),
    )
    .await
    .expect_err("refused");
    assert!(refused.to_string().contains("INACTIVE"), "{refused}");
    let same = account.service().await.task_definition;
    let refused = release::plan_rollback(&account.cloud, &common::umami(), Some(&same))
        .await
        .expect_err("the running revision");
    assert!(refused.to_string().contains("already runs"), "{refused}");
    assert!(account.calls.mutating().is_empty());
}

#[tokio::test]
async fn the_default_rollback_target_is_the_revision_before() {
    let account = account();
    let plan = release::plan_rollback(&account.cloud, &common::umami(), None)
        .await
        .unwrap();
    assert!(
        plan.to.revision < plan.from.revision,
        "{} -> {}",
        plan.from.revision,
        plan.to.revision
    );
    assert!(
        plan.changes.iter().any(|c| c.field == "image umami"),
        "{:#?}",
        plan.changes
    );
}

#[tokio::test]
async fn code_deploy_services_are_refused_with_the_reason() {
    let account = account_with(Some(DeploymentController::CodeDeploy));
    let refused = release::plan_deploy(
        &account.cloud,
        &common::umami(),
        &DeployRequest {
            image: "v2.13.0".into(),
            ..DeployRequest::default()
        },
    )
    .await
    .expect_err("refused");
    assert!(refused.to_string().contains("CodeDeploy"), "{refused}");
    assert!(account.calls.mutating().is_empty());
}

#[tokio::test]
async fn scaling_to_zero_warns() {
    let account = account();
    let scaled = release::scale(&account.cloud, &common::umami(), 0, &account.audit)
        .await
        .unwrap();
    assert_eq!((scaled.before, scaled.after), (2, 0));
    assert!(scaled.warning.is_some());
    assert_eq!(account.service().await.desired, 0);
    let line = &account.audit_lines()[0];
    assert_eq!(line["action"], "scale");
    assert_eq!(
        (line["before"].as_str(), line["after"].as_str()),
        (Some("2"), Some("0"))
    );
}

#[tokio::test]
async fn a_task_of_another_service_is_not_stopped() {
    let account = account();
    let refused = release::stop_task(
        &account.cloud,
        &common::umami(),
        "0123456789abcdef0123456789abcdef",
        "test",
        &account.audit,
    )
    .await
    .expect_err("refused");
    assert!(
        refused.to_string().contains("0123456789abcdef"),
        "{refused}"
    );
    assert!(account.calls.mutating().is_empty());
}

#[tokio::test]
async fn snapshot_plans_name_the_stack_database() {
    let account = account();
    let plan = release::plan_deploy(
        &account.cloud,
        &common::umami(),
        &DeployRequest {
            image: "v2.13.0".into(),
            snapshot: true,
            ..DeployRequest::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(plan.snapshot_of.as_deref(), Some("umami-db"));
}

#[tokio::test]
async fn read_only_refuses_every_workflow_in_the_cloud_layer() {
    let account = account();
    let cloud = account.cloud.clone().read_only();
    let stack = common::umami();
    let plan = release::plan_deploy(
        &cloud,
        &stack,
        &DeployRequest {
            image: "v2.13.0".into(),
            ..DeployRequest::default()
        },
    )
    .await
    .expect("planning reads only");
    let is_read_only =
        |e: &ReleaseError| matches!(e, ReleaseError::Cloud(CloudError::ReadOnly { .. }));
    let e = release::deploy(&cloud, &plan, &fast(), &account.audit, &quiet)
        .await
        .expect_err("read-only");
    assert!(is_read_only(&e), "{e:?}");
    let rollback = release::plan_rollback(&cloud, &stack, None).await.unwrap();
    let e = release::rollback(&cloud, &rollback, &fast(), &account.audit, &quiet)
        .await
        .expect_err("read-only");
    assert!(is_read_only(&e), "{e:?}");
    let e = release::restart(&cloud, &stack, &fast(), &account.audit, &quiet)
        .await
        .expect_err("read-only");
    assert!(is_read_only(&e), "{e:?}");
    let e = release::scale(&cloud, &stack, 3, &account.audit)
        .await
        .expect_err("read-only");
    assert!(is_read_only(&e), "{e:?}");
    let task = account.service().await;
    let tasks = cloud
        .ecs
        .list_tasks("umami", Some("umami"), DesiredStatus::Running)
        .await
        .unwrap();
    let e = release::stop_task(&cloud, &stack, &tasks[0], "test", &account.audit)
        .await
        .expect_err("read-only");
    assert!(is_read_only(&e), "{e:?}");
    let snapshot = release::plan_deploy(
        &cloud,
        &stack,
        &DeployRequest {
            image: "v2.13.0".into(),
            snapshot: true,
            ..DeployRequest::default()
        },
    )
    .await
    .unwrap();
    let e = release::deploy(&cloud, &snapshot, &fast(), &account.audit, &quiet)
        .await
        .expect_err("read-only");
    assert!(is_read_only(&e), "{e:?}");
    assert!(
        account.calls.mutating().is_empty(),
        "the guard lets no mutating call through: {:?}",
        account.calls.mutating()
    );
    assert_eq!(
        account.service().await.task_definition,
        task.task_definition
    );
    let lines = account.audit_lines();
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "deploy",
            "rollback",
            "restart",
            "scale",
            "stop-task",
            "snapshot"
        ]
    );
    for line in &lines {
        assert!(
            line["result"]
                .as_str()
                .unwrap()
                .starts_with("refused: read-only"),
            "{line}"
        );
        assert_eq!(line["exit_code"], 2);
    }
}

#[tokio::test]
async fn one_watch_poll_makes_a_bounded_number_of_calls() {
    let account = account();
    let plan = release::plan_deploy(
        &account.cloud,
        &common::umami(),
        &DeployRequest {
            image: "v2.13.0".into(),
            ..DeployRequest::default()
        },
    )
    .await
    .unwrap();
    account.calls.clear();
    let outcome = release::deploy(&account.cloud, &plan, &fast(), &account.audit, &quiet)
        .await
        .unwrap();
    assert_eq!(outcome.verdict, Verdict::Succeeded);
    let calls = account.calls.all();
    // Everything up to the first sleep includes the update; polls are between sleeps.
    let polls: Vec<&[String]> = calls.split(|c| c == "sleep").skip(1).collect();
    let most = polls.iter().map(|p| p.len()).max().unwrap();
    let busiest = polls.iter().find(|p| p.len() == most).unwrap();
    println!("{POLL_COST}");
    println!(
        "{} polls; the busiest made {most} calls: {busiest:?}",
        polls.len()
    );
    // The bound for a poll: DescribeServices, DescribeTasks of the new tasks and
    // DescribeTargetHealth (one group here), plus the history describe where ECS keeps one.
    // Task lists are read only on the polls where ECS's counts moved.
    let steady: Vec<&&[String]> = polls
        .iter()
        .filter(|p| !p.iter().any(|c| c == "ListTasks"))
        .collect();
    let listing = polls.len() - steady.len();
    let steady_most = steady.iter().map(|p| p.len()).max().unwrap_or(0);
    let total: usize = polls.iter().map(|p| p.len()).sum();
    println!(
        "{listing} of {} polls listed tasks; a steady poll made at most {steady_most} calls; \
         {:.1} calls a poll on average",
        polls.len(),
        total as f64 / polls.len() as f64
    );
    for poll in &steady {
        let allowed = [
            "DescribeServices",
            "DescribeTasks",
            "DescribeTargetHealth",
            "DescribeServiceDeployments",
        ];
        assert!(
            poll.iter().all(|c| allowed.contains(&c.as_str())),
            "{poll:?}"
        );
    }
    assert!(listing * 2 < polls.len(), "most polls do not list tasks");
    assert!(most <= 7, "{busiest:?}");
    for poll in &polls {
        assert_eq!(
            poll.iter().filter(|c| *c == "DescribeServices").count(),
            1,
            "{poll:?}"
        );
        assert!(
            poll.iter().filter(|c| *c == "DescribeTasks").count() <= 1,
            "{poll:?}"
        );
        assert!(
            poll.iter().all(|c| !MUTATING.contains(&c.as_str())),
            "{poll:?}"
        );
    }
}

#[tokio::test]
async fn images_and_revisions_mark_what_runs() {
    let account = account();
    let images = release::images(&account.cloud, &common::umami())
        .await
        .unwrap();
    assert_eq!(images.repository, "umami");
    assert_eq!(images.images.iter().filter(|i| i.running).count(), 1);
    let pushed: Vec<_> = images.images.iter().map(|i| i.image.pushed_at).collect();
    let mut sorted = pushed.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(pushed, sorted, "newest first");
    let revisions = release::revisions(&account.cloud, &common::umami())
        .await
        .unwrap();
    assert!(revisions.iter().any(|r| r.running));
    assert!(
        revisions
            .iter()
            .any(|r| r.status == TaskDefinitionStatus::Inactive)
    );
    assert!(revisions.windows(2).all(|w| w[0].revision > w[1].revision));
}

#[tokio::test]
async fn a_throttled_poll_is_blind_and_the_watch_goes_on() {
    let account = account_made(None, true, true);
    let plan = release::plan_deploy(
        &account.cloud,
        &common::umami(),
        &DeployRequest {
            image: "v2.13.0".into(),
            ..DeployRequest::default()
        },
    )
    .await
    .unwrap();
    let seen = Mutex::new(Vec::new());
    let sink = |p: Progress| seen.lock().unwrap().push(p);
    let outcome = release::deploy(&account.cloud, &plan, &fast(), &account.audit, &sink)
        .await
        .unwrap();
    assert_eq!(outcome.verdict, Verdict::Succeeded, "{outcome:#?}");
    let seen = seen.into_inner().unwrap();
    let blind = seen
        .iter()
        .filter(|p| matches!(p, Progress::Poll { view } if view.blind.is_some()))
        .count();
    assert!(blind > 0, "some polls could not see");
    assert!(
        matches!(seen.first(), Some(Progress::Step { .. })),
        "{:?}",
        seen.first()
    );
    assert!(seen.iter().any(|p| matches!(p, Progress::Started { .. })));
}

/// Opsdeck's own rollback: the first failed task is enough here (before the circuit
/// breaker's three), so opsdeck, not ECS, rolls back, with UpdateService where ECS keeps no
/// deployment history.
#[tokio::test]
async fn without_the_history_rollback_on_failure_goes_back_by_update_service() {
    let account = account_made(None, false, false);
    let before = account.service().await.task_definition;
    let options = WatchOptions {
        rollback_on_failure: true,
        max_task_failures: 1,
        ..fast()
    };
    let plan = release::plan_deploy(
        &account.cloud,
        &common::umami(),
        &DeployRequest {
            image: "v2.14.1-crash".into(),
            ..DeployRequest::default()
        },
    )
    .await
    .unwrap();
    let seen = Mutex::new(Vec::new());
    let sink = |p: Progress| seen.lock().unwrap().push(p);
    let outcome = release::deploy(&account.cloud, &plan, &options, &account.audit, &sink)
        .await
        .unwrap();
    assert!(
        matches!(&outcome.verdict, Verdict::RolledBack { to, reason } if *to == before && reason.contains("crash loop")),
        "{outcome:#?}"
    );
    assert_eq!(outcome.verdict.exit_code(), 4);
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|p| matches!(p, Progress::RollingBack { to, .. } if *to == before))
    );
    let service = account.service().await;
    assert_eq!(service.task_definition, before);
    let updates = account
        .calls
        .all()
        .iter()
        .filter(|c| *c == "UpdateService")
        .count();
    assert_eq!(updates, 2, "the deploy and opsdeck's rollback");
    let line = account.audit_lines().pop().unwrap();
    assert_eq!(line["exit_code"], 4);
    assert!(
        line["result"]
            .as_str()
            .unwrap()
            .contains("rolled back to umami:"),
        "{line}"
    );
}
