//! Loads every feed once and returns the dashboard state: for screenshots, tests and benches.

use crate::app::action::{Action, FeedData};
use crate::app::state::AppState;
use crate::app::update::update;
use crate::cloud::{Cloud, CloudResult};
use crate::model::{Millis, StackRef};
use crate::ops::discover;
use crate::ops::logs::{self, LogsError, Narrowing};

/// The dashboard as it looks once every feed has loaded at `now` (the backend's time),
/// with `log_history_ms` of logs.
pub async fn load_dashboard(
    cloud: &Cloud,
    stack: &StackRef,
    log_capacity: usize,
    now: Millis,
    log_history_ms: Millis,
) -> CloudResult<AppState> {
    let mut state = AppState::new(cloud.kind.clone(), stack.clone(), false, log_capacity);
    update(&mut state, Action::Tick(now));
    update(&mut state, Action::Identity(cloud.identity.caller().await?));

    let topology = discover::topology(cloud, stack).await?;
    let (ecs, targets, databases, metrics, site) = tokio::try_join!(
        discover::ecs(cloud, stack),
        discover::target_health(cloud, &topology),
        discover::databases(cloud, &topology),
        discover::metrics(cloud, stack, &topology, now),
        crate::ops::site::discover::snapshot(cloud, &topology.edge),
    )?;
    let logs = match logs::stack_streams(cloud, stack, &Narrowing::default()).await {
        Ok(selection) => logs::read_once(cloud, selection, now - log_history_ms).await?,
        Err(LogsError::Cloud(error)) => return Err(error),
        // A service whose containers log elsewhere just has an empty logs pane.
        Err(_) => Vec::new(),
    };
    for data in [
        FeedData::Topology(Box::new(topology)),
        FeedData::Ecs(ecs),
        FeedData::Targets(targets),
        FeedData::Rds(databases),
        FeedData::Logs(logs),
        FeedData::Metrics(metrics),
        FeedData::Site(site),
    ] {
        update(&mut state, Action::Loaded { data, at: now });
    }
    Ok(state)
}
