//! The deploy wizard: the repository's tags, the container, then the summary to confirm.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::layout::scroll_window;
use super::screen::{self, line};
use super::{Theme, text};
use crate::app::screens::{DeployStep, DeployWizard, Loading};
use crate::app::state::{AppState, InputKind};

/// Columns of the tag list: tags are short (`v2.14.1-unhealthy`), digests are cut at the edge.
const TAGS: usize = 22;

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, wizard: &DeployWizard, theme: &Theme) {
    let (step, hint) = match wizard.step {
        DeployStep::Tag => ("pick an image", "Enter choose · / filter · Esc close"),
        DeployStep::Container => ("pick the container", "Enter choose · Esc back"),
        DeployStep::Summary => ("check and deploy", "Enter deploy… · r/s toggle · Esc back"),
    };
    let title = vec![
        Span::styled(
            format!(" Deploy {} ", state.stack.service),
            theme.focused_title,
        ),
        Span::styled(format!("· {step} "), theme.dim),
    ];
    let inner = screen::frame(buf, area, title, hint, (110, 30), theme);
    let Some(choices) = screen::ready(
        buf,
        inner,
        &wizard.choices,
        "reading the repository's images…",
        theme,
    ) else {
        return;
    };
    match wizard.step {
        DeployStep::Tag => draw_tags(buf, inner, state, wizard, &choices.images.repository, theme),
        DeployStep::Container => draw_containers(buf, inner, wizard, theme),
        DeployStep::Summary => draw_summary(buf, inner, wizard, theme),
    }
}

fn draw_tags(
    buf: &mut Buffer,
    area: Rect,
    state: &AppState,
    wizard: &DeployWizard,
    repository: &str,
    theme: &Theme,
) {
    let typing = state
        .input
        .as_ref()
        .filter(|i| i.kind == InputKind::WizardFilter);
    let mut heading = vec![
        Span::styled("repository ", theme.dim),
        Span::raw(repository.to_string()),
    ];
    if typing.is_some() || !wizard.filter.is_empty() {
        heading.push(Span::styled(
            format!(
                "   /{}{}",
                wizard.filter,
                if typing.is_some() { "▏" } else { "" }
            ),
            theme.filter,
        ));
    }
    let mut y = line(buf, area, area.y, Line::from(heading));
    let header = format!(
        "    {:<TAGS$} {:<19} {:>7}  DIGEST",
        "TAG", "PUSHED (UTC)", "SIZE"
    );
    y = line(buf, area, y, Line::styled(header, theme.header));
    let images = wizard.shown_images();
    if images.is_empty() {
        line(buf, area, y, Line::styled("no image matches", theme.dim));
        return;
    }
    // The last row says what the running mark means.
    let legend = area.bottom().saturating_sub(1);
    line(buf, area, legend, Line::styled("● running now", theme.ok));
    let rows = legend.saturating_sub(y) as usize;
    for i in scroll_window(wizard.selected, images.len(), rows) {
        let row = images[i];
        let tags = if row.image.tags.is_empty() {
            "(untagged)".to_string()
        } else {
            row.image.tags.join(", ")
        };
        let pushed = row
            .image
            .pushed_at
            .map_or("-".into(), |at| text::date_time(at).replace(" UTC", ""));
        let size = row
            .image
            .size_bytes
            .map_or("-".into(), |b| format!("{:.0} MB", b as f64 / 1e6));
        let marker = if i == wizard.selected { "▶ " } else { "  " };
        let running = if row.running { "● " } else { "  " };
        let spans = vec![
            Span::raw(marker),
            Span::styled(running, theme.ok),
            Span::raw(format!(
                "{} {:<19} {:>7}  {}",
                text::cell(&tags, TAGS),
                pushed,
                size,
                row.image.digest
            )),
        ];
        let mut styled = Line::from(spans);
        if i == wizard.selected {
            styled = styled.style(theme.selection);
        }
        y = line(buf, area, y, styled);
    }
}

fn draw_containers(buf: &mut Buffer, area: Rect, wizard: &DeployWizard, theme: &Theme) {
    let mut y = line(
        buf,
        area,
        area.y,
        Line::styled(
            "The task definition has several containers; only this one's image changes:",
            theme.dim,
        ),
    );
    let Some(choices) = wizard.choices.ready() else {
        return;
    };
    for (i, container) in choices.current.containers.iter().enumerate() {
        let marker = if i == wizard.container { "▶ " } else { "  " };
        let essential = if container.essential {
            ""
        } else {
            " (not essential)"
        };
        let mut row = Line::from(vec![
            Span::raw(format!("{marker}{} ", text::cell(&container.name, 20))),
            Span::styled(format!("{}{essential}", container.image), theme.dim),
        ]);
        if i == wizard.container {
            row = row.style(theme.selection);
        }
        y = line(buf, area, y, row);
    }
}

fn draw_summary(buf: &mut Buffer, area: Rect, wizard: &DeployWizard, theme: &Theme) {
    let image = wizard.image_reference().unwrap_or_default();
    let mut y = area.y;
    match &wizard.plan {
        None | Some(Loading::Waiting) => {
            y = line(
                buf,
                area,
                y,
                Line::styled(format!("resolving {image}…"), theme.dim),
            );
        }
        Some(Loading::Failed(error)) => {
            for piece in screen::wrap(error, area.width as usize) {
                y = line(buf, area, y, Line::styled(piece, theme.error));
            }
        }
        Some(Loading::Ready(plan)) => {
            let field = |name: &str, value: String| {
                Line::from(vec![
                    Span::styled(format!("{name:<11}"), theme.dim),
                    Span::raw(value),
                ])
            };
            y = line(
                buf,
                area,
                y,
                field(
                    "service",
                    format!("{} (cluster {})", plan.stack.service, plan.stack.cluster),
                ),
            );
            y = line(buf, area, y, field("container", plan.container.clone()));
            y = line(buf, area, y, field("from", plan.old_image.clone()));
            y = line(buf, area, y, field("to", plan.new_image.clone()));
            if let Some(tag) = &plan.tag {
                y = line(buf, area, y, field("tag", tag.clone()));
            }
            if let Some(digest) = &plan.digest {
                y = line(buf, area, y, field("digest", digest.clone()));
            }
            for warning in &plan.warnings {
                y = line(
                    buf,
                    area,
                    y,
                    Line::styled(format!("warning: {warning}"), theme.warning),
                );
            }
        }
    }
    y += 1;
    y = line(
        buf,
        area,
        y,
        screen::option(
            wizard.rollback_on_failure,
            "r",
            "roll back if the deploy fails",
            theme,
        ),
    );
    let snapshot = match wizard.plan.as_ref().and_then(Loading::ready) {
        Some(plan) if wizard.snapshot => plan
            .snapshot_of
            .as_ref()
            .map_or("snapshot the database first".to_string(), |db| {
                format!("snapshot database {db} first (and wait until it is available)")
            }),
        _ => "snapshot the database first".to_string(),
    };
    let snapshot_line = Line::from(vec![
        Span::styled(if wizard.snapshot { "[x] " } else { "[ ] " }, theme.ok),
        Span::styled("s  ", theme.filter),
        Span::raw(snapshot),
    ]);
    line(buf, area, y, snapshot_line);
}
