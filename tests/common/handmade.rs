//! A hand-built dashboard state: the "umami" example stack mid-deployment, at a fixed time.
//!
//! Kept behind `dashboard_state()` so it can be swapped for state taken from the sandbox.
#![allow(dead_code)]

use opsdeck::app::action::PaneId;
use opsdeck::app::state::{AppState, Loaded};
use opsdeck::cloud::BackendKind;
use opsdeck::model::EcsSnapshot;
use opsdeck::model::*;

/// 2026-03-14 10:15:30 UTC.
pub const NOW: Millis = 1_773_483_330_000;

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-2";
const SERVICE_SG: &str = "sg-0b5e7c2d9a1f34e68";
const ALB_SG: &str = "sg-0a4d6b1c8e2f97053";
const DB_SG: &str = "sg-0c6f8d3e0b2a15f79";
const PRIVATE_A: &str = "subnet-0a3c5e7f9b1d2468a";
const PRIVATE_B: &str = "subnet-0b4d6f8a0c2e3579b";
const PUBLIC_A: &str = "subnet-0c5e7a9b1d3f4680c";
const PUBLIC_B: &str = "subnet-0d6f8b0c2e4a5791d";
const NAT: &str = "nat-0f3e2d1c0b9a87654";
const IGW: &str = "igw-0c4f2a9b81d3e5f60";
const ALB_DNS: &str = "umami-alb-1234567890.eu-west-2.elb.amazonaws.com";

pub const RUNNING_A: &str = "3f9c2a7d1e8b4c60a5d2e7f1b9c3a4d8";
pub const RUNNING_B: &str = "8b1e4d6f2a9c4e7b8d3f5a1c6e9b2d47";
pub const PENDING: &str = "c47a9e2b5d1f4a8c9e6b3d7f2a1c5e90";
pub const STOPPED: &str = "e92d5b1a7c3f4e6d8a2b9c5f1e7d3a66";

fn ago(seconds: i64) -> Millis {
    NOW - seconds * 1000
}

fn arn(service: &str, resource: &str) -> String {
    format!("arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}")
}

fn task_definition(revision: u32) -> String {
    arn("ecs", &format!("task-definition/umami:{revision}"))
}

fn target_group_arn() -> String {
    arn("elasticloadbalancing", "targetgroup/umami/6d0ecf831eec9f09")
}

/// The whole dashboard state, focused on the network pane.
pub fn dashboard_state() -> AppState {
    let stack = StackRef {
        name: "umami".into(),
        region: REGION.into(),
        cluster: "umami".into(),
        service: "umami".into(),
    };
    let backend = BackendKind::Sandbox {
        scenario: "healthy".into(),
    };
    let mut state = AppState::new(backend, stack, true, 10_000);
    state.identity = Some(Identity {
        account_id: ACCOUNT.into(),
        arn: format!("arn:aws:iam::{ACCOUNT}:user/ops"),
    });
    state.now = NOW;
    state.width = 120;
    state.height = 40;
    state.topology = loaded(topology(), ago(12));
    state.ecs = loaded(ecs(), ago(1));
    state.targets = loaded(vec![targets()], ago(2));
    state.rds = loaded(vec![database()], ago(5));
    for event in log_events() {
        state.logs.push(&event);
    }
    state.logs_at = Some(ago(0));
    state.graph = opsdeck::ops::graph::build(
        state.topology.data.as_ref().expect("topology"),
        "umami",
        state.ecs.data.as_ref(),
        state.targets.data.as_deref(),
        state.rds.data.as_deref(),
    );
    state.focus = PaneId::Network;
    state.network_selected = 3;
    state
}

fn loaded<T>(data: T, at: Millis) -> Loaded<T> {
    Loaded {
        data: Some(data),
        at: Some(at),
        error: None,
    }
}

