//! The live view of a deploy, rollback or restart: each deployment's progress as a bar, the
//! new tasks and their targets, why tasks stopped, the service events, the verdict.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::screen::{self, bar, line};
use super::{Theme, text};
use crate::app::screens::ReleaseWatch;
use crate::app::state::AppState;
use crate::app::update::verdict_text;
use crate::model::{DeploymentStatus, RolloutState, family_revision};
use crate::ops::release::{TaskFailure, Verdict, WatchView};

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, release: &ReleaseWatch, theme: &Theme) {
    let elapsed = (state.now - release.started_at).max(0) / 1000;
    let (verdict, style) = headline(release, theme);
    let title = vec![
        Span::styled(
            format!(" {} {} ", capitalised(release.kind.name()), release.subject),
            theme.focused_title,
        ),
        Span::styled(
            format!("· {:02}:{:02} ", elapsed / 60, elapsed % 60),
            theme.dim,
        ),
        Span::styled(format!("{verdict} "), style),
    ];
    let hint = if release.is_running() {
        "Esc hide (the watch goes on; W shows it) · j/k scroll events"
    } else {
        "Esc close · j/k scroll events"
    };
    let inner = screen::frame(buf, area, title, hint, (130, 36), theme);
    let mut y = inner.y;
    if let Some(Err(error)) = &release.outcome {
        y = line(buf, inner, y, Line::styled(error.clone(), theme.error));
    }
    if let Some(Ok(outcome)) = &release.outcome
        && !outcome.verdict.is_success()
    {
        // The reason is the answer to "why": it wraps rather than loses its end.
        let mut pieces = screen::wrap(&verdict_text(&outcome.verdict), inner.width as usize);
        pieces.truncate(3);
        for piece in pieces {
            y = line(buf, inner, y, Line::styled(piece, theme.failed));
        }
    }
    match &release.view {
        None if release.outcome.is_some() => {}
        Some(view) => {
            // Once it has ended, the failures are the release's own, not the last poll's
            // (after a rollback that is the rollback's deployment).
            let failures = match &release.outcome {
                Some(Ok(outcome)) => &outcome.failures,
                _ => &view.failures,
            };
            y = draw_view(buf, inner, y, view, failures, release.scroll, theme);
        }
        None => {
            y = line(
                buf,
                inner,
                y,
                Line::styled("waiting for the first poll…", theme.dim),
            )
        }
    }
    y += 1;
    y = line(buf, inner, y, Line::styled("STEPS", theme.header));
    let room = inner.bottom().saturating_sub(y) as usize;
    let skip = release.steps.len().saturating_sub(room);
    for (at, step) in release.steps.iter().skip(skip) {
        // Elapsed, not clock time: the sandbox's events run on its own (virtual) clock.
        let since = (at - release.started_at).max(0) / 1000;
        y = line(
            buf,
            inner,
            y,
            Line::from(vec![
                Span::styled(format!("+{:02}:{:02} ", since / 60, since % 60), theme.dim),
                Span::raw(step.clone()),
            ]),
        );
    }
}

