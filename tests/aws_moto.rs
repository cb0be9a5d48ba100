//! The AWS backend against moto: discovery, findings, `status`, pagination, batching, errors.
//!
//! Needs `moto_server`: `python3 -m venv .venv && .venv/bin/pip install 'moto[server]'`.

#[path = "common/moto.rs"]
mod moto;

use std::collections::BTreeMap;
use std::process::Command;

use moto::{Moto, REGION, binary_env, build_umami};
use opsdeck::cloud::CloudError;
use opsdeck::model::{ListenerAction, RouteTarget, StackRef};
use opsdeck::ops::discover;
use opsdeck::ops::findings::{Severity, findings};

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_follows_the_wires_from_the_service() {
    let moto = Moto::start();
    let umami = build_umami(&moto.sdk_config().await, "umami", 2).await;
    let (cloud, _) = moto.cloud().await;

    let t = discover::topology(&cloud, &umami.stack()).await.unwrap();

    assert_eq!(
        t.vpc.as_ref().map(|v| v.id.as_str()),
        Some(umami.vpc.as_str())
    );
    assert_eq!(t.vpc.as_ref().map(|v| v.cidr.as_str()), Some("10.0.0.0/16"));
    let subnet_ids = sorted(t.subnets.iter().map(|s| s.id.clone()).collect());
    let expected: Vec<String> = umami
        .public_subnets
        .iter()
        .chain(&umami.private_subnets)
        .cloned()
        .collect();
    assert_eq!(subnet_ids, sorted(expected));
    for s in &umami.public_subnets {
        assert!(t.is_public(s), "{s} routes to the internet gateway");
    }
    for s in &umami.private_subnets {
        assert!(!t.is_public(s), "{s} is private");
        let table = t.route_table_for(s).unwrap();
        assert_eq!(table.id, umami.private_route_table);
        assert!(table.routes.iter().any(|r| r.destination == "0.0.0.0/0"
            && r.target == RouteTarget::NatGateway(umami.nat_gateway.clone())));
    }
    assert_eq!(
        t.internet_gateways
            .iter()
            .map(|g| &g.id)
            .collect::<Vec<_>>(),
        vec![&umami.internet_gateway]
    );
    assert_eq!(t.nat_gateways.len(), 1);
    assert_eq!(t.nat_gateways[0].id, umami.nat_gateway);
    assert_eq!(t.nat_gateways[0].subnet_id, umami.public_subnets[0]);

    assert_eq!(t.load_balancers.len(), 1);
    let lb = &t.load_balancers[0];
    assert_eq!(lb.arn, umami.load_balancer);
    assert_eq!(lb.security_groups, vec![umami.alb_sg.clone()]);
    assert_eq!(
        sorted(lb.subnets.clone()),
        sorted(umami.public_subnets.clone())
    );
    let ports: Vec<(u16, &str)> = lb
        .listeners
        .iter()
        .map(|l| (l.port, l.protocol.as_str()))
        .collect();
    assert_eq!(ports, vec![(80, "HTTP"), (443, "HTTPS")]);
    assert!(matches!(&lb.listeners[0].default_action,
        ListenerAction::Redirect { protocol, port, .. } if protocol == "HTTPS" && port == "443"));
    assert_eq!(
        lb.listeners[1].certificate_arns,
        vec![umami.certificate.clone()]
    );
    assert_eq!(
        lb.listeners[1].default_action,
        ListenerAction::Forward {
            target_group_arns: vec![umami.target_group.clone()]
        }
    );

    assert_eq!(t.target_groups.len(), 1);
    assert_eq!(t.target_groups[0].arn, umami.target_group);
    assert_eq!(t.target_groups[0].port, 3000);
    assert_eq!(t.target_groups[0].health_check.path, "/api/heartbeat");
    assert_eq!(t.certificates.len(), 1);
    assert_eq!(t.certificates[0].arn, umami.certificate);
    assert_eq!(t.certificates[0].domain, "umami.example.com");
    assert_eq!(t.dns_records.len(), 1, "{:?}", t.dns_records);
    assert_eq!(t.dns_records[0].name, umami.record);
    assert_eq!(t.dns_records[0].zone, "example.com");

    // The database is found through the security group that admits the service, and only it.
    let dbs: Vec<&str> = t.databases.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(dbs, vec![umami.database.as_str()]);
    let db = &t.databases[0];
    assert_eq!(db.vpc_id, umami.vpc);
    assert_eq!(db.security_groups, vec![umami.db_sg.clone()]);
    assert_eq!(db.port, Some(5432));
    assert_eq!(
        sorted(db.subnet_ids.clone()),
        sorted(umami.private_subnets.clone())
    );

    assert_eq!(
        t.service_network.security_groups,
        vec![umami.service_sg.clone()]
    );
    assert!(!t.service_network.assign_public_ip);
    assert_eq!(t.log_groups.len(), 1);
    assert_eq!(t.log_groups[0].group, umami.log_group);
    assert_eq!(t.log_groups[0].stream_prefix, "umami");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_groups_admit_the_path_and_findings_name_the_risks() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;
    let (cloud, _) = moto.cloud().await;
    let stack = umami.stack();

    let topology = discover::topology(&cloud, &stack).await.unwrap();
    let sg = |id: &str| topology.security_group(id).unwrap();
    // internet -> ALB :443 and :80; ALB -> service :3000; service -> database :5432.
    assert!(sg(&umami.alb_sg).admits_world(443));
    assert!(sg(&umami.alb_sg).admits_world(80));
    assert!(!sg(&umami.alb_sg).admits_world(22));
    assert!(sg(&umami.service_sg).admits_group(&umami.alb_sg, 3000));
    assert!(!sg(&umami.service_sg).admits_world(3000));
    assert!(sg(&umami.db_sg).admits_group(&umami.service_sg, 5432));
    assert!(!sg(&umami.db_sg).admits_world(5432));
    assert!(!sg(&umami.db_sg).admits_group(&umami.alb_sg, 5432));

    let targets = discover::target_health(&cloud, &topology).await.unwrap();
    let ecs = discover::ecs(&cloud, &stack).await.unwrap();
    let found = findings(&topology, &targets, &ecs.tasks);
    let summary: Vec<(Severity, &str)> = found
        .iter()
        .map(|f| (f.severity, f.resource.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Severity::Medium, umami.nat_gateway.as_str()),
            (Severity::Low, umami.database.as_str()),
        ],
        "{found:#?}"
    );
    assert!(found[0].title.contains("2 availability zones"));
    assert!(found[1].title.contains("Multi-AZ"));

    // Open the database to the internet: the sharpest finding comes first.
    let ec2 = aws_sdk_ec2::Client::new(&config);
    moto::ingress_from_cidr(&ec2, &umami.db_sg, 5432, "0.0.0.0/0").await;
    let topology = discover::topology(&cloud, &stack).await.unwrap();
    let found = findings(&topology, &targets, &ecs.tasks);
    assert_eq!(found[0].severity, Severity::High);
    assert_eq!(found[0].resource, umami.database);
    assert!(found[0].title.contains("0.0.0.0/0"), "{found:#?}");
}

