//! The rollback picker: revisions on the left, the difference from the running one on the
//! right.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::layout::scroll_window;
use super::screen::{self, line};
use super::{Theme, text};
use crate::app::screens::{Loading, RollbackPicker};
use crate::app::state::AppState;
use crate::model::TaskDefinitionStatus;

pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    state: &AppState,
    picker: &RollbackPicker,
    theme: &Theme,
) {
    let title = vec![Span::styled(
        format!(" Roll back {} ", state.stack.service),
        theme.focused_title,
    )];
    let inner = screen::frame(
        buf,
        area,
        title,
        "Enter roll back to the selected revision… · Esc close",
        (120, 30),
        theme,
    );
    let Some(revisions) = screen::ready(
        buf,
        inner,
        &picker.revisions,
        "reading the revisions…",
        theme,
    ) else {
        return;
    };
    let [list, diff] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(inner);
    let mut y = line(
        buf,
        list,
        list.y,
        Line::styled(
            format!(
                "    {:<10} {:<8} {:<10} {}",
                "REVISION", "STATUS", "REGISTERED", "IMAGE"
            ),
            theme.header,
        ),
    );
    let legend = list.bottom().saturating_sub(1);
    line(
        buf,
        list,
        legend,
        Line::from(vec![
            Span::styled("● running now  ", theme.ok),
            Span::styled("INACTIVE ones cannot be deployed", theme.dim),
        ]),
    );
    let rows = legend.saturating_sub(y) as usize;
    for i in scroll_window(picker.selected, revisions.len(), rows) {
        let revision = &revisions[i];
        let marker = if i == picker.selected { "▶ " } else { "  " };
        let image = revision
            .images
            .first()
            .map(|image| short_image(image))
            .unwrap_or_default();
        let status = match revision.status {
            TaskDefinitionStatus::Active => Span::raw("ACTIVE   "),
            TaskDefinitionStatus::Inactive => Span::styled("INACTIVE ", theme.dim),
        };
        // The date alone: the revisions of a busy service are days apart.
        let registered: String = text::date_time(revision.registered_at)
            .chars()
            .take(10)
            .collect();
        let spans = vec![
            Span::raw(marker),
            Span::styled(if revision.running { "● " } else { "  " }, theme.ok),
            Span::raw(format!(
                "{} ",
                text::cell(crate::model::family_revision(&revision.arn), 10)
            )),
            status,
            Span::raw(format!("{registered} ")),
            Span::raw(image),
        ];
        let mut row = Line::from(spans);
        if i == picker.selected {
            row = row.style(theme.selection);
        }
        y = line(buf, list, y, row);
    }
    draw_difference(buf, diff, picker, theme);
}

fn draw_difference(buf: &mut Buffer, area: Rect, picker: &RollbackPicker, theme: &Theme) {
    let area = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(1),
        ..area
    };
    let Some(selected) = picker.selected_revision() else {
        return;
    };
    let mut y = line(
        buf,
        area,
        area.y,
        Line::styled(
            format!("running → {}", crate::model::family_revision(&selected.arn)),
            theme.header,
        ),
    );
    match picker.selected_plan() {
        None | Some(Loading::Waiting) => {
            line(buf, area, y, Line::styled("comparing…", theme.dim));
        }
        Some(Loading::Failed(reason)) => {
            line(buf, area, y, Line::styled(reason.clone(), theme.warning));
        }
        Some(Loading::Ready(plan)) if plan.changes.is_empty() => {
            line(
                buf,
                area,
                y,
                Line::styled(
                    "same images, environment, secrets, sizes, ports and checks",
                    theme.dim,
                ),
            );
        }
        Some(Loading::Ready(plan)) => {
            for change in &plan.changes {
                // Images share their registry: the repository and tag are the difference.
                let value = |v: &str| {
                    if change.field.starts_with("image") {
                        short_image(v)
                    } else {
                        v.to_string()
                    }
                };
                y = line(
                    buf,
                    area,
                    y,
                    Line::styled(change.field.clone(), theme.title),
                );
                y = line(
                    buf,
                    area,
                    y,
                    Line::from(vec![
                        Span::styled("  - ", theme.failed),
                        Span::raw(value(&change.before)),
                    ]),
                );
                y = line(
                    buf,
                    area,
                    y,
                    Line::from(vec![
                        Span::styled("  + ", theme.ok),
                        Span::raw(value(&change.after)),
                    ]),
                );
            }
        }
    }
}

/// `repo:tag` or `repo@sha256:12345678…` without the registry host.
fn short_image(image: &str) -> String {
    let name = image.rsplit('/').next().unwrap_or(image);
    match name.split_once("@sha256:") {
        Some((repo, digest)) => format!("{repo}@{}", text::fit(digest, 9)),
        None => name.to_string(),
    }
}
