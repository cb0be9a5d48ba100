//! Releases: deploy an image, roll back, restart, scale, stop a task, each watched to a
//! verdict that never calls a failed release a success. One implementation serves the TUI
//! and the CLI; progress is reported as values through a [`ProgressSink`].
//!
//! Workflow functions (implemented in the submodules):
//! - `plan_deploy(cloud, stack, &DeployRequest) -> Result<DeployPlan, ReleaseError>`: no change made.
//! - `deploy(cloud, &DeployPlan, &WatchOptions, &Audit, sink) -> Result<Outcome, ReleaseError>`
//! - `plan_rollback(cloud, stack, to: Option<&str>) -> Result<RollbackPlan, ReleaseError>`
//! - `rollback(cloud, &RollbackPlan, &WatchOptions, &Audit, sink) -> Result<Outcome, ReleaseError>`
//! - `restart(cloud, stack, &WatchOptions, &Audit, sink) -> Result<Outcome, ReleaseError>`
//! - `scale(cloud, stack, desired, &Audit) -> Result<Scaled, ReleaseError>`
//! - `stop_task(cloud, stack, task, reason, &Audit) -> Result<(), ReleaseError>`
//! - `images(cloud, stack) -> Result<ImageList, ReleaseError>`
//! - `revisions(cloud, stack) -> Result<Vec<Revision>, ReleaseError>`

mod changes;
mod list;
mod plan;
mod rollout;
mod watch;

pub use changes::changes;
pub use list::{REVISIONS_LISTED, images, images_with_definition, revisions};
pub(crate) use plan::{EcrRef, pick_container};
pub use plan::{plan_deploy, plan_rollback};
pub use rollout::{
    deploy, record_refusal, restart, rollback, scale, start_deploy, start_restart, start_rollback,
    stop_task,
};
pub use watch::{POLL_COST, watch};

use serde::Serialize;

use crate::cloud::CloudError;
use crate::model::{
    Deployment, Image, Millis, Service, ServiceDeploymentStatus, ServiceEvent, StackRef,
    TargetHealth, Task, TaskDefinition, TaskDefinitionStatus,
};

/// Exit code: refused before any change (bad input, a guard, an unknown tag).
pub const EXIT_REFUSED: u8 = 2;

/// Why a release could not start. Nothing was changed when this is returned from a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// Bad input or a guard (unknown tag, INACTIVE revision, CODE_DEPLOY controller,
    /// read-only); the message says what to do.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

/// How a watched release ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Our deployment is PRIMARY, COMPLETED, running == desired, and its targets healthy.
    Succeeded,
    /// Rollout FAILED, a crash loop, or ECS rolled it back.
    Failed { reason: String },
    /// Failed, then rolled back (by opsdeck or by ECS) and the rollback finished.
    RolledBack { reason: String, to: String },
    /// Neither success nor failure within the timeout.
    TimedOut { waited_ms: Millis },
    /// Another deployment (another pipeline, a person) replaced ours midway.
    Replaced { by: String },
}

impl Verdict {
    /// The CLI's exit code: 0 success, 3 failed, 4 failed and rolled back, 5 timed out,
    /// 6 replaced by another deployment.
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Succeeded => 0,
            Verdict::Failed { .. } => 3,
            Verdict::RolledBack { .. } => 4,
            Verdict::TimedOut { .. } => 5,
            Verdict::Replaced { .. } => 6,
        }
    }

    pub fn is_success(&self) -> bool {
        *self == Verdict::Succeeded
    }
}

/// How a watch decides, and how long it waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchOptions {
    /// Give up (exit 5) after this long; default 15 minutes.
    pub timeout_ms: Millis,
    /// Stopped tasks of the new deployment (non-zero exit, failed ELB health checks) that
    /// make it a crash loop, whatever the circuit breaker says; default 3.
    pub max_task_failures: u32,
    /// Time between polls, on the backend's clock.
    pub poll_ms: Millis,
    /// On failure, roll back and watch that to its end.
    pub rollback_on_failure: bool,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            timeout_ms: 15 * 60 * 1000,
            max_task_failures: 3,
            poll_ms: 5_000,
            rollback_on_failure: false,
        }
    }
}

/// What the user asked to deploy.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeployRequest {
    /// A tag (`v2.14.0`), a digest (`sha256:...`), or a full image reference.
    pub image: String,
    /// The container whose image changes; by default the one the load balancer targets,
    /// else the only essential one.
    pub container: Option<String>,
    /// Take an RDS snapshot of the stack's database, and wait for it, first.
    pub snapshot: bool,
}

/// A deploy checked and resolved, before anything changes: what the confirmation shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeployPlan {
    pub stack: StackRef,
    pub service: Service,
    /// The service's current task definition (not the family's latest).
    pub current: TaskDefinition,
    pub container: String,
    pub old_image: String,
    /// What the new revision will run: `repository@sha256:...` for an ECR image.
    pub new_image: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    /// e.g. an image from another registry, not pinned to a digest.
    pub warnings: Vec<String>,
    /// The DB instance to snapshot first, when asked.
    pub snapshot_of: Option<String>,
}

/// One difference between two revisions, as the rollback picker and CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `image umami`, `env DATABASE_TYPE`, `secret DATABASE_URL`, `cpu`, `memory`,
    /// `port umami`, `health check umami`.
    pub field: String,
    /// `-` where the field is absent. Secrets show only whether they exist, never a value.
    pub before: String,
    pub after: String,
}

