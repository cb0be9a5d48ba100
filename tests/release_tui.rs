//! The release screens, driven as a user drives them: commands through the real `update`,
//! effects through the real release jobs on a manual-clock sandbox, every screen drawn with
//! the embedded keymap and kept as a snapshot at 120x40 and 80x24.

mod common;

use std::sync::Arc;
use std::time::Duration;

use opsdeck::app::action::{Action, Command};
use opsdeck::app::jobs::Jobs;
use opsdeck::app::oneshot::load_dashboard;
use opsdeck::app::screens::{DeployStep, Wizard};
use opsdeck::app::screenshot::buffer_to_text;
use opsdeck::app::state::AppState;
use opsdeck::app::update::{Effect, update};
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::config::keymap::Keymap;
use opsdeck::model::family_revision;
use opsdeck::ops::audit::Audit;
use opsdeck::ops::release::Verdict;
use opsdeck::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];
/// Real time allowed for a job to answer; the sandbox's clock is manual, so a whole rollout
/// takes milliseconds of real time.
const ANSWER: Duration = Duration::from_secs(30);

/// A TUI session without a terminal: the state, the jobs, and the actions they send back.
struct Session {
    sandbox: Arc<Sandbox>,
    state: AppState,
    jobs: Jobs,
    rx: UnboundedReceiver<Action>,
    audit: tempfile::TempDir,
}

impl Session {
    /// The healthy scenario once its own routine deployment (v2.13.1 at +30 s) is done.
    async fn start(size: (u16, u16), production: bool) -> Session {
        let sandbox = Sandbox::new(
            Scenario::Healthy,
            42,
            ClockMode::Manual {
                start: SANDBOX_EPOCH,
            },
        );
        sandbox.advance(10 * 60 * 1000);
        let mut state = load_dashboard(
            &sandbox.cloud(),
            &common::umami(),
            10_000,
            sandbox.now(),
            60_000,
        )
        .await
        .expect("dashboard");
        update(
            &mut state,
            Action::Resize {
                width: size.0,
                height: size.1,
            },
        );
        state.production = production;
        let audit = tempfile::tempdir().expect("temp dir");
        let (tx, rx) = unbounded_channel();
        let jobs = Jobs::new(
            sandbox.cloud(),
            Audit::at(audit.path().join("audit.jsonl")),
            tx,
        );
        Session {
            sandbox,
            state,
            jobs,
            rx,
            audit,
        }
    }

    fn press(&mut self, command: Command) {
        let effect = update(&mut self.state, Action::Run(command));
        self.run(effect);
    }

    fn act(&mut self, action: Action) {
        let effect = update(&mut self.state, action);
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
            self.act(action);
        }
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.act(Action::Input(c));
        }
    }

    fn screen(&self) -> String {
        let keymap = Keymap::embedded().expect("keymap");
        let backend = TestBackend::new(self.state.width, self.state.height);
        let mut terminal = Terminal::new(backend).expect("terminal");
        terminal
            .draw(|frame| ui::render(frame, &self.state, &keymap, &Theme::default()))
            .expect("draw");
        buffer_to_text(terminal.backend().buffer())
    }

    fn audit_lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.audit.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("audit lines are JSON"))
            .collect()
    }
}

fn snapshot(name: &str, (width, height): (u16, u16), text: &str) {
    insta::assert_snapshot!(format!("{name}_{width}x{height}"), text);
}

fn deploy_wizard(state: &AppState) -> &opsdeck::app::screens::DeployWizard {
    match &state.wizard {
        Some(Wizard::Deploy(wizard)) => wizard,
        other => panic!("deploy wizard open: {other:?}"),
    }
}

