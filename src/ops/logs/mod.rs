//! The service's logs: which streams, the tail engine, the pane's buffer and line features.

pub mod buffer;
pub mod command;
pub mod filter;
pub mod limiter;
pub mod line;
pub mod live;
pub mod sanitize;
pub mod streams;
pub mod tail;

pub use buffer::{BufferLimits, LogBuffer, LogLine};
pub use filter::{FilterError, FilterSpec, FilteredLines, LineFilter};
pub use limiter::RateLimiter;
pub use line::{
    ExportError, Severity, export_lines, iso_timestamp, plain_line, pretty_json, severity,
};
pub use live::{LiveOptions, LiveSource};
pub use sanitize::sanitize;
pub use streams::{Narrowing, SelectionError, StreamSelection, service_streams};
pub use tail::{LogTail, PollOptions, TailBatch, TailSource};

use std::sync::Arc;

use crate::cloud::{Cloud, CloudError, CloudResult};
use crate::model::{LogEvent, Millis, StackRef};
use crate::ops::discover;

#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    #[error(transparent)]
    Cloud(#[from] CloudError),
    #[error(transparent)]
    Selection(#[from] SelectionError),
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error("--since {value}: {reason}")]
    BadSince { value: String, reason: String },
    #[error("cannot write the logs: {0}")]
    Output(#[source] std::io::Error),
}

/// The log streams of the stack's service, from its current task definition.
pub async fn stack_streams(
    cloud: &Cloud,
    stack: &StackRef,
    narrowing: &Narrowing,
) -> Result<StreamSelection, LogsError> {
    let service = discover::stack_service(cloud, stack).await?;
    let definition = cloud
        .ecs
        .describe_task_definition(&service.task_definition)
        .await?;
    Ok(service_streams(&definition, narrowing)?)
}

/// Every event of the selection from `start` up to now, read once (for a snapshot).
pub async fn read_once(
    cloud: &Cloud,
    selection: StreamSelection,
    start: Millis,
) -> CloudResult<Vec<LogEvent>> {
    let limiter = Arc::new(RateLimiter::filter_log_events());
    let mut tail = LogTail::polling(
        cloud.logs.clone(),
        limiter,
        selection,
        PollOptions::from(start),
    );
    let mut events = Vec::new();
    loop {
        let batch = tail.next().await?;
        events.extend(batch.events);
        if batch.caught_up {
            return Ok(events);
        }
    }
}

/// How to follow logs: live when possible, else polling with these options.
#[derive(Debug, Clone)]
pub struct TailChoice {
    /// Try StartLiveTail first (on AWS; emulators and the sandbox fall back to polling).
    pub live: bool,
    /// Where to start, and the polling settings, which a live tail also uses for backfill.
    pub poll: PollOptions,
}

/// The tail the pane and `opsdeck logs` follow: StartLiveTail on AWS unless `live` is off;
/// otherwise, or when live tail is not available (an emulator, an older partition),
/// FilterLogEvents polling. Returns why live tail was not used, when it was tried.
pub async fn open_tail(
    cloud: &Cloud,
    selection: StreamSelection,
    limiter: Arc<RateLimiter>,
    how: TailChoice,
) -> Result<(LogTail, Option<String>), LogsError> {
    let on_aws = matches!(cloud.kind, crate::cloud::BackendKind::Aws { .. });
    let mut fallback = None;
    if how.live && on_aws {
        match start_live(cloud, &selection, &limiter, &how.poll).await {
            Ok(live) => return Ok((LogTail::new(Box::new(live)), None)),
            // Credentials problems would fail polling too: say them now, once.
            Err(
                error @ (CloudError::NoCredentials
                | CloudError::SsoExpired { .. }
                | CloudError::AccessDenied { .. }),
            ) => return Err(error.into()),
            Err(error) => fallback = Some(error.to_string()),
        }
    }
    let tail = LogTail::polling(cloud.logs.clone(), limiter, selection, how.poll);
    Ok((tail, fallback))
}

async fn start_live(
    cloud: &Cloud,
    selection: &StreamSelection,
    limiter: &Arc<RateLimiter>,
    poll: &PollOptions,
) -> Result<LiveSource, CloudError> {
    let account = cloud.identity.caller().await?.account_id;
    let options = LiveOptions {
        filter_pattern: poll.filter_pattern.clone(),
        ..LiveOptions::from(poll.start)
    };
    LiveSource::start(
        cloud.logs.clone(),
        limiter.clone(),
        selection.clone(),
        &account,
        options,
    )
    .await
}
