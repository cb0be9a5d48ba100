//! A static-site deploy: upload what the plan says (assets first, HTML last, so a page
//! never names an asset that is not there yet), delete what is gone with `--delete`, then
//! one CloudFront invalidation of the changed paths, followed to Completed with `--wait`.

use serde::Serialize;

use super::plan::{SitePlan, Why};
use crate::cloud::{Cloud, CloudError};
use crate::model::{Invalidation, InvalidationStatus, Millis, ObjectHeaders};
use crate::ops::audit::{Audit, AuditEntry};

/// How often an invalidation is asked about while it spreads to the edge locations.
const INVALIDATION_POLL_MS: Millis = 10_000;

/// Where the site lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteTarget {
    pub bucket: String,
    /// The CloudFront distribution in front of the bucket; without it nothing is invalidated.
    pub distribution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteOptions {
    /// Follow the invalidation until CloudFront says Completed.
    pub wait: bool,
    pub timeout_ms: Millis,
}

/// What a site deploy reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "progress", rename_all = "snake_case")]
pub enum SiteProgress {
    Uploaded {
        key: String,
        bytes: u64,
        /// Files and bytes sent so far, of the plan's total.
        files_done: usize,
        files_total: usize,
        bytes_done: u64,
        bytes_total: u64,
    },
    Deleted {
        keys: usize,
    },
    Invalidating {
        id: String,
        paths: Vec<String>,
    },
    Invalidated {
        id: String,
        status: InvalidationStatus,
    },
}

pub type SiteSink<'a> = &'a (dyn Fn(SiteProgress) + Send + Sync);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteVerdict {
    /// Everything sent; the invalidation Completed (with `--wait`) or started.
    Done,
    /// Nothing differed from the bucket.
    Unchanged,
    /// `--wait` ran out before CloudFront finished invalidating.
    TimedOut,
}

impl SiteVerdict {
    pub fn exit_code(self) -> u8 {
        match self {
            SiteVerdict::Done | SiteVerdict::Unchanged => 0,
            SiteVerdict::TimedOut => 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteOutcome {
    pub verdict: SiteVerdict,
    pub uploaded: usize,
    pub bytes: u64,
    pub deleted: usize,
    pub unchanged: usize,
    pub invalidation: Option<Invalidation>,
}

/// A deploy that stopped part-way: what was sent before the failure, the failure, and what
/// did not go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{error} (after {uploaded} of {total} uploads; not done: {}; run the deploy again: it sends only what is still missing)",
    .not_done.join(", ")
)]
pub struct SiteFailure {
    pub error: CloudError,
    pub uploaded: usize,
    pub total: usize,
    /// Each key not uploaded, then `delete N old files` and `invalidate PATHS` when those
    /// steps did not happen.
    pub not_done: Vec<String>,
}

/// The steps of a deploy, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Upload,
    Delete,
    Invalidate,
    Watch,
}

/// Carries the plan out. The audit line says what was sent, deleted and invalidated.
pub async fn deploy(
    cloud: &Cloud,
    target: &SiteTarget,
    plan: &SitePlan,
    options: &SiteOptions,
    audit: &Audit,
    region: &str,
    sink: SiteSink<'_>,
) -> Result<SiteOutcome, SiteFailure> {
    let result = run(cloud, target, plan, options, sink).await;
    let (result_text, code) = match &result {
        Ok(outcome) => (
            format!(
                "{}: {} uploaded, {} deleted, {} invalidated",
                match outcome.verdict {
                    SiteVerdict::Done => "succeeded",
                    SiteVerdict::Unchanged => "unchanged",
                    SiteVerdict::TimedOut => "timed out",
                },
                outcome.uploaded,
                outcome.deleted,
                outcome.invalidation.as_ref().map_or(0, |i| i.paths.len())
            ),
            outcome.verdict.exit_code(),
        ),
        Err(failure) => (format!("failed: {failure}"), 3),
    };
    audit
        .record(
            cloud,
            region,
            AuditEntry {
                action: "site-deploy",
                target: format!("s3://{}", target.bucket),
                before: None,
                after: target.distribution.clone(),
                result: result_text,
                exit_code: Some(code),
            },
        )
        .await;
    result
}

