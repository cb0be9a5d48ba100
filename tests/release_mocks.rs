//! The release calls moto cannot answer, served by aws-smithy-mocks: ECS's deployment history
//! (statuses, service revisions resolved to task definitions, stop with ROLLBACK), what an
//! endpoint without it answers, the exact RegisterTaskDefinition request an image revision
//! sends (fields moto drops included), and ECR's pages.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_ecs::operation::describe_service_deployments::DescribeServiceDeploymentsOutput;
use aws_sdk_ecs::operation::describe_service_revisions::DescribeServiceRevisionsOutput;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::operation::list_service_deployments::ListServiceDeploymentsOutput;
use aws_sdk_ecs::operation::register_task_definition::{
    RegisterTaskDefinitionInput, RegisterTaskDefinitionOutput,
};
use aws_sdk_ecs::operation::stop_service_deployment::StopServiceDeploymentOutput;
use aws_sdk_ecs::types as ecs;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_types::DateTime;
use opsdeck::cloud::aws::ecr::AwsEcr;
use opsdeck::cloud::aws::ecs::AwsEcs;
use opsdeck::cloud::aws::{CallContext, CallCounter};
use opsdeck::cloud::{CloudError, EcrApi, EcsApi};
use opsdeck::model::{ServiceDeployment, ServiceDeploymentStatus};

const ATTEMPTS: u32 = 3;

/// A client of `$krate` answered by `rules`, retrying like the real one but quickly.
macro_rules! mocked {
    ($krate:ident, $rules:expr, $calls:expr) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in $rules {
            interceptor = interceptor.with_rule(rule);
        }
        let config = $krate::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-2"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .http_client(create_mock_http_client())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(ATTEMPTS)
                    .with_initial_backoff(Duration::from_millis(5)),
            )
            .interceptor(interceptor)
            .interceptor($calls.clone())
            .build();
        $krate::Client::from_conf(config)
    }};
}

fn context() -> CallContext {
    CallContext {
        profile: None,
        endpoint: "http://127.0.0.1:9".into(),
    }
}

fn ecs_with(rules: &[&Rule], calls: &CallCounter) -> AwsEcs {
    AwsEcs::new(
        mocked!(aws_sdk_ecs, rules.iter().copied(), calls),
        context(),
    )
}

fn json_error(code: &str, message: &str) -> Option<String> {
    Some(format!(r#"{{"__type":"{code}","message":"{message}"}}"#))
}

const CLUSTER: &str = "arn:aws:ecs:eu-west-2:123456789012:cluster/umami";
const SERVICE: &str = "arn:aws:ecs:eu-west-2:123456789012:service/umami/umami";

fn deployment_arn(id: &str) -> String {
    format!("arn:aws:ecs:eu-west-2:123456789012:service-deployment/umami/umami/{id}")
}

fn revision_arn(id: &str) -> String {
    format!("arn:aws:ecs:eu-west-2:123456789012:service-revision/umami/umami/{id}")
}

fn task_definition_arn(revision: u32) -> String {
    format!("arn:aws:ecs:eu-west-2:123456789012:task-definition/umami:{revision}")
}

fn brief(id: &str, created_s: i64) -> ecs::ServiceDeploymentBrief {
    ecs::ServiceDeploymentBrief::builder()
        .service_deployment_arn(deployment_arn(id))
        .service_arn(SERVICE)
        .cluster_arn(CLUSTER)
        .created_at(DateTime::from_secs(created_s))
        .status(ecs::ServiceDeploymentStatus::Successful)
        .build()
}

#[tokio::test]
async fn service_deployments_are_listed_newest_first_over_every_page() {
    let first = mock!(aws_sdk_ecs::Client::list_service_deployments)
        .match_requests(|r| {
            r.cluster() == Some("umami")
                && r.service() == Some("umami")
                && r.max_results() == Some(100)
                && r.next_token().is_none()
        })
        .then_output(|| {
            ListServiceDeploymentsOutput::builder()
                .service_deployments(brief("b", 2_000))
                .service_deployments(brief("a", 1_000))
                .next_token("page-2")
                .build()
        });
    let second = mock!(aws_sdk_ecs::Client::list_service_deployments)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            ListServiceDeploymentsOutput::builder()
                .service_deployments(brief("c", 3_000))
                .build()
        });
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&first, &second], &calls);

    let arns = ecs
        .list_service_deployments("umami", "umami")
        .await
        .unwrap();

    assert_eq!(
        arns,
        [
            deployment_arn("c"),
            deployment_arn("b"),
            deployment_arn("a")
        ]
    );
    assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_next_token_given_twice_ends_the_listing() {
    let looping = mock!(aws_sdk_ecs::Client::list_service_deployments).then_output(|| {
        ListServiceDeploymentsOutput::builder()
            .service_deployments(brief("a", 1_000))
            .next_token("same")
            .build()
    });
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&looping], &calls);

    let arns = ecs
        .list_service_deployments("umami", "umami")
        .await
        .unwrap();

    assert_eq!(
        looping.num_calls(),
        2,
        "the first page, then the token once"
    );
    assert_eq!(arns.len(), 2);
}

