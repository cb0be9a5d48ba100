//! The site pane: each CloudFront distribution of the stack (status, names, certificate,
//! origins, latest invalidations) and each bucket it serves (objects, size, last upload).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Widget};

use super::{Theme, chrome, text};
use crate::app::action::{Feed, PaneId};
use crate::app::state::AppState;
use crate::app::view::rows::{self, SiteRow};
use crate::model::Health;

/// Labels are padded to this width so values line up.
const LABEL_WIDTH: usize = 12;

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let block = chrome::pane_block(state, PaneId::Site, Vec::new(), theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if state.topology.data.is_none() {
        Paragraph::new(chrome::no_data_line(state, Feed::Topology, theme)).render(inner, buf);
        return;
    }
    let site_rows = rows::site_rows(state);
    if site_rows.is_empty() {
        let note = if state.filter_for(PaneId::Site).is_some() {
            "nothing matches the filter"
        } else {
            "no CloudFront distribution or site bucket found"
        };
        buf.set_stringn(inner.x, inner.y, note, inner.width as usize, theme.dim);
        return;
    }
    if let Some(error) = chrome::feed_error(state, Feed::Site) {
        buf.set_stringn(
            inner.x,
            inner.bottom().saturating_sub(1),
            format!("✗ {error}"),
            inner.width as usize,
            theme.error,
        );
    }
    let selected = state.site_selected.min(site_rows.len() - 1);
    // Each row's title, then as many of its facts as fit: the selected one gets the room.
    let titles = site_rows.len() as u16;
    let spare = inner.height.saturating_sub(titles) as usize;
    let mut y = inner.y;
    for (i, row) in site_rows.iter().enumerate() {
        if y >= inner.bottom() {
            break;
        }
        let facts = rows::site_facts(state, *row);
        let shown = if i == selected {
            facts.len().min(spare)
        } else {
            0
        };
        let rect = Rect::new(inner.x, y, inner.width, inner.bottom() - y);
        y += draw_row(buf, rect, *row, &facts, shown, i == selected, theme);
    }
}

fn row_health(row: SiteRow<'_>, facts: &[(&'static str, String)]) -> Health {
    match row {
        SiteRow::Distribution(d) if !d.distribution.enabled => Health::Warning,
        SiteRow::Distribution(d) if d.distribution.is_deployed() => Health::Ok,
        SiteRow::Distribution(_) => Health::Pending,
        SiteRow::Bucket(_) => match facts.iter().find(|(l, _)| *l == "access") {
            Some((_, v)) if v.starts_with("private") => Health::Ok,
            Some(_) => Health::Warning,
            None => Health::Unknown,
        },
    }
}

/// Draws one row and its facts; returns the rows used.
fn draw_row(
    buf: &mut Buffer,
    area: Rect,
    row: SiteRow<'_>,
    facts: &[(&'static str, String)],
    shown: usize,
    selected: bool,
    theme: &Theme,
) -> u16 {
    let width = area.width as usize;
    let head_style = if selected {
        theme.title.patch(theme.selection)
    } else {
        theme.title
    };
    if selected {
        buf.set_style(Rect::new(area.x, area.y, area.width, 1), head_style);
    }
    let title = row.title();
    buf.set_stringn(area.x, area.y, text::fit(&title, width), width, head_style);
    // Beside the title: a distribution's status, a bucket's size.
    let summary_label = match row {
        SiteRow::Distribution(_) => "status",
        SiteRow::Bucket(_) => "objects",
    };
    let summary = facts
        .iter()
        .find(|(l, _)| *l == summary_label)
        .map_or("", |(_, v)| v.as_str());
    let x = area.x + title.chars().count().min(width) as u16 + 2;
    let room = area.right().saturating_sub(x) as usize;
    let health = row_health(row, facts);
    buf.set_stringn(
        x,
        area.y,
        summary,
        room,
        theme.health(health).patch(head_style),
    );
    let mut used = 1;
    let x = area.x + LABEL_WIDTH as u16 + 1;
    let room = area.right().saturating_sub(x) as usize;
    // The summary is on the title line already.
    let lines = facts.iter().filter(|(l, _)| *l != summary_label);
    for (label, value) in lines.take(shown) {
        if used >= area.height {
            break;
        }
        let y = area.y + used;
        buf.set_stringn(area.x, y, text::cell(label, LABEL_WIDTH), width, theme.dim);
        buf.set_stringn(
            x,
            y,
            text::fit(value, room),
            room,
            fact_style(label, value, theme),
        );
        used += 1;
    }
    used
}

/// Facts that are a risk when they read a certain way are coloured.
fn fact_style(label: &str, value: &str, theme: &Theme) -> Style {
    match (label, value) {
        ("access", v) if !v.starts_with("private") => theme.failed,
        ("viewers", "allow-all") | ("root object", "none") => theme.warning,
        ("origin", v) if v.contains("no access control") || v.contains("(http-only)") => {
            theme.failed
        }
        ("invalidation", v) if v.contains("InProgress") => theme.pending,
        ("status", v) if v.starts_with("InProgress") => theme.pending,
        _ => Style::new(),
    }
}
