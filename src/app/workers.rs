//! Background refresh: one task per feed, each on its own interval, results sent as actions.
//!
//! A feed's loop awaits its own request before sleeping, so a slow backend never has two
//! requests of the same kind in flight. Feeds that hang off the topology (targets, RDS,
//! logs) wait for the first topology and follow later ones through a watch channel.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::action::{Action, Feed, FeedData};
use crate::cloud::{Cloud, CloudResult};
use crate::config::{RefreshIntervals, SiteConfig};
use crate::model::{Millis, SiteSnapshot, StackRef, Topology, wall_clock_ms};
use crate::ops::discover;
use crate::ops::logs::{self, Narrowing, PollOptions, RateLimiter};
use crate::ops::site::discover::{self as site_discover, SiteHint};

/// The newest topology, shared by the feeds that hang off it.
type TopologyWatch = watch::Receiver<Option<Arc<Topology>>>;

/// How far back the logs pane starts when it opens.
const LOG_HISTORY_MS: Millis = 10 * 60 * 1000;
/// How soon to look again at a service whose log streams could not be worked out.
const STREAMS_RETRY: Duration = Duration::from_secs(30);

/// The running feed tasks. Dropping it (or `shutdown`) stops them all.
pub struct Workers {
    cancel: CancellationToken,
    refresh: watch::Sender<u64>,
    tasks: JoinSet<()>,
}

impl Workers {
    pub fn spawn(
        cloud: Cloud,
        stack: StackRef,
        site: Option<SiteConfig>,
        intervals: RefreshIntervals,
        actions: mpsc::UnboundedSender<Action>,
    ) -> Workers {
        let cancel = CancellationToken::new();
        let (refresh, refresh_rx) = watch::channel(0u64);
        let (topology_tx, topology_rx) = watch::channel::<Option<Arc<Topology>>>(None);
        let hint = SiteHint {
            stack: stack.name.clone(),
            site,
        };
        let ctx = FeedContext {
            cloud,
            stack,
            hint,
            actions,
            cancel: cancel.clone(),
            refresh: refresh_rx,
        };
        let mut tasks = JoinSet::new();

        tasks.spawn(identity(ctx.clone()));
        tasks.spawn(topology(
            ctx.clone(),
            ms(intervals.topology_ms),
            topology_tx,
        ));
        tasks.spawn(ecs(ctx.clone(), ms(intervals.ecs_ms)));
        tasks.spawn(targets(
            ctx.clone(),
            ms(intervals.targets_ms),
            topology_rx.clone(),
        ));
        tasks.spawn(rds(ctx.clone(), ms(intervals.rds_ms), topology_rx.clone()));
        tasks.spawn(metrics(
            ctx.clone(),
            ms(intervals.metrics_ms),
            topology_rx.clone(),
        ));
        tasks.spawn(site_feed(
            ctx.clone(),
            ms(intervals.site_ms),
            topology_rx.clone(),
        ));
        // One FilterLogEvents budget for every poller of this account and region.
        let logs_limiter = Arc::new(RateLimiter::filter_log_events());
        tasks.spawn(logs(ctx, ms(intervals.logs_ms), topology_rx, logs_limiter));
        Workers {
            cancel,
            refresh,
            tasks,
        }
    }

    /// Wakes every feed for an immediate reload.
    pub fn refresh_all(&self) {
        // A generation counter: a loop that is mid-request sees the change on its next wait.
        self.refresh.send_modify(|generation| *generation += 1);
    }

    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.cancel.cancel();
        self.tasks.abort_all();
    }
}

#[derive(Clone)]
struct FeedContext {
    cloud: Cloud,
    stack: StackRef,
    /// The site the config names, for discovery.
    hint: SiteHint,
    actions: mpsc::UnboundedSender<Action>,
    cancel: CancellationToken,
    refresh: watch::Receiver<u64>,
}