fn summary(id: &str) -> ecs::ServiceRevisionSummary {
    ecs::ServiceRevisionSummary::builder()
        .arn(revision_arn(id))
        .requested_task_count(2)
        .running_task_count(2)
        .pending_task_count(0)
        .build()
}

fn breaker(
    status: ecs::ServiceDeploymentRollbackMonitorsStatus,
    failures: i32,
) -> ecs::ServiceDeploymentCircuitBreaker {
    ecs::ServiceDeploymentCircuitBreaker::builder()
        .status(status)
        .failure_count(failures)
        .threshold(3)
        .build()
}

/// Three deployments as ECS reports them after a bad release: the rolled-back one, the
/// earlier good one, and the one in progress that undoes it.
fn history() -> DescribeServiceDeploymentsOutput {
    use ecs::ServiceDeploymentRollbackMonitorsStatus as Breaker;
    use ecs::ServiceDeploymentStatus as Status;
    DescribeServiceDeploymentsOutput::builder()
        .service_deployments(
            ecs::ServiceDeployment::builder()
                .service_deployment_arn(deployment_arn("bad"))
                .service_arn(SERVICE)
                .cluster_arn(CLUSTER)
                .status(Status::RollbackSuccessful)
                .status_reason("Service deployment rolled back because the circuit breaker threshold was exceeded.")
                .source_service_revisions(summary("r6"))
                .target_service_revision(summary("r7"))
                .deployment_circuit_breaker(breaker(Breaker::Triggered, 3))
                .created_at(DateTime::from_millis(1_764_590_000_000))
                .started_at(DateTime::from_millis(1_764_590_001_000))
                .finished_at(DateTime::from_millis(1_764_590_600_000))
                .build(),
        )
        .service_deployments(
            ecs::ServiceDeployment::builder()
                .service_deployment_arn(deployment_arn("good"))
                .status(Status::Successful)
                .target_service_revision(summary("r6"))
                .deployment_circuit_breaker(breaker(Breaker::Disabled, 0))
                .created_at(DateTime::from_millis(1_764_500_000_000))
                .stopped_at(DateTime::from_millis(1_764_500_300_000))
                .build(),
        )
        .service_deployments(
            ecs::ServiceDeployment::builder()
                .service_deployment_arn(deployment_arn("undo"))
                .status(Status::RollbackInProgress)
                .source_service_revisions(summary("r7"))
                .target_service_revision(summary("r6"))
                .deployment_circuit_breaker(breaker(Breaker::Monitoring, 1))
                .created_at(DateTime::from_millis(1_764_590_700_000))
                .build(),
        )
        .service_deployments(
            ecs::ServiceDeployment::builder()
                .service_deployment_arn(deployment_arn("future"))
                .status(Status::from("SOMETHING_NEWER"))
                .build(),
        )
        .build()
}

fn revisions() -> DescribeServiceRevisionsOutput {
    DescribeServiceRevisionsOutput::builder()
        .service_revisions(
            ecs::ServiceRevision::builder()
                .service_revision_arn(revision_arn("r6"))
                .task_definition(task_definition_arn(6))
                .build(),
        )
        .service_revisions(
            ecs::ServiceRevision::builder()
                .service_revision_arn(revision_arn("r7"))
                .task_definition(task_definition_arn(7))
                .build(),
        )
        .build()
}

fn asked_arns() -> Vec<String> {
    ["bad", "good", "undo", "future"]
        .iter()
        .map(|id| deployment_arn(id))
        .collect()
}

