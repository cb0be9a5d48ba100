//! The moto harness: a `moto_server` on a free loopback port per test, and an Umami-like
//! stack built in it through the SDK, the way Terraform would build it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use opsdeck::cloud::Cloud;
use opsdeck::cloud::aws::{self, CallCounter};
use opsdeck::model::StackRef;

pub const REGION: &str = "eu-west-2";
/// Every service reports this many running tasks (moto does not schedule tasks itself).
pub const RUNNING_PER_SERVICE: u32 = 2;

/// One run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Everything a failed assertion should show.
    pub fn explain(&self) -> String {
        format!(
            "exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// stdout as JSON lines (`--json`).
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// A running `moto_server`, killed when dropped.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    /// Starts moto or fails the test saying how to install it: never a silent pass.
    pub fn start() -> Moto {
        let program = find_moto_server().unwrap_or_else(|| {
            panic!(
                "moto_server not found: install it as the README's test command says \
                 (python3 -m venv .venv && .venv/bin/pip install 'moto[server]'), \
                 or set OPSDECK_MOTO_SERVER to its path"
            )
        });
        let port = free_port();
        // moto_server's own interpreter runs it with the harness's one addition (see
        // tests/common/moto_server.py: a CloudFormation attribute moto lacks).
        let python = interpreter_of(&program);
        let shim = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/common/moto_server.py");
        let child = Command::new(&python)
            .arg(&shim)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_ECS_SERVICE_RUNNING", RUNNING_PER_SERVICE.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        moto.wait_until_listening(port);
        hold_tasks_running(port);
        moto
    }

    /// The opsdeck binary against this moto, with stdin closed (as in CI): its exit code and
    /// output.
    pub fn opsdeck(&self, home: &Path, args: &[&str]) -> Run {
        // Tests have the binary; the seed_moto example, which shares this file, does not.
        let Some(binary) = option_env!("CARGO_BIN_EXE_opsdeck") else {
            panic!("Moto::opsdeck runs the binary: call it from an integration test");
        };
        let mut command = Command::new(binary);
        command
            .args(["--endpoint-url", &self.endpoint])
            .args(args)
            .envs(binary_env(home))
            .stdin(Stdio::null());
        for name in SCRUBBED_ENV {
            command.env_remove(name);
        }
        let output = command.output().expect("run opsdeck");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn wait_until_listening(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not answer on port {port} within 60 s");
    }

    /// SDK configuration pointing at this moto, with fake static credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        sdk_config_for(&self.endpoint).await
    }

    /// opsdeck's AWS backend against this moto, counting its calls.
    pub async fn cloud(&self) -> (Cloud, CallCounter) {
        let calls = CallCounter::new();
        let cloud = aws::from_sdk_config(&self.sdk_config().await, None, Some(calls.clone()))
            .expect("region is set");
        (cloud, calls)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn sdk_config_for(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

/// The Python that a `moto_server` script names on its `#!` line.
fn interpreter_of(program: &Path) -> PathBuf {
    let text = std::fs::read_to_string(program)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", program.display()));
    let shebang = text.lines().next().unwrap_or_default();
    let mut words = shebang
        .strip_prefix("#!")
        .unwrap_or_default()
        .split_whitespace();
    // `#!/usr/bin/env python3` names the interpreter in its second word.
    let interpreter = words
        .next()
        .and_then(|first| {
            if first.ends_with("/env") {
                words.next()
            } else {
                Some(first)
            }
        })
        .unwrap_or_else(|| {
            panic!(
                "{} is not a Python script with a #! line; point OPSDECK_MOTO_SERVER at the \
                 moto_server that pip installed",
                program.display()
            )
        });
    PathBuf::from(interpreter)
}

fn find_moto_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OPSDECK_MOTO_SERVER").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .find(|p| p.is_file())
    })
}

/// A port nothing listens on right now: the OS picks it, we let it go.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}

/// Environment for running the opsdeck binary against moto: fake keys, no profile, no
/// instance metadata lookups (they would leave loopback), an empty home.
pub fn binary_env(home: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", home.display().to_string()),
        ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
        ("XDG_STATE_HOME", home.join("state").display().to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        (
            "AWS_CONFIG_FILE",
            home.join("aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            home.join("aws-credentials").display().to_string(),
        ),
    ]
}

/// Variables a developer's shell may carry that would steer the binary elsewhere.
pub const SCRUBBED_ENV: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

// ---------------------------------------------------------------------------------------
// The Umami-like stack
// ---------------------------------------------------------------------------------------

/// Ids of what the fixture built, to compare discovery against.
#[derive(Debug, Clone)]
pub struct Umami {
    pub vpc: String,
    pub public_subnets: Vec<String>,
    pub private_subnets: Vec<String>,
    pub internet_gateway: String,
    pub nat_gateway: String,
    pub public_route_table: String,
    pub private_route_table: String,
    pub alb_sg: String,
    pub service_sg: String,
    pub db_sg: String,
    pub other_sg: String,
    pub certificate: String,
    pub load_balancer: String,
    pub load_balancer_dns: String,
    pub target_group: String,
    pub database: String,
    pub other_database: String,
    pub log_group: String,
    pub record: String,
    pub cluster: String,
    pub service: String,
    pub task_definition: String,
    pub tasks: Vec<String>,
}

impl Umami {
    pub fn stack(&self) -> StackRef {
        StackRef {
            name: "umami".into(),
            region: REGION.into(),
            cluster: self.cluster.clone(),
            service: self.service.clone(),
        }
    }
}

/// Builds the stack. `tasks` tasks run for the service and are registered as targets.
pub async fn build_umami(config: &SdkConfig, cluster: &str, tasks: u32) -> Umami {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let network = build_network(&ec2).await;
    let groups = build_security_groups(&ec2, &network.vpc).await;

    let acm = aws_sdk_acm::Client::new(config);
    let certificate = acm
        .request_certificate()
        .domain_name("umami.example.com")
        .send()
        .await
        .unwrap()
        .certificate_arn
        .unwrap();

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let (load_balancer, load_balancer_dns, zone_of_alb, target_group) =
        build_load_balancer(&elb, &network, &groups, &certificate).await;

    let rds = aws_sdk_rds::Client::new(config);
    let (database, other_database) = build_databases(&rds, &network, &groups).await;

    let log_group = "/ecs/umami".to_string();
    aws_sdk_cloudwatchlogs::Client::new(config)
        .create_log_group()
        .log_group_name(&log_group)
        .send()
        .await
        .unwrap();

    let route53 = aws_sdk_route53::Client::new(config);
    let record = build_dns(&route53, &load_balancer_dns, &zone_of_alb).await;

    let ecs = aws_sdk_ecs::Client::new(config);
    let (task_definition, task_arns) =
        build_service(&ecs, cluster, &network, &groups, &target_group, tasks).await;
    register_tasks_as_targets(&ecs, &elb, cluster, &task_arns, &target_group).await;

    Umami {
        vpc: network.vpc,
        public_subnets: network.public,
        private_subnets: network.private,
        internet_gateway: network.igw,
        nat_gateway: network.nat,
        public_route_table: network.public_rt,
        private_route_table: network.private_rt,
        alb_sg: groups.alb,
        service_sg: groups.service,
        db_sg: groups.db,
        other_sg: groups.other,
        certificate,
        load_balancer,
        load_balancer_dns,
        target_group,
        database,
        other_database,
        log_group,
        record,
        cluster: cluster.into(),
        service: "umami".into(),
        task_definition,
        tasks: task_arns,
    }
}

struct Network {
    vpc: String,
    public: Vec<String>,
    private: Vec<String>,
    igw: String,
    nat: String,
    public_rt: String,
    private_rt: String,
}

async fn build_network(ec2: &aws_sdk_ec2::Client) -> Network {
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    // As the usual Terraform VPC module sets it (and moto needs it to give tasks an ENI).
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(
            aws_sdk_ec2::types::AttributeBooleanValue::builder()
                .value(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut public = Vec::new();
    let mut private = Vec::new();
    for (i, zone) in ["a", "b"].iter().enumerate() {
        let az = format!("{REGION}{zone}");
        public.push(subnet(ec2, &vpc, &format!("10.0.{i}.0/24"), &az).await);
        private.push(subnet(ec2, &vpc, &format!("10.0.1{i}.0/24"), &az).await);
    }
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .unwrap()
        .internet_gateway
        .unwrap()
        .internet_gateway_id
        .unwrap();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    // One NAT gateway for both zones: the cheap layout, and a finding.
    let nat = nat_gateway(ec2, &public[0]).await;
    let public_rt = route_table(ec2, &vpc, &public).await;
    ec2.create_route()
        .route_table_id(&public_rt)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    let private_rt = route_table(ec2, &vpc, &private).await;
    default_route_to_nat(ec2, &private_rt, &nat).await;
    Network {
        vpc,
        public,
        private,
        igw,
        nat,
        public_rt,
        private_rt,
    }
}

async fn subnet(ec2: &aws_sdk_ec2::Client, vpc: &str, cidr: &str, az: &str) -> String {
    ec2.create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .availability_zone(az)
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap()
}

/// A route table associated with `subnets`.
pub async fn route_table(ec2: &aws_sdk_ec2::Client, vpc: &str, subnets: &[String]) -> String {
    let table = ec2
        .create_route_table()
        .vpc_id(vpc)
        .send()
        .await
        .unwrap()
        .route_table
        .unwrap()
        .route_table_id
        .unwrap();
    for subnet in subnets {
        ec2.associate_route_table()
            .route_table_id(&table)
            .subnet_id(subnet)
            .send()
            .await
            .unwrap();
    }
    table
}

/// A NAT gateway, with its Elastic IP, in a public subnet.
pub async fn nat_gateway(ec2: &aws_sdk_ec2::Client, public_subnet: &str) -> String {
    let eip = ec2
        .allocate_address()
        .domain(aws_sdk_ec2::types::DomainType::Vpc)
        .send()
        .await
        .unwrap()
        .allocation_id
        .unwrap();
    ec2.create_nat_gateway()
        .subnet_id(public_subnet)
        .allocation_id(eip)
        .send()
        .await
        .unwrap()
        .nat_gateway
        .unwrap()
        .nat_gateway_id
        .unwrap()
}

/// `0.0.0.0/0` through `nat` in `table`.
pub async fn default_route_to_nat(ec2: &aws_sdk_ec2::Client, table: &str, nat: &str) {
    ec2.create_route()
        .route_table_id(table)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(nat)
        .send()
        .await
        .unwrap();
}

struct Groups {
    alb: String,
    service: String,
    db: String,
    other: String,
}

async fn build_security_groups(ec2: &aws_sdk_ec2::Client, vpc: &str) -> Groups {
    let alb = security_group(ec2, vpc, "umami-alb").await;
    let service = security_group(ec2, vpc, "umami-service").await;
    let db = security_group(ec2, vpc, "umami-db").await;
    let other = security_group(ec2, vpc, "reporting-db").await;
    for port in [80, 443] {
        ingress_from_cidr(ec2, &alb, port, "0.0.0.0/0").await;
    }
    ingress_from_group(ec2, &service, 3000, &alb).await;
    ingress_from_group(ec2, &db, 5432, &service).await;
    // A database in the same VPC that the service cannot reach: not part of the stack.
    ingress_from_cidr(ec2, &other, 5432, "10.0.99.0/24").await;
    Groups {
        alb,
        service,
        db,
        other,
    }
}

async fn security_group(ec2: &aws_sdk_ec2::Client, vpc: &str, name: &str) -> String {
    ec2.create_security_group()
        .group_name(name)
        .description(name)
        .vpc_id(vpc)
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap()
}

pub async fn ingress_from_cidr(ec2: &aws_sdk_ec2::Client, group: &str, port: i32, cidr: &str) {
    let permission = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip(cidr).build())
        .build();
    ec2.authorize_security_group_ingress()
        .group_id(group)
        .ip_permissions(permission)
        .send()
        .await
        .unwrap();
}

pub async fn ingress_from_group(ec2: &aws_sdk_ec2::Client, group: &str, port: i32, source: &str) {
    let permission = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port)
        .to_port(port)
        .user_id_group_pairs(
            aws_sdk_ec2::types::UserIdGroupPair::builder()
                .group_id(source)
                .build(),
        )
        .build();
    ec2.authorize_security_group_ingress()
        .group_id(group)
        .ip_permissions(permission)
        .send()
        .await
        .unwrap();
}

async fn build_load_balancer(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    network: &Network,
    groups: &Groups,
    certificate: &str,
) -> (String, String, String, String) {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
    };
    let lb = elb
        .create_load_balancer()
        .name("umami-alb")
        .set_subnets(Some(network.public.clone()))
        .security_groups(&groups.alb)
        .send()
        .await
        .unwrap()
        .load_balancers
        .unwrap()
        .remove(0);
    let lb_arn = lb.load_balancer_arn.unwrap();
    let target_group = target_group(elb, &network.vpc, "umami-tg", 3000, "/api/heartbeat").await;
    let redirect = Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build();
    elb.create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(redirect)
        .send()
        .await
        .unwrap();
    https_listener(elb, &lb_arn, 443, certificate, &target_group).await;
    (
        lb_arn,
        lb.dns_name.unwrap(),
        lb.canonical_hosted_zone_id
            .unwrap_or_else(|| "ZHURV8PSTC4K8".into()),
        target_group,
    )
}

/// An HTTP target group of IP targets (as Fargate registers them).
pub async fn target_group(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    vpc: &str,
    name: &str,
    port: i32,
    health_check_path: &str,
) -> String {
    use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetTypeEnum};
    elb.create_target_group()
        .name(name)
        .protocol(ProtocolEnum::Http)
        .port(port)
        .vpc_id(vpc)
        .target_type(TargetTypeEnum::Ip)
        .health_check_path(health_check_path)
        .send()
        .await
        .unwrap()
        .target_groups
        .unwrap()
        .remove(0)
        .target_group_arn
        .unwrap()
}

