//! The CloudFormation calls moto cannot answer the way AWS does, served by aws-smithy-mocks:
//! event paging that stops at the last event seen, change sets over several pages, the
//! capability refusal, a missing stack, and throttling.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetError;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
use aws_sdk_cloudformation::types as cfn;
use aws_sdk_cloudformation::types::error::InsufficientCapabilitiesException;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use aws_smithy_types::error::ErrorMetadata;
use opsdeck::cloud::aws::cloudformation::AwsStacks;
use opsdeck::cloud::aws::{CallContext, CallCounter};
use opsdeck::cloud::{CloudError, StacksApi};
use opsdeck::model::{ChangeSetKind, ChangeSetRequest};

const ATTEMPTS: u32 = 3;

fn stacks_with(rules: &[&Rule], calls: &CallCounter) -> AwsStacks {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for rule in rules {
        interceptor = interceptor.with_rule(rule);
    }
    let config = aws_sdk_cloudformation::Config::builder()
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
        .interceptor(calls.clone())
        .build();
    AwsStacks::new(
        aws_sdk_cloudformation::Client::from_conf(config),
        CallContext {
            profile: None,
            endpoint: "http://127.0.0.1:9".into(),
        },
    )
}

fn event(id: &str) -> cfn::StackEvent {
    cfn::StackEvent::builder()
        .event_id(id)
        .stack_name("umami")
        .logical_resource_id("Db")
        .resource_type("AWS::RDS::DBInstance")
        .resource_status(cfn::ResourceStatus::CreateInProgress)
        .build()
}

fn event_rules() -> (Rule, Rule) {
    let first = mock!(aws_sdk_cloudformation::Client::describe_stack_events)
        .match_requests(|r| r.next_token().is_none())
        .then_output(|| {
            DescribeStackEventsOutput::builder()
                .stack_events(event("e4"))
                .stack_events(event("e3"))
                .next_token("page-2")
                .build()
        });
    let second = mock!(aws_sdk_cloudformation::Client::describe_stack_events)
        .match_requests(|r| r.next_token() == Some("page-2"))
        .then_output(|| {
            DescribeStackEventsOutput::builder()
                .stack_events(event("e2"))
                .stack_events(event("e1"))
                .build()
        });
    (first, second)
}

#[tokio::test]
async fn a_re_attached_follower_pages_only_as_far_as_the_last_event_it_saw() {
    let (first, second) = event_rules();
    let calls = CallCounter::new();
    let stacks = stacks_with(&[&first, &second], &calls);

    let recent = stacks.stack_events("umami", Some("e3")).await.unwrap();
    let ids: Vec<_> = recent.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["e4"]);
    assert_eq!(calls.calls()["CloudFormation.DescribeStackEvents"], 1);

    calls.reset();
    let all = stacks.stack_events("umami", Some("e1")).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        ["e4", "e3", "e2"]
    );
    assert_eq!(calls.calls()["CloudFormation.DescribeStackEvents"], 2);
    let everything = stacks.stack_events("umami", None).await.unwrap();
    assert_eq!(everything.len(), 4);
}

#[tokio::test]
async fn a_change_set_is_read_over_every_page_of_changes() {
    let change = |logical: &str| {
        cfn::Change::builder()
            .r#type(cfn::ChangeType::Resource)
            .resource_change(
                cfn::ResourceChange::builder()
                    .action(cfn::ChangeAction::Add)
                    .logical_resource_id(logical)
                    .resource_type("AWS::EC2::Subnet")
                    .build(),
            )
            .build()
    };
    let first = mock!(aws_sdk_cloudformation::Client::describe_change_set)
        .match_requests(|r| r.next_token().is_none())
        .then_output(move || {
            DescribeChangeSetOutput::builder()
                .change_set_id("cs-1")
                .stack_id("stack-1")
                .status(cfn::ChangeSetStatus::CreateComplete)
                .execution_status(cfn::ExecutionStatus::Available)
                .changes(change("A"))
                .next_token("more")
                .build()
        });
    let second = mock!(aws_sdk_cloudformation::Client::describe_change_set)
        .match_requests(|r| r.next_token() == Some("more"))
        .then_output(move || {
            DescribeChangeSetOutput::builder()
                .change_set_id("cs-1")
                .stack_id("stack-1")
                .status(cfn::ChangeSetStatus::CreateComplete)
                .changes(change("B"))
                .build()
        });
    let calls = CallCounter::new();
    let stacks = stacks_with(&[&first, &second], &calls);
    let cs = stacks
        .describe_change_set("umami", "create-1")
        .await
        .unwrap();
    assert_eq!(cs.id, "cs-1");
    assert_eq!(cs.execution_status.as_deref(), Some("AVAILABLE"));
    let logical: Vec<_> = cs.changes.iter().map(|c| c.logical_id.as_str()).collect();
    assert_eq!(logical, ["A", "B"]);
}

