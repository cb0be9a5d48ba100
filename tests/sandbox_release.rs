//! Releases against the sandbox as the release workflows see it: ECR images by digest,
//! rollouts that complete, crash-loop or fail health checks, ECS's deployment history,
//! scaling, restarts, RDS snapshots, and the virtual clock.

mod common;

use common::stack::{service, targets, tasks};

use std::sync::Arc;

use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::cloud::{Cloud, CloudError, DesiredStatus};
use opsdeck::model::{
    DeploymentStatus, Image, RolloutState, Service, ServiceDeployment, ServiceDeploymentStatus,
    ServiceUpdate, TargetState, Task, TaskStatus,
};

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const REGISTRY: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com";

/// A healthy sandbox, run past the scenario's own routine deploy so the service is settled
/// on revision 9 (`v2.13.1`) before the test's release.
async fn settled(seed: u64) -> (Arc<Sandbox>, Cloud) {
    let sandbox = Sandbox::new(
        Scenario::Healthy,
        seed,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let cloud = sandbox.cloud();
    sandbox.advance(4 * MINUTE);
    let svc = service(&cloud).await;
    assert!(
        svc.task_definition.ends_with("umami:9") && svc.deployments.len() == 1,
        "the routine deploy settled: {:?}",
        svc.deployments
    );
    (sandbox, cloud)
}

async fn image(cloud: &Cloud, tag: &str) -> Image {
    cloud
        .ecr
        .describe_images("umami")
        .await
        .expect("describe_images")
        .into_iter()
        .find(|i| i.tags.iter().any(|t| t == tag))
        .unwrap_or_else(|| panic!("no image {tag}"))
}

/// Registers a copy of the service's revision running `tag` pinned by digest, as opsdeck
/// deploys, and points the service at it; returns the new ARN and our deployment's id.
async fn deploy(cloud: &Cloud, tag: &str) -> (String, String) {
    let digest = image(cloud, tag).await.digest;
    let current = service(cloud).await.task_definition;
    let registered = cloud
        .ecs
        .register_image_revision(&current, "umami", &format!("{REGISTRY}/umami@{digest}"))
        .await
        .expect("register_image_revision");
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
        .expect("update_service");
    let primary = updated.primary_deployment().expect("primary").clone();
    assert_eq!(primary.task_definition, registered.arn);
    assert_eq!(primary.rollout_state, RolloutState::InProgress);
    (registered.arn, primary.id)
}

async fn history(cloud: &Cloud) -> Vec<ServiceDeployment> {
    let arns = cloud
        .ecs
        .list_service_deployments("umami", "umami")
        .await
        .expect("list_service_deployments");
    cloud
        .ecs
        .describe_service_deployments(&arns)
        .await
        .expect("describe_service_deployments")
}

async fn history_of(cloud: &Cloud, deployment: &str) -> ServiceDeployment {
    let digits = deployment.trim_start_matches("ecs-svc/");
    history(cloud)
        .await
        .into_iter()
        .find(|h| h.arn.ends_with(&format!("/{digits}")))
        .unwrap_or_else(|| panic!("no history entry for {deployment}"))
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

/// Ours, PRIMARY, COMPLETED, alone, and serving the desired count.
fn settled_on(svc: &Service, task_definition: &str) -> bool {
    svc.primary_deployment().is_some_and(|p| {
        svc.deployments.len() == 1
            && p.task_definition == task_definition
            && p.rollout_state == RolloutState::Completed
            && p.running == svc.desired
            && svc.running == svc.desired
    })
}

fn stopped_of<'a>(stopped: &'a [Task], deployment: &str) -> Vec<&'a Task> {
    stopped
        .iter()
        .filter(|t| t.started_by.as_deref() == Some(deployment))
        .collect()
}

#[tokio::test]
async fn the_repository_holds_the_releases_newest_push_first() {
    let (_sandbox, cloud) = settled(7).await;
    let images = cloud.ecr.describe_images("umami").await.expect("images");
    let tags: Vec<&str> = images.iter().map(|i| i.tags[0].as_str()).collect();
    assert_eq!(
        tags,
        [
            "v2.14.1-unhealthy",
            "v2.14.1-crash",
            "v2.14.0",
            "v2.13.1",
            "v2.13.0",
            "v2.12.0"
        ]
    );
    let mut digests: Vec<&str> = images.iter().map(|i| i.digest.as_str()).collect();
    assert!(
        digests
            .iter()
            .all(|d| d.starts_with("sha256:") && d.len() == 71)
    );
    digests.sort_unstable();
    digests.dedup();
    assert_eq!(digests.len(), images.len(), "every digest distinct");
    assert!(images.windows(2).all(|w| w[0].pushed_at > w[1].pushed_at));
    assert!(images.iter().all(|i| {
        i.size_bytes
            .is_some_and(|s| (100_000_000..400_000_000).contains(&s))
    }));
    let err = cloud
        .ecr
        .describe_images("nope")
        .await
        .expect_err("unknown repository");
    assert!(matches!(err, CloudError::NotFound { .. }));
}