impl FeedContext {
    fn send(&self, feed: Feed, result: Result<FeedData, String>) {
        let at = wall_clock_ms();
        match &result {
            Ok(_) => tracing::debug!(?feed, "loaded"),
            Err(error) => tracing::warn!(?feed, %error, "load failed"),
        }
        let action = match result {
            Ok(data) => Action::Loaded { data, at },
            Err(error) => Action::LoadFailed { feed, error, at },
        };
        // The receiver is gone only when the app is quitting.
        let _ = self.actions.send(action);
    }

    /// Sleeps for `interval`, or less if a refresh is asked for. False once cancelled.
    async fn wait(&mut self, interval: Duration) -> bool {
        tokio::select! {
            _ = self.cancel.cancelled() => false,
            _ = tokio::time::sleep(interval) => true,
            changed = self.refresh.changed() => changed.is_ok(),
        }
    }
}

async fn identity(ctx: FeedContext) {
    match ctx.cloud.identity.caller().await {
        Ok(identity) => {
            let _ = ctx.actions.send(Action::Identity(identity));
        }
        Err(error) => {
            let _ = ctx.actions.send(Action::LoadFailed {
                feed: Feed::Topology,
                error: error.to_string(),
                at: wall_clock_ms(),
            });
        }
    }
}

async fn topology(
    mut ctx: FeedContext,
    interval: Duration,
    publish: watch::Sender<Option<Arc<Topology>>>,
) {
    loop {
        let result = discover::topology_with(&ctx.cloud, &ctx.stack, &ctx.hint).await;
        match result {
            Ok(topology) => {
                let topology = Arc::new(topology);
                publish.send_replace(Some(topology.clone()));
                ctx.send(
                    Feed::Topology,
                    Ok(FeedData::Topology(Box::new((*topology).clone()))),
                );
            }
            Err(error) => ctx.send(Feed::Topology, Err(error.to_string())),
        }
        if !ctx.wait(interval).await {
            return;
        }
    }
}

async fn ecs(ctx: FeedContext, interval: Duration) {
    let (cloud, stack) = (ctx.cloud.clone(), ctx.stack.clone());
    reload_every(ctx, Feed::Ecs, interval, move || {
        let (cloud, stack) = (cloud.clone(), stack.clone());
        async move { discover::ecs(&cloud, &stack).await.map(FeedData::Ecs) }
    })
    .await;
}

async fn targets(ctx: FeedContext, interval: Duration, topology: TopologyWatch) {
    let Some(latest) = latest_topology(&ctx, topology).await else {
        return;
    };
    let cloud = ctx.cloud.clone();
    reload_every(ctx, Feed::Targets, interval, move || {
        let (cloud, topology) = (cloud.clone(), latest());
        async move {
            discover::target_health(&cloud, &topology)
                .await
                .map(FeedData::Targets)
        }
    })
    .await;
}

async fn rds(ctx: FeedContext, interval: Duration, topology: TopologyWatch) {
    let Some(latest) = latest_topology(&ctx, topology).await else {
        return;
    };
    let cloud = ctx.cloud.clone();
    reload_every(ctx, Feed::Rds, interval, move || {
        let (cloud, topology) = (cloud.clone(), latest());
        async move {
            discover::databases(&cloud, &topology)
                .await
                .map(FeedData::Rds)
        }
    })
    .await;
}

async fn metrics(ctx: FeedContext, interval: Duration, topology: TopologyWatch) {
    let Some(latest) = latest_topology(&ctx, topology).await else {
        return;
    };
    let (cloud, stack) = (ctx.cloud.clone(), ctx.stack.clone());
    reload_every(ctx, Feed::Metrics, interval, move || {
        let (cloud, stack, topology) = (cloud.clone(), stack.clone(), latest());
        async move {
            discover::metrics(&cloud, &stack, &topology, wall_clock_ms())
                .await
                .map(FeedData::Metrics)
        }
    })
    .await;
}

