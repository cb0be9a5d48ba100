//! Frame cost: the full dashboard drawn from sandbox state, at 200x60 and 120x40.
//!
//! `cargo bench --bench render`. Target: at most 2 ms per full frame at 200x60.

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use opsdeck::app::action::{Action, Command, FeedData};
use opsdeck::app::oneshot::load_dashboard;
use opsdeck::app::state::AppState;
use opsdeck::app::update::update;
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::config::keymap::Keymap;
use opsdeck::model::{LogEvent, StackRef};
use opsdeck::ui::{self, Theme};

fn dashboard(log_lines: usize) -> AppState {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let sandbox = Sandbox::new(
        Scenario::Healthy,
        42,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    sandbox.advance(90_000);
    let stack = StackRef {
        name: "umami".into(),
        region: "eu-west-2".into(),
        cluster: "umami".into(),
        service: "umami".into(),
    };
    let mut state = runtime
        .block_on(load_dashboard(
            &sandbox.cloud(),
            &stack,
            log_lines.max(10_000),
            sandbox.now(),
            600_000,
        ))
        .expect("sandbox dashboard");
    let filler: Vec<LogEvent> = (0..log_lines)
        .map(|i| LogEvent {
            event_id: format!("fill-{i}"),
            timestamp: sandbox.now() + i as i64,
            ingestion_time: sandbox.now() + i as i64,
            stream: "ecs/umami/0f3a9c2b7d814e6f9a1b2c3d4e5f6a7b".into(),
            message: format!("GET /api/websites/{i}/stats?startAt=1700000000000 200 12ms"),
        })
        .collect();
    update(
        &mut state,
        Action::Loaded {
            data: FeedData::Logs(filler),
            at: sandbox.now(),
        },
    );
    state
}

/// Types a logs filter the way a user does, so `update` builds the filtered-lines cache.
fn filter_logs(state: &mut AppState, filter: &str) {
    update(state, Action::Run(Command::FocusLogs));
    update(state, Action::Run(Command::Filter));
    for c in filter.chars() {
        update(state, Action::Input(c));
    }
    update(state, Action::InputCommit);
}

fn bench_frames(c: &mut Criterion) {
    let keymap = Keymap::embedded().expect("embedded keymap");
    let theme = Theme::default();
    let cases = [
        (200u16, 60u16, 0usize, None),
        (120, 40, 0, None),
        (200, 60, 1_000_000, None),
        // One line in ten matches: the frame reads the cache, never the million lines.
        (200, 60, 1_000_000, Some("websites/12")),
    ];
    for (width, height, lines, filter) in cases {
        let mut state = dashboard(lines);
        if let Some(filter) = filter {
            filter_logs(&mut state, filter);
        }
        state.width = width;
        state.height = height;
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        let name = format!(
            "full dashboard {width}x{height}, {} log lines{}",
            state.logs.len(),
            filter.map_or(String::new(), |f| format!(
                ", filter {f:?} ({} match)",
                state.log_view_len()
            ))
        );
        c.bench_function(&name, |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| ui::render(frame, &state, &keymap, &theme))
                    .expect("draw");
            })
        });
    }
}

criterion_group!(benches, bench_frames);
criterion_main!(benches);
