//! The sandbox's S3 buckets and CloudFront invalidations: objects with the headers they
//! were put with, and invalidations that complete over virtual time, as CloudFront's take
//! minutes.

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;

use super::Sandbox;
use super::ids;
use super::world::World;
use crate::cloud::{CloudError, CloudResult, SiteApi};
use crate::model::{Invalidation, InvalidationStatus, Millis, ObjectHeaders, StoredObject};

/// How long an invalidation takes to reach every edge location.
const INVALIDATION_MS: Millis = 90_000;

/// An object as the sandbox keeps it: what S3 would report, and the headers it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SimObject {
    pub stored: StoredObject,
    pub headers: ObjectHeaders,
}

#[derive(Debug, Clone)]
pub(crate) struct SimInvalidation {
    pub invalidation: Invalidation,
    pub reference: String,
    pub ready_at: Millis,
}

/// Every bucket and distribution of the account.
#[derive(Debug, Default)]
pub(crate) struct SiteStore {
    pub buckets: BTreeMap<String, BTreeMap<String, SimObject>>,
    /// Distribution id -> its invalidations, oldest first.
    pub distributions: BTreeMap<String, Vec<SimInvalidation>>,
}

fn no_bucket(bucket: &str) -> CloudError {
    CloudError::NotFound {
        kind: "S3 bucket",
        name: bucket.to_string(),
        hint: Some("give the site's bucket with --bucket or site.bucket in the config".into()),
    }
}

fn no_distribution(id: &str) -> CloudError {
    CloudError::NotFound {
        kind: "CloudFront distribution",
        name: id.to_string(),
        hint: None,
    }
}

fn status(world: &World, invalidation: &SimInvalidation) -> Invalidation {
    let mut shown = invalidation.invalidation.clone();
    if world.now >= invalidation.ready_at {
        shown.status = InvalidationStatus::Completed;
    }
    shown
}

#[async_trait]
impl SiteApi for Sandbox {
    async fn list_objects(&self, bucket: &str) -> CloudResult<Vec<StoredObject>> {
        let world = self.current();
        let objects = world
            .site
            .buckets
            .get(bucket)
            .ok_or_else(|| no_bucket(bucket))?;
        Ok(objects.values().map(|o| o.stored.clone()).collect())
    }

    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        headers: &ObjectHeaders,
    ) -> CloudResult<()> {
        let bytes = std::fs::read(path).map_err(|e| CloudError::Other {
            operation: "s3:PutObject".into(),
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        let mut world = self.current();
        let now = world.now;
        let objects = world
            .site
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(bucket))?;
        objects.insert(
            key.to_string(),
            SimObject {
                stored: StoredObject {
                    key: key.to_string(),
                    size: bytes.len() as u64,
                    etag: crate::ops::site::plan::md5_hex(&bytes),
                    last_modified: Some(now),
                },
                headers: headers.clone(),
            },
        );
        Ok(())
    }

    async fn delete_objects(&self, bucket: &str, keys: &[String]) -> CloudResult<()> {
        let mut world = self.current();
        let objects = world
            .site
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(bucket))?;
        for key in keys {
            objects.remove(key);
        }
        Ok(())
    }

    async fn create_invalidation(
        &self,
        distribution: &str,
        paths: &[String],
        reference: &str,
    ) -> CloudResult<Invalidation> {
        let mut world = self.current();
        let now = world.now;
        let id = format!("I{}", ids::alnum(&mut world.rng, 13).to_ascii_uppercase());
        let list = world
            .site
            .distributions
            .get_mut(distribution)
            .ok_or_else(|| no_distribution(distribution))?;
        // The same caller reference is the same request: CloudFront answers the first one.
        if let Some(same) = list.iter().find(|i| i.reference == reference) {
            return Ok(same.invalidation.clone());
        }
        let invalidation = Invalidation {
            id,
            status: InvalidationStatus::InProgress,
            created_at: Some(now),
            paths: paths.to_vec(),
        };
        list.push(SimInvalidation {
            invalidation: invalidation.clone(),
            reference: reference.to_string(),
            ready_at: now + INVALIDATION_MS,
        });
        Ok(invalidation)
    }

    async fn get_invalidation(&self, distribution: &str, id: &str) -> CloudResult<Invalidation> {
        let world = self.current();
        let list = world
            .site
            .distributions
            .get(distribution)
            .ok_or_else(|| no_distribution(distribution))?;
        list.iter()
            .find(|i| i.invalidation.id == id)
            .map(|i| status(&world, i))
            .ok_or_else(|| CloudError::NotFound {
                kind: "invalidation",
                name: id.to_string(),
                hint: None,
            })
    }
}

/// The example stack's static frontend: its bucket, and the distribution in front of it.
pub const EXAMPLE_BUCKET: &str = "umami-frontend";
pub const EXAMPLE_DISTRIBUTION: &str = "E2UMAMISANDBOX";

/// A build deployed a day before the clock's start: an index page, a bundle and a logo.
/// Drawn from no randomness, so the rest of the account is the same as without it.
pub(crate) fn example_site(deployed_at: Millis) -> SiteStore {
    let files: [(&str, &str, &str, &str); 3] = [
        (
            "index.html",
            "<!doctype html><script src=/assets/index-Dx4kP9aQ.js></script>",
            "text/html; charset=utf-8",
            "no-cache",
        ),
        (
            "assets/index-Dx4kP9aQ.js",
            "console.log('umami')",
            "text/javascript; charset=utf-8",
            "public, max-age=31536000, immutable",
        ),
        (
            "assets/logo-7c1e2b9f.svg",
            "<svg xmlns='http://www.w3.org/2000/svg'/>",
            "image/svg+xml",
            "public, max-age=31536000, immutable",
        ),
    ];
    let objects = files
        .iter()
        .map(|(key, body, content_type, cache_control)| {
            let object = SimObject {
                stored: StoredObject {
                    key: (*key).to_string(),
                    size: body.len() as u64,
                    etag: crate::ops::site::plan::md5_hex(body.as_bytes()),
                    last_modified: Some(deployed_at),
                },
                headers: ObjectHeaders {
                    content_type: (*content_type).to_string(),
                    cache_control: (*cache_control).to_string(),
                },
            };
            ((*key).to_string(), object)
        })
        .collect();
    SiteStore {
        buckets: BTreeMap::from([(EXAMPLE_BUCKET.to_string(), objects)]),
        distributions: BTreeMap::from([(EXAMPLE_DISTRIBUTION.to_string(), Vec::new())]),
    }
}
