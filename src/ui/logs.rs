//! The logs pane: the lines the view shows (filtered, narrowed), coloured by task and severity.
//!
//! The buffer may hold a million lines: filtering happens in `update`, and drawing walks the
//! view from its newest end and stops as soon as the pane is full, so a frame costs what is
//! visible, not what is stored.

use std::borrow::Cow;
use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};
use unicode_width::UnicodeWidthChar;

use super::{Theme, chrome, text};
use crate::app::action::{Feed, PaneId};
use crate::app::state::{AppState, LogLine};
use crate::ops::logs::{LineFilter, Narrowing, Severity, pretty_json, severity};

const TIME_WIDTH: u16 = 13;
const TASK_WIDTH: u16 = 9;

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let block = chrome::pane_block(state, PaneId::Logs, title(state, theme), theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    if state.log_view_len() == 0 {
        Paragraph::new(empty_line(state, theme)).render(inner, buf);
        return;
    }
    let filter = state.log_filter();
    let message_width = inner.width.saturating_sub(prefix_width(state)).max(1);
    let mut y = inner.y;
    for shown in visible_lines(state, inner.height, message_width) {
        if y >= inner.bottom() {
            break;
        }
        y += draw_line(buf, inner, y, &shown, filter, state, theme);
    }
}
fn empty_line<'a>(state: &'a AppState, theme: &Theme) -> Line<'a> {
    if !state.logs.is_empty() {
        Line::styled("no lines match", theme.dim)
    } else if state.logs_at.is_some() {
        Line::styled("no log lines yet", theme.dim)
    } else {
        chrome::no_data_line(state, Feed::Logs, theme)
    }
}

fn title<'a>(state: &'a AppState, theme: &Theme) -> Vec<Span<'a>> {
    let pane = &state.logs_pane;
    let mode = if pane.follow {
        Span::styled("following ", theme.ok)
    } else {
        Span::styled(format!("paused ↑{} ", pane.scroll), theme.warning)
    };
    let lines = match &pane.shown {
        Some(shown) => format!(
            "{}/{} lines",
            text::count(shown.len()),
            text::count(state.logs.len())
        ),
        None => format!("{} lines", text::count(state.logs.len())),
    };
    let mut spans = vec![mode];
    if pane.sampled {
        spans.push(Span::styled("sampled by AWS ", theme.warning));
    }
    spans.push(Span::styled(
        format!("{lines} {} ", text::bytes(state.logs.memory_bytes())),
        theme.dim,
    ));
    if !pane.narrowing.is_everything() {
        spans.push(Span::styled(
            format!("{} ", narrowing_label(&pane.narrowing)),
            theme.filter,
        ));
    }
    let modes = [
        (pane.regex, "regex"),
        (pane.case_sensitive, "case"),
        (pane.pretty_json, "json"),
        (pane.wrap, "wrap"),
    ];
    for (_, name) in modes.iter().filter(|(on, _)| *on) {
        spans.push(Span::styled(format!("{name} "), theme.dim));
    }
    if let Some(error) = &pane.filter_error {
        spans.push(Span::styled(format!("✗ {error} "), theme.error));
    }
    spans
}

/// `task 0f3a9c2b/web`, as the title and the picker name a narrowing.
pub fn narrowing_label(narrowing: &Narrowing) -> String {
    match (&narrowing.task, &narrowing.container) {
        (None, None) => "all streams".into(),
        (Some(task), Some(container)) => format!("task {}/{container}", text::short_id(task)),
        (Some(task), None) => format!("task {}", text::short_id(task)),
        (None, Some(container)) => format!("container {container}"),
    }
}

fn prefix_width(state: &AppState) -> u16 {
    TASK_WIDTH
        + if state.logs_pane.timestamps {
            TIME_WIDTH
        } else {
            0
        }
}

/// A line as drawn: its text (pretty-printed if asked) cut into the rows it takes.
struct ShownLine<'a> {
    line: LogLine<'a>,
    text: Cow<'a, str>,
    rows: Vec<Range<usize>>,
}

impl<'a> ShownLine<'a> {
    fn new(line: LogLine<'a>, state: &AppState, width: u16) -> ShownLine<'a> {
        let text = match state
            .logs_pane
            .pretty_json
            .then(|| pretty_json(line.message))
        {
            Some(Some(pretty)) => Cow::Owned(pretty),
            _ => Cow::Borrowed(line.message),
        };
        let rows = row_ranges(&text, width, state.logs_pane.wrap);
        ShownLine { line, text, rows }
    }
}

/// The lines to draw, oldest first, such that the newest (or the scrolled-to) line is last.
fn visible_lines(state: &AppState, rows: u16, message_width: u16) -> Vec<ShownLine<'_>> {
    let skip = if state.logs_pane.follow {
        0
    } else {
        state.logs_pane.scroll
    };
    let mut picked: Vec<ShownLine> = Vec::with_capacity(rows as usize);
    let mut used = 0usize;
    let rows = rows as usize;
    for n in skip.. {
        let Some(line) = state.log_line_back(n) else {
            break;
        };
        let shown = ShownLine::new(line, state, message_width);
        if used + shown.rows.len() > rows && !picked.is_empty() {
            break;
        }
        used += shown.rows.len();
        picked.push(shown);
        if used >= rows {
            break;
        }
    }
    picked.reverse();
    picked
}

