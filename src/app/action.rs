//! Everything that can change the app's state: commands bound to keys, input, and results
//! that workers send back.

use std::path::PathBuf;

use serde::Deserialize;

use crate::app::screens::bootstrap::Planned;
use crate::app::screens::deploy::DeployChoices;
use crate::model::{
    DbInstance, EcsSnapshot, Identity, LogEvent, MetricsSnapshot, Millis, SiteSnapshot, StackRef,
    TargetGroupHealth, Topology,
};
use crate::ops::bootstrap::provision::{ApplyOutcome, ApplyProgress, Existing, TeardownOutcome};
use crate::ops::release::{DeployPlan, Outcome, Progress, Revision, RollbackPlan};
use crate::ops::site::{SitePlan, SiteTarget};

/// A site deploy worked out for the confirmation: where, from which directory, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct SitePlanned {
    pub target: SiteTarget,
    pub dir: PathBuf,
    pub plan: SitePlan,
}

/// The five dashboard panes, in focus order (and number-key order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaneId {
    Network,
    Ecs,
    Targets,
    Rds,
    Logs,
    /// The static site and CloudFront, shown when the stack has them.
    Site,
}

impl PaneId {
    pub const ALL: [PaneId; 6] = [
        PaneId::Network,
        PaneId::Ecs,
        PaneId::Targets,
        PaneId::Rds,
        PaneId::Logs,
        PaneId::Site,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Network => "Network",
            PaneId::Ecs => "ECS",
            PaneId::Targets => "Targets",
            PaneId::Rds => "RDS",
            PaneId::Logs => "Logs",
            PaneId::Site => "Site",
        }
    }

    /// The number key that focuses this pane (1-based).
    pub fn number(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    pub fn next(self) -> PaneId {
        PaneId::ALL[self.number() % PaneId::ALL.len()]
    }

    pub fn prev(self) -> PaneId {
        PaneId::ALL[(self.number() + PaneId::ALL.len() - 2) % PaneId::ALL.len()]
    }
}

/// What a key can be bound to. `run = "..."` in a keymap file deserializes into this, so an
/// unknown name is caught when the file is loaded, not when the key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    Quit,
    Help,
    /// Close a popup, leave a drill-down level, clear a filter.
    Back,
    /// Drill down into the selected row.
    Enter,
    FocusNext,
    FocusPrev,
    FocusNetwork,
    FocusEcs,
    FocusTargets,
    FocusRds,
    FocusLogs,
    FocusSite,
    Zoom,
    /// Start typing a filter for the focused list.
    Filter,
    Refresh,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Logs: stop or resume following new lines.
    ToggleFollow,
    /// Logs: wrap long lines.
    ToggleWrap,
    /// Logs: show or hide timestamps.
    ToggleTimestamps,
    /// Logs: read the filter as a regular expression or as plain text.
    ToggleRegex,
    /// Logs: make the filter case-sensitive or not.
    ToggleCase,
    /// Logs: draw JSON lines pretty-printed.
    ToggleJson,
    /// Logs: type a time (`09:30`, `-5m`) to scroll to.
    JumpToTime,
    /// Logs: narrow the pane to one task and container.
    ChooseStream,
    /// Logs: write the lines shown to a file.
    ExportLogs,
    /// ECS: open the deploy wizard for the stack's service.
    Deploy,
    /// ECS: open the rollback picker.
    Rollback,
    /// ECS: set the service's desired count.
    Scale,
    /// ECS: a forced new deployment, watched.
    Restart,
    /// ECS: stop the selected task.
    StopTask,
    /// Site: deploy a build directory to the site's bucket and invalidate what changed.
    SiteDeploy,
    /// Show the release being watched again (after Esc hid it).
    ShowRelease,
    /// A confirmation dialog: go ahead.
    Confirm,
    /// Deploy wizard: roll back when the deploy fails (toggle).
    ToggleRollbackOnFailure,
    /// Deploy wizard: take an RDS snapshot before deploying (toggle).
    ToggleSnapshot,
    /// Open the bootstrap wizard: a new stack from a few questions.
    Bootstrap,
    /// Delete the dashboard's stack (its name typed to confirm), followed to the end.
    Teardown,
    /// Bootstrap wizard: the next option of the selected choice.
    NextChoice,
    /// Bootstrap wizard: the previous option of the selected choice.
    PrevChoice,
    /// Bootstrap wizard: the next group of questions (the plan after the last).
    NextGroup,
    /// Bootstrap wizard: the previous group of questions.
    PrevGroup,
    /// Bootstrap wizard: check every answer and show the plan.
    Plan,
}