pub fn topology() -> Topology {
    let vpc = "vpc-0a1b2c3d4e5f60789";
    let subnet = |id: &str, cidr: &str, zone: &str, name: &str, public: bool| Subnet {
        id: id.into(),
        vpc_id: vpc.into(),
        cidr: cidr.into(),
        availability_zone: zone.into(),
        name: Some(name.into()),
        map_public_ip_on_launch: public,
    };
    let rule = |port: u16, source: RuleSource| SecurityGroupRule {
        protocol: "tcp".into(),
        from_port: Some(port),
        to_port: Some(port),
        source,
    };
    let world = || RuleSource::Cidr("0.0.0.0/0".into());
    Topology {
        vpc: Some(Vpc {
            id: vpc.into(),
            cidr: "10.0.0.0/16".into(),
            name: Some("umami".into()),
        }),
        subnets: vec![
            subnet(
                PUBLIC_A,
                "10.0.1.0/24",
                "eu-west-2a",
                "umami-public-a",
                true,
            ),
            subnet(
                PUBLIC_B,
                "10.0.2.0/24",
                "eu-west-2b",
                "umami-public-b",
                true,
            ),
            subnet(
                PRIVATE_A,
                "10.0.11.0/24",
                "eu-west-2a",
                "umami-private-a",
                false,
            ),
            subnet(
                PRIVATE_B,
                "10.0.12.0/24",
                "eu-west-2b",
                "umami-private-b",
                false,
            ),
        ],
        route_tables: vec![
            RouteTable {
                id: "rtb-0e1a2b3c4d5e6f701".into(),
                vpc_id: vpc.into(),
                subnet_ids: vec![PUBLIC_A.into(), PUBLIC_B.into()],
                main: false,
                routes: vec![
                    Route {
                        destination: "10.0.0.0/16".into(),
                        target: RouteTarget::Local,
                    },
                    Route {
                        destination: "0.0.0.0/0".into(),
                        target: RouteTarget::InternetGateway(IGW.into()),
                    },
                ],
            },
            RouteTable {
                id: "rtb-0f2b3c4d5e6f70812".into(),
                vpc_id: vpc.into(),
                subnet_ids: vec![PRIVATE_A.into(), PRIVATE_B.into()],
                main: false,
                routes: vec![
                    Route {
                        destination: "10.0.0.0/16".into(),
                        target: RouteTarget::Local,
                    },
                    Route {
                        destination: "0.0.0.0/0".into(),
                        target: RouteTarget::NatGateway(NAT.into()),
                    },
                ],
            },
        ],
        internet_gateways: vec![InternetGateway {
            id: IGW.into(),
            vpc_id: vpc.into(),
        }],
        nat_gateways: vec![NatGateway {
            id: NAT.into(),
            vpc_id: vpc.into(),
            subnet_id: PUBLIC_A.into(),
            state: "available".into(),
            public_ip: Some("18.130.44.12".into()),
        }],
        security_groups: vec![
            SecurityGroup {
                id: ALB_SG.into(),
                name: "umami-alb".into(),
                vpc_id: vpc.into(),
                ingress: vec![rule(443, world()), rule(80, world())],
            },
            SecurityGroup {
                id: SERVICE_SG.into(),
                name: "umami-service".into(),
                vpc_id: vpc.into(),
                ingress: vec![rule(3000, RuleSource::SecurityGroup(ALB_SG.into()))],
            },
            SecurityGroup {
                id: DB_SG.into(),
                name: "umami-db".into(),
                vpc_id: vpc.into(),
                ingress: vec![rule(5432, RuleSource::SecurityGroup(SERVICE_SG.into()))],
            },
        ],
        load_balancers: vec![load_balancer()],
        target_groups: vec![target_group()],
        databases: vec![database()],
        certificates: vec![Certificate {
            arn: arn("acm", "certificate/5b7e2f1a-3c4d-4e8f-9a0b-1c2d3e4f5a6b"),
            domain: "umami.example.com".into(),
            status: "ISSUED".into(),
            not_after: Some(ago(-200 * 86_400)),
        }],
        dns_records: vec![DnsRecord {
            zone: "example.com.".into(),
            name: "umami.example.com.".into(),
            record_type: "A".into(),
            alias_target: format!("dualstack.{ALB_DNS}."),
        }],
        service_network: NetworkConfig {
            subnets: vec![PRIVATE_A.into(), PRIVATE_B.into()],
            security_groups: vec![SERVICE_SG.into()],
            assign_public_ip: false,
        },
        log_groups: vec![AwsLogsConfig {
            group: "/ecs/umami".into(),
            region: REGION.into(),
            stream_prefix: "ecs".into(),
        }],
        edge: Default::default(),
    }
}

