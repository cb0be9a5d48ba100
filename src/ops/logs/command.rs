//! `opsdeck logs`: the service's logs on stdout, like `aws logs tail`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::io::AsyncWriteExt;

use super::buffer::{stream_container, stream_task_id};
use super::line::{Severity, iso_timestamp, severity};
use super::sanitize::{is_unsafe_char, sanitize};
use super::tail::LogTail;
use super::{LogsError, Narrowing, PollOptions, RateLimiter, TailChoice, open_tail, stack_streams};
use crate::cloud::Cloud;
use crate::model::{LogEvent, Millis, StackRef, wall_clock_ms};

/// What `opsdeck logs` was asked for, in plain values (the CLI's flags map onto it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogsOptions {
    /// Keep printing new lines until Ctrl-C.
    pub follow: bool,
    /// How far back to start: `30s`, `10m`, `2h`, `1d`, or an RFC 3339 time.
    pub since: String,
    /// A CloudWatch filter pattern, applied by AWS.
    pub filter: Option<String>,
    pub task: Option<String>,
    pub container: Option<String>,
    /// One JSON object per line.
    pub json: bool,
    /// Poll FilterLogEvents instead of using a live tail.
    pub poll: bool,
}

/// Prints the stack service's logs until caught up, or until Ctrl-C or a closed pipe with
/// `--follow`. A reader that goes away (`| head`) is a normal end, not an error.
pub async fn run(cloud: &Cloud, stack: &StackRef, args: &LogsOptions) -> Result<(), LogsError> {
    let start = since_start(&args.since, wall_clock_ms())?;
    let narrowing = Narrowing {
        task: args.task.clone(),
        container: args.container.clone(),
    };
    let selection = stack_streams(cloud, stack, &narrowing).await?;
    let limiter = Arc::new(RateLimiter::filter_log_events());
    let how = TailChoice {
        live: args.follow && !args.poll,
        poll: PollOptions {
            filter_pattern: args.filter.clone(),
            ..PollOptions::from(start)
        },
    };
    let (mut tail, fallback) = open_tail(cloud, selection, limiter, how).await?;
    if let Some(reason) = fallback {
        eprintln!("live tail unavailable ({reason}); polling FilterLogEvents");
    }
    let format = Format::for_stdout(args.json);
    let mut stdout = tokio::io::stdout();
    let mut stderr = std::io::stderr();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        result = print_tail(&mut tail, &mut stdout, &mut stderr, format, args.follow) => result,
    }
}

/// The first wait after a failed read while following; it doubles up to [`MAX_RETRY_WAIT`].
const FIRST_RETRY_WAIT: Duration = Duration::from_secs(1);
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// Writes the tail's batches to `out` until caught up (or for ever with `follow`). While
/// following, a failure that may pass (a dropped connection, throttling, a live-tail session
/// that ended badly) is said on `notes` and retried with backoff: the tail resumes where it
/// was, losing nothing. One that will not pass (credentials, access, a deleted log group)
/// ends the command.
pub async fn print_tail<W>(
    tail: &mut LogTail,
    out: &mut W,
    notes: &mut dyn std::io::Write,
    format: Format,
    follow: bool,
) -> Result<(), LogsError>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut sampled = false;
    let mut wait = FIRST_RETRY_WAIT;
    loop {
        let batch = match tail.next().await {
            Ok(batch) => {
                wait = FIRST_RETRY_WAIT;
                batch
            }
            Err(error) if follow && error.may_pass() => {
                let _ = writeln!(notes, "opsdeck: {error}; retrying in {}s", wait.as_secs());
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_RETRY_WAIT);
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        if batch.sampled && !sampled {
            let _ = writeln!(
                notes,
                "live tail is sampled: AWS sends a sample above 500 events a second"
            );
        }
        sampled = batch.sampled;
        let text = format.render(&batch.events);
        match write_all(out, text.as_bytes()).await {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            result => result.map_err(LogsError::Output)?,
        }
        if !follow && batch.caught_up {
            return Ok(());
        }
    }
}

async fn write_all<W>(out: &mut W, bytes: &[u8]) -> std::io::Result<()>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    if !bytes.is_empty() {
        out.write_all(bytes).await?;
        out.flush().await?;
    }
    Ok(())
}

