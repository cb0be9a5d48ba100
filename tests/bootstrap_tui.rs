//! The bootstrap screens, driven as a user drives them: commands through the real `update`,
//! effects through the real jobs on a manual-clock sandbox with an empty account, every
//! screen drawn with the embedded keymap and kept as a snapshot at 120x40.

use std::sync::Arc;
use std::time::Duration;

use opsdeck::app::action::{Action, Command};
use opsdeck::app::jobs::Jobs;
use opsdeck::app::screens::bootstrap::Field;
use opsdeck::app::screens::{
    BootstrapStep, BootstrapWizard, Loading, ProvisionEnd, ProvisionKind, Wizard,
};
use opsdeck::app::screenshot::buffer_to_text;
use opsdeck::app::state::AppState;
use opsdeck::app::update::{Effect, update};
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::config::keymap::Keymap;
use opsdeck::model::StackRef;
use opsdeck::ops::audit::Audit;
use opsdeck::ops::bootstrap::Answers;
use opsdeck::ops::bootstrap::provision;
use opsdeck::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

const SIZE: (u16, u16) = (120, 40);
/// Real time allowed for a job to answer; the sandbox's clock is manual (a workflow waiting
/// on it moves it), so a whole stack takes milliseconds of real time.
const ANSWER: Duration = Duration::from_secs(30);

/// A TUI session without a terminal on an empty account: the state, the jobs, the actions
/// they send back, and the config file a bootstrapped stack is remembered in.
struct Session {
    sandbox: Arc<Sandbox>,
    state: AppState,
    jobs: Jobs,
    rx: UnboundedReceiver<Action>,
    dir: tempfile::TempDir,
    /// Effects the event loop (not the jobs) runs, seen so far.
    opened: Vec<StackRef>,
}

impl Session {
    fn start() -> Session {
        Session::with(false)
    }