async fn run(
    cloud: &Cloud,
    target: &SiteTarget,
    plan: &SitePlan,
    options: &SiteOptions,
    sink: SiteSink<'_>,
) -> Result<SiteOutcome, SiteFailure> {
    let total = plan.uploads.len();
    // Assets first, HTML last: a page that is live only ever names files already there.
    let mut order: Vec<_> = plan.uploads.iter().collect();
    order.sort_by_key(|u| {
        (
            u.file.content_type.starts_with("text/html"),
            u.file.key.clone(),
        )
    });
    let deleting =
        (!plan.deletes.is_empty()).then(|| format!("delete {} old files", plan.deletes.len()));
    let invalidating = (target.distribution.is_some() && !plan.invalidation.is_empty())
        .then(|| format!("invalidate {}", plan.invalidation.join(" ")));
    // What is left when the step at `uploaded` (or, past the uploads, `step`) failed.
    let failed = |error: CloudError, uploaded: usize, step: Step| SiteFailure {
        error,
        uploaded,
        total,
        not_done: order[uploaded..]
            .iter()
            .map(|u| u.file.key.clone())
            .chain(deleting.clone().filter(|_| step <= Step::Delete))
            .chain(invalidating.clone().filter(|_| step <= Step::Invalidate))
            .collect(),
    };
    if plan.is_empty() {
        return Ok(SiteOutcome {
            verdict: SiteVerdict::Unchanged,
            uploaded: 0,
            bytes: 0,
            deleted: 0,
            unchanged: plan.unchanged,
            invalidation: None,
        });
    }
    let bytes_total = plan.upload_bytes();
    let mut bytes_done = 0;
    for (done, upload) in order.iter().enumerate() {
        let headers = ObjectHeaders {
            content_type: upload.file.content_type.to_string(),
            cache_control: upload.file.cache_control.to_string(),
        };
        cloud
            .site
            .put_object(
                &target.bucket,
                &upload.file.key,
                &upload.file.path,
                &headers,
            )
            .await
            .map_err(|e| failed(e, done, Step::Upload))?;
        bytes_done += upload.file.size;
        sink(SiteProgress::Uploaded {
            key: upload.file.key.clone(),
            bytes: upload.file.size,
            files_done: done + 1,
            files_total: total,
            bytes_done,
            bytes_total,
        });
    }
    if !plan.deletes.is_empty() {
        cloud
            .site
            .delete_objects(&target.bucket, &plan.deletes)
            .await
            .map_err(|e| failed(e, total, Step::Delete))?;
        sink(SiteProgress::Deleted {
            keys: plan.deletes.len(),
        });
    }
    let mut outcome = SiteOutcome {
        verdict: SiteVerdict::Done,
        uploaded: total,
        bytes: bytes_total,
        deleted: plan.deletes.len(),
        unchanged: plan.unchanged,
        invalidation: None,
    };
    let Some(distribution) = &target.distribution else {
        return Ok(outcome);
    };
    if plan.invalidation.is_empty() {
        return Ok(outcome);
    }
    // One reference per content: a retried request does not start a second invalidation.
    let reference = format!(
        "opsdeck-{}-{}",
        cloud.clock.now(),
        super::plan::md5_hex(plan.invalidation.join("\n").as_bytes())
    );
    let mut invalidation = cloud
        .site
        .create_invalidation(distribution, &plan.invalidation, &reference)
        .await
        .map_err(|e| failed(e, total, Step::Invalidate))?;
    sink(SiteProgress::Invalidating {
        id: invalidation.id.clone(),
        paths: invalidation.paths.clone(),
    });
    if options.wait {
        let started = cloud.clock.now();
        while invalidation.status != InvalidationStatus::Completed {
            if cloud.clock.now() - started >= options.timeout_ms {
                outcome.verdict = SiteVerdict::TimedOut;
                break;
            }
            cloud.clock.sleep(INVALIDATION_POLL_MS).await;
            match cloud
                .site
                .get_invalidation(distribution, &invalidation.id)
                .await
            {
                Ok(now) => invalidation = now,
                // A dropped poll is not a failed deploy: ask again.
                Err(error) if error.may_pass() => continue,
                Err(error) => {
                    let mut failure = failed(error, total, Step::Watch);
                    failure
                        .not_done
                        .push(format!("see invalidation {} Completed", invalidation.id));
                    return Err(failure);
                }
            }
        }
        sink(SiteProgress::Invalidated {
            id: invalidation.id.clone(),
            status: invalidation.status,
        });
    }
    outcome.invalidation = Some(invalidation);
    Ok(outcome)
}

/// The plan's uploads by why, for a summary line.
pub fn counts(plan: &SitePlan) -> (usize, usize) {
    let new = plan.uploads.iter().filter(|u| u.why == Why::New).count();
    (new, plan.uploads.len() - new)
}
