//! The pure state transition: `update(state, action)` changes state and names the effects
//! (work for the workers) it needs; it never does I/O itself. Each pane and popup has its
//! own module; this one routes actions and commands to them.

mod bootstrap;
mod confirm;
mod deploy;
mod ecs;
mod feeds;
mod input;
mod logs;
mod popup;
mod provision;
mod rollback;
mod selection;
mod site;
mod watch;

use std::path::PathBuf;

use crate::app::action::{Action, Command, PaneId};
use crate::app::screens::{Job, Wizard};
use crate::app::state::{AppState, EcsLevel, FilterInput, Popup, VisibleLogs};
use crate::app::view::{self, rows};
use crate::config::StackConfig;
use crate::model::{CfnStack, StackRef};
use crate::ops::bootstrap::Answers;
use crate::ops::bootstrap::provision::Plan;
use crate::ops::logs::Narrowing;
use crate::ops::release::DeployRequest;

pub use logs::parse_jump_time;
pub use watch::verdict_text;

/// Work that `update` asks the event loop to start.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Reload every feed now instead of waiting for its interval.
    RefreshAll,
    /// Write the logs pane's lines to `path`, off the UI task; the outcome comes back as
    /// [`Action::LogsExported`].
    ExportLogs {
        path: PathBuf,
        /// Boxed: a copy of the buffer is large beside the other effects.
        lines: Box<VisibleLogs>,
    },
    /// Show the dashboard of this stack: (re)start the feed workers for it.
    OpenStack(StackRef),
    /// Fetch the deploy wizard's images and the service's current task definition.
    LoadDeployChoices,
    /// Resolve a deploy for the wizard's summary; nothing changes.
    PlanDeploy(DeployRequest),
    /// Fetch the family's revisions for the rollback picker.
    LoadRevisions,
    /// Check a rollback to this revision and work out its difference; nothing changes.
    PlanRollback(u32),
    /// Work out what a site deploy of `dir` would send; nothing changes.
    PlanSite {
        target: crate::ops::site::SiteTarget,
        dir: PathBuf,
    },
    /// Run a confirmed mutation; a deploy, rollback or restart is watched to its verdict,
    /// a teardown followed to its end.
    Run(Box<Job>),
    /// Look the bootstrap wizard's stack name up in the account; nothing changes.
    CheckStackName(String),
    /// Fit the answers to the account and have CloudFormation compute their change set.
    PlanBootstrap(Box<Answers>),
    /// Delete a change set that will not be applied (and the empty stack it made).
    DiscardBootstrapPlan(Box<Plan>),
    /// Execute the confirmed change set and follow it to the end.
    ApplyBootstrap { plan: Box<Plan>, region: String },
    /// Follow an operation CloudFormation is already running on the stack.
    ReattachBootstrap(Box<CfnStack>),
    /// Write `[stacks.NAME]` into the config file at `path` (a file write: off the UI task).
    RememberStack {
        path: PathBuf,
        name: String,
        stack: StackConfig,
    },
}

/// Lines the mouse wheel moves.
const WHEEL_STEP: usize = 3;

