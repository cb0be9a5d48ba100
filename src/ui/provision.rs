//! The progress of a bootstrap or teardown: one row per resource as CloudFormation works
//! (status, its reason, how long it took), and at the end what happened: the app's URL, or
//! the resource that failed and what was rolled back; for a teardown what is left and kept.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::screen::{self, line};
use super::{Theme, text};
use crate::app::screens::{ProvisionEnd, ProvisionView};
use crate::model::Millis;
use crate::ops::bootstrap::provision::{ApplyOutcome, BoardRow, TeardownOutcome};

/// Columns of the resource rows.
const TYPE: usize = 34;
const ID: usize = 26;
const STATUS: usize = 20;

pub fn draw(buf: &mut Buffer, area: Rect, view: &ProvisionView, teardown_key: &str, theme: &Theme) {
    let board = &view.board;
    let latest = board.latest_at();
    let elapsed = match (board.started_at, latest) {
        (Some(start), Some(end)) => (end - start).max(0) / 1000,
        _ => 0,
    };
    let (verdict, style) = headline(view, theme);
    let title = vec![
        Span::styled(
            format!(" {} {} ", view.kind.name(), view.stack.name),
            theme.focused_title,
        ),
        Span::styled(
            format!("· {:02}:{:02} ", elapsed / 60, elapsed % 60),
            theme.dim,
        ),
        Span::styled(format!("{verdict} "), style),
    ];
    let hint = if view.is_running() {
        "Esc hide (CloudFormation goes on; W shows it) · j/k scroll"
    } else {
        "Esc close · j/k scroll"
    };
    let inner = screen::frame(buf, area, title, hint, (130, 36), theme);
    let width = inner.width as usize;
    let count = |done: fn(&BoardRow) -> bool| board.count(done);
    let complete = count(|r| r.status.ends_with("_COMPLETE"));
    let in_progress = count(BoardRow::is_in_progress);
    let failed = count(BoardRow::is_failed);
    let header = format!(
        "stack {} · {} resources: {complete} complete, {in_progress} in progress, {failed} failed",
        board.stack_status.as_deref().unwrap_or("starting…"),
        board.rows.len()
    );
    let mut y = line(buf, inner, inner.y, Line::styled(header, theme.header));
    if let Some(unseen) = &view.unseen {
        y = line(
            buf,
            inner,
            y,
            Line::styled(
                format!("cannot see the stack right now ({unseen}); still following"),
                theme.warning,
            ),
        );
    }
    let end = end_lines(view, teardown_key, width, theme);
    let rows_room = inner
        .bottom()
        .saturating_sub(y + 1)
        .saturating_sub(end.len() as u16 + u16::from(!end.is_empty())) as usize;
    y = line(
        buf,
        inner,
        y,
        Line::styled(
            format!(
                "  {} {} {} {:>6}  REASON",
                text::cell("TYPE", TYPE),
                text::cell("LOGICAL ID", ID),
                text::cell("STATUS", STATUS),
                "TIME"
            ),
            theme.header,
        ),
    );
    let skip = view.scroll.min(board.rows.len().saturating_sub(rows_room));
    for row in board.rows.iter().skip(skip).take(rows_room) {
        y = line(buf, inner, y, row_line(row, latest, width, theme));
    }
    if !end.is_empty() {
        y = y.max(inner.bottom().saturating_sub(end.len() as u16));
        for piece in end {
            y = line(buf, inner, y, piece);
        }
    }
}

fn row_line<'a>(row: &'a BoardRow, now: Option<Millis>, width: usize, theme: &Theme) -> Line<'a> {
    let style = status_style(&row.status, theme);
    let time = row
        .elapsed_ms(now.unwrap_or_default())
        .map_or(String::new(), |ms| {
            let s = ms / 1000;
            format!("{:02}:{:02}", s / 60, s % 60)
        });
    let mark = if row.is_failed() {
        "✗"
    } else if row.is_in_progress() {
        "…"
    } else {
        "✓"
    };
    let used = 2 + TYPE + 1 + ID + 1 + STATUS + 1 + 6 + 2;
    Line::from(vec![
        Span::styled(format!("{mark} "), style),
        Span::raw(format!(
            "{} {} ",
            text::cell(&row.resource_type, TYPE),
            text::cell(&row.logical_id, ID)
        )),
        Span::styled(text::cell(&row.status, STATUS), style),
        Span::styled(format!(" {time:>6}  "), theme.dim),
        // A finished row keeps the reason of its last change ("Resource creation
        // Initiated"); only a failure's or a change under way is news.
        Span::styled(
            text::fit(
                row.reason
                    .as_deref()
                    .filter(|_| row.is_failed() || row.is_in_progress())
                    .unwrap_or_default(),
                width.saturating_sub(used),
            ),
            if row.is_failed() {
                theme.failed
            } else {
                theme.dim
            },
        ),
    ])
}

