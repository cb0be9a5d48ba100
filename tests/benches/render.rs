//! Frame cost: the full dashboard drawn from sandbox state, at 200x60 and 120x40; and, for
//! the suite (`measure`), every pane zoomed and every wizard screen.
//!
//! `cargo bench --bench render`. Target: at most 2 ms per full frame at 200x60.

#[path = "table.rs"]
mod table;

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use opsdeck::app::action::{Action, Command, FeedData, PaneId};
use opsdeck::app::jobs::Jobs;
use opsdeck::app::oneshot::load_dashboard;
use opsdeck::app::screens::Wizard;
use opsdeck::app::state::AppState;
use opsdeck::app::update::{Effect, update};
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::config::keymap::Keymap;
use opsdeck::model::{LogEvent, StackRef};
use opsdeck::ops::audit::Audit;
use opsdeck::ui::{self, Theme};

use crate::table::Row;

/// A frame's target, in ms: what a full frame at 200x60 may cost.
const FRAME_TARGET: &str = "<= 2";
const SIZE: (u16, u16) = (200, 60);
/// Real time allowed for a sandbox job to answer (its clock is manual: milliseconds).
const ANSWER: Duration = Duration::from_secs(30);

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
    let stack = stack();
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

/// The median time of one frame of `state` at its size, over a plain loop.
fn frame_ms(state: &AppState, keymap: &Keymap, theme: &Theme) -> f64 {
    let mut terminal =
        Terminal::new(TestBackend::new(state.width, state.height)).expect("terminal");
    crate::table::ms(crate::table::median_time(
        crate::table::iterations(400),
        || {
            terminal
                .draw(|frame| ui::render(frame, state, keymap, theme))
                .expect("draw");
        },
    ))
}

fn sized(mut state: AppState, (width, height): (u16, u16)) -> AppState {
    update(&mut state, Action::Resize { width, height });
    state
}

/// Every pane zoomed, the full dashboard, the dashboard over a million log lines, and every
/// wizard screen, each the median of a plain timing loop (the suite's rows).
#[allow(dead_code)] // the suite's; the bench's own main is criterion's
pub fn measure() -> Vec<Row> {
    let keymap = Keymap::embedded().expect("embedded keymap");
    let theme = Theme::default();
    let mut rows = Vec::new();
    let mut frame = |name: String, state: &AppState| {
        let size = format!("{}x{}", state.width, state.height);
        rows.push(Row::new(
            format!("render: {name} {size}"),
            frame_ms(state, &keymap, &theme),
            "ms",
            FRAME_TARGET,
        ));
    };

    let plain = dashboard(0);
    frame("full dashboard".into(), &sized(plain.clone(), SIZE));
    frame("full dashboard".into(), &sized(plain.clone(), (120, 40)));
    for pane in PaneId::ALL {
        if pane == PaneId::Site && !plain.has_site() {
            continue;
        }
        let mut state = sized(plain.clone(), SIZE);
        state.focus = pane;
        update(&mut state, Action::Run(Command::Zoom));
        frame(format!("{} pane zoomed", pane.title()), &state);
    }

    let mut million = sized(dashboard(1_000_000), SIZE);
    frame(
        format!(
            "full dashboard, {} log lines,",
            crate::table::format_value(million.logs.len() as f64)
        ),
        &million,
    );
    filter_logs(&mut million, "websites/12");
    frame(
        format!(
            "same, filtered to {} lines,",
            crate::table::format_value(million.log_view_len() as f64)
        ),
        &million,
    );
    drop(million);

    for (name, state) in wizard_screens() {
        frame(name, &state);
    }
    rows
}

