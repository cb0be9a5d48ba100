//! S3 and CloudFront for a static site: the bucket's objects (all pages), streamed uploads
//! with their headers, batched deletions, and invalidations.

use async_trait::async_trait;
use aws_sdk_cloudfront::types as cf;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types as s3;

use super::convert::millis;
use super::errors::CallContext;
use crate::cloud::{CloudError, CloudResult, SiteApi};
use crate::model::{
    BucketAccess, Distribution, Invalidation, InvalidationStatus, ObjectHeaders, Origin,
    OriginAccess, OriginKind, OriginProtocol, StoredObject, ViewerProtocol,
};

/// DeleteObjects takes at most 1000 keys a call.
const DELETE_BATCH: usize = 1000;

pub struct AwsSite {
    s3: aws_sdk_s3::Client,
    cloudfront: aws_sdk_cloudfront::Client,
    context: CallContext,
}

impl AwsSite {
    pub fn new(
        s3: aws_sdk_s3::Client,
        cloudfront: aws_sdk_cloudfront::Client,
        context: CallContext,
    ) -> AwsSite {
        AwsSite {
            s3,
            cloudfront,
            context,
        }
    }
}

fn invalidation_from(
    id: Option<&str>,
    status: Option<&str>,
    created: Option<&aws_sdk_cloudfront::primitives::DateTime>,
    batch: Option<&cf::InvalidationBatch>,
) -> Invalidation {
    Invalidation {
        id: id.unwrap_or_default().to_string(),
        status: InvalidationStatus::parse(status.unwrap_or_default()),
        created_at: millis(created),
        paths: batch
            .and_then(|b| b.paths())
            .map(|p| p.items().to_vec())
            .unwrap_or_default(),
    }
}

/// The parts of a distribution that its summary (ListDistributions) and its configuration
/// (GetDistribution) both carry, in the same shapes.
struct DistributionParts<'a> {
    id: &'a str,
    arn: &'a str,
    status: &'a str,
    domain_name: &'a str,
    last_modified: Option<&'a aws_sdk_cloudfront::primitives::DateTime>,
    aliases: Option<&'a cf::Aliases>,
    origins: Option<&'a cf::Origins>,
    default_behaviour: Option<&'a cf::DefaultCacheBehavior>,
    certificate: Option<&'a cf::ViewerCertificate>,
    comment: &'a str,
    enabled: bool,
    default_root_object: Option<&'a str>,
}

fn origin_from(origin: &cf::Origin) -> Origin {
    let domain_name = origin.domain_name().to_string();
    let kind = match (
        Origin::bucket_of(&domain_name),
        origin.custom_origin_config(),
    ) {
        (Some(bucket), None) => {
            let oai = origin
                .s3_origin_config()
                .map(|c| c.origin_access_identity())
                .filter(|oai| !oai.is_empty());
            let access = match (
                origin
                    .origin_access_control_id()
                    .filter(|id| !id.is_empty()),
                oai,
            ) {
                (Some(oac), _) => OriginAccess::Oac(oac.to_string()),
                (None, Some(oai)) => OriginAccess::Oai(oai.to_string()),
                (None, None) => OriginAccess::None,
            };
            OriginKind::Bucket { bucket, access }
        }
        (_, custom) => OriginKind::Custom {
            protocol: OriginProtocol::parse(
                custom
                    .map(|c| c.origin_protocol_policy().as_str())
                    .unwrap_or("https-only"),
            ),
        },
    };
    Origin {
        id: origin.id().to_string(),
        domain_name,
        kind,
    }
}

fn distribution_from(parts: DistributionParts<'_>) -> Distribution {
    Distribution {
        id: parts.id.to_string(),
        arn: parts.arn.to_string(),
        domain_name: parts.domain_name.to_string(),
        aliases: parts
            .aliases
            .map(|a| a.items().to_vec())
            .unwrap_or_default(),
        status: parts.status.to_string(),
        enabled: parts.enabled,
        certificate: parts
            .certificate
            .and_then(|c| c.acm_certificate_arn())
            .filter(|arn| !arn.is_empty())
            .map(str::to_string),
        default_root_object: parts
            .default_root_object
            .filter(|o| !o.is_empty())
            .map(str::to_string),
        viewer_protocol: ViewerProtocol::parse(
            parts
                .default_behaviour
                .map(|b| b.viewer_protocol_policy().as_str())
                .unwrap_or("allow-all"),
        ),
        origins: parts
            .origins
            .map(|o| o.items().iter().map(origin_from).collect())
            .unwrap_or_default(),
        last_modified: millis(parts.last_modified),
        comment: Some(parts.comment.to_string()).filter(|c| !c.is_empty()),
    }
}

