//! CloudWatch Logs: groups and streams, the awslogs 5-second flush, FilterLogEvents paging.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use crate::cloud::{CloudError, CloudResult};
use crate::model::{LogEvent, LogPage, LogQuery, LogStream, Millis};

/// The awslogs driver sends what it buffered every 5 s.
pub(crate) const FLUSH_INTERVAL: Millis = 5_000;
/// Retention across all groups, so a long-running sandbox stays small.
pub(crate) const MAX_EVENTS: usize = 100_000;
const MAX_PAGE: usize = 10_000;

#[derive(Debug, Clone)]
struct StoredEvent {
    seq: u64,
    timestamp: Millis,
    ingestion_time: Millis,
    stream: Arc<str>,
    message: String,
}

impl StoredEvent {
    fn key(&self) -> PageKey<'_> {
        (self.timestamp, &self.stream, self.seq)
    }

    fn to_model(&self) -> LogEvent {
        LogEvent {
            // Long decimal ids like CloudWatch's; unique because `seq` is.
            event_id: format!("{:020}{:020}", self.timestamp, self.seq),
            timestamp: self.timestamp,
            ingestion_time: self.ingestion_time,
            stream: self.stream.to_string(),
            message: self.message.clone(),
        }
    }
}

type PageKey<'a> = (Millis, &'a str, u64);

#[derive(Debug, Default)]
struct Stream {
    name: Arc<str>,
    last_event_at: Option<Millis>,
    /// Written by the container, not yet sent by the driver: (timestamp, message).
    buffered: Vec<(Millis, String)>,
    next_flush_at: Millis,
}

#[derive(Debug, Default)]
struct Group {
    streams: BTreeMap<String, Stream>,
    /// In ingestion order.
    events: VecDeque<StoredEvent>,
}

#[derive(Debug, Default)]
pub(crate) struct LogStore {
    groups: BTreeMap<String, Group>,
    /// Groups deleted since they were created: the awslogs driver's writes to them fail,
    /// where a write to a group never created (in a test's own task definition) makes it.
    deleted: std::collections::BTreeSet<String>,
    next_seq: u64,
    total: usize,
}

impl LogStore {
    pub(crate) fn create_group(&mut self, name: &str) {
        self.deleted.remove(name);
        self.groups.entry(name.to_string()).or_default();
    }

    pub(crate) fn has_group(&self, name: &str) -> bool {
        self.groups.contains_key(name)
    }

    /// DeleteLogGroup: its events go with it.
    pub(crate) fn delete_group(&mut self, name: &str) {
        if let Some(group) = self.groups.remove(name) {
            self.total = self.total.saturating_sub(group.events.len());
            self.deleted.insert(name.to_string());
        }
    }

    /// Lines written by a container, in order; readable after the stream's next flush.
    pub(crate) fn write(&mut self, group: &str, stream: &str, lines: Vec<(Millis, String)>) {
        let Some(first) = lines.first().map(|(ts, _)| *ts) else {
            return;
        };
        if self.deleted.contains(group) {
            return;
        }
        if !self.groups.contains_key(group) {
            self.create_group(group);
        }
        let Some(group) = self.groups.get_mut(group) else {
            return;
        };
        if !group.streams.contains_key(stream) {
            let created = Stream {
                name: Arc::from(stream),
                next_flush_at: first + FLUSH_INTERVAL,
                ..Stream::default()
            };
            group.streams.insert(stream.to_string(), created);
        }
        let Some(stream) = group.streams.get_mut(stream) else {
            return;
        };
        if stream.buffered.is_empty() && stream.next_flush_at <= first {
            // The driver's timer kept ticking while the stream was idle.
            let behind = first - stream.next_flush_at;
            stream.next_flush_at += (behind / FLUSH_INTERVAL + 1) * FLUSH_INTERVAL;
        }
        stream.buffered.extend(lines);
    }

    /// Sends every buffer whose flush time has come, stamping it with `now` as ingestion time.
    pub(crate) fn flush(&mut self, now: Millis) {
        for group in self.groups.values_mut() {
            for stream in group.streams.values_mut() {
                if stream.buffered.is_empty() || stream.next_flush_at > now {
                    continue;
                }
                stream.next_flush_at = now + FLUSH_INTERVAL;
                stream.buffered.sort_by_key(|(ts, _)| *ts);
                for (timestamp, message) in stream.buffered.drain(..) {
                    stream.last_event_at =
                        Some(stream.last_event_at.unwrap_or(timestamp).max(timestamp));
                    group.events.push_back(StoredEvent {
                        seq: self.next_seq,
                        timestamp,
                        ingestion_time: now,
                        stream: Arc::clone(&stream.name),
                        message,
                    });
                    self.next_seq += 1;
                    self.total += 1;
                }
            }
        }
        self.enforce_retention();
    }