/// An HTTPS listener on `port` that forwards to `target_group`.
pub async fn https_listener(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    load_balancer: &str,
    port: i32,
    certificate: &str,
    target_group: &str,
) {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, Certificate, ProtocolEnum,
    };
    let forward = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group)
        .build();
    elb.create_listener()
        .load_balancer_arn(load_balancer)
        .protocol(ProtocolEnum::Https)
        .port(port)
        .certificates(Certificate::builder().certificate_arn(certificate).build())
        .default_actions(forward)
        .send()
        .await
        .unwrap();
}

async fn build_databases(
    rds: &aws_sdk_rds::Client,
    network: &Network,
    groups: &Groups,
) -> (String, String) {
    rds.create_db_subnet_group()
        .db_subnet_group_name("umami-db")
        .db_subnet_group_description("umami private subnets")
        .set_subnet_ids(Some(network.private.clone()))
        .send()
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (id, group) in [("umami-db", &groups.db), ("reporting-db", &groups.other)] {
        rds.create_db_instance()
            .db_instance_identifier(id)
            .engine("postgres")
            .engine_version("16.3")
            .db_instance_class("db.t4g.micro")
            .allocated_storage(20)
            .master_username("umami")
            .manage_master_user_password(true)
            .db_subnet_group_name("umami-db")
            .vpc_security_group_ids(group)
            .multi_az(false)
            .backup_retention_period(7)
            .deletion_protection(true)
            .publicly_accessible(false)
            .send()
            .await
            .unwrap();
        ids.push(id.to_string());
    }
    (ids.remove(0), ids.remove(0))
}

