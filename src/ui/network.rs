//! The network pane: the stack drawn as boxes and arrows, or one line per node when small.
//!
//! Boxes are laid out in lanes that read left to right: ingress (Internet, DNS, ALB), the
//! app (target group into each private subnet with its tasks), the database, and egress
//! (tasks, NAT, IGW, Internet).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Paragraph, Widget};
use unicode_width::UnicodeWidthStr;

use super::layout::scroll_window;
use super::{Theme, chrome, rows, text};
use crate::app::action::{Feed, PaneId};
use crate::app::state::AppState;
use crate::model::{Edge, Health, NetGraph, Node, NodeKind};
use crate::ops::findings::Severity;

/// Narrowest inner width at which boxes stay legible.
const MIN_BOX_WIDTH: u16 = 56;

pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let block = chrome::pane_block(state, PaneId::Network, findings_badge(state, theme), theme);
    let inner = block.inner(area);
    block.render(area, buf);
    if state.graph.nodes.is_empty() {
        Paragraph::new(chrome::no_data_line(state, Feed::Topology, theme)).render(inner, buf);
        return;
    }
    let selected = rows::nodes(state)
        .get(state.network_selected)
        .map(|n| n.id.as_str());
    let mut lanes = lanes(&state.graph);
    squeeze(&mut lanes, inner.height);
    // Zoomed, the findings must be listed too: if they do not fit under the boxes, the
    // compact form (which has room for them) is the better picture.
    let findings_rows = if state.zoomed && !state.findings.is_empty() {
        state.findings.len() as u16 + 2
    } else {
        0
    };
    let gaps = if findings_rows > 0 {
        lanes.len().saturating_sub(1) as u16
    } else {
        0
    };
    let fits =
        inner.width >= MIN_BOX_WIDTH && lanes_height(&lanes) + gaps + findings_rows <= inner.height;
    if !fits || state.filter_for(PaneId::Network).is_some() {
        // The findings take at most a third of the pane, and only when all of them fit.
        let findings = state.findings.len() as u16;
        let reserved = if findings > 0 && findings + 2 <= inner.height / 3 {
            findings + 2
        } else {
            0
        };
        let list = Rect {
            height: inner.height - reserved,
            ..inner
        };
        draw_compact(buf, list, state, theme);
        if reserved > 0 {
            let area = Rect::new(inner.x, list.bottom() + 1, inner.width, reserved - 1);
            draw_findings(buf, area, state, theme);
        }
        return;
    }
    let drawing = lanes_area(inner, &lanes);
    draw_lanes(buf, drawing, &lanes, selected, theme);
    // Below the graph, as room allows: the findings, then the legend and the node list
    // (so the selection reads as text too).
    let mut y = drawing.bottom() + 1;
    if !state.findings.is_empty() && inner.bottom() > y + 1 {
        let rows = (state.findings.len() as u16 + 1).min(inner.bottom() - y);
        draw_findings(buf, Rect::new(inner.x, y, inner.width, rows), state, theme);
        y += rows + 1;
    }
    if inner.bottom().saturating_sub(y) >= 5 {
        draw_legend(buf, Rect::new(inner.x, y, inner.width, 1), theme);
        let list = Rect::new(inner.x, y + 2, inner.width, inner.bottom() - y - 2);
        draw_compact(buf, list, state, theme);
    }
}

/// `⚠ 3 findings` in the title, in the colour of the most severe one.
fn findings_badge<'a>(state: &AppState, theme: &Theme) -> Vec<Span<'a>> {
    // Findings come most severe first.
    let Some(worst) = state.findings.first() else {
        return Vec::new();
    };
    let count = state.findings.len();
    let plural = if count == 1 { "" } else { "s" };
    vec![Span::styled(
        format!("⚠ {count} finding{plural} "),
        severity_style(worst.severity, theme),
    )]
}

fn severity_style(severity: Severity, theme: &Theme) -> Style {
    match severity {
        Severity::High => theme.failed,
        Severity::Medium => theme.warning,
        Severity::Low => theme.dim,
    }
}

/// A header and one line per finding: severity, what is wrong, and the resource to fix.
fn draw_findings(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let width = area.width as usize;
    buf.set_stringn(area.x, area.y, "FINDINGS", width, theme.header);
    for (row, finding) in state
        .findings
        .iter()
        .take(area.height.saturating_sub(1) as usize)
        .enumerate()
    {
        let y = area.y + 1 + row as u16;
        let severity = format!("{:<7}", finding.severity.as_str().to_uppercase());
        buf.set_stringn(
            area.x,
            y,
            &severity,
            width,
            severity_style(finding.severity, theme),
        );
        let text = format!("{}  {}", finding.title, finding.resource);
        let x = area.x + severity.len() as u16;
        let room = area.right().saturating_sub(x) as usize;
        buf.set_stringn(x, y, text::fit(&text, room), room, Style::new());
    }
}

