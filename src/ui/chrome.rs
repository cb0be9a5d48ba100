//! The frame around each pane: border, `[n] Name` title, filter, data age and feed errors.

use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};

use super::Theme;
use super::text;
use crate::app::action::{Feed, PaneId};
use crate::app::state::{AppState, InputKind};

pub fn feed_of(pane: PaneId) -> Feed {
    match pane {
        PaneId::Network => Feed::Topology,
        PaneId::Ecs => Feed::Ecs,
        PaneId::Targets => Feed::Targets,
        PaneId::Rds => Feed::Rds,
        PaneId::Logs => Feed::Logs,
        PaneId::Site => Feed::Site,
    }
}

pub fn feed_error(state: &AppState, feed: Feed) -> Option<&str> {
    match feed {
        Feed::Topology => state.topology.error.as_deref(),
        Feed::Ecs => state.ecs.error.as_deref(),
        Feed::Targets => state.targets.error.as_deref(),
        Feed::Rds => state.rds.error.as_deref(),
        Feed::Logs => state.logs_error.as_deref(),
        Feed::Metrics => state.metrics.error.as_deref(),
        Feed::Site => state.site.error.as_deref(),
    }
}

/// The bordered block of a pane. `extra` goes after the name (e.g. `following 1.2k lines`).
pub fn pane_block<'a>(
    state: &'a AppState,
    pane: PaneId,
    extra: Vec<Span<'a>>,
    theme: &Theme,
) -> Block<'a> {
    let focused = state.focus == pane;
    let (border, title) = if focused {
        (theme.focused_border, theme.focused_title)
    } else {
        (theme.border, theme.title)
    };
    let mut left = vec![Span::styled(
        format!(" [{}] {} ", pane.number(), pane.title()),
        title,
    )];
    left.extend(extra);
    left.extend(filter_spans(state, pane, theme));
    Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Rounded
        })
        .border_style(border)
        .title_top(Line::from(left))
        .title_top(age_line(state, feed_of(pane), theme).right_aligned())
}

fn filter_spans<'a>(state: &'a AppState, pane: PaneId, theme: &Theme) -> Vec<Span<'a>> {
    let typing = state
        .input
        .as_ref()
        .is_some_and(|i| i.pane == pane && i.kind == InputKind::Filter);
    match (state.filter_for(pane), typing) {
        (_, true) => vec![
            Span::styled(
                format!("/{}", state.input.as_ref().map_or("", |i| i.text.as_str())),
                theme.filter,
            ),
            Span::styled("▏", theme.filter),
            Span::raw(" "),
        ],
        (Some(filter), false) => vec![Span::styled(format!("/{filter} "), theme.filter)],
        (None, false) => Vec::new(),
    }
}

/// `3s ago`, `loading…`, or the feed's error when it has stale data to show.
fn age_line<'a>(state: &'a AppState, feed: Feed, theme: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    let at = state.feed_at(feed);
    if let (Some(error), Some(_)) = (feed_error(state, feed), at) {
        spans.push(Span::styled(
            format!(" ⚠ {} ", text::fit(error, 40)),
            theme.error,
        ));
    }
    spans.push(match at {
        Some(at) => Span::styled(format!(" {} ago ", text::age(state.now, at)), theme.dim),
        None if feed_error(state, feed).is_some() => Span::styled(" failed ", theme.error),
        None => Span::styled(" loading… ", theme.dim),
    });
    Line::from(spans)
}

/// What to draw inside a pane that has no data yet: the error in red, or `loading…`.
pub fn no_data_line<'a>(state: &'a AppState, feed: Feed, theme: &Theme) -> Line<'a> {
    match feed_error(state, feed) {
        Some(error) => Line::from(vec![
            Span::styled("✗ ", theme.error),
            Span::styled(error, theme.error),
        ]),
        // Targets, RDS and logs are found through the topology: while it is failing they
        // would wait forever, so say why.
        None => match (feed, feed_error(state, Feed::Topology)) {
            (Feed::Targets | Feed::Rds | Feed::Logs, Some(error)) => Line::from(vec![
                Span::styled("✗ cannot discover the stack: ", theme.error),
                Span::styled(error, theme.error),
            ]),
            _ => Line::from(Span::styled("loading…", theme.dim)),
        },
    }
}
