//! An in-process simulated AWS account: the example stack, a lifecycle engine and a virtual clock.
//!
//! OWNED BY THE SANDBOX HELPER: the signatures below are the contract the rest of the app uses.

use std::sync::Arc;

use crate::cloud::Cloud;
use crate::model::Millis;

/// 2026-11-22T09:00:00Z: where the virtual clock of a test starts, so snapshots are stable.
pub const SANDBOX_EPOCH: Millis = 1_795_338_000_000;

/// A named starting state of the simulated account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Scenario {
    /// The example "umami" stack, running; a routine deployment rolls out shortly after start.
    #[default]
    Healthy,
    /// An account with no stack: for the bootstrap wizard.
    Empty,
    /// A deployment of an image that cannot be pulled: the circuit breaker trips and rolls back.
    BadImage,
    /// Targets fail health checks with Target.ResponseCodeMismatch.
    FailingHealth,
    /// The app writes bursts of log lines.
    LogBurst,
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
    _todo: (),
}

impl Sandbox {
    pub fn new(scenario: Scenario, seed: u64, clock: ClockMode) -> Arc<Sandbox> {
        unimplemented!("{scenario:?} {seed} {clock:?}")
    }

    /// The traits of every service area, backed by this account.
    pub fn cloud(self: &Arc<Self>) -> Cloud {
        unimplemented!()
    }

    /// Virtual now.
    pub fn now(&self) -> Millis {
        unimplemented!()
    }

    /// Moves a manual clock forward, running the lifecycle engine up to the new time.
    pub fn advance(&self, ms: Millis) {
        unimplemented!("{ms}")
    }
}
