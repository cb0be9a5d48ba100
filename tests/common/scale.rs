//! A big account in moto: thousands of services over several clusters and a service with
//! hundreds of tasks, made through the SDK many calls at a time. The including file also
//! includes `moto.rs` as the sibling module `moto`.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use futures::StreamExt as _;

use super::moto::{self, Moto, Umami};

/// CreateService calls in flight at once while seeding.
const SEED_CONCURRENCY: usize = 32;

/// What [`big_account`] made, and how long it took.
pub struct BigAccount {
    pub umami: Umami,
    /// Every cluster, the stack's own first.
    pub clusters: Vec<String>,
    /// Services in all clusters, the stack's own included.
    pub services: usize,
    pub seeding: Duration,
}

/// Has moto page ECS's lists as AWS does (see tests/common/moto_server.py, 8.): without
/// it, moto answers ListServices and ListTasks in one page whatever `maxResults` says.
pub fn page_ecs_lists(moto: &Moto) {
    moto_api(
        moto,
        "/moto-api/config",
        r#"{"opsdeck": {"page_ecs_lists": true}}"#,
    );
}

/// Has moto's UpdateService start a new deployment of the new revision, as ECS does (see
/// tests/common/moto_server.py, 9.): a deploy watch can then see its rollout end.
pub fn ecs_deployments(moto: &Moto) {
    moto_api(
        moto,
        "/moto-api/config",
        r#"{"opsdeck": {"ecs_deployments": true}}"#,
    );
}

fn moto_api(moto: &Moto, path: &str, body: &str) {
    use std::io::{Read, Write};
    let address = moto.endpoint.trim_start_matches("http://");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(address).expect("connect to moto");
    stream.write_all(request.as_bytes()).expect("send to moto");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read from moto");
    assert!(
        answer.starts_with("HTTP/1.1 20"),
        "moto refused {path}: {answer}"
    );
}

/// The umami stack in cluster `umami` with `tasks` tasks, and services up to `services` in
/// all spread evenly over `clusters` clusters (the stack's own included, `team-1`... the
/// others), made `SEED_CONCURRENCY` at a time. moto pages ECS's lists from here on.
pub async fn big_account(moto: &Moto, clusters: usize, services: usize, tasks: u32) -> BigAccount {
    let started = Instant::now();
    page_ecs_lists(moto);
    let config = moto.sdk_config().await;
    let umami = moto::build_umami(&config, "umami", 0).await;
    if tasks > 0 {
        run_umami_tasks(&config, &umami, tasks).await;
    }
    let ecs = aws_sdk_ecs::Client::new(&config);
    let mut names = vec![umami.cluster.clone()];
    names.extend((1..clusters).map(|i| format!("team-{i}")));
    for cluster in &names[1..] {
        ecs.create_cluster()
            .cluster_name(cluster)
            .send()
            .await
            .unwrap();
    }
    // The stack's service is one of them already.
    let others: Vec<(String, String)> = (1..services)
        .map(|i| {
            let cluster = names[i % names.len()].clone();
            (cluster, format!("svc-{i:04}"))
        })
        .collect();
    create_services(&ecs, &umami.task_definition, others).await;
    BigAccount {
        umami,
        clusters: names,
        services,
        seeding: started.elapsed(),
    }
}

/// Creates each `(cluster, service)`, many at a time, with no load balancer.
pub async fn create_services(
    ecs: &aws_sdk_ecs::Client,
    task_definition: &str,
    services: Vec<(String, String)>,
) {
    futures::stream::iter(services)
        .map(|(cluster, service)| async move {
            ecs.create_service()
                .cluster(&cluster)
                .service_name(&service)
                .task_definition(task_definition)
                .desired_count(moto::RUNNING_PER_SERVICE as i32)
                .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
                .send()
                .await
                .unwrap_or_else(|e| panic!("create {cluster}/{service}: {e:?}"));
        })
        .buffer_unordered(SEED_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// Starts `count` more tasks of the umami service in its private subnets.
pub async fn run_umami_tasks(config: &SdkConfig, umami: &Umami, count: u32) -> Vec<String> {
    let ecs = aws_sdk_ecs::Client::new(config);
    moto::run_tasks(
        &ecs,
        &umami.cluster,
        &umami.task_definition,
        &service_network(umami),
        count,
    )
    .await
}

/// The umami service's network configuration, as a task of it runs with.
pub fn service_network(umami: &Umami) -> aws_sdk_ecs::types::NetworkConfiguration {
    aws_sdk_ecs::types::NetworkConfiguration::builder()
        .awsvpc_configuration(
            aws_sdk_ecs::types::AwsVpcConfiguration::builder()
                .set_subnets(Some(umami.private_subnets.clone()))
                .security_groups(&umami.service_sg)
                .build()
                .unwrap(),
        )
        .build()
}

/// The peak resident memory of a process so far (VmHWM, Linux), in MiB.
pub fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc status");
    kib / 1024.0
}