fn load_balancer() -> LoadBalancer {
    let lb_arn = arn(
        "elasticloadbalancing",
        "loadbalancer/app/umami/50dc6c495c0c9188",
    );
    LoadBalancer {
        arn: lb_arn.clone(),
        name: "umami".into(),
        dns_name: ALB_DNS.into(),
        scheme: "internet-facing".into(),
        state: "active".into(),
        vpc_id: "vpc-0a1b2c3d4e5f60789".into(),
        subnets: vec![PUBLIC_A.into(), PUBLIC_B.into()],
        security_groups: vec![ALB_SG.into()],
        listeners: vec![
            Listener {
                arn: format!("{lb_arn}/listener/80"),
                port: 80,
                protocol: "HTTP".into(),
                certificate_arns: vec![],
                default_action: ListenerAction::Redirect {
                    protocol: "HTTPS".into(),
                    port: "443".into(),
                    status_code: "HTTP_301".into(),
                },
            },
            Listener {
                arn: format!("{lb_arn}/listener/443"),
                port: 443,
                protocol: "HTTPS".into(),
                certificate_arns: vec![arn(
                    "acm",
                    "certificate/5b7e2f1a-3c4d-4e8f-9a0b-1c2d3e4f5a6b",
                )],
                default_action: ListenerAction::Forward {
                    target_group_arns: vec![target_group_arn()],
                },
            },
        ],
    }
}

fn target_group() -> TargetGroup {
    TargetGroup {
        arn: target_group_arn(),
        name: "umami".into(),
        protocol: "HTTP".into(),
        port: 3000,
        target_type: "ip".into(),
        vpc_id: "vpc-0a1b2c3d4e5f60789".into(),
        health_check: HealthCheck {
            protocol: "HTTP".into(),
            path: "/api/heartbeat".into(),
            port: "traffic-port".into(),
            interval_s: 30,
            timeout_s: 5,
            healthy_threshold: 5,
            unhealthy_threshold: 2,
            matcher: "200".into(),
        },
        load_balancer_arns: vec![load_balancer_arn()],
        deregistration_delay_s: 300,
    }
}

fn load_balancer_arn() -> String {
    arn(
        "elasticloadbalancing",
        "loadbalancer/app/umami/50dc6c495c0c9188",
    )
}

pub fn targets() -> TargetGroupHealth {
    let target = |ip: &str, zone: &str, state, reason: Option<&str>, description: Option<&str>| {
        TargetHealth {
            target_id: ip.into(),
            port: 3000,
            availability_zone: Some(zone.into()),
            state,
            reason: reason.map(Into::into),
            description: description.map(Into::into),
        }
    };
    TargetGroupHealth {
        group: target_group(),
        targets: vec![
            target("10.0.11.23", "eu-west-2a", TargetState::Healthy, None, None),
            target("10.0.12.57", "eu-west-2b", TargetState::Healthy, None, None),
            target(
                "10.0.11.88",
                "eu-west-2a",
                TargetState::Initial,
                Some("Elb.RegistrationInProgress"),
                Some("Target registration is in progress"),
            ),
            target(
                "10.0.12.34",
                "eu-west-2b",
                TargetState::Draining,
                Some("Target.DeregistrationInProgress"),
                Some("Target deregistration is in progress"),
            ),
            target(
                "10.0.11.45",
                "eu-west-2a",
                TargetState::Unhealthy,
                Some("Target.ResponseCodeMismatch"),
                Some("Health checks failed with these codes: [502]"),
            ),
        ],
    }
}