    /// `read_only` as `--read-only` does it: the cloud layer refuses every change.
    fn with(read_only: bool) -> Session {
        let sandbox = Sandbox::new(
            Scenario::Empty,
            7,
            ClockMode::Manual {
                start: SANDBOX_EPOCH,
            },
        );
        let cloud = if read_only {
            sandbox.cloud().read_only()
        } else {
            sandbox.cloud()
        };
        let mut state = AppState::new(cloud.kind.clone(), umami(), read_only, 1_000);
        update(
            &mut state,
            Action::Resize {
                width: SIZE.0,
                height: SIZE.1,
            },
        );
        update(&mut state, Action::Tick(SANDBOX_EPOCH));
        let dir = tempfile::tempdir().expect("temp dir");
        state.config_path = Some(dir.path().join("config.toml"));
        let (tx, rx) = unbounded_channel();
        let jobs = Jobs::new(cloud, Audit::at(dir.path().join("audit.jsonl")), tx);
        Session {
            sandbox,
            state,
            jobs,
            rx,
            dir,
            opened: Vec::new(),
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
            Some(Effect::OpenStack(stack)) => self.opened.push(stack),
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

    /// Enter on the selected question, its text replaced by `text`, Enter.
    fn answer(&mut self, text: &str) {
        self.press(Command::Enter);
        let typed = self
            .state
            .input
            .as_ref()
            .map_or(0, |i| i.text.chars().count());
        for _ in 0..typed {
            self.act(Action::InputBackspace);
        }
        for c in text.chars() {
            self.act(Action::Input(c));
        }
        self.act(Action::InputCommit);
    }

    fn select(&mut self, field: Field) {
        while wizard(&self.state).selected_field() != Some(field) {
            let before = wizard(&self.state).selected;
            self.press(Command::Down);
            assert_ne!(before, wizard(&self.state).selected, "{field:?} not found");
        }
    }

    /// The name and image typed, every other answer at its default, up to the plan.
    async fn planned(&mut self) {
        self.press(Command::Bootstrap);
        self.answer("umami");
        self.until("the name looked up", |st| {
            !wizard(st).refused.contains_key(&Field::Name) && st.input.is_none()
        })
        .await;
        self.press(Command::NextGroup);
        self.press(Command::NextGroup);
        self.answer("umami");
        self.press(Command::Plan);
        // A stack CloudFormation is busy with is followed instead: the progress view opens.
        self.until("the plan", |st| {
            st.provision.is_some()
                || matches!(&st.wizard, Some(Wizard::Bootstrap(w))
                if matches!(w.plan, Some(Loading::Ready(_) | Loading::Failed(_))))
        })
        .await;
    }

    /// `T`, the stack's name typed, Enter; followed to the end.
    async fn teardown(&mut self) {
        self.press(Command::Teardown);
        let confirm = self.screen();
        assert!(confirm.contains("Tear down stack umami?"), "{confirm}");
        for c in "umami".chars() {
            self.act(Action::Input(c));
        }
        self.act(Action::InputCommit);
        self.until("the teardown's end", |st| {
            st.provision.as_ref().is_some_and(|p| !p.is_running())
        })
        .await;
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
}

fn umami() -> StackRef {
    StackRef {
        name: "umami".into(),
        region: "eu-west-2".into(),
        cluster: "umami".into(),
        service: "umami".into(),
    }
}

fn wizard(state: &AppState) -> &BootstrapWizard {
    match &state.wizard {
        Some(Wizard::Bootstrap(wizard)) => wizard,
        other => panic!("the bootstrap wizard is open: {other:?}"),
    }
}

fn snapshot(name: &str, text: &str) {
    insta::assert_snapshot!(name, text);
}

impl Session {
    /// The screen with the temporary directory's path (the config file's) made constant.
    fn stable_screen(&self) -> String {
        let dir = self.dir.path().display().to_string();
        self.screen().replace(&dir, "<tmp>")
    }
}

#[tokio::test]
async fn an_empty_account_offers_the_wizard_and_bad_answers_are_refused_where_typed() {
    let mut s = Session::start();
    s.act(Action::StackAbsent(
        "cluster umami not found: there are no clusters; check --profile and --region".into(),
    ));
    let empty = s.screen();
    assert!(
        empty.contains("no stack here: press b to bootstrap one"),
        "{empty}"
    );
    snapshot("empty_account", &empty);

    s.press(Command::Bootstrap);
    s.press(Command::NextGroup);
    s.answer("10.0.0.0/26");
    let refused = s.screen();
    assert!(
        refused.contains("network.cidr: 10.0.0.0/26 is outside"),
        "{refused}"
    );
    snapshot("question_with_an_error", &refused);

    s.answer("10.0.0.0/16");
    s.select(Field::Nat);
    let nat = s.screen();
    assert!(nat.contains("one per AZ (+"), "{nat}");
    assert!(nat.contains("● single"), "{nat}");
    snapshot("nat_choice", &nat);
}

#[tokio::test]
async fn the_plan_applies_and_the_dashboard_opens_on_the_new_stack() {
    let mut s = Session::start();
    s.planned().await;
    let plan = s.screen();
    assert!(plan.contains("Stack umami in eu-west-2"), "{plan}");
    assert!(plan.contains("AWS::EC2::VPC"), "{plan}");
    assert!(plan.contains("a month (the items are under"), "{plan}");
    snapshot("plan", &plan);

    s.press(Command::Confirm);
    assert!(s.state.wizard.is_none());
    s.until("resources under way", |st| {
        st.provision.as_ref().is_some_and(|p| {
            p.board.count(|r| r.status == "CREATE_COMPLETE") >= 12
                && p.board.count(|r| r.is_in_progress()) >= 1
        })
    })
    .await;
    let midway = s.screen();
    assert!(midway.contains("CREATE_IN_PROGRESS"), "{midway}");
    snapshot("progress_midway", &midway);

    s.until("the end", |st| {
        st.provision
            .as_ref()
            .is_some_and(|p| p.remembered.is_some())
    })
    .await;
    let end = s.stable_screen();
    assert!(end.contains("SUCCEEDED"), "{end}");
    snapshot("success", &end);
    assert_eq!(s.opened, [umami()]);
    assert_eq!(s.state.stack, umami());
    let notice = s.state.notice.clone().unwrap_or_default();
    assert!(notice.contains("stack umami is up at http"), "{notice}");
    let config = std::fs::read_to_string(s.dir.path().join("config.toml")).expect("config");
    assert!(config.contains("[stacks.umami]"), "{config}");
    assert!(config.contains("cluster = \"umami\""), "{config}");
    // Esc closes the view onto the dashboard.
    s.press(Command::Back);
    assert!(s.state.provision.is_none());

    // T tears it down, the stack's name typed to confirm; the final snapshot is kept.
    s.teardown().await;
    let Some(ProvisionEnd::TornDown(outcome)) =
        s.state.provision.as_ref().and_then(|p| p.end.clone())
    else {
        panic!("the teardown ended: {:?}", s.state.provision);
    };
    assert_eq!(outcome.exit_code(), 0, "{outcome:?}");
    let gone = s.screen();
    assert!(gone.contains("DELETED"), "{gone}");
    assert!(gone.contains("left: nothing"), "{gone}");
    assert!(gone.contains("kept on purpose: "), "{gone}");
    snapshot("teardown", &gone);
}

#[tokio::test]
async fn a_failed_database_ends_with_the_reason_what_rolled_back_and_the_teardown_advice() {
    let mut s = Session::start();
    s.sandbox.fail_next_resource("AWS::RDS::DBInstance");
    s.planned().await;
    s.press(Command::Confirm);
    s.until("the end", |st| {
        st.provision.as_ref().is_some_and(|p| !p.is_running())
    })
    .await;
    let Some(ProvisionEnd::Applied(outcome)) =
        s.state.provision.as_ref().and_then(|p| p.end.clone())
    else {
        panic!("the apply ended: {:?}", s.state.provision);
    };
    assert!(!outcome.succeeded);
    assert_eq!(
        outcome
            .first_failure
            .as_ref()
            .map(|f| f.resource_type.as_str()),
        Some("AWS::RDS::DBInstance")
    );
    let end = s.screen();
    assert!(end.contains("first failure: AWS::RDS::DBInstance"), "{end}");
    assert!(end.contains("rolled back by CloudFormation:"), "{end}");
    assert!(end.contains("press T"), "{end}");
    snapshot("failure", &end);
    assert!(
        !s.dir.path().join("config.toml").exists(),
        "a failed stack is not remembered"
    );

    // T deletes what is left: the name is free again.
    s.press(Command::Back);
    s.teardown().await;
    assert!(
        matches!(
            s.state.provision.as_ref().and_then(|p| p.end.as_ref()),
            Some(ProvisionEnd::TornDown(outcome)) if outcome.exit_code() == 0
        ),
        "{:?}",
        s.state.provision
    );
    assert_eq!(s.state.last_error, None);
}

#[tokio::test]
async fn the_step_after_the_plan_is_the_progress_view_not_a_second_dialog() {
    let mut s = Session::start();
    s.planned().await;
    assert!(matches!(wizard(&s.state).step, BootstrapStep::Plan { .. }));
    s.press(Command::Enter);
    assert!(s.state.confirm.is_none());
    assert!(s.state.provision.as_ref().is_some_and(|p| p.shown));
}

#[tokio::test]
async fn a_read_only_session_is_refused_by_the_cloud_layer_at_the_plan() {
    let mut s = Session::with(true);
    s.planned().await;
    let refused = s.screen();
    assert!(refused.contains("read-only:"), "{refused}");
    assert!(s.state.provision.is_none());
    s.press(Command::Confirm);
    assert!(s.state.provision.is_none(), "nothing to apply");
}

#[tokio::test]
async fn a_stack_cloudformation_is_working_on_is_followed_instead_of_planned() {
    let mut s = Session::start();
    // An apply that was cut short: the change set executes, nobody follows it.
    let cloud = s.sandbox.cloud();
    let text = "name = \"umami\"\n[service]\nimage = \"umami\"\n";
    let answers = Answers::parse(text, std::path::Path::new("stack.toml")).expect("answers");
    let prepared = provision::prepare(&cloud, &answers)
        .await
        .expect("prepared");
    let plan = provision::plan(&cloud, &prepared).await.expect("plan");
    let change_set = plan.change_set.clone().expect("a change set");
    cloud
        .stacks
        .execute_change_set(&plan.stack_id, &change_set)
        .await
        .expect("executed");

    s.planned().await;
    assert!(
        s.state.wizard.is_none(),
        "no plan: the running operation is followed"
    );
    assert_eq!(
        s.state.provision.as_ref().map(|p| p.kind),
        Some(ProvisionKind::Reattach)
    );
    s.until("the end", |st| {
        st.provision
            .as_ref()
            .is_some_and(|p| p.remembered.is_some())
    })
    .await;
    let end = s.stable_screen();
    assert!(end.contains("Bootstrap (re-attached) umami"), "{end}");
    assert!(end.contains("SUCCEEDED"), "{end}");
}

#[tokio::test]
async fn an_external_connection_string_is_never_drawn_in_clear() {
    let mut s = Session::start();
    s.press(Command::Bootstrap);
    for _ in 0..3 {
        s.press(Command::NextGroup);
    }
    assert_eq!(wizard(&s.state).selected_field(), Some(Field::Database));
    s.press(Command::NextChoice);
    s.press(Command::NextChoice);
    assert_eq!(wizard(&s.state).value(Field::Database), "external");
    s.select(Field::ConnectionString);
    s.press(Command::Enter);
    for c in "postgres://app:hunter2@db.example.com/app".chars() {
        s.act(Action::Input(c));
    }
    let typing = s.screen();
    assert!(!typing.contains("hunter2"), "{typing}");
    assert!(typing.contains("•••••"), "{typing}");
    s.act(Action::InputCommit);
    let kept = s.screen();
    assert!(!kept.contains("hunter2"), "{kept}");
    assert_eq!(
        wizard(&s.state).value(Field::ConnectionString),
        "postgres://app:hunter2@db.example.com/app"
    );
}
