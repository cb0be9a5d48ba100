//! The progress view of a bootstrap or teardown: progress in, the end kept; a bootstrap that
//! succeeded is remembered in the config file and its dashboard opened.

use super::Effect;
use super::popup::open_stack;
use crate::app::action::Command;
use crate::app::screens::{ProvisionEnd, ProvisionKind, ProvisionView};
use crate::app::state::AppState;
use crate::cloud::BackendKind;
use crate::config::StackConfig;
use crate::ops::bootstrap::provision::{ApplyOutcome, ApplyProgress, EventLine, TeardownOutcome};

pub(super) fn command(state: &mut AppState, command: Command) -> Option<Effect> {
    let view = state.provision.as_mut()?;
    match command {
        // Hidden while CloudFormation works (it goes on regardless); closed once it ended.
        Command::Back if view.is_running() => {
            view.shown = false;
            state.notice = Some(format!(
                "{} {} goes on: CloudFormation does not stop when the view closes",
                view.kind.name().to_lowercase(),
                view.stack.name
            ));
        }
        Command::Back => state.provision = None,
        Command::Down => view.scroll = view.scroll.saturating_add(1),
        Command::Up => view.scroll = view.scroll.saturating_sub(1),
        _ => {}
    }
    None
}

/// `W` shows a hidden bootstrap or teardown; false when there is none to show.
pub(super) fn show(state: &mut AppState) -> bool {
    match &mut state.provision {
        Some(view) if view.is_running() || state.release.is_none() => {
            view.shown = true;
            true
        }
        _ => false,
    }
}

pub(super) fn progress(state: &mut AppState, progress: ApplyProgress) {
    if let Some(view) = &mut state.provision {
        view.progress(progress);
    }
}

/// A bootstrap ended. Success is remembered in the config file first (when there is one),
/// then the dashboard opens on the stack; a failure opens it at once, so the teardown key
/// is about the stack that failed.
pub(super) fn applied(
    state: &mut AppState,
    result: Result<ApplyOutcome, String>,
) -> Option<Effect> {
    let view = state.provision.as_mut()?;
    let what = format!("bootstrap {}", view.stack.name);
    let end = match result {
        Ok(outcome) => ProvisionEnd::Applied(Box::new(outcome)),
        Err(error) => ProvisionEnd::Refused(error),
    };
    view.ended(end);
    match &view.end {
        Some(ProvisionEnd::Applied(outcome)) if outcome.succeeded => {
            let stack = view.stack.clone();
            // The simulated account lasts as long as this process: the everyday config file
            // is left alone (an entry there would send `opsdeck --stack NAME` to AWS); a
            // file named with --config for the session is written, as on AWS.
            let everyday = state.config_path.is_some()
                && state.config_path == crate::config::default_config_path();
            if matches!(state.backend, BackendKind::Sandbox { .. }) && everyday {
                view.remembered = Some(Ok(
                    "sandbox: the config file is left alone (the simulated account lasts as long as this session)"
                        .to_string(),
                ));
                return finish(state);
            }
            let Some(path) = state.config_path.clone() else {
                return finish(state);
            };
            let profile = match &state.backend {
                BackendKind::Aws { profile, .. } => profile.clone(),
                BackendKind::Sandbox { .. } => None,
            };
            Some(Effect::RememberStack {
                path,
                name: stack.name.clone(),
                stack: StackConfig {
                    profile,
                    region: Some(stack.region.clone()),
                    cluster: Some(stack.cluster.clone()),
                    service: Some(stack.service.clone()),
                    site: outcome.site_config(),
                    ..StackConfig::default()
                },
            })
        }
        Some(ProvisionEnd::Applied(outcome)) => {
            let reason = outcome
                .lost_sight
                .clone()
                .or_else(|| outcome.first_failure.as_ref().map(EventLine::cause))
                .unwrap_or_else(|| outcome.status.to_string());
            let error = format!("{what} FAILED: {reason}");
            let effect = finish(state);
            state.last_error = Some(error);
            effect
        }
        _ => {
            state.last_error = Some(format!("{what}: could not run"));
            None
        }
    }
}

/// The config file was written (or not): the dashboard opens on the new stack.
pub(super) fn remembered(state: &mut AppState, result: Result<String, String>) -> Option<Effect> {
    let view = state.provision.as_mut()?;
    view.remembered = Some(result);
    finish(state)
}

/// Opens the dashboard on the followed stack, keeping the view, and says where the app is.
fn finish(state: &mut AppState) -> Option<Effect> {
    let view = state.provision.take()?;
    let stack = view.stack.clone();
    let url = match &view.end {
        Some(ProvisionEnd::Applied(outcome)) if outcome.succeeded => {
            outcome.url().map(str::to_string)
        }
        _ => None,
    };
    let remembered = view.remembered.clone();
    let succeeded = matches!(&view.end, Some(ProvisionEnd::Applied(o)) if o.succeeded);
    open_stack(state, stack.clone());
    state.provision = Some(view);
    if succeeded {
        let mut notice = format!("stack {} is up", stack.name);
        if let Some(url) = url {
            notice.push_str(&format!(" at {url}"));
        }
        match remembered {
            Some(Ok(where_)) => notice.push_str(&format!("; {where_}")),
            Some(Err(error)) => state.last_error = Some(format!("config: {error}")),
            None => {}
        }
        state.notice = Some(notice);
    }
    Some(Effect::OpenStack(stack))
}

/// A teardown ended: what is left and what was kept stay in the view.
pub(super) fn torn_down(
    state: &mut AppState,
    result: Result<TeardownOutcome, String>,
) -> Option<Effect> {
    let view = state.provision.as_mut()?;
    let what = format!("teardown {}", view.stack.name);
    let end = match result {
        Ok(outcome) => ProvisionEnd::TornDown(Box::new(outcome)),
        Err(error) => ProvisionEnd::Refused(error),
    };
    view.ended(end);
    match &view.end {
        Some(ProvisionEnd::TornDown(outcome)) if outcome.exit_code() == 0 => {
            state.notice = Some(format!("{what}: the stack is gone"));
            // What it was torn down for (a failed bootstrap) is over.
            state.last_error = None;
        }
        Some(ProvisionEnd::TornDown(outcome)) => {
            state.last_error = Some(format!(
                "{what}: {} ({} resources left)",
                outcome.status,
                outcome.left.len()
            ));
        }
        Some(ProvisionEnd::Refused(error)) => {
            state.last_error = Some(format!("{what}: {error}"));
        }
        _ => {}
    }
    Some(Effect::RefreshAll)
}

/// Whether a bootstrap or teardown is being followed (only one at a time).
pub(super) fn running(state: &AppState) -> bool {
    state
        .provision
        .as_ref()
        .is_some_and(ProvisionView::is_running)
}

/// A new view for `kind` on the dashboard's stack.
pub(super) fn start(state: &mut AppState, kind: ProvisionKind) {
    state.provision = Some(ProvisionView::new(kind, state.stack.clone()));
}
