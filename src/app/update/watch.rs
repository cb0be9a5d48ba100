//! The release view: progress in, verdict at the end; Esc hides it and the watch goes on.

use super::Effect;
use crate::app::action::Command;
use crate::app::state::AppState;
use crate::ops::release::{Outcome, Progress, Verdict};

pub(super) fn command(state: &mut AppState, command: Command) -> Option<Effect> {
    let release = state.release.as_mut()?;
    match command {
        Command::Back => release.shown = false,
        Command::Down => release.scroll = release.scroll.saturating_add(1),
        Command::Up => release.scroll = release.scroll.saturating_sub(1),
        _ => {}
    }
    None
}

pub(super) fn show(state: &mut AppState) {
    match &mut state.release {
        Some(release) => release.shown = true,
        None => state.notice = Some("no release has been watched in this session".into()),
    }
}

pub(super) fn progress(state: &mut AppState, progress: Progress) {
    let now = state.now;
    if let Some(release) = &mut state.release {
        release.progress(now, progress);
    }
}

/// The verdict: kept in the view, and said in the status bar in case the view is hidden.
pub(super) fn done(state: &mut AppState, result: Result<Outcome, String>) -> Option<Effect> {
    let release = state.release.as_mut()?;
    let what = format!("{} {}", release.kind.name(), release.subject);
    match &result {
        Ok(outcome) if outcome.verdict == Verdict::Succeeded => {
            state.notice = Some(format!("{what}: succeeded"));
        }
        Ok(outcome) => {
            state.last_error = Some(format!("{what}: {}", verdict_text(&outcome.verdict)));
        }
        Err(error) => state.last_error = Some(format!("{what}: {error}")),
    }
    release.outcome = Some(result);
    Some(Effect::RefreshAll)
}

/// One line for a verdict, in the words the CLI uses.
pub fn verdict_text(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Succeeded => "succeeded".into(),
        Verdict::Failed { reason } => format!("FAILED: {reason}"),
        Verdict::RolledBack { reason, to } => format!(
            "FAILED and rolled back to {}: {reason}",
            crate::model::family_revision(to)
        ),
        Verdict::TimedOut { waited_ms } => {
            format!("TIMED OUT after {}s without a verdict", waited_ms / 1000)
        }
        Verdict::Replaced { by } => format!("REPLACED by another deployment ({by})"),
    }
}

/// A scale or a task stop finished.
pub(super) fn mutation_done(
    state: &mut AppState,
    result: Result<String, String>,
) -> Option<Effect> {
    match result {
        Ok(done) => state.notice = Some(done),
        Err(error) => state.last_error = Some(error),
    }
    Some(Effect::RefreshAll)
}
