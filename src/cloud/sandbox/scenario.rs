//! The starting state of each scenario: the example "umami" stack and what happens to it.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::Scenario;
use super::clock::Clock;
use super::ecs::{self, ecr_registry};
use super::ids;
use super::logs::LogStore;
use super::resources::{
    awslogs, certificate_arn, db_arn, default_route, elb_arn, issued_certificate, route_table,
    task_definition_arn, tcp_ingress,
};
use super::world::{
    ACCOUNT_ID, Cluster, EcrImage, Edge, Elb, HistoryEntry, HostedZone, ImageBehaviour, Network,
    Quirks, REGION, ScriptedStep, SimDeployment, SimService, Target, World,
};
use crate::model::{
    CircuitBreaker, ContainerDefinition, DbInstance, DeploymentStatus, DnsRecord, HealthCheck,
    InternetGateway, Listener, ListenerAction, LoadBalancer, Millis, NatGateway, NetworkConfig,
    RolloutState, RouteTarget, RuleSource, SecurityGroup, ServiceDeploymentStatus,
    ServiceLoadBalancer, Subnet, TargetGroup, TargetState, TaskDefinition, TaskDefinitionStatus,
    TaskHealth, TaskStatus, Vpc,
};

const MINUTE: Millis = 60_000;
const DAY: Millis = 24 * 60 * MINUTE;
/// The engine runs this long before the clock's start, so logs have some history.
pub(crate) const HISTORY: Millis = 5 * MINUTE;
/// When a scenario's deployment begins, after the clock's start.
pub(crate) const DEPLOY_AFTER: Millis = 30_000;

pub(crate) const STACK: &str = "umami";
/// The tag the bad-image scenario deploys; it is not in the repository.
pub(crate) const MISSING_TAG: &str = "v2.15.0";
pub(crate) const LOG_GROUP: &str = "/ecs/umami";
/// The public hosted zone the healthy stack's alias record lives in.
const HOSTED_ZONE: &str = "example.com";
const HOSTED_ZONE_ID: &str = "Z0875321SANDBOX0EXAMPLE";
/// Seeds the generator of the images after the first three, so adding them moved no id
/// the scenarios' snapshots show.
const LATER_IMAGES: u64 = 0x0ec2_1a9e;
/// Seeds the first three images of the empty account, so its images leave the world's
/// generator (which names its stacks and their resources) untouched.
const EMPTY_ACCOUNT_IMAGES: u64 = 0x0e3f_7ec2;

/// The ids the pieces of the stack use to point at each other.
struct Wiring {
    vpc: String,
    public: [String; 2],
    private: [String; 2],
    alb_sg: String,
    service_sg: String,
    db_sg: String,
}

