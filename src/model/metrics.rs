//! CloudWatch metric series for the dashboard's sparklines: what is asked for and what comes back.

use serde::Serialize;

use super::Millis;

/// Sparklines cover the last hour at one-minute resolution.
pub const METRICS_WINDOW_MS: Millis = 60 * 60 * 1000;
/// CloudWatch's basic resolution for these namespaces.
pub const METRICS_PERIOD_S: i32 = 60;

/// A metric the dashboard draws, with the resource it is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "metric")]
pub enum MetricQuery {
    /// AWS/RDS CPUUtilization (percent) of a DB instance.
    DbCpu { instance: String },
    /// AWS/RDS DatabaseConnections (count).
    DbConnections { instance: String },
    /// AWS/RDS FreeStorageSpace (bytes).
    DbFreeStorage { instance: String },
    /// AWS/ApplicationELB HTTPCode_Target_5XX_Count + HTTPCode_ELB_5XX_Count (sum per minute).
    /// `load_balancer` is the dimension value `app/<name>/<id>`.
    Alb5xx { load_balancer: String },
    /// AWS/ApplicationELB TargetResponseTime (average, seconds).
    AlbResponseTime { load_balancer: String },
    /// AWS/ECS CPUUtilization (percent) of a service.
    ServiceCpu { cluster: String, service: String },
    /// AWS/ECS MemoryUtilization (percent) of a service.
    ServiceMemory { cluster: String, service: String },
}

/// The unit a series is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricUnit {
    Percent,
    Count,
    Bytes,
    Seconds,
}

/// One query's datapoints, oldest first. Minutes without data are absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSeries {
    pub query: MetricQuery,
    pub unit: MetricUnit,
    pub points: Vec<(Millis, f64)>,
}

impl MetricSeries {
    /// The newest datapoint's value.
    pub fn latest(&self) -> Option<f64> {
        self.points.last().map(|(_, v)| *v)
    }

    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.points.iter().map(|(_, v)| *v)
    }
}

impl MetricQuery {
    pub fn unit(&self) -> MetricUnit {
        match self {
            MetricQuery::DbCpu { .. }
            | MetricQuery::ServiceCpu { .. }
            | MetricQuery::ServiceMemory { .. } => MetricUnit::Percent,
            MetricQuery::DbConnections { .. } | MetricQuery::Alb5xx { .. } => MetricUnit::Count,
            MetricQuery::DbFreeStorage { .. } => MetricUnit::Bytes,
            MetricQuery::AlbResponseTime { .. } => MetricUnit::Seconds,
        }
    }
}

/// `arn:aws:elasticloadbalancing:...:loadbalancer/app/<name>/<id>` -> `app/<name>/<id>`,
/// the form CloudWatch's LoadBalancer dimension takes.
pub fn load_balancer_dimension(arn: &str) -> Option<&str> {
    arn.split_once(":loadbalancer/").map(|(_, rest)| rest)
}

/// The series the dashboard shows for a stack: each database, each load balancer, the service.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MetricsSnapshot {
    pub series: Vec<MetricSeries>,
}

impl MetricsSnapshot {
    pub fn get(&self, query: &MetricQuery) -> Option<&MetricSeries> {
        self.series.iter().find(|s| &s.query == query)
    }

    /// A service's CPU and memory series, found by the service's name: a dashboard shows one
    /// cluster, so the name is enough.
    pub fn service(&self, name: &str) -> (Option<&MetricSeries>, Option<&MetricSeries>) {
        let find = |memory: bool| {
            self.series.iter().find(|s| match &s.query {
                MetricQuery::ServiceCpu { service, .. } => !memory && service == name,
                MetricQuery::ServiceMemory { service, .. } => memory && service == name,
                _ => false,
            })
        };
        (find(false), find(true))
    }

    /// Each load balancer with series, as `(dimension, 5xx, response time)`, in query order.
    pub fn load_balancers(&self) -> Vec<(&str, Option<&MetricSeries>, Option<&MetricSeries>)> {
        let mut seen: Vec<&str> = Vec::new();
        for series in &self.series {
            if let MetricQuery::Alb5xx { load_balancer }
            | MetricQuery::AlbResponseTime { load_balancer } = &series.query
                && !seen.contains(&load_balancer.as_str())
            {
                seen.push(load_balancer);
            }
        }
        seen.into_iter()
            .map(|lb| {
                let errors = self.get(&MetricQuery::Alb5xx {
                    load_balancer: lb.to_string(),
                });
                let latency = self.get(&MetricQuery::AlbResponseTime {
                    load_balancer: lb.to_string(),
                });
                (lb, errors, latency)
            })
            .collect()
    }
}

/// `app/<name>/<id>` -> `<name>`: how the console names a load balancer.
pub fn load_balancer_name(dimension: &str) -> &str {
    dimension.split('/').nth(1).unwrap_or(dimension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_balancer_dimension_is_the_arn_after_loadbalancer() {
        let arn = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/umami/50dc6c495c0c9188";
        assert_eq!(
            load_balancer_dimension(arn),
            Some("app/umami/50dc6c495c0c9188")
        );
        assert_eq!(load_balancer_dimension("nonsense"), None);
        assert_eq!(load_balancer_name("app/umami/50dc6c495c0c9188"), "umami");
        assert_eq!(load_balancer_name("odd"), "odd");
    }
}
