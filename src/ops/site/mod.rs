//! Static sites: a bucket behind CloudFront. `plan` decides what a deploy sends, deletes and
//! invalidates; `deploy` carries it out through the cloud layer.

pub mod deploy;
pub mod discover;
pub mod findings;
pub mod plan;

pub use deploy::{SiteOptions, SiteOutcome, SiteProgress, SiteTarget, SiteVerdict};
pub use plan::{LocalFile, SiteError, SitePlan, Upload, Why, scan};

use crate::cloud::{Cloud, CloudError};

/// Reads the build and the bucket, and decides; nothing is sent.
pub async fn plan_deploy(
    cloud: &Cloud,
    target: &SiteTarget,
    dir: &std::path::Path,
    delete: bool,
) -> Result<SitePlan, PlanError> {
    let local = scan(dir)?;
    let remote = cloud.site.list_objects(&target.bucket).await?;
    Ok(plan::plan(local, &remote, delete))
}

/// Why a deploy did not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error(transparent)]
    Cloud(#[from] CloudError),
}