#[tokio::test]
async fn service_deployments_carry_status_reason_breaker_and_task_definitions() {
    let describe = mock!(aws_sdk_ecs::Client::describe_service_deployments)
        .match_requests(|r| r.service_deployment_arns() == asked_arns().as_slice())
        .then_output(history);
    let revision_lookup = mock!(aws_sdk_ecs::Client::describe_service_revisions)
        .match_requests(|r| {
            // Each service revision once, though several deployments name it.
            r.service_revision_arns() == [revision_arn("r6"), revision_arn("r7")]
        })
        .then_output(revisions);
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&describe, &revision_lookup], &calls);

    let deployments = ecs
        .describe_service_deployments(&asked_arns())
        .await
        .unwrap();

    assert_eq!(
        deployments,
        [
            ServiceDeployment {
                arn: deployment_arn("bad"),
                status: ServiceDeploymentStatus::RollbackSuccessful,
                status_reason: Some(
                    "Service deployment rolled back because the circuit breaker threshold was exceeded."
                        .into()
                ),
                target_task_definition: Some(task_definition_arn(7)),
                source_task_definitions: vec![task_definition_arn(6)],
                circuit_breaker_failures: Some(3),
                created_at: Some(1_764_590_000_000),
                finished_at: Some(1_764_590_600_000),
            },
            ServiceDeployment {
                arn: deployment_arn("good"),
                status: ServiceDeploymentStatus::Successful,
                status_reason: None,
                target_task_definition: Some(task_definition_arn(6)),
                source_task_definitions: vec![],
                // The breaker was off: no count to show, rather than a reassuring 0.
                circuit_breaker_failures: None,
                created_at: Some(1_764_500_000_000),
                finished_at: Some(1_764_500_300_000),
            },
            ServiceDeployment {
                arn: deployment_arn("undo"),
                status: ServiceDeploymentStatus::RollbackInProgress,
                status_reason: None,
                target_task_definition: Some(task_definition_arn(6)),
                source_task_definitions: vec![task_definition_arn(7)],
                circuit_breaker_failures: Some(1),
                created_at: Some(1_764_590_700_000),
                finished_at: None,
            },
        ],
        "a status opsdeck does not know is left out, not guessed"
    );
    assert_eq!(
        calls.calls().get("ECS.DescribeServiceRevisions"),
        Some(&1),
        "{:?}",
        calls.calls()
    );
}

#[tokio::test]
async fn deployments_are_described_20_at_a_time() {
    let asked: Vec<String> = (0..25)
        .map(|i| deployment_arn(&format!("d{i:02}")))
        .collect();
    let describe =
        mock!(aws_sdk_ecs::Client::describe_service_deployments).then_compute_output(|r| {
            let mut out = DescribeServiceDeploymentsOutput::builder();
            for arn in r.service_deployment_arns() {
                out = out.service_deployments(
                    ecs::ServiceDeployment::builder()
                        .service_deployment_arn(arn)
                        .status(ecs::ServiceDeploymentStatus::Successful)
                        .build(),
                );
            }
            out.build()
        });
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let seen = sizes.clone();
    let sized = mock!(aws_sdk_ecs::Client::describe_service_deployments)
        .match_requests(move |r| {
            seen.lock().unwrap().push(r.service_deployment_arns().len());
            false
        })
        .then_output(|| DescribeServiceDeploymentsOutput::builder().build());
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&sized, &describe], &calls);

    let deployments = ecs.describe_service_deployments(&asked).await.unwrap();

    let mut sizes = sizes.lock().unwrap().clone();
    sizes.sort();
    assert_eq!(sizes, [5, 20]);
    let arns: Vec<String> = deployments.into_iter().map(|d| d.arn).collect();
    assert_eq!(arns, asked, "in the order asked");
    assert_eq!(
        calls.calls().get("ECS.DescribeServiceRevisions"),
        None,
        "no revisions named, none looked up"
    );
}