/// The world as it stands `HISTORY` before the clock's start; the caller runs it forward.
pub(crate) fn build(scenario: Scenario, seed: u64, clock: Clock) -> World {
    let start = clock.start();
    let mut world = World {
        clock,
        now: start - HISTORY,
        rng: ChaCha8Rng::seed_from_u64(seed),
        quirks: Quirks {
            log_bursts: scenario == Scenario::LogBurst,
        },
        network: Network::default(),
        edge: Edge::default(),
        elb: Elb::default(),
        databases: Vec::new(),
        db_snapshots: Vec::new(),
        db_subnet_groups: BTreeMap::new(),
        deployment_history: true,
        ecr: BTreeMap::new(),
        task_definitions: Vec::new(),
        clusters: Vec::new(),
        services: Vec::new(),
        tasks: Vec::new(),
        logs: LogStore::default(),
        script: Vec::new(),
        stacks: Default::default(),
        site: Default::default(),
    };
    let mut later = ChaCha8Rng::seed_from_u64(seed ^ LATER_IMAGES);
    if scenario == Scenario::Empty {
        // The app's images were pushed before anyone wrote a stack for them: a bootstrap
        // with `image = "<registry>/umami:v2.13.0"` pulls one that runs healthy.
        let mut first = ChaCha8Rng::seed_from_u64(seed ^ EMPTY_ACCOUNT_IMAGES);
        let mut pushed = images(start, &mut first, &mut later);
        // The broken builds were pushed and abandoned before the last good one, so the
        // newest image (what a bootstrap runs when no tag is named) is healthy; they are
        // still there to deploy on purpose.
        let newest_good = pushed
            .iter()
            .filter(|i| i.behaviour == ImageBehaviour::Healthy)
            .map(|i| i.pushed_at)
            .max()
            .unwrap_or(start);
        for image in pushed
            .iter_mut()
            .filter(|i| i.behaviour != ImageBehaviour::Healthy)
        {
            image.pushed_at = image.pushed_at.min(newest_good - DAY);
        }
        world.ecr.insert(STACK.to_string(), pushed);
        // ... and the domain was registered, so Route53 holds its zone: the example answers'
        // `[domain]` works as it is.
        world.edge.hosted_zones.push(HostedZone {
            id: HOSTED_ZONE_ID.to_string(),
            name: HOSTED_ZONE.to_string(),
        });
        world.now = start;
        return world;
    }
    let wiring = build_network(&mut world);
    build_load_balancer(&mut world, &wiring);
    build_database(&mut world, &wiring);
    let images = images(start, &mut world.rng, &mut later);
    world.ecr.insert(STACK.to_string(), images);
    world.logs.create_group(LOG_GROUP);
    build_task_definitions(&mut world, start);
    build_service(&mut world, &wiring, start);
    let load_balancer_dns = world
        .elb
        .load_balancers
        .first()
        .map(|lb| lb.dns_name.clone())
        .unwrap_or_default();
    world.site = super::site::example_site(start - DAY, &load_balancer_dns);
    for arn in super::site::example_site_arns() {
        world.stacks.extra_tags.insert(
            arn,
            vec![
                ("opsdeck:stack".to_string(), STACK.to_string()),
                ("opsdeck:component".to_string(), "site".to_string()),
            ],
        );
    }
    world.script = script(scenario, start);
    world
}