/// Where `--since` starts: a duration back from `now` (`30s`, `10m`, `2h`, `1d`, `1w`; a
/// bare number is seconds) or an RFC 3339 time.
pub fn since_start(since: &str, now: Millis) -> Result<Millis, LogsError> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(since) {
        return Ok(at.timestamp_millis());
    }
    let bad = |reason: &str| LogsError::BadSince {
        value: since.to_string(),
        reason: reason.to_string(),
    };
    let split = since
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(since.len());
    let (number, unit) = since.split_at(split);
    let number: Millis = number.parse().map_err(|_| {
        bad("give a duration such as 10m or 2h, or a time such as 2026-11-22T09:00:00Z")
    })?;
    let unit_ms: Millis = match unit {
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        _ => return Err(bad("the unit must be s, m, h, d or w")),
    };
    number
        .checked_mul(unit_ms)
        .map(|back| now.saturating_sub(back))
        .ok_or_else(|| bad("that is too far back"))
}

/// How lines are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `TIMESTAMP TASK/CONTAINER MESSAGE`, messages sanitized; coloured only on a terminal.
    Human { colour: bool },
    /// One JSON object per line.
    Json,
}

impl Format {
    /// Colour only when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn for_stdout(json: bool) -> Format {
        if json {
            return Format::Json;
        }
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Format::Human {
            colour: std::io::stdout().is_terminal() && !no_colour,
        }
    }

    pub fn render(self, events: &[LogEvent]) -> String {
        let mut out = String::with_capacity(events.len() * 160);
        for event in events {
            match self {
                Format::Human { colour } => human_line(event, colour, &mut out),
                Format::Json => json_line(event, &mut out),
            }
            out.push('\n');
        }
        out
    }
}

const RESET: &str = "\x1b[0m";
/// Colours a task id may get: none of them is red or yellow, which mean severity.
const TASK_COLOURS: &[&str] = &[
    "\x1b[36m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[96m", "\x1b[92m", "\x1b[95m", "\x1b[94m",
];

fn human_line(event: &LogEvent, colour: bool, out: &mut String) {
    // Stream names are `[^:*]*` to CloudWatch, so they can carry escape sequences too
    // (found by tests/hostile_input.rs: an ESC in a stream name reached stdout raw).
    let task = sanitize(stream_task_id(&event.stream));
    let container = sanitize(stream_container(&event.stream));
    let task = task.as_str();
    let timestamp = iso_timestamp(event.timestamp);
    // Always sanitized, terminal or not: a file written now is often `cat` later.
    let message = sanitize(&event.message);
    if !colour {
        out.push_str(&format!("{timestamp} {task}/{container} {message}"));
        return;
    }
    let task_colour = TASK_COLOURS[stable_hash(task) as usize % TASK_COLOURS.len()];
    let message_colour = match severity(&message) {
        Some(Severity::Error) => Some("\x1b[31m"),
        Some(Severity::Warn) => Some("\x1b[33m"),
        Some(Severity::Debug) => Some("\x1b[2m"),
        Some(Severity::Info) | None => None,
    };
    out.push_str(&format!(
        "\x1b[2m{timestamp}{RESET} {task_colour}{task}/{container}{RESET} "
    ));
    match message_colour {
        Some(colour) => out.push_str(&format!("{colour}{message}{RESET}")),
        None => out.push_str(&message),
    }
}

/// FNV-1a: the same task gets the same colour in every run.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Serialize)]
struct JsonLine<'a> {
    timestamp: String,
    stream: &'a str,
    task: &'a str,
    container: &'a str,
    message: &'a str,
    event_id: &'a str,
}

