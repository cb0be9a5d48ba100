//! CloudWatch metrics against moto: datapoints put through the SDK come back through the trait
//! in one GetMetricData call.

#[path = "common/moto.rs"]
mod moto;

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_smithy_types::DateTime;
use moto::Moto;
use opsdeck::model::{MetricQuery, MetricUnit};

const MINUTE: i64 = 60_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// aws-sdk-cloudwatch 1.140 speaks Smithy RPCv2 CBOR, which this moto_server answers with 404;
// it needs a moto with CBOR support (or an SDK pinned to the awsQuery protocol) to run.
#[ignore = "moto_server does not serve CloudWatch's RPCv2 CBOR protocol"]
async fn put_datapoints_come_back_in_one_get_metric_data_call() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let minute = now - now.rem_euclid(MINUTE);
    let db = Dimension::builder()
        .name("DBInstanceIdentifier")
        .value("umami-db")
        .build();
    let data: Vec<MetricDatum> = [(3, 10.0), (2, 20.0), (1, 30.0)]
        .into_iter()
        .map(|(ago, value)| {
            MetricDatum::builder()
                .metric_name("CPUUtilization")
                .dimensions(db.clone())
                .timestamp(DateTime::from_millis(minute - ago * MINUTE))
                .value(value)
                .build()
        })
        .collect();
    cloudwatch
        .put_metric_data()
        .namespace("AWS/RDS")
        .set_metric_data(Some(data))
        .send()
        .await
        .unwrap();

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
