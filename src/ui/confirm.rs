//! The confirmation dialog of a mutation.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Widget, Wrap};

use super::Theme;
use crate::app::screens::Confirm;
use crate::app::state::AppState;

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, confirm: &Confirm, theme: &Theme) {
    let mut lines: Vec<Line> = confirm.lines.iter().map(|l| Line::raw(l.clone())).collect();
    lines.push(Line::raw(""));
    if state.read_only {
        lines.push(Line::styled(
            "read-only: opsdeck will refuse this and record the refusal",
            theme.warning,
        ));
    }
    match &confirm.require {
        Some(name) => {
            lines.push(Line::from(vec![
                Span::styled("production: ", theme.warning),
                Span::raw(format!("type {name} and Enter to go ahead, Esc to cancel")),
            ]));
            lines.push(Line::from(vec![
                Span::styled("> ", theme.filter),
                Span::styled(confirm.typed.clone(), theme.filter),
                Span::styled("▏", theme.filter),
            ]));
        }
        None => lines.push(Line::from(vec![
            Span::styled("y", theme.filter),
            Span::raw(" yes, go ahead   "),
            Span::styled("n", theme.filter),
            Span::raw(" no"),
        ])),
    }
    if let Some(error) = &confirm.error {
        lines.push(Line::styled(error.clone(), theme.error));
    }
    let width = lines
        .iter()
        .map(Line::width)
        .max()
        .unwrap_or(0)
        .max(confirm.title.len() + 4) as u16
        + 4;
    let width = width.min(100).min(area.width.saturating_sub(4));
    let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let dialog = area.centered(Constraint::Length(width), Constraint::Length(height));
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.warning)
        .padding(Padding::horizontal(1))
        .title_top(Line::styled(format!(" {} ", confirm.title), theme.warning));
    Clear.render(dialog, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(block)
        .render(dialog, buf);
}
