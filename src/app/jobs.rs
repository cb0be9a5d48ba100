//! Release and bootstrap work the TUI asks for: each request runs as its own task on the
//! `ops::release` and `ops::bootstrap::provision` workflows (the same ones the CLI runs) and
//! reports back as actions. Nothing here decides anything; the tasks end with the app.

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;

use crate::app::action::{Action, SitePlanned};
use crate::app::screens::Job;
use crate::app::screens::bootstrap::{PlanSummary, Planned};
use crate::app::screens::deploy::DeployChoices;
use crate::app::update::Effect;
use crate::cloud::Cloud;
use crate::model::StackRef;
use crate::ops::audit::Audit;
use crate::ops::bootstrap::Answers;
use crate::ops::bootstrap::provision::{self, ApplyProgress, Existing, Refusal};
use crate::ops::release::{self, Progress, ReleaseError};
use crate::ops::site::{SiteOptions, SitePlan, SiteProgress, SiteTarget, SiteVerdict};

/// The release tasks of one session.
pub struct Jobs {
    cloud: Cloud,
    audit: Audit,
    tx: UnboundedSender<Action>,
    tasks: JoinSet<()>,
}

impl Jobs {
    pub fn new(cloud: Cloud, audit: Audit, tx: UnboundedSender<Action>) -> Jobs {
        Jobs {
            cloud,
            audit,
            tx,
            tasks: JoinSet::new(),
        }
    }

    /// Starts the work an effect names; effects that are not release work are ignored.
    pub fn start(&mut self, stack: &StackRef, effect: Effect) {
        let (cloud, audit, tx, stack) = (
            self.cloud.clone(),
            self.audit.clone(),
            self.tx.clone(),
            stack.clone(),
        );
        let text = |error: ReleaseError| error.to_string();
        match effect {
            Effect::LoadDeployChoices => self.tasks.spawn(async move {
                let result = deploy_choices(&cloud, &stack).await.map_err(text);
                let _ = tx.send(Action::DeployChoices(Box::new(result)));
            }),
            Effect::PlanDeploy(request) => self.tasks.spawn(async move {
                let result = release::plan_deploy(&cloud, &stack, &request)
                    .await
                    .map_err(text);
                let _ = tx.send(Action::DeployPlanned(Box::new(result)));
            }),
            Effect::LoadRevisions => self.tasks.spawn(async move {
                let result = release::revisions(&cloud, &stack).await.map_err(text);
                let _ = tx.send(Action::Revisions(result));
            }),
            Effect::PlanRollback(revision) => self.tasks.spawn(async move {
                let to = revision.to_string();
                let result = release::plan_rollback(&cloud, &stack, Some(&to))
                    .await
                    .map_err(text);
                let _ = tx.send(Action::RollbackPlanned {
                    revision,
                    result: Box::new(result),
                });
            }),
            Effect::PlanSite { target, dir } => self.tasks.spawn(async move {
                let result = crate::ops::site::plan_deploy(&cloud, &target, &dir, false)
                    .await
                    .map(|plan| SitePlanned { target, dir, plan })
                    .map_err(|e| e.to_string());
                let _ = tx.send(Action::SitePlanned(Box::new(result)));
            }),
            Effect::Run(job) => self.tasks.spawn(async move {
                run_job(&cloud, &stack, &audit, *job, &tx).await;
            }),
            Effect::CheckStackName(name) => self.tasks.spawn(async move {
                let result = provision::inspect(&cloud, &name).await.map_err(refused);
                let _ = tx.send(Action::StackNameChecked {
                    name,
                    result: Box::new(result),
                });
            }),
            Effect::PlanBootstrap(answers) => self.tasks.spawn(async move {
                let result = plan_bootstrap(&cloud, &answers).await.map_err(refused);
                let _ = tx.send(Action::BootstrapPlanned(Box::new(result)));
            }),
            Effect::DiscardBootstrapPlan(plan) => self.tasks.spawn(async move {
                if let Err(error) = provision::discard(&cloud, &plan).await {
                    let _ = tx.send(Action::MutationDone(Err(format!(
                        "discarding the plan of {}: {error}",
                        plan.stack
                    ))));
                }
            }),
            Effect::ApplyBootstrap { plan, region } => self.tasks.spawn(async move {
                let sink = progress_sink(&tx);
                let result = provision::apply(&cloud, &plan, &audit, &region, &sink)
                    .await
                    .map_err(refused);
                let _ = tx.send(Action::BootstrapApplied(Box::new(result)));
            }),
            Effect::ReattachBootstrap(stack) => self.tasks.spawn(async move {
                let sink = progress_sink(&tx);
                let result = provision::reattach(&cloud, &stack, &sink)
                    .await
                    .map_err(refused);
                let _ = tx.send(Action::BootstrapApplied(Box::new(result)));
            }),
            Effect::RememberStack { path, name, stack } => self.tasks.spawn_blocking(move || {
                let result = crate::config::remember_stack(&path, &name, &stack)
                    .map(|_| format!("remembered as [stacks.{name}] in {}", path.display()))
                    .map_err(|e| e.to_string());
                let _ = tx.send(Action::StackRemembered(result));
            }),
            Effect::RefreshAll | Effect::ExportLogs { .. } | Effect::OpenStack(_) => return,
        };
    }

    /// Stops every task: a watch ends with the app (ECS carries on with the rollout).
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Reaps finished tasks so the set does not grow over a long session.
    pub fn reap(&mut self) {
        while self.tasks.try_join_next().is_some() {}
    }
}

fn refused(refusal: Refusal) -> String {
    refusal.to_string()
}