#[tokio::test]
async fn unreadable_service_revisions_leave_task_definitions_unknown_not_the_statuses() {
    let describe = mock!(aws_sdk_ecs::Client::describe_service_deployments).then_output(history);
    let denied = mock!(aws_sdk_ecs::Client::describe_service_revisions)
        .sequence()
        .http_status(
            400,
            json_error(
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:role/ci is not authorized to perform: ecs:DescribeServiceRevisions",
            ),
        )
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&describe, &denied], &calls);

    let deployments = ecs
        .describe_service_deployments(&asked_arns())
        .await
        .unwrap();

    let seen: Vec<_> = deployments
        .iter()
        .map(|d| {
            (
                d.status,
                d.target_task_definition.clone(),
                d.source_task_definitions.len(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (ServiceDeploymentStatus::RollbackSuccessful, None, 0),
            (ServiceDeploymentStatus::Successful, None, 0),
            (ServiceDeploymentStatus::RollbackInProgress, None, 0),
        ]
    );
}

#[tokio::test]
async fn stopping_a_deployment_asks_for_rollback_or_abort() {
    let rollback = mock!(aws_sdk_ecs::Client::stop_service_deployment)
        .match_requests(|r| {
            r.service_deployment_arn() == Some(deployment_arn("bad").as_str())
                && r.stop_type() == Some(&ecs::StopServiceDeploymentStopType::Rollback)
        })
        .then_output(|| {
            StopServiceDeploymentOutput::builder()
                .service_deployment_arn(deployment_arn("bad"))
                .build()
        });
    let abort = mock!(aws_sdk_ecs::Client::stop_service_deployment)
        .match_requests(|r| r.stop_type() == Some(&ecs::StopServiceDeploymentStopType::Abort))
        .then_output(|| StopServiceDeploymentOutput::builder().build());
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&rollback, &abort], &calls);

    ecs.stop_service_deployment(&deployment_arn("bad"), true)
        .await
        .unwrap();
    assert_eq!((rollback.num_calls(), abort.num_calls()), (1, 0));
    ecs.stop_service_deployment(&deployment_arn("bad"), false)
        .await
        .unwrap();
    assert_eq!((rollback.num_calls(), abort.num_calls()), (1, 1));
}

/// What moto_server 5.2.5 sends for an operation it does not implement.
const MOTO_500: &str = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n\
                        <h1>Internal Server Error</h1>\n<p>The server encountered an internal error \
                        and was unable to complete your request.</p>\n";

#[tokio::test]
async fn an_endpoint_without_the_history_answers_unsupported_and_is_not_asked_again() {
    let lacking = mock!(aws_sdk_ecs::Client::list_service_deployments)
        .sequence()
        .http_status(500, Some(MOTO_500.to_string()))
        .repeatedly()
        .build();
    let stop = mock!(aws_sdk_ecs::Client::stop_service_deployment)
        .then_output(|| StopServiceDeploymentOutput::builder().build());
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&lacking, &stop], &calls);

    let err = ecs
        .list_service_deployments("umami", "umami")
        .await
        .unwrap_err();

    assert!(
        matches!(&err, CloudError::Unsupported { operation, message }
            if operation == "ecs:ListServiceDeployments" && message.contains("HTTP 500")),
        "{err:?}"
    );
    assert_eq!(
        calls.attempts()["ECS.ListServiceDeployments"],
        u64::from(ATTEMPTS),
        "a 500 may be AWS having a bad moment: retried first"
    );
    let again = ecs.list_service_deployments("umami", "umami").await;
    let stopped = ecs
        .stop_service_deployment(&deployment_arn("x"), true)
        .await;
    let described = ecs.describe_service_deployments(&asked_arns()).await;
    assert!(
        matches!(again, Err(CloudError::Unsupported { .. })),
        "{again:?}"
    );
    assert!(
        matches!(stopped, Err(CloudError::Unsupported { .. })),
        "{stopped:?}"
    );
    assert!(
        matches!(described, Err(CloudError::Unsupported { .. })),
        "{described:?}"
    );
    assert_eq!(lacking.num_calls(), ATTEMPTS as usize, "not asked again");
    assert_eq!(stop.num_calls(), 0, "not asked at all");
}

#[tokio::test]
async fn an_unknown_operation_code_is_unsupported_too() {
    let unknown = mock!(aws_sdk_ecs::Client::describe_service_deployments)
        .sequence()
        .http_status(
            400,
            json_error("UnknownOperationException", "Unknown operation"),
        )
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&unknown], &calls);

    let err = ecs
        .describe_service_deployments(&asked_arns())
        .await
        .unwrap_err();

    assert!(
        matches!(&err, CloudError::Unsupported { operation, .. } if operation == "ecs:DescribeServiceDeployments"),
        "{err:?}"
    );
    assert_eq!(unknown.num_calls(), 1, "not retried");
}

