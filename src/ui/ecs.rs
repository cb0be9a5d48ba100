//! The ECS pane: services, the selected service's deployments, tasks and events.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Widget};

use super::layout::{self, scroll_window};
use super::table::{self, Cell, Column, col, fill};
use super::{Theme, chrome, rows, spark, text};
use crate::app::action::{Feed, PaneId};
use crate::app::state::{AppState, EcsLevel};
use crate::model::{
    Deployment, DeploymentStatus, Health, RolloutState, Service, Task, TaskHealth, TaskStatus,
    family_revision,
};

const SERVICE_COLUMNS: [Column; 4] = [
    col("SERVICE", 18, 9),
    col("STATUS", 8, 3),
    col("DES/RUN/PEN", 11, 7),
    fill("TASK DEF", 8, 5),
];

const DEPLOYMENT_COLUMNS: [Column; 6] = [
    col("ID", 8, 4),
    col("STATUS", 7, 8),
    col("ROLLOUT", 11, 9),
    col("RUNNING", 8, 7),
    col("REV", 3, 6),
    col("UPDATED", 8, 3),
];

const TASK_COLUMNS: [Column; 8] = [
    col("TASK", 8, 9),
    col("STATUS", 12, 8),
    col("HEALTH", 9, 5),
    col("AZ", 10, 3),
    col("IP", 11, 1),
    col("REV", 3, 6),
    col("STARTED", 8, 2),
    fill("STOPPED REASON", 24, 7),
];

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let block = chrome::pane_block(state, PaneId::Ecs, level_title(state, theme), theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if state.ecs.data.is_none() {
        Paragraph::new(chrome::no_data_line(state, Feed::Ecs, theme)).render(inner, buf);
        return;
    }
    let services = rows::services(state);
    let service = rows::selected_service(state);
    let tasks = rows::tasks(state);
    let sections = layout::ecs_sections(state, inner.height as usize, services.len(), &tasks);
    let mut y = inner.y;
    let mut take = |rows: usize| {
        let rect = Rect::new(inner.x, y, inner.width, rows as u16);
        y += rows as u16;
        rect
    };
    draw_services(buf, take(sections.services), state, &services, theme);
    if let Some(service) = service {
        draw_metrics(buf, take(sections.metrics), state, service, theme);
        draw_deployments(buf, take(sections.deployments), service, theme);
        draw_tasks(buf, take(sections.tasks), state, &tasks, theme);
        draw_events(buf, take(sections.events), service, theme);
    }
}

fn level_title<'a>(state: &AppState, theme: &Theme) -> Vec<Span<'a>> {
    match (state.ecs_pane.level, rows::selected_service(state)) {
        (EcsLevel::Tasks, Some(service)) => vec![Span::styled(
            format!("› {} tasks ", service.name),
            theme.filter,
        )],
        _ => Vec::new(),
    }
}

fn draw_services(
    buf: &mut Buffer,
    area: Rect,
    state: &AppState,
    services: &[&Service],
    theme: &Theme,
) {
    if area.height == 0 {
        return;
    }
    let kept = table::fit_columns(&SERVICE_COLUMNS, area.width);
    table::draw_header(buf, area, area.y, &SERVICE_COLUMNS, &kept, theme.header);
    let browsing = state.ecs_pane.level == EcsLevel::Services;
    let window = scroll_window(
        state.ecs_pane.service,
        services.len(),
        area.height as usize - 1,
    );
    for (row, i) in window.enumerate() {
        let service = services[i];
        let health = theme.health(service.health());
        let cells: Vec<Cell> = vec![
            (service.name.clone(), health),
            (service.status.clone(), Style::new()),
            (
                format!(
                    "{}/{}/{}",
                    service.desired, service.running, service.pending
                ),
                health,
            ),
            (
                family_revision(&service.task_definition).to_string(),
                Style::new(),
            ),
        ];
        let selected = i == state.ecs_pane.service;
        let style = if selected && !browsing {
            theme.dim.patch(theme.selection)
        } else {
            table::selected_style(selected, theme)
        };
        let y = area.y + 1 + row as u16;
        table::draw_row(buf, area, y, &SERVICE_COLUMNS, &kept, &cells, style);
    }
    if services.is_empty() {
        let note = if state.filter_for(PaneId::Ecs).is_some() {
            "no service matches the filter"
        } else {
            "no services"
        };
        buf.set_stringn(area.x, area.y + 1, note, area.width as usize, theme.dim);
    }
}

/// `cpu 23.4% ▁▂▃▅  mem 41.0% ▃▃▄▄` for the selected service, from CloudWatch.
fn draw_metrics(buf: &mut Buffer, area: Rect, state: &AppState, service: &Service, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let (cpu, memory) = rows::service_metrics(state, service);
    let width = area.width as usize;
    let line = spark::row(&[("cpu", cpu), ("mem", memory)], width);
    buf.set_stringn(area.x, area.y, line, width, theme.pending);
}

