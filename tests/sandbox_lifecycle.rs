//! The sandbox as a user sees it through the cloud traits: rollouts, failures, logs.

mod common;

use common::stack::{service, targets, tasks};

use std::collections::BTreeSet;
use std::sync::Arc;

use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, SCENARIO_DEPLOY_AFTER, Sandbox, Scenario};
use opsdeck::cloud::{Cloud, CloudError, DesiredStatus};
use opsdeck::model::{
    DeploymentStatus, LogEvent, LogQuery, NewTaskDefinition, RolloutState, Service, ServiceUpdate,
    TargetState, Task, TaskStatus,
};

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;

fn start(scenario: Scenario, seed: u64) -> (Arc<Sandbox>, Cloud) {
    let sandbox = Sandbox::new(
        scenario,
        seed,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let cloud = sandbox.cloud();
    (sandbox, cloud)
}

/// The deployment is ours, PRIMARY, COMPLETED, alone, and serving the desired count.
fn settled_on(svc: &Service, task_definition: &str) -> bool {
    let Some(primary) = svc.primary_deployment() else {
        return false;
    };
    svc.deployments.len() == 1
        && primary.task_definition == task_definition
        && primary.rollout_state == RolloutState::Completed
        && svc.running == svc.desired
        && primary.running == svc.desired
}

/// Steps one virtual second at a time until `done` holds; returns the virtual ms it took.
async fn step_until<F>(sandbox: &Sandbox, cloud: &Cloud, limit: i64, mut done: F) -> i64
where
    F: AsyncFnMut(&Cloud) -> bool,
{
    let from = sandbox.now();
    while sandbox.now() - from < limit {
        if done(cloud).await {
            return sandbox.now() - from;
        }
        sandbox.advance(SECOND);
    }
    panic!("condition not reached within {limit} ms");
}

fn messages(svc: &Service) -> Vec<&str> {
    svc.events.iter().map(|e| e.message.as_str()).collect()
}

#[tokio::test]
async fn starts_steady_with_history() {
    let (_sandbox, cloud) = start(Scenario::Healthy, 7);
    let svc = service(&cloud).await;
    assert_eq!((svc.desired, svc.running, svc.pending), (2, 2, 0));
    assert_eq!(svc.deployments.len(), 1);
    assert_eq!(svc.deployments[0].rollout_state, RolloutState::Completed);
    assert!(svc.deployments[0].id.starts_with("ecs-svc/"));
    assert_eq!(svc.deployments[0].id.len(), "ecs-svc/".len() + 19);
    assert_eq!(
        svc.events[0].message,
        "(service umami) has reached a steady state."
    );
    let running = tasks(&cloud, DesiredStatus::Running).await;
    assert_eq!(running.len(), 2);
    let zones: BTreeSet<_> = running
        .iter()
        .map(|t| t.availability_zone.as_str())
        .collect();
    assert_eq!(zones.len(), 2, "one task per AZ");
    for t in &running {
        assert_eq!(t.id.len(), 32);
        assert!(t.arn.ends_with(&format!("task/umami/{}", t.id)));
        assert!(
            t.private_ip
                .as_deref()
                .is_some_and(|ip| ip.starts_with("10.0.1"))
        );
    }
    let stopped = tasks(&cloud, DesiredStatus::Stopped).await;
    assert!(!stopped.is_empty());
    assert!(stopped.iter().all(|t| {
        t.stopped_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("Scaling activity initiated by (deployment ecs-svc/"))
    }));
    assert!(
        targets(&cloud)
            .await
            .iter()
            .all(|t| t.state == TargetState::Healthy)
    );
    let history = cloud
        .logs
        .filter_log_events(
            &LogQuery {
                group: "/ecs/umami".to_string(),
                ..LogQuery::default()
            },
            None,
        )
        .await
        .expect("logs");
    assert!(history.events.len() > 50, "a few minutes of log history");
    let dbs = cloud.rds.describe_db_instances().await.expect("rds");
    assert_eq!(dbs[0].status, "available");
}