#[tokio::test]
async fn denied_or_failing_history_calls_are_not_unsupported_and_are_asked_again() {
    let denied = mock!(aws_sdk_ecs::Client::list_service_deployments)
        .sequence()
        .http_status(
            400,
            json_error(
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:role/ci is not authorized to perform: ecs:ListServiceDeployments",
            ),
        )
        .repeatedly()
        .build();
    // AWS's own server fault names itself: it may pass, so it is not "unsupported".
    let server_fault = mock!(aws_sdk_ecs::Client::describe_service_deployments)
        .sequence()
        .http_status(500, json_error("ServerException", "Internal failure"))
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&denied, &server_fault], &calls);

    let first = ecs.list_service_deployments("umami", "umami").await;
    let second = ecs.list_service_deployments("umami", "umami").await;
    let fault = ecs.describe_service_deployments(&asked_arns()).await;

    for err in [&first, &second] {
        assert!(
            matches!(err, Err(CloudError::AccessDenied { action, .. }) if action == "ecs:ListServiceDeployments"),
            "{err:?}"
        );
    }
    assert_eq!(denied.num_calls(), 2, "a denial does not stop later calls");
    let fault = fault.unwrap_err();
    assert!(matches!(fault, CloudError::Other { .. }), "{fault:?}");
    assert!(fault.may_pass());
}

/// A task definition with every field RegisterTaskDefinition accepts set, including those
/// moto drops (enableFaultInjection), and ECS's own bookkeeping.
#[allow(deprecated)]
fn rich_source() -> (ecs::TaskDefinition, Vec<ecs::Tag>) {
    let env = |n: &str, v: &str| ecs::KeyValuePair::builder().name(n).value(v).build();
    let app = ecs::ContainerDefinition::builder()
        .name("umami")
        .image("123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami:v2.13.2")
        .essential(true)
        .port_mappings(ecs::PortMapping::builder().container_port(3000).build())
        .environment(env("DATABASE_TYPE", "postgresql"))
        .secrets(
            ecs::Secret::builder()
                .name("DATABASE_URL")
                .value_from("arn:aws:secretsmanager:eu-west-2:123456789012:secret:umami-db")
                .build()
                .unwrap(),
        )
        .health_check(
            ecs::HealthCheck::builder()
                .command("CMD-SHELL")
                .command("curl -f http://localhost:3000/api/heartbeat || exit 1")
                .build()
                .unwrap(),
        )
        .restart_policy(
            ecs::ContainerRestartPolicy::builder()
                .enabled(true)
                .restart_attempt_period(60)
                .build()
                .unwrap(),
        )
        .version_consistency(ecs::VersionConsistency::Disabled)
        .build();
    let sidecar = ecs::ContainerDefinition::builder()
        .name("envoy")
        .image("public.ecr.aws/appmesh/aws-appmesh-envoy:v1.27.3.0-prod")
        .essential(true)
        .build();
    let definition = ecs::TaskDefinition::builder()
        .task_definition_arn(task_definition_arn(6))
        .family("umami")
        .revision(6)
        .status(ecs::TaskDefinitionStatus::Active)
        .registered_at(DateTime::from_secs(1_764_000_000))
        .registered_by("arn:aws:iam::123456789012:role/ci")
        .compatibilities(ecs::Compatibility::Ec2)
        .compatibilities(ecs::Compatibility::Fargate)
        .requires_attributes(
            ecs::Attribute::builder()
                .name("com.amazonaws.ecs.capability.task-iam-role")
                .build()
                .unwrap(),
        )
        .task_role_arn("arn:aws:iam::123456789012:role/umami-task")
        .execution_role_arn("arn:aws:iam::123456789012:role/umami-execution")
        .network_mode(ecs::NetworkMode::Awsvpc)
        .container_definitions(app)
        .container_definitions(sidecar)
        .volumes(ecs::Volume::builder().name("tmp").build())
        .placement_constraints(
            ecs::TaskDefinitionPlacementConstraint::builder()
                .r#type(ecs::TaskDefinitionPlacementConstraintType::MemberOf)
                .expression("attribute:ecs.availability-zone in [eu-west-2a]")
                .build(),
        )
        .requires_compatibilities(ecs::Compatibility::Fargate)
        .cpu("512")
        .memory("1024")
        .pid_mode(ecs::PidMode::Task)
        .ipc_mode(ecs::IpcMode::None)
        .proxy_configuration(
            ecs::ProxyConfiguration::builder()
                .r#type(ecs::ProxyConfigurationType::Appmesh)
                .container_name("envoy")
                .properties(env("AppPorts", "3000"))
                .build()
                .unwrap(),
        )
        .inference_accelerators(
            ecs::InferenceAccelerator::builder()
                .device_name("device_1")
                .device_type("eia2.medium")
                .build()
                .unwrap(),
        )
        .ephemeral_storage(ecs::EphemeralStorage::builder().size_in_gib(40).build())
        .runtime_platform(
            ecs::RuntimePlatform::builder()
                .operating_system_family(ecs::OsFamily::Linux)
                .cpu_architecture(ecs::CpuArchitecture::Arm64)
                .build(),
        )
        .enable_fault_injection(true)
        .build();
    let tags = vec![
        ecs::Tag::builder().key("app").value("umami").build(),
        ecs::Tag::builder()
            .key("cost-centre")
            .value("analytics")
            .build(),
    ];
    (definition, tags)
}