fn run_status(moto_endpoint: &str, extra: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command
        .args(["--endpoint-url", moto_endpoint, "--region", REGION])
        .args(extra)
        .envs(binary_env(home.path()));
    for name in moto::SCRUBBED_ENV {
        command.env_remove(name);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_reports_a_healthy_stack_then_a_degraded_one() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;

    let args = [
        "--cluster",
        "umami",
        "--service",
        "umami",
        "status",
        "--json",
    ];
    let (code, stdout, stderr) = run_status(&moto.endpoint, &args);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["health"], "ok");
    assert_eq!(json["stack"]["cluster"], "umami");
    assert_eq!(json["stack"]["service"], "umami");
    assert_eq!(json["stack"]["region"], REGION);
    assert_eq!(json["services"][0]["name"], "umami");
    assert_eq!(json["services"][0]["running"], 2);
    assert_eq!(json["services"][0]["desired"], 2);
    assert_eq!(json["services"][0]["task_definition"], "umami:1");
    assert_eq!(json["services"][0]["deployments"][0]["status"], "PRIMARY");
    assert_eq!(
        json["services"][0]["deployments"][0]["rollout_state"],
        "COMPLETED"
    );
    let tasks: u64 = json["tasks"]["by_state"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(tasks, 2);
    assert_eq!(json["tasks"]["by_state"]["RUNNING"], 2);
    assert_eq!(json["target_groups"][0]["name"], "umami-tg");
    assert_eq!(json["target_groups"][0]["healthy"], 2);
    assert_eq!(json["target_groups"][0]["total"], 2);
    assert_eq!(json["databases"][0]["id"], "umami-db");
    assert_eq!(json["databases"][0]["status"], "available");
    assert_eq!(json["databases"][0]["multi_az"], false);
    let severities: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, vec!["medium", "low"]);
    let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "backend",
            "databases",
            "findings",
            "health",
            "network",
            "services",
            "site",
            "stack",
            "target_groups",
            "tasks"
        ]
    );
    assert_eq!(
        json["site"],
        serde_json::json!({"distributions": [], "buckets": []})
    );

    let (code, text, _) = run_status(
        &moto.endpoint,
        &["--cluster", "umami", "--service", "umami", "status"],
    );
    println!("{text}");
    assert_eq!(code, 0);
    assert!(
        text.starts_with("umami  cluster umami  service umami"),
        "{text}"
    );
    assert!(text.contains("HEALTHY"), "{text}");
    assert!(text.contains("umami-tg"), "{text}");

    // Every target leaves the target group: degraded, exit code 1, and a finding says why.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let registered = elb
        .describe_target_health()
        .target_group_arn(&umami.target_group)
        .send()
        .await
        .unwrap();
    let targets: Vec<_> = registered
        .target_health_descriptions()
        .iter()
        .filter_map(|d| d.target().cloned())
        .collect();
    elb.deregister_targets()
        .target_group_arn(&umami.target_group)
        .set_targets(Some(targets))
        .send()
        .await
        .unwrap();
    let (code, stdout, stderr) = run_status(&moto.endpoint, &args);
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["health"], "failed");
    assert_eq!(json["findings"][0]["severity"], "high");
    assert_eq!(json["findings"][0]["resource"], "umami-tg");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_120_services_and_250_tasks_in_batches_at_the_api_maximums() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "big", 0).await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    moto::add_services(&ecs, "big", &umami.task_definition, 119).await;
    let network = aws_sdk_ecs::types::NetworkConfiguration::builder()
        .awsvpc_configuration(
            aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                .set_subnets(Some(umami.private_subnets.clone()))
                .security_groups(&umami.service_sg)
                .build()
                .unwrap(),
        )
        .build();
    moto::run_tasks(&ecs, "big", &umami.task_definition, &network, 250).await;

    let (cloud, calls) = moto.cloud().await;
    let snapshot = discover::ecs(&cloud, &umami.stack()).await.unwrap();
    assert_eq!(snapshot.services.len(), 120);
    assert_eq!(snapshot.tasks.len(), 250);
    let mut names: Vec<&str> = snapshot.services.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 120, "every service once");

    let counted = calls.calls();
    assert_eq!(counted["ECS.ListServices"], 1, "moto answers in one page");
    assert_eq!(counted["ECS.DescribeServices"], 12, "120 services / 10");
    assert_eq!(counted["ECS.ListTasks"], 2, "running and stopped");
    assert_eq!(counted["ECS.DescribeTasks"], 3, "250 tasks / 100");
    assert_eq!(calls.total_calls(), 18, "{counted:?}");
}

