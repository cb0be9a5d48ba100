//! ECR: a repository's images (digest, tags, push time, size), all pages, newest push first.

use async_trait::async_trait;
use aws_sdk_ecr::Client;
use aws_sdk_ecr::types as sdk;

use super::convert::{millis, text};
use super::errors::{CallContext, Paged};
use crate::cloud::{CloudError, CloudResult, EcrApi};
use crate::model::Image;

/// DescribeImages returns at most 1000 images per page (100 unless asked).
const PAGE_MAX: i32 = 1000;

pub struct AwsEcr {
    client: Client,
    context: CallContext,
}

impl AwsEcr {
    pub fn new(client: Client, context: CallContext) -> AwsEcr {
        AwsEcr { client, context }
    }
}

#[async_trait]
impl EcrApi for AwsEcr {
    async fn describe_images(&self, repository: &str) -> CloudResult<Vec<Image>> {
        let details = self
            .client
            .describe_images()
            .repository_name(repository)
            .max_results(PAGE_MAX)
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ecr:DescribeImages", repository)
            .await
            .map_err(|e| with_repository_hint(e, repository))?;
        let mut images: Vec<Image> = details
            .iter()
            .map(|d| image_from_sdk(repository, d))
            .collect();
        // Newest first; an image without a push time (never seen from ECR) sorts last. The
        // digest breaks ties so two pushes in the same millisecond keep one order.
        images.sort_by(|a, b| {
            b.pushed_at
                .cmp(&a.pushed_at)
                .then_with(|| a.digest.cmp(&b.digest))
        });
        Ok(images)
    }
}

/// A missing repository usually means another region or account, or a name given as an
/// image URI (registry host, tag) rather than the repository's own name.
fn with_repository_hint(error: CloudError, repository: &str) -> CloudError {
    match error {
        CloudError::NotFound { name, .. } => {
            let hint = if repository.contains(".amazonaws.com") || repository.contains(':') {
                "give the repository name alone, without registry host or tag (`team/app`)"
            } else {
                "ECR repositories are per region and account: check --region and the profile"
            };
            CloudError::NotFound {
                kind: "ECR repository",
                name,
                hint: Some(hint.to_string()),
            }
        }
        other => other,
    }
}

fn image_from_sdk(repository: &str, d: &sdk::ImageDetail) -> Image {
    Image {
        repository: d
            .repository_name()
            .map_or_else(|| repository.to_string(), str::to_string),
        digest: text(d.image_digest()),
        tags: d.image_tags().to_vec(),
        pushed_at: millis(d.image_pushed_at()),
        size_bytes: d.image_size_in_bytes().and_then(|n| u64::try_from(n).ok()),
    }
}
