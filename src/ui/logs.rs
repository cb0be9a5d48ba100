//! The logs pane: the newest lines of the log buffer that fit, coloured by task and severity.
//!
//! The buffer may hold a million lines: drawing walks it from the newest end and stops as
//! soon as the pane is full, so a frame costs what is visible, not what is stored.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthChar;

use super::{Theme, chrome, text};
use crate::app::action::{Feed, PaneId};
use crate::app::state::{AppState, LogLine};

const TIME_WIDTH: u16 = 13;
const TASK_WIDTH: u16 = 9;

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let block = chrome::pane_block(state, PaneId::Logs, title(state, theme), theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    if state.logs.is_empty() {
        let line = if state.logs_at.is_some() {
            ratatui::text::Line::styled("no log lines yet", theme.dim)
        } else {
            chrome::no_data_line(state, Feed::Logs, theme)
        };
        Paragraph::new(line).render(inner, buf);
        return;
    }
    let filter = super::rows::filter(state, PaneId::Logs);
    let prefix = prefix_width(state);
    let message_width = inner.width.saturating_sub(prefix).max(1);
    let visible = visible_lines(state, filter.as_deref(), inner.height, message_width);
    let mut y = inner.y;
    for line in visible {
        if y >= inner.bottom() {
            break;
        }
        y += draw_line(buf, inner, y, &line, filter.as_deref(), state, theme);
    }
}

pub fn page_rows(area: Rect) -> usize {
    area.height.saturating_sub(2) as usize
}

fn title<'a>(state: &AppState, theme: &Theme) -> Vec<Span<'a>> {
    let mode = if state.logs_pane.follow {
        Span::styled("following ", theme.ok)
    } else {
        Span::styled(
            format!("paused ↑{} ", state.logs_pane.scroll),
            theme.warning,
        )
    };
    let mut spans = vec![
        mode,
        Span::styled(
            format!(
                "{} lines {} ",
                text::count(state.logs.len()),
                text::bytes(state.logs.memory_bytes())
            ),
            theme.dim,
        ),
    ];
    if state.logs_pane.wrap {
        spans.push(Span::styled("wrap ", theme.dim));
    }
    spans
}

fn prefix_width(state: &AppState) -> u16 {
    TASK_WIDTH
        + if state.logs_pane.timestamps {
            TIME_WIDTH
        } else {
            0
        }
}

/// The lines to draw, oldest first, such that the newest (or the scrolled-to) line is last.
fn visible_lines<'a>(
    state: &'a AppState,
    filter: Option<&str>,
    rows: u16,
    message_width: u16,
) -> Vec<LogLine<'a>> {
    let skip = if state.logs_pane.follow {
        0
    } else {
        state.logs_pane.scroll
    };
    let mut picked = Vec::with_capacity(rows as usize);
    let mut used = 0u16;
    let matching = state
        .logs
        .lines()
        .iter()
        .rev()
        .filter(|l| filter.is_none_or(|f| line_matches(l, f)))
        .skip(skip);
    for line in matching {
        let height = if state.logs_pane.wrap {
            wrapped_rows(&line.message, message_width)
        } else {
            1
        };
        if used + height > rows && !picked.is_empty() {
            break;
        }
        used += height;
        picked.push(line);
        if used >= rows {
            break;
        }
    }
    picked.reverse();
    picked
}

/// Filter match over the task id and message, case-insensitive, without allocating for
/// ASCII filters (the common case) since this runs over the whole buffer.
pub fn line_matches(line: &LogLine, needle_lower: &str) -> bool {
    contains_ignore_case(text::stream_task(&line.stream), needle_lower)
        || contains_ignore_case(&line.message, needle_lower)
}

fn contains_ignore_case(haystack: &str, needle_lower: &str) -> bool {
    if !needle_lower.is_ascii() {
        return haystack.to_lowercase().contains(needle_lower);
    }
    find_ignore_case(haystack, needle_lower, 0).is_some()
}

/// Byte offset of the next case-insensitive (ASCII) match at or after `from`.
fn find_ignore_case(haystack: &str, needle_lower: &str, from: usize) -> Option<usize> {
    let hay = haystack.as_bytes();
    let needle = needle_lower.as_bytes();
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len())
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

fn wrapped_rows(message: &str, width: u16) -> u16 {
    let columns: usize = message.chars().map(|c| c.width().unwrap_or(0)).sum();
    columns.div_ceil(width.max(1) as usize).max(1) as u16
}

/// Draws one log line (wrapped if asked) and returns the rows it used.
fn draw_line(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    line: &LogLine,
    filter: Option<&str>,
    state: &AppState,
    theme: &Theme,
) -> u16 {
    let mut x = area.x;
    if state.logs_pane.timestamps {
        buf.set_stringn(x, y, text::clock_millis(line.timestamp), 12, theme.log_time);
        x += TIME_WIDTH;
    }
    let task = text::stream_task(&line.stream);
    buf.set_stringn(x, y, task, 8, theme.task_colour(task));
    x += TASK_WIDTH;
    let style = severity_style(&line.message, theme);
    let highlights = filter.map_or_else(Vec::new, |f| match_ranges(&line.message, f));
    let width = area.right().saturating_sub(x);
    if width == 0 {
        return 1;
    }
    let chunks = if state.logs_pane.wrap {
        chunk_ranges(&line.message, width)
    } else {
        vec![std::ops::Range {
            start: 0,
            end: line.message.len(),
        }]
    };
    let bottom = area.bottom();
    let mut rows = 0;
    for chunk in chunks {
        let row = y + rows;
        if row >= bottom {
            break;
        }
        draw_segmented(
            buf,
            x,
            row,
            width,
            &line.message,
            chunk,
            &highlights,
            style,
            theme,
        );
        rows += 1;
    }
    rows.max(1)
}