async fn build_dns(route53: &aws_sdk_route53::Client, alb_dns: &str, alb_zone: &str) -> String {
    use aws_sdk_route53::types::{
        AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType,
    };
    let zone = route53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("opsdeck-test")
        .send()
        .await
        .unwrap()
        .hosted_zone
        .unwrap()
        .id;
    let record = "umami.example.com";
    let change = Change::builder()
        .action(ChangeAction::Upsert)
        .resource_record_set(
            ResourceRecordSet::builder()
                .name(record)
                .r#type(RrType::A)
                .alias_target(
                    AliasTarget::builder()
                        .hosted_zone_id(alb_zone)
                        .dns_name(format!("dualstack.{alb_dns}"))
                        .evaluate_target_health(true)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    route53
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(ChangeBatch::builder().changes(change).build().unwrap())
        .send()
        .await
        .unwrap();
    record.into()
}

async fn build_service(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    network: &Network,
    groups: &Groups,
    target_group: &str,
    tasks: u32,
) -> (String, Vec<String>) {
    use aws_sdk_ecs::types::{
        AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition,
        DeploymentCircuitBreaker, DeploymentConfiguration, KeyValuePair, LaunchType, LoadBalancer,
        LogConfiguration, LogDriver, NetworkConfiguration, NetworkMode, PortMapping, Secret,
    };
    ecs.create_cluster()
        .cluster_name(cluster)
        .send()
        .await
        .unwrap();
    let container = ContainerDefinition::builder()
        .name("umami")
        .image("ghcr.io/umami-software/umami:postgresql-v2.13.2")
        .essential(true)
        // moto cannot run tasks whose containers leave memory to the task level.
        .memory(1024)
        .port_mappings(PortMapping::builder().container_port(3000).build())
        .environment(
            KeyValuePair::builder()
                .name("DATABASE_TYPE")
                .value("postgresql")
                .build(),
        )
        .secrets(
            Secret::builder()
                .name("DATABASE_URL")
                .value_from("arn:aws:secretsmanager:eu-west-2:123456789012:secret:umami-db")
                .build()
                .unwrap(),
        )
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/ecs/umami")
                .options("awslogs-region", REGION)
                .options("awslogs-stream-prefix", "umami")
                .build()
                .unwrap(),
        )
        .build();
    let task_definition = ecs
        .register_task_definition()
        .family("umami")
        .network_mode(NetworkMode::Awsvpc)
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("512")
        .memory("1024")
        .execution_role_arn("arn:aws:iam::123456789012:role/umami-execution")
        .container_definitions(container)
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap()
        .task_definition_arn
        .unwrap();
    let network_configuration = NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .set_subnets(Some(network.private.clone()))
                .security_groups(&groups.service)
                .assign_public_ip(AssignPublicIp::Disabled)
                .build()
                .unwrap(),
        )
        .build();
    ecs.create_service()
        .cluster(cluster)
        .service_name("umami")
        .task_definition(&task_definition)
        .desired_count(RUNNING_PER_SERVICE as i32)
        .launch_type(LaunchType::Fargate)
        .load_balancers(
            LoadBalancer::builder()
                .target_group_arn(target_group)
                .container_name("umami")
                .container_port(3000)
                .build(),
        )
        .network_configuration(network_configuration.clone())
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let task_arns = run_tasks(
        ecs,
        cluster,
        &task_definition,
        &network_configuration,
        tasks,
    )
    .await;
    (task_definition, task_arns)
}

