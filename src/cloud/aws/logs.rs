//! CloudWatch Logs, reading: one page of FilterLogEvents at a time, a group's streams, and
//! StartLiveTail sessions.

use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::config::timeout as aws_config_timeout;
use aws_sdk_cloudwatchlogs::types as sdk;

use super::convert::text;
use super::errors::CallContext;
use crate::cloud::{CloudError, CloudResult, LiveTail, LiveTailRequest, LiveTailUpdate, LogsApi};
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

    async fn start_live_tail(&self, request: &LiveTailRequest) -> CloudResult<Box<dyn LiveTail>> {
        let subject = request.group_arns.join(", ");
        let mut call = self
            .client
            .start_live_tail()
            .set_log_group_identifiers(Some(request.group_arns.clone()))
            .set_log_event_filter_pattern(request.filter_pattern.clone());
        // Stream names and prefixes exclude each other; names are the narrower ask.
        call = if request.stream_names.is_empty() {
            call.set_log_stream_name_prefixes(
                Some(request.stream_prefixes.clone()).filter(|p| !p.is_empty()),
            )
        } else {
            call.set_log_stream_names(Some(request.stream_names.clone()))
        };
        // The session is one long answer: the call timeout, meant for calls that should
        // answer at once, would cut it off. A session gone silent is caught in next_update.
        let unbounded = aws_sdk_cloudwatchlogs::config::Builder::default().timeout_config(
            aws_config_timeout::TimeoutConfig::builder()
                .disable_operation_timeout()
                .disable_operation_attempt_timeout()
                .build(),
        );
        let output = call
            .customize()
            .config_override(unbounded)
            .send()
            .await
            .map_err(|e| self.context.error(LIVE_TAIL, &subject, e))?;
        Ok(Box::new(AwsLiveTail {
            receiver: output.response_stream,
            context: self.context.clone(),
            subject,
        }))
    }
}

const LIVE_TAIL: &str = "logs:StartLiveTail";
/// How long a live-tail session may say nothing before it is taken for dead.
const LIVE_TAIL_SILENCE: std::time::Duration = std::time::Duration::from_secs(15);

/// A StartLiveTail session's event stream, as opsdeck's [`LiveTailUpdate`]s.
struct AwsLiveTail {
    receiver: aws_sdk_cloudwatchlogs::primitives::event_stream::EventReceiver<
        sdk::StartLiveTailResponseStream,
        sdk::error::StartLiveTailResponseStreamError,
    >,
    context: CallContext,
    subject: String,
}

#[async_trait]
impl LiveTail for AwsLiveTail {
    async fn next_update(&mut self) -> CloudResult<Option<LiveTailUpdate>> {
        loop {
            // CloudWatch sends a session update every second, matches or not: a session silent
            // for much longer is on a connection that died without closing.
            let message = tokio::time::timeout(LIVE_TAIL_SILENCE, self.receiver.recv())
                .await
                .map_err(|_| CloudError::Unreachable {
                    endpoint: self.context.endpoint.clone(),
                    message: format!(
                        "the live tail sent nothing for {} s",
                        LIVE_TAIL_SILENCE.as_secs()
                    ),
                })?
                .map_err(|e| self.context.error(LIVE_TAIL, &self.subject, e))?;
            let update = match message {
                None => return Ok(None),
                Some(sdk::StartLiveTailResponseStream::SessionStart(_)) => LiveTailUpdate::Started,
                Some(sdk::StartLiveTailResponseStream::SessionUpdate(update)) => {
                    LiveTailUpdate::Events {
                        events: update
                            .session_results()
                            .iter()
                            .map(live_event_from_sdk)
                            .collect(),
                        sampled: update.session_metadata().is_some_and(|m| m.sampled()),
                    }
                }
                // A message type newer than this SDK: nothing opsdeck can show.
                Some(_) => continue,
            };
            return Ok(Some(update));
        }
    }
}

/// Live-tail events carry no event id; the tail dedupes them by stream, time and text.
fn live_event_from_sdk(e: &sdk::LiveTailSessionLogEvent) -> LogEvent {
    LogEvent {
        event_id: String::new(),
        timestamp: e.timestamp().unwrap_or_default(),
        ingestion_time: e.ingestion_time().unwrap_or_default(),
        stream: text(e.log_stream_name()),
        message: text(e.message()),
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
