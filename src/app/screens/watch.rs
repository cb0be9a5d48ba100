//! A release being watched: its latest poll, the steps taken, and the verdict at the end.
//! It lives on when the view is closed; the status bar then shows it.

use crate::model::Millis;
use crate::ops::release::{Outcome, Progress, WatchView};

/// Steps kept for the view; a watch makes a handful.
const STEPS_KEPT: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseKind {
    Deploy,
    Rollback,
    Restart,
}

impl ReleaseKind {
    pub fn name(self) -> &'static str {
        match self {
            ReleaseKind::Deploy => "deploy",
            ReleaseKind::Rollback => "rollback",
            ReleaseKind::Restart => "restart",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseWatch {
    pub kind: ReleaseKind,
    /// `umami:v2.14.0`, `revision 7`, `umami`.
    pub subject: String,
    /// Wall-clock start, for the elapsed time.
    pub started_at: Millis,
    /// (wall-clock time, what happened), oldest first.
    pub steps: Vec<(Millis, String)>,
    pub view: Option<WatchView>,
    /// The verdict, or why the release could not be run.
    pub outcome: Option<Result<Outcome, String>>,
    /// Drawn over the dashboard; Esc hides it and the watch goes on.
    pub shown: bool,
    /// Lines the events list is scrolled by.
    pub scroll: usize,
}

impl ReleaseWatch {
    pub fn new(kind: ReleaseKind, subject: String, started_at: Millis) -> ReleaseWatch {
        ReleaseWatch {
            kind,
            subject,
            started_at,
            steps: Vec::new(),
            view: None,
            outcome: None,
            shown: true,
            scroll: 0,
        }
    }

    pub fn is_running(&self) -> bool {
        self.outcome.is_none()
    }

    /// Takes one progress report in.
    pub fn progress(&mut self, at: Millis, progress: Progress) {
        let step = match progress {
            Progress::Poll { view } => {
                self.view = Some(*view);
                return;
            }
            Progress::Step { message } => message,
            Progress::Warning { message } => format!("warning: {message}"),
            Progress::Started {
                deployment_id,
                task_definition,
                previous,
            } => format!(
                "watching {} ({} → {})",
                deployment_id.as_deref().unwrap_or("the new deployment"),
                crate::model::family_revision(&previous),
                crate::model::family_revision(&task_definition)
            ),
            Progress::RollingBack { to, how } => format!(
                "rolling back to {} ({how})",
                crate::model::family_revision(&to)
            ),
        };
        self.steps.push((at, step));
        if self.steps.len() > STEPS_KEPT {
            self.steps.remove(0);
        }
    }
}