/// The part of the pane the lanes use, centred across when there is room to spare.
fn lanes_area(inner: Rect, lanes: &[Vec<Item>]) -> Rect {
    let gaps = lanes.len().saturating_sub(1) as u16;
    let height = (lanes_height(lanes) + gaps).min(inner.height);
    let width = lanes
        .iter()
        .map(|l| l.iter().map(Item::width).sum::<u16>())
        .max()
        .unwrap_or(0)
        .min(inner.width);
    let x = inner.x + (inner.width - width) / 2;
    Rect::new(x, inner.y, width, height)
}

fn draw_legend(buf: &mut Buffer, area: Rect, theme: &Theme) {
    let spans = vec![
        Span::styled("● ok  ", theme.ok),
        Span::styled("◐ pending  ", theme.pending),
        Span::styled("▲ warning  ", theme.warning),
        Span::styled("✗ failed  ", theme.failed),
        Span::styled("○ unknown   ", theme.unknown),
        Span::styled(
            "─✗:port─▶ blocked by security groups or routes",
            theme.failed,
        ),
    ];
    buf.set_line(
        area.x,
        area.y,
        &ratatui::text::Line::from(spans),
        area.width,
    );
}
// --- boxes and lanes -------------------------------------------------------------------

/// One box: a node's title and content lines; a line may stand for another node (a task).
struct NodeBox<'a> {
    node: &'a Node,
    title: String,
    lines: Vec<(String, &'a Node)>,
}

impl NodeBox<'_> {
    fn natural_width(&self) -> u16 {
        let content = self.lines.iter().map(|(l, _)| l.width()).max().unwrap_or(0);
        (content.max(self.title.width() + 2) + 2) as u16
    }

    fn least_width(&self) -> u16 {
        self.natural_width().min(12)
    }

    fn height(&self) -> u16 {
        self.lines.len().max(1) as u16 + 2
    }
}

/// When the lanes are too tall, boxes keep only their first line, the lowest lanes first;
/// subnet boxes keep their tasks, which are the point of the drawing.
fn squeeze(lanes: &mut [Vec<Item>], height: u16) {
    for i in (0..lanes.len()).rev() {
        if lanes_height(lanes) <= height {
            break;
        }
        for item in lanes[i].iter_mut() {
            if let Item::Box(b) = item
                && b.node.kind != NodeKind::Subnet
            {
                b.lines.truncate(1);
            }
        }
    }
}

enum Item<'a> {
    Text(String),
    Arrow(String, Option<bool>),
    Box(NodeBox<'a>),
}

impl Item<'_> {
    fn width(&self) -> u16 {
        match self {
            Item::Text(t) => t.width() as u16,
            Item::Arrow(label, allowed) => arrow(label, *allowed).width() as u16,
            Item::Box(b) => b.natural_width(),
        }
    }
}

fn arrow(label: &str, allowed: Option<bool>) -> String {
    match allowed {
        Some(false) => format!("─✗{label}─▶"),
        _ => format!("─{label}─▶"),
    }
}