#[tokio::test]
async fn the_deploy_wizard_pins_the_tag_to_its_digest_and_the_watch_ends_in_success() {
    for size in SIZES {
        let mut s = Session::start(size, false).await;
        s.press(Command::FocusEcs);
        s.press(Command::Deploy);
        s.until("the images", |st| {
            deploy_wizard(st).choices.ready().is_some()
        })
        .await;
        let tags = s.screen();
        assert!(tags.contains("v2.14.0"), "{tags}");
        assert!(
            tags.lines().any(|l| l.contains("● v2.13.1")),
            "the running image is marked:\n{tags}"
        );
        snapshot("deploy_tags", size, &tags);

        // `/` filters the tags as they are typed.
        s.press(Command::Filter);
        s.type_text("2.14.0");
        let shown: Vec<String> = deploy_wizard(&s.state)
            .shown_images()
            .iter()
            .flat_map(|r| r.image.tags.clone())
            .collect();
        assert_eq!(shown, ["v2.14.0"]);
        s.act(Action::InputCommit);

        s.press(Command::Enter);
        assert_eq!(deploy_wizard(&s.state).step, DeployStep::Summary);
        s.until("the plan", |st| {
            deploy_wizard(st)
                .plan
                .as_ref()
                .is_some_and(|p| p.ready().is_some())
        })
        .await;
        s.press(Command::ToggleRollbackOnFailure);
        let summary = s.screen();
        assert!(
            summary.contains("@sha256:"),
            "pinned to a digest:\n{summary}"
        );
        assert!(summary.contains("[x] r"), "{summary}");
        snapshot("deploy_summary", size, &summary);

        s.press(Command::Enter);
        let confirm = s.screen();
        assert!(confirm.contains("Deploy to umami?"), "{confirm}");
        assert!(confirm.contains("roll back"), "{confirm}");
        snapshot("deploy_confirm", size, &confirm);

        s.press(Command::Confirm);
        assert!(s.state.wizard.is_none() && s.state.confirm.is_none());
        s.until("the verdict", |st| {
            st.release.as_ref().is_some_and(|r| !r.is_running())
        })
        .await;
        let release = s.state.release.as_ref().expect("release");
        let outcome = release
            .outcome
            .clone()
            .expect("ended")
            .expect("the deploy ran");
        assert_eq!(outcome.verdict, Verdict::Succeeded);
        let watch = s.screen();
        assert!(watch.contains("SUCCEEDED"), "{watch}");
        assert!(watch.contains("DEPLOYMENTS"), "{watch}");
        assert!(
            s.state
                .notice
                .as_deref()
                .is_some_and(|n| n.contains("succeeded")),
            "{:?}",
            s.state.notice
        );
        let audit = s.audit_lines();
        assert!(
            audit.iter().any(|l| l["action"] == "deploy"),
            "the deploy is in the audit log: {audit:?}"
        );
    }
}

#[tokio::test]
async fn the_rollback_picker_shows_the_difference_and_refuses_an_inactive_revision() {
    for size in SIZES {
        let mut s = Session::start(size, false).await;
        s.press(Command::FocusEcs);
        s.press(Command::Rollback);
        s.until("the revisions and the default's plan", |st| {
            match &st.wizard {
                Some(Wizard::Rollback(picker)) => {
                    picker.selected_plan().is_some_and(|p| p.ready().is_some())
                }
                _ => false,
            }
        })
        .await;
        let Some(Wizard::Rollback(picker)) = &s.state.wizard else {
            unreachable!()
        };
        let chosen = picker.selected_revision().expect("a revision").clone();
        assert_eq!(
            chosen.revision, 8,
            "the revision that ran before the current one"
        );
        let picked = s.screen();
        assert!(
            picked.lines().any(|l| l.contains("● umami:9")),
            "the running revision is marked:\n{picked}"
        );
        assert!(picked.contains("image umami"), "the difference:\n{picked}");
        snapshot("rollback_picker", size, &picked);

        // Down to an INACTIVE revision: its plan is refused, and Enter does nothing.
        let inactive = picker
            .revisions
            .ready()
            .expect("revisions")
            .iter()
            .position(|r| r.status == opsdeck::model::TaskDefinitionStatus::Inactive)
            .expect("an inactive revision");
        for _ in picker.selected..inactive {
            s.press(Command::Down);
        }
        s.until("the refusal", |st| match &st.wizard {
            Some(Wizard::Rollback(picker)) => picker
                .selected_plan()
                .is_some_and(|p| matches!(p, opsdeck::app::screens::Loading::Failed(_))),
            _ => false,
        })
        .await;
        assert!(s.screen().contains("INACTIVE"), "{}", s.screen());
        s.press(Command::Enter);
        assert!(s.state.confirm.is_none(), "nothing to confirm");

        // Back up to revision 8, confirm, watch it to the end.
        for _ in picker_position(&s.state, 8)..inactive {
            s.press(Command::Up);
        }
        s.press(Command::Enter);
        s.press(Command::Confirm);
        s.until("the rollback's verdict", |st| {
            st.release.as_ref().is_some_and(|r| !r.is_running())
        })
        .await;
        let outcome = s
            .state
            .release
            .as_ref()
            .and_then(|r| r.outcome.clone())
            .expect("ended")
            .expect("ran");
        assert_eq!(outcome.verdict, Verdict::Succeeded);
        assert_eq!(family_revision(&outcome.task_definition), "umami:8");
    }
}

fn picker_position(state: &AppState, revision: u32) -> usize {
    match &state.wizard {
        Some(Wizard::Rollback(picker)) => picker
            .revisions
            .ready()
            .and_then(|rs| rs.iter().position(|r| r.revision == revision))
            .expect("listed"),
        _ => panic!("picker open"),
    }
}