pub fn update(state: &mut AppState, action: Action) -> Option<Effect> {
    match action {
        Action::Run(command) => return run(state, command),
        Action::Input(c) => input::edit_input(state, |text| text.push(c)),
        Action::InputBackspace => input::edit_input(state, |text| {
            text.pop();
        }),
        Action::InputCommit => return input::commit_input(state),
        Action::InputCancel => input::cancel(state),
        Action::PendingKeys(keys) => state.pending_keys = keys,
        Action::MouseScroll { column, row, down } => {
            if state.popup.is_some() {
                popup::scroll_popup(state, WHEEL_STEP, down);
            } else if let Some(pane) = view::pane_at(state, column, row) {
                selection::move_selection(state, pane, WHEEL_STEP, down);
            }
        }
        Action::MouseClick { column, row } => {
            if state.popup.is_none()
                && let Some(pane) = view::pane_at(state, column, row)
            {
                state.focus = pane;
            }
        }
        Action::Resize { width, height } => {
            state.width = width;
            state.height = height;
        }
        Action::Tick(now) => state.now = now,
        Action::Identity(identity) => state.identity = Some(identity),
        Action::Loaded { data, at } => feeds::loaded(state, data, at),
        Action::LoadFailed { feed, error, at: _ } => feeds::failed(state, feed, error),
        Action::LogsSampled(sampled) => state.logs_pane.sampled = sampled,
        Action::LogsExported { path, result } => logs::exported(state, &path, result),
        Action::DeployChoices(result) => deploy::choices_loaded(state, *result),
        Action::DeployPlanned(result) => deploy::planned(state, *result),
        Action::Revisions(result) => return rollback::revisions_loaded(state, result),
        Action::RollbackPlanned { revision, result } => {
            rollback::planned(state, revision, *result);
        }
        Action::ReleaseProgress(progress) => watch::progress(state, *progress),
        Action::ReleaseDone(result) => return watch::done(state, *result),
        Action::MutationDone(result) => return watch::mutation_done(state, result),
        Action::SitePlanned(result) => site::planned(state, *result),
        Action::SiteProgress(text) => state.notice = Some(text),
        Action::StackAbsent(error) => feeds::absent(state, error),
        Action::StackNameChecked { name, result } => {
            bootstrap::name_checked(state, &name, *result);
        }
        Action::BootstrapPlanned(result) => return bootstrap::planned(state, *result),
        Action::ProvisionProgress(progress) => provision::progress(state, *progress),
        Action::BootstrapApplied(result) => return provision::applied(state, *result),
        Action::TornDown(result) => return provision::torn_down(state, *result),
        Action::StackRemembered(result) => return provision::remembered(state, result),
        Action::StackChoices(listing) => popup::stacks_listed(state, listing),
    }
    None
}

fn run(state: &mut AppState, command: Command) -> Option<Effect> {
    state.notice = None;
    // The innermost screen takes the command; quitting and help work everywhere.
    if !matches!(command, Command::Quit | Command::Help) && state.popup.is_none() {
        if state.confirm.is_some() {
            return confirm::command(state, command);
        }
        match &state.wizard {
            Some(Wizard::Deploy(_)) => return deploy::command(state, command),
            Some(Wizard::Rollback(_)) => return rollback::command(state, command),
            Some(Wizard::Bootstrap(_)) => return bootstrap::command(state, command),
            None => {}
        }
        if state.provision.as_ref().is_some_and(|p| p.shown) {
            return provision::command(state, command);
        }
        if state.release.as_ref().is_some_and(|r| r.shown) {
            return watch::command(state, command);
        }
    }
    match command {
        Command::Quit => state.should_quit = true,
        Command::Help => {
            state.popup = match state.popup.take() {
                Some(Popup::Help { .. }) => None,
                // The picker stays: with no stack chosen there is no dashboard behind it to
                // come back to, so its keys are said where it leaves them visible.
                Some(picker @ Popup::StackPicker { .. }) => {
                    state.notice =
                        Some("j/k move, / filters, Enter opens the service, Esc leaves".into());
                    Some(picker)
                }
                _ => Some(Popup::Help { scroll: 0 }),
            }
        }
        Command::Back => back(state),
        Command::Enter => return enter(state),
        Command::FocusNext => focus(state, shown_pane(state, PaneId::next)),
        Command::FocusPrev => focus(state, shown_pane(state, PaneId::prev)),
        Command::FocusNetwork => focus(state, PaneId::Network),
        Command::FocusEcs => focus(state, PaneId::Ecs),
        Command::FocusTargets => focus(state, PaneId::Targets),
        Command::FocusRds => focus(state, PaneId::Rds),
        Command::FocusLogs => focus(state, PaneId::Logs),
        Command::FocusSite if state.has_site() => focus(state, PaneId::Site),
        Command::FocusSite => {
            state.notice = Some("this stack has no static site or CloudFront".into());
        }
        Command::Zoom => state.zoomed = !state.zoomed,
        Command::Filter if popup::start_stack_filter(state) => {}
        Command::Filter => {
            let text = state.filters.get(&state.focus).cloned().unwrap_or_default();
            state.input = Some(FilterInput::filter(state.focus, text));
        }
        Command::Refresh => {
            state.last_error = None;
            return Some(Effect::RefreshAll);
        }
        Command::Up => step(state, 1, false),
        Command::Down => step(state, 1, true),
        Command::PageUp => step(state, view::page_rows(state, state.focus), false),
        Command::PageDown => step(state, view::page_rows(state, state.focus), true),
        Command::Top => step(state, usize::MAX, false),
        Command::Bottom => step(state, usize::MAX, true),
        Command::ToggleFollow
        | Command::ToggleWrap
        | Command::ToggleTimestamps
        | Command::ToggleRegex
        | Command::ToggleCase
        | Command::ToggleJson
        | Command::JumpToTime
        | Command::ChooseStream
        | Command::ExportLogs => return logs::command(state, command),
        Command::Deploy => return deploy::open(state),
        Command::Rollback => return rollback::open(state),
        Command::Scale => ecs::ask_scale(state),
        Command::Restart => state.confirm = Some(confirm::restart(state)),
        Command::StopTask => ecs::ask_stop_task(state),
        Command::SiteDeploy => site::ask_dir(state),
        Command::ShowRelease => {
            if !provision::show(state) {
                watch::show(state);
            }
        }
        Command::Bootstrap => bootstrap::open(state),
        Command::Teardown => state.confirm = Some(confirm::teardown(state)),
        // Only screens that are not open would take these.
        Command::Confirm
        | Command::ToggleRollbackOnFailure
        | Command::ToggleSnapshot
        | Command::NextChoice
        | Command::PrevChoice
        | Command::NextGroup
        | Command::PrevGroup
        | Command::Plan => {}
    }
    None
}