const NEW_IMAGE: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami@sha256:\
                         0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[tokio::test]
#[allow(deprecated)]
async fn an_image_revision_sends_every_field_of_the_source_with_one_image_changed() {
    let source = task_definition_arn(6);
    let asked = source.clone();
    let describe = mock!(aws_sdk_ecs::Client::describe_task_definition)
        .match_requests(move |r| {
            r.task_definition() == Some(asked.as_str())
                && r.include() == [ecs::TaskDefinitionField::Tags]
        })
        .then_output(|| {
            let (definition, tags) = rich_source();
            DescribeTaskDefinitionOutput::builder()
                .task_definition(definition)
                .set_tags(Some(tags))
                .build()
        });
    let sent: Arc<Mutex<Option<RegisterTaskDefinitionInput>>> = Arc::default();
    let capture = sent.clone();
    let register = mock!(aws_sdk_ecs::Client::register_task_definition)
        .match_requests(move |r| {
            *capture.lock().unwrap() = Some(r.clone());
            true
        })
        .then_compute_output(|r| {
            let (mut definition, _) = rich_source();
            definition.task_definition_arn = Some(task_definition_arn(8));
            definition.revision = 8;
            definition.container_definitions = r.container_definitions.clone();
            RegisterTaskDefinitionOutput::builder()
                .task_definition(definition)
                .set_tags(r.tags.clone())
                .build()
        });
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&describe, &register], &calls);

    let new = ecs
        .register_image_revision(&source, "umami", NEW_IMAGE)
        .await
        .unwrap();

    let (definition, tags) = rich_source();
    let mut containers = definition.container_definitions.clone().unwrap();
    containers[0].image = Some(NEW_IMAGE.to_string());
    let expected = RegisterTaskDefinitionInput::builder()
        .set_family(definition.family.clone())
        .set_task_role_arn(definition.task_role_arn.clone())
        .set_execution_role_arn(definition.execution_role_arn.clone())
        .set_network_mode(definition.network_mode.clone())
        .set_container_definitions(Some(containers))
        .set_volumes(definition.volumes.clone())
        .set_placement_constraints(definition.placement_constraints.clone())
        .set_requires_compatibilities(definition.requires_compatibilities.clone())
        .set_cpu(definition.cpu.clone())
        .set_memory(definition.memory.clone())
        .set_tags(Some(tags))
        .set_pid_mode(definition.pid_mode.clone())
        .set_ipc_mode(definition.ipc_mode.clone())
        .set_proxy_configuration(definition.proxy_configuration.clone())
        .set_inference_accelerators(definition.inference_accelerators.clone())
        .set_ephemeral_storage(definition.ephemeral_storage.clone())
        .set_runtime_platform(definition.runtime_platform.clone())
        .set_enable_fault_injection(Some(true))
        .build()
        .unwrap();
    let sent = sent.lock().unwrap().clone().unwrap();
    assert_eq!(sent, expected);
    assert_eq!(
        sent.enable_fault_injection(),
        Some(true),
        "the field moto drops"
    );
    assert_eq!(
        sent.container_definitions()[1].image(),
        Some("public.ecr.aws/appmesh/aws-appmesh-envoy:v1.27.3.0-prod")
    );
    assert_eq!(new.revision, 8);
    assert_eq!(new.containers[0].image, NEW_IMAGE);
    assert_eq!(new.tags.len(), 2);
    assert_eq!(register.num_calls(), 1);
}