/// Starts `count` Fargate tasks for the `umami` service, 10 per call as ECS allows.
pub async fn run_tasks(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    task_definition: &str,
    network: &aws_sdk_ecs::types::NetworkConfiguration,
    count: u32,
) -> Vec<String> {
    let mut arns = Vec::new();
    let mut left = count;
    while left > 0 {
        let batch = left.min(10);
        let output = ecs
            .run_task()
            .cluster(cluster)
            .task_definition(task_definition)
            .count(batch as i32)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .group("service:umami")
            .started_by("ecs-svc/0000000000000000000")
            .network_configuration(network.clone())
            .send()
            .await
            .unwrap();
        arns.extend(output.tasks().iter().filter_map(|t| t.task_arn.clone()));
        left -= batch;
    }
    arns
}

pub async fn register_tasks_as_targets(
    ecs: &aws_sdk_ecs::Client,
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    cluster: &str,
    tasks: &[String],
    target_group: &str,
) {
    if tasks.is_empty() {
        return;
    }
    let described = ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(tasks.iter().take(100).cloned().collect()))
        .send()
        .await
        .unwrap();
    let targets: Vec<_> = described
        .tasks()
        .iter()
        .flat_map(|t| t.attachments())
        .flat_map(|a| a.details())
        .filter(|d| d.name() == Some("privateIPv4Address"))
        .filter_map(|d| d.value())
        .map(|ip| {
            aws_sdk_elasticloadbalancingv2::types::TargetDescription::builder()
                .id(ip)
                .port(3000)
                .build()
        })
        .collect();
    elb.register_targets()
        .target_group_arn(target_group)
        .set_targets(Some(targets))
        .send()
        .await
        .unwrap();
}