/// The deploy wizard's steps, the release view, the rollback picker, the confirmations and
/// the bootstrap wizard's groups, opened by the commands a user presses with the data the
/// sandbox's jobs send back.
fn wizard_screens() -> Vec<(String, AppState)> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut screens = Vec::new();
        let mut s = Session::start().await;
        s.press(Command::FocusEcs);
        let dashboard = s.state.clone();

        s.press(Command::Help);
        screens.push(("help popup".into(), s.state.clone()));
        s.state = dashboard.clone();

        s.press(Command::Deploy);
        s.until(
            "the images",
            |st| matches!(&st.wizard, Some(Wizard::Deploy(w)) if w.choices.ready().is_some()),
        )
        .await;
        screens.push(("deploy wizard: tags".into(), s.state.clone()));
        s.press(Command::Enter);
        s.until("the deploy plan", |st| {
            matches!(&st.wizard, Some(Wizard::Deploy(w))
                if w.plan.as_ref().is_some_and(|p| p.ready().is_some()))
        })
        .await;
        screens.push(("deploy wizard: summary".into(), s.state.clone()));
        s.press(Command::Enter);
        assert!(s.state.confirm.is_some(), "the deploy asks first");
        screens.push(("deploy confirm dialog".into(), s.state.clone()));
        s.press(Command::Confirm);
        s.until("the deploy's verdict", |st| {
            st.release.as_ref().is_some_and(|r| !r.is_running())
        })
        .await;
        screens.push(("release view (deploy watched)".into(), s.state.clone()));

        s.state = dashboard.clone();
        s.press(Command::Rollback);
        s.until("the revisions and the default's plan", |st| {
            matches!(&st.wizard, Some(Wizard::Rollback(p))
                if p.selected_plan().is_some_and(|plan| plan.ready().is_some()))
        })
        .await;
        screens.push(("rollback picker".into(), s.state.clone()));

        s.state = dashboard.clone();
        s.press(Command::Restart);
        assert!(s.state.confirm.is_some(), "the restart asks first");
        screens.push(("restart confirm dialog".into(), s.state.clone()));

        // The questions only: no effect is run, so the name is not looked up.
        let mut state = dashboard;
        update(&mut state, Action::Run(Command::Bootstrap));
        let Some(Wizard::Bootstrap(wizard)) = &state.wizard else {
            panic!("the bootstrap wizard opens: {:?}", state.wizard)
        };
        let groups = opsdeck::app::screens::bootstrap::Group::ALL;
        let mut group = wizard.group();
        for number in 1..=groups.len() {
            screens.push((
                format!(
                    "bootstrap wizard {number}/{}: {}",
                    groups.len(),
                    group.title()
                ),
                state.clone(),
            ));
            if number < groups.len() {
                update(&mut state, Action::Run(Command::NextGroup));
                let Some(Wizard::Bootstrap(wizard)) = &state.wizard else {
                    panic!("still in the wizard")
                };
                group = wizard.group();
            }
        }
        screens
            .into_iter()
            .map(|(name, state)| (name, sized(state, SIZE)))
            .collect()
    })
}

/// A TUI session without a terminal on a manual-clock sandbox, once the scenario's routine
/// deployment is done: the state, the jobs and the actions they send back.
struct Session {
    _sandbox: Arc<Sandbox>,
    state: AppState,
    jobs: Jobs,
    rx: UnboundedReceiver<Action>,
    _audit: tempfile::TempDir,
}

impl Session {
    async fn start() -> Session {
        let sandbox = Sandbox::new(
            Scenario::Healthy,
            42,
            ClockMode::Manual {
                start: SANDBOX_EPOCH,
            },
        );
        sandbox.advance(10 * 60 * 1000);
        let state = load_dashboard(&sandbox.cloud(), &stack(), 10_000, sandbox.now(), 60_000)
            .await
            .expect("sandbox dashboard");
        let audit = tempfile::tempdir().expect("temp dir");
        let (tx, rx) = unbounded_channel();
        let jobs = Jobs::new(
            sandbox.cloud(),
            Audit::at(audit.path().join("audit.jsonl")),
            tx,
        );
        Session {
            _sandbox: sandbox,
            state: sized(state, SIZE),
            jobs,
            rx,
            _audit: audit,
        }
    }

    fn press(&mut self, command: Command) {
        let effect = update(&mut self.state, Action::Run(command));
        self.run(effect);
    }

    fn run(&mut self, effect: Option<Effect>) {
        match effect {
            None | Some(Effect::RefreshAll) => {}
            Some(effect) => self.jobs.start(&self.state.stack.clone(), effect),
        }
    }

    /// Feeds the jobs' answers to `update` until `done` holds.
    async fn until(&mut self, what: &str, done: impl Fn(&AppState) -> bool) {
        while !done(&self.state) {
            let action = tokio::time::timeout(ANSWER, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no answer while waiting for {what}"))
                .unwrap_or_else(|| panic!("jobs gone while waiting for {what}"));
            let effect = update(&mut self.state, action);
            self.run(effect);
        }
    }
}

fn stack() -> StackRef {
    StackRef {
        name: "umami".into(),
        region: "eu-west-2".into(),
        cluster: "umami".into(),
        service: "umami".into(),
    }
}