/// A rollback checked, before anything changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollbackPlan {
    pub stack: StackRef,
    pub service: Service,
    pub from: TaskDefinition,
    pub to: TaskDefinition,
    /// From the running revision to the chosen one.
    pub changes: Vec<Change>,
}

/// A task of the watched deployment that stopped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskFailure {
    pub task_id: String,
    pub reason: String,
    pub exit_code: Option<i32>,
    pub container: Option<String>,
}

/// What one watch poll saw: the live progress view and the CLI's lines are drawn from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchView {
    /// When the poll was made, on the backend's clock.
    pub at: Millis,
    pub elapsed_ms: Millis,
    /// Every deployment of the service, newest first.
    pub deployments: Vec<Deployment>,
    /// The id of the deployment being watched, once known.
    pub watched: Option<String>,
    /// Tasks of the watched deployment (running and stopped).
    pub tasks: Vec<Task>,
    /// Targets of those tasks, with reason codes.
    pub targets: Vec<TargetHealth>,
    /// Service events since the watch began, newest first.
    pub events: Vec<ServiceEvent>,
    pub failures: Vec<TaskFailure>,
    /// ECS's own verdict, where the deployment history answers.
    pub service_deployment: Option<ServiceDeploymentStatus>,
    /// Why this poll could not see (throttled, unreachable): the watch goes on.
    pub blind: Option<String>,
}

impl WatchView {
    /// The watched deployment in this view, when ECS reports it.
    pub fn watched_deployment(&self) -> Option<&Deployment> {
        let id = self.watched.as_deref()?;
        self.deployments.iter().find(|d| d.id == id)
    }

    /// One line for a CI log, without the time: `deployment ecs-svc/123 IN_PROGRESS 1/2
    /// running, 1 pending; targets 1 healthy 1 initial`. It changes only when something
    /// the user cares about changed, so a face can print it only then.
    pub fn summary(&self) -> String {
        use std::fmt::Write;
        let mut line = match self.watched_deployment() {
            Some(d) => format!(
                "deployment {} {} {}/{} running, {} pending",
                d.id,
                d.rollout_state.as_str(),
                d.running,
                d.desired,
                d.pending
            ),
            None => format!(
                "deployment {} (not reported by ECS)",
                self.watched.as_deref().unwrap_or("-")
            ),
        };
        if let Some(status) = self.service_deployment {
            let _ = write!(line, " [{}]", status.as_str());
        }
        let mut states: Vec<(&str, usize)> = Vec::new();
        for target in &self.targets {
            let name = target.state.as_str();
            match states.iter_mut().find(|(s, _)| *s == name) {
                Some(entry) => entry.1 += 1,
                None => states.push((name, 1)),
            }
        }
        states.sort_unstable();
        if !states.is_empty() {
            line.push_str("; targets");
            for (state, n) in states {
                let _ = write!(line, " {n} {state}");
            }
        }
        if !self.failures.is_empty() {
            let _ = write!(line, "; {} tasks failed", self.failures.len());
            if let Some(last) = self.failures.last() {
                let _ = write!(line, " (last: {}", last.reason);
                if let Some(code) = last.exit_code {
                    let _ = write!(line, ", exit {code}");
                }
                line.push(')');
            }
        }
        if let Some(blind) = &self.blind {
            let _ = write!(line, "; cannot see: {blind}");
        }
        line
    }
}

/// A rollout that UpdateService accepted: what a watch follows. Returned by the `start_*`
/// workflows (the CLI without `--wait`) and used inside `deploy`, `rollback`, `restart`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rollout {
    pub stack: StackRef,
    /// The deployment UpdateService created, when ECS reports one (moto does not).
    pub deployment_id: Option<String>,
    /// The task definition being rolled out.
    pub task_definition: String,
    /// The task definition the service ran before.
    pub previous: String,
    /// Deployment ids the service had before the update: none of them is ours.
    pub earlier_deployments: Vec<String>,
    /// On the backend's clock.
    pub started_at: Millis,
}

/// Progress of a workflow, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Progress {
    /// A step taken: snapshot started, revision registered, service updated.
    Step {
        message: String,
    },
    Warning {
        message: String,
    },
    /// The service was updated: what is being watched.
    Started {
        deployment_id: Option<String>,
        task_definition: String,
        previous: String,
    },
    Poll {
        view: Box<WatchView>,
    },
    /// After a failure, with `--rollback-on-failure`.
    RollingBack {
        to: String,
        how: String,
    },
}

/// Where a workflow reports progress; the CLI prints, the TUI sends actions.
pub type ProgressSink<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// How a watched release ended, with what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub verdict: Verdict,
    pub deployment_id: Option<String>,
    pub task_definition: String,
    pub previous: String,
    pub failures: Vec<TaskFailure>,
    /// Targets of the new tasks that were not healthy at the end, with reason codes.
    pub unhealthy_targets: Vec<TargetHealth>,
}

/// The result of `scale`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scaled {
    pub before: u32,
    pub after: u32,
    pub warning: Option<String>,
}

/// One image of the service's repository, as `opsdeck images` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRow {
    pub image: Image,
    /// The service runs this digest (or tag) now.
    pub running: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageList {
    pub repository: String,
    /// Newest push first.
    pub images: Vec<ImageRow>,
}

/// One revision of the service's family, as `opsdeck revisions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub arn: String,
    pub revision: u32,
    pub status: TaskDefinitionStatus,
    /// The images of its containers, in order.
    pub images: Vec<String>,
    pub registered_at: Millis,
    pub running: bool,
}