fn lanes(graph: &NetGraph) -> Vec<Vec<Item<'_>>> {
    let mut lanes = Vec::new();
    let first = |kind| graph.nodes_of(kind).next();
    let edge = |from: Option<&Node>, to: Option<&Node>| -> Option<&Edge> {
        let (from, to) = (from?, to?);
        graph
            .edges
            .iter()
            .find(|e| e.from == from.id && e.to == to.id)
    };
    let serving = |to: &Node| {
        // The listener that serves (`:443`) speaks for the ALB; a redirect is secondary.
        let into: Vec<&Edge> = graph.edges.iter().filter(|e| e.to == to.id).collect();
        into.iter()
            .find(|e| e.allowed == Some(false))
            .or_else(|| into.iter().find(|e| !e.label.contains("->")))
            .or_else(|| into.first())
            .copied()
    };
    let arrow_for = |e: Option<&Edge>| match e {
        Some(e) => Item::Arrow(e.label.clone(), e.allowed),
        None => Item::Arrow(String::new(), None),
    };
    let internet = first(NodeKind::Internet);
    let dns = first(NodeKind::Dns);
    let albs: Vec<&Node> = graph.nodes_of(NodeKind::LoadBalancer).collect();
    let tgs: Vec<&Node> = graph.nodes_of(NodeKind::TargetGroup).collect();
    let subnets: Vec<&Node> = graph.nodes_of(NodeKind::Subnet).collect();

    // Several load balancers, target groups or NAT gateways stand side by side in their lane.
    let mut ingress = Vec::new();
    if let Some(n) = internet {
        ingress.push(Item::Box(plain_box(n)));
    }
    if let Some(n) = dns {
        ingress.push(arrow_for(edge(internet, dns)));
        ingress.push(Item::Box(plain_box(n)));
    }
    if let Some(first_alb) = albs.first() {
        ingress.push(arrow_for(serving(first_alb)));
        ingress.extend(albs.iter().map(|n| Item::Box(plain_box(n))));
    }
    lanes.push(ingress);

    let mut app = vec![Item::Text("╰▶".into())];
    if !tgs.is_empty() {
        app.extend(tgs.iter().map(|n| Item::Box(plain_box(n))));
        let to_tasks: Vec<&Edge> = tgs
            .iter()
            .filter_map(|tg| subnets.first().and_then(|s| edge(Some(tg), Some(s))))
            .collect();
        app.push(joined_arrow(&to_tasks));
    }
    for subnet in &subnets {
        app.push(Item::Box(subnet_box(graph, subnet)));
    }
    lanes.push(app);

    for db in graph.nodes_of(NodeKind::Database) {
        let e = subnets.first().and_then(|s| edge(Some(s), Some(db)));
        lanes.push(vec![
            Item::Text("tasks".into()),
            arrow_for(e),
            Item::Box(plain_box(db)),
        ]);
    }

    // The edge: each distribution, from the Internet to its origins (buckets drawn as boxes,
    // the load balancer above named).
    for cdn in graph.nodes_of(NodeKind::Cdn) {
        let mut lane = vec![
            Item::Text("Internet".into()),
            arrow_for(edge(internet, Some(cdn))),
            Item::Box(plain_box(cdn)),
        ];
        for out in graph.edges.iter().filter(|e| e.from == cdn.id) {
            let Some(to) = graph.node(&out.to) else {
                continue;
            };
            lane.push(Item::Arrow(out.label.clone(), out.allowed));
            match to.kind {
                NodeKind::Bucket => lane.push(Item::Box(plain_box(to))),
                _ => lane.push(Item::Text(to.label.clone())),
            }
        }
        lanes.push(lane);
    }

    let mut egress = Vec::new();
    let nats: Vec<&Node> = graph.nodes_of(NodeKind::NatGateway).collect();
    let nat = nats.first().copied();
    let igw = first(NodeKind::InternetGateway);
    if !nats.is_empty() {
        let out_of_subnets: Vec<&Edge> = subnets
            .iter()
            .flat_map(|s| nats.iter().filter_map(|n| edge(Some(s), Some(n))))
            .collect();
        egress.push(Item::Text("tasks".into()));
        egress.push(joined_arrow(&out_of_subnets));
        egress.extend(nats.iter().map(|n| Item::Box(plain_box(n))));
    }
    if let Some(n) = igw {
        if nat.is_some() {
            egress.push(arrow_for(edge(nat, igw)));
        }
        egress.push(Item::Box(plain_box(n)));
        egress.push(Item::Arrow(String::new(), None));
        egress.push(Item::Text("Internet".into()));
    }
    if !egress.is_empty() {
        lanes.push(egress);
    }
    lanes
}

/// One arrow for several parallel edges: their distinct labels joined (`:3000/:3001`), and
/// blocked if any of them is.
fn joined_arrow(edges: &[&Edge]) -> Item<'static> {
    let mut labels: Vec<&str> = Vec::new();
    for e in edges {
        if !labels.contains(&e.label.as_str()) {
            labels.push(&e.label);
        }
    }
    let allowed = if edges.iter().any(|e| e.allowed == Some(false)) {
        Some(false)
    } else if edges.iter().any(|e| e.allowed == Some(true)) {
        Some(true)
    } else {
        None
    };
    Item::Arrow(labels.join("/"), allowed)
}

/// A box titled by the node's label, its detail split into lines at double spaces.
fn plain_box(node: &Node) -> NodeBox<'_> {
    let lines = node
        .detail
        .split("  ")
        .filter(|l| !l.is_empty())
        .map(|l| (l.to_string(), node))
        .collect();
    NodeBox {
        node,
        title: node.label.clone(),
        lines,
    }
}