fn draw_deployments(buf: &mut Buffer, area: Rect, service: &Service, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let kept = table::fit_columns(&DEPLOYMENT_COLUMNS, area.width);
    table::draw_header(buf, area, area.y, &DEPLOYMENT_COLUMNS, &kept, theme.header);
    for (row, d) in service
        .deployments
        .iter()
        .take(area.height as usize - 1)
        .enumerate()
    {
        let cells = deployment_cells(d, theme);
        let y = area.y + 1 + row as u16;
        table::draw_row(
            buf,
            area,
            y,
            &DEPLOYMENT_COLUMNS,
            &kept,
            &cells,
            Style::new(),
        );
    }
}

fn deployment_cells(d: &Deployment, theme: &Theme) -> Vec<Cell> {
    let (rollout, rollout_style) = match d.rollout_state {
        RolloutState::InProgress => ("IN_PROGRESS", theme.pending),
        RolloutState::Completed => ("COMPLETED", theme.ok),
        RolloutState::Failed => ("FAILED", theme.failed),
    };
    let status = match d.status {
        DeploymentStatus::Primary => "PRIMARY",
        DeploymentStatus::Active => "ACTIVE",
        DeploymentStatus::Inactive => "INACTIVE",
    };
    vec![
        (short_deployment(&d.id).to_string(), Style::new()),
        (status.to_string(), Style::new()),
        (rollout.to_string(), rollout_style),
        (bar(d.running, d.desired), rollout_style),
        (
            crate::model::revision_of(&d.task_definition).map_or("-".into(), |r| format!(":{r}")),
            Style::new(),
        ),
        (text::clock(d.updated_at), theme.dim),
    ]
}

/// `ecs-svc/1234567890` -> the last 8 characters, which is what tells deployments apart.
fn short_deployment(id: &str) -> &str {
    let tail = id.rsplit('/').next().unwrap_or(id);
    tail.get(tail.len().saturating_sub(8)..).unwrap_or(tail)
}

/// `███░ 3/4`: running out of desired, as a bar a glance can read.
fn bar(running: u32, desired: u32) -> String {
    const CELLS: u32 = 4;
    let filled = if desired == 0 {
        0
    } else {
        (running.min(desired) * CELLS).div_ceil(desired)
    };
    format!(
        "{}{} {running}/{desired}",
        "█".repeat(filled as usize),
        "░".repeat((CELLS - filled) as usize)
    )
}

fn draw_tasks(buf: &mut Buffer, area: Rect, state: &AppState, tasks: &[&Task], theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let browsing = state.ecs_pane.level == EcsLevel::Tasks;
    let kept = table::fit_columns(&TASK_COLUMNS, area.width);
    let header = if browsing {
        theme.header.patch(theme.focused_title)
    } else {
        theme.header
    };
    table::draw_header(buf, area, area.y, &TASK_COLUMNS, &kept, header);
    let selected = if browsing { state.ecs_pane.task } else { 0 };
    let window = scroll_window(selected, tasks.len(), area.height as usize - 1);
    for (row, i) in window.enumerate() {
        let cells = task_cells(tasks[i], theme);
        let style = table::selected_style(browsing && i == selected, theme);
        let y = area.y + 1 + row as u16;
        table::draw_row(buf, area, y, &TASK_COLUMNS, &kept, &cells, style);
    }
    if tasks.is_empty() {
        buf.set_stringn(
            area.x,
            area.y + 1,
            "no tasks",
            area.width as usize,
            theme.dim,
        );
    }
}

fn task_cells(task: &Task, theme: &Theme) -> Vec<Cell> {
    let health = theme.health(task.health_class());
    // A task on its way down says so: it explains a running count that is about to drop.
    let status =
        if task.desired_status == TaskStatus::Stopped && task.last_status != TaskStatus::Stopped {
            format!("{}↓", task.last_status.as_str())
        } else {
            task.last_status.as_str().to_string()
        };
    let (health_text, health_style) = match task.health {
        TaskHealth::Healthy => ("HEALTHY", theme.ok),
        TaskHealth::Unhealthy => ("UNHEALTHY", theme.failed),
        TaskHealth::Unknown => ("UNKNOWN", theme.unknown),
    };
    vec![
        (text::short_id(&task.id).to_string(), health),
        (status, health),
        (health_text.to_string(), health_style),
        (task.availability_zone.clone(), Style::new()),
        (task.private_ip.clone().unwrap_or_default(), Style::new()),
        (
            task.revision().map_or("-".into(), |r| format!(":{r}")),
            Style::new(),
        ),
        (task.started_at.map_or("-".into(), text::clock), theme.dim),
        // Red only for a failure: a task replaced by a deployment stopped as it should.
        (
            task.stopped_reason.clone().unwrap_or_default(),
            if task.health_class() == Health::Failed {
                theme.failed
            } else {
                theme.dim
            },
        ),
    ]
}

fn draw_events(buf: &mut Buffer, area: Rect, service: &Service, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    buf.set_stringn(area.x, area.y, "EVENTS", area.width as usize, theme.header);
    for (row, event) in service
        .events
        .iter()
        .take(area.height as usize - 1)
        .enumerate()
    {
        let y = area.y + 1 + row as u16;
        let time = text::clock(event.at);
        buf.set_stringn(area.x, y, &time, area.width as usize, theme.dim);
        let x = area.x + time.len() as u16 + 1;
        let room = area.right().saturating_sub(x) as usize;
        buf.set_stringn(x, y, text::fit(&event.message, room), room, Style::new());
    }
}