/// The site's invalidations and bucket contents; no call at all for a stack with no edge.
async fn site_feed(ctx: FeedContext, interval: Duration, topology: TopologyWatch) {
    let Some(latest) = latest_topology(&ctx, topology).await else {
        return;
    };
    let cloud = ctx.cloud.clone();
    reload_every(ctx, Feed::Site, interval, move || {
        let (cloud, topology) = (cloud.clone(), latest());
        async move {
            if topology.edge.is_empty() {
                return Ok(FeedData::Site(SiteSnapshot::default()));
            }
            site_discover::snapshot(&cloud, &topology.edge)
                .await
                .map(FeedData::Site)
        }
    })
    .await;
}

/// Loads a feed, sends the result, and waits for the next interval or a refresh, until
/// the app quits.
async fn reload_every<Load, Loading>(
    mut ctx: FeedContext,
    feed: Feed,
    interval: Duration,
    mut load: Load,
) where
    Load: FnMut() -> Loading,
    Loading: Future<Output = CloudResult<FeedData>>,
{
    loop {
        match load().await {
            // The ECS feed is the one that asks for the stack's cluster and service.
            Err(error) if feed == Feed::Ecs && discover::is_stack_absent(&error) => {
                let _ = ctx.actions.send(Action::StackAbsent(error.to_string()));
            }
            result => ctx.send(feed, result.map_err(|e| e.to_string())),
        }
        if !ctx.wait(interval).await {
            return;
        }
    }
}

/// Waits for the first topology; None if cancelled first.
async fn first_topology(ctx: &FeedContext, rx: &mut TopologyWatch) -> Option<Arc<Topology>> {
    tokio::select! {
        _ = ctx.cancel.cancelled() => None,
        found = rx.wait_for(Option::is_some) => found.ok().and_then(|t| t.clone()),
    }
}

/// Waits for the first topology, then gives a function that returns the newest one.
async fn latest_topology(
    ctx: &FeedContext,
    mut topology: TopologyWatch,
) -> Option<impl Fn() -> Arc<Topology> + use<>> {
    let first = first_topology(ctx, &mut topology).await?;
    Some(move || topology.borrow().clone().unwrap_or_else(|| first.clone()))
}

/// Tails the service's streams; the engine paces its own polls and backs off when
/// throttled, so this loop only forwards batches.
async fn logs(
    mut ctx: FeedContext,
    interval: Duration,
    mut topology: TopologyWatch,
    limiter: Arc<RateLimiter>,
) {
    if first_topology(&ctx, &mut topology).await.is_none() {
        return;
    }
    let selection = loop {
        match logs::stack_streams(&ctx.cloud, &ctx.stack, &Narrowing::default()).await {
            Ok(selection) => break selection,
            Err(error) => ctx.send(Feed::Logs, Err(error.to_string())),
        }
        // A task definition without awslogs changes only with a deploy: no need to hurry.
        if !ctx.wait(STREAMS_RETRY).await {
            return;
        }
    };
    let how = logs::TailChoice {
        live: true,
        poll: PollOptions {
            interval,
            ..PollOptions::from(wall_clock_ms() - LOG_HISTORY_MS)
        },
    };
    let mut sampled = false;
    let mut tail = match logs::open_tail(&ctx.cloud, selection, limiter, how).await {
        Ok((tail, fallback)) => {
            if let Some(reason) = fallback {
                tracing::info!(%reason, "live tail unavailable; polling FilterLogEvents");
            }
            tail
        }
        Err(error) => {
            ctx.send(Feed::Logs, Err(error.to_string()));
            return;
        }
    };
    loop {
        let batch = tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            batch = tail.next() => batch,
        };
        if let Ok(batch) = &batch
            && batch.sampled != sampled
        {
            sampled = batch.sampled;
            let _ = ctx.actions.send(Action::LogsSampled(sampled));
        }
        ctx.send(
            Feed::Logs,
            batch
                .map(|b| FeedData::Logs(b.events))
                .map_err(|e| e.to_string()),
        );
    }
}

fn ms(value: u64) -> Duration {
    Duration::from_millis(value.max(100))
}
