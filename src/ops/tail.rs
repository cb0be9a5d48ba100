//! Log tailing by FilterLogEvents polling, and making log text safe to draw.

use std::collections::HashSet;

use crate::cloud::{CloudResult, LogsApi};
use crate::model::{AwsLogsConfig, LogEvent, LogQuery, Millis};

/// How far behind the newest event each poll looks again. The awslogs driver flushes every
/// 5 s, so an event can become visible after newer ones from another stream were read.
pub const LOOKBACK_MS: Millis = 10_000;

/// What the logs of a service are: its log group and the stream prefix of each container.
pub fn service_query(logs: &[AwsLogsConfig]) -> Option<LogQuery> {
    let first = logs.first()?;
    // Streams are `<prefix>/<container>/<task-id>`; with one container the prefix narrows
    // the read to that container, with several we read the prefix as a whole.
    Some(LogQuery {
        group: first.group.clone(),
        stream_prefix: Some(format!("{}/", first.stream_prefix)),
        ..LogQuery::default()
    })
}

/// A polling tail over one query: returns each event exactly once, in timestamp order.
///
/// Each poll re-reads from `LOOKBACK_MS` behind the newest timestamp seen, with a fresh
/// pagination (a spent `nextToken` is never reused), and drops event ids already returned.
#[derive(Debug)]
pub struct PollTail {
    query: LogQuery,
    /// Newest timestamp returned so far.
    newest: Option<Millis>,
    start: Millis,
    /// Ids returned whose timestamp is within the lookback window of `newest`.
    seen: HashSet<String>,
    seen_order: Vec<(Millis, String)>,
}

impl PollTail {
    /// A tail that begins with events at or after `start`.
    pub fn new(query: LogQuery, start: Millis) -> Self {
        PollTail {
            query,
            newest: None,
            start,
            seen: HashSet::new(),
            seen_order: Vec::new(),
        }
    }

    /// Reads every page of new events.
    pub async fn poll(&mut self, logs: &dyn LogsApi) -> CloudResult<Vec<LogEvent>> {
        let mut query = self.query.clone();
        query.start = Some(
            self.newest
                .map_or(self.start, |n| (n - LOOKBACK_MS).max(self.start)),
        );
        let mut fresh = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = logs.filter_log_events(&query, token.as_deref()).await?;
            for event in page.events {
                if self.seen.insert(event.event_id.clone()) {
                    self.seen_order
                        .push((event.timestamp, event.event_id.clone()));
                    fresh.push(event);
                }
            }
            match page.next_token {
                Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                _ => break,
            }
        }
        fresh.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
        if let Some(last) = fresh.iter().map(|e| e.timestamp).max() {
            self.newest = Some(self.newest.map_or(last, |n| n.max(last)));
        }
        self.forget_old();
        Ok(fresh)
    }

    fn forget_old(&mut self) {
        let Some(newest) = self.newest else { return };
        let horizon = newest - LOOKBACK_MS;
        self.seen_order.sort_by_key(|(ts, _)| *ts);
        let keep_from = self.seen_order.partition_point(|(ts, _)| *ts < horizon);
        for (_, id) in self.seen_order.drain(..keep_from) {
            self.seen.remove(&id);
        }
    }
}

/// Makes attacker-controllable log text safe to draw: control characters (ESC included)
/// are shown in caret notation (`^[`), so an escape sequence in a request path can neither
/// move the cursor nor recolour the terminal, and stays visible as the attempt it is.
pub fn sanitize(message: &str) -> String {
    let message = message.trim_end_matches(['\n', '\r']);
    if !message.chars().any(needs_escape) {
        return message.to_string();
    }
    let mut out = String::with_capacity(message.len() + 8);
    for c in message.chars() {
        match c {
            '\t' => out.push_str("    "),
            '\n' => out.push_str(" ⏎ "),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7f}' => out.push_str("^?"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides reorder what the reader sees (CVE-2021-42574 style).
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(
            sanitize("GET /\x1b[2J\x1b]0;pwned\x07 200"),
            "GET /^[[2J^[]0;pwned^G 200"
        );
    }

    #[test]
    fn plain_text_is_unchanged_and_trailing_newline_dropped() {
        assert_eq!(sanitize("✓ Ready in 1.2s\n"), "✓ Ready in 1.2s");
    }

    #[test]
    fn tabs_newlines_c1_and_bidi_are_neutralised() {
        assert_eq!(sanitize("a\tb\nc"), "a    b ⏎ c");
        assert_eq!(sanitize("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(sanitize("ab\u{202e}cd"), "ab\\u{202e}cd");
    }
}