#[tokio::test]
async fn healthy_routine_deployment_completes() {
    let (sandbox, cloud) = start(Scenario::Healthy, 7);
    let before = service(&cloud).await;
    let old_definition = before.task_definition.clone();
    let old_ids: BTreeSet<String> = tasks(&cloud, DesiredStatus::Running)
        .await
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut seen_task_states = BTreeSet::new();
    let mut seen_target_states = BTreeSet::new();
    let took = step_until(&sandbox, &cloud, 10 * MINUTE, async |cloud| {
        for t in tasks(cloud, DesiredStatus::Running)
            .await
            .into_iter()
            .chain(tasks(cloud, DesiredStatus::Stopped).await)
        {
            seen_task_states.insert(t.last_status);
        }
        for t in targets(cloud).await {
            seen_target_states.insert(t.state.as_str());
        }
        let svc = service(cloud).await;
        svc.task_definition != old_definition && settled_on(&svc, &svc.task_definition)
    })
    .await;
    eprintln!("healthy deployment settled {took} ms after start");
    assert!(
        took > SCENARIO_DEPLOY_AFTER && took < 4 * MINUTE,
        "took {took} ms"
    );
    for status in [
        TaskStatus::Provisioning,
        TaskStatus::Pending,
        TaskStatus::Activating,
        TaskStatus::Running,
        TaskStatus::Deactivating,
        TaskStatus::Stopping,
        TaskStatus::Stopped,
    ] {
        assert!(seen_task_states.contains(&status), "never saw {status:?}");
    }
    for state in ["initial", "healthy", "draining"] {
        assert!(
            seen_target_states.contains(state),
            "never saw target {state}"
        );
    }

    let svc = service(&cloud).await;
    let primary = svc.primary_deployment().expect("primary");
    assert_eq!(primary.status, DeploymentStatus::Primary);
    assert_eq!(svc.task_definition.rsplit(':').next(), Some("9"));
    let running = tasks(&cloud, DesiredStatus::Running).await;
    assert_eq!(running.len(), 2);
    assert!(running.iter().all(|t| t.last_status == TaskStatus::Running
        && t.task_definition == svc.task_definition
        && t.started_by.as_deref() == Some(primary.id.as_str())
        && t.group == "service:umami"));
    assert!(
        running
            .iter()
            .all(|t| t.containers[0].image.ends_with("umami:v2.13.1"))
    );
    let health = targets(&cloud).await;
    assert_eq!(health.len(), 2);
    assert!(health.iter().all(|t| t.state == TargetState::Healthy));
    let stopped = tasks(&cloud, DesiredStatus::Stopped).await;
    for id in &old_ids {
        let old = stopped
            .iter()
            .find(|t| &t.id == id)
            .expect("old task listed as stopped");
        assert_eq!(old.last_status, TaskStatus::Stopped);
    }
    let events = messages(&svc);
    assert_eq!(events[0], "(service umami) has reached a steady state.");
    assert_eq!(
        events[1],
        format!(
            "(service umami) (deployment {}) deployment completed.",
            primary.id
        )
    );
}