#[tokio::test]
async fn missing_capabilities_say_what_to_acknowledge() {
    let refused = mock!(aws_sdk_cloudformation::Client::create_change_set).then_error(|| {
        CreateChangeSetError::InsufficientCapabilitiesException(
            InsufficientCapabilitiesException::builder()
                .message("Requires capabilities : [CAPABILITY_NAMED_IAM]")
                .meta(
                    ErrorMetadata::builder()
                        .code("InsufficientCapabilitiesException")
                        .message("Requires capabilities : [CAPABILITY_NAMED_IAM]")
                        .build(),
                )
                .build(),
        )
    });
    let calls = CallCounter::new();
    let stacks = stacks_with(&[&refused], &calls);
    let request = ChangeSetRequest {
        stack: "umami".into(),
        change_set_name: "create-1".into(),
        template_body: "{}".into(),
        kind: ChangeSetKind::Create,
        capabilities: vec![],
        parameters: vec![("DbPassword".into(), "hunter2".into())],
        previous_parameters: vec![],
        tags: vec![],
    };
    let err = stacks.create_change_set(&request).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CloudError::Rejected { .. }), "{err:?}");
    assert!(
        text.contains("CAPABILITY_NAMED_IAM") && text.contains("acknowledge"),
        "{text}"
    );
    assert!(!text.contains("hunter2"));
}

