//! AWS calls against moto: one refresh of the dashboard (every feed once, as Ctrl-r asks),
//! the dashboard's first load, and one poll of a release watch.
//!
//! `cargo bench --bench calls` (needs moto_server, as the moto tests do). Targets: a
//! refresh makes no more calls than `opsdeck status` (27 on this stack); a watch poll at
//! most the four `POLL_COST` names for one target group once the tasks are known.

#[path = "../common/moto.rs"]
mod moto;
#[path = "table.rs"]
mod table;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use moto::{Moto, build_umami};
use opsdeck::app::action::{Action, Feed};
use opsdeck::app::workers::Workers;
use opsdeck::config::RefreshIntervals;
use opsdeck::model::wall_clock_ms;
use opsdeck::ops::release::{Progress, Rollout, WatchOptions, watch};

use crate::table::Row;

/// Long enough that no feed reloads by itself while the calls are counted.
const NEVER_MS: u64 = 3_600_000;
/// The feeds a refresh wakes (the logs tail paces itself).
const REFRESHED: [Feed; 6] = [
    Feed::Topology,
    Feed::Ecs,
    Feed::Targets,
    Feed::Rds,
    Feed::Metrics,
    Feed::Site,
];
const WAIT: Duration = Duration::from_secs(60);

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("calls: bench");
        return;
    }
    crate::table::print(&measure());
}

pub fn measure() -> Vec<Row> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let moto = Moto::start();
        let config = moto.sdk_config().await;
        let umami = build_umami(&config, "umami", 2).await;
        put_a_log_line(&config, &umami).await;
        let mut rows = dashboard_calls(&moto, &umami).await;
        rows.extend(watch_poll_calls(&moto, &umami).await);
        rows
    })
}

/// The log group holds one line, so the logs feed has something to send.
async fn put_a_log_line(config: &aws_config::SdkConfig, umami: &moto::Umami) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let task_id = umami.tasks[0].rsplit('/').next().expect("task id");
    let stream = format!("umami/umami/{task_id}");
    logs.create_log_stream()
        .log_group_name(&umami.log_group)
        .log_stream_name(&stream)
        .send()
        .await
        .expect("create stream");
    logs.put_log_events()
        .log_group_name(&umami.log_group)
        .log_stream_name(&stream)
        .log_events(
            InputLogEvent::builder()
                .timestamp(chrono::Utc::now().timestamp_millis())
                .message("GET /api/heartbeat 200 1ms")
                .build()
                .expect("event"),
        )
        .send()
        .await
        .expect("put");
}

/// The dashboard's workers against moto: the calls of the first load, then of one refresh.
async fn dashboard_calls(moto: &Moto, umami: &moto::Umami) -> Vec<Row> {
    let (cloud, calls) = moto.cloud().await;
    let intervals = RefreshIntervals {
        ecs_ms: NEVER_MS,
        targets_ms: NEVER_MS,
        rds_ms: NEVER_MS,
        topology_ms: NEVER_MS,
        logs_ms: NEVER_MS,
        metrics_ms: NEVER_MS,
        site_ms: NEVER_MS,
    };
    let (tx, mut rx) = unbounded_channel();
    let workers = Workers::spawn(cloud, umami.stack(), None, intervals, tx);
    let mut first: Vec<Feed> = REFRESHED.to_vec();
    first.push(Feed::Logs);
    let failed = reports(&mut rx, &first).await;
    settle(&mut rx).await;
    let load = calls.total_calls();
    let load_breakdown = breakdown(&calls.calls());

    calls.reset();
    workers.refresh_all();
    let failed_again = reports(&mut rx, &REFRESHED).await;
    settle(&mut rx).await;
    let refresh = calls.total_calls();
    let refresh_breakdown = breakdown(&calls.calls());
    workers.shutdown().await;

    let failures = |failed: Vec<String>| {
        if failed.is_empty() {
            String::new()
        } else {
            format!("; failed feeds: {}", failed.join(", "))
        }
    };
    vec![
        Row::new(
            "API calls, dashboard's first load (every feed, moto)",
            load as f64,
            "calls",
            "",
        )
        .note(format!("{load_breakdown}{}", failures(failed))),
        Row::new(
            "API calls per refresh (Ctrl-r: every feed once, moto)",
            refresh as f64,
            "calls",
            "<= 27",
        )
        .note(format!("{refresh_breakdown}{}", failures(failed_again))),
    ]
}