fn focus(state: &mut AppState, pane: PaneId) {
    state.popup = None;
    state.focus = pane;
}

/// Esc undoes the innermost thing: a popup, then a filter, then a drill-down, then zoom.
fn back(state: &mut AppState) {
    if popup::clear_stack_filter(state) {
        return;
    }
    // Before a stack is chosen there is nothing behind the picker: leaving it leaves opsdeck.
    if matches!(state.popup, Some(Popup::StackPicker { .. })) && state.stack.service.is_empty() {
        state.should_quit = true;
        return;
    }
    if state.popup.take().is_some() {
        return;
    }
    if state.filters.remove(&state.focus).is_some() {
        selection::reset_selection(state, state.focus);
        logs::refresh_log_view(state);
        return;
    }
    if state.focus == PaneId::Logs && !state.logs_pane.narrowing.is_everything() {
        logs::choose_stream(state, Narrowing::default());
        return;
    }
    if state.focus == PaneId::Ecs && state.ecs_pane.level == EcsLevel::Tasks {
        // A filter typed at this level was over tasks; it was cleared just above.
        state.ecs_pane.level = EcsLevel::Services;
        return;
    }
    state.zoomed = false;
}

fn enter(state: &mut AppState) -> Option<Effect> {
    if let Some(effect) = popup::choose(state) {
        return effect;
    }
    if state.popup.is_some() {
        return None;
    }
    if state.focus == PaneId::Ecs && state.ecs_pane.level == EcsLevel::Services {
        ecs::drill_into_service(state);
        return None;
    }
    if let Some((title, lines)) = rows::detail(state, state.focus) {
        state.popup = Some(Popup::Detail {
            title,
            lines,
            scroll: 0,
        });
    }
    None
}

fn step(state: &mut AppState, by: usize, down: bool) {
    if state.popup.is_some() {
        popup::scroll_popup(state, by, down);
    } else {
        selection::move_selection(state, state.focus, by, down);
    }
}

#[cfg(test)]
mod tests;

/// The next pane in focus order that is on the screen: the site pane only with a site.
fn shown_pane(state: &AppState, step: fn(PaneId) -> PaneId) -> PaneId {
    let next = step(state.focus);
    if next == PaneId::Site && !state.has_site() {
        step(next)
    } else {
        next
    }
}
