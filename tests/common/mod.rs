//! Shared test support: the example stack's reference, sandbox dashboards, the pty driver.
#![allow(dead_code)]

pub mod pty;
pub mod stack;

use opsdeck::app::action::Action;
use opsdeck::app::oneshot::load_dashboard;
use opsdeck::app::state::AppState;
use opsdeck::app::update::update;
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::model::StackRef;

/// The sandbox's example stack.
pub fn umami() -> StackRef {
    StackRef {
        name: "umami".into(),
        region: "eu-west-2".into(),
        cluster: "umami".into(),
        service: "umami".into(),
    }
}

/// The dashboard of `scenario` (seed 42) once every feed has loaded, `seconds` after the
/// sandbox starts, at `width`x`height`.
pub fn sandbox_dashboard(
    scenario: Scenario,
    seconds: i64,
    (width, height): (u16, u16),
) -> AppState {
    let sandbox = Sandbox::new(
        scenario,
        42,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    sandbox.advance(seconds * 1000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut state = runtime
        .block_on(load_dashboard(
            &sandbox.cloud(),
            &umami(),
            10_000,
            sandbox.now(),
            300_000,
        ))
        .expect("sandbox dashboard");
    update(&mut state, Action::Resize { width, height });
    state
}