impl Command {
    /// Every command, for validation messages and the help popup.
    pub const ALL: &'static [Command] = &[
        Command::Quit,
        Command::Help,
        Command::Back,
        Command::Enter,
        Command::FocusNext,
        Command::FocusPrev,
        Command::FocusNetwork,
        Command::FocusEcs,
        Command::FocusTargets,
        Command::FocusRds,
        Command::FocusLogs,
        Command::FocusSite,
        Command::Zoom,
        Command::Filter,
        Command::Refresh,
        Command::Up,
        Command::Down,
        Command::PageUp,
        Command::PageDown,
        Command::Top,
        Command::Bottom,
        Command::ToggleFollow,
        Command::ToggleWrap,
        Command::ToggleTimestamps,
        Command::ToggleRegex,
        Command::ToggleCase,
        Command::ToggleJson,
        Command::JumpToTime,
        Command::ChooseStream,
        Command::ExportLogs,
        Command::Deploy,
        Command::Rollback,
        Command::Scale,
        Command::Restart,
        Command::StopTask,
        Command::SiteDeploy,
        Command::ShowRelease,
        Command::Confirm,
        Command::ToggleRollbackOnFailure,
        Command::ToggleSnapshot,
        Command::Bootstrap,
        Command::Teardown,
        Command::NextChoice,
        Command::PrevChoice,
        Command::NextGroup,
        Command::PrevGroup,
        Command::Plan,
    ];

    /// The name used in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Command::Quit => "quit",
            Command::Help => "help",
            Command::Back => "back",
            Command::Enter => "enter",
            Command::FocusNext => "focus-next",
            Command::FocusPrev => "focus-prev",
            Command::FocusNetwork => "focus-network",
            Command::FocusEcs => "focus-ecs",
            Command::FocusTargets => "focus-targets",
            Command::FocusRds => "focus-rds",
            Command::FocusLogs => "focus-logs",
            Command::FocusSite => "focus-site",
            Command::Zoom => "zoom",
            Command::Filter => "filter",
            Command::Refresh => "refresh",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page-up",
            Command::PageDown => "page-down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::ToggleFollow => "toggle-follow",
            Command::ToggleWrap => "toggle-wrap",
            Command::ToggleTimestamps => "toggle-timestamps",
            Command::ToggleRegex => "toggle-regex",
            Command::ToggleCase => "toggle-case",
            Command::ToggleJson => "toggle-json",
            Command::JumpToTime => "jump-to-time",
            Command::ChooseStream => "choose-stream",
            Command::ExportLogs => "export-logs",
            Command::Deploy => "deploy",
            Command::Rollback => "rollback",
            Command::Scale => "scale",
            Command::Restart => "restart",
            Command::StopTask => "stop-task",
            Command::SiteDeploy => "site-deploy",
            Command::ShowRelease => "show-release",
            Command::Confirm => "confirm",
            Command::ToggleRollbackOnFailure => "toggle-rollback-on-failure",
            Command::ToggleSnapshot => "toggle-snapshot",
            Command::Bootstrap => "bootstrap",
            Command::Teardown => "teardown",
            Command::NextChoice => "next-choice",
            Command::PrevChoice => "prev-choice",
            Command::NextGroup => "next-group",
            Command::PrevGroup => "prev-group",
            Command::Plan => "plan",
        }
    }

    /// Commands a key still runs while text is typed: the filter's own switches, so the
    /// regex and case toggles can be flipped without leaving the filter.
    pub fn works_while_typing(self) -> bool {
        matches!(self, Command::ToggleRegex | Command::ToggleCase)
    }
}

/// A data source the workers refresh on their own schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feed {
    Topology,
    Ecs,
    Targets,
    Rds,
    Logs,
    Metrics,
    Site,
}

impl Feed {
    pub const ALL: [Feed; 7] = [
        Feed::Topology,
        Feed::Ecs,
        Feed::Targets,
        Feed::Rds,
        Feed::Logs,
        Feed::Metrics,
        Feed::Site,
    ];
}

