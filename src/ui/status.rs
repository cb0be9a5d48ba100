//! The one-line status bar: where we are, how fresh each feed is, and what went wrong last.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::{Theme, text};
use crate::app::action::Feed;
use crate::app::state::AppState;

struct Segment<'a> {
    spans: Vec<Span<'a>>,
    /// Lower is dropped first when the bar is too narrow.
    keep: u8,
}

impl Segment<'_> {
    fn width(&self) -> usize {
        self.spans.iter().map(|s| s.content.width()).sum::<usize>() + 1
    }
}

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let help = Span::styled(" ? help ", theme.focused_title);
    let room = (area.width as usize).saturating_sub(help.content.width());
    let mut segments = segments(state, theme);
    while segments.iter().map(Segment::width).sum::<usize>() > room && segments.len() > 1 {
        if let Some(weakest) = segments
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.keep)
            .map(|(i, _)| i)
        {
            segments.remove(weakest);
        }
    }
    let mut spans: Vec<Span> = Vec::new();
    for segment in segments {
        spans.push(Span::raw(" "));
        spans.extend(segment.spans);
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    if used > room {
        let line: String = spans.iter().map(|s| s.content.as_ref()).collect();
        spans = vec![Span::styled(text::fit(&line, room), theme.error)];
    }
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    spans.push(Span::raw(" ".repeat(room.saturating_sub(used))));
    spans.push(help);
    Line::from(spans).style(theme.dim).render(area, buf);
}

fn segments<'a>(state: &'a AppState, theme: &Theme) -> Vec<Segment<'a>> {
    let mut segments = Vec::new();
    if state.read_only {
        segments.push(Segment {
            spans: vec![Span::styled(" READ-ONLY ", theme.badge)],
            keep: 8,
        });
    }
    segments.push(Segment {
        spans: vec![Span::styled(state.backend.to_string(), theme.title)],
        keep: 6,
    });
    if let Some(identity) = &state.identity {
        segments.push(Segment {
            spans: vec![Span::styled(identity.account_id.clone(), theme.dim)],
            keep: 2,
        });
    }
    segments.push(Segment {
        spans: vec![Span::styled(state.stack.name.clone(), theme.focused_title)],
        keep: 5,
    });
    segments.push(Segment {
        spans: feed_ages(state, theme),
        keep: 3,
    });
    if !state.pending_keys.is_empty() {
        segments.push(Segment {
            spans: vec![Span::styled(
                format!("{}…", state.pending_keys),
                theme.filter,
            )],
            keep: 7,
        });
    }
    if let Some(notice) = &state.notice {
        segments.push(Segment {
            spans: vec![Span::styled(format!("✓ {notice}"), theme.ok)],
            keep: 9,
        });
    }
    if let Some(error) = &state.last_error {
        segments.push(Segment {
            spans: vec![Span::styled(format!("✗ {error}"), theme.error)],
            keep: 9,
        });
    }
    segments
}

fn feed_ages<'a>(state: &AppState, theme: &Theme) -> Vec<Span<'a>> {
    let names = [
        (Feed::Ecs, "ecs"),
        (Feed::Targets, "tg"),
        (Feed::Rds, "rds"),
        (Feed::Topology, "net"),
        (Feed::Logs, "log"),
    ];
    let mut spans = Vec::new();
    for (i, (feed, name)) in names.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let failed = super::chrome::feed_error(state, feed).is_some();
        let (age, style) = match state.feed_at(feed) {
            Some(at) => (text::age(state.now, at), theme.dim),
            None if failed => ("✗".to_string(), theme.error),
            None => ("…".to_string(), theme.dim),
        };
        let style = if failed { theme.error } else { style };
        spans.push(Span::styled(format!("{name} {age}"), style));
    }
    spans
}
