//! The logs pane's filter: substring or regex, with or without case, and its match ranges.

use std::collections::VecDeque;
use std::ops::Range;

use memchr::memmem;
use regex::{Regex, RegexBuilder};

use super::buffer::{LogBuffer, LogLine, stream_task_id};
use super::streams::Narrowing;

/// What the user typed into the filter and how it is to be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterSpec {
    pub pattern: String,
    pub regex: bool,
    pub case_sensitive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("the filter is not a valid regular expression: {0}")]
    BadRegex(String),
}

/// A compiled filter. Matches a line when its message or its task id matches.
#[derive(Debug, Clone)]
pub struct LineFilter {
    spec: FilterSpec,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    /// Case-sensitive substring: a SIMD substring search, the pane's most common filter.
    Substring(Box<memmem::Finder<'static>>),
    /// Regexes, and substrings without case (the regex engine folds case faster than we can).
    Regex(Regex),
}

impl PartialEq for LineFilter {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl Eq for LineFilter {}

/// Large enough for any pattern a person types; small enough that a pathological one
/// fails to compile instead of eating memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

impl LineFilter {
    pub fn new(spec: FilterSpec) -> Result<LineFilter, FilterError> {
        let matcher = if !spec.regex && spec.case_sensitive {
            Matcher::Substring(Box::new(
                memmem::Finder::new(spec.pattern.as_bytes()).into_owned(),
            ))
        } else {
            let pattern = if spec.regex {
                spec.pattern.clone()
            } else {
                regex::escape(&spec.pattern)
            };
            let regex = RegexBuilder::new(&pattern)
                .case_insensitive(!spec.case_sensitive)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| FilterError::BadRegex(e.to_string()))?;
            Matcher::Regex(regex)
        };
        Ok(LineFilter { spec, matcher })
    }

    /// A case-insensitive substring filter, the pane's default reading of what is typed.
    pub fn substring(pattern: &str) -> LineFilter {
        let spec = FilterSpec {
            pattern: pattern.to_string(),
            ..FilterSpec::default()
        };
        let matcher = RegexBuilder::new(&regex::escape(pattern))
            .case_insensitive(true)
            .build()
            .map_or_else(
                // An escaped literal always compiles; fall back to an exact search regardless.
                |_| {
                    Matcher::Substring(Box::new(
                        memmem::Finder::new(pattern.as_bytes()).into_owned(),
                    ))
                },
                Matcher::Regex,
            );
        LineFilter { spec, matcher }
    }

    pub fn spec(&self) -> &FilterSpec {
        &self.spec
    }

    /// Whether `text` contains a match.
    pub fn is_match(&self, text: &str) -> bool {
        match &self.matcher {
            Matcher::Substring(finder) => finder.find(text.as_bytes()).is_some(),
            Matcher::Regex(regex) => regex.is_match(text),
        }
    }

    /// Whether a line is shown: its message or its task id matches.
    pub fn matches_line(&self, line: &LogLine<'_>) -> bool {
        self.is_match(line.message) || self.is_match(line.task_id())
    }

    /// Byte ranges of the matches in `text`, for highlighting; empty matches are left out.
    pub fn match_ranges(&self, text: &str) -> Vec<Range<usize>> {
        match &self.matcher {
            Matcher::Substring(finder) => {
                let len = finder.needle().len();
                if len == 0 {
                    return Vec::new();
                }
                finder
                    .find_iter(text.as_bytes())
                    .map(|start| start..start + len)
                    .collect()
            }
            Matcher::Regex(regex) => regex
                .find_iter(text)
                .filter(|m| !m.is_empty())
                .map(|m| m.range())
                .collect(),
        }
    }
}

/// The lines of a buffer that match a filter, kept up to date as lines come and go.
///
/// Matches are kept as sequence numbers, so each update scans only the lines pushed since
/// the last one: filtering a million lines happens once, not on every frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilteredLines {
    filter: LineFilter,
    narrowing: Narrowing,
    matched: VecDeque<u64>,
    scanned_to: u64,
}

impl FilteredLines {
    pub fn new(filter: LineFilter) -> FilteredLines {
        FilteredLines {
            filter,
            narrowing: Narrowing::default(),
            matched: VecDeque::new(),
            scanned_to: 0,
        }
    }

    /// Keeps only the lines of the streams `narrowing` keeps (a task, a container), so a
    /// pane narrowed to one task scans each new line once, like the filter.
    pub fn narrowed(mut self, narrowing: Narrowing) -> FilteredLines {
        self.narrowing = narrowing;
        self.matched.clear();
        self.scanned_to = 0;
        self
    }

    pub fn filter(&self) -> &LineFilter {
        &self.filter
    }

    pub fn narrowing(&self) -> &Narrowing {
        &self.narrowing
    }