/// Whether an S3 error says the bucket has no such configuration (no policy, no public
/// access block): an answer, not a failure.
fn is_absent(error: &CloudError) -> bool {
    matches!(error, CloudError::NotFound { .. })
        || error.to_string().contains("NoSuchBucketPolicy")
        || error
            .to_string()
            .contains("NoSuchPublicAccessBlockConfiguration")
}

#[async_trait]
impl SiteApi for AwsSite {
    async fn list_objects(&self, bucket: &str) -> CloudResult<Vec<StoredObject>> {
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .into_paginator()
            .send();
        let mut objects: Vec<s3::Object> = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.context.error("s3:ListObjectsV2", bucket, e))?;
            objects.extend(page.contents().iter().cloned());
        }
        Ok(objects
            .iter()
            .map(|o| StoredObject {
                key: o.key().unwrap_or_default().to_string(),
                size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                etag: o.e_tag().unwrap_or_default().trim_matches('"').to_string(),
                last_modified: millis(o.last_modified()),
            })
            .collect())
    }

    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        path: &std::path::Path,
        headers: &ObjectHeaders,
    ) -> CloudResult<()> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| CloudError::Other {
                operation: "s3:PutObject".into(),
                message: format!("cannot read {}: {e}", path.display()),
            })?;
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body)
            .content_type(&headers.content_type)
            .cache_control(&headers.cache_control)
            .send()
            .await
            .map_err(|e| {
                self.context
                    .error("s3:PutObject", &format!("s3://{bucket}/{key}"), e)
            })?;
        Ok(())
    }

    async fn delete_objects(&self, bucket: &str, keys: &[String]) -> CloudResult<()> {
        for batch in keys.chunks(DELETE_BATCH) {
            let objects = batch
                .iter()
                .map(|key| s3::ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CloudError::Other {
                    operation: "s3:DeleteObjects".into(),
                    message: e.to_string(),
                })?;
            let delete = s3::Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| CloudError::Other {
                    operation: "s3:DeleteObjects".into(),
                    message: e.to_string(),
                })?;
            let output = self
                .s3
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| self.context.error("s3:DeleteObjects", bucket, e))?;
            // DeleteObjects answers 200 even when some keys failed: each one says why.
            if let Some(failed) = output.errors().first() {
                return Err(CloudError::Rejected {
                    operation: "s3:DeleteObjects".into(),
                    message: format!(
                        "{} of {} keys not deleted, first {}: {}",
                        output.errors().len(),
                        batch.len(),
                        failed.key().unwrap_or("?"),
                        failed.message().unwrap_or("no reason given")
                    ),
                });
            }
        }
        Ok(())
    }

    async fn create_invalidation(
        &self,
        distribution: &str,
        paths: &[String],
        reference: &str,
    ) -> CloudResult<Invalidation> {
        let wrap = |e: aws_smithy_types::error::operation::BuildError| CloudError::Other {
            operation: "cloudfront:CreateInvalidation".into(),
            message: e.to_string(),
        };
        let batch = cf::InvalidationBatch::builder()
            .paths(
                cf::Paths::builder()
                    .quantity(i32::try_from(paths.len()).unwrap_or(i32::MAX))
                    .set_items(Some(paths.to_vec()))
                    .build()
                    .map_err(wrap)?,
            )
            .caller_reference(reference)
            .build()
            .map_err(wrap)?;
        let output = self
            .cloudfront
            .create_invalidation()
            .distribution_id(distribution)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| {
                self.context
                    .error("cloudfront:CreateInvalidation", distribution, e)
            })?;
        let made = output.invalidation();
        Ok(invalidation_from(
            made.map(|i| i.id()),
            made.map(|i| i.status()),
            made.map(|i| i.create_time()),
            made.and_then(|i| i.invalidation_batch()),
        ))
    }

    async fn get_invalidation(&self, distribution: &str, id: &str) -> CloudResult<Invalidation> {
        let output = self
            .cloudfront
            .get_invalidation()
            .distribution_id(distribution)
            .id(id)
            .send()
            .await
            .map_err(|e| self.context.error("cloudfront:GetInvalidation", id, e))?;
        let found = output.invalidation();
        Ok(invalidation_from(
            found.map(|i| i.id()),
            found.map(|i| i.status()),
            found.map(|i| i.create_time()),
            found.and_then(|i| i.invalidation_batch()),
        ))
    }

    async fn list_distributions(&self) -> CloudResult<Vec<Distribution>> {
        let mut found = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let output = self
                .cloudfront
                .list_distributions()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| {
                    self.context
                        .error("cloudfront:ListDistributions", "distributions", e)
                })?;
            let Some(list) = output.distribution_list() else {
                break;
            };
            found.extend(list.items().iter().map(|d| {
                distribution_from(DistributionParts {
                    id: d.id(),
                    arn: d.arn(),
                    status: d.status(),
                    domain_name: d.domain_name(),
                    last_modified: Some(d.last_modified_time()),
                    aliases: d.aliases(),
                    origins: d.origins(),
                    default_behaviour: d.default_cache_behavior(),
                    certificate: d.viewer_certificate(),
                    comment: d.comment(),
                    enabled: d.enabled(),
                    default_root_object: None,
                })
            }));
            match list.next_marker().filter(|_| list.is_truncated()) {
                Some(next) if !next.is_empty() => marker = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(found)
    }

    async fn distribution(&self, id: &str) -> CloudResult<Distribution> {
        let output = self
            .cloudfront
            .get_distribution()
            .id(id)
            .send()
            .await
            .map_err(|e| self.context.error("cloudfront:GetDistribution", id, e))?;
        let d = output.distribution().ok_or_else(|| CloudError::NotFound {
            kind: "CloudFront distribution",
            name: id.to_string(),
            hint: None,
        })?;
        let config = d.distribution_config();
        Ok(distribution_from(DistributionParts {
            id: d.id(),
            arn: d.arn(),
            status: d.status(),
            domain_name: d.domain_name(),
            last_modified: Some(d.last_modified_time()),
            aliases: config.and_then(|c| c.aliases()),
            origins: config.and_then(|c| c.origins()),
            default_behaviour: config.and_then(|c| c.default_cache_behavior()),
            certificate: config.and_then(|c| c.viewer_certificate()),
            comment: config.map(|c| c.comment()).unwrap_or_default(),
            enabled: config.is_some_and(|c| c.enabled()),
            default_root_object: config.and_then(|c| c.default_root_object()),
        }))
    }

    async fn list_invalidations(
        &self,
        distribution: &str,
        max: usize,
    ) -> CloudResult<Vec<Invalidation>> {
        let output = self
            .cloudfront
            .list_invalidations()
            .distribution_id(distribution)
            .max_items(i32::try_from(max).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| {
                self.context
                    .error("cloudfront:ListInvalidations", distribution, e)
            })?;
        let mut found: Vec<Invalidation> = output
            .invalidation_list()
            .map(|l| l.items())
            .unwrap_or_default()
            .iter()
            .map(|i| Invalidation {
                id: i.id().to_string(),
                status: InvalidationStatus::parse(i.status()),
                created_at: millis(Some(i.create_time())),
                paths: Vec::new(),
            })
            .collect();
        // CloudFront lists newest first; moto, in the order made. Say newest first here.
        found.sort_by_key(|b| std::cmp::Reverse(b.created_at));
        found.truncate(max);
        Ok(found)
    }

    async fn bucket_access(&self, bucket: &str) -> CloudResult<BucketAccess> {
        let blocked = match self
            .s3
            .get_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| self.context.error("s3:GetPublicAccessBlock", bucket, e))
        {
            Ok(output) => output.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            }),
            Err(error) if is_absent(&error) => false,
            Err(error) => return Err(error),
        };
        let policy = match self
            .s3
            .get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| self.context.error("s3:GetBucketPolicy", bucket, e))
        {
            Ok(output) => output.policy().map(str::to_string),
            Err(error) if is_absent(&error) => None,
            Err(error) => return Err(error),
        };
        Ok(BucketAccess {
            public_access_blocked: blocked,
            policy,
        })
    }
}