/// Adds `count` services to a cluster (no load balancer): the "big cluster" of other teams.
pub async fn add_services(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    task_definition: &str,
    count: u32,
) {
    for i in 0..count {
        ecs.create_service()
            .cluster(cluster)
            .service_name(format!("svc-{i:03}"))
            .task_definition(task_definition)
            .desired_count(RUNNING_PER_SERVICE as i32)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .send()
            .await
            .unwrap();
    }
}

/// moto moves a task one state towards STOPPED on every DescribeTasks; a dashboard
/// describes tasks all the time, so hold them where ECS would: RUNNING. `port` is the
/// loopback port moto listens on.
pub fn hold_tasks_running(port: u16) {
    use std::io::{Read, Write};
    let body =
        r#"{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}"#;
    let request = format!(
        "POST /moto-api/state-manager/set-transition HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to moto");
    stream.write_all(request.as_bytes()).expect("send to moto");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read from moto");
    assert!(
        answer.starts_with("HTTP/1.1 201") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
}

/// Puts `values` (oldest first, one a minute, the last one a minute ago) of one metric.
pub async fn put_metric(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    name: &str,
    dimensions: &[(&str, &str)],
    values: &[f64],
) {
    let now = chrono::Utc::now().timestamp_millis();
    let minute = now - now.rem_euclid(60_000);
    let dimensions: Vec<aws_sdk_cloudwatch::types::Dimension> = dimensions
        .iter()
        .map(|(name, value)| {
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name(*name)
                .value(*value)
                .build()
        })
        .collect();
    let data: Vec<aws_sdk_cloudwatch::types::MetricDatum> = values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let ago = (values.len() - i) as i64;
            aws_sdk_cloudwatch::types::MetricDatum::builder()
                .metric_name(name)
                .set_dimensions(Some(dimensions.clone()))
                .timestamp(aws_smithy_types::DateTime::from_millis(
                    minute - ago * 60_000,
                ))
                .value(*value)
                .build()
        })
        .collect();
    cloudwatch
        .put_metric_data()
        .namespace(namespace)
        .set_metric_data(Some(data))
        .send()
        .await
        .unwrap();
}