/// Draws `message[range]`, switching to the match style inside `highlights`.
#[allow(clippy::too_many_arguments)]
fn draw_segmented(
    buf: &mut Buffer,
    x: u16,
    y: u16,
    width: u16,
    message: &str,
    range: std::ops::Range<usize>,
    highlights: &[(usize, usize)],
    style: Style,
    theme: &Theme,
) {
    let right = x.saturating_add(width);
    let mut cursor = x;
    let mut at = range.start;
    while at < range.end && cursor < right {
        let (end, matched) = match highlights.iter().find(|(s, e)| *e > at && *s < range.end) {
            Some(&(s, _)) if s > at => (s.min(range.end), false),
            Some(&(_, e)) => (e.min(range.end), true),
            None => (range.end, false),
        };
        let seg_style = if matched {
            style.patch(theme.filter_match)
        } else {
            style
        };
        let room = (right - cursor) as usize;
        cursor = buf
            .set_stringn(cursor, y, &message[at..end], room, seg_style)
            .0;
        at = end;
    }
}

/// Byte ranges of filter matches in the message (ASCII-case-insensitive).
fn match_ranges(message: &str, needle_lower: &str) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    if !needle_lower.is_ascii() {
        return ranges;
    }
    let mut from = 0;
    while let Some(start) = find_ignore_case(message, needle_lower, from) {
        let end = start + needle_lower.len();
        ranges.push((start, end));
        from = end;
    }
    ranges
}

/// Splits a message into byte ranges of at most `width` columns each.
fn chunk_ranges(message: &str, width: u16) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut used = 0usize;
    for (i, c) in message.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width as usize && i > start {
            chunks.push(start..i);
            start = i;
            used = 0;
        }
        used += w;
    }
    chunks.push(start..message.len());
    chunks
}

/// Colour by severity: plain-text `ERROR`/`WARN`/`INFO`/`DEBUG` words and JSON `"level"`.
fn severity_style(message: &str, theme: &Theme) -> Style {
    match severity(message) {
        Some(Severity::Error) => theme.log_error,
        Some(Severity::Warn) => theme.log_warn,
        Some(Severity::Debug) => theme.log_debug,
        Some(Severity::Info) => theme.log_info,
        None => Style::new(),
    }
    .add_modifier(Modifier::empty())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    Error,
    Warn,
    Info,
    Debug,
}

fn severity(message: &str) -> Option<Severity> {
    // Only the start of a line is looked at: a level comes first in every log format we
    // know, and a request path further on may well contain the word "error".
    let head = &message[..floor_char_boundary(message, 160)];
    if let Some(level) = json_level(head) {
        return Some(level);
    }
    let words = head.split(|c: char| !c.is_ascii_alphabetic()).take(6);
    for word in words {
        match word {
            "ERROR" | "FATAL" | "PANIC" | "CRITICAL" | "Error" => return Some(Severity::Error),
            "WARN" | "WARNING" => return Some(Severity::Warn),
            "INFO" => return Some(Severity::Info),
            "DEBUG" | "TRACE" => return Some(Severity::Debug),
            _ => {}
        }
    }
    None
}

fn json_level(head: &str) -> Option<Severity> {
    let start = head.find("\"level\"")? + "\"level\"".len();
    let rest = head[start..].trim_start().strip_prefix(':')?.trim_start();
    let value = rest.strip_prefix('"')?;
    let value = &value[..value.find('"')?];
    Some(match value.to_ascii_lowercase().as_str() {
        "error" | "fatal" | "panic" | "critical" | "50" | "60" => Severity::Error,
        "warn" | "warning" | "40" => Severity::Warn,
        "debug" | "trace" | "10" | "20" => Severity::Debug,
        _ => Severity::Info,
    })
}

fn floor_char_boundary(s: &str, index: usize) -> usize {
    if index >= s.len() {
        return s.len();
    }
    (0..=index)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_reads_words_and_json() {
        assert_eq!(severity("ERROR db down"), Some(Severity::Error));
        assert_eq!(
            severity(r#"{"level":"warn","msg":"slow"}"#),
            Some(Severity::Warn)
        );
        assert_eq!(severity("GET /error 200"), None);
    }

    #[test]
    fn matches_ignore_case_and_find_every_hit() {
        assert_eq!(match_ranges("Error error", "error"), vec![(0, 5), (6, 11)]);
    }

    #[test]
    fn wrapping_splits_on_columns() {
        assert_eq!(chunk_ranges("abcdef", 4), vec![0..4, 4..6]);
    }
}
