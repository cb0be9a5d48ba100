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
    /// A shorter form, tried before the segment is dropped.
    compact: Option<Vec<Span<'a>>>,
    /// Lower is shortened, then dropped, first when the bar is too narrow.
    keep: u8,
}

impl<'a> Segment<'a> {
    fn new(spans: Vec<Span<'a>>, keep: u8) -> Segment<'a> {
        Segment {
            spans,
            compact: None,
            keep,
        }
    }
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
        let Some(weakest) = segments
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.keep)
            .map(|(i, _)| i)
        else {
            break;
        };
        match segments[weakest].compact.take() {
            Some(compact) => segments[weakest].spans = compact,
            None => {
                segments.remove(weakest);
            }
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

/// A watch going on behind the dashboard: `⟳ deploy v2.14.0 1/2 00:42 W`.
fn release_segment<'a>(
    state: &AppState,
    release: &crate::app::screens::ReleaseWatch,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let elapsed = (state.now - release.started_at).max(0) / 1000;
    let progress = release
        .view
        .as_ref()
        .and_then(|v| {
            let id = v.watched.as_deref()?;
            v.deployments.iter().find(|d| d.id == id)
        })
        .map(|d| format!(" {}/{}", d.running, d.desired))
        .unwrap_or_default();
    vec![
        Span::styled(
            format!(
                "⟳ {} {}{progress} {:02}:{:02}",
                release.kind.name(),
                release.subject,
                elapsed / 60,
                elapsed % 60
            ),
            theme.pending,
        ),
        Span::styled(" W", theme.filter),
    ]
}

fn segments<'a>(state: &'a AppState, theme: &Theme) -> Vec<Segment<'a>> {
    let mut segments = Vec::new();
    if state.read_only {
        segments.push(Segment::new(
            vec![Span::styled(" READ-ONLY ", theme.badge)],
            8,
        ));
    }
    segments.push(Segment::new(
        vec![Span::styled(state.backend.to_string(), theme.title)],
        6,
    ));
    if let Some(identity) = &state.identity {
        segments.push(Segment::new(
            vec![Span::styled(identity.account_id.clone(), theme.dim)],
            2,
        ));
    }
    segments.push(Segment::new(
        vec![Span::styled(state.stack.name.clone(), theme.focused_title)],
        5,
    ));
    segments.push(Segment {
        spans: feed_ages(state, theme),
        compact: Some(oldest_feed(state, theme)),
        keep: 3,
    });
    if let Some(release) = state
        .release
        .as_ref()
        .filter(|r| !r.shown && r.is_running())
    {
        segments.push(Segment::new(release_segment(state, release, theme), 8));
    }
    if !state.pending_keys.is_empty() {
        segments.push(Segment::new(
            vec![Span::styled(
                format!("{}…", state.pending_keys),
                theme.filter,
            )],
            7,
        ));
    }
    if let Some(notice) = &state.notice {
        segments.push(Segment::new(
            vec![Span::styled(format!("✓ {notice}"), theme.ok)],
            9,
        ));
    }
    if let Some(error) = &state.last_error {
        segments.push(Segment::new(
            vec![Span::styled(format!("✗ {error}"), theme.error)],
            9,
        ));
    }
    segments
}

const FEED_NAMES: [(Feed, &str); 6] = [
    (Feed::Ecs, "ecs"),
    (Feed::Targets, "tg"),
    (Feed::Rds, "rds"),
    (Feed::Topology, "net"),
    (Feed::Logs, "log"),
    (Feed::Metrics, "cw"),
];

fn feed_ages<'a>(state: &AppState, theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    for (i, (feed, name)) in FEED_NAMES.into_iter().enumerate() {
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

/// The short form of the feed ages: the oldest feed's age, and the feeds that failed.
fn oldest_feed<'a>(state: &AppState, theme: &Theme) -> Vec<Span<'a>> {
    let oldest = FEED_NAMES
        .iter()
        .filter_map(|(feed, _)| state.feed_at(*feed))
        .min();
    let mut spans = vec![Span::styled(
        format!(
            "data ≤{}",
            oldest.map_or("…".into(), |at| text::age(state.now, at))
        ),
        theme.dim,
    )];
    for (feed, name) in FEED_NAMES {
        if super::chrome::feed_error(state, feed).is_some() {
            spans.push(Span::styled(format!(" ✗{name}"), theme.error));
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    use super::*;

    fn bar(state: &AppState, width: u16) -> String {
        let area = Rect::new(0, 0, width, 1);
        let mut buf = Buffer::empty(area);
        draw(&mut buf, area, state, &Theme::default());
        (0..width).map(|x| buf[(x, 0)].symbol()).collect()
    }

    fn state() -> AppState {
        let mut state = AppState::for_tests();
        state.read_only = true;
        state.now = 100_000;
        state.ecs.at = Some(99_000);
        state.targets.at = Some(98_000);
        state.rds.at = Some(95_000);
        state.topology.at = Some(88_000);
        state.logs_at = Some(100_000);
        state.metrics.error = Some("AccessDenied: cloudwatch:GetMetricData".into());
        state
    }

    #[test]
    fn every_feed_has_its_age_when_there_is_room() {
        let line = bar(&state(), 120);
        assert!(
            line.contains("ecs 1s tg 2s rds 5s net 12s log 0s cw ✗"),
            "{line}"
        );
    }

    #[test]
    fn a_narrow_bar_keeps_the_oldest_age_and_the_failed_feeds() {
        let line = bar(&state(), 60);
        assert!(line.contains("READ-ONLY"), "{line}");
        assert!(line.contains("data ≤12s ✗cw"), "{line}");
        assert!(line.ends_with(" ? help "), "{line}");
    }
}