#[tokio::test]
async fn a_deployment_through_the_api_completes() {
    let (sandbox, cloud) = start(Scenario::LogBurst, 11);
    let current = service(&cloud).await.task_definition;
    let mut definition = cloud
        .ecs
        .describe_task_definition(&current)
        .await
        .expect("current");
    definition.containers[0].image = definition.containers[0].image.replace("v2.13.0", "v2.13.1");
    let registered = cloud
        .ecs
        .register_task_definition(NewTaskDefinition {
            family: definition.family.clone(),
            cpu: definition.cpu.clone(),
            memory: definition.memory.clone(),
            containers: definition.containers.clone(),
        })
        .await
        .expect("register");
    assert_eq!(registered.revision, definition.revision + 1);
    let listed = cloud
        .ecs
        .list_task_definitions("umami")
        .await
        .expect("list");
    assert_eq!(listed[0], registered.arn, "newest first");

    let updated = cloud
        .ecs
        .update_service(
            "umami",
            "umami",
            ServiceUpdate {
                task_definition: Some(registered.arn.clone()),
                ..ServiceUpdate::default()
            },
        )
        .await
        .expect("update");
    let ours = updated.primary_deployment().expect("primary").clone();
    assert_eq!(ours.rollout_state, RolloutState::InProgress);
    assert_eq!(ours.task_definition, registered.arn);
    assert_eq!(updated.deployments.len(), 2);
    assert_eq!(updated.deployments[1].status, DeploymentStatus::Active);

    let took = step_until(&sandbox, &cloud, 10 * MINUTE, async |cloud| {
        settled_on(&service(cloud).await, &registered.arn)
    })
    .await;
    assert!(took < 4 * MINUTE, "took {took} ms");
    let svc = service(&cloud).await;
    assert_eq!(
        svc.primary_deployment().map(|d| d.id.as_str()),
        Some(ours.id.as_str())
    );
    let events = messages(&svc);
    assert!(
        events.contains(
            &format!(
                "(service umami) (deployment {}) deployment completed.",
                ours.id
            )
            .as_str()
        )
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("(service umami) has started 2 tasks:"))
    );
    assert!(events.iter().any(|e| e.starts_with(
        "(service umami) registered 1 targets in (target-group arn:aws:elasticloadbalancing:"
    )));
}

#[tokio::test]
async fn bad_image_trips_the_breaker_and_rolls_back() {
    let (sandbox, cloud) = start(Scenario::BadImage, 7);
    let original = service(&cloud).await.task_definition;
    let mut failed = None;
    let mut tripped_at = None;
    let took = step_until(&sandbox, &cloud, 15 * MINUTE, async |cloud| {
        let svc = service(cloud).await;
        if failed.is_none()
            && let Some(d) = svc
                .deployments
                .iter()
                .find(|d| d.rollout_state == RolloutState::Failed)
        {
            failed = Some(d.clone());
            tripped_at = Some(sandbox.now() - SANDBOX_EPOCH);
        }
        failed.is_some() && settled_on(&svc, &original)
    })
    .await;
    let failed = failed.expect("a FAILED deployment");
    eprintln!("bad-image: breaker tripped at {tripped_at:?} ms, stable again at {took} ms");
    assert!(failed.failed_tasks >= 3);
    assert!(failed.task_definition != original);
    assert!(
        failed
            .rollout_state_reason
            .as_deref()
            .is_some_and(|r| r.contains("circuit breaker"))
    );

    let svc = service(&cloud).await;
    let rollback = svc.primary_deployment().expect("rollback deployment");
    assert_ne!(rollback.id, failed.id);
    assert_eq!(
        rollback.task_definition, original,
        "stable on the OLD revision"
    );
    let events = messages(&svc);
    assert!(
        events.contains(
            &format!(
                "(service umami) (deployment {}) deployment failed: tasks failed to start.",
                failed.id
            )
            .as_str()
        )
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("(service umami) rolling back to deployment ecs-svc/"))
    );
    let stopped = tasks(&cloud, DesiredStatus::Stopped).await;
    let pull_failures: Vec<&Task> = stopped
        .iter()
        .filter(|t| t.stopped_reason.as_deref().is_some_and(|r| r.starts_with("CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami:v2.15.0: not found")))
        .collect();
    assert!(pull_failures.len() >= 3);
    assert!(
        pull_failures
            .iter()
            .all(|t| t.started_at.is_none() && t.task_definition == failed.task_definition)
    );
    assert!(
        tasks(&cloud, DesiredStatus::Running)
            .await
            .iter()
            .all(|t| t.task_definition == original)
    );
}

