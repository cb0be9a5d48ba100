//! What the user sees: the dashboard, each pane zoomed, popups and small terminals, drawn
//! from a hand-built "umami" stack at 120x40 and 80x24; and the network graph derived from it.

#[path = "common/handmade.rs"]
mod handmade;

use crossterm::event::{KeyCode, KeyModifiers};
use opsdeck::app::action::{Action, Command, PaneId};
use opsdeck::app::state::{AppState, EcsLevel, Popup};
use opsdeck::app::update::update;
use opsdeck::app::view::{self, rows};
use opsdeck::config::keymap::{Binding, KeyChord};
use opsdeck::model::NodeKind;
use opsdeck::ui::{self, HelpKeys, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

fn terminal(state: &AppState, keys: HelpKeys) -> Terminal<TestBackend> {
    let mut terminal =
        Terminal::new(TestBackend::new(state.width, state.height)).expect("test terminal");
    terminal
        .draw(|frame| ui::render_with_keys(frame, state, keys, &Theme::default()))
        .expect("draw");
    terminal
}

/// The screen as text, one line per row.
fn screen_with(state: &AppState, keys: HelpKeys) -> String {
    let terminal = terminal(state, keys);
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn screen(state: &AppState) -> String {
    screen_with(state, HelpKeys::default())
}

fn sized(width: u16, height: u16) -> AppState {
    let mut state = handmade::dashboard_state();
    state.width = width;
    state.height = height;
    state
}

fn key(c: char) -> KeyChord {
    KeyChord {
        code: KeyCode::Char(c),
        modifiers: KeyModifiers::NONE,
    }
}

fn binding(on: Vec<KeyChord>, run: Command, desc: &str) -> Binding {
    Binding {
        on,
        run,
        desc: desc.into(),
    }
}

fn logs_bindings() -> Vec<Binding> {
    vec![
        binding(vec![key('f')], Command::ToggleFollow, "follow / pause"),
        binding(vec![key('w')], Command::ToggleWrap, "wrap long lines"),
        binding(vec![key('t')], Command::ToggleTimestamps, "show timestamps"),
        binding(vec![key('/')], Command::Filter, "filter lines"),
    ]
}

fn global_bindings() -> Vec<Binding> {
    let ctrl_c = KeyChord {
        code: KeyCode::Char('c'),
        modifiers: KeyModifiers::CONTROL,
    };
    let tab = KeyChord {
        code: KeyCode::Tab,
        modifiers: KeyModifiers::NONE,
    };
    vec![
        binding(vec![key('q')], Command::Quit, "quit"),
        binding(vec![ctrl_c], Command::Quit, "quit"),
        binding(vec![key('?')], Command::Help, "this help"),
        binding(vec![tab], Command::FocusNext, "next pane"),
        binding(vec![key('1')], Command::FocusNetwork, "network pane"),
        binding(vec![key('z')], Command::Zoom, "zoom the pane"),
        binding(vec![key('g'), key('g')], Command::Top, "first row"),
        binding(vec![key('G')], Command::Bottom, "last row"),
        binding(vec![key('j')], Command::Down, "down"),
        binding(vec![key('k')], Command::Up, "up"),
        binding(vec![key('r')], Command::Refresh, "refresh now"),
    ]
}

fn name(width: u16, height: u16, what: &str) -> String {
    format!("{what}_{width}x{height}")
}

#[test]
fn dashboard() {
    for (w, h) in SIZES {
        let state = sized(w, h);
        let text = screen(&state);
        assert!(text.contains("[1] Network"), "focused pane title:\n{text}");
        assert!(
            text.contains("2/5 healthy"),
            "target group summary:\n{text}"
        );
        assert!(text.contains("READ-ONLY"), "read-only badge:\n{text}");
        insta::assert_snapshot!(name(w, h, "dashboard"), text);
    }
}

#[test]
fn each_pane_zoomed() {
    for (w, h) in SIZES {
        for pane in PaneId::ALL {
            let mut state = sized(w, h);
            state.focus = pane;
            state.zoomed = true;
            let text = screen(&state);
            assert!(text.contains(&format!("[{}] {}", pane.number(), pane.title())));
            let what = format!("zoomed_{}", pane.title().to_lowercase());
            insta::assert_snapshot!(name(w, h, &what), text);
        }
    }
}

#[test]
fn ecs_tasks_level_shows_why_a_task_stopped() {
    for (w, h) in SIZES {
        let mut state = sized(w, h);
        state.focus = PaneId::Ecs;
        state.zoomed = true;
        state.ecs_pane.level = EcsLevel::Tasks;
        state.ecs_pane.task = 3;
        let text = screen(&state);
        assert!(text.contains("CannotPullContainerError"), "{text}");
        insta::assert_snapshot!(name(w, h, "ecs_tasks"), text);
    }
}

#[test]
fn help_popup() {
    let pane = logs_bindings();
    let global = global_bindings();
    for (w, h) in SIZES {
        let mut state = sized(w, h);
        state.focus = PaneId::Logs;
        state.popup = Some(Popup::Help { scroll: 0 });
        let keys = HelpKeys {
            pane: &pane,
            global: &global,
        };
        let text = screen_with(&state, keys);
        assert!(text.contains("Keys: Logs"), "{text}");
        assert!(text.contains("<C-c>"), "{text}");
        insta::assert_snapshot!(name(w, h, "help"), text);
    }
}

#[test]
fn detail_popup_of_a_stopped_task() {
    for (w, h) in SIZES {
        let mut state = sized(w, h);
        state.focus = PaneId::Ecs;
        state.ecs_pane.level = EcsLevel::Tasks;
        state.ecs_pane.task = 3;
        let (title, lines) = rows::detail(&state, PaneId::Ecs).expect("a selected task");
        assert!(lines.iter().any(|l| l.contains("CannotPullContainerError")));
        state.popup = Some(Popup::Detail {
            title,
            lines,
            scroll: 0,
        });
        let text = screen(&state);
        assert!(text.contains("Task e92d5b1a"), "{text}");
        insta::assert_snapshot!(name(w, h, "detail"), text);
    }
}

#[test]
fn typing_a_filter_in_the_logs() {
    for (w, h) in SIZES {
        let mut state = sized(w, h);
        state.focus = PaneId::Logs;
        // Through `update`, which keeps the pane's filtered lines.
        update(&mut state, Action::Run(Command::Filter));
        for c in "error".chars() {
            update(&mut state, Action::Input(c));
        }
        let text = screen(&state);
        assert!(
            text.contains("/error▏"),
            "filter with cursor in the title:\n{text}"
        );
        assert!(
            !text.contains("GET /api/heartbeat 200"),
            "non-matching lines hidden"
        );
        insta::assert_snapshot!(name(w, h, "logs_filter"), text);
    }
}

#[test]
fn too_small_terminal_says_so() {
    let state = sized(50, 12);
    let text = screen(&state);
    assert!(text.contains("terminal too small: 50x12"), "{text}");
    insta::assert_snapshot!("too_small_50x12", text);
}

#[test]
fn stale_data_with_an_error_shows_it_in_the_title() {
    let mut state = sized(120, 40);
    state.rds.error = Some("access denied to rds:DescribeDBInstances".into());
    state.targets.data = None;
    state.targets.at = None;
    state.targets.error = Some("cannot reach elasticloadbalancing".into());
    let text = screen(&state);
    assert!(text.contains("⚠ access denied"), "{text}");
    assert!(
        text.contains("✗ cannot reach elasticloadbalancing"),
        "{text}"
    );
}

#[test]
fn log_severities_and_tasks_are_coloured() {
    let mut state = sized(120, 40);
    state.focus = PaneId::Logs;
    state.zoomed = true;
    let terminal = terminal(&state, HelpKeys::default());
    let buffer = terminal.backend().buffer();
    let row_with = |needle: &str| {
        (0..buffer.area.height).find(|&y| {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            line.contains(needle)
        })
    };
    let error_row = row_with("ECONNRESET").expect("an ERROR line");
    let message_x = 1 + 13 + 9;
    assert_eq!(buffer[(message_x, error_row)].fg, Color::Red);
}

#[test]
fn hit_testing_and_paging_follow_the_drawn_layout() {
    let state = sized(120, 40);
    assert_eq!(view::pane_at(&state, 5, 2), Some(PaneId::Network));
    assert_eq!(view::pane_at(&state, 100, 2), Some(PaneId::Ecs));
    assert_eq!(view::pane_at(&state, 5, 36), Some(PaneId::Logs));
    assert_eq!(
        view::pane_at(&state, 5, 39),
        None,
        "the status bar is no pane"
    );
    assert_eq!(view::page_rows(&state, PaneId::Logs), 8);
    let mut zoomed = state.clone();
    zoomed.focus = PaneId::Logs;
    zoomed.zoomed = true;
    assert_eq!(view::pane_at(&zoomed, 100, 2), Some(PaneId::Logs));
    assert_eq!(view::page_rows(&zoomed, PaneId::Logs), 37);
}

#[test]
fn list_lengths_match_the_rows_drawn() {
    let mut state = sized(120, 40);
    assert_eq!(rows::list_len(&state, PaneId::Targets), 5);
    assert_eq!(rows::list_len(&state, PaneId::Ecs), 1);
    assert_eq!(rows::list_len(&state, PaneId::Rds), 1);
    assert_eq!(rows::list_len(&state, PaneId::Logs), 50);
    assert_eq!(
        rows::list_len(&state, PaneId::Network),
        state.graph.nodes.len()
    );
    state.ecs_pane.level = EcsLevel::Tasks;
    assert_eq!(rows::list_len(&state, PaneId::Ecs), 4);
    state.filters.insert(PaneId::Targets, "ELB.".into());
    assert_eq!(rows::list_len(&state, PaneId::Targets), 1);
    state.focus = PaneId::Logs;
    update(&mut state, Action::Run(Command::Filter));
    for c in "econnreset".chars() {
        update(&mut state, Action::Input(c));
    }
    update(&mut state, Action::InputCommit);
    assert_eq!(rows::list_len(&state, PaneId::Logs), 5);
}

#[test]
fn target_detail_has_reason_and_description() {
    let mut state = sized(120, 40);
    state.targets_selected = 4;
    let (_, lines) = rows::detail(&state, PaneId::Targets).expect("a target");
    let text = lines.join("\n");
    assert!(text.contains("Target.ResponseCodeMismatch"));
    assert!(text.contains("Health checks failed with these codes: [502]"));
}

#[test]
fn rds_detail_never_shows_a_password() {
    let state = sized(120, 40);
    let (_, lines) = rows::detail(&state, PaneId::Rds).expect("an instance");
    let text = lines.join("\n");
    assert!(text.contains("managed in Secrets Manager"));
    assert!(text.contains("latest restorable"));
}

// --- the graph -------------------------------------------------------------------------

#[test]
fn graph_nodes_come_in_display_order() {
    let state = handmade::dashboard_state();
    let kinds: Vec<NodeKind> = state.graph.nodes.iter().map(|n| n.kind).collect();
    use NodeKind::*;
    assert_eq!(
        kinds,
        vec![
            Internet,
            Dns,
            InternetGateway,
            LoadBalancer,
            TargetGroup,
            Subnet,
            Task,
            Task,
            Subnet,
            Task,
            NatGateway,
            Database
        ]
    );
    let alb = state.graph.nodes_of(LoadBalancer).next().expect("alb");
    assert_eq!(alb.detail, ":443 https ✓cert  :80→443");
    let tg = state.graph.nodes_of(TargetGroup).next().expect("tg");
    assert!(tg.detail.starts_with("2/5 healthy"), "{}", tg.detail);
}

#[test]
fn graph_edges_are_labelled_and_checked_against_security_groups() {
    let state = handmade::dashboard_state();
    let labels: Vec<(&str, Option<bool>)> = state
        .graph
        .edges
        .iter()
        .map(|e| (e.label.as_str(), e.allowed))
        .collect();
    for expected in [
        (":443", Some(true)),
        (":80->443", Some(true)),
        (":3000", Some(true)),
        (":5432", Some(true)),
        ("egress", Some(true)),
    ] {
        assert!(labels.contains(&expected), "{expected:?} in {labels:?}");
    }
}

#[test]
fn a_database_that_does_not_admit_the_service_is_drawn_blocked() {
    let mut state = handmade::dashboard_state();
    let mut topology = handmade::topology();
    for group in &mut topology.security_groups {
        if group.name == "umami-db" {
            group.ingress.clear();
        }
    }
    state.graph = opsdeck::ops::graph::build(
        &topology,
        "umami",
        state.ecs.data.as_ref(),
        state.targets.data.as_deref(),
        state.rds.data.as_deref(),
    );
    let db_edges: Vec<_> = state
        .graph
        .edges
        .iter()
        .filter(|e| e.label == ":5432")
        .collect();
    assert!(!db_edges.is_empty() && db_edges.iter().all(|e| e.allowed == Some(false)));
    state.focus = PaneId::Network;
    state.zoomed = true;
    let text = screen(&state);
    assert!(text.contains("─✗:5432─▶"), "{text}");
}

#[test]
fn paused_wrapped_logs_without_timestamps() {
    let mut state = sized(80, 24);
    state.focus = PaneId::Logs;
    state.zoomed = true;
    state.logs_pane.follow = false;
    state.logs_pane.scroll = 3;
    state.logs_pane.wrap = true;
    state.logs_pane.timestamps = false;
    let text = screen(&state);
    assert!(text.contains("paused ↑3"), "{text}");
    assert!(
        text.contains("\"code\":\"P1001\"}"),
        "wrapped, not cut:\n{text}"
    );
    insta::assert_snapshot!("logs_paused_wrapped_80x24", text);
}

#[test]
fn a_blocked_edge_shows_in_the_compact_graph_too() {
    let mut state = sized(80, 24);
    let mut topology = handmade::topology();
    topology.route_tables[1].routes.pop();
    state.graph = opsdeck::ops::graph::build(
        &topology,
        "umami",
        state.ecs.data.as_ref(),
        state.targets.data.as_deref(),
        state.rds.data.as_deref(),
    );
    state.network_selected = 5;
    let text = screen(&state);
    assert!(
        text.contains("✗egress"),
        "no route to the NAT is drawn blocked:\n{text}"
    );
}

/// The stack with a second target group (an admin port behind its own listener) and a NAT
/// gateway per zone: each stands beside its sibling in the graph.
fn two_groups_two_nats(width: u16, height: u16) -> AppState {
    use opsdeck::model::{
        ListenerAction, NatGateway, RouteTable, RouteTarget, ServiceLoadBalancer,
    };
    let mut state = sized(width, height);
    let mut topology = handmade::topology();
    let lb_arn = topology.load_balancers[0].arn.clone();
    let mut admin = topology.target_groups[0].clone();
    admin.arn = format!(
        "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/umami-admin/{}",
        "3c1d5e7f9a2b4c6d"
    );
    admin.name = "umami-admin".into();
    admin.port = 3001;
    admin.load_balancer_arns = vec![lb_arn];
    let mut listener = topology.load_balancers[0]
        .listeners
        .iter()
        .find(|l| l.port == 443)
        .unwrap()
        .clone();
    listener.arn.push_str("-admin");
    listener.port = 8443;
    listener.default_action = ListenerAction::Forward {
        target_group_arns: vec![admin.arn.clone()],
    };
    topology.load_balancers[0].listeners.push(listener);
    topology.target_groups.push(admin.clone());
    for group in &mut topology.security_groups {
        if group.name == "umami-alb" {
            let mut rule = group.ingress[0].clone();
            rule.from_port = Some(8443);
            rule.to_port = Some(8443);
            group.ingress.push(rule);
        }
        if group.name == "umami-service" {
            let mut rule = group.ingress[0].clone();
            rule.from_port = Some(3001);
            rule.to_port = Some(3001);
            group.ingress.push(rule);
        }
    }
    let public_b = topology
        .subnets
        .iter()
        .find(|s| s.availability_zone == "eu-west-2b" && topology.is_public(&s.id))
        .unwrap()
        .id
        .clone();
    let private_b = topology
        .subnets
        .iter()
        .find(|s| s.availability_zone == "eu-west-2b" && !topology.is_public(&s.id))
        .unwrap()
        .id
        .clone();
    topology.nat_gateways.push(NatGateway {
        id: "nat-0b7d9f1e3a5c72468".into(),
        subnet_id: public_b,
        public_ip: Some("3.8.12.201".into()),
        ..topology.nat_gateways[0].clone()
    });
    let private = topology
        .route_tables
        .iter_mut()
        .find(|t| t.subnet_ids.contains(&private_b))
        .unwrap();
    private.subnet_ids.retain(|s| *s != private_b);
    let mut table_b: RouteTable = private.clone();
    table_b.id = "rtb-0a9b8c7d6e5f40312".into();
    table_b.subnet_ids = vec![private_b];
    for route in &mut table_b.routes {
        if matches!(route.target, RouteTarget::NatGateway(_)) {
            route.target = RouteTarget::NatGateway("nat-0b7d9f1e3a5c72468".into());
        }
    }
    topology.route_tables.push(table_b);

    let ecs = state.ecs.data.as_mut().unwrap();
    let binding = ServiceLoadBalancer {
        target_group_arn: admin.arn.clone(),
        container_name: "umami".into(),
        container_port: 3001,
    };
    for service in &mut ecs.services {
        if service.name == "umami" {
            service.load_balancers.push(binding.clone());
        }
    }
    let mut admin_health = handmade::targets();
    admin_health.group = admin;
    state.targets.data.as_mut().unwrap().push(admin_health);
    state.graph = opsdeck::ops::graph::build(
        &topology,
        "umami",
        state.ecs.data.as_ref(),
        state.targets.data.as_deref(),
        state.rds.data.as_deref(),
    );
    state.topology.data = Some(topology);
    state
}

#[test]
fn two_target_groups_and_two_nat_gateways_stand_side_by_side() {
    for (w, h) in SIZES {
        let mut state = two_groups_two_nats(w, h);
        state.focus = PaneId::Network;
        state.zoomed = true;
        let text = screen(&state);
        insta::assert_snapshot!(name(w, h, "network_two_groups_two_nats"), text);
        if w == 120 {
            assert!(text.contains("TG umami-admin"), "{text}");
            assert!(text.contains(":3000/:3001"), "{text}");
            assert!(text.contains("NAT eu-west-2b"), "{text}");
        }
    }
}