#[tokio::test]
async fn register_image_revision_copies_everything_but_one_image() {
    let (_sandbox, cloud) = settled(7).await;
    let current = service(&cloud).await.task_definition;
    let source = cloud
        .ecs
        .describe_task_definition(&current)
        .await
        .expect("source");
    let digest = image(&cloud, "v2.14.0").await.digest;
    let pinned = format!("{REGISTRY}/umami@{digest}");
    let copy = cloud
        .ecs
        .register_image_revision(&current, "umami", &pinned)
        .await
        .expect("register");
    assert_eq!(copy.revision, source.revision + 1);
    assert_eq!(copy.family, source.family);
    assert_eq!((copy.cpu.as_str(), copy.memory.as_str()), ("512", "1024"));
    assert_eq!(copy.tags, source.tags);
    assert!(!copy.tags.is_empty(), "tags copied");
    let mut expected = source.containers.clone();
    expected[0].image = pinned;
    assert_eq!(copy.containers, expected);

    let err = cloud
        .ecs
        .register_image_revision(&current, "sidecar", "nginx:1")
        .await
        .expect_err("unknown container");
    assert!(
        matches!(&err, CloudError::Rejected { message, .. } if message.contains("umami")),
        "{err:?}"
    );
    let err = cloud
        .ecs
        .register_image_revision("umami:99", "umami", "nginx:1")
        .await
        .expect_err("unknown source");
    assert!(matches!(err, CloudError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_healthy_release_by_digest_completes() {
    let (sandbox, cloud) = settled(7).await;
    let old_ids: Vec<String> = tasks(&cloud, DesiredStatus::Running)
        .await
        .into_iter()
        .map(|t| t.id)
        .collect();
    let (arn, ours) = deploy(&cloud, "v2.14.0").await;
    let pending = history_of(&cloud, &ours).await;
    assert!(
        matches!(
            pending.status,
            ServiceDeploymentStatus::Pending | ServiceDeploymentStatus::InProgress
        ),
        "{pending:?}"
    );
    assert_eq!(
        pending.target_task_definition.as_deref(),
        Some(arn.as_str())
    );
    assert!(pending.source_task_definitions[0].ends_with("umami:9"));

    let took = step_until(&sandbox, &cloud, 10 * MINUTE, async |cloud| {
        settled_on(&service(cloud).await, &arn)
    })
    .await;
    assert!(took < 5 * MINUTE, "took {took} ms");
    let svc = service(&cloud).await;
    assert_eq!(
        svc.primary_deployment().map(|d| d.id.as_str()),
        Some(ours.as_str())
    );
    assert_eq!((svc.desired, svc.running), (2, 2));
    let running = tasks(&cloud, DesiredStatus::Running).await;
    assert!(running.iter().all(|t| t.task_definition == arn
        && t.last_status == TaskStatus::Running
        && t.containers[0].image.contains("@sha256:")));
    let health = targets(&cloud).await;
    assert_eq!(health.len(), 2, "the old targets drained away");
    assert!(health.iter().all(|t| t.state == TargetState::Healthy));
    let stopped = tasks(&cloud, DesiredStatus::Stopped).await;
    for id in &old_ids {
        let old = stopped
            .iter()
            .find(|t| &t.id == id)
            .expect("old task stopped");
        assert_eq!(old.last_status, TaskStatus::Stopped);
        assert_eq!(old.stop_code.as_deref(), Some("ServiceSchedulerInitiated"));
    }
    let done = history_of(&cloud, &ours).await;
    assert_eq!(done.status, ServiceDeploymentStatus::Successful);
    assert!(done.finished_at.is_some());
    assert_eq!(done.circuit_breaker_failures, Some(0));
    assert_eq!(
        done.arn,
        format!(
            "arn:aws:ecs:eu-west-2:123456789012:service-deployment/umami/umami/{}",
            ours.trim_start_matches("ecs-svc/")
        )
    );
    // The task logs the version of the image it runs, though it was pinned by digest.
    let logs = cloud
        .logs
        .filter_log_events(
            &opsdeck::model::LogQuery {
                group: "/ecs/umami".to_string(),
                filter_pattern: Some("\"umami@2.14.0\"".to_string()),
                ..opsdeck::model::LogQuery::default()
            },
            None,
        )
        .await
        .expect("logs");
    assert!(!logs.events.is_empty(), "startup banner names 2.14.0");
}

#[tokio::test]
async fn a_release_that_crashes_after_starting_loops_without_tripping_the_breaker() {
    let (sandbox, cloud) = settled(7).await;
    let (_arn, ours) = deploy(&cloud, "v2.14.1-crash").await;
    let mut reached_running = false;
    let mut crashed = Vec::new();
    step_until(&sandbox, &cloud, 10 * MINUTE, async |cloud| {
        for t in tasks(cloud, DesiredStatus::Running).await {
            if t.started_by.as_deref() == Some(ours.as_str())
                && t.last_status == TaskStatus::Running
            {
                reached_running = true;
            }
        }
        let stopped = tasks(cloud, DesiredStatus::Stopped).await;
        crashed = stopped_of(&stopped, &ours)
            .into_iter()
            .filter(|t| t.last_status == TaskStatus::Stopped)
            .cloned()
            .collect();
        let svc = service(cloud).await;
        let primary = svc.primary_deployment().expect("primary");
        assert_eq!(
            primary.id, ours,
            "ECS never rolls a crash loop back by itself"
        );
        assert_eq!(primary.rollout_state, RolloutState::InProgress);
        crashed.len() >= 3
    })
    .await;
    assert!(reached_running, "the crashing tasks did reach RUNNING");
    for t in &crashed {
        assert!(t.started_at.is_some(), "it ran before it crashed");
        assert_eq!(
            t.stopped_reason.as_deref(),
            Some("Essential container in task exited")
        );
        assert_eq!(t.stop_code.as_deref(), Some("EssentialContainerExited"));
        assert_eq!(t.containers[0].exit_code, Some(1));
    }
    let svc = service(&cloud).await;
    let primary = svc.primary_deployment().expect("primary");
    assert_eq!(primary.failed_tasks, 0, "the breaker did not count them");
    let stops = svc
        .events
        .iter()
        .filter(|e| {
            e.message
                .starts_with("(service umami) has stopped 1 running tasks:")
        })
        .count();
    assert!(stops >= 3, "{stops} stop events");
    // The old revision keeps serving meanwhile.
    assert_eq!(svc.running_of_old(), 2);
    let entry = history_of(&cloud, &ours).await;
    assert_eq!(entry.status, ServiceDeploymentStatus::InProgress);
    assert_eq!(entry.circuit_breaker_failures, Some(0));
}

/// Running tasks of the deployments that are not PRIMARY.
trait OldRunning {
    fn running_of_old(&self) -> u32;
}

impl OldRunning for Service {
    fn running_of_old(&self) -> u32 {
        self.deployments
            .iter()
            .filter(|d| d.status != DeploymentStatus::Primary)
            .map(|d| d.running)
            .sum()
    }
}

#[tokio::test]
async fn a_release_that_fails_health_checks_is_rolled_back_by_the_breaker() {
    let (sandbox, cloud) = settled(7).await;
    let original = service(&cloud).await.task_definition;
    let (arn, ours) = deploy(&cloud, "v2.14.1-unhealthy").await;
    let mut mismatch = None;
    let mut failed_seen = false;
    step_until(&sandbox, &cloud, 15 * MINUTE, async |cloud| {
        if mismatch.is_none() {
            mismatch = targets(cloud)
                .await
                .into_iter()
                .find(|t| t.state == TargetState::Unhealthy);
        }
        let svc = service(cloud).await;
        failed_seen |= svc
            .deployments
            .iter()
            .any(|d| d.id == ours && d.rollout_state == RolloutState::Failed);
        failed_seen && settled_on(&svc, &original)
    })
    .await;
    let target = mismatch.expect("an unhealthy target");
    assert_eq!(
        target.reason.as_deref(),
        Some("Target.ResponseCodeMismatch")
    );
    assert_eq!(
        target.description.as_deref(),
        Some("Health checks failed with these codes: [500]")
    );
    let stopped = tasks(&cloud, DesiredStatus::Stopped).await;
    let failed = stopped_of(&stopped, &ours);
    assert!(failed.iter().all(|t| t.task_definition == arn));
    // The ones still starting when the breaker tripped are stopped by the rollback.
    let elb_failures = failed
        .iter()
        .filter(|t| {
            t.stopped_reason.as_deref().is_some_and(|r| {
                r.starts_with(
                    "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:",
                )
            })
        })
        .count();
    assert!(elb_failures >= 3, "{elb_failures} failed ELB health checks");
    let svc = service(&cloud).await;
    assert_eq!(svc.task_definition, original, "ends on the old revision");
    assert!(svc.events.iter().any(|e| e.message
        == format!(
            "(service umami) (deployment {ours}) deployment failed: tasks failed to start."
        )));
    assert!(svc.events.iter().any(|e| {
        e.message
            .contains("due to (reason Health checks failed with these codes: [500])")
    }));
    let entry = history_of(&cloud, &ours).await;
    assert_eq!(entry.status, ServiceDeploymentStatus::RollbackSuccessful);
    assert!(entry.circuit_breaker_failures.is_some_and(|n| n >= 3));
    assert!(entry.finished_at.is_some());
}

#[tokio::test]
async fn stop_service_deployment_rolls_a_crash_loop_back() {
    let (sandbox, cloud) = settled(7).await;
    let original = service(&cloud).await.task_definition;
    // No automatic rollback here: StopServiceDeployment works without it.
    let (_arn, ours) = deploy(&cloud, "v2.14.1-crash").await;
    sandbox.advance(2 * MINUTE);
    let entry = history_of(&cloud, &ours).await;
    assert_eq!(entry.status, ServiceDeploymentStatus::InProgress);
    cloud
        .ecs
        .stop_service_deployment(&entry.arn, true)
        .await
        .expect("stop with rollback");
    let svc = service(&cloud).await;
    let primary = svc.primary_deployment().expect("primary");
    assert_ne!(primary.id, ours);
    assert_eq!(primary.task_definition, original);
    assert_eq!(
        history_of(&cloud, &ours).await.status,
        ServiceDeploymentStatus::RollbackInProgress
    );
    step_until(&sandbox, &cloud, 10 * MINUTE, async |cloud| {
        settled_on(&service(cloud).await, &original)
    })
    .await;
    assert!(
        tasks(&cloud, DesiredStatus::Running)
            .await
            .iter()
            .all(|t| t.task_definition == original)
    );
    let done = history_of(&cloud, &ours).await;
    assert_eq!(done.status, ServiceDeploymentStatus::RollbackSuccessful);
    let err = cloud
        .ecs
        .stop_service_deployment(&done.arn, true)
        .await
        .expect_err("already finished");
    assert!(matches!(err, CloudError::Rejected { .. }), "{err:?}");
    let err = cloud
        .ecs
        .stop_service_deployment(
            "arn:aws:ecs:eu-west-2:123456789012:service-deployment/umami/umami/1",
            true,
        )
        .await
        .expect_err("unknown");
    assert!(matches!(err, CloudError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn the_bad_image_scenario_still_fails_to_pull_and_rolls_back() {
    let sandbox = Sandbox::new(
        Scenario::BadImage,
        7,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let cloud = sandbox.cloud();
    let original = service(&cloud).await.task_definition;
    sandbox.advance(15 * SECOND + 30 * SECOND);
    let ours = service(&cloud).await.deployments[0].id.clone();
    step_until(&sandbox, &cloud, 15 * MINUTE, async |cloud| {
        let svc = service(cloud).await;
        svc.deployments.iter().all(|d| d.id != ours) && settled_on(&svc, &original)
    })
    .await;
    let entry = history_of(&cloud, &ours).await;
    assert_eq!(entry.status, ServiceDeploymentStatus::RollbackSuccessful);
    assert!(entry.circuit_breaker_failures.is_some_and(|n| n >= 3));
    let stopped = tasks(&cloud, DesiredStatus::Stopped).await;
    assert!(stopped.iter().any(|t| {
        t.stopped_reason.as_deref().is_some_and(|r| {
            r.starts_with("CannotPullContainerError") && r.contains("umami:v2.15.0")
        })
    }));
}

#[tokio::test]
async fn scaling_to_zero_drains_and_scaling_back_serves_again() {
    let (sandbox, cloud) = settled(5).await;
    let definition = service(&cloud).await.task_definition;
    let deployment = service(&cloud).await.deployments[0].id.clone();
    let scaled = cloud
        .ecs
        .update_service(
            "umami",
            "umami",
            ServiceUpdate {
                desired_count: Some(0),
                ..ServiceUpdate::default()
            },
        )
        .await
        .expect("scale to 0");
    assert_eq!(scaled.desired, 0);
    assert_eq!(
        scaled.deployments[0].id, deployment,
        "scaling is no deployment"
    );
    let mut saw_draining = false;
    step_until(&sandbox, &cloud, 5 * MINUTE, async |cloud| {
        let health = targets(cloud).await;
        saw_draining |= health.iter().any(|t| t.state == TargetState::Draining);
        let svc = service(cloud).await;
        svc.running == 0 && svc.pending == 0 && health.is_empty()
    })
    .await;
    assert!(saw_draining, "targets drained before the tasks stopped");
    assert!(tasks(&cloud, DesiredStatus::Running).await.is_empty());
    cloud
        .ecs
        .update_service(
            "umami",
            "umami",
            ServiceUpdate {
                desired_count: Some(2),
                ..ServiceUpdate::default()
            },
        )
        .await
        .expect("scale to 2");
    step_until(&sandbox, &cloud, 5 * MINUTE, async |cloud| {
        let healthy = targets(cloud)
            .await
            .iter()
            .filter(|t| t.state == TargetState::Healthy)
            .count();
        settled_on(&service(cloud).await, &definition) && healthy == 2
    })
    .await;
}

#[tokio::test]
async fn force_new_deployment_replaces_every_task_on_the_same_revision() {
    let (sandbox, cloud) = settled(5).await;
    let definition = service(&cloud).await.task_definition;
    let old: Vec<String> = tasks(&cloud, DesiredStatus::Running)
        .await
        .into_iter()
        .map(|t| t.id)
        .collect();
    let updated = cloud
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
        .expect("restart");
    let ours = updated.primary_deployment().expect("primary").clone();
    assert_eq!(ours.task_definition, definition);
    assert_eq!(ours.rollout_state, RolloutState::InProgress);
    assert_eq!(updated.deployments.len(), 2);
    step_until(&sandbox, &cloud, 10 * MINUTE, async |cloud| {
        settled_on(&service(cloud).await, &definition)
    })
    .await;
    let running = tasks(&cloud, DesiredStatus::Running).await;
    assert_eq!(running.len(), 2);
    assert!(
        running
            .iter()
            .all(|t| !old.contains(&t.id) && t.started_by.as_deref() == Some(ours.id.as_str()))
    );
    assert_eq!(
        history_of(&cloud, &ours.id).await.status,
        ServiceDeploymentStatus::Successful
    );
}

#[tokio::test]
async fn a_stopped_task_drains_and_is_replaced() {
    let (sandbox, cloud) = settled(5).await;
    let victim = tasks(&cloud, DesiredStatus::Running).await.remove(0);
    cloud
        .ecs
        .stop_task("umami", &victim.arn, "opsdeck: stop task")
        .await
        .expect("stop");
    let draining = targets(&cloud).await;
    assert!(draining.iter().any(|t| t.state == TargetState::Draining
        && Some(t.target_id.as_str()) == victim.private_ip.as_deref()));
    step_until(&sandbox, &cloud, 5 * MINUTE, async |cloud| {
        let running = tasks(cloud, DesiredStatus::Running).await;
        running.len() == 2
            && running
                .iter()
                .all(|t| t.id != victim.id && t.last_status == TaskStatus::Running)
            && tasks(cloud, DesiredStatus::Stopped)
                .await
                .iter()
                .any(|t| t.id == victim.id && t.last_status == TaskStatus::Stopped)
    })
    .await;
    let stopped = tasks(&cloud, DesiredStatus::Stopped).await;
    let victim = stopped.iter().find(|t| t.id == victim.id).expect("victim");
    assert_eq!(victim.stopped_reason.as_deref(), Some("opsdeck: stop task"));
    assert_eq!(victim.stop_code.as_deref(), Some("UserInitiated"));
}

#[tokio::test]
async fn a_snapshot_is_creating_then_available() {
    let (sandbox, cloud) = settled(3).await;
    let snap = cloud
        .rds
        .create_db_snapshot("umami-db", "umami-db-pre-v2-14-0")
        .await
        .expect("create");
    assert_eq!(snap.status, "creating");
    assert_eq!(snap.instance, "umami-db");
    assert_eq!(snap.created_at, Some(sandbox.now()));
    let dbs = cloud.rds.describe_db_instances().await.expect("rds");
    assert_eq!(dbs[0].status, "backing-up");
    let err = cloud
        .rds
        .create_db_snapshot("umami-db", "umami-db-pre-v2-14-0")
        .await
        .expect_err("duplicate");
    assert!(matches!(err, CloudError::Rejected { .. }), "{err:?}");
    let took = step_until(&sandbox, &cloud, 30 * MINUTE, async |cloud| {
        cloud
            .rds
            .describe_db_snapshot("umami-db-pre-v2-14-0")
            .await
            .expect("describe")
            .status
            == "available"
    })
    .await;
    assert!((MINUTE..15 * MINUTE).contains(&took), "took {took} ms");
    let dbs = cloud.rds.describe_db_instances().await.expect("rds");
    assert_eq!(dbs[0].status, "available");
    let err = cloud
        .rds
        .create_db_snapshot("nope", "x")
        .await
        .expect_err("unknown instance");
    assert!(matches!(err, CloudError::NotFound { .. }), "{err:?}");
    let err = cloud
        .rds
        .describe_db_snapshot("nope")
        .await
        .expect_err("unknown snapshot");
    assert!(matches!(err, CloudError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn sleeping_on_a_manual_clock_moves_the_world() {
    let (sandbox, cloud) = settled(3).await;
    let before = cloud.clock.now();
    assert_eq!(before, sandbox.now());
    let began = std::time::Instant::now();
    let (arn, _) = deploy(&cloud, "v2.14.0").await;
    let mut polls = 0;
    while !settled_on(&service(&cloud).await, &arn) {
        cloud.clock.sleep(5 * SECOND).await;
        polls += 1;
        assert!(polls < 200, "a rollout takes minutes, not hours");
    }
    assert_eq!(cloud.clock.now(), before + polls * 5 * SECOND);
    assert!(
        began.elapsed() < std::time::Duration::from_secs(10),
        "no real sleeping"
    );
}

#[tokio::test]
async fn sleeping_on_a_scaled_clock_waits_a_fraction_of_real_time() {
    let sandbox = Sandbox::new(
        Scenario::Healthy,
        3,
        ClockMode::Scaled {
            start: SANDBOX_EPOCH,
            speed: 1_000.0,
        },
    );
    let cloud = sandbox.cloud();
    let before = cloud.clock.now();
    let began = std::time::Instant::now();
    cloud.clock.sleep(10 * SECOND).await;
    let real = began.elapsed();
    assert!(real >= std::time::Duration::from_millis(9), "{real:?}");
    assert!(real < std::time::Duration::from_secs(2), "{real:?}");
    assert!(cloud.clock.now() - before >= 9 * SECOND);
}

#[tokio::test]
async fn without_the_history_the_calls_are_unsupported() {
    let sandbox = Sandbox::new(
        Scenario::Healthy,
        3,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    )
    .without_deployment_history();
    let cloud = sandbox.cloud();
    let err = cloud
        .ecs
        .list_service_deployments("umami", "umami")
        .await
        .expect_err("no history");
    assert!(matches!(err, CloudError::Unsupported { .. }), "{err:?}");
    let err = cloud
        .ecs
        .describe_service_deployments(&["x".to_string()])
        .await
        .expect_err("no history");
    assert!(matches!(err, CloudError::Unsupported { .. }), "{err:?}");
    let err = cloud
        .ecs
        .stop_service_deployment("x", true)
        .await
        .expect_err("no history");
    assert!(matches!(err, CloudError::Unsupported { .. }), "{err:?}");
    // The deployments array still tells the story.
    sandbox.advance(4 * MINUTE);
    let svc = service(&cloud).await;
    assert!(svc.task_definition.ends_with("umami:9"));
    assert_eq!(svc.deployments[0].rollout_state, RolloutState::Completed);
}

#[tokio::test]
async fn the_history_starts_with_the_deployments_before_the_sandbox() {
    let sandbox = Sandbox::new(
        Scenario::LogBurst,
        3,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let cloud = sandbox.cloud();
    let entries = history(&cloud).await;
    assert_eq!(entries.len(), 2);
    assert!(
        entries
            .iter()
            .all(|e| e.status == ServiceDeploymentStatus::Successful)
    );
    let current = service(&cloud).await;
    assert_eq!(
        entries[0].target_task_definition.as_deref(),
        Some(current.task_definition.as_str())
    );
    assert!(entries[0].source_task_definitions[0].ends_with("umami:7"));
    assert!(
        entries[0].created_at > entries[1].created_at,
        "newest first"
    );
}
