//! The RDS pane: each database instance's status and the facts needed in an incident.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Widget};

use super::{Theme, chrome, rows, spark, text};
use crate::app::action::{Feed, PaneId};
use crate::app::state::AppState;
use crate::model::{DbInstance, MetricQuery, MetricSeries};

/// Labels are padded to this width so values line up.
const LABEL_WIDTH: usize = 12;

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let block = chrome::pane_block(state, PaneId::Rds, Vec::new(), theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if state.rds.data.is_none() {
        Paragraph::new(chrome::no_data_line(state, Feed::Rds, theme)).render(inner, buf);
        return;
    }
    let databases = rows::databases(state);
    if databases.is_empty() {
        let note = if state.filter_for(PaneId::Rds).is_some() {
            "no instance matches the filter"
        } else {
            "no RDS instance found in the service's VPC"
        };
        buf.set_stringn(inner.x, inner.y, note, inner.width as usize, theme.dim);
        return;
    }
    let mut y = inner.y;
    // The selected instance first: with one instance (the usual case) this is all of them.
    let selected = state.rds_selected.min(databases.len() - 1);
    let order = std::iter::once(selected).chain((0..databases.len()).filter(|i| *i != selected));
    for i in order {
        if y >= inner.bottom() {
            break;
        }
        let rect = Rect::new(inner.x, y, inner.width, inner.bottom() - y);
        y += draw_instance(buf, rect, state, databases[i], i == selected, theme);
    }
}
/// A line under an instance's name: a fact, or one of its CloudWatch series.
enum Line<'a> {
    Fact(&'static str, String),
    Spark(&'static str, &'a MetricSeries),
}

/// The lines in the order they are kept when the pane is short: what an incident needs first
/// (engine, load, the risky settings), then what the detail popup also shows.
fn lines<'a>(state: &'a AppState, db: &DbInstance) -> Vec<Line<'a>> {
    let mut facts: Vec<(&'static str, String)> = rows::database_facts(db);
    let mut take = |label: &str| {
        facts
            .iter()
            .position(|(l, _)| *l == label)
            .map(|i| facts.remove(i))
            .map(|(label, value)| Line::Fact(label, value))
    };
    let mut lines: Vec<Line> = take("engine").into_iter().collect();
    if let Some(metrics) = &state.metrics.data {
        let instance = db.id.clone();
        let wanted = [
            (
                "cpu",
                MetricQuery::DbCpu {
                    instance: instance.clone(),
                },
            ),
            (
                "connections",
                MetricQuery::DbConnections {
                    instance: instance.clone(),
                },
            ),
            ("free storage", MetricQuery::DbFreeStorage { instance }),
        ];
        lines.extend(
            wanted
                .into_iter()
                .filter_map(|(label, query)| Some(Line::Spark(label, metrics.get(&query)?))),
        );
    }
    for label in ["multi-AZ", "backups", "deletion", "public", "maintenance"] {
        lines.extend(take(label));
    }
    lines.extend(
        facts
            .into_iter()
            .map(|(label, value)| Line::Fact(label, value)),
    );
    lines
}

/// Draws one instance and returns the rows used.
fn draw_instance(
    buf: &mut Buffer,
    area: Rect,
    state: &AppState,
    db: &DbInstance,
    selected: bool,
    theme: &Theme,
) -> u16 {
    let width = area.width as usize;
    let head_style = if selected {
        theme.title.patch(theme.selection)
    } else {
        theme.title
    };
    buf.set_style(Rect::new(area.x, area.y, area.width, 1), head_style);
    buf.set_stringn(area.x, area.y, text::fit(&db.id, width), width, head_style);
    let x = area.x + db.id.chars().count().min(width) as u16 + 2;
    let room = area.right().saturating_sub(x) as usize;
    buf.set_stringn(
        x,
        area.y,
        &db.status,
        room,
        theme.health(db.health()).patch(head_style),
    );
    let mut used = 1;
    let x = area.x + LABEL_WIDTH as u16 + 1;
    let room = area.right().saturating_sub(x) as usize;
    for line in lines(state, db) {
        if used >= area.height {
            break;
        }
        let y = area.y + used;
        let (label, value, style) = match line {
            Line::Fact(label, value) => {
                let style = fact_style(label, &value, theme);
                (label, text::fit(&value, room), style)
            }
            Line::Spark(label, series) => {
                (label, spark::value_and_bars(series, room), theme.pending)
            }
        };
        buf.set_stringn(area.x, y, text::cell(label, LABEL_WIDTH), width, theme.dim);
        buf.set_stringn(x, y, value, room, style);
        used += 1;
    }
    used
}

/// Facts that are a risk when they read a certain way are coloured.
fn fact_style(label: &str, value: &str, theme: &Theme) -> Style {
    match (label, value) {
        ("multi-AZ", "no") | ("deletion", "unprotected") => theme.warning,
        ("public", "yes") => theme.failed,
        ("maintenance", "unknown") => theme.dim,
        ("maintenance", v) if v != "none" => theme.warning,
        _ => Style::new(),
    }
}