/// Progress reports of a bootstrap or teardown, sent on as actions.
fn progress_sink(tx: &UnboundedSender<Action>) -> impl Fn(ApplyProgress) + Send + Sync + '_ {
    move |progress| {
        let _ = tx.send(Action::ProvisionProgress(Box::new(progress)));
    }
}

/// The bootstrap wizard's plan step: the answers fitted to the account and their change
/// set; a stack CloudFormation is busy with is handed back to be followed instead.
async fn plan_bootstrap(cloud: &Cloud, answers: &Answers) -> Result<Planned, Refusal> {
    let prepared = provision::prepare(cloud, answers).await?;
    if let Existing::Busy { stack } = &prepared.existing {
        return Ok(Planned::Busy(Box::new(stack.clone())));
    }
    let plan = provision::plan(cloud, &prepared).await?;
    Ok(Planned::Ready(Box::new(PlanSummary::new(&prepared, plan))))
}

/// The wizard's first screen: the repository's images and the service's current revision.
async fn deploy_choices(cloud: &Cloud, stack: &StackRef) -> Result<DeployChoices, ReleaseError> {
    let (current, images) = release::images_with_definition(cloud, stack).await?;
    Ok(DeployChoices { images, current })
}

async fn run_job(
    cloud: &Cloud,
    stack: &StackRef,
    audit: &Audit,
    job: Job,
    tx: &UnboundedSender<Action>,
) {
    let sink = |progress: Progress| {
        let _ = tx.send(Action::ReleaseProgress(Box::new(progress)));
    };
    let watched = match job {
        Job::Deploy { plan, options } => {
            Some(release::deploy(cloud, &plan, &options, audit, &sink).await)
        }
        Job::Rollback { plan, options } => {
            Some(release::rollback(cloud, &plan, &options, audit, &sink).await)
        }
        Job::Restart { options } => {
            Some(release::restart(cloud, stack, &options, audit, &sink).await)
        }
        Job::Scale { desired } => {
            let result = release::scale(cloud, stack, desired, audit)
                .await
                .map(|scaled| {
                    let mut done = format!(
                        "scaled {} from {} to {}",
                        stack.service, scaled.before, scaled.after
                    );
                    if let Some(warning) = scaled.warning {
                        done.push_str(&format!(" ({warning})"));
                    }
                    done
                })
                .map_err(|e| format!("scale: {e}"));
            let _ = tx.send(Action::MutationDone(result));
            None
        }
        Job::Teardown { stack, region } => {
            let sink = progress_sink(tx);
            let result = async {
                let plan = provision::plan_teardown(cloud, &stack).await?;
                provision::teardown(cloud, &plan, audit, &region, &sink).await
            }
            .await
            .map_err(refused);
            let _ = tx.send(Action::TornDown(Box::new(result)));
            None
        }
        Job::SiteDeploy { target, plan, .. } => {
            let result = site_deploy(cloud, stack, audit, &target, &plan, tx).await;
            let _ = tx.send(Action::MutationDone(result));
            None
        }
        Job::StopTask { task, reason } => {
            let result = release::stop_task(cloud, stack, &task, &reason, audit)
                .await
                .map(|()| {
                    format!(
                        "stopping task {}; ECS starts a replacement",
                        crate::app::view::text::short_id(crate::model::arn_name(&task))
                    )
                })
                .map_err(|e| format!("stop task: {e}"));
            let _ = tx.send(Action::MutationDone(result));
            None
        }
    };
    if let Some(result) = watched {
        let _ = tx.send(Action::ReleaseDone(Box::new(
            result.map_err(|e| e.to_string()),
        )));
    }
}

/// Uploads, invalidates and follows the invalidation, reporting each step in the status bar;
/// the verdict says whether CloudFront finished.
async fn site_deploy(
    cloud: &Cloud,
    stack: &StackRef,
    audit: &Audit,
    target: &SiteTarget,
    plan: &SitePlan,
    tx: &UnboundedSender<Action>,
) -> Result<String, String> {
    let options = SiteOptions {
        wait: true,
        timeout_ms: SITE_WAIT_MS,
    };
    let sink = |progress: SiteProgress| {
        let text = match progress {
            SiteProgress::Uploaded {
                key,
                files_done,
                files_total,
                ..
            } => format!("site: uploaded {files_done}/{files_total} {key}"),
            SiteProgress::Deleted { keys } => format!("site: deleted {keys} old files"),
            SiteProgress::Invalidating { id, paths } => {
                format!(
                    "site: invalidating {} ({id}), waiting for CloudFront…",
                    paths.join(" ")
                )
            }
            SiteProgress::Invalidated { id, status } => {
                format!("site: invalidation {id} {status:?}")
            }
        };
        let _ = tx.send(Action::SiteProgress(text));
    };
    let outcome = crate::ops::site::deploy::deploy(
        cloud,
        target,
        plan,
        &options,
        audit,
        &stack.region,
        &sink,
    )
    .await
    .map_err(|failure| {
        format!(
            "site deploy failed after {} of {} uploads: {}; not done: {}",
            failure.uploaded,
            failure.total,
            failure.error,
            failure.not_done.join(", ")
        )
    })?;
    let invalidation = outcome.invalidation.as_ref().map_or(String::new(), |i| {
        format!("; invalidation {} {:?}", i.id, i.status)
    });
    match outcome.verdict {
        SiteVerdict::TimedOut => Err(format!(
            "site: {} files sent, but CloudFront had not finished invalidating{invalidation}",
            outcome.uploaded
        )),
        _ => Ok(format!(
            "site deployed to s3://{}: {} files ({} bytes){invalidation}",
            target.bucket, outcome.uploaded, outcome.bytes
        )),
    }
}

/// How long the TUI follows an invalidation (CloudFront's take minutes).
const SITE_WAIT_MS: crate::model::Millis = 15 * 60 * 1000;