pub fn database() -> DbInstance {
    DbInstance {
        id: "umami-db".into(),
        arn: arn("rds", "db:umami-db"),
        status: "available".into(),
        engine: "postgres".into(),
        engine_version: "16.4".into(),
        class: "db.t3.micro".into(),
        multi_az: false,
        availability_zone: Some("eu-west-2a".into()),
        secondary_availability_zone: None,
        storage_type: "gp3".into(),
        allocated_storage_gb: 20,
        free_storage_bytes: Some(17_240_000_000),
        backup_retention_days: 7,
        latest_restorable_time: Some(ago(270)),
        endpoint: Some("umami-db.c9akciq32lrn.eu-west-2.rds.amazonaws.com".into()),
        port: Some(5432),
        vpc_id: "vpc-0a1b2c3d4e5f60789".into(),
        subnet_ids: vec![PRIVATE_A.into(), PRIVATE_B.into()],
        security_groups: vec![DB_SG.into()],
        publicly_accessible: false,
        deletion_protection: true,
        pending_maintenance: Some(vec!["system-update (next window Sun 03:00)".into()]),
        managed_master_password: true,
    }
}

pub fn ecs() -> EcsSnapshot {
    EcsSnapshot {
        services: vec![service()],
        tasks: vec![
            task(
                RUNNING_A,
                7,
                TaskStatus::Running,
                TaskHealth::Healthy,
                "a",
                "10.0.11.23",
                1540,
            ),
            task(
                RUNNING_B,
                8,
                TaskStatus::Running,
                TaskHealth::Healthy,
                "b",
                "10.0.12.57",
                250,
            ),
            pending_task(),
            stopped_task(),
        ],
    }
}

fn service() -> Service {
    let deployment =
        |id: &str, status, rollout, revision, desired, running, pending, failed, updated| {
            Deployment {
                id: id.into(),
                status,
                rollout_state: rollout,
                rollout_state_reason: None,
                task_definition: task_definition(revision),
                desired,
                running,
                pending,
                failed_tasks: failed,
                created_at: ago(330),
                updated_at: ago(updated),
            }
        };
    let event = |seconds: i64, message: &str| ServiceEvent {
        id: format!("ev-{seconds}"),
        at: ago(seconds),
        message: message.into(),
    };
    Service {
        name: "umami".into(),
        arn: arn("ecs", "service/umami/umami"),
        cluster_arn: arn("ecs", "cluster/umami"),
        status: "ACTIVE".into(),
        launch_type: "FARGATE".into(),
        desired: 3,
        running: 2,
        pending: 1,
        task_definition: task_definition(8),
        deployments: vec![
            Deployment {
                rollout_state_reason: Some(
                    "ECS deployment ecs-svc/4839201938475610293 in progress.".into(),
                ),
                ..deployment(
                    "ecs-svc/4839201938475610293",
                    DeploymentStatus::Primary,
                    RolloutState::InProgress,
                    8,
                    2,
                    1,
                    1,
                    1,
                    20,
                )
            },
            deployment(
                "ecs-svc/1203948576102938475",
                DeploymentStatus::Active,
                RolloutState::Completed,
                7,
                1,
                1,
                0,
                0,
                1600,
            ),
        ],
        events: vec![
            event(
                20,
                "(service umami) has started 1 tasks: (task c47a9e2b5d1f4a8c9e6b3d7f2a1c5e90).",
            ),
            event(
                95,
                "(service umami) (task e92d5b1a7c3f4e6d8a2b9c5f1e7d3a66) failed to start: CannotPullContainerError.",
            ),
            event(
                250,
                "(service umami) registered 1 targets in (target-group umami)",
            ),
            event(1500, "(service umami) has reached a steady state."),
        ],
        load_balancers: vec![ServiceLoadBalancer {
            target_group_arn: target_group_arn(),
            container_name: "umami".into(),
            container_port: 3000,
        }],
        network: NetworkConfig {
            subnets: vec![PRIVATE_A.into(), PRIVATE_B.into()],
            security_groups: vec![SERVICE_SG.into()],
            assign_public_ip: false,
        },
        circuit_breaker: Some(CircuitBreaker {
            enable: true,
            rollback: true,
        }),
        deployment_controller: DeploymentController::Ecs,
        created_at: ago(30 * 86_400),
    }
}