fn status_style(status: &str, theme: &Theme) -> Style {
    if status.ends_with("_FAILED") {
        theme.failed
    } else if status.ends_with("_IN_PROGRESS") {
        theme.pending
    } else if status.ends_with("_COMPLETE") {
        theme.ok
    } else {
        theme.dim
    }
}

fn headline(view: &ProvisionView, theme: &Theme) -> (&'static str, Style) {
    match &view.end {
        None => ("following…", theme.pending),
        Some(ProvisionEnd::Refused(_)) => ("could not run", theme.failed),
        Some(ProvisionEnd::Applied(outcome)) if outcome.succeeded => ("SUCCEEDED", theme.ok),
        Some(ProvisionEnd::Applied(outcome)) if outcome.lost_sight.is_some() => {
            ("LOST SIGHT", theme.warning)
        }
        Some(ProvisionEnd::Applied(outcome)) if !outcome.rolled_back.is_empty() => {
            ("FAILED, ROLLED BACK", theme.failed)
        }
        Some(ProvisionEnd::Applied(_)) => ("FAILED", theme.failed),
        Some(ProvisionEnd::TornDown(outcome)) if outcome.exit_code() == 0 => ("DELETED", theme.ok),
        Some(ProvisionEnd::TornDown(_)) => ("NOT ALL DELETED", theme.failed),
    }
}

/// What the end says, at the bottom of the view.
fn end_lines<'a>(
    view: &'a ProvisionView,
    teardown_key: &str,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let mut say = |text: &str, style: Style| {
        for piece in screen::wrap(text, width) {
            lines.push(Line::styled(piece, style));
        }
    };
    match &view.end {
        None => {}
        Some(ProvisionEnd::Refused(error)) => say(error, theme.error),
        Some(ProvisionEnd::Applied(outcome)) => {
            applied_lines(view, outcome, teardown_key, theme, &mut say);
        }
        Some(ProvisionEnd::TornDown(outcome)) => torn_down_lines(outcome, theme, &mut say),
    }
    lines
}

fn applied_lines(
    view: &ProvisionView,
    outcome: &ApplyOutcome,
    teardown_key: &str,
    theme: &Theme,
    say: &mut impl FnMut(&str, Style),
) {
    if let Some(why) = &outcome.lost_sight {
        say(why, theme.warning);
        return;
    }
    if outcome.succeeded {
        let done = if outcome.no_changes {
            format!(
                "stack {} already matched the answers: nothing changed",
                outcome.stack
            )
        } else {
            format!("stack {} is {}", outcome.stack, outcome.status)
        };
        say(&done, theme.ok);
        if let Some(url) = outcome.url() {
            say(&format!("the app: {url}"), theme.ok);
        }
        match &view.remembered {
            Some(Ok(where_)) => say(where_, theme.dim),
            Some(Err(error)) => say(&format!("not remembered: {error}"), theme.error),
            None => {}
        }
        say(
            "Esc closes this: the dashboard is on the new stack",
            theme.dim,
        );
        return;
    }
    say(
        &format!("stack {} is {}", outcome.stack, outcome.status),
        theme.failed,
    );
    if let Some(first) = &outcome.first_failure {
        say(&format!("first failure: {}", first.cause()), theme.failed);
    }
    if !outcome.rolled_back.is_empty() {
        say(
            &format!(
                "rolled back by CloudFormation: {}",
                names(&outcome.rolled_back)
            ),
            theme.dim,
        );
    }
    say(
        &format!(
            "press {teardown_key} (or run `opsdeck teardown --stack {}`) to delete what is left, \
             then bootstrap again",
            outcome.stack
        ),
        theme.warning,
    );
}

fn torn_down_lines(outcome: &TeardownOutcome, theme: &Theme, say: &mut impl FnMut(&str, Style)) {
    for step in &outcome.steps {
        say(step, theme.dim);
    }
    let style = if outcome.exit_code() == 0 {
        theme.ok
    } else {
        theme.failed
    };
    say(
        &format!("stack {} is {}", outcome.stack, outcome.status),
        style,
    );
    if let Some(first) = &outcome.first_failure {
        say(&format!("first failure: {}", first.cause()), theme.failed);
    }
    if let Some(why) = &outcome.lost_sight {
        say(why, theme.warning);
    }
    if outcome.left.is_empty() {
        say("left: nothing", theme.ok);
    }
    for left in &outcome.left {
        say(&format!("left: {} ({})", left.name, left.why), theme.failed);
    }
    if outcome.kept.is_empty() {
        say("kept on purpose: nothing", theme.dim);
    }
    for kept in &outcome.kept {
        say(
            &format!("kept on purpose: {} ({})", kept.name, kept.why),
            theme.dim,
        );
    }
}

/// A list of logical ids that may run to dozens: the first few and how many more.
fn names(ids: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut text = ids
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > SHOWN {
        text.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    text
}
