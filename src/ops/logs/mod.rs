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
