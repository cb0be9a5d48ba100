//! The targets pane: each target group's health check and the state of every target in it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Widget};

use super::layout::{self, scroll_window};
use super::table::{self, Cell, Column, col, fill};
use super::{Theme, chrome, rows, spark, text};
use crate::app::action::{Feed, PaneId};
use crate::app::state::AppState;
use crate::model::metrics::load_balancer_name;
use crate::model::{MetricSeries, TargetGroupHealth, TargetHealth};

const COLUMNS: [Column; 4] = [
    col("TARGET", 16, 9),
    col("AZ", 10, 3),
    col("STATE", 9, 8),
    fill("REASON", 12, 6),
];

/// A line of the pane: a group's header, or a target (with its index among selectable rows).
enum Row<'a> {
    Group(&'a TargetGroupHealth),
    Target(usize, &'a TargetHealth),
}

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let block = chrome::pane_block(state, PaneId::Targets, Vec::new(), theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if state.targets.data.is_none() {
        Paragraph::new(chrome::no_data_line(state, Feed::Targets, theme)).render(inner, buf);
        return;
    }
    let alb_rows = draw_load_balancers(buf, inner, state, theme);
    let inner = Rect {
        y: inner.y + alb_rows,
        height: inner.height - alb_rows,
        ..inner
    };
    if inner.height == 0 {
        return;
    }
    let columns = columns(state);
    let kept = table::fit_columns(&columns, inner.width);
    table::draw_header(buf, inner, inner.y, &columns, &kept, theme.header);
    let lines = lines(state);
    if lines.is_empty() {
        let note = if state.filter_for(PaneId::Targets).is_some() {
            "no target matches the filter"
        } else {
            "no target groups"
        };
        buf.set_stringn(inner.x, inner.y + 1, note, inner.width as usize, theme.dim);
        return;
    }
    let selected_line = lines
        .iter()
        .position(|l| matches!(l, Row::Target(i, _) if *i == state.targets_selected))
        .unwrap_or(0);
    let window = scroll_window(selected_line, lines.len(), inner.height as usize - 1);
    for (row, line) in lines[window].iter().enumerate() {
        let y = inner.y + 1 + row as u16;
        match line {
            Row::Group(group) => draw_group(buf, inner, y, group, theme),
            Row::Target(i, target) => {
                let style = table::selected_style(*i == state.targets_selected, theme);
                let cells = target_cells(target, theme);
                table::draw_row(buf, inner, y, &columns, &kept, &cells, style);
            }
        }
    }
}

/// The target column is as wide as its longest `ip:port`, up to `255.255.255.255:65535`.
fn columns(state: &AppState) -> [Column; 4] {
    let mut columns = COLUMNS;
    let widest = rows::targets(state)
        .iter()
        .map(|(_, t)| target_label(t).chars().count())
        .max()
        .unwrap_or(0);
    columns[0].width = (widest as u16).clamp(COLUMNS[0].width, 21);
    columns
}

fn target_label(target: &TargetHealth) -> String {
    format!("{}:{}", target.target_id, target.port)
}

/// `umami  5xx 0 ▁▁▂▁  resp 45 ms ▂▃▂▂` per load balancer; returns the rows used.
fn draw_load_balancers(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) -> u16 {
    let Some(metrics) = &state.metrics.data else {
        return 0;
    };
    let load_balancers = metrics.load_balancers();
    let rows = layout::fit_load_balancers(load_balancers.len(), area.height);
    let width = area.width as usize;
    for (i, (dimension, errors, latency)) in
        load_balancers.into_iter().take(rows as usize).enumerate()
    {
        let y = area.y + i as u16;
        let name = format!("ALB {} ", load_balancer_name(dimension));
        let name = text::fit(&name, width / 3);
        buf.set_stringn(area.x, y, &name, width, theme.title);
        let x = area.x + name.chars().count() as u16;
        let room = area.right().saturating_sub(x) as usize;
        let style = if errors
            .and_then(MetricSeries::latest)
            .is_some_and(|v| v > 0.0)
        {
            theme.warning
        } else {
            theme.pending
        };
        buf.set_stringn(
            x,
            y,
            spark::row(&[("5xx", errors), ("resp", latency)], room),
            room,
            style,
        );
    }
    rows
}

fn lines(state: &AppState) -> Vec<Row<'_>> {
    let mut lines = Vec::new();
    let mut current: Option<&str> = None;
    for (i, (group, target)) in rows::targets(state).into_iter().enumerate() {
        if current != Some(group.group.arn.as_str()) {
            current = Some(group.group.arn.as_str());
            lines.push(Row::Group(group));
        }
        lines.push(Row::Target(i, target));
    }
    if state.filter_for(PaneId::Targets).is_none() {
        // Empty groups say the most of all: nothing is registered.
        for group in rows::groups(state).iter().filter(|g| g.targets.is_empty()) {
            lines.push(Row::Group(group));
        }
    }
    lines
}

fn draw_group(buf: &mut Buffer, area: Rect, y: u16, group: &TargetGroupHealth, theme: &Theme) {
    let g = &group.group;
    let health = theme.health(group.health());
    let summary = format!("healthy {}/{}", group.healthy(), group.targets.len());
    let head = format!(
        "▾ {} {}:{} {}  ",
        g.name, g.protocol, g.port, g.health_check.path
    );
    let room = area.width as usize;
    buf.set_stringn(area.x, y, text::fit(&head, room), room, theme.title);
    let x = area.x + text::fit(&head, room).chars().count() as u16;
    let room = area.right().saturating_sub(x) as usize;
    buf.set_stringn(x, y, summary, room, health);
}

fn target_cells(target: &TargetHealth, theme: &Theme) -> Vec<Cell> {
    let state = theme.health(target.state.health());
    vec![
        (target_label(target), state),
        (
            target.availability_zone.clone().unwrap_or_default(),
            Style::new(),
        ),
        (target.state.as_str().to_string(), state),
        (reason(target), state),
    ]
}

/// `Target.Timeout: Request timed out`: the code to search for, then what it means.
fn reason(target: &TargetHealth) -> String {
    match (&target.reason, &target.description) {
        (Some(code), Some(text)) => format!("{code}: {text}"),
        (Some(code), None) => code.clone(),
        (None, Some(text)) => text.clone(),
        (None, None) => String::new(),
    }
}