/// One dashboard refresh: topology, ecs, target health, databases and metrics, as the app's
/// feeds run them (the log tail polls on its own clock: one FilterLogEvents a poll).
async fn refresh_calls(moto: &Moto, stack: &StackRef) -> BTreeMap<String, u64> {
    let (cloud, calls) = moto.cloud().await;
    let topology = discover::topology(&cloud, stack).await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let (ecs, targets, dbs, metrics) = tokio::try_join!(
        discover::ecs(&cloud, stack),
        discover::target_health(&cloud, &topology),
        discover::databases(&cloud, &topology),
        discover::metrics(&cloud, stack, &topology, now),
    )
    .unwrap();
    assert_eq!(
        metrics.series.len(),
        7,
        "3 database, 2 load balancer, 2 service series"
    );
    assert_eq!(targets.len(), 1);
    assert_eq!(dbs.len(), 1);
    assert!(!ecs.tasks.is_empty());
    calls.calls()
}

fn print_calls(title: &str, counted: &BTreeMap<String, u64>) {
    println!("{title}: {} calls", counted.values().sum::<u64>());
    for (operation, n) in counted {
        println!("  {operation:<56} {n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dashboard_refresh_grows_with_services_over_10_and_tasks_over_100() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "fifty", 2).await;
    let small = refresh_calls(&moto, &umami.stack()).await;
    print_calls("one refresh, 1 service and 2 tasks", &small);

    let ecs = aws_sdk_ecs::Client::new(&config);
    moto::add_services(&ecs, "fifty", &umami.task_definition, 49).await;
    let network = aws_sdk_ecs::types::NetworkConfiguration::builder()
        .awsvpc_configuration(
            aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                .set_subnets(Some(umami.private_subnets.clone()))
                .security_groups(&umami.service_sg)
                .build()
                .unwrap(),
        )
        .build();
    moto::run_tasks(&ecs, "fifty", &umami.task_definition, &network, 498).await;
    let big = refresh_calls(&moto, &umami.stack()).await;
    print_calls("one refresh, 50 services and 500 tasks", &big);

    // ECS: batches of 10 services (+1 for the stack's own service in topology) and of 100
    // tasks; everything else is per stack, not per service or task.
    assert_eq!(big["ECS.DescribeServices"], 5 + 1);
    assert_eq!(big["ECS.DescribeTasks"], 5);
    assert_eq!(big["ECS.ListServices"], 1);
    assert_eq!(big["ECS.ListTasks"], 2);
    let grew: BTreeMap<&String, u64> = big
        .iter()
        .filter_map(|(op, n)| {
            let before = small.get(op).copied().unwrap_or(0);
            (*n != before).then_some((op, n - before))
        })
        .collect();
    let expected: BTreeMap<String, u64> = [
        ("ECS.DescribeServices".to_string(), 4),
        ("ECS.DescribeTasks".to_string(), 4),
    ]
    .into_iter()
    .collect();
    assert_eq!(grew, expected.iter().map(|(k, v)| (k, *v)).collect());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_cluster_and_service_are_not_found_errors() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    build_umami(&config, "umami", 0).await;
    let (cloud, _) = moto.cloud().await;

    let stack = |cluster: &str, service: &str| StackRef {
        name: "x".into(),
        region: REGION.into(),
        cluster: cluster.into(),
        service: service.into(),
    };
    let err = discover::stack_service(&cloud, &stack("nope", "umami"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        CloudError::NotFound {
            kind: "cluster",
            name: "nope".into(),
            hint: Some("the only cluster is umami: pass --cluster umami".into())
        }
    );
    let err = discover::stack_service(&cloud, &stack("umami", "nope"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "service nope in cluster umami not found: \
         the only service in cluster umami is umami: pass --service umami"
    );
    let ecs = aws_sdk_ecs::Client::new(&config);
    ecs.create_cluster()
        .cluster_name("batch")
        .send()
        .await
        .unwrap();
    let err = discover::resolve_stack(&cloud, None, Some("nope".into()), None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cluster nope not found: pass --cluster with one of the 2 clusters: batch, umami"
    );

    // From the CLI: one line on stderr, exit code 2.
    let (code, stdout, stderr) = run_status(
        &moto.endpoint,
        &["--cluster", "nope", "--service", "umami", "status"],
    );
    assert_eq!(code, 2, "{stdout}");
    assert_eq!(
        stderr.trim_end(),
        "opsdeck: cluster nope not found: pass --cluster with one of the 2 clusters: batch, umami"
    );
    assert_eq!(stderr.lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_an_unreachable_endpoint() {
    let closed = format!("http://127.0.0.1:{}", moto::free_port());
    let config = moto::sdk_config_for(&closed).await;
    let cloud = opsdeck::cloud::aws::from_sdk_config(&config, None, None).unwrap();
    let err = cloud.ecs.list_clusters().await.unwrap_err();
    assert!(
        matches!(&err, CloudError::Unreachable { endpoint, .. } if *endpoint == closed),
        "{err:?}"
    );

    let (code, _, stderr) = run_status(
        &closed,
        &["--cluster", "umami", "--service", "umami", "status"],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with(&format!("opsdeck: cannot reach {closed}: ")),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picks_the_only_cluster_and_service_and_names_the_choices_otherwise() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;

    let (code, stdout, stderr) = run_status(&moto.endpoint, &["status", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["stack"]["cluster"], "umami");
    assert_eq!(json["stack"]["service"], "umami");

    let ecs = aws_sdk_ecs::Client::new(&config);
    moto::add_services(&ecs, "umami", &umami.task_definition, 2).await;
    let (code, _, stderr) = run_status(&moto.endpoint, &["status"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("there are 3; pass --service with one of: svc-000, svc-001, umami"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_read_by_stream_and_streams_listed() {
    use aws_sdk_cloudwatchlogs::types::InputLogEvent;
    use opsdeck::model::LogQuery;

    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    logs.create_log_group()
        .log_group_name("/ecs/umami")
        .send()
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    for (stream, lines) in [("umami/umami/task1", 3), ("other/sidecar/task1", 2)] {
        logs.create_log_stream()
            .log_group_name("/ecs/umami")
            .log_stream_name(stream)
            .send()
            .await
            .unwrap();
        let events: Vec<InputLogEvent> = (0..lines)
            .map(|i| {
                InputLogEvent::builder()
                    .timestamp(now + i)
                    .message(format!("{stream} line {i}"))
                    .build()
                    .unwrap()
            })
            .collect();
        logs.put_log_events()
            .log_group_name("/ecs/umami")
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
            .await
            .unwrap();
    }
    let (cloud, calls) = moto.cloud().await;

    let page = cloud
        .logs
        .filter_log_events(
            &LogQuery {
                group: "/ecs/umami".into(),
                // moto ignores logStreamNamePrefix; aws_mocks checks that it is sent.
                streams: vec!["umami/umami/task1".into()],
                start: Some(now - 60_000),
                ..LogQuery::default()
            },
            None,
        )
        .await
        .unwrap();
    let messages: Vec<&str> = page.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        vec![
            "umami/umami/task1 line 0",
            "umami/umami/task1 line 1",
            "umami/umami/task1 line 2"
        ]
    );
    assert!(
        page.events
            .iter()
            .all(|e| e.stream == "umami/umami/task1" && !e.event_id.is_empty())
    );
    assert_eq!(page.events[0].timestamp, now);

    let streams = cloud
        .logs
        .describe_log_streams("/ecs/umami", Some("umami/"))
        .await
        .unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0].name, "umami/umami/task1");
    assert_eq!(calls.total_calls(), 2);

    let err = cloud
        .logs
        .describe_log_streams("/ecs/missing", None)
        .await
        .unwrap_err();
    assert!(matches!(err, CloudError::NotFound { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_revision_keeps_what_the_model_does_not_carry_and_rolls_out() {
    use opsdeck::model::{NewTaskDefinition, ServiceUpdate};

    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;
    let (cloud, _) = moto.cloud().await;

    let current = cloud
        .ecs
        .describe_task_definition(&umami.task_definition)
        .await
        .unwrap();
    assert_eq!(current.revision, 1);
    assert_eq!(current.containers[0].port, Some(3000));
    assert_eq!(
        current.containers[0].secrets,
        vec![(
            "DATABASE_URL".to_string(),
            "arn:aws:secretsmanager:eu-west-2:123456789012:secret:umami-db".to_string()
        )]
    );
    let mut containers = current.containers.clone();
    containers[0].image = "ghcr.io/umami-software/umami:postgresql-v2.14.0".into();
    let next = cloud
        .ecs
        .register_task_definition(NewTaskDefinition {
            family: "umami".into(),
            cpu: current.cpu.clone(),
            memory: current.memory.clone(),
            containers,
        })
        .await
        .unwrap();
    assert_eq!(next.revision, 2);
    assert_eq!(
        next.containers[0].image,
        "ghcr.io/umami-software/umami:postgresql-v2.14.0"
    );
    assert_eq!(next.containers[0].port, Some(3000));
    assert_eq!(next.containers[0].logs, current.containers[0].logs);
    let raw = aws_sdk_ecs::Client::new(&config)
        .describe_task_definition()
        .task_definition(&next.arn)
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap();
    assert_eq!(
        raw.execution_role_arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/umami-execution"),
        "the execution role survives, or the new tasks could not pull or log"
    );
    assert_eq!(
        raw.network_mode,
        Some(aws_sdk_ecs::types::NetworkMode::Awsvpc)
    );

    let revisions = cloud.ecs.list_task_definitions("umami").await.unwrap();
    assert_eq!(
        revisions,
        vec![next.arn.clone(), umami.task_definition.clone()]
    );

    let service = cloud
        .ecs
        .update_service(
            "umami",
            "umami",
            ServiceUpdate {
                task_definition: Some(next.arn.clone()),
                ..ServiceUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(service.task_definition, next.arn);

    cloud
        .ecs
        .stop_task("umami", &umami.tasks[0], "opsdeck test")
        .await
        .unwrap();
    let stopped = cloud
        .ecs
        .list_tasks(
            "umami",
            Some("umami"),
            opsdeck::cloud::DesiredStatus::Stopped,
        )
        .await
        .unwrap();
    assert_eq!(stopped, vec![umami.tasks[0].clone()]);
}

/// `--stack NAME` takes the region, cluster and service from the config file, and the
/// endpoint comes from `AWS_ENDPOINT_URL` as in the AWS CLI: no flag names any of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_stack_from_the_config_file_supplies_region_cluster_and_service() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    // A second service, so the stack's is taken from the file and not picked as the only one.
    moto::add_services(&ecs, "umami", &umami.task_definition, 1).await;

    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("opsdeck.toml");
    std::fs::write(
        &file,
        "[stacks.prod]\nregion = \"eu-west-2\"\ncluster = \"umami\"\nservice = \"umami\"\n",
    )
    .unwrap();
    let run = |stack: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
        command
            .args(["--config", &file.display().to_string(), "--stack", stack])
            .args(["status", "--json"])
            .envs(binary_env(home.path()))
            .env_remove("AWS_REGION")
            .env("AWS_ENDPOINT_URL", &moto.endpoint);
        for name in moto::SCRUBBED_ENV {
            if *name != "AWS_ENDPOINT_URL" {
                command.env_remove(name);
            }
        }
        command.output().unwrap()
    };

    let output = run("prod");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["stack"]["name"], "prod");
    assert_eq!(json["stack"]["region"], "eu-west-2");
    assert_eq!(json["stack"]["cluster"], "umami");
    assert_eq!(json["stack"]["service"], "umami");
    assert_eq!(json["health"], "ok", "{json}");

    let output = run("staging");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr.trim_end(),
        format!(
            "opsdeck: no stack named staging in {}: it defines prod",
            file.display()
        )
    );
}

/// A service registered with two target groups (the app, and an admin port behind its own
/// HTTPS listener) in a VPC with a NAT gateway per zone: discovery finds both groups and both
/// gateways, the graph draws each with its own port, and the one-NAT finding is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_target_groups_and_a_nat_gateway_per_zone_are_all_drawn() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 0).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let ecs = aws_sdk_ecs::Client::new(&config);

    let admin = moto::target_group(&elb, &umami.vpc, "umami-admin", 3001, "/admin/health").await;
    moto::https_listener(&elb, &umami.load_balancer, 8443, &umami.certificate, &admin).await;
    moto::ingress_from_cidr(&ec2, &umami.alb_sg, 8443, "0.0.0.0/0").await;
    moto::ingress_from_group(&ec2, &umami.service_sg, 3001, &umami.alb_sg).await;

    // A second NAT gateway, in zone b, for zone b's private subnet.
    let nat_b = moto::nat_gateway(&ec2, &umami.public_subnets[1]).await;
    let table_b = moto::route_table(&ec2, &umami.vpc, &[]).await;
    moto::default_route_to_nat(&ec2, &table_b, &nat_b).await;
    let association = ec2
        .describe_route_tables()
        .route_table_ids(&umami.private_route_table)
        .send()
        .await
        .unwrap()
        .route_tables
        .unwrap()
        .remove(0)
        .associations
        .unwrap()
        .into_iter()
        .find(|a| a.subnet_id.as_deref() == Some(umami.private_subnets[1].as_str()))
        .and_then(|a| a.route_table_association_id)
        .unwrap();
    ec2.replace_route_table_association()
        .association_id(association)
        .route_table_id(&table_b)
        .send()
        .await
        .unwrap();

    let binding = |tg: &str, port: i32| {
        aws_sdk_ecs::types::LoadBalancer::builder()
            .target_group_arn(tg)
            .container_name("umami")
            .container_port(port)
            .build()
    };
    ecs.create_service()
        .cluster("umami")
        .service_name("umami-admin")
        .task_definition(&umami.task_definition)
        .desired_count(2)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .load_balancers(binding(&umami.target_group, 3000))
        .load_balancers(binding(&admin, 3001))
        .network_configuration(
            aws_sdk_ecs::types::NetworkConfiguration::builder()
                .awsvpc_configuration(
                    aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                        .set_subnets(Some(umami.private_subnets.clone()))
                        .security_groups(&umami.service_sg)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let (cloud, _) = moto.cloud().await;
    let stack = StackRef {
        service: "umami-admin".into(),
        ..umami.stack()
    };
    let topology = discover::topology(&cloud, &stack).await.unwrap();
    let groups = sorted(
        topology
            .target_groups
            .iter()
            .map(|t| t.arn.clone())
            .collect(),
    );
    assert_eq!(
        groups,
        sorted(vec![umami.target_group.clone(), admin.clone()])
    );
    let nats = sorted(topology.nat_gateways.iter().map(|n| n.id.clone()).collect());
    assert_eq!(nats, sorted(vec![umami.nat_gateway.clone(), nat_b.clone()]));

    let ecs_now = discover::ecs(&cloud, &stack).await.unwrap();
    let targets = discover::target_health(&cloud, &topology).await.unwrap();
    let graph = opsdeck::ops::graph::build(
        &topology,
        "umami-admin",
        Some(&ecs_now),
        Some(&targets),
        None,
    );
    let edge = |from: &str, to: &str| {
        graph
            .edges
            .iter()
            .find(|e| e.from == from && e.to == to)
            .unwrap_or_else(|| panic!("no edge {from} -> {to}: {:#?}", graph.edges))
    };
    for (tg, port) in [(&umami.target_group, ":3000"), (&admin, ":3001")] {
        assert_eq!(edge(&umami.load_balancer, tg).label, "fwd");
        for subnet in &umami.private_subnets {
            let e = edge(tg, subnet);
            assert_eq!((e.label.as_str(), e.allowed), (port, Some(true)));
        }
    }
    assert_eq!(
        edge(&umami.private_subnets[0], &umami.nat_gateway).label,
        "egress"
    );
    assert_eq!(edge(&umami.private_subnets[1], &nat_b).label, "egress");
    let nat_labels: Vec<&str> = graph
        .nodes
        .iter()
        .filter(|n| n.id.starts_with("nat-"))
        .map(|n| n.label.as_str())
        .collect();
    assert_eq!(nat_labels, ["NAT eu-west-2a", "NAT eu-west-2b"]);

    let found = findings(&topology, &targets, &ecs_now.tasks);
    assert!(
        !found.iter().any(|f| f.title.contains("NAT")),
        "a NAT gateway per zone is the fix: {found:#?}"
    );
}
