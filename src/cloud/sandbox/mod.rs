//! An in-process simulated AWS account: the example stack, a lifecycle engine and a virtual clock.
//!
//! The engine runs lazily: every call first brings the world up to the clock's now in
//! one-second steps, so nothing runs in the background and a manual clock is deterministic.

mod api;
mod cfn;
mod clock;
mod ecs;
mod engine;
mod ids;
mod logs;
mod materialise;
mod metrics;
mod rds;
mod resources;
mod scenario;
mod scheduler;
mod site;
mod umami;
mod world;

use std::sync::{Arc, Mutex, MutexGuard};

use crate::cloud::{BackendKind, Cloud};
use crate::model::Millis;

#[cfg(test)]
pub(crate) use site::oac_policy;
pub use site::{EXAMPLE_API_DISTRIBUTION, EXAMPLE_BUCKET, EXAMPLE_DISTRIBUTION};
pub use world::{EcrImage, ImageBehaviour};

use world::World;

/// 2026-11-22T09:00:00Z: where the virtual clock of a test starts, so snapshots are stable.
pub const SANDBOX_EPOCH: Millis = 1_795_338_000_000;

/// When a scenario's own deployment (healthy, bad-image, failing-health) begins, after the
/// clock's start.
pub const SCENARIO_DEPLOY_AFTER: Millis = scenario::DEPLOY_AFTER;

/// A named starting state of the simulated account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Scenario {
    /// The example "umami" stack, running; a routine deployment rolls out shortly after start.
    #[default]
    Healthy,
    /// An account with the app's images in ECR (repository `umami`) and no stack yet: for
    /// the bootstrap wizard, whose stack the CloudFormation stand-in then makes real.
    Empty,
    /// A deployment of an image that cannot be pulled: the circuit breaker trips and rolls back.
    BadImage,
    /// Targets fail health checks with Target.ResponseCodeMismatch.
    FailingHealth,
    /// The app writes bursts of log lines.
    LogBurst,
}

impl Scenario {
    /// The name the command line uses (`--scenario bad-image`).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::Empty => "empty",
            Scenario::BadImage => "bad-image",
            Scenario::FailingHealth => "failing-health",
            Scenario::LogBurst => "log-burst",
        }
    }
}

/// How the virtual clock moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// Only `Sandbox::advance` moves it: for tests.
    Manual { start: Millis },
    /// Virtual time runs `speed` times faster than real time from `start`.
    Scaled { start: Millis, speed: f64 },
}

pub struct Sandbox {
    scenario: Scenario,
    world: Mutex<World>,
}

impl Sandbox {
    pub fn new(scenario: Scenario, seed: u64, clock: ClockMode) -> Arc<Sandbox> {
        let clock = clock::Clock::new(clock);
        let start = clock.start();
        let mut world = scenario::build(scenario, seed, clock);
        engine::run_until(&mut world, start);
        Arc::new(Sandbox {
            scenario,
            world: Mutex::new(world),
        })
    }

    /// The traits of every service area, backed by this account.
    pub fn cloud(self: &Arc<Self>) -> Cloud {
        Cloud {
            kind: BackendKind::Sandbox {
                scenario: self.scenario.name().to_string(),
            },
            identity: self.clone(),
            ecs: self.clone(),
            elb: self.clone(),
            rds: self.clone(),
            network: self.clone(),
            edge: self.clone(),
            logs: self.clone(),
            metrics: self.clone(),
            ecr: self.clone(),
            stacks: self.clone(),
            // One simulated region: the companion stack sits beside the others.
            edge_stacks: self.clone(),
            tagging: self.clone(),
            site: self.clone(),
            iam: self.clone(),
            clock: self.clone(),
        }
    }

    /// The same account without ECS's deployment history: ListServiceDeployments,
    /// DescribeServiceDeployments and StopServiceDeployment answer `Unsupported`, as moto and
    /// older partitions do, so the fallback to the `deployments` array can be exercised.
    pub fn without_deployment_history(self: Arc<Self>) -> Arc<Self> {
        self.lock().deployment_history = false;
        self
    }

    /// How the virtual clock moves.
    pub fn clock_mode(&self) -> ClockMode {
        self.lock().clock.mode()
    }

    /// Virtual now.
    pub fn now(&self) -> Millis {
        self.lock().clock.now()
    }

    /// Moves a manual clock forward, running the lifecycle engine up to the new time.
    pub fn advance(&self, ms: Millis) {
        let mut world = self.lock();
        world.clock.advance(ms);
        let now = world.clock.now();
        engine::run_until(&mut world, now);
    }

    pub fn scenario(&self) -> Scenario {
        self.scenario
    }

    /// Makes the next create or update of a resource of this CloudFormation type (say
    /// `AWS::RDS::DBInstance`) fail with a reason like CloudFormation's, so a test or demo
    /// can watch a stack roll back.
    pub fn fail_next_resource(&self, resource_type: &str) {
        self.lock().stacks.fail_next.push(resource_type.to_string());
    }

    /// Makes the account own a public hosted zone for `domain`, as registering the domain
    /// does, unless it has one; answers its id, which a template's `HostedZoneId`
    /// parameter takes.
    pub fn add_hosted_zone(&self, domain: &str) -> String {
        let mut world = self.lock();
        let domain = domain.trim_end_matches('.');
        if let Some(zone) = world.edge.hosted_zones.iter().find(|z| z.name == domain) {
            return zone.id.clone();
        }
        let id = format!("Z{}", ids::alnum(&mut world.rng, 20).to_uppercase());
        world.edge.hosted_zones.push(world::HostedZone {
            id: id.clone(),
            name: domain.to_string(),
        });
        id
    }

    /// Tags a resource outside any stack, as a scenario or a person would; the tagging API
    /// then finds it.
    pub fn tag_resource(&self, arn: &str, key: &str, value: &str) {
        let mut world = self.lock();
        let tags = world.stacks.extra_tags.entry(arn.to_string()).or_default();
        tags.retain(|(k, _)| k != key);
        tags.push((key.to_string(), value.to_string()));
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A panic elsewhere while holding the lock leaves the world consistent at step
        // granularity, so carrying on is better than failing every later call.
        self.world
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The world, run up to the clock's now.
    fn current(&self) -> MutexGuard<'_, World> {
        let mut world = self.lock();
        let now = world.clock.now();
        engine::run_until(&mut world, now);
        world
    }
}