    /// Forgets evicted lines and scans new ones; returns how many new lines matched.
    pub fn update(&mut self, buffer: &LogBuffer) -> usize {
        let first = buffer.first_seq();
        let keep_from = self.matched.partition_point(|&seq| seq < first);
        self.matched.drain(..keep_from);
        let before = self.matched.len();
        // Narrowing and a match by task id are per stream: decided once per stream.
        let streams: Vec<StreamVerdict> = buffer
            .streams()
            .map(|stream| {
                if !self.narrowing.keeps(stream) {
                    StreamVerdict::Skip
                } else if self.filter.is_match(stream_task_id(stream)) {
                    StreamVerdict::Keep
                } else {
                    StreamVerdict::ByMessage
                }
            })
            .collect();
        for (seq, stream, message) in buffer.scan_from(self.scanned_to.max(first)) {
            let keep = match streams.get(stream).copied().unwrap_or(StreamVerdict::Skip) {
                StreamVerdict::Skip => false,
                StreamVerdict::Keep => true,
                StreamVerdict::ByMessage => self.filter.is_match(message),
            };
            if keep {
                self.matched.push_back(seq);
            }
        }
        self.scanned_to = buffer.end_seq();
        self.matched.len() - before
    }

    pub fn len(&self) -> usize {
        self.matched.len()
    }

    pub fn is_empty(&self) -> bool {
        self.matched.is_empty()
    }

    /// The `n`-th matching line counting back from the newest.
    pub fn get_back<'b>(&self, n: usize, buffer: &'b LogBuffer) -> Option<LogLine<'b>> {
        let i = self.matched.len().checked_sub(n + 1)?;
        buffer.get_seq(*self.matched.get(i)?)
    }

    /// Matching lines, oldest first.
    pub fn iter<'b>(
        &'b self,
        buffer: &'b LogBuffer,
    ) -> impl DoubleEndedIterator<Item = LogLine<'b>> {
        self.matched.iter().filter_map(|&seq| buffer.get_seq(seq))
    }
}

/// What a scan does with the lines of one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamVerdict {
    /// Narrowed away.
    Skip,
    /// The task id matches, so every line does.
    Keep,
    /// Each line's message decides.
    ByMessage,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(pattern: &str, regex: bool, case_sensitive: bool) -> LineFilter {
        LineFilter::new(FilterSpec {
            pattern: pattern.into(),
            regex,
            case_sensitive,
        })
        .expect("valid filter")
    }

    #[test]
    fn substring_with_and_without_case() {
        let text = "GET /api/Send 500 err ERR";
        let exact = filter("err", false, true).match_ranges(text);
        assert_eq!((exact.len(), exact.first()), (1, Some(&(18..21))));
        assert_eq!(
            filter("err", false, false).match_ranges(text),
            [18..21, 22..25]
        );
        assert!(!filter("send", false, true).is_match(text));
        assert!(filter("send", false, false).is_match(text));
    }

    #[test]
    fn regex_metacharacters_are_literal_in_substring_mode() {
        assert!(filter("a.c", false, false).is_match("xa.cx"));
        assert!(!filter("a.c", false, false).is_match("abc"));
        assert!(filter("a.c", true, false).is_match("abc"));
    }

    #[test]
    fn bad_regex_is_an_error_not_a_panic() {
        let error = LineFilter::new(FilterSpec {
            pattern: "(".into(),
            regex: true,
            case_sensitive: false,
        });
        assert!(matches!(error, Err(FilterError::BadRegex(_))));
    }

    #[test]
    fn narrowed_lines_keep_one_task_container_as_lines_arrive() {
        use crate::model::LogEvent;
        let event = |stream: &str, message: &str| LogEvent {
            event_id: format!("{stream}{message}"),
            timestamp: 0,
            ingestion_time: 0,
            stream: stream.into(),
            message: message.into(),
        };
        let mut buffer = LogBuffer::new(100);
        buffer.push(&event("app/web/t1", "error a"));
        buffer.push(&event("app/web/t2", "error b"));
        buffer.push(&event("app/sidecar/t1", "error c"));
        let narrowing = Narrowing {
            task: Some("t1".into()),
            container: Some("web".into()),
        };
        let mut lines = FilteredLines::new(filter("error", false, false)).narrowed(narrowing);
        assert_eq!(lines.update(&buffer), 1);
        buffer.push(&event("app/web/t1", "error d"));
        buffer.push(&event("app/web/t1", "fine"));
        assert_eq!(lines.update(&buffer), 1, "only new lines are scanned");
        let messages: Vec<&str> = lines.iter(&buffer).map(|l| l.message).collect();
        assert_eq!(messages, ["error a", "error d"]);
        let mut everything = FilteredLines::new(LineFilter::substring("")).narrowed(Narrowing {
            task: Some("t1".into()),
            container: None,
        });
        everything.update(&buffer);
        assert_eq!(
            everything.len(),
            4,
            "an empty filter keeps every narrowed line"
        );
    }
}