fn subnet_box<'a>(graph: &'a NetGraph, subnet: &'a Node) -> NodeBox<'a> {
    let tasks: Vec<(String, &Node)> = graph
        .nodes_of(NodeKind::Task)
        .filter(|t| t.parent.as_deref() == Some(subnet.id.as_str()))
        .map(|t| (format!("{} {} {}", symbol(t.health), t.label, t.detail), t))
        .collect();
    let lines = if tasks.is_empty() {
        vec![("no tasks".to_string(), subnet)]
    } else {
        tasks
    };
    NodeBox {
        node: subnet,
        title: subnet.label.clone(),
        lines,
    }
}

pub fn symbol(health: Health) -> &'static str {
    match health {
        Health::Ok => "●",
        Health::Pending => "◐",
        Health::Warning => "▲",
        Health::Failed => "✗",
        Health::Unknown => "○",
    }
}

fn lane_height(lane: &[Item]) -> u16 {
    lane.iter()
        .map(|i| match i {
            Item::Box(b) => b.height(),
            _ => 1,
        })
        .max()
        .unwrap_or(0)
}

fn lanes_height(lanes: &[Vec<Item>]) -> u16 {
    lanes.iter().map(|l| lane_height(l)).sum()
}

/// Widths for a lane's items: natural widths, the widest box shrunk first until it fits.
fn lane_widths(lane: &[Item], available: u16) -> Vec<u16> {
    let mut widths: Vec<u16> = lane.iter().map(Item::width).collect();
    while widths.iter().sum::<u16>() > available {
        let widest = lane
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                Item::Box(b) if widths[i] > b.least_width() => Some(i),
                _ => None,
            })
            .max_by_key(|&i| widths[i]);
        match widest {
            Some(i) => widths[i] -= 1,
            None => break,
        }
    }
    widths
}

fn draw_lanes(
    buf: &mut Buffer,
    area: Rect,
    lanes: &[Vec<Item>],
    selected: Option<&str>,
    theme: &Theme,
) {
    // Spare rows go between lanes so the drawing breathes instead of hugging the top.
    let spare = area.height.saturating_sub(lanes_height(lanes));
    let gap = if lanes.len() > 1 {
        (spare / (lanes.len() as u16 - 1)).min(1)
    } else {
        0
    };
    let mut y = area.y;
    for lane in lanes {
        let height = lane_height(lane);
        let widths = lane_widths(lane, area.width);
        let mut x = area.x;
        for (item, width) in lane.iter().zip(widths) {
            let width = width.min(area.right().saturating_sub(x));
            if width == 0 {
                break;
            }
            let rect = Rect::new(x, y, width, height.min(area.bottom().saturating_sub(y)));
            draw_item(buf, rect, item, selected, theme);
            x += width;
        }
        y += height + gap;
    }
}

fn draw_item(buf: &mut Buffer, rect: Rect, item: &Item, selected: Option<&str>, theme: &Theme) {
    let row = rect.y + 1;
    if row >= rect.bottom() {
        return;
    }
    match item {
        Item::Text(t) => {
            buf.set_stringn(rect.x, row, t, rect.width as usize, theme.dim);
        }
        Item::Arrow(label, allowed) => {
            let style = match allowed {
                Some(false) => theme.failed,
                _ => theme.dim,
            };
            buf.set_stringn(
                rect.x,
                row,
                arrow(label, *allowed),
                rect.width as usize,
                style,
            );
        }
        Item::Box(b) => draw_box(buf, rect, b, selected, theme),
    }
}

fn draw_box(
    buf: &mut Buffer,
    rect: Rect,
    node_box: &NodeBox,
    selected: Option<&str>,
    theme: &Theme,
) {
    let rect = Rect {
        height: node_box.height().min(rect.height),
        ..rect
    };
    let health = theme.health(node_box.node.health);
    let is_selected = selected == Some(node_box.node.id.as_str());
    let title_style = if is_selected {
        health.patch(theme.selection).add_modifier(Modifier::BOLD)
    } else {
        health
    };
    let block = Block::bordered()
        .border_type(if is_selected {
            BorderType::Double
        } else {
            BorderType::Rounded
        })
        .border_style(health)
        .title_top(Span::styled(
            text::fit(&node_box.title, rect.width.saturating_sub(2) as usize),
            title_style,
        ));
    let inner = block.inner(rect);
    block.render(rect, buf);
    for (i, (line, node)) in node_box.lines.iter().enumerate() {
        let y = inner.y + i as u16;
        if y >= inner.bottom() {
            break;
        }
        let mut style = if node.id == node_box.node.id {
            Style::new()
        } else {
            theme.health(node.health)
        };
        if selected == Some(node.id.as_str()) {
            style = style.patch(theme.selection);
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), theme.selection);
        }
        let width = inner.width as usize;
        buf.set_stringn(inner.x, y, text::fit(line, width), width, style);
    }
}

