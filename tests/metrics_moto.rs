//! CloudWatch metrics against moto: datapoints put through the SDK come back through the trait
//! in one GetMetricData call.

#[path = "common/moto.rs"]
mod moto;
#[path = "common/pty.rs"]
mod pty;

use std::time::Duration;

use moto::{Moto, REGION, binary_env, build_umami, put_metric};
use opsdeck::model::metrics::load_balancer_dimension;
use opsdeck::model::{MetricQuery, MetricUnit};
use pty::PtyApp;

const MINUTE: i64 = 60_000;
const WAIT: Duration = Duration::from_secs(30);

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_datapoints_come_back_in_one_get_metric_data_call() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    let db = [("DBInstanceIdentifier", "umami-db")];
    put_metric(
        &cloudwatch,
        "AWS/RDS",
        "CPUUtilization",
        &db,
        &[10.0, 20.0, 30.0],
    )
    .await;
    let now = now_ms();

    let (cloud, calls) = moto.cloud().await;
    let queries = [
        MetricQuery::DbCpu {
            instance: "umami-db".into(),
        },
        MetricQuery::ServiceMemory {
            cluster: "umami".into(),
            service: "umami".into(),
        },
    ];
    let series = cloud
        .metrics
        .metric_series(&queries, now - 60 * MINUTE, now)
        .await
        .unwrap();

    assert_eq!(series.len(), 2);
    assert_eq!(series[0].unit, MetricUnit::Percent);
    let values: Vec<f64> = series[0].values().collect();
    assert_eq!(values, vec![10.0, 20.0, 30.0]);
    assert_eq!(series[0].latest(), Some(30.0));
    assert!(series[1].points.is_empty());
    let metric_calls: u64 = calls
        .calls()
        .iter()
        .filter(|(op, _)| op.contains("GetMetricData"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(metric_calls, 1, "{:?}", calls.calls());
}

/// The stack's series as the panes ask for them: the load balancer found by discovery is the
/// dimension the datapoints were put under, and its two 5xx metrics are added up per minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_on_moto_draws_the_stacks_sparklines() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    let lb = load_balancer_dimension(&umami.load_balancer)
        .unwrap()
        .to_string();
    let db = [("DBInstanceIdentifier", umami.database.as_str())];
    let alb = [("LoadBalancer", lb.as_str())];
    let service = [("ClusterName", "umami"), ("ServiceName", "umami")];
    put_metric(&cloudwatch, "AWS/RDS", "CPUUtilization", &db, &[12.0, 31.5]).await;
    put_metric(
        &cloudwatch,
        "AWS/RDS",
        "DatabaseConnections",
        &db,
        &[4.0, 9.0],
    )
    .await;
    let target_5xx = "HTTPCode_Target_5XX_Count";
    put_metric(
        &cloudwatch,
        "AWS/ApplicationELB",
        target_5xx,
        &alb,
        &[1.0, 3.0],
    )
    .await;
    let elb_5xx = "HTTPCode_ELB_5XX_Count";
    put_metric(
        &cloudwatch,
        "AWS/ApplicationELB",
        elb_5xx,
        &alb,
        &[0.0, 4.0],
    )
    .await;
    let latency = "TargetResponseTime";
    put_metric(
        &cloudwatch,
        "AWS/ApplicationELB",
        latency,
        &alb,
        &[0.05, 0.12],
    )
    .await;
    put_metric(
        &cloudwatch,
        "AWS/ECS",
        "CPUUtilization",
        &service,
        &[40.0, 55.0],
    )
    .await;
    put_metric(
        &cloudwatch,
        "AWS/ECS",
        "MemoryUtilization",
        &service,
        &[60.0, 61.0],
    )
    .await;

    // Through the library: what one refresh of the metrics feed returns.
    let (cloud, calls) = moto.cloud().await;
    let stack = umami.stack();
    let topology = opsdeck::ops::discover::topology(&cloud, &stack)
        .await
        .unwrap();
    let snapshot = opsdeck::ops::discover::metrics(&cloud, &stack, &topology, now_ms())
        .await
        .unwrap();
    let latest = |query: MetricQuery| snapshot.get(&query).and_then(|s| s.latest());
    assert_eq!(
        latest(MetricQuery::Alb5xx {
            load_balancer: lb.clone()
        }),
        Some(7.0)
    );
    assert_eq!(
        latest(MetricQuery::AlbResponseTime {
            load_balancer: lb.clone()
        }),
        Some(0.12)
    );
    let (cpu, memory) = snapshot.service("umami");
    assert_eq!(cpu.and_then(|s| s.latest()), Some(55.0));
    assert_eq!(memory.and_then(|s| s.latest()), Some(61.0));
    let metric_calls = calls
        .calls()
        .iter()
        .filter(|(op, _)| op.contains("GetMetricData"))
        .map(|(_, n)| n)
        .sum::<u64>();
    assert_eq!(metric_calls, 1, "{:?}", calls.calls());

    // Through the binary: the panes draw them.
    let home = tempfile::tempdir().unwrap();
    let env = binary_env(home.path());
    let mut app = PtyApp::start_env(
        &[
            "--endpoint-url",
            &moto.endpoint,
            "--region",
            REGION,
            "--cluster",
            "umami",
            "--service",
            "umami",
        ],
        120,
        40,
        &env,
    );
    app.wait_for("every pane's sparklines", WAIT, |s| {
        s.contains("cpu 55.0%")
            && s.contains("mem 61.0%")
            && s.contains("5xx 7")
            && s.contains("resp 120 ms")
            && s.contains("31.5%")
            && s.contains("cw 0s")
    });
    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
}