    fn enforce_retention(&mut self) {
        while self.total > MAX_EVENTS {
            let Some(group) = self.groups.values_mut().max_by_key(|g| g.events.len()) else {
                return;
            };
            if group.events.pop_front().is_none() {
                return;
            }
            self.total -= 1;
        }
    }

    pub(crate) fn streams(&self, group: &str, prefix: Option<&str>) -> CloudResult<Vec<LogStream>> {
        let group = self.group(group)?;
        Ok(group
            .streams
            .values()
            .filter(|s| prefix.is_none_or(|p| s.name.starts_with(p)))
            .map(|s| LogStream {
                name: s.name.to_string(),
                last_event_at: s.last_event_at,
            })
            .collect())
    }

    pub(crate) fn filter(
        &self,
        query: &LogQuery,
        next_token: Option<&str>,
    ) -> CloudResult<LogPage> {
        let group = self.group(&query.group)?;
        let after = next_token.map(decode_token).transpose()?;
        let terms = pattern_terms(query.filter_pattern.as_deref().unwrap_or(""));
        let mut matching: Vec<&StoredEvent> = group
            .events
            .iter()
            .filter(|e| stream_matches(query, &e.stream))
            .filter(|e| query.start.is_none_or(|s| e.timestamp >= s))
            .filter(|e| query.end.is_none_or(|end| e.timestamp <= end))
            .filter(|e| terms.iter().all(|t| e.message.contains(t.as_str())))
            .filter(|e| {
                after
                    .as_ref()
                    .is_none_or(|(ts, stream, seq)| e.key() > (*ts, stream.as_str(), *seq))
            })
            .collect();
        matching.sort_by(|a, b| a.key().cmp(&b.key()));
        let limit = query
            .limit
            .map_or(MAX_PAGE, |l| usize::try_from(l).unwrap_or(MAX_PAGE))
            .clamp(1, MAX_PAGE);
        let next_token = (matching.len() > limit).then(|| encode_token(matching[limit - 1].key()));
        Ok(LogPage {
            events: matching.iter().take(limit).map(|e| e.to_model()).collect(),
            next_token,
        })
    }

    fn group(&self, name: &str) -> CloudResult<&Group> {
        self.groups.get(name).ok_or_else(|| CloudError::NotFound {
            kind: "log group",
            name: name.to_string(),
            hint: Some("the task definition's awslogs-group names it".to_string()),
        })
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.total
    }
}

fn stream_matches(query: &LogQuery, stream: &str) -> bool {
    if !query.streams.is_empty() {
        return query.streams.iter().any(|s| s == stream);
    }
    query
        .stream_prefix
        .as_deref()
        .is_none_or(|p| stream.starts_with(p))
}

/// Terms of a filter pattern: words, or "quoted phrases"; all must occur, case-sensitive.
fn pattern_terms(pattern: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut rest = pattern.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let (term, tail) = quoted.split_once('"').unwrap_or((quoted, ""));
            terms.push(term.to_string());
            rest = tail.trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            terms.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    terms.retain(|t| !t.is_empty());
    terms
}

fn encode_token((timestamp, stream, seq): PageKey<'_>) -> String {
    let stream_hex: String = stream.bytes().map(|b| format!("{b:02x}")).collect();
    format!("sbx1.{timestamp:x}.{seq:x}.{stream_hex}")
}

fn decode_token(token: &str) -> CloudResult<(Millis, String, u64)> {
    let invalid = || CloudError::Rejected {
        operation: "FilterLogEvents".to_string(),
        message: "the next token is invalid".to_string(),
    };
    let mut parts = token.split('.');
    if parts.next() != Some("sbx1") {
        return Err(invalid());
    }
    let timestamp = parts
        .next()
        .and_then(|p| Millis::from_str_radix(p, 16).ok())
        .ok_or_else(invalid)?;
    let seq = parts
        .next()
        .and_then(|p| u64::from_str_radix(p, 16).ok())
        .ok_or_else(invalid)?;
    let hex = parts.next().ok_or_else(invalid)?;
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let stream = String::from_utf8(bytes).map_err(|_| invalid())?;
    Ok((timestamp, stream, seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_terms_stay_whole() {
        assert_eq!(
            pattern_terms(r#"ERROR "GET /api" 502"#),
            vec!["ERROR", "GET /api", "502"]
        );
    }

    #[test]
    fn token_round_trips() {
        let token = encode_token((1_795_338_000_123, "ecs/umami/abc", 42));
        assert_eq!(
            decode_token(&token),
            Ok((1_795_338_000_123, "ecs/umami/abc".to_string(), 42))
        );
        assert!(decode_token("garbage").is_err());
    }

    #[test]
    fn retention_drops_the_oldest() {
        let mut store = LogStore::default();
        let lines = (0..(MAX_EVENTS as i64 + 10))
            .map(|i| (i, format!("line {i}")))
            .collect();
        store.write("/g", "s", lines);
        store.flush(MAX_EVENTS as i64 + 20_000);
        assert_eq!(store.len(), MAX_EVENTS);
    }
}