#[tokio::test]
async fn failing_health_checks_replace_tasks_until_the_breaker_trips() {
    let (sandbox, cloud) = start(Scenario::FailingHealth, 7);
    let mut mismatch = None;
    step_until(&sandbox, &cloud, 10 * MINUTE, async |cloud| {
        if mismatch.is_none() {
            mismatch = targets(cloud)
                .await
                .into_iter()
                .find(|t| t.state == TargetState::Unhealthy);
        }
        let svc = service(cloud).await;
        mismatch.is_some()
            && svc
                .deployments
                .iter()
                .any(|d| d.rollout_state == RolloutState::Failed)
    })
    .await;
    let target = mismatch.expect("an unhealthy target");
    assert_eq!(
        target.reason.as_deref(),
        Some("Target.ResponseCodeMismatch")
    );
    assert_eq!(
        target.description.as_deref(),
        Some("Health checks failed with these codes: [502]")
    );
    let stopped = tasks(&cloud, DesiredStatus::Stopped).await;
    assert!(stopped.iter().any(
        |t| t.stopped_reason.as_deref().is_some_and(|r| r.starts_with(
            "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:"
        ))
    ));
}

#[tokio::test]
async fn scaling_out_ends_with_four_running() {
    let (sandbox, cloud) = start(Scenario::LogBurst, 3);
    cloud
        .ecs
        .update_service(
            "umami",
            "umami",
            ServiceUpdate {
                desired_count: Some(4),
                ..ServiceUpdate::default()
            },
        )
        .await
        .expect("scale");
    let definition = service(&cloud).await.task_definition;
    step_until(&sandbox, &cloud, 5 * MINUTE, async |cloud| {
        let svc = service(cloud).await;
        let healthy = targets(cloud)
            .await
            .iter()
            .filter(|t| t.state == TargetState::Healthy)
            .count();
        svc.desired == 4 && settled_on(&svc, &definition) && healthy == 4
    })
    .await;
    let health = targets(&cloud).await;
    assert_eq!(
        health
            .iter()
            .filter(|t| t.state == TargetState::Healthy)
            .count(),
        4
    );
    assert_eq!(
        service(&cloud).await.events[0].message,
        "(service umami) has reached a steady state."
    );
}

#[tokio::test]
async fn a_stopped_task_is_replaced() {
    let (sandbox, cloud) = start(Scenario::LogBurst, 5);
    let victim = tasks(&cloud, DesiredStatus::Running).await.remove(0);
    cloud
        .ecs
        .stop_task("umami", &victim.arn, "")
        .await
        .expect("stop");
    let definition = service(&cloud).await.task_definition;
    step_until(&sandbox, &cloud, 5 * MINUTE, async |cloud| {
        let running = tasks(cloud, DesiredStatus::Running).await;
        let stopped = tasks(cloud, DesiredStatus::Stopped).await;
        settled_on(&service(cloud).await, &definition)
            && running.len() == 2
            && running.iter().all(|t| t.id != victim.id)
            && stopped
                .iter()
                .any(|t| t.id == victim.id && t.last_status == TaskStatus::Stopped)
    })
    .await;
    let stopped = tasks(&cloud, DesiredStatus::Stopped).await;
    let victim = stopped
        .iter()
        .find(|t| t.id == victim.id)
        .expect("victim listed");
    assert_eq!(victim.last_status, TaskStatus::Stopped);
    assert_eq!(
        victim.stopped_reason.as_deref(),
        Some("Task stopped by user")
    );
    assert_eq!(victim.stop_code.as_deref(), Some("UserInitiated"));
}

#[tokio::test]
async fn the_empty_account_has_the_image_and_no_stack() {
    let (_sandbox, cloud) = start(Scenario::Empty, 1);
    // The app's images are pushed; nothing runs them yet.
    let images = cloud.ecr.describe_images("umami").await.expect("ecr");
    assert!(images.iter().any(|i| i.tags == ["v2.13.0"]), "{images:?}");
    assert_eq!(
        cloud.identity.caller().await.expect("sts").account_id,
        "123456789012"
    );
    assert!(
        cloud
            .ecs
            .list_clusters()
            .await
            .expect("clusters")
            .is_empty()
    );
    assert!(
        cloud
            .rds
            .describe_db_instances()
            .await
            .expect("rds")
            .is_empty()
    );
    assert!(
        cloud
            .elb
            .describe_load_balancers(&[])
            .await
            .expect("elb")
            .is_empty()
    );
}