#[tokio::test]
async fn a_missing_stack_is_none_and_throttling_is_retried_then_reported() {
    let missing = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .match_requests(|r| r.stack_name() == Some("nope"))
        .then_error(|| {
            DescribeStacksError::generic(
                ErrorMetadata::builder()
                    .code("ValidationError")
                    .message("Stack with id nope does not exist")
                    .build(),
            )
        });
    let throttled = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .match_requests(|r| r.stack_name() == Some("busy"))
        .sequence()
        .error(|| {
            DescribeStacksError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let stacks = stacks_with(&[&missing, &throttled], &calls);
    assert_eq!(stacks.describe_stack("nope").await.unwrap(), None);
    calls.reset();
    let err = stacks.describe_stack("busy").await.unwrap_err();
    assert!(matches!(err, CloudError::Throttled { .. }), "{err:?}");
    assert_eq!(
        calls.attempts()["CloudFormation.DescribeStacks"],
        u64::from(ATTEMPTS)
    );
}

fn resource_event(
    id: &str,
    at_s: i64,
    logical: &str,
    kind: &str,
    status: cfn::ResourceStatus,
    reason: Option<&str>,
) -> cfn::StackEvent {
    let mut event = cfn::StackEvent::builder()
        .event_id(id)
        .stack_name("umami")
        .stack_id(STACK_ID)
        .logical_resource_id(logical)
        .resource_type(kind)
        .resource_status(status)
        .timestamp(aws_smithy_types::DateTime::from_secs(1_795_338_000 + at_s));
    if let Some(reason) = reason {
        event = event.resource_status_reason(reason);
    }
    event.build()
}

const STACK_ID: &str = "arn:aws:cloudformation:eu-west-2:123456789012:stack/umami/6d1e";

fn stack_in(
    status: cfn::StackStatus,
) -> aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput {
    aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput::builder()
        .stacks(
            cfn::Stack::builder()
                .stack_name("umami")
                .stack_id(STACK_ID)
                .stack_status(status)
                .creation_time(aws_smithy_types::DateTime::from_secs(1_795_338_000))
                .tags(
                    cfn::Tag::builder()
                        .key("opsdeck:stack")
                        .value("umami")
                        .build(),
                )
                .build(),
        )
        .build()
}

/// moto creates a stack in one call with only the stack's own events; AWS reports each
/// resource, fails one with a reason, and rolls back. The follower, through the SDK's
/// types, names the failure that caused it and what was undone.
#[tokio::test]
async fn a_failed_create_followed_through_the_sdk_names_its_first_failure_and_the_rollback() {
    use cfn::ResourceStatus as R;
    use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
    let stack = "AWS::CloudFormation::Stack";
    let early = vec![
        resource_event(
            "e4",
            300,
            "Database",
            "AWS::RDS::DBInstance",
            R::CreateFailed,
            Some("Resource handler returned message: \"Cannot find version 13.1 for postgres\""),
        ),
        resource_event(
            "e3",
            290,
            "Nat",
            "AWS::EC2::NatGateway",
            R::CreateFailed,
            Some("Resource creation cancelled"),
        ),
        resource_event("e2", 12, "Vpc", "AWS::EC2::VPC", R::CreateComplete, None),
        resource_event(
            "e1",
            0,
            "umami",
            stack,
            R::CreateInProgress,
            Some("User Initiated"),
        ),
    ];
    let late = [
        resource_event(
            "e7",
            400,
            "umami",
            stack,
            R::from("ROLLBACK_COMPLETE"),
            None,
        ),
        resource_event("e6", 390, "Vpc", "AWS::EC2::VPC", R::DeleteComplete, None),
        resource_event(
            "e5",
            301,
            "umami",
            stack,
            R::from("ROLLBACK_IN_PROGRESS"),
            Some("The following resource(s) failed to create: [Database]."),
        ),
    ];
    let all: Vec<_> = late.iter().chain(early.iter()).cloned().collect();
    let events = mock!(aws_sdk_cloudformation::Client::describe_stack_events)
        .sequence()
        .output(move || {
            DescribeStackEventsOutput::builder()
                .set_stack_events(Some(early.clone()))
                .build()
        })
        .output(move || {
            DescribeStackEventsOutput::builder()
                .set_stack_events(Some(all.clone()))
                .build()
        })
        .repeatedly()
        .build();
    let stacks = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .sequence()
        .output(|| stack_in(cfn::StackStatus::RollbackInProgress))
        .output(|| stack_in(cfn::StackStatus::RollbackComplete))
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let sandbox = Sandbox::new(
        Scenario::Empty,
        1,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let mut cloud = sandbox.cloud();
    cloud.stacks = std::sync::Arc::new(stacks_with(&[&events, &stacks], &calls));

    let outcome = opsdeck::ops::bootstrap::provision::follow(&cloud, STACK_ID, None, &|_| {})
        .await
        .unwrap();
    assert!(!outcome.succeeded);
    assert_eq!(outcome.exit_code(), 3);
    assert_eq!(
        outcome.status,
        opsdeck::model::StackStatus::RollbackComplete
    );
    let first = outcome.first_failure.unwrap();
    assert_eq!(
        first.logical_id, "Database",
        "the cause, not the cancellation"
    );
    assert!(first.reason.unwrap().contains("Cannot find version 13.1"));
    assert_eq!(outcome.rolled_back, vec!["Vpc".to_string()]);
    let vpc = outcome
        .board
        .rows
        .iter()
        .find(|r| r.logical_id == "Vpc")
        .unwrap();
    assert_eq!(vpc.status, "DELETE_COMPLETE");
    assert_eq!(
        outcome.board.rows.len(),
        3,
        "each resource once: {:?}",
        outcome.board.rows
    );
    assert_eq!(calls.attempts()["CloudFormation.DescribeStacks"], 2);
}