#[tokio::test]
async fn a_crashing_image_is_never_called_a_success_and_esc_leaves_the_watch_running() {
    let mut s = Session::start((120, 40), false).await;
    s.press(Command::FocusEcs);
    s.press(Command::Deploy);
    s.until("the images", |st| {
        deploy_wizard(st).choices.ready().is_some()
    })
    .await;
    s.press(Command::Filter);
    s.type_text("crash");
    s.act(Action::InputCommit);
    s.press(Command::Enter);
    s.until("the plan", |st| {
        deploy_wizard(st)
            .plan
            .as_ref()
            .is_some_and(|p| p.ready().is_some())
    })
    .await;
    s.press(Command::Enter);
    s.press(Command::Confirm);
    s.until("the first poll", |st| {
        st.release.as_ref().is_some_and(|r| r.view.is_some())
    })
    .await;
    // Esc hides the view; the status bar keeps the watch in sight; W brings it back.
    s.press(Command::Back);
    assert!(s.state.release.as_ref().is_some_and(|r| !r.shown));
    // The test's runtime is single-threaded: the job cannot move on until we await again, so
    // one poll into a crash loop the watch is still going, and the status bar says so.
    assert!(s.state.release.as_ref().is_some_and(|r| r.is_running()));
    let behind = s.screen();
    assert!(behind.contains("⟳ deploy v2.14.1-crash"), "{behind}");
    s.until("the verdict", |st| {
        st.release.as_ref().is_some_and(|r| !r.is_running())
    })
    .await;
    s.press(Command::ShowRelease);
    let outcome = s
        .state
        .release
        .as_ref()
        .and_then(|r| r.outcome.clone())
        .expect("ended")
        .expect("ran");
    assert_eq!(outcome.verdict.exit_code(), 3, "{:?}", outcome.verdict);
    assert!(
        outcome.failures.iter().any(|f| f.exit_code == Some(1)),
        "{:?}",
        outcome.failures
    );
    let view = s.screen();
    assert!(view.contains("FAILED"), "{view}");
    assert!(
        view.contains("exit 1"),
        "the crash's exit code is shown:\n{view}"
    );
    snapshot("deploy_crash_loop", (120, 40), &view);
}

#[tokio::test]
async fn production_wants_the_service_name_typed_and_scale_checks_the_count() {
    let mut s = Session::start((120, 40), true).await;
    s.press(Command::FocusEcs);
    s.press(Command::Scale);
    let input = s.state.input.clone().expect("the count is asked");
    assert_eq!(input.text, "2", "starts from the desired count");
    s.act(Action::InputBackspace);
    s.type_text("x");
    s.act(Action::InputCommit);
    let kept = s
        .state
        .input
        .clone()
        .expect("a bad count stays to be corrected");
    assert!(kept.error.is_some_and(|e| e.contains("whole number")));
    s.act(Action::InputBackspace);
    s.type_text("3");
    s.act(Action::InputCommit);
    let confirm = s.state.confirm.clone().expect("confirmation");
    assert_eq!(confirm.require.as_deref(), Some("umami"));
    snapshot("scale_confirm_production", (120, 40), &s.screen());

    // `y` is text here, not a yes: only the service name and Enter go ahead.
    s.act(Action::Input('y'));
    s.act(Action::InputCommit);
    assert!(
        s.state
            .confirm
            .as_ref()
            .and_then(|c| c.error.clone())
            .is_some_and(|e| e.contains("type umami")),
        "{:?}",
        s.state.confirm
    );
    s.act(Action::InputBackspace);
    s.type_text("umami");
    s.act(Action::InputCommit);
    assert!(s.state.confirm.is_none());
    s.until("the scale", |st| {
        st.notice.as_deref().is_some_and(|n| n.contains("scaled"))
    })
    .await;
    let service = s
        .sandbox
        .cloud()
        .ecs
        .describe_services("umami", &["umami".to_string()])
        .await
        .expect("service");
    assert_eq!(service[0].desired, 3);
}

