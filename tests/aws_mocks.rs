//! What moto cannot do: throttling and retry, paged list answers, access denied, expired
//! credentials and SSO tokens. Served by aws-smithy-mocks or by the SDK's own credential chain
//! reading files in a temporary home; nothing leaves the machine.

#[path = "common/moto.rs"]
mod moto;

use std::process::Command;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use opsdeck::cloud::aws::ecs::AwsEcs;
use opsdeck::cloud::aws::rds::AwsRds;
use opsdeck::cloud::aws::sts::AwsIdentity;
use opsdeck::cloud::aws::{CallContext, CallCounter};
use opsdeck::cloud::{CloudError, DesiredStatus, EcsApi, IdentityApi, RdsApi};

const ATTEMPTS: u32 = 3;

/// A client of `$krate` answered by `rules`, retrying like the real one but quickly.
macro_rules! mocked {
    ($krate:ident, $rules:expr, $mode:expr, $calls:expr) => {{
        let mut interceptor = MockResponseInterceptor::new().rule_mode($mode);
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

fn context(profile: Option<&str>) -> CallContext {
    CallContext {
        profile: profile.map(str::to_string),
        endpoint: "http://127.0.0.1:9".into(),
    }
}

fn json_error(code: &str, message: &str) -> Option<String> {
    Some(format!(r#"{{"__type":"{code}","message":"{message}"}}"#))
}

#[tokio::test]
async fn throttling_is_retried_with_backoff_until_it_succeeds() {
    let rule = mock!(aws_sdk_ecs::Client::list_services)
        .sequence()
        .http_status(400, json_error("ThrottlingException", "Rate exceeded"))
        .times(2)
        .output(|| {
            aws_sdk_ecs::operation::list_services::ListServicesOutput::builder()
                .service_arns("arn:aws:ecs:eu-west-2:123456789012:service/umami/umami")
                .build()
        })
        .build();
    let calls = CallCounter::new();
    let ecs = AwsEcs::new(
        mocked!(aws_sdk_ecs, [&rule], RuleMode::Sequential, calls),
        context(None),
    );

    let services = ecs.list_services("umami").await.unwrap();

    assert_eq!(services.len(), 1);
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(calls.calls()["ECS.ListServices"], 1);
    assert_eq!(calls.attempts()["ECS.ListServices"], 3);
}

#[tokio::test]
async fn throttling_that_outlasts_the_retries_says_so_in_one_line() {
    let rule = mock!(aws_sdk_ecs::Client::describe_services)
        .sequence()
        .http_status(400, json_error("ThrottlingException", "Rate exceeded"))
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let ecs = AwsEcs::new(
        mocked!(aws_sdk_ecs, [&rule], RuleMode::Sequential, calls),
        context(None),
    );

    let err = ecs
        .describe_services("umami", &["umami".to_string()])
        .await
        .unwrap_err();

    assert_eq!(
        err,
        CloudError::Throttled {
            operation: "ecs:DescribeServices".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "ecs:DescribeServices was throttled by AWS: retrying with backoff"
    );
    assert_eq!(
        calls.attempts()["ECS.DescribeServices"],
        u64::from(ATTEMPTS)
    );
}

fn arns(kind: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range
        .map(|i| format!("arn:aws:ecs:eu-west-2:123456789012:{kind}/umami/{i:04}"))
        .collect()
}

#[tokio::test]
async fn list_calls_follow_next_tokens_at_100_per_page() {
    use aws_sdk_ecs::operation::list_services::ListServicesOutput;
    use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;

    let page = |token: Option<&'static str>| {
        move |r: &aws_sdk_ecs::operation::list_services::ListServicesInput| {
            r.max_results() == Some(100) && r.next_token() == token
        }
    };
    let services_1 = mock!(aws_sdk_ecs::Client::list_services)
        .match_requests(page(None))
        .then_output(|| {
            ListServicesOutput::builder()
                .set_service_arns(Some(arns("service", 0..100)))
                .next_token("s2")
                .build()
        });
    let services_2 = mock!(aws_sdk_ecs::Client::list_services)
        .match_requests(page(Some("s2")))
        .then_output(|| {
            ListServicesOutput::builder()
                .set_service_arns(Some(arns("service", 100..120)))
                .build()
        });
    let task_page =
        |token: Option<&'static str>, next: Option<&'static str>, range: std::ops::Range<usize>| {
            mock!(aws_sdk_ecs::Client::list_tasks)
                .match_requests(move |r| {
                    r.max_results() == Some(100)
                        && r.next_token() == token
                        && r.service_name() == Some("umami")
                })
                .then_output(move || {
                    ListTasksOutput::builder()
                        .set_task_arns(Some(arns("task", range.clone())))
                        .set_next_token(next.map(str::to_string))
                        .build()
                })
        };
    let tasks_1 = task_page(None, Some("t2"), 0..100);
    let tasks_2 = task_page(Some("t2"), Some("t3"), 100..200);
    let tasks_3 = task_page(Some("t3"), None, 200..250);
    let calls = CallCounter::new();
    let ecs = AwsEcs::new(
        mocked!(
            aws_sdk_ecs,
            [&services_1, &services_2, &tasks_1, &tasks_2, &tasks_3],
            RuleMode::MatchAny,
            calls
        ),
        context(None),
    );

    let services = ecs.list_services("umami").await.unwrap();
    let tasks = ecs
        .list_tasks("umami", Some("umami"), DesiredStatus::Running)
        .await
        .unwrap();

    assert_eq!(services, arns("service", 0..120));
    assert_eq!(tasks, arns("task", 0..250));
    assert_eq!(calls.calls()["ECS.ListServices"], 2);
    assert_eq!(calls.calls()["ECS.ListTasks"], 3);
}

#[tokio::test]
async fn access_denied_names_the_action() {
    let rule = mock!(aws_sdk_ecs::Client::describe_services)
        .sequence()
        .http_status(
            400,
            json_error(
                "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecs:DescribeServices",
            ),
        )
        .build();
    let calls = CallCounter::new();
    let ecs = AwsEcs::new(
        mocked!(aws_sdk_ecs, [&rule], RuleMode::Sequential, calls),
        context(None),
    );

    let err = ecs
        .describe_services("umami", &["umami".to_string()])
        .await
        .unwrap_err();

    assert!(
        matches!(&err, CloudError::AccessDenied { action, .. } if action == "ecs:DescribeServices"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("access denied to ecs:DescribeServices: User: ")
    );
    assert_eq!(calls.attempts()["ECS.DescribeServices"], 1, "not retried");
}

#[tokio::test]
async fn expired_session_credentials_point_at_sso_login_for_the_profile() {
    let body = r#"<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>ExpiredToken</Code>
  <Message>The security token included in the request is expired</Message></Error>
  <RequestId>1</RequestId></ErrorResponse>"#;
    let rule = mock!(aws_sdk_sts::Client::get_caller_identity)
        .sequence()
        .http_status(403, Some(body.to_string()))
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let sts = AwsIdentity::new(
        mocked!(aws_sdk_sts, [&rule], RuleMode::Sequential, calls),
        context(Some("dev")),
    );

    let err = sts.caller().await.unwrap_err();

    assert_eq!(
        err.to_string(),
        "the SSO session for profile dev has expired: run `aws sso login --profile dev`"
    );
}

/// Runs the real binary with a home holding only `files`, pointed at a closed loopback port.
fn run_in_home(files: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let home = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = home.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let closed = format!("http://127.0.0.1:{}", moto::free_port());
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command
        .args([
            "--endpoint-url",
            &closed,
            "--cluster",
            "umami",
            "--service",
            "umami",
        ])
        .args(args)
        .envs(moto::binary_env(home.path()))
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    for name in moto::SCRUBBED_ENV {
        command.env_remove(name);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_expired_sso_token_says_to_run_aws_sso_login() {
    use sha1::{Digest, Sha1};
    let config = "[profile dev]\n\
                  sso_session = corp\n\
                  sso_account_id = 123456789012\n\
                  sso_role_name = ReadOnly\n\
                  region = eu-west-2\n\n\
                  [sso-session corp]\n\
                  sso_start_url = https://corp.awsapps.com/start\n\
                  sso_region = eu-west-2\n\
                  sso_registration_scopes = sso:account:access\n";
    // The CLI caches the token under the SHA-1 of the session name; this one expired in 2020
    // and has no refresh token, so the SDK gives up without a network call.
    let cache = format!(".aws/sso/cache/{}.json", hex::encode(Sha1::digest(b"corp")));
    let token = r#"{"accessToken":"expired","expiresAt":"2020-01-01T00:00:00Z",
                    "region":"eu-west-2","startUrl":"https://corp.awsapps.com/start"}"#;

    let (code, stderr) = run_in_home(
        &[("aws-config", config), (&cache, token)],
        &["--profile", "dev", "status"],
    );

    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim_end(),
        "opsdeck: the SSO session for profile dev has expired: run `aws sso login --profile dev`"
    );
}

#[test]
fn no_credentials_anywhere_says_where_to_get_them() {
    let (code, stderr) = run_in_home(&[], &["status"]);

    assert_eq!(code, 2);
    assert_eq!(
        stderr.trim_end(),
        "opsdeck: no AWS credentials found: set AWS_PROFILE, run `aws configure`, or try --sandbox"
    );
}

#[tokio::test]
async fn a_log_query_sends_stream_names_or_a_prefix_never_both() {
    use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsOutput;
    use opsdeck::cloud::LogsApi;
    use opsdeck::cloud::aws::logs::AwsLogs;
    use opsdeck::model::LogQuery;

    let by_prefix = mock!(aws_sdk_cloudwatchlogs::Client::filter_log_events)
        .match_requests(|r| {
            r.log_stream_name_prefix() == Some("umami/umami/") && r.log_stream_names().is_empty()
        })
        .then_output(|| FilterLogEventsOutput::builder().next_token("more").build());
    let by_name = mock!(aws_sdk_cloudwatchlogs::Client::filter_log_events)
        .match_requests(|r| {
            r.log_stream_name_prefix().is_none()
                && r.log_stream_names() == ["umami/umami/task1"]
                && r.next_token() == Some("more")
        })
        .then_output(|| FilterLogEventsOutput::builder().build());
    let calls = CallCounter::new();
    let logs = AwsLogs::new(
        mocked!(
            aws_sdk_cloudwatchlogs,
            [&by_prefix, &by_name],
            RuleMode::MatchAny,
            calls
        ),
        context(None),
    );
    let mut query = LogQuery {
        group: "/ecs/umami".into(),
        stream_prefix: Some("umami/umami/".into()),
        ..LogQuery::default()
    };

    let page = logs.filter_log_events(&query, None).await.unwrap();
    assert_eq!(page.next_token.as_deref(), Some("more"));
    query.streams = vec!["umami/umami/task1".into()];
    let page = logs.filter_log_events(&query, Some("more")).await.unwrap();
    assert_eq!(page.next_token, None);
    assert_eq!(by_prefix.num_calls(), 1);
    assert_eq!(by_name.num_calls(), 1);
}

fn filtered_event(id: &str, timestamp: i64) -> aws_sdk_cloudwatchlogs::types::FilteredLogEvent {
    aws_sdk_cloudwatchlogs::types::FilteredLogEvent::builder()
        .event_id(id)
        .timestamp(timestamp)
        .ingestion_time(timestamp + 500)
        .log_stream_name("umami/umami/task1")
        .message(format!("line {id}"))
        .build()
}

fn mocked_logs(
    rule: &aws_smithy_mocks::Rule,
    calls: &CallCounter,
) -> opsdeck::cloud::aws::logs::AwsLogs {
    opsdeck::cloud::aws::logs::AwsLogs::new(
        mocked!(aws_sdk_cloudwatchlogs, [rule], RuleMode::Sequential, calls),
        context(None),
    )
}

#[tokio::test]
async fn a_throttled_log_tail_backs_off_and_recovers_without_loss_or_repeats() {
    use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsOutput;
    use opsdeck::ops::logs::streams::{GroupStreams, StreamSet};
    use opsdeck::ops::logs::{LogTail, PollOptions, RateLimiter, StreamSelection};
    use std::sync::Arc;

    let throttled = || json_error("ThrottlingException", "Rate exceeded");
    // Poll 1: throttled on every SDK attempt. Poll 2: the first two events. Poll 3:
    // throttled twice, then (within the SDK's retries) the two again and a third. Then
    // the same three for ever.
    let rule = mock!(aws_sdk_cloudwatchlogs::Client::filter_log_events)
        .sequence()
        .http_status(400, throttled())
        .times(ATTEMPTS as usize)
        .output(|| {
            FilterLogEventsOutput::builder()
                .events(filtered_event("1", 1_000))
                .events(filtered_event("2", 1_000))
                .build()
        })
        .http_status(400, throttled())
        .times(2)
        .output(|| {
            FilterLogEventsOutput::builder()
                .events(filtered_event("1", 1_000))
                .events(filtered_event("2", 1_000))
                .events(filtered_event("3", 1_001))
                .build()
        })
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let logs = Arc::new(mocked_logs(&rule, &calls));
    let selection = StreamSelection {
        groups: vec![GroupStreams {
            group: "/ecs/umami".into(),
            region: "eu-west-2".into(),
            streams: StreamSet::Prefixes(vec!["umami/umami/".into()]),
        }],
    };
    let mut tail = LogTail::polling(
        logs,
        Arc::new(RateLimiter::filter_log_events()),
        selection,
        PollOptions {
            jitter_seed: Some(3),
            ..PollOptions::from(0)
        },
    );

    let first = tail.next().await.unwrap();
    assert!(first.throttled && !first.caught_up && first.events.is_empty());
    let backoff_started = std::time::Instant::now();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let batch = tail.next().await.unwrap();
        assert!(
            !batch.throttled,
            "the SDK's retries absorb a short throttle"
        );
        ids.extend(batch.events.into_iter().map(|e| e.event_id));
    }

    assert_eq!(ids, ["1", "2", "3"], "every event once, in order");
    assert!(
        backoff_started.elapsed() >= Duration::from_millis(500),
        "the tail waited before polling again"
    );
    assert_eq!(calls.calls()["CloudWatch Logs.FilterLogEvents"], 4);
    assert_eq!(
        calls.attempts()["CloudWatch Logs.FilterLogEvents"],
        u64::from(ATTEMPTS) + 1 + 3 + 1
    );
}

#[tokio::test]
async fn log_reads_surface_throttled_only_after_the_sdk_retries_are_spent() {
    use aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsOutput;
    use opsdeck::cloud::LogsApi;
    use opsdeck::model::LogQuery;

    let rule = mock!(aws_sdk_cloudwatchlogs::Client::filter_log_events)
        .sequence()
        .http_status(400, json_error("ThrottlingException", "Rate exceeded"))
        .times(ATTEMPTS as usize - 1)
        .output(|| FilterLogEventsOutput::builder().build())
        .http_status(400, json_error("ThrottlingException", "Rate exceeded"))
        .repeatedly()
        .build();
    let calls = CallCounter::new();
    let logs = mocked_logs(&rule, &calls);
    let query = LogQuery {
        group: "/ecs/umami".into(),
        ..LogQuery::default()
    };

    assert!(logs.filter_log_events(&query, None).await.is_ok());
    assert_eq!(
        calls.attempts()["CloudWatch Logs.FilterLogEvents"],
        u64::from(ATTEMPTS)
    );
    let err = logs.filter_log_events(&query, None).await.unwrap_err();
    assert_eq!(
        err,
        CloudError::Throttled {
            operation: "logs:FilterLogEvents".into()
        }
    );
    assert_eq!(
        calls.attempts()["CloudWatch Logs.FilterLogEvents"],
        u64::from(ATTEMPTS) * 2
    );
}

const DB_ARN: &str = "arn:aws:rds:eu-west-2:123456789012:db:umami-db";

fn one_database() -> aws_smithy_mocks::Rule {
    mock!(aws_sdk_rds::Client::describe_db_instances).then_output(|| {
        aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput::builder()
            .db_instances(
                aws_sdk_rds::types::DbInstance::builder()
                    .db_instance_identifier("umami-db")
                    .db_instance_arn(DB_ARN)
                    .db_instance_status("available")
                    .build(),
            )
            .build()
    })
}

#[tokio::test]
async fn pending_maintenance_is_read_for_each_instance() {
    use aws_sdk_rds::operation::describe_pending_maintenance_actions::DescribePendingMaintenanceActionsOutput;
    use aws_sdk_rds::types::{PendingMaintenanceAction, ResourcePendingMaintenanceActions};
    let databases = one_database();
    let maintenance =
        mock!(aws_sdk_rds::Client::describe_pending_maintenance_actions).then_output(|| {
            DescribePendingMaintenanceActionsOutput::builder()
                .pending_maintenance_actions(
                    ResourcePendingMaintenanceActions::builder()
                        .resource_identifier(DB_ARN)
                        .pending_maintenance_action_details(
                            PendingMaintenanceAction::builder()
                                .action("system-update")
                                .description("New Operating System update is available")
                                .current_apply_date(aws_smithy_types::DateTime::from_secs(
                                    1_796_094_000,
                                ))
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
    let calls = CallCounter::new();
    let rds = AwsRds::new(
        mocked!(
            aws_sdk_rds,
            [&databases, &maintenance],
            RuleMode::MatchAny,
            calls
        ),
        context(None),
    );

    let found = rds.describe_db_instances().await.unwrap();

    assert_eq!(
        found[0].pending_maintenance,
        Some(vec![
            "system-update: New Operating System update is available (applies 2026-12-01 03:00 UTC)"
                .to_string()
        ])
    );
}

#[tokio::test]
async fn denied_pending_maintenance_is_unknown_and_not_asked_again() {
    let databases = one_database();
    let denied = mock!(aws_sdk_rds::Client::describe_pending_maintenance_actions)
        .then_http_response(|| {
            aws_smithy_runtime_api::http::Response::new(
                aws_smithy_runtime_api::http::StatusCode::try_from(403).unwrap(),
                aws_smithy_types::body::SdkBody::from(
                    r#"<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: rds:DescribePendingMaintenanceActions</Message></Error><RequestId>1</RequestId></ErrorResponse>"#,
                ),
            )
        });
    let calls = CallCounter::new();
    let rds = AwsRds::new(
        mocked!(
            aws_sdk_rds,
            [&databases, &denied],
            RuleMode::MatchAny,
            calls
        ),
        context(None),
    );

    let first = rds.describe_db_instances().await.unwrap();
    let second = rds.describe_db_instances().await.unwrap();

    assert_eq!(first[0].id, "umami-db");
    assert_eq!(first[0].pending_maintenance, None);
    assert_eq!(second[0].pending_maintenance, None);
    assert_eq!(denied.num_calls(), 1, "asked once, then left alone");
    assert_eq!(databases.num_calls(), 2);
}
