//! What the workers send back: each feed's data or failure, and what is derived from them.

use super::selection::clamp_selections;
use crate::app::action::{Feed, FeedData};
use crate::app::state::AppState;
use crate::ops;

/// A feed failed: its pane says why, and so does the status bar.
pub(super) fn failed(state: &mut AppState, feed: Feed, error: String) {
    let label = feed_label(feed);
    match feed {
        Feed::Topology => state.topology.error = Some(error.clone()),
        Feed::Ecs => state.ecs.error = Some(error.clone()),
        Feed::Targets => state.targets.error = Some(error.clone()),
        Feed::Rds => state.rds.error = Some(error.clone()),
        Feed::Logs => state.logs_error = Some(error.clone()),
        Feed::Metrics => state.metrics.error = Some(error.clone()),
        Feed::Site => state.site.error = Some(error.clone()),
    }
    state.last_error = Some(format!("{label}: {error}"));
}

/// The stack's cluster or service is not there: the ECS pane says why, and the screen
/// offers to bootstrap one.
pub(super) fn absent(state: &mut AppState, error: String) {
    failed(state, Feed::Ecs, error);
    state.stack_absent = true;
}

pub(super) fn loaded(state: &mut AppState, data: FeedData, at: i64) {
    // The status bar's error was this feed's, and the feed is back: it is no longer true.
    let prefix = format!("{}: ", feed_label(data.feed()));
    if state
        .last_error
        .as_deref()
        .is_some_and(|e| e.starts_with(&prefix))
    {
        state.last_error = None;
    }
    match data {
        FeedData::Topology(topology) => {
            state.topology.data = Some(*topology);
            state.topology.at = Some(at);
            state.topology.error = None;
        }
        FeedData::Ecs(snapshot) => {
            state.stack_absent = false;
            state.ecs.data = Some(snapshot);
            state.ecs.at = Some(at);
            state.ecs.error = None;
        }
        FeedData::Targets(targets) => {
            state.targets.data = Some(targets);
            state.targets.at = Some(at);
            state.targets.error = None;
        }
        FeedData::Rds(databases) => {
            state.rds.data = Some(databases);
            state.rds.at = Some(at);
            state.rds.error = None;
        }
        FeedData::Logs(events) => {
            for event in &events {
                state.logs.push(event);
            }
            let arrived = match &mut state.logs_pane.shown {
                Some(shown) => shown.update(&state.logs),
                None => events.len(),
            };
            // A paused view stays on the same lines while new ones arrive below it.
            if !state.logs_pane.follow {
                state.logs_pane.scroll =
                    (state.logs_pane.scroll + arrived).min(state.log_view_len().saturating_sub(1));
            }
            state.logs_at = Some(at);
            state.logs_error = None;
            return;
        }
        FeedData::Site(site) => {
            state.site.data = Some(site);
            state.site.at = Some(at);
            state.site.error = None;
        }
        FeedData::Metrics(metrics) => {
            state.metrics.data = Some(metrics);
            state.metrics.at = Some(at);
            state.metrics.error = None;
            // Sparklines feed neither the graph nor the selections.
            return;
        }
    }
    rebuild_graph(state);
    clamp_selections(state);
}

/// The graph and the findings follow from the feeds, so they are rebuilt when one changes.
fn rebuild_graph(state: &mut AppState) {
    if let Some(topology) = &state.topology.data {
        state.graph = ops::graph::build(
            topology,
            &state.stack.service,
            state.ecs.data.as_ref(),
            state.targets.data.as_deref(),
            state.rds.data.as_deref(),
        );
        state.findings = ops::findings::findings(
            topology,
            state.targets.data.as_deref().unwrap_or_default(),
            state.ecs.data.as_ref().map_or(&[], |e| e.tasks.as_slice()),
        );
    }
}

fn feed_label(feed: Feed) -> &'static str {
    match feed {
        Feed::Topology => "network",
        Feed::Ecs => "ecs",
        Feed::Targets => "targets",
        Feed::Rds => "rds",
        Feed::Logs => "logs",
        Feed::Metrics => "metrics",
        Feed::Site => "site",
    }
}