// ---------------------------------------------------------------------------------------
// Releases: a task definition with many fields, ECR images
// ---------------------------------------------------------------------------------------

/// The secret the rich task definition references: its ARN may be shown, never a value.
pub const RICH_SECRET_ARN: &str =
    "arn:aws:secretsmanager:eu-west-2:123456789012:secret:umami-db-AbCdEf";

/// Registers a revision of `family` that sets every field RegisterTaskDefinition takes,
/// with two containers: `umami` (running `app_image`) and an `envoy` sidecar. Returns its ARN.
#[allow(deprecated)] // inferenceAccelerators: retired by AWS, still a field to copy.
pub async fn register_rich_task_definition(
    ecs: &aws_sdk_ecs::Client,
    family: &str,
    app_image: &str,
) -> String {
    use aws_sdk_ecs::types::{
        ApplicationProtocol, Compatibility, ContainerCondition, ContainerDefinition,
        ContainerDependency, CpuArchitecture, EphemeralStorage, HealthCheck, HostVolumeProperties,
        InferenceAccelerator, IpcMode, KeyValuePair, LinuxParameters, LogConfiguration, LogDriver,
        MountPoint, NetworkMode, OsFamily, PidMode, PortMapping, ProxyConfiguration,
        ProxyConfigurationType, RuntimePlatform, Secret, Tag, TaskDefinitionPlacementConstraint,
        TaskDefinitionPlacementConstraintType, TransportProtocol, Ulimit, UlimitName, Volume,
    };
    let env = |name: &str, value: &str| KeyValuePair::builder().name(name).value(value).build();
    let app = ContainerDefinition::builder()
        .name("umami")
        .image(app_image)
        .cpu(384)
        .memory(768)
        .memory_reservation(512)
        .essential(true)
        .port_mappings(
            PortMapping::builder()
                .name("http")
                .container_port(3000)
                .protocol(TransportProtocol::Tcp)
                .app_protocol(ApplicationProtocol::Http)
                .build(),
        )
        .environment(env("DATABASE_TYPE", "postgresql"))
        .environment(env("DISABLE_TELEMETRY", "1"))
        .secrets(
            Secret::builder()
                .name("DATABASE_URL")
                .value_from(RICH_SECRET_ARN)
                .build()
                .unwrap(),
        )
        .health_check(
            HealthCheck::builder()
                .command("CMD-SHELL")
                .command("curl -f http://localhost:3000/api/heartbeat || exit 1")
                .interval(15)
                .timeout(4)
                .retries(5)
                .start_period(60)
                .build()
                .unwrap(),
        )
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/ecs/umami")
                .options("awslogs-region", REGION)
                .options("awslogs-stream-prefix", "umami")
                .build()
                .unwrap(),
        )
        .mount_points(
            MountPoint::builder()
                .source_volume("tmp")
                .container_path("/tmp")
                .read_only(false)
                .build(),
        )
        .depends_on(
            ContainerDependency::builder()
                .container_name("envoy")
                .condition(ContainerCondition::Healthy)
                .build()
                .unwrap(),
        )
        .ulimits(
            Ulimit::builder()
                .name(UlimitName::Nofile)
                .soft_limit(65536)
                .hard_limit(65536)
                .build()
                .unwrap(),
        )
        .linux_parameters(
            LinuxParameters::builder()
                .init_process_enabled(true)
                .build(),
        )
        .stop_timeout(30)
        .docker_labels("team", "analytics")
        .readonly_root_filesystem(true)
        .user("1000")
        .working_directory("/app")
        .entry_point("docker-entrypoint.sh")
        .command("yarn")
        .command("start-docker")
        .build();
    let sidecar = ContainerDefinition::builder()
        .name("envoy")
        .image("public.ecr.aws/appmesh/aws-appmesh-envoy:v1.27.3.0-prod")
        .cpu(128)
        .memory(256)
        .essential(true)
        .user("1337")
        .environment(env(
            "APPMESH_RESOURCE_ARN",
            "arn:aws:appmesh:eu-west-2:123456789012:mesh/umami/virtualNode/umami",
        ))
        .health_check(
            HealthCheck::builder()
                .command("CMD-SHELL")
                .command("curl -s http://localhost:9901/server_info | grep state | grep -q LIVE")
                .build()
                .unwrap(),
        )
        .build();
    let proxy = ProxyConfiguration::builder()
        .r#type(ProxyConfigurationType::Appmesh)
        .container_name("envoy")
        .properties(env("IgnoredUID", "1337"))
        .properties(env("ProxyIngressPort", "15000"))
        .properties(env("ProxyEgressPort", "15001"))
        .properties(env("AppPorts", "3000"))
        .properties(env("EgressIgnoredIPs", "169.254.170.2,169.254.169.254"))
        .build()
        .unwrap();
    ecs.register_task_definition()
        .family(family)
        .task_role_arn("arn:aws:iam::123456789012:role/umami-task")
        .execution_role_arn("arn:aws:iam::123456789012:role/umami-execution")
        .network_mode(NetworkMode::Awsvpc)
        .container_definitions(app)
        .container_definitions(sidecar)
        .volumes(
            Volume::builder()
                .name("tmp")
                .host(HostVolumeProperties::builder().build())
                .build(),
        )
        .placement_constraints(
            TaskDefinitionPlacementConstraint::builder()
                .r#type(TaskDefinitionPlacementConstraintType::MemberOf)
                .expression("attribute:ecs.availability-zone in [eu-west-2a, eu-west-2b]")
                .build(),
        )
        .requires_compatibilities(Compatibility::Fargate)
        .cpu("512")
        .memory("1024")
        .tags(Tag::builder().key("app").value("umami").build())
        .tags(Tag::builder().key("cost-centre").value("analytics").build())
        .pid_mode(PidMode::Task)
        .ipc_mode(IpcMode::None)
        .proxy_configuration(proxy)
        .inference_accelerators(
            InferenceAccelerator::builder()
                .device_name("device_1")
                .device_type("eia2.medium")
                .build()
                .unwrap(),
        )
        .ephemeral_storage(EphemeralStorage::builder().size_in_gib(40).build())
        .runtime_platform(
            RuntimePlatform::builder()
                .operating_system_family(OsFamily::Linux)
                .cpu_architecture(CpuArchitecture::Arm64)
                .build(),
        )
        .enable_fault_injection(true)
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap()
        .task_definition_arn
        .unwrap()
}

