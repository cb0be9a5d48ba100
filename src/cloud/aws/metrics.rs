//! CloudWatch metrics: every sparkline of a refresh in one GetMetricData request, all pages.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricDataResult, MetricStat, ScanBy,
};
use aws_smithy_types::DateTime;

use super::errors::{CallContext, Paged};
use crate::cloud::{CloudResult, MetricsApi};
use crate::model::metrics::METRICS_PERIOD_S;
use crate::model::{MetricQuery, MetricSeries, Millis};

/// GetMetricData takes at most 500 metric queries per request.
const QUERIES_PER_REQUEST: usize = 500;

pub struct AwsMetrics {
    client: Client,
    context: CallContext,
}

impl AwsMetrics {
    pub fn new(client: Client, context: CallContext) -> AwsMetrics {
        AwsMetrics { client, context }
    }

    /// One request (and its further pages) for a chunk of metric queries: id -> points.
    async fn fetch(
        &self,
        queries: Vec<MetricDataQuery>,
        start: Millis,
        end: Millis,
    ) -> CloudResult<BTreeMap<String, Vec<(Millis, f64)>>> {
        let pages: Vec<_> = self
            .client
            .get_metric_data()
            .set_metric_data_queries(Some(queries))
            .start_time(DateTime::from_millis(start))
            .end_time(DateTime::from_millis(end))
            .scan_by(ScanBy::TimestampAscending)
            .into_paginator()
            .send()
            .all(&self.context, "cloudwatch:GetMetricData", "")
            .await?;
        let mut points: BTreeMap<String, Vec<(Millis, f64)>> = BTreeMap::new();
        for result in pages.iter().flat_map(|p| p.metric_data_results()) {
            if let Some(id) = result.id() {
                points
                    .entry(id.to_string())
                    .or_default()
                    .extend(result_points(result));
            }
        }
        Ok(points)
    }
}

#[async_trait]
impl MetricsApi for AwsMetrics {
    async fn metric_series(
        &self,
        queries: &[MetricQuery],
        start: Millis,
        end: Millis,
    ) -> CloudResult<Vec<MetricSeries>> {
        let wanted: Vec<MetricDataQuery> = queries
            .iter()
            .enumerate()
            .flat_map(|(i, q)| data_queries(i, q))
            .collect();
        let mut points = BTreeMap::new();
        for chunk in wanted.chunks(QUERIES_PER_REQUEST) {
            points.extend(self.fetch(chunk.to_vec(), start, end).await?);
        }
        Ok(queries
            .iter()
            .enumerate()
            .map(|(i, query)| MetricSeries {
                query: query.clone(),
                unit: query.unit(),
                points: merged(&points, i),
            })
            .collect())
    }
}

/// The CloudWatch metrics behind one query. ALB 5xx is two metrics (the targets' and the load
/// balancer's own) added up here: moto and older endpoints lack metric math.
fn data_queries(index: usize, query: &MetricQuery) -> Vec<MetricDataQuery> {
    let rds = |name, db: &str| stat("AWS/RDS", name, "Average", &[("DBInstanceIdentifier", db)]);
    let alb = |name, stat_name, lb: &str| {
        stat(
            "AWS/ApplicationELB",
            name,
            stat_name,
            &[("LoadBalancer", lb)],
        )
    };
    let ecs = |name, cluster: &str, service: &str| {
        stat(
            "AWS/ECS",
            name,
            "Average",
            &[("ClusterName", cluster), ("ServiceName", service)],
        )
    };
    let stats = match query {
        MetricQuery::DbCpu { instance } => vec![rds("CPUUtilization", instance)],
        MetricQuery::DbConnections { instance } => vec![rds("DatabaseConnections", instance)],
        MetricQuery::DbFreeStorage { instance } => vec![rds("FreeStorageSpace", instance)],
        MetricQuery::Alb5xx { load_balancer } => vec![
            alb("HTTPCode_Target_5XX_Count", "Sum", load_balancer),
            alb("HTTPCode_ELB_5XX_Count", "Sum", load_balancer),
        ],
        MetricQuery::AlbResponseTime { load_balancer } => {
            vec![alb("TargetResponseTime", "Average", load_balancer)]
        }
        MetricQuery::ServiceCpu { cluster, service } => {
            vec![ecs("CPUUtilization", cluster, service)]
        }
        MetricQuery::ServiceMemory { cluster, service } => {
            vec![ecs("MemoryUtilization", cluster, service)]
        }
    };
    stats
        .into_iter()
        .enumerate()
        .map(|(part, stat)| {
            MetricDataQuery::builder()
                .id(query_id(index, part))
                .metric_stat(stat)
                .return_data(true)
                .build()
        })
        .collect()
}

/// Ids must start with a lower-case letter.
fn query_id(index: usize, part: usize) -> String {
    format!("q{index}_{part}")
}

fn stat(namespace: &str, name: &str, stat: &str, dimensions: &[(&str, &str)]) -> MetricStat {
    let metric = Metric::builder()
        .namespace(namespace)
        .metric_name(name)
        .set_dimensions(Some(
            dimensions
                .iter()
                .map(|(name, value)| Dimension::builder().name(*name).value(*value).build())
                .collect(),
        ))
        .build();
    MetricStat::builder()
        .metric(metric)
        .period(METRICS_PERIOD_S)
        .stat(stat)
        .build()
}

fn result_points(result: &MetricDataResult) -> impl Iterator<Item = (Millis, f64)> + '_ {
    result
        .timestamps()
        .iter()
        .zip(result.values())
        .filter_map(|(time, value)| Some((time.to_millis().ok()?, *value)))
}

/// The points of query `index`, its parts added up per timestamp, oldest first.
fn merged(points: &BTreeMap<String, Vec<(Millis, f64)>>, index: usize) -> Vec<(Millis, f64)> {
    let mut sums: BTreeMap<Millis, f64> = BTreeMap::new();
    for part in 0.. {
        let Some(part_points) = points.get(&query_id(index, part)) else {
            break;
        };
        for (time, value) in part_points {
            *sums.entry(*time).or_default() += value;
        }
    }
    sums.into_iter().collect()
}
