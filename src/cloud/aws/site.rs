//! S3 and CloudFront for a static site: the bucket's objects (all pages), streamed uploads
//! with their headers, batched deletions, and invalidations.

use async_trait::async_trait;
use aws_sdk_cloudfront::types as cf;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types as s3;

use super::convert::millis;
use super::errors::CallContext;
use crate::cloud::{CloudError, CloudResult, SiteApi};
use crate::model::{Invalidation, InvalidationStatus, ObjectHeaders, StoredObject};

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
}