#[tokio::test]
async fn an_unknown_container_is_rejected_before_anything_is_registered() {
    let describe = mock!(aws_sdk_ecs::Client::describe_task_definition).then_output(|| {
        let (definition, tags) = rich_source();
        DescribeTaskDefinitionOutput::builder()
            .task_definition(definition)
            .set_tags(Some(tags))
            .build()
    });
    let register = mock!(aws_sdk_ecs::Client::register_task_definition)
        .then_output(|| RegisterTaskDefinitionOutput::builder().build());
    let calls = CallCounter::new();
    let ecs = ecs_with(&[&describe, &register], &calls);

    let err = ecs
        .register_image_revision(&task_definition_arn(6), "app", NEW_IMAGE)
        .await
        .unwrap_err();

    assert_eq!(
        err.to_string(),
        "ecs:RegisterTaskDefinition rejected: umami:6 has no container named app; \
         its containers are umami, envoy"
    );
    assert_eq!(register.num_calls(), 0);
}

fn image(digest_seed: u8, tags: &[&str], pushed_s: i64) -> aws_sdk_ecr::types::ImageDetail {
    aws_sdk_ecr::types::ImageDetail::builder()
        .repository_name("umami")
        .image_digest(format!(
            "sha256:{}",
            format!("{digest_seed:02x}").repeat(32)
        ))
        .set_image_tags(Some(tags.iter().map(|t| t.to_string()).collect()))
        .image_pushed_at(DateTime::from_secs(pushed_s))
        .image_size_in_bytes(150_000_000 + i64::from(digest_seed))
        .build()
}

#[tokio::test]
async fn ecr_images_are_read_over_every_page_and_sorted_newest_first() {
    use aws_sdk_ecr::operation::describe_images::DescribeImagesOutput;
    let first = mock!(aws_sdk_ecr::Client::describe_images)
        .match_requests(|r| {
            r.repository_name() == Some("umami")
                && r.max_results() == Some(1000)
                && r.next_token().is_none()
        })
        .then_output(|| {
            DescribeImagesOutput::builder()
                .image_details(image(1, &["v2.13.1"], 1_000))
                .image_details(image(3, &["v2.14.0", "latest"], 3_000))
                .next_token("more")
                .build()
        });
    let second = mock!(aws_sdk_ecr::Client::describe_images)
        .match_requests(|r| r.next_token() == Some("more"))
        .then_output(|| {
            DescribeImagesOutput::builder()
                .image_details(image(2, &[], 2_000))
                .build()
        });
    let calls = CallCounter::new();
    let ecr = AwsEcr::new(mocked!(aws_sdk_ecr, [&first, &second], calls), context());

    let images = ecr.describe_images("umami").await.unwrap();

    /// Digest, tags, push time and size: what the images list shows.
    type Seen = (String, Vec<String>, Option<i64>, Option<u64>);
    let seen: Vec<Seen> = images
        .into_iter()
        .map(|i| (i.digest, i.tags, i.pushed_at, i.size_bytes))
        .collect();
    assert_eq!(
        seen,
        [
            (
                format!("sha256:{}", "03".repeat(32)),
                vec!["v2.14.0".to_string(), "latest".to_string()],
                Some(3_000_000),
                Some(150_000_003)
            ),
            (
                format!("sha256:{}", "02".repeat(32)),
                vec![],
                Some(2_000_000),
                Some(150_000_002)
            ),
            (
                format!("sha256:{}", "01".repeat(32)),
                vec!["v2.13.1".to_string()],
                Some(1_000_000),
                Some(150_000_001)
            ),
        ]
    );
    assert_eq!(calls.calls()["ECR.DescribeImages"], 2);
}

#[tokio::test]
async fn an_image_uri_given_as_repository_gets_a_hint_to_drop_the_host() {
    let missing = mock!(aws_sdk_ecr::Client::describe_images)
        .sequence()
        .http_status(
            400,
            json_error(
                "RepositoryNotFoundException",
                "The repository with name 'x' does not exist in the registry with id '123456789012'",
            ),
        )
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let ecr = AwsEcr::new(mocked!(aws_sdk_ecr, [&missing], calls), context());

    let err = ecr
        .describe_images("123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami")
        .await
        .unwrap_err();

    let CloudError::NotFound { kind, hint, .. } = &err else {
        panic!("expected NotFound, got {err:?}");
    };
    assert_eq!(*kind, "ECR repository");
    assert!(
        hint.as_deref()
            .is_some_and(|h| h.contains("without registry host")),
        "{hint:?}"
    );
}