fn script(scenario: Scenario, start: Millis) -> Vec<(Millis, ScriptedStep)> {
    let deploy = |image_tag: &str, env: &[(&str, &str)]| ScriptedStep::Deploy {
        cluster: STACK.to_string(),
        service: STACK.to_string(),
        image_tag: image_tag.to_string(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let at = start + DEPLOY_AFTER;
    match scenario {
        Scenario::Healthy => vec![(at, deploy("v2.13.1", &[]))],
        // A tag that was never pushed (a typo, a pipeline that skipped the push).
        Scenario::BadImage => vec![(at, deploy(MISSING_TAG, &[]))],
        // A typo in the environment: the app answers every request, health checks included, with 502.
        Scenario::FailingHealth => vec![(at, deploy("v2.13.1", &[("DATABASE_TYPE", "mysql")]))],
        Scenario::Empty | Scenario::LogBurst => Vec::new(),
    }
}

fn build_network(world: &mut World) -> Wiring {
    let rng = &mut world.rng;
    let vpc = ids::resource(rng, "vpc");
    let zones = [format!("{REGION}a"), format!("{REGION}b")];
    let public = [ids::resource(rng, "subnet"), ids::resource(rng, "subnet")];
    let private = [ids::resource(rng, "subnet"), ids::resource(rng, "subnet")];
    let igw = ids::resource(rng, "igw");
    let nat = ids::resource(rng, "nat");
    let tables = [
        ids::resource(rng, "rtb"),
        ids::resource(rng, "rtb"),
        ids::resource(rng, "rtb"),
    ];
    let [alb_sg, service_sg, db_sg] = [
        ids::resource(rng, "sg"),
        ids::resource(rng, "sg"),
        ids::resource(rng, "sg"),
    ];
    let net = &mut world.network;
    net.vpcs.push(Vpc {
        id: vpc.clone(),
        cidr: "10.0.0.0/16".to_string(),
        name: Some(STACK.to_string()),
    });
    let subnet = |id: &String, cidr: &str, zone: &String, kind: &str, public: bool| Subnet {
        id: id.clone(),
        vpc_id: vpc.clone(),
        cidr: cidr.to_string(),
        availability_zone: zone.clone(),
        name: Some(format!("{STACK}-{kind}-{zone}")),
        map_public_ip_on_launch: public,
    };
    net.subnets = vec![
        subnet(&public[0], "10.0.0.0/24", &zones[0], "public", true),
        subnet(&public[1], "10.0.1.0/24", &zones[1], "public", true),
        subnet(&private[0], "10.0.10.0/24", &zones[0], "private", false),
        subnet(&private[1], "10.0.11.0/24", &zones[1], "private", false),
    ];
    net.internet_gateways.push(InternetGateway {
        id: igw.clone(),
        vpc_id: vpc.clone(),
    });
    net.nat_gateways.push(NatGateway {
        id: nat.clone(),
        vpc_id: vpc.clone(),
        subnet_id: public[0].clone(),
        state: "available".to_string(),
        public_ip: Some("18.135.42.117".to_string()),
    });
    let cidr = "10.0.0.0/16";
    let table = |id: &String, subnets: &[String], default: RouteTarget| {
        let mut table = route_table(id, &vpc, cidr, false);
        table.subnet_ids = subnets.to_vec();
        table.routes.push(default_route(default));
        table
    };
    net.route_tables = vec![
        route_table(&tables[0], &vpc, cidr, true),
        table(&tables[1], &public, RouteTarget::InternetGateway(igw)),
        table(&tables[2], &private, RouteTarget::NatGateway(nat)),
    ];
    let tcp = tcp_ingress;
    let world_cidr = || RuleSource::Cidr("0.0.0.0/0".to_string());
    let group = |id: &String, name: &str, ingress| SecurityGroup {
        id: id.clone(),
        name: name.to_string(),
        vpc_id: vpc.clone(),
        ingress,
    };
    net.security_groups = vec![
        group(
            &alb_sg,
            "umami-alb",
            vec![tcp(80, world_cidr()), tcp(443, world_cidr())],
        ),
        group(
            &service_sg,
            "umami-service",
            vec![tcp(3000, RuleSource::SecurityGroup(alb_sg.clone()))],
        ),
        group(
            &db_sg,
            "umami-db",
            vec![tcp(5432, RuleSource::SecurityGroup(service_sg.clone()))],
        ),
    ];
    Wiring {
        vpc,
        public,
        private,
        alb_sg,
        service_sg,
        db_sg,
    }
}

fn build_load_balancer(world: &mut World, wiring: &Wiring) {
    let rng = &mut world.rng;
    let elb_arn = |resource: String| elb_arn(&resource);
    let lb_suffix = ids::hex(rng, 16);
    let lb_arn = elb_arn(format!("loadbalancer/app/{STACK}/{lb_suffix}"));
    let tg_arn = elb_arn(format!("targetgroup/{STACK}/{}", ids::hex(rng, 16)));
    let http_listener = elb_arn(format!(
        "listener/app/{STACK}/{lb_suffix}/{}",
        ids::hex(rng, 16)
    ));
    let https_listener = elb_arn(format!(
        "listener/app/{STACK}/{lb_suffix}/{}",
        ids::hex(rng, 16)
    ));
    let certificate = certificate_arn(&ids::uuid(rng));
    let dns_name = format!(
        "{STACK}-{}.{REGION}.elb.amazonaws.com",
        ids::digits(rng, 10)
    );
    let start = world.clock.start();
    world.elb.target_groups.push(TargetGroup {
        arn: tg_arn.clone(),
        name: STACK.to_string(),
        protocol: "HTTP".to_string(),
        port: 3000,
        target_type: "ip".to_string(),
        vpc_id: wiring.vpc.clone(),
        health_check: HealthCheck {
            protocol: "HTTP".to_string(),
            path: "/api/heartbeat".to_string(),
            port: "traffic-port".to_string(),
            interval_s: 10,
            timeout_s: 5,
            healthy_threshold: 3,
            unhealthy_threshold: 3,
            matcher: "200".to_string(),
        },
        load_balancer_arns: vec![lb_arn.clone()],
        deregistration_delay_s: 30,
    });
    world.elb.load_balancers.push(LoadBalancer {
        arn: lb_arn,
        name: STACK.to_string(),
        dns_name: dns_name.clone(),
        scheme: "internet-facing".to_string(),
        state: "active".to_string(),
        vpc_id: wiring.vpc.clone(),
        subnets: wiring.public.to_vec(),
        security_groups: vec![wiring.alb_sg.clone()],
        listeners: vec![
            Listener {
                arn: http_listener,
                port: 80,
                protocol: "HTTP".to_string(),
                certificate_arns: Vec::new(),
                default_action: ListenerAction::Redirect {
                    protocol: "HTTPS".to_string(),
                    port: "443".to_string(),
                    status_code: "HTTP_301".to_string(),
                },
            },
            Listener {
                arn: https_listener,
                port: 443,
                protocol: "HTTPS".to_string(),
                certificate_arns: vec![certificate.clone()],
                default_action: ListenerAction::Forward {
                    target_group_arns: vec![tg_arn],
                },
            },
        ],
    });
    world.edge.certificates.push(issued_certificate(
        &certificate,
        "analytics.example.com",
        start + 200 * DAY,
    ));
    world.edge.hosted_zones.push(HostedZone {
        id: HOSTED_ZONE_ID.to_string(),
        name: HOSTED_ZONE.to_string(),
    });
    world.edge.records.push(DnsRecord {
        zone: HOSTED_ZONE.to_string(),
        name: "analytics.example.com".to_string(),
        record_type: "A".to_string(),
        alias_target: dns_name,
    });
}

fn build_database(world: &mut World, wiring: &Wiring) {
    let endpoint = format!(
        "umami-db.{}.{REGION}.rds.amazonaws.com",
        ids::alnum(&mut world.rng, 12)
    );
    world.databases.push(DbInstance {
        id: "umami-db".to_string(),
        arn: db_arn("umami-db"),
        status: "available".to_string(),
        engine: "postgres".to_string(),
        engine_version: "16.4".to_string(),
        class: "db.t3.micro".to_string(),
        multi_az: false,
        availability_zone: Some(format!("{REGION}a")),
        secondary_availability_zone: None,
        storage_type: "gp3".to_string(),
        allocated_storage_gb: 20,
        free_storage_bytes: Some(17_283_000_000),
        backup_retention_days: 7,
        latest_restorable_time: None,
        endpoint: Some(endpoint),
        port: Some(5432),
        vpc_id: wiring.vpc.clone(),
        subnet_ids: wiring.private.to_vec(),
        security_groups: vec![wiring.db_sg.clone()],
        publicly_accessible: false,
        deletion_protection: true,
        pending_maintenance: Some(Vec::new()),
        managed_master_password: true,
    });
}

/// The repository's images; the first three digests come from `first`, the rest from `later`.
fn images(start: Millis, first: &mut ChaCha8Rng, later: &mut ChaCha8Rng) -> Vec<EcrImage> {
    const HOUR: Millis = 60 * MINUTE;
    // (tag, pushed ago, compressed size, behaviour), oldest push first: what a team that
    // ships weekly has, plus two broken builds on purpose for the release workflows.
    let images: [(&str, Millis, u64, ImageBehaviour); 6] = [
        ("v2.12.0", 60 * DAY, 178_412_907, ImageBehaviour::Healthy),
        ("v2.13.0", 20 * DAY, 183_906_344, ImageBehaviour::Healthy),
        ("v2.13.1", 2 * DAY, 184_017_262, ImageBehaviour::Healthy),
        ("v2.14.0", DAY, 187_554_019, ImageBehaviour::Healthy),
        (
            "v2.14.1-crash",
            6 * HOUR,
            187_560_771,
            ImageBehaviour::CrashesAfterStart { after_s: 6 },
        ),
        (
            "v2.14.1-unhealthy",
            3 * HOUR,
            187_561_130,
            ImageBehaviour::FailsHealthChecks { status: 500 },
        ),
    ];
    // The first three digests come from the world's generator in the healthy scenarios, as
    // they always have, so the ids drawn after them (and every snapshot of the scenarios)
    // stay as they were; the images added later draw from a generator of their own.
    images
        .into_iter()
        .enumerate()
        .map(|(i, (tag, ago, size_bytes, behaviour))| {
            let rng = if i < 3 { &mut *first } else { &mut *later };
            EcrImage {
                tag: tag.to_string(),
                digest: format!("sha256:{}", ids::hex(rng, 64)),
                pushed_at: start - ago,
                size_bytes,
                behaviour,
            }
        })
        .collect()
}

fn build_task_definitions(world: &mut World, start: Millis) {
    let secret = format!(
        "arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:umami/database-url-{}",
        ids::alnum(&mut world.rng, 6)
    );
    // (tag, cpu, extra env, days ago, active): the history of a service that has shipped a while.
    let revisions = [
        ("v2.10.2", "256", false, 120, false),
        ("v2.11.0", "256", false, 95, false),
        ("v2.11.3", "256", false, 80, false),
        ("v2.11.3", "256", true, 70, false),
        ("v2.12.0", "256", false, 60, true),
        ("v2.12.0", "256", true, 45, true),
        ("v2.12.0", "512", true, 30, true),
        ("v2.13.0", "512", true, 0, true),
    ];
    for (i, (tag, cpu, telemetry_off, days_ago, active)) in revisions.into_iter().enumerate() {
        let revision = u32::try_from(i).unwrap_or(0) + 1;
        let mut environment = vec![("DATABASE_TYPE".to_string(), "postgresql".to_string())];
        if telemetry_off {
            environment.push(("DISABLE_TELEMETRY".to_string(), "1".to_string()));
        }
        world.task_definitions.push(TaskDefinition {
            arn: task_definition_arn(STACK, revision),
            family: STACK.to_string(),
            revision,
            status: if active {
                TaskDefinitionStatus::Active
            } else {
                TaskDefinitionStatus::Inactive
            },
            cpu: cpu.to_string(),
            memory: "1024".to_string(),
            containers: vec![ContainerDefinition {
                name: STACK.to_string(),
                image: format!("{}/{STACK}:{tag}", ecr_registry()),
                essential: true,
                port: Some(3000),
                environment,
                secrets: vec![("DATABASE_URL".to_string(), secret.clone())],
                logs: Some(awslogs(LOG_GROUP, "ecs")),
                health_check: None,
            }],
            registered_at: start - days_ago * DAY - 16 * MINUTE,
            tags: vec![("opsdeck:stack".to_string(), STACK.to_string())],
            task_role_arn: None,
            execution_role_arn: Some(format!("arn:aws:iam::{ACCOUNT_ID}:role/{STACK}-execution")),
        });
    }
}

fn build_service(world: &mut World, wiring: &Wiring, start: Millis) {
    let cluster = Cluster::new(STACK);
    let target_group = world
        .elb
        .target_groups
        .first()
        .map(|g| g.arn.clone())
        .unwrap_or_default();
    let definition = |revision: u32| task_definition_arn(STACK, revision);
    let previous = ids::deployment(&mut world.rng);
    let current = ids::deployment(&mut world.rng);
    let service = SimService::new(&cluster, STACK, 2, &definition(8), start - 120 * DAY);
    world.clusters.push(cluster);
    world.services.push(SimService {
        deployments: vec![SimDeployment {
            id: current.clone(),
            status: DeploymentStatus::Primary,
            rollout_state: RolloutState::Completed,
            rollout_state_reason: Some("ECS deployment completed.".to_string()),
            task_definition: definition(8),
            failed_tasks: 0,
            created_at: start - 15 * MINUTE,
            updated_at: start - 11 * MINUTE,
        }],
        events: Vec::new(),
        load_balancers: vec![ServiceLoadBalancer {
            target_group_arn: target_group.clone(),
            container_name: STACK.to_string(),
            container_port: 3000,
        }],
        network: NetworkConfig {
            subnets: wiring.private.to_vec(),
            security_groups: vec![wiring.service_sg.clone()],
            assign_public_ip: false,
        },
        circuit_breaker: Some(CircuitBreaker {
            enable: true,
            rollback: true,
        }),
        steady: true,
        history: vec![
            HistoryEntry {
                deployment: current.clone(),
                rollback: None,
                status: ServiceDeploymentStatus::Successful,
                status_reason: None,
                target_task_definition: definition(8),
                source_task_definitions: vec![definition(7)],
                circuit_breaker_failures: Some(0),
                created_at: start - 15 * MINUTE,
                finished_at: Some(start - 11 * MINUTE),
            },
            HistoryEntry {
                deployment: previous.clone(),
                rollback: None,
                status: ServiceDeploymentStatus::Successful,
                status_reason: None,
                target_task_definition: definition(7),
                source_task_definitions: vec![definition(6)],
                circuit_breaker_failures: Some(0),
                created_at: start - 30 * DAY,
                finished_at: Some(start - 30 * DAY + 4 * MINUTE),
            },
        ],
        ..service
    });
    let old = start_settled_tasks(world, &previous, &definition(7), start - 30 * DAY);
    for &ti in &old {
        stop_settled_task(world, ti, &previous, start - 12 * MINUTE);
    }
    let running = start_settled_tasks(world, &current, &definition(8), start - 15 * MINUTE);
    for &ti in &running {
        serve_settled_task(world, ti, &target_group);
    }
    write_history(world, &old, &running, &current, &target_group, start);
}

/// Launches two tasks as they were launched at `at`; the caller sets their fate.
fn start_settled_tasks(
    world: &mut World,
    deployment: &str,
    definition: &str,
    at: Millis,
) -> Vec<usize> {
    let now = world.now;
    world.now = at;
    let launched = (0..2)
        .filter_map(|_| {
            ecs::launch_task(world, 0, deployment, definition)?;
            Some(world.tasks.len() - 1)
        })
        .collect();
    world.now = now;
    launched
}

fn stop_settled_task(world: &mut World, ti: usize, deployment: &str, at: Millis) {
    let t = &mut world.tasks[ti].task;
    t.started_at = Some(t.created_at + 35_000);
    t.last_status = TaskStatus::Stopped;
    t.desired_status = TaskStatus::Stopped;
    t.stopped_at = Some(at);
    t.stopped_reason = Some(format!(
        "Scaling activity initiated by (deployment {deployment})"
    ));
    t.stop_code = Some("ServiceSchedulerInitiated".to_string());
    for c in &mut t.containers {
        c.last_status = "STOPPED".to_string();
        c.exit_code = Some(0);
    }
}

fn serve_settled_task(world: &mut World, ti: usize, target_group: &str) {
    let next_check_at = world.now + 1_000 * Millis::try_from(ti % 10).unwrap_or(0);
    let t = &mut world.tasks[ti];
    t.task.started_at = Some(t.task.created_at + 35_000);
    t.task.last_status = TaskStatus::Running;
    t.task.health = TaskHealth::Healthy;
    t.next_at = world.now;
    for c in &mut t.task.containers {
        c.last_status = "RUNNING".to_string();
    }
    let target = Target {
        group_arn: target_group.to_string(),
        task_arn: t.task.arn.clone(),
        ip: t.task.private_ip.clone().unwrap_or_default(),
        port: 3000,
        availability_zone: t.task.availability_zone.clone(),
        state: TargetState::Healthy,
        reason: None,
        passes: 3,
        failures: 0,
        next_check_at,
        unhealthy_since: None,
        drained_at: None,
        failed_code: None,
    };
    world.elb.targets.push(target);
}

/// The service events of the last deployment, which finished before the sandbox started.
fn write_history(
    world: &mut World,
    old: &[usize],
    running: &[usize],
    deployment: &str,
    target_group: &str,
    start: Millis,
) {
    let now = world.now;
    let task_id = |ti: usize| world.tasks[ti].task.id.clone();
    let started: Vec<String> = running
        .iter()
        .map(|&ti| format!("(task {})", task_id(ti)))
        .collect();
    let stopped: Vec<String> = old.iter().map(|&ti| task_id(ti)).collect();
    let mut events = vec![(
        start - 15 * MINUTE + 2_000,
        format!(
            "(service {STACK}) has started 2 tasks: {}.",
            started.join(" ")
        ),
    )];
    for offset in [0, 3_000] {
        events.push((
            start - 14 * MINUTE + 25_000 + offset,
            format!("(service {STACK}) registered 1 targets in (target-group {target_group})"),
        ));
    }
    for (i, id) in stopped.iter().enumerate() {
        events.push((
            start - 13 * MINUTE + 1_000 * Millis::try_from(i).unwrap_or(0),
            format!("(service {STACK}) has stopped 1 running tasks: (task {id})."),
        ));
    }
    events.push((
        start - 11 * MINUTE,
        format!("(service {STACK}) (deployment {deployment}) deployment completed."),
    ));
    events.push((
        start - 11 * MINUTE,
        format!("(service {STACK}) has reached a steady state."),
    ));
    for (at, message) in events {
        world.now = at;
        world.push_event(0, message);
    }
    world.now = now;
}
