//! CloudWatch metrics of the simulated account: plausible minute series derived from its state.
//!
//! Nothing is recorded as the engine runs; a series is computed when asked, from the world
//! as it is now plus noise seeded by the minute, so the same clock gives the same picture.

use std::f64::consts::TAU;

use async_trait::async_trait;

use super::Sandbox;
use super::world::World;
use crate::cloud::{CloudResult, MetricsApi};
use crate::model::metrics::load_balancer_dimension;
use crate::model::{MetricQuery, MetricSeries, Millis, TargetState, TaskStatus};

const MINUTE: Millis = 60_000;
/// The engine takes this much free storage off each database every minute.
const STORAGE_USED_PER_MINUTE: f64 = 180_000.0;

#[async_trait]
impl MetricsApi for Sandbox {
    async fn metric_series(
        &self,
        queries: &[MetricQuery],
        start: Millis,
        end: Millis,
    ) -> CloudResult<Vec<MetricSeries>> {
        let world = self.current();
        let minutes = minutes(start, end.min(world.now));
        Ok(queries
            .iter()
            .map(|query| MetricSeries {
                query: query.clone(),
                unit: query.unit(),
                points: series(&world, query, &minutes),
            })
            .collect())
    }
}

/// The minute boundaries CloudWatch would report in `[start, end]`.
fn minutes(start: Millis, end: Millis) -> Vec<Millis> {
    let first = start + (MINUTE - start.rem_euclid(MINUTE)) % MINUTE;
    (0..)
        .map(|i| first + i * MINUTE)
        .take_while(|t| *t <= end)
        .collect()
}

fn series(world: &World, query: &MetricQuery, minutes: &[Millis]) -> Vec<(Millis, f64)> {
    let Some(value) = model_of(world, query) else {
        return Vec::new();
    };
    minutes.iter().map(|t| (*t, value(*t))).collect()
}

/// A function from minute to value for a query, or None when the resource does not exist.
fn model_of<'w>(
    world: &'w World,
    query: &'w MetricQuery,
) -> Option<Box<dyn Fn(Millis) -> f64 + 'w>> {
    let now = world.now;
    Some(match query {
        MetricQuery::DbCpu { instance } => {
            known_db(world, instance)?;
            let tasks = running_tasks(world) as f64;
            Box::new(move |t| 6.0 + 3.0 * tasks + wave(t, 45) * 2.0 + noise(t, 1) * 3.0)
        }
        MetricQuery::DbConnections { instance } => {
            known_db(world, instance)?;
            // Each app task holds a small pool open.
            let tasks = running_tasks(world) as f64;
            Box::new(move |t| (5.0 * tasks + (noise(t, 2) * 3.0)).round())
        }
        MetricQuery::DbFreeStorage { instance } => {
            let db = world.databases.iter().find(|d| &d.id == instance)?;
            let free_now = db
                .free_storage_bytes
                .map_or_else(|| f64::from(db.allocated_storage_gb) * 0.7e9, |b| b as f64);
            Box::new(move |t| free_now + STORAGE_USED_PER_MINUTE * ((now - t) / MINUTE) as f64)
        }
        MetricQuery::Alb5xx { load_balancer } => {
            let unhealthy_since = unhealthy_since(world, load_balancer)?;
            Box::new(move |t| match unhealthy_since {
                Some(since) if t >= since => (12.0 + noise(t, 3) * 10.0).round(),
                _ => 0.0,
            })
        }
        MetricQuery::AlbResponseTime { load_balancer } => {
            let unhealthy_since = unhealthy_since(world, load_balancer)?;
            Box::new(move |t| {
                let slow = unhealthy_since.is_some_and(|since| t >= since);
                0.04 + noise(t, 4) * 0.03 + if slow { 0.4 } else { 0.0 }
            })
        }
        MetricQuery::ServiceCpu { service, .. } => {
            let sim = world.services.iter().find(|s| &s.name == service)?;
            // A rollout runs old and new tasks side by side and warms caches.
            let deploy_from = (sim.deployments.len() > 1)
                .then(|| sim.deployments.first().map(|d| d.created_at))
                .flatten();
            let bursts = world.quirks.log_bursts;
            Box::new(move |t| {
                let deploying = deploy_from.is_some_and(|from| t >= from);
                let burst = bursts && (t / MINUTE) % 7 == 0;
                18.0 + wave(t, 20) * 6.0
                    + noise(t, 5) * 4.0
                    + if deploying { 25.0 } else { 0.0 }
                    + if burst { 30.0 } else { 0.0 }
            })
        }
        MetricQuery::ServiceMemory { service, .. } => {
            world.services.iter().find(|s| &s.name == service)?;
            Box::new(move |t| 41.0 + wave(t, 90) * 3.0 + noise(t, 6) * 2.0)
        }
    })
}

fn known_db(world: &World, instance: &str) -> Option<()> {
    world
        .databases
        .iter()
        .any(|d| d.id == instance)
        .then_some(())
}

/// Running tasks of every service: all of them talk to the database.
fn running_tasks(world: &World) -> usize {
    world
        .tasks
        .iter()
        .filter(|t| t.task.last_status == TaskStatus::Running)
        .count()
}

/// For a load balancer (by its CloudWatch dimension): since when one of its targets has been
/// unhealthy (None when all are well); the outer None when there is no such load balancer.
fn unhealthy_since(world: &World, dimension: &str) -> Option<Option<Millis>> {
    let lb = world
        .elb
        .load_balancers
        .iter()
        .find(|lb| load_balancer_dimension(&lb.arn) == Some(dimension))?;
    let groups: Vec<&str> = world
        .elb
        .target_groups
        .iter()
        .filter(|g| g.load_balancer_arns.contains(&lb.arn))
        .map(|g| g.arn.as_str())
        .collect();
    Some(
        world
            .elb
            .targets
            .iter()
            .filter(|t| groups.contains(&t.group_arn.as_str()))
            .filter(|t| t.state == TargetState::Unhealthy)
            .filter_map(|t| t.unhealthy_since)
            .min(),
    )
}

/// A slow swing between -1 and 1 with the given period in minutes.
fn wave(t: Millis, period_minutes: i64) -> f64 {
    let phase = (t / MINUTE).rem_euclid(period_minutes) as f64 / period_minutes as f64;
    (phase * TAU).sin()
}

/// Noise in [0, 1) that depends only on the minute and which series it is for.
fn noise(t: Millis, salt: u64) -> f64 {
    // splitmix64: cheap, well mixed, and stable across platforms.
    let mut z = ((t / MINUTE) as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_the_boundaries_inside_the_window() {
        assert_eq!(minutes(59_000, 180_000), vec![60_000, 120_000, 180_000]);
        assert_eq!(minutes(60_000, 60_000), vec![60_000]);
    }

    #[test]
    fn noise_is_stable_and_in_range() {
        let a = noise(1_795_338_000_000, 1);
        assert_eq!(a, noise(1_795_338_000_000, 1));
        assert!((0.0..1.0).contains(&a));
        assert_ne!(a, noise(1_795_338_000_000, 2));
    }
}