#[tokio::test]
async fn unknown_names_are_not_found() {
    let (_sandbox, cloud) = start(Scenario::Healthy, 1);
    let err = cloud
        .ecs
        .list_services("nope")
        .await
        .expect_err("unknown cluster");
    assert!(
        matches!(err, CloudError::NotFound { kind: "cluster", ref name, hint: Some(_) } if name == "nope")
    );
    let err = cloud
        .ecs
        .update_service("umami", "nope", ServiceUpdate::default())
        .await
        .expect_err("unknown service");
    assert!(matches!(
        err,
        CloudError::NotFound {
            kind: "service",
            hint: Some(_),
            ..
        }
    ));
    let err = cloud
        .ecs
        .describe_task_definition("umami:99")
        .await
        .expect_err("unknown revision");
    assert!(matches!(
        err,
        CloudError::NotFound {
            kind: "task definition",
            ..
        }
    ));
    let inactive = ServiceUpdate {
        task_definition: Some("umami:1".to_string()),
        ..ServiceUpdate::default()
    };
    let err = cloud
        .ecs
        .update_service("umami", "umami", inactive)
        .await
        .expect_err("inactive");
    assert!(matches!(err, CloudError::Rejected { .. }), "{err:?}");
    assert!(
        cloud
            .ecs
            .describe_services("umami", &["nope".to_string()])
            .await
            .expect("ok")
            .is_empty()
    );
}

fn group_query() -> LogQuery {
    LogQuery {
        group: "/ecs/umami".to_string(),
        ..LogQuery::default()
    }
}

async fn all_pages(cloud: &Cloud, query: &LogQuery) -> (Vec<LogEvent>, usize) {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = cloud
            .logs
            .filter_log_events(query, token.as_deref())
            .await
            .expect("page");
        pages += 1;
        events.extend(page.events);
        match page.next_token {
            Some(next) => token = Some(next),
            None => return (events, pages),
        }
    }
}

#[tokio::test]
async fn log_events_become_visible_only_when_flushed() {
    let (sandbox, cloud) = start(Scenario::Healthy, 9);
    let task = tasks(&cloud, DesiredStatus::Running).await.remove(0);
    let query = LogQuery {
        streams: vec![format!("ecs/umami/{}", task.id)],
        ..group_query()
    };
    let mut flushes = BTreeSet::new();
    let mut last_count = all_pages(&cloud, &query).await.0.len();
    for _ in 0..30 {
        sandbox.advance(SECOND);
        let (events, _) = all_pages(&cloud, &query).await;
        let now = sandbox.now();
        assert!(
            events
                .iter()
                .all(|e| e.ingestion_time <= now && e.timestamp <= e.ingestion_time)
        );
        assert!(
            events
                .iter()
                .all(|e| e.ingestion_time - e.timestamp <= 6 * SECOND)
        );
        if events.len() != last_count {
            // Anything new arrived in a flush that happened just now.
            let newest = events.iter().map(|e| e.ingestion_time).max();
            assert_eq!(newest, Some(now));
            flushes.insert(now);
        }
        last_count = events.len();
    }
    let gaps: BTreeSet<i64> = flushes
        .iter()
        .zip(flushes.iter().skip(1))
        .map(|(a, b)| b - a)
        .collect();
    assert!(flushes.len() >= 5);
    assert!(gaps.iter().all(|g| g % (5 * SECOND) == 0), "{gaps:?}");
}