fn task(
    id: &str,
    revision: u32,
    status: TaskStatus,
    health: TaskHealth,
    zone: &str,
    ip: &str,
    started: i64,
) -> Task {
    let (subnet, deployment) = match (zone, revision) {
        ("a", 7) => (PRIVATE_A, "ecs-svc/1203948576102938475"),
        ("a", _) => (PRIVATE_A, "ecs-svc/4839201938475610293"),
        (_, 7) => (PRIVATE_B, "ecs-svc/1203948576102938475"),
        _ => (PRIVATE_B, "ecs-svc/4839201938475610293"),
    };
    Task {
        arn: arn("ecs", &format!("task/umami/{id}")),
        id: id.into(),
        task_definition: task_definition(revision),
        last_status: status,
        desired_status: TaskStatus::Running,
        health,
        availability_zone: format!("eu-west-2{zone}"),
        subnet_id: Some(subnet.into()),
        private_ip: Some(ip.into()),
        public_ip: None,
        started_by: Some(deployment.into()),
        group: "service:umami".into(),
        created_at: ago(started + 40),
        started_at: (status == TaskStatus::Running).then(|| ago(started)),
        stopped_at: None,
        stopped_reason: None,
        stop_code: None,
        containers: vec![Container {
            name: "umami".into(),
            last_status: status.as_str().into(),
            exit_code: None,
            reason: None,
            image: format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/umami:v2.14.{revision}"),
        }],
    }
}

fn pending_task() -> Task {
    task(
        PENDING,
        8,
        TaskStatus::Pending,
        TaskHealth::Unknown,
        "a",
        "10.0.11.88",
        20,
    )
}

fn stopped_task() -> Task {
    let reason = "CannotPullContainerError: pull image manifest has been retried 5 time(s): \
                  failed to resolve ref 123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami:v2.14.8: not found";
    Task {
        last_status: TaskStatus::Stopped,
        desired_status: TaskStatus::Stopped,
        started_at: None,
        stopped_at: Some(ago(95)),
        stopped_reason: Some(reason.into()),
        stop_code: Some("TaskFailedToStart".into()),
        containers: vec![Container {
            name: "umami".into(),
            last_status: "STOPPED".into(),
            exit_code: None,
            reason: Some(reason.into()),
            image: format!("{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/umami:v2.14.8"),
        }],
        ..task(
            STOPPED,
            8,
            TaskStatus::Stopped,
            TaskHealth::Unknown,
            "b",
            "10.0.12.91",
            130,
        )
    }
}

/// About fifty lines from the two running tasks: requests, warnings, errors, JSON.
pub fn log_events() -> Vec<LogEvent> {
    let messages = [
        (RUNNING_A, "GET /api/heartbeat 200 2ms"),
        (RUNNING_B, "GET /api/heartbeat 200 3ms"),
        (RUNNING_A, "POST /api/send 200 14ms"),
        (
            RUNNING_B,
            r#"{"level":"info","msg":"session created","website":"b6d2e1f0"}"#,
        ),
        (RUNNING_A, "GET /share/x7Kq2 200 41ms"),
        (
            RUNNING_A,
            "WARN slow query: SELECT * FROM website_event WHERE created_at > $1 (812ms)",
        ),
        (RUNNING_B, "POST /api/send 200 11ms"),
        (
            RUNNING_B,
            r#"{"level":"error","msg":"prisma: Can't reach database server at umami-db:5432","code":"P1001"}"#,
        ),
        (
            RUNNING_A,
            "GET /api/websites/b6d2e1f0/stats?startAt=1773396930000 200 96ms",
        ),
        (RUNNING_A, "ERROR Failed to fetch geo data: ECONNRESET"),
    ];
    (0..50)
        .map(|i| {
            let (task, message) = messages[i % messages.len()];
            let at = ago(50 - i as i64) + (i as i64 * 137) % 1000;
            LogEvent {
                event_id: format!("{i:06}"),
                timestamp: at,
                ingestion_time: at + 900,
                stream: format!("ecs/umami/{task}"),
                message: message.to_string(),
            }
        })
        .collect()
}