/// Byte ranges of the rows a text takes: one per line of it (pretty JSON has several),
/// each cut to `width` columns when wrapping.
fn row_ranges(text: &str, width: u16, wrap: bool) -> Vec<Range<usize>> {
    let mut rows = Vec::new();
    let mut start = 0;
    for part in text.split('\n') {
        let range = start..start + part.len();
        if wrap {
            rows.extend(
                chunk_ranges(part, width)
                    .into_iter()
                    .map(|r| r.start + start..r.end + start),
            );
        } else {
            rows.push(range);
        }
        start += part.len() + 1;
    }
    rows
}

/// Draws one log line and returns the rows it used.
fn draw_line(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    shown: &ShownLine,
    filter: Option<&LineFilter>,
    state: &AppState,
    theme: &Theme,
) -> u16 {
    let line = &shown.line;
    let mut x = area.x;
    if state.logs_pane.timestamps {
        buf.set_stringn(x, y, text::clock_millis(line.timestamp), 12, theme.log_time);
        x += TIME_WIDTH;
    }
    let task = text::short_id(line.task_id());
    buf.set_stringn(x, y, task, 8, theme.task_colour(task));
    x += TASK_WIDTH;
    let width = area.right().saturating_sub(x);
    if width == 0 {
        return 1;
    }
    let style = severity_style(line.message, theme);
    let highlights = filter.map_or_else(Vec::new, |f| f.match_ranges(&shown.text));
    let mut rows = 0;
    for range in &shown.rows {
        let row = y + rows;
        if row >= area.bottom() {
            break;
        }
        let segment = Segment {
            text: &shown.text,
            range: range.clone(),
            highlights: &highlights,
            style,
        };
        segment.draw(buf, x, row, width, theme);
        rows += 1;
    }
    rows.max(1)
}

/// One row's part of a line's text and the filter matches that fall in it.
struct Segment<'a> {
    text: &'a str,
    range: Range<usize>,
    highlights: &'a [Range<usize>],
    style: Style,
}

impl Segment<'_> {
    /// Draws the text, switching to the match style inside the highlights.
    fn draw(&self, buf: &mut Buffer, x: u16, y: u16, width: u16, theme: &Theme) {
        let right = x.saturating_add(width);
        let end = self.range.end;
        let mut cursor = x;
        let mut at = self.range.start;
        while at < end && cursor < right {
            let next = self.highlights.iter().find(|h| h.end > at && h.start < end);
            let (stop, matched) = match next {
                Some(h) if h.start > at => (h.start.min(end), false),
                Some(h) => (h.end.min(end), true),
                None => (end, false),
            };
            let style = if matched {
                self.style.patch(theme.filter_match)
            } else {
                self.style
            };
            let piece = self.text.get(at..stop).unwrap_or("");
            cursor = buf
                .set_stringn(cursor, y, piece, (right - cursor) as usize, style)
                .0;
            at = stop;
        }
    }
}

/// Splits a text into byte ranges of at most `width` columns each.
fn chunk_ranges(text: &str, width: u16) -> Vec<Range<usize>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut used = 0usize;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width as usize && i > start {
            chunks.push(start..i);
            start = i;
            used = 0;
        }
        used += w;
    }
    chunks.push(start..text.len());
    chunks
}

/// Colour by severity: level words (`ERROR`, `warn`, `[info]`) and a JSON `level` field.
fn severity_style(message: &str, theme: &Theme) -> Style {
    match severity(message) {
        Some(Severity::Error) => theme.log_error,
        Some(Severity::Warn) => theme.log_warn,
        Some(Severity::Info) => theme.log_info,
        Some(Severity::Debug) => theme.log_debug,
        None => Style::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_splits_on_columns() {
        assert_eq!(chunk_ranges("abcdef", 4), vec![0..4, 4..6]);
    }

    #[test]
    fn pretty_rows_split_on_newlines_then_wrap() {
        assert_eq!(row_ranges("ab\ncdef", 10, false), vec![0..2, 3..7]);
        assert_eq!(row_ranges("ab\ncdef", 3, true), vec![0..2, 3..6, 6..7]);
    }
}