/// A worker's answer for one feed.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedData {
    Topology(Box<Topology>),
    Ecs(EcsSnapshot),
    Targets(Vec<TargetGroupHealth>),
    Rds(Vec<DbInstance>),
    /// New log events, already deduplicated, oldest first.
    Logs(Vec<LogEvent>),
    /// The sparklines' series over the last hour.
    Metrics(MetricsSnapshot),
    /// The site's invalidations and bucket contents.
    Site(SiteSnapshot),
}

impl FeedData {
    pub fn feed(&self) -> Feed {
        match self {
            FeedData::Topology(_) => Feed::Topology,
            FeedData::Ecs(_) => Feed::Ecs,
            FeedData::Targets(_) => Feed::Targets,
            FeedData::Rds(_) => Feed::Rds,
            FeedData::Logs(_) => Feed::Logs,
            FeedData::Metrics(_) => Feed::Metrics,
            FeedData::Site(_) => Feed::Site,
        }
    }
}

/// Everything `update` understands.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A bound key was pressed (already resolved through the keymap).
    Run(Command),
    /// A printable character while typing a filter.
    Input(char),
    /// Backspace while typing a filter.
    InputBackspace,
    /// Enter while typing: keep the filter and stop typing.
    InputCommit,
    /// Esc while typing: drop the filter.
    InputCancel,
    /// Keys typed so far of an unfinished key sequence (shown in the status bar).
    PendingKeys(String),
    MouseScroll {
        column: u16,
        row: u16,
        down: bool,
    },
    MouseClick {
        column: u16,
        row: u16,
    },
    Resize {
        width: u16,
        height: u16,
    },
    /// Wall-clock time, for the age of each pane's data.
    Tick(Millis),
    Identity(Identity),
    Loaded {
        data: FeedData,
        at: Millis,
    },
    LoadFailed {
        feed: Feed,
        error: String,
        at: Millis,
    },
    /// Whether AWS is sending a sample of the logs (live tail above 500 lines a second).
    LogsSampled(bool),
    /// The logs export finished: how many lines went to `path`, or why none did.
    LogsExported {
        path: PathBuf,
        result: Result<usize, String>,
    },
    /// The deploy wizard's images and the service's current task definition.
    DeployChoices(Box<Result<DeployChoices, String>>),
    /// The deploy resolved for the summary (tag pinned to a digest), or why it is refused.
    DeployPlanned(Box<Result<DeployPlan, String>>),
    /// The rollback picker's revisions.
    Revisions(Result<Vec<Revision>, String>),
    /// A rollback to `revision` checked, with its difference, or why it is refused.
    RollbackPlanned {
        revision: u32,
        result: Box<Result<RollbackPlan, String>>,
    },
    /// A report from the release being watched.
    ReleaseProgress(Box<Progress>),
    /// The watched release ended: its verdict, or why it could not run.
    ReleaseDone(Box<Result<Outcome, String>>),
    /// A mutation that is not watched (scale, stop task) finished: what it did, or why not.
    MutationDone(Result<String, String>),
    /// A site deploy's plan: what the build would send, or why it cannot.
    SitePlanned(Box<Result<SitePlanned, String>>),
    /// A site deploy's progress, for the status bar.
    SiteProgress(String),
    /// The ECS feed found no cluster or service of the stack's name: there is no stack here
    /// (the feed's error, for the pane).
    StackAbsent(String),
    /// What the account has under the name typed into the bootstrap wizard, or why that
    /// name cannot be used.
    StackNameChecked {
        name: String,
        result: Box<Result<Existing, String>>,
    },
    /// The bootstrap wizard's plan, a stack CloudFormation is still working on, or why
    /// neither could be had.
    BootstrapPlanned(Box<Result<Planned, String>>),
    /// A report from the bootstrap or teardown being followed.
    ProvisionProgress(Box<ApplyProgress>),
    /// The bootstrap (or the operation re-attached to) ended, or why it could not run.
    BootstrapApplied(Box<Result<ApplyOutcome, String>>),
    /// The teardown ended, or why it could not run.
    TornDown(Box<Result<TeardownOutcome, String>>),
    /// The bootstrapped stack was written to the config file (where), or why not.
    StackRemembered(Result<String, String>),
    /// More of the account's services for the stack picker, listed while it is open.
    StackChoices(StackListing),
}

/// The stack picker's listing, as it goes on behind the picker.
#[derive(Debug, Clone, PartialEq)]
pub enum StackListing {
    /// One more cluster's services.
    Found(Vec<StackRef>),
    /// Every cluster has answered.
    Done,
    /// The listing stopped: why.
    Failed(String),
}