/// Waits until each of `feeds` has sent its data or its error; the failures, by feed.
async fn reports(rx: &mut UnboundedReceiver<Action>, feeds: &[Feed]) -> Vec<String> {
    let mut waiting: Vec<Feed> = feeds.to_vec();
    let mut failed = Vec::new();
    while !waiting.is_empty() {
        let action = tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no report from {waiting:?} within {WAIT:?}"))
            .expect("the workers are running");
        let feed = match action {
            Action::Loaded { data, .. } => data.feed(),
            Action::LoadFailed { feed, error, .. } => {
                failed.push(format!("{feed:?} ({error})"));
                feed
            }
            _ => continue,
        };
        waiting.retain(|f| *f != feed);
    }
    failed
}

/// Lets calls still in flight land (and drops what they send).
async fn settle(rx: &mut UnboundedReceiver<Action>) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    while rx.try_recv().is_ok() {}
}

/// `ECS.DescribeServices 2, ...`: the calls by operation.
fn breakdown(calls: &BTreeMap<String, u64>) -> String {
    calls
        .iter()
        .map(|(op, n)| format!("{op} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A watch of the service's current revision as if it were being rolled out. moto starts
/// no deployment and reports no createdAt (0) nor startedBy for tasks: its one deployment
/// is named as an earlier one, and a rollout started at 0 takes the service's tasks as the
/// new deployment's, so each poll describes them as it would on AWS. moto schedules
/// nothing, so the watch polls until its timeout.
async fn watch_poll_calls(moto: &Moto, umami: &moto::Umami) -> Vec<Row> {
    let (cloud, calls) = moto.cloud().await;
    let service = cloud
        .ecs
        .describe_services(&umami.cluster, std::slice::from_ref(&umami.service))
        .await
        .expect("the service")
        .into_iter()
        .next()
        .expect("the service");
    let rollout = Rollout {
        stack: umami.stack(),
        deployment_id: None,
        task_definition: umami.task_definition.clone(),
        previous: umami.task_definition.clone(),
        earlier_deployments: service.deployments.iter().map(|d| d.id.clone()).collect(),
        started_at: 0,
    };
    let options = WatchOptions {
        // The timeout runs from `started_at`: about four seconds of polls from now.
        timeout_ms: wall_clock_ms() + 4_000,
        poll_ms: 200,
        ..WatchOptions::default()
    };
    let polls: Mutex<Vec<BTreeMap<String, u64>>> = Mutex::new(Vec::new());
    calls.reset();
    let sink = |progress: Progress| {
        if let Progress::Poll { .. } = progress {
            polls.lock().expect("polls").push(calls.calls());
        }
    };
    let outcome = watch(&cloud, &rollout, &options, &sink).await;
    let polls = polls.into_inner().expect("polls");
    // Each poll's calls: the difference between the counts after it and after the one before.
    let mut each: Vec<BTreeMap<String, u64>> = Vec::new();
    let mut before = BTreeMap::new();
    for after in &polls {
        each.push(
            after
                .iter()
                .filter_map(|(op, n)| {
                    let was = before.get(op).copied().unwrap_or(0);
                    (*n > was).then(|| (op.clone(), n - was))
                })
                .collect(),
        );
        before = after.clone();
    }
    let total = |poll: &BTreeMap<String, u64>| poll.values().sum::<u64>();
    let Some(first) = each.first() else {
        return vec![Row::missing(
            "API calls per watch poll",
            "no poll",
            "calls",
            "",
        )];
    };
    let mut steady: Vec<&BTreeMap<String, u64>> = each.iter().skip(1).collect();
    steady.sort_by_key(|p| total(p));
    let Some(typical) = steady.get(steady.len() / 2) else {
        return vec![
            Row::new(
                "API calls, watch's first poll (moto)",
                total(first) as f64,
                "calls",
                "",
            )
            .note(format!(
                "the watch ended after one poll: {:?}",
                outcome.verdict
            )),
        ];
    };
    let most = steady.last().map_or(0, |p| total(p));
    vec![
        Row::new(
            "API calls, watch's first poll (moto)",
            total(first) as f64,
            "calls",
            "",
        )
        .note(breakdown(first)),
        Row::new(
            "API calls per watch poll (median, moto)",
            total(typical) as f64,
            "calls",
            "<= 4",
        )
        .note(format!(
            "{}; {} polls, at most {most}{}; on AWS add ecs:DescribeServiceDeployments, which \
             moto does not answer",
            breakdown(typical),
            each.len(),
            if most > total(typical) {
                " (the task lists, every 6th poll)"
            } else {
                ""
            }
        )),
    ]
}
