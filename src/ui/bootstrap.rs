//! The bootstrap wizard: a group of questions at a time with each answer's error under it
//! (the NAT choice with its trade-off and what each option costs), then the plan; and the
//! notice an account without the dashboard's stack gets.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::screen::{self, line};
use super::{Theme, text};
use crate::app::screens::bootstrap::{Costs, Field, Group, PlanSummary};
use crate::app::screens::{BootstrapStep, BootstrapWizard, Loading};
use crate::app::state::{AppState, InputKind};
use crate::model::ChangeAction;
use crate::ops::bootstrap::NatChoice;

/// Columns of the question labels.
const LABELS: usize = 24;

pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    state: &AppState,
    wizard: &BootstrapWizard,
    theme: &Theme,
) {
    let (step, hint) = match wizard.step {
        BootstrapStep::Questions(group) => (
            format!("{}/{} {}", group.number(), Group::ALL.len(), group.title()),
            "Enter edit · h/l choose · Tab next group · p plan · Esc back",
        ),
        BootstrapStep::Plan { .. } => (
            "plan".to_string(),
            "y apply · Esc back (discards the plan) · j/k scroll",
        ),
    };
    let title = vec![
        Span::styled(" Bootstrap a stack ", theme.focused_title),
        Span::styled(format!("· {step} "), theme.dim),
    ];
    let inner = screen::frame(buf, area, title, hint, (110, 34), theme);
    match wizard.step {
        BootstrapStep::Questions(group) => draw_questions(buf, inner, state, wizard, group, theme),
        BootstrapStep::Plan { .. } => draw_plan(buf, inner, wizard, theme),
    }
}

fn draw_questions(
    buf: &mut Buffer,
    area: Rect,
    state: &AppState,
    wizard: &BootstrapWizard,
    group: Group,
    theme: &Theme,
) {
    let mut tabs = Vec::new();
    for (i, g) in Group::ALL.iter().enumerate() {
        if i > 0 {
            tabs.push(Span::styled(" · ", theme.dim));
        }
        let style = if *g == group { theme.header } else { theme.dim };
        tabs.push(Span::styled(g.title(), style));
    }
    let mut y = line(buf, area, area.y, Line::from(tabs)) + 1;
    let typing = state
        .input
        .as_ref()
        .filter(|i| i.kind == InputKind::BootstrapAnswer);
    let width = area.width as usize;
    for (i, field) in wizard.shown_fields(group).into_iter().enumerate() {
        let selected = i == wizard.selected;
        let refused = wizard.refused.get(&field);
        let (value, style) = match (typing.filter(|_| selected), refused) {
            (Some(input), _) => (format!("{}▏", shown(field, &input.text)), theme.filter),
            (None, Some(refused)) => (shown(field, &refused.text), theme.error),
            (None, None) => (answer_text(field, wizard.value(field)), theme.ok),
        };
        let marker = if selected { "▶ " } else { "  " };
        let mut row = Line::from(vec![
            Span::raw(format!("{marker}{}", text::cell(field.label(), LABELS))),
            Span::styled(value, style),
        ]);
        if selected {
            row = row.style(theme.selection);
        }
        y = line(buf, area, y, row);
        if let Some(refused) = refused {
            for piece in screen::wrap(&refused.error, width.saturating_sub(LABELS + 4)) {
                let indent = " ".repeat(LABELS + 2);
                y = line(
                    buf,
                    area,
                    y,
                    Line::styled(format!("{indent}{piece}"), theme.error),
                );
            }
        } else if selected {
            let indent = " ".repeat(LABELS + 2);
            y = line(
                buf,
                area,
                y,
                Line::styled(format!("{indent}{}", field.hint()), theme.dim),
            );
        }
    }
    y += 1;
    if group == Group::Network
        && let Some(costs) = &wizard.costs
    {
        y = draw_nat_trade_off(buf, area, y, wizard.value(Field::Nat), costs, theme);
    }
    if let Some(note) = &wizard.name_note {
        for piece in screen::wrap(note, width) {
            y = line(buf, area, y, Line::styled(piece, theme.warning));
        }
    }
    if let Some(costs) = &wizard.costs {
        let total = format!(
            "about {} {:.2} a month for these answers (list prices; the plan itemises it)",
            costs.currency, costs.total
        );
        line(
            buf,
            area,
            area.bottom().saturating_sub(1).max(y),
            Line::styled(total, theme.dim),
        );
    }
}

/// The NAT choice's trade-off: what each option costs a month with the other answers.
fn draw_nat_trade_off(
    buf: &mut Buffer,
    area: Rect,
    mut y: u16,
    chosen: &str,
    costs: &Costs,
    theme: &Theme,
) -> u16 {
    y = line(
        buf,
        area,
        y,
        Line::styled("NAT gateways: the trade-off, a month", theme.header),
    );
    let single = costs
        .nat
        .iter()
        .find(|(c, _)| *c == NatChoice::Single)
        .map_or(0.0, |(_, usd)| *usd);
    for (choice, usd) in &costs.nat {
        let what = match choice {
            NatChoice::Single => {
                "one NAT gateway: cheaper; the private subnets lose the internet if its AZ fails"
                    .to_string()
            }
            NatChoice::PerAz => format!(
                "one per AZ (+{:.2}): each AZ keeps its own way out",
                usd - single
            ),
        };
        let mark = if choice.label() == chosen { "●" } else { " " };
        y = line(
            buf,
            area,
            y,
            Line::from(vec![
                Span::styled(format!("  {mark} {:<7}", choice.label()), theme.ok),
                Span::raw(format!("{} {usd:>8.2}  ", costs.currency)),
                Span::styled(what, theme.dim),
            ]),
        );
    }
    y + 1
}