#[tokio::test]
async fn restart_and_stop_task_from_the_ecs_pane() {
    let mut s = Session::start((120, 40), false).await;
    s.press(Command::FocusEcs);

    // `x` at the services level says where to go; in the task list it asks for a reason.
    s.press(Command::StopTask);
    assert!(s.state.input.is_none());
    assert!(
        s.state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("select the task")),
        "{:?}",
        s.state.notice
    );
    s.press(Command::Enter);
    let task = opsdeck::app::view::rows::tasks(&s.state)[0].arn.clone();
    s.press(Command::StopTask);
    assert_eq!(
        s.state.input.as_ref().map(|i| i.text.as_str()),
        Some("stopped from opsdeck")
    );
    s.act(Action::InputCommit);
    let confirm = s.screen();
    assert!(confirm.contains("Stop task"), "{confirm}");
    s.press(Command::Confirm);
    s.until("the stop", |st| {
        st.notice
            .as_deref()
            .is_some_and(|n| n.contains("stopping task"))
    })
    .await;
    let stopped = s
        .sandbox
        .cloud()
        .ecs
        .describe_tasks("umami", std::slice::from_ref(&task))
        .await
        .expect("task");
    assert_eq!(
        stopped[0].stopped_reason.as_deref(),
        Some("stopped from opsdeck"),
        "ECS keeps the reason"
    );

    // `R`: a forced new deployment of the running revision, watched to its verdict.
    s.press(Command::Back);
    s.press(Command::Restart);
    assert!(s.screen().contains("Restart umami?"));
    s.press(Command::Confirm);
    s.until("the restart's verdict", |st| {
        st.release.as_ref().is_some_and(|r| !r.is_running())
    })
    .await;
    let outcome = s
        .state
        .release
        .as_ref()
        .and_then(|r| r.outcome.clone())
        .expect("ended")
        .expect("ran");
    assert_eq!(outcome.verdict, Verdict::Succeeded);
    assert_eq!(
        outcome.task_definition, outcome.previous,
        "the same revision"
    );
    let actions: Vec<String> = s
        .audit_lines()
        .iter()
        .map(|l| l["action"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(actions, ["stop-task", "restart"]);
}

#[tokio::test]
async fn the_site_pane_shows_the_frontend_and_deploys_a_build_with_its_invalidation() {
    let size = (120, 40);
    let mut s = Session::start(size, false).await;
    let dashboard = s.screen();
    assert!(dashboard.contains("[6] Site"), "{dashboard}");
    assert!(
        dashboard.contains("CloudFront app.example.com"),
        "{dashboard}"
    );
    assert!(dashboard.contains("S3 umami-frontend"), "{dashboard}");
    // The graph: the frontend behind its OAC, and CloudFront before the ALB over HTTPS.
    let labels: Vec<(&str, &str, Option<bool>)> = s
        .state
        .graph
        .edges
        .iter()
        .filter(|e| e.from.starts_with("cloudfront:"))
        .map(|e| (e.from.as_str(), e.label.as_str(), e.allowed))
        .collect();
    assert!(
        labels.contains(&("cloudfront:E2UMAMISANDBOX", "OAC", Some(true))),
        "{labels:?}"
    );
    assert!(
        labels.contains(&("cloudfront:E1UMAMIAPIEDGE", "https", Some(true))),
        "{labels:?}"
    );

    s.press(Command::FocusSite);
    let pane = s.screen();
    assert!(pane.contains("root object  index.html"), "{pane}");
    assert!(pane.contains("redirect-to-https"), "{pane}");
    snapshot("site_pane", size, &pane);

    // A new build: the page changes, the bundle is new.
    let build = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(build.path().join("assets")).unwrap();
    std::fs::write(
        build.path().join("index.html"),
        "<!doctype html><script src=/assets/index-N3wBu1ld.js></script>",
    )
    .unwrap();
    std::fs::write(
        build.path().join("assets/index-N3wBu1ld.js"),
        "console.log(2)",
    )
    .unwrap();

    s.press(Command::SiteDeploy);
    let prompt = s.screen();
    assert!(prompt.contains("Site deploy: build directory"), "{prompt}");
    // The offered directory is replaced by the one typed.
    for _ in 0.."dist".len() {
        s.act(Action::InputBackspace);
    }
    s.type_text(build.path().to_str().unwrap());
    s.act(Action::InputCommit);
    s.until("the site plan", |st| st.confirm.is_some()).await;
    let confirm = s.screen();
    assert!(
        confirm.contains("Deploy the site to s3://umami-frontend?"),
        "{confirm}"
    );
    assert!(confirm.contains("2 files"), "{confirm}");
    assert!(
        confirm.contains("invalidate / /index.html on E2UMAMISANDBOX"),
        "{confirm}"
    );
    assert!(s.audit_lines().is_empty(), "nothing is done before the yes");

    s.press(Command::Confirm);
    s.until("the site deploy", |st| {
        st.notice
            .as_deref()
            .is_some_and(|n| n.starts_with("site deployed"))
            || st.last_error.is_some()
    })
    .await;
    let done = s.state.notice.clone().unwrap_or_default();
    assert!(
        done.contains("2 files"),
        "{done} / {:?}",
        s.state.last_error
    );
    assert!(
        done.contains("Completed"),
        "followed until Completed: {done}"
    );
    let audit = s.audit_lines();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["action"], "site-deploy");
}
