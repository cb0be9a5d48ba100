//! The dashboard's data path over the sandbox: discovery follows the wires to the whole
//! example stack, and the workers deliver every feed (the logs tail: `tests/logs_tail.rs`).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use opsdeck::app::action::{Action, Feed};
use opsdeck::app::oneshot::load_dashboard;
use opsdeck::app::workers::Workers;
use opsdeck::cloud::CloudError;
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::config::RefreshIntervals;
use opsdeck::model::{ListenerAction, NodeKind, TaskStatus};
use opsdeck::ops::discover;

fn sandbox(scenario: Scenario) -> std::sync::Arc<Sandbox> {
    Sandbox::new(
        scenario,
        42,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    )
}

#[tokio::test]
async fn discovery_finds_the_whole_example_stack_from_the_service() {
    let sandbox = sandbox(Scenario::Healthy);
    let topology = discover::topology(&sandbox.cloud(), &common::umami())
        .await
        .unwrap();

    assert_eq!(
        topology.vpc.as_ref().map(|v| v.cidr.as_str()),
        Some("10.0.0.0/16")
    );
    let mut subnets: Vec<(String, String, bool)> = topology
        .subnets
        .iter()
        .map(|s| {
            (
                s.cidr.clone(),
                s.availability_zone.clone(),
                topology.is_public(&s.id),
            )
        })
        .collect();
    subnets.sort();
    assert_eq!(
        subnets,
        [
            ("10.0.0.0/24".into(), "eu-west-2a".into(), true),
            ("10.0.1.0/24".into(), "eu-west-2b".into(), true),
            ("10.0.10.0/24".into(), "eu-west-2a".into(), false),
            ("10.0.11.0/24".into(), "eu-west-2b".into(), false),
        ]
    );
    assert_eq!(topology.internet_gateways.len(), 1);
    assert_eq!(topology.nat_gateways.len(), 1);

    let alb = &topology.load_balancers[0];
    let mut listeners: Vec<_> = alb
        .listeners
        .iter()
        .map(|l| (l.port, &l.default_action))
        .collect();
    listeners.sort_by_key(|(port, _)| *port);
    assert!(matches!(
        listeners[0],
        (80, ListenerAction::Redirect { protocol, port, .. }) if protocol == "HTTPS" && port == "443"
    ));
    assert!(matches!(
        listeners[1],
        (443, ListenerAction::Forward { .. })
    ));
    assert_eq!(topology.certificates.len(), 1);
    assert_eq!(topology.certificates[0].status, "ISSUED");

    let group = &topology.target_groups[0];
    assert_eq!(
        (group.name.as_str(), group.health_check.path.as_str()),
        ("umami", "/api/heartbeat")
    );
    assert_eq!(
        topology.databases.len(),
        1,
        "the database is found through its security group"
    );
    let db = &topology.databases[0];
    assert_eq!(
        (db.id.as_str(), db.engine.as_str(), db.class.as_str()),
        ("umami-db", "postgres", "db.t3.micro")
    );
    assert!(db.engine_version.starts_with("16"));
    assert_eq!(topology.log_groups[0].group, "/ecs/umami");
    assert!(
        !topology.dns_records.is_empty(),
        "the Route53 alias to the ALB is found"
    );
}

#[tokio::test]
async fn the_loaded_dashboard_shows_two_running_tasks_healthy_targets_and_logs() {
    let sandbox = sandbox(Scenario::Healthy);
    let state = load_dashboard(
        &sandbox.cloud(),
        &common::umami(),
        10_000,
        sandbox.now(),
        600_000,
    )
    .await
    .unwrap();
    let ecs = state.ecs.data.as_ref().unwrap();
    let service = state.stack_service().unwrap();
    assert_eq!((service.desired, service.running), (2, 2));
    let running = ecs
        .tasks
        .iter()
        .filter(|t| t.last_status == TaskStatus::Running)
        .count();
    assert_eq!(running, 2);
    let targets = &state.targets.data.as_ref().unwrap()[0];
    assert_eq!(targets.healthy(), 2);
    assert!(!state.logs.is_empty(), "a few minutes of log history");
    assert_eq!(state.identity.as_ref().unwrap().account_id, "123456789012");

    // The graph follows the wires: internet -> ALB -> target group -> tasks -> database.
    for kind in [
        NodeKind::Internet,
        NodeKind::LoadBalancer,
        NodeKind::TargetGroup,
        NodeKind::Task,
        NodeKind::NatGateway,
        NodeKind::Database,
    ] {
        assert!(
            state.graph.nodes_of(kind).next().is_some(),
            "graph has a {kind:?} node"
        );
    }
    assert!(
        state
            .graph
            .edges
            .iter()
            .any(|e| e.label.contains("5432") && e.allowed == Some(true))
    );
}

#[tokio::test]
async fn an_unknown_service_is_a_clear_not_found() {
    let sandbox = sandbox(Scenario::Healthy);
    let mut stack = common::umami();
    stack.service = "umamii".into();
    let error = discover::topology(&sandbox.cloud(), &stack)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            CloudError::NotFound {
                kind: "service",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("umamii"), "{error}");
}

#[tokio::test]
async fn workers_deliver_every_feed_and_stop_when_asked() {
    let sandbox = Sandbox::new(
        Scenario::Healthy,
        42,
        ClockMode::Scaled {
            start: SANDBOX_EPOCH,
            speed: 1.0,
        },
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let workers = Workers::spawn(
        sandbox.cloud(),
        common::umami(),
        None,
        RefreshIntervals::default(),
        tx,
    );
    let mut loaded = HashSet::new();
    let mut identity = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while loaded.len() < Feed::ALL.len() || !identity {
        let action = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("every feed loads within 10 s")
            .expect("channel open");
        match action {
            Action::Loaded { data, .. } => {
                loaded.insert(data.feed());
            }
            Action::Identity(_) => identity = true,
            Action::LoadFailed { feed, error, .. } => panic!("{feed:?} failed: {error}"),
            _ => {}
        }
    }
    workers.shutdown().await;
    // After shutdown nothing is sent any more.
    while rx.try_recv().is_ok() {}
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(rx.try_recv().is_err());
}