/// A task definition exactly as ECS describes it, with its tags.
pub async fn describe_task_definition_raw(
    ecs: &aws_sdk_ecs::Client,
    arn: &str,
) -> (
    aws_sdk_ecs::types::TaskDefinition,
    Vec<aws_sdk_ecs::types::Tag>,
) {
    let output = ecs
        .describe_task_definition()
        .task_definition(arn)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .unwrap();
    (
        output.task_definition.unwrap(),
        output.tags.unwrap_or_default(),
    )
}

/// A Docker image manifest with one layer: `seed` makes its digests (and so the image's)
/// differ from every other seed's; `size` is the config blob's size, which moto reports as
/// the image size.
pub fn image_manifest(seed: u64, size: u64) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{{"mediaType":"application/vnd.docker.container.image.v1+json","size":{size},"digest":"sha256:{seed:064x}"}},"layers":[{{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":{size},"digest":"sha256:{:064x}"}}]}}"#,
        seed + 1_000_000
    )
}

/// Pushes `manifest` to `repository` under `tag` (PutImage, as `docker push` ends); returns
/// the digest ECR gave it.
pub async fn push_image(
    ecr: &aws_sdk_ecr::Client,
    repository: &str,
    manifest: &str,
    tag: &str,
) -> String {
    ecr.put_image()
        .repository_name(repository)
        .image_manifest(manifest)
        .image_tag(tag)
        .send()
        .await
        .unwrap()
        .image
        .unwrap()
        .image_id
        .unwrap()
        .image_digest
        .unwrap()
}

/// An S3 client for moto: path-style addressing, since a loopback endpoint has no bucket
/// subdomains.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// An empty bucket in the harness's region.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest2)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// A site as a hand-built stack has it: the bucket, and a CloudFront distribution in front
/// of it (an S3 origin, `index.html` as the root object, HTTP redirected). Its id.
pub async fn site_distribution(config: &SdkConfig, bucket: &str) -> String {
    use aws_sdk_cloudfront::types as cf;
    let s3 = s3_client(config);
    create_bucket(&s3, bucket).await;
    let cloudfront = aws_sdk_cloudfront::Client::new(config);
    let origin = cf::Origin::builder()
        .id("s3")
        .domain_name(format!("{bucket}.s3.eu-west-2.amazonaws.com"))
        .s3_origin_config(
            cf::S3OriginConfig::builder()
                .origin_access_identity("")
                .build(),
        )
        .build()
        .unwrap();
    let distribution = cloudfront
        .create_distribution()
        .distribution_config(
            cf::DistributionConfig::builder()
                .caller_reference(format!("opsdeck-test-{bucket}"))
                .comment("umami frontend")
                .enabled(true)
                .default_root_object("index.html")
                .origins(
                    cf::Origins::builder()
                        .quantity(1)
                        .items(origin)
                        .build()
                        .unwrap(),
                )
                .default_cache_behavior(
                    cf::DefaultCacheBehavior::builder()
                        .target_origin_id("s3")
                        .viewer_protocol_policy(cf::ViewerProtocolPolicy::RedirectToHttps)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    distribution.distribution().unwrap().id().to_string()
}

/// The example stack's bootstrap answers (`stack.toml`), with `desired` tasks.
pub fn stack_answers(desired: u32) -> String {
    format!(
        r#"name = "umami"
region = "{REGION}"

[network]
cidr = "10.0.0.0/16"
azs = 2
nat = "single"

[service]
image = "ghcr.io/umami-software/umami:postgresql-v2.13.0"
port = 3000
health_check = "/api/heartbeat"
cpu = 512
memory = 1024
desired = {desired}
environment = {{ DATABASE_TYPE = "postgresql" }}

[database]
kind = "postgres"
version = "17.6"
class = "db.t3.micro"
storage_gb = 20
multi_az = false
backup_days = 7
deletion_protection = true

[alarms]
email = "ops@example.com"
"#
    )
}