/// An answer as the form shows it: a choice between arrows, a blank optional one as such,
/// a secret as dots.
fn answer_text(field: Field, value: &str) -> String {
    if field.options().is_some() {
        return format!("‹ {value} ›");
    }
    if value.is_empty() {
        return match field {
            Field::Name | Field::Image => "(required)".into(),
            _ => "(none)".into(),
        };
    }
    shown(field, value)
}

/// A secret is never drawn in clear, not even while it is typed.
fn shown(field: Field, value: &str) -> String {
    if field.is_secret() {
        "•".repeat(value.chars().count())
    } else {
        value.to_string()
    }
}

fn draw_plan(buf: &mut Buffer, area: Rect, wizard: &BootstrapWizard, theme: &Theme) {
    let name = wizard.value(Field::Name);
    let lines = match &wizard.plan {
        None | Some(Loading::Waiting) => vec![Line::styled(
            format!("asking CloudFormation for the change set of stack {name}…"),
            theme.dim,
        )],
        Some(Loading::Failed(error)) => {
            let mut lines: Vec<Line> = screen::wrap(error, area.width as usize)
                .into_iter()
                .map(|piece| Line::styled(piece, theme.error))
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled("Esc goes back to the answers", theme.dim));
            lines
        }
        Some(Loading::Ready(summary)) => plan_lines(summary, area.width as usize, theme),
    };
    let mut y = area.y;
    for row in lines.into_iter().skip(wizard.scroll) {
        y = line(buf, area, y, row);
        if y >= area.bottom() {
            break;
        }
    }
}

fn plan_lines<'a>(summary: &'a PlanSummary, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let plan = &summary.plan;
    let mut lines = Vec::new();
    let heading = if plan.is_empty() {
        format!(
            "Stack {} in {}: no changes, it already matches the answers",
            plan.stack, summary.region
        )
    } else {
        let adds = plan
            .changes
            .iter()
            .filter(|c| c.action == ChangeAction::Add)
            .count();
        format!(
            "Stack {} in {}: {} changes, {adds} resources to create",
            plan.stack,
            summary.region,
            plan.changes.len()
        )
    };
    lines.push(Line::styled(heading, theme.header));
    lines.push(Line::styled(
        format!(
            "about {} {:.2} a month (the items are under the resources)",
            summary.cost.currency, summary.cost.monthly_usd
        ),
        theme.ok,
    ));
    for note in &summary.notes {
        for piece in screen::wrap(&format!("note: {note}"), width) {
            lines.push(Line::styled(piece, theme.warning));
        }
    }
    lines.push(Line::raw(""));
    let type_width = summary
        .resources
        .iter()
        .map(|r| r.kind.len())
        .max()
        .unwrap_or(0);
    let id_width = summary
        .resources
        .iter()
        .map(|r| r.logical_id.len())
        .max()
        .unwrap_or(0);
    lines.push(Line::styled(
        format!(
            "  {:<type_width$}  {:<id_width$}  SETTINGS",
            "TYPE", "LOGICAL ID"
        ),
        theme.header,
    ));
    for resource in &summary.resources {
        let (mark, style) = match resource.action {
            Some(ChangeAction::Add) => ("+", theme.ok),
            Some(ChangeAction::Remove) => ("-", theme.failed),
            Some(_) => ("~", theme.pending),
            None => (" ", theme.dim),
        };
        let row = format!(
            "{:<type_width$}  {:<id_width$}  {}",
            resource.kind, resource.logical_id, resource.settings
        );
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::raw(text::fit(&row, width.saturating_sub(2))),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("MONTHLY COST (estimate)", theme.header));
    let cost = &summary.cost;
    let item_width = cost
        .items
        .iter()
        .map(|i| i.item.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    for item in &cost.items {
        lines.push(Line::raw(format!(
            "  {} {:>9.2}",
            text::cell(&item.item, item_width),
            item.monthly_usd
        )));
    }
    lines.push(Line::styled(
        format!(
            "  {} {:>9.2} {}/month",
            text::cell("Total", item_width),
            cost.monthly_usd,
            cost.currency
        ),
        theme.header,
    ));
    let source = format!(
        "{} list prices for {} on {} ({})",
        cost.currency, cost.region, cost.date, cost.source
    );
    for piece in screen::wrap(&source, width) {
        lines.push(Line::styled(piece, theme.dim));
    }
    lines
}

/// Drawn over the dashboard when the stack is not there: what to press to make one.
pub fn absent_notice(
    buf: &mut Buffer,
    area: Rect,
    state: &AppState,
    bootstrap_key: &str,
    theme: &Theme,
) {
    let title = vec![Span::styled(
        format!(" {} ", state.stack.name),
        theme.focused_title,
    )];
    let hint = "the dashboard fills in once the stack is there";
    let inner = screen::frame(buf, area, title, hint, (72, 8), theme);
    let mut y = line(
        buf,
        inner,
        inner.y,
        Line::styled(
            format!("no stack here: press {bootstrap_key} to bootstrap one"),
            theme.header,
        ),
    );
    y += 1;
    if let Some(error) = &state.ecs.error {
        for piece in screen::wrap(error, inner.width as usize) {
            y = line(buf, inner, y, Line::styled(piece, theme.dim));
        }
    }
}