#[tokio::test]
async fn filter_log_events_pages_every_event_exactly_once() {
    let (sandbox, cloud) = start(Scenario::LogBurst, 2);
    sandbox.advance(2 * MINUTE);
    let (whole, _) = all_pages(
        &cloud,
        &LogQuery {
            limit: Some(10_000),
            ..group_query()
        },
    )
    .await;
    let (paged, pages) = all_pages(
        &cloud,
        &LogQuery {
            limit: Some(97),
            ..group_query()
        },
    )
    .await;
    assert!(pages > 3, "{pages} pages");
    assert_eq!(paged, whole);
    let ids: BTreeSet<&str> = paged.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), paged.len(), "no duplicates");
    assert!(
        paged
            .windows(2)
            .all(|w| (w[0].timestamp, &w[0].stream) <= (w[1].timestamp, &w[1].stream))
    );
    let shared_ms = paged
        .windows(2)
        .filter(|w| w[0].timestamp == w[1].timestamp)
        .count();
    assert!(shared_ms > 0, "bursts share milliseconds");

    let errors = all_pages(
        &cloud,
        &LogQuery {
            filter_pattern: Some("\"connection pool\" Error:".to_string()),
            ..group_query()
        },
    )
    .await
    .0;
    assert!(!errors.is_empty());
    assert!(
        errors
            .iter()
            .all(|e| e.message.contains("connection pool") && e.message.contains("Error:"))
    );

    let window = LogQuery {
        start: Some(SANDBOX_EPOCH),
        end: Some(SANDBOX_EPOCH + 10 * SECOND),
        ..group_query()
    };
    let (inside, _) = all_pages(&cloud, &window).await;
    assert!(
        inside
            .iter()
            .all(|e| (SANDBOX_EPOCH..=SANDBOX_EPOCH + 10 * SECOND).contains(&e.timestamp))
    );
    let bad = cloud
        .logs
        .filter_log_events(&group_query(), Some("not-a-token"))
        .await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn streams_are_filtered_by_prefix() {
    let (sandbox, cloud) = start(Scenario::Healthy, 4);
    sandbox.advance(3 * MINUTE);
    let streams = cloud
        .logs
        .describe_log_streams("/ecs/umami", Some("ecs/umami/"))
        .await
        .expect("streams");
    assert!(streams.len() >= 4, "old and new tasks: {streams:?}");
    let one = &streams[0].name;
    assert!(
        cloud
            .logs
            .describe_log_streams("/ecs/umami", Some(one))
            .await
            .expect("one")
            .len()
            == 1
    );
    let (events, _) = all_pages(
        &cloud,
        &LogQuery {
            stream_prefix: Some(one.clone()),
            ..group_query()
        },
    )
    .await;
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| &e.stream == one));
    let (none, _) = all_pages(
        &cloud,
        &LogQuery {
            stream_prefix: Some("ecs/other/".to_string()),
            ..group_query()
        },
    )
    .await;
    assert!(none.is_empty());
}

async fn snapshot(seed: u64) -> (Service, Vec<Task>, Vec<LogEvent>, String) {
    let (sandbox, cloud) = start(Scenario::BadImage, seed);
    sandbox.advance(90 * SECOND);
    let svc = service(&cloud).await;
    let all = tasks(&cloud, DesiredStatus::Running).await;
    let logs = cloud
        .logs
        .filter_log_events(&group_query(), None)
        .await
        .expect("logs")
        .events;
    let vpc = cloud.elb.describe_load_balancers(&[]).await.expect("lb")[0]
        .vpc_id
        .clone();
    (svc, all, logs, vpc)
}

#[tokio::test]
async fn the_same_seed_gives_the_same_account() {
    let a = snapshot(42).await;
    let b = snapshot(42).await;
    assert_eq!(a, b);
    let c = snapshot(43).await;
    assert_ne!(a.3, c.3, "vpc ids differ");
    assert_ne!(a.1[0].id, c.1[0].id, "task ids differ");
    assert!(a.3.starts_with("vpc-") && a.3.len() == "vpc-".len() + 17);
}

#[tokio::test]
async fn half_an_hour_of_log_bursts_is_cheap_and_bounded() {
    let (sandbox, cloud) = start(Scenario::LogBurst, 8);
    let began = std::time::Instant::now();
    sandbox.advance(30 * MINUTE);
    let took = began.elapsed();
    eprintln!("30 virtual minutes of log-burst took {took:?}");
    let svc = service(&cloud).await;
    assert_eq!(svc.running, 2);
    let page = cloud
        .logs
        .filter_log_events(&group_query(), None)
        .await
        .expect("logs");
    assert_eq!(page.events.len(), 10_000);
    assert!(page.next_token.is_some());
    assert!(took < std::time::Duration::from_secs(if cfg!(debug_assertions) { 10 } else { 1 }));
}
