//! The confirmation every mutation asks for: y/n, or typing the service name when the stack
//! is marked `production = true` (and the stack's name for a teardown, always).

use crate::ops::release::{DeployPlan, RollbackPlan, WatchOptions};
use crate::ops::site::{SitePlan, SiteTarget};

/// A mutation waiting for the user's yes.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    Deploy {
        plan: Box<DeployPlan>,
        options: WatchOptions,
    },
    Rollback {
        plan: Box<RollbackPlan>,
        options: WatchOptions,
    },
    Restart {
        options: WatchOptions,
    },
    Scale {
        desired: u32,
    },
    StopTask {
        task: String,
        reason: String,
    },
    /// Delete the stack's CloudFormation stack, followed to the end.
    Teardown {
        stack: String,
        region: String,
    },
    /// Upload a build to the site's bucket and invalidate what changed, followed until
    /// CloudFront says Completed.
    SiteDeploy {
        target: SiteTarget,
        dir: std::path::PathBuf,
        plan: Box<SitePlan>,
    },
}

impl Job {
    /// The verb the dialog and the status bar use.
    pub fn verb(&self) -> &'static str {
        match self {
            Job::Deploy { .. } => "deploy",
            Job::Rollback { .. } => "rollback",
            Job::Restart { .. } => "restart",
            Job::Scale { .. } => "scale",
            Job::StopTask { .. } => "stop task",
            Job::Teardown { .. } => "teardown",
            Job::SiteDeploy { .. } => "site deploy",
        }
    }

    /// Whether the job ends in a watched rollout (and so opens the progress view).
    pub fn is_watched(&self) -> bool {
        matches!(
            self,
            Job::Deploy { .. } | Job::Rollback { .. } | Job::Restart { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: String,
    /// What will change, one line each.
    pub lines: Vec<String>,
    pub job: Job,
    /// The text the user must type to go ahead (the service name on production).
    pub require: Option<String>,
    pub typed: String,
    /// Why the last Enter was not taken.
    pub error: Option<String>,
}

impl Confirm {
    pub fn new(title: String, lines: Vec<String>, job: Job, require: Option<String>) -> Confirm {
        Confirm {
            title,
            lines,
            job,
            require,
            typed: String::new(),
            error: None,
        }
    }

    /// Keys go into the typed text instead of the keymap.
    pub fn is_typing(&self) -> bool {
        self.require.is_some()
    }
}
