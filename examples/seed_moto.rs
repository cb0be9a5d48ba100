//! Builds the Umami-like example stack in a moto_server, so `opsdeck --endpoint-url ...` has
//! something to show: the network, the load balancer and its
//! certificate and DNS record, the database, the ECS service and its tasks, an hour of
//! CloudWatch metrics, the tasks' logs and tagged images in the `umami` ECR repository (for
//! `opsdeck images`). With `--follow` it goes on writing log lines.
//!
//! ```sh
//! MOTO_ECS_SERVICE_RUNNING=2 .venv/bin/moto_server -p 5000 &
//! cargo run --example seed_moto -- --endpoint-url http://127.0.0.1:5000 --follow &
//! AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
//!     cargo run -- --endpoint-url http://127.0.0.1:5000 --region eu-west-2 --cluster umami --service umami
//! ```
//!
//! It is the tests' own fixture (`tests/common/moto.rs`): what you see is what they check.

#[path = "../tests/common/moto.rs"]
mod moto;

use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use clap::Parser;
use opsdeck::model::arn_name;
use opsdeck::model::metrics::load_balancer_dimension;

#[derive(Parser)]
#[command(about = "Build the example stack in a moto_server")]
struct Args {
    /// The moto_server's endpoint, on loopback.
    #[arg(long, default_value = "http://127.0.0.1:5000")]
    endpoint_url: String,
    /// Tasks the service runs.
    #[arg(long, default_value_t = 2)]
    tasks: u32,
    /// Keep writing a log line per task every second, until interrupted.
    #[arg(long)]
    follow: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let port = args
        .endpoint_url
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse::<u16>().ok())
        .expect("--endpoint-url must end in :PORT, e.g. http://127.0.0.1:5000");
    // moto stops a task a step at a time as it is described; hold them RUNNING as ECS would.
    moto::hold_tasks_running(port);
    let config = moto::sdk_config_for(&args.endpoint_url).await;
    let umami = moto::build_umami(&config, "umami", args.tasks).await;
    println!(
        "built cluster {} service {} with {} tasks, load balancer {}, database {}",
        umami.cluster,
        umami.service,
        umami.tasks.len(),
        umami.load_balancer_dns,
        umami.database
    );

    put_metrics(&config, &umami).await;
    println!("put an hour of CloudWatch metrics");

    push_images(&config).await;

    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let streams: Vec<String> = umami
        .tasks
        .iter()
        // awslogs names a stream <prefix>/<container>/<task id>; the fixture's prefix and
        // container are both "umami".
        .map(|arn| format!("umami/umami/{}", arn_name(arn)))
        .collect();
    for stream in &streams {
        // The fixture may have made the stream already; either way it exists afterwards.
        let _ = logs
            .create_log_stream()
            .log_group_name(&umami.log_group)
            .log_stream_name(stream)
            .send()
            .await;
    }
    let mut line = 0u64;
    loop {
        for stream in &streams {
            line += 1;
            let message = if line.is_multiple_of(17) {
                format!("ERROR Failed to fetch geo data: ECONNRESET (request {line})")
            } else {
                format!("POST /api/send 200 {}ms", 3 + line % 40)
            };
            logs.put_log_events()
                .log_group_name(&umami.log_group)
                .log_stream_name(stream)
                .log_events(
                    InputLogEvent::builder()
                        .timestamp(chrono::Utc::now().timestamp_millis())
                        .message(message)
                        .build()
                        .expect("timestamp and message are set"),
                )
                .send()
                .await
                .expect("PutLogEvents");
        }
        if !args.follow {
            println!("wrote a log line to each of {} streams", streams.len());
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Three releases of Umami in the `umami` repository, oldest first, the newest also `latest`.
async fn push_images(config: &aws_config::SdkConfig) {
    let ecr = aws_sdk_ecr::Client::new(config);
    // A second seeding of the same moto finds the repository there already.
    let _ = ecr
        .create_repository()
        .repository_name("umami")
        .send()
        .await;
    let releases = [(1, "v2.13.1"), (2, "v2.13.2"), (3, "v2.14.0")];
    for (i, (seed, tag)) in releases.iter().enumerate() {
        if i > 0 {
            // moto stamps pushes to the second: keep them apart so "newest first" shows.
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        let manifest = moto::image_manifest(*seed, 150_000_000 + seed * 1_000_000);
        // Refused only as "already exists" when seeding the same moto again.
        let _ = ecr
            .put_image()
            .repository_name("umami")
            .image_manifest(&manifest)
            .image_tag(*tag)
            .send()
            .await;
        if *tag == "v2.14.0" {
            let _ = ecr
                .put_image()
                .repository_name("umami")
                .image_manifest(&manifest)
                .image_tag("latest")
                .send()
                .await;
        }
    }
    println!(
        "pushed {} tagged images to the umami ECR repository",
        releases.len()
    );
}

/// Namespace, metric, dimensions, and the value of minute `i` of the hour.
type Series<'a> = (
    &'a str,
    &'a str,
    &'a [(&'a str, &'a str)],
    Box<dyn Fn(usize) -> f64>,
);

/// Sixty one-minute datapoints of each series the dashboard draws, ending a minute ago.
async fn put_metrics(config: &aws_config::SdkConfig, umami: &moto::Umami) {
    let cloudwatch = aws_sdk_cloudwatch::Client::new(config);
    let lb = load_balancer_dimension(&umami.load_balancer).unwrap_or_default();
    let db = [("DBInstanceIdentifier", umami.database.as_str())];
    let alb = [("LoadBalancer", lb)];
    let service = [("ClusterName", "umami"), ("ServiceName", "umami")];
    let wave =
        |base: f64, swing: f64| move |i: usize| base + swing * ((i as f64) / 6.0).sin().abs();
    let series: [Series; 7] = [
        ("AWS/RDS", "CPUUtilization", &db, Box::new(wave(12.0, 20.0))),
        (
            "AWS/RDS",
            "DatabaseConnections",
            &db,
            Box::new(wave(8.0, 12.0)),
        ),
        (
            "AWS/RDS",
            "FreeStorageSpace",
            &db,
            Box::new(|i| 17.5e9 - i as f64 * 2e6),
        ),
        (
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            &alb,
            Box::new(|i| if i % 13 == 0 { 2.0 } else { 0.0 }),
        ),
        (
            "AWS/ApplicationELB",
            "TargetResponseTime",
            &alb,
            Box::new(wave(0.03, 0.05)),
        ),
        (
            "AWS/ECS",
            "CPUUtilization",
            &service,
            Box::new(wave(20.0, 30.0)),
        ),
        (
            "AWS/ECS",
            "MemoryUtilization",
            &service,
            Box::new(wave(40.0, 8.0)),
        ),
    ];
    for (namespace, name, dimensions, value) in series {
        let values: Vec<f64> = (0..60).map(&value).collect();
        moto::put_metric(&cloudwatch, namespace, name, dimensions, &values).await;
    }
}
