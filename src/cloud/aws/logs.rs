//! CloudWatch Logs, reading: one page of FilterLogEvents at a time, and a group's streams.

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types as sdk;

use super::convert::text;
use super::errors::CallContext;
use crate::cloud::{CloudResult, LogsApi};
use crate::model::{LogEvent, LogPage, LogQuery, LogStream};

/// A group can hold many thousands of streams; past this many the newest are what matter.
const MAX_STREAMS: usize = 1_000;

pub struct AwsLogs {
    client: Client,
    context: CallContext,
}

impl AwsLogs {
    pub fn new(client: Client, context: CallContext) -> AwsLogs {
        AwsLogs { client, context }
    }
}

#[async_trait]
impl LogsApi for AwsLogs {
    async fn filter_log_events(
        &self,
        query: &LogQuery,
        next_token: Option<&str>,
    ) -> CloudResult<LogPage> {
        let mut request = self
            .client
            .filter_log_events()
            .log_group_name(&query.group)
            .set_start_time(query.start)
            .set_end_time(query.end)
            .set_filter_pattern(query.filter_pattern.clone())
            .set_limit(query.limit.and_then(|l| i32::try_from(l).ok()))
            .set_next_token(next_token.map(str::to_string));
        // The API refuses stream names and a prefix together; names are the narrower ask.
        request = if query.streams.is_empty() {
            request.set_log_stream_name_prefix(query.stream_prefix.clone())
        } else {
            request.set_log_stream_names(Some(query.streams.clone()))
        };
        let output = request
            .send()
            .await
            .map_err(|e| self.context.error("logs:FilterLogEvents", &query.group, e))?;
        Ok(LogPage {
            events: output.events().iter().map(event_from_sdk).collect(),
            next_token: output.next_token().map(str::to_string),
        })
    }

    async fn describe_log_streams(
        &self,
        group: &str,
        prefix: Option<&str>,
    ) -> CloudResult<Vec<LogStream>> {
        let mut request = self.client.describe_log_streams().log_group_name(group);
        // Ordering by last event time is not allowed together with a prefix.
        request = match prefix {
            Some(prefix) => request.log_stream_name_prefix(prefix),
            None => request
                .order_by(sdk::OrderBy::LastEventTime)
                .descending(true),
        };
        let mut pages = request.into_paginator().items().send();
        let mut streams = Vec::new();
        while streams.len() < MAX_STREAMS {
            match pages.next().await {
                Some(Ok(stream)) => streams.push(stream_from_sdk(&stream)),
                Some(Err(e)) => {
                    return Err(self.context.error("logs:DescribeLogStreams", group, e));
                }
                None => break,
            }
        }
        Ok(streams)
    }
}

fn event_from_sdk(e: &sdk::FilteredLogEvent) -> LogEvent {
    LogEvent {
        event_id: text(e.event_id()),
        timestamp: e.timestamp().unwrap_or_default(),
        ingestion_time: e.ingestion_time().unwrap_or_default(),
        stream: text(e.log_stream_name()),
        message: text(e.message()),
    }
}

fn stream_from_sdk(s: &sdk::LogStream) -> LogStream {
    LogStream {
        name: text(s.log_stream_name()),
        last_event_at: s.last_event_timestamp(),
    }
}
