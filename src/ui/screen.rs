//! The frame shared by the release screens: a large bordered area over the dashboard, with
//! a key hint along its bottom edge.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Widget};

use super::Theme;
use crate::app::screens::Loading;

/// Clears and frames an area of at most `max_width` x `max_height` in the middle of the
/// screen; returns the inside.
pub fn frame(
    buf: &mut Buffer,
    screen: Rect,
    title: Vec<Span<'_>>,
    hint: &str,
    (max_width, max_height): (u16, u16),
    theme: &Theme,
) -> Rect {
    let width = max_width.min(screen.width.saturating_sub(2));
    let height = max_height.min(screen.height.saturating_sub(2));
    let area = screen.centered(Constraint::Length(width), Constraint::Length(height));
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.focused_border)
        .padding(Padding::horizontal(1))
        .title_top(Line::from(title))
        .title_bottom(Line::styled(format!(" {hint} "), theme.dim));
    Clear.render(area, buf);
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// What a screen shows before its data: what it is waiting for, or why it cannot have it.
/// `Some` once the data is there.
pub fn ready<'a, T>(
    buf: &mut Buffer,
    area: Rect,
    loading: &'a Loading<T>,
    waiting: &str,
    theme: &Theme,
) -> Option<&'a T> {
    match loading {
        Loading::Ready(value) => Some(value),
        Loading::Waiting => {
            line(
                buf,
                area,
                area.y,
                Line::styled(waiting.to_string(), theme.dim),
            );
            None
        }
        Loading::Failed(error) => {
            line(buf, area, area.y, Line::styled(error.clone(), theme.error));
            None
        }
    }
}

/// Writes one line at row `y` of `area` if it is inside; returns the next row.
pub fn line(buf: &mut Buffer, area: Rect, y: u16, line: Line<'_>) -> u16 {
    if y < area.bottom() {
        buf.set_line(area.x, y, &line, area.width);
    }
    y + 1
}

/// A `[x] r  text` option line.
pub fn option<'a>(on: bool, key: &'a str, text: &'a str, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(if on { "[x] " } else { "[ ] " }, theme.ok),
        Span::styled(format!("{key}  "), theme.filter),
        Span::raw(text),
    ])
}

/// Splits a message at spaces into lines of at most `width` columns (a word longer than
/// that stands on a line of its own and is cut when drawn).
pub fn wrap(message: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in message.split(' ') {
        let used = lines.last().map_or(0, |l| l.chars().count());
        if used > 0 && used + 1 + word.chars().count() > width {
            lines.push(String::new());
        }
        if let Some(last) = lines.last_mut() {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// A bar of `width` cells, `done` of `total` filled.
pub fn bar(done: u32, total: u32, width: usize) -> String {
    let filled = if total == 0 {
        0
    } else {
        (done.min(total) as usize * width).div_ceil(total as usize)
    };
    format!(
        "{}{}",
        "█".repeat(filled),
        "░".repeat(width - filled.min(width))
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_wrap_at_spaces() {
        assert_eq!(
            super::wrap("crash loop: 3 tasks stopped", 12),
            ["crash loop:", "3 tasks", "stopped"]
        );
        assert_eq!(super::wrap("short", 12), ["short"]);
    }

    #[test]
    fn bars_fill_in_proportion() {
        assert_eq!(super::bar(0, 2, 4), "░░░░");
        assert_eq!(super::bar(1, 2, 4), "██░░");
        assert_eq!(super::bar(2, 2, 4), "████");
        assert_eq!(super::bar(3, 0, 4), "░░░░");
    }
}