fn draw_view(
    buf: &mut Buffer,
    area: Rect,
    mut y: u16,
    view: &WatchView,
    failures: &[TaskFailure],
    scroll: usize,
    theme: &Theme,
) -> u16 {
    if let Some(blind) = &view.blind {
        y = line(
            buf,
            area,
            y,
            Line::styled(
                format!("cannot see the service right now ({blind}); still watching"),
                theme.warning,
            ),
        );
    }
    y = line(buf, area, y, Line::styled("DEPLOYMENTS", theme.header));
    for d in &view.deployments {
        let ours = view.watched.as_deref() == Some(d.id.as_str());
        let rollout = match d.rollout_state {
            RolloutState::InProgress => Span::styled("IN_PROGRESS", theme.pending),
            RolloutState::Completed => Span::styled("COMPLETED  ", theme.ok),
            RolloutState::Failed => Span::styled("FAILED     ", theme.failed),
        };
        let status = match d.status {
            DeploymentStatus::Primary => "PRIMARY ",
            DeploymentStatus::Active => "ACTIVE  ",
            DeploymentStatus::Inactive => "INACTIVE",
        };
        let mut spans = vec![
            Span::raw(format!(
                "{}{status} {} ",
                if ours { "▶ " } else { "  " },
                text::cell(text::short_id(d.id.trim_start_matches("ecs-svc/")), 8)
            )),
            rollout,
            Span::raw(format!(
                " {} {} {}/{}",
                text::cell(family_revision(&d.task_definition), 14),
                bar(d.running, d.desired, 12),
                d.running,
                d.desired
            )),
        ];
        if d.pending > 0 {
            spans.push(Span::styled(
                format!(" ({} pending)", d.pending),
                theme.pending,
            ));
        }
        if d.failed_tasks > 0 {
            spans.push(Span::styled(
                format!(" {} failed", d.failed_tasks),
                theme.failed,
            ));
        }
        y = line(buf, area, y, Line::from(spans));
    }
    if let Some(status) = view.service_deployment {
        y = line(
            buf,
            area,
            y,
            Line::styled(
                format!("  ECS deployment history: {}", status.as_str()),
                theme.dim,
            ),
        );
    }
    y = line(buf, area, y, Line::styled("NEW TASKS", theme.header));
    if view.tasks.is_empty() {
        y = line(buf, area, y, Line::styled("  none yet", theme.dim));
    }
    for task in view.tasks.iter().take(8) {
        let target = view
            .targets
            .iter()
            .find(|t| task.private_ip.as_deref() == Some(t.target_id.as_str()));
        let target_span = match target {
            Some(t) => Span::styled(
                format!(
                    "target {}{}",
                    t.state.as_str(),
                    t.reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ),
                theme.health(t.state.health()),
            ),
            None => Span::styled("no target yet", theme.dim),
        };
        y = line(
            buf,
            area,
            y,
            Line::from(vec![
                Span::raw(format!(
                    "  {} {} {:<9} ",
                    text::short_id(&task.id),
                    text::cell(task.last_status.as_str(), 14),
                    format!("{:?}", task.health)
                )),
                target_span,
            ]),
        );
    }
    if !failures.is_empty() {
        y = line(buf, area, y, Line::styled("STOPPED", theme.header));
        for failure in failures.iter().take(5) {
            let exit = failure
                .exit_code
                .map_or(String::new(), |code| format!("exit {code}: "));
            y = line(
                buf,
                area,
                y,
                Line::styled(
                    format!(
                        "  {} {exit}{}",
                        text::short_id(&failure.task_id),
                        failure.reason
                    ),
                    theme.failed,
                ),
            );
        }
    }
    y = line(buf, area, y, Line::styled("EVENTS", theme.header));
    let room = area.bottom().saturating_sub(y).saturating_sub(4) as usize;
    for event in view.events.iter().skip(scroll).take(room.max(1)) {
        y = line(
            buf,
            area,
            y,
            Line::from(vec![
                Span::styled(format!("  {} ", text::clock(event.at)), theme.dim),
                Span::raw(event.message.clone()),
            ]),
        );
    }
    y
}

fn headline(release: &ReleaseWatch, theme: &Theme) -> (String, ratatui::style::Style) {
    match &release.outcome {
        None => ("watching…".into(), theme.pending),
        Some(Err(_)) => ("could not run".into(), theme.failed),
        Some(Ok(outcome)) => match &outcome.verdict {
            Verdict::Succeeded => ("SUCCEEDED".into(), theme.ok),
            Verdict::RolledBack { .. } => ("FAILED, ROLLED BACK".into(), theme.failed),
            Verdict::Failed { .. } => ("FAILED".into(), theme.failed),
            Verdict::TimedOut { .. } => ("TIMED OUT".into(), theme.warning),
            Verdict::Replaced { .. } => ("REPLACED".into(), theme.warning),
        },
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