/// The message is kept exactly; characters a terminal could act on are written as JSON
/// `\u` escapes (serde_json escapes only those below 0x20), which decode to the same text.
fn json_line(event: &LogEvent, out: &mut String) {
    let line = JsonLine {
        timestamp: iso_timestamp(event.timestamp),
        stream: &event.stream,
        task: stream_task_id(&event.stream),
        container: stream_container(&event.stream),
        message: &event.message,
        event_id: &event.event_id,
    };
    let json = serde_json::to_string(&line).unwrap_or_default();
    for c in json.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::cloud::{CloudError, CloudResult};
    use crate::ops::logs::{TailBatch, TailSource};

    const NOW: Millis = 1_795_338_000_000;

    /// A tail that answers from a script, then waits for ever.
    struct Scripted(VecDeque<CloudResult<TailBatch>>);

    #[async_trait::async_trait]
    impl TailSource for Scripted {
        async fn next_batch(&mut self) -> CloudResult<TailBatch> {
            match self.0.pop_front() {
                Some(answer) => answer,
                None => std::future::pending().await,
            }
        }
    }

    fn batch(message: &str) -> CloudResult<TailBatch> {
        Ok(TailBatch {
            events: vec![LogEvent {
                event_id: message.into(),
                timestamp: NOW,
                ingestion_time: NOW,
                stream: "umami/umami/0123456789abcdef".into(),
                message: message.into(),
            }],
            caught_up: true,
            throttled: false,
            sampled: false,
        })
    }

    fn unreachable() -> CloudResult<TailBatch> {
        Err(CloudError::Unreachable {
            endpoint: "https://logs.eu-west-2.amazonaws.com".into(),
            message: "connection reset".into(),
        })
    }

    async fn follow(script: Vec<CloudResult<TailBatch>>) -> (String, String, bool) {
        let mut tail = LogTail::new(Box::new(Scripted(script.into())));
        let mut out = Vec::new();
        let mut notes = Vec::new();
        let ended = tokio::time::timeout(
            Duration::from_secs(600),
            print_tail(&mut tail, &mut out, &mut notes, Format::Json, true),
        )
        .await;
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (text(out), text(notes), ended.is_ok())
    }

    #[tokio::test(start_paused = true)]
    async fn following_retries_a_dropped_connection_with_backoff_and_loses_nothing() {
        let (out, notes, ended) = follow(vec![
            batch("before"),
            unreachable(),
            unreachable(),
            batch("after"),
        ])
        .await;
        assert!(!ended, "a follow goes on");
        let messages: Vec<String> = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["message"].to_string())
            .collect();
        assert_eq!(messages, [r#""before""#, r#""after""#]);
        assert_eq!(
            notes,
            "opsdeck: cannot reach https://logs.eu-west-2.amazonaws.com: connection reset; retrying in 1s\n\
             opsdeck: cannot reach https://logs.eu-west-2.amazonaws.com: connection reset; retrying in 2s\n"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn following_stops_on_an_error_that_will_not_pass() {
        let denied = Err(CloudError::AccessDenied {
            action: "logs:FilterLogEvents".into(),
            message: "not authorized".into(),
        });
        let mut tail = LogTail::new(Box::new(Scripted(vec![batch("a"), denied].into())));
        let mut out = Vec::new();
        let mut notes = Vec::new();
        let result = print_tail(&mut tail, &mut out, &mut notes, Format::Json, true).await;
        assert!(
            matches!(
                result,
                Err(LogsError::Cloud(CloudError::AccessDenied { .. }))
            ),
            "{result:?}"
        );
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn without_follow_an_error_ends_the_read() {
        let mut tail = LogTail::new(Box::new(Scripted(vec![unreachable()].into())));
        let result = print_tail(
            &mut tail,
            &mut Vec::new(),
            &mut Vec::new(),
            Format::Json,
            false,
        )
        .await;
        assert!(matches!(
            result,
            Err(LogsError::Cloud(CloudError::Unreachable { .. }))
        ));
    }

    #[test]
    fn since_takes_durations_and_times() {
        assert_eq!(since_start("10m", NOW).ok(), Some(NOW - 600_000));
        assert_eq!(since_start("90", NOW).ok(), Some(NOW - 90_000));
        assert_eq!(
            since_start("2026-11-22T08:00:00Z", NOW).ok(),
            Some(NOW - 3_600_000)
        );
        assert!(since_start("10y", NOW).is_err());
        assert!(since_start("soon", NOW).is_err());
    }

    fn event(message: &str) -> LogEvent {
        LogEvent {
            event_id: "42".into(),
            timestamp: NOW,
            ingestion_time: NOW,
            stream: "ecs/umami/0f1e2d".into(),
            message: message.into(),
        }
    }

    #[test]
    fn human_lines_are_sanitized_and_plain_without_colour() {
        let text = Format::Human { colour: false }.render(&[event("GET /\u{1b}[2J 404")]);
        assert_eq!(
            text,
            "2026-11-22T09:00:00.000Z 0f1e2d/umami GET /^[[2J 404\n"
        );
    }

    #[test]
    fn json_lines_keep_the_message_and_escape_terminal_controls() {
        let text = Format::Json.render(&[event("a\u{1b}[31m\u{9b}\u{202e}b")]);
        assert!(!text.contains('\u{1b}') && !text.contains('\u{9b}') && !text.contains('\u{202e}'));
        let value: serde_json::Value = serde_json::from_str(text.trim_end()).expect("json");
        assert_eq!(value["message"], "a\u{1b}[31m\u{9b}\u{202e}b");
        assert_eq!(value["task"], "0f1e2d");
        assert_eq!(value["container"], "umami");
        assert_eq!(value["timestamp"], "2026-11-22T09:00:00.000Z");
    }
}