// --- compact: one line per node --------------------------------------------------------

fn draw_compact(buf: &mut Buffer, area: Rect, state: &AppState, theme: &Theme) {
    let nodes = rows::nodes(state);
    if nodes.is_empty() {
        let note = "no node matches the filter";
        buf.set_stringn(area.x, area.y, note, area.width as usize, theme.dim);
        return;
    }
    // Too short for a line per node: tasks ride on their subnet's line.
    let fold = nodes.len() > area.height as usize;
    let lines = compact_lines(&nodes, fold);
    let label_width = lines
        .iter()
        .map(|l| indent(nodes[l.head]).len() + nodes[l.head].label.width())
        .max()
        .unwrap_or(0)
        .min(18);
    let selected_line = lines
        .iter()
        .position(|l| l.head == state.network_selected || l.tasks.contains(&state.network_selected))
        .unwrap_or(0);
    let window = scroll_window(selected_line, lines.len(), area.height as usize);
    for (row, line) in lines[window].iter().enumerate() {
        let node = nodes[line.head];
        let y = area.y + row as u16;
        let base = if line.head == state.network_selected {
            theme.selection
        } else {
            Style::new()
        };
        buf.set_style(Rect::new(area.x, y, area.width, 1), base);
        let mut spans = vec![
            Span::styled(
                format!("{}{} ", indent(node), symbol(node.health)),
                theme.health(node.health),
            ),
            Span::styled(
                text::cell(&node.label, label_width.saturating_sub(indent(node).len())),
                theme.title,
            ),
        ];
        // Blocked edges and tasks come before the detail so a narrow pane cannot cut them.
        spans.extend(edge_spans(&state.graph, node, Some(false), theme));
        for &task in &line.tasks {
            let style = theme.health(nodes[task].health);
            let style = if task == state.network_selected {
                style.patch(theme.selection).add_modifier(Modifier::BOLD)
            } else {
                style
            };
            spans.push(Span::raw(" "));
            let label = format!("{} {}", symbol(nodes[task].health), nodes[task].label);
            spans.push(Span::styled(label, style));
        }
        spans.push(Span::raw(format!(" {}", node.detail)));
        if area.width >= 70 {
            spans.extend(edge_spans(&state.graph, node, None, theme));
        }
        let line = ratatui::text::Line::from(spans).patch_style(base);
        buf.set_line(area.x, y, &line, area.width);
    }
}

/// A line of the compact graph: a node, and the tasks folded into it.
struct CompactLine {
    head: usize,
    tasks: Vec<usize>,
}

fn compact_lines(nodes: &[&Node], fold: bool) -> Vec<CompactLine> {
    let mut lines: Vec<CompactLine> = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let parent = lines
            .last_mut()
            .filter(|l| nodes[l.head].kind == NodeKind::Subnet);
        match parent {
            Some(line) if fold && node.kind == NodeKind::Task => line.tasks.push(i),
            _ => lines.push(CompactLine {
                head: i,
                tasks: Vec::new(),
            }),
        }
    }
    lines
}

fn indent(node: &Node) -> &'static str {
    match node.kind {
        NodeKind::Task => "  ",
        _ => "",
    }
}

/// Outgoing edges whose `allowed` is `only` (or all of them) as `→:5432`, blocked ones in
/// red as `✗:5432`, each label once.
fn edge_spans<'a>(
    graph: &NetGraph,
    node: &Node,
    only: Option<bool>,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let mut seen: Vec<&str> = Vec::new();
    let mut spans = Vec::new();
    for e in graph.edges_from(&node.id) {
        let wanted = match only {
            Some(false) => e.allowed == Some(false),
            _ => e.allowed != Some(false),
        };
        if seen.contains(&e.label.as_str()) || !wanted {
            continue;
        }
        seen.push(e.label.as_str());
        let (mark, style) = match e.allowed {
            Some(false) => ("✗", theme.failed),
            _ => ("→", theme.dim),
        };
        spans.push(Span::styled(format!(" {mark}{}", e.label), style));
    }
    spans
}
