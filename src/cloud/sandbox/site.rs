//! The sandbox's S3 buckets and CloudFront invalidations: objects with the headers they
//! were put with, and invalidations that complete over virtual time, as CloudFront's take
//! minutes.

use std::collections::BTreeMap;
use std::path::Path;

use async_trait::async_trait;

use super::Sandbox;
use super::ids;
use super::world::World;
use super::world::{ACCOUNT_ID, REGION};
use crate::cloud::{CloudError, CloudResult, SiteApi};
use crate::model::{
    BucketAccess, Distribution, Invalidation, InvalidationStatus, Millis, ObjectHeaders, Origin,
    OriginAccess, OriginKind, StoredObject, ViewerProtocol,
};

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

/// A bucket: its objects by key, and who may read it.
#[derive(Debug, Clone, Default)]
pub(crate) struct SimBucket {
    pub objects: BTreeMap<String, SimObject>,
    pub access: BucketAccess,
}

/// A distribution as ListDistributions would show it, and its invalidations.
#[derive(Debug, Clone)]
pub(crate) struct SimDistribution {
    pub distribution: Distribution,
    /// Oldest first.
    pub invalidations: Vec<SimInvalidation>,
    /// Until then the distribution reads `InProgress`: a change reaching the edge.
    pub deployed_at: Millis,
}

/// Every bucket and distribution of the account.
#[derive(Debug, Default)]
pub(crate) struct SiteStore {
    pub buckets: BTreeMap<String, SimBucket>,
    /// By distribution id.
    pub distributions: BTreeMap<String, SimDistribution>,
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
        Ok(objects.objects.values().map(|o| o.stored.clone()).collect())
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
        objects.objects.insert(
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
            objects.objects.remove(key);
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
        let list = &mut world
            .site
            .distributions
            .get_mut(distribution)
            .ok_or_else(|| no_distribution(distribution))?
            .invalidations;
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
        let list = &world
            .site
            .distributions
            .get(distribution)
            .ok_or_else(|| no_distribution(distribution))?
            .invalidations;
        list.iter()
            .find(|i| i.invalidation.id == id)
            .map(|i| status(&world, i))
            .ok_or_else(|| CloudError::NotFound {
                kind: "invalidation",
                name: id.to_string(),
                hint: None,
            })
    }

    async fn list_distributions(&self) -> CloudResult<Vec<Distribution>> {
        let world = self.current();
        Ok(world
            .site
            .distributions
            .values()
            .map(|d| {
                let mut summary = shown(&world, d);
                summary.default_root_object = None;
                summary
            })
            .collect())
    }

    async fn distribution(&self, id: &str) -> CloudResult<Distribution> {
        let world = self.current();
        let found = world
            .site
            .distributions
            .get(id)
            .ok_or_else(|| no_distribution(id))?;
        Ok(shown(&world, found))
    }

    async fn list_invalidations(
        &self,
        distribution: &str,
        max: usize,
    ) -> CloudResult<Vec<Invalidation>> {
        let world = self.current();
        let found = world
            .site
            .distributions
            .get(distribution)
            .ok_or_else(|| no_distribution(distribution))?;
        Ok(found
            .invalidations
            .iter()
            .rev()
            .take(max)
            .map(|i| Invalidation {
                paths: Vec::new(),
                ..status(&world, i)
            })
            .collect())
    }

    async fn bucket_access(&self, bucket: &str) -> CloudResult<BucketAccess> {
        let world = self.current();
        let found = world
            .site
            .buckets
            .get(bucket)
            .ok_or_else(|| no_bucket(bucket))?;
        Ok(found.access.clone())
    }
}

/// A distribution as CloudFront shows it now: `InProgress` until its change has deployed.
fn shown(world: &World, simulated: &SimDistribution) -> Distribution {
    let mut distribution = simulated.distribution.clone();
    distribution.status = if world.now >= simulated.deployed_at {
        "Deployed".to_string()
    } else {
        "InProgress".to_string()
    };
    distribution
}

/// The example stack's static frontend: its bucket, and the distribution in front of it.
pub const EXAMPLE_BUCKET: &str = "umami-frontend";
pub const EXAMPLE_DISTRIBUTION: &str = "E2UMAMISANDBOX";

/// A build deployed a day before the clock's start: an index page, a bundle and a logo.
/// Drawn from no randomness, so the rest of the account is the same as without it.
pub(crate) fn example_site(deployed_at: Millis, load_balancer_dns: &str) -> SiteStore {
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
        buckets: BTreeMap::from([(
            EXAMPLE_BUCKET.to_string(),
            SimBucket {
                objects,
                access: BucketAccess {
                    public_access_blocked: true,
                    policy: Some(oac_policy(
                        EXAMPLE_BUCKET,
                        &format!(
                            "arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{EXAMPLE_DISTRIBUTION}"
                        ),
                    )),
                },
            },
        )]),
        distributions: [
            example_distribution(deployed_at),
            api_distribution(deployed_at, load_balancer_dns),
        ]
        .into_iter()
        .map(|distribution| {
            let simulated = SimDistribution {
                distribution,
                invalidations: Vec::new(),
                deployed_at,
            };
            (simulated.distribution.id.clone(), simulated)
        })
        .collect(),
    }
}

/// The frontend's distribution: the bucket through an Origin Access Control, HTTPS only for
/// viewers, `index.html` at the root, on its own name under the example zone.
fn example_distribution(deployed_at: Millis) -> Distribution {
    Distribution {
        id: EXAMPLE_DISTRIBUTION.to_string(),
        arn: format!("arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{EXAMPLE_DISTRIBUTION}"),
        domain_name: "d1umami4sandbox.cloudfront.net".to_string(),
        aliases: vec!["app.example.com".to_string()],
        status: "Deployed".to_string(),
        enabled: true,
        certificate: Some(format!(
            "arn:aws:acm:us-east-1:{ACCOUNT_ID}:certificate/5a1e7c9d-0b3f-4e2a-9c6d-1f8e2b7a4c30"
        )),
        default_root_object: Some("index.html".to_string()),
        viewer_protocol: ViewerProtocol::RedirectToHttps,
        origins: vec![Origin {
            id: "s3-umami-frontend".to_string(),
            domain_name: format!("{EXAMPLE_BUCKET}.s3.{REGION}.amazonaws.com"),
            kind: OriginKind::Bucket {
                bucket: EXAMPLE_BUCKET.to_string(),
                access: OriginAccess::Oac("E1UMAMIOAC0001".to_string()),
            },
        }],
        last_modified: Some(deployed_at),
        comment: Some("umami frontend".to_string()),
    }
}

/// The example stack's second distribution, in front of its load balancer (HTTPS to the
/// origin): found by the wire, with no tag or config.
pub const EXAMPLE_API_DISTRIBUTION: &str = "E1UMAMIAPIEDGE";

fn api_distribution(deployed_at: Millis, load_balancer_dns: &str) -> Distribution {
    Distribution {
        id: EXAMPLE_API_DISTRIBUTION.to_string(),
        arn: format!("arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{EXAMPLE_API_DISTRIBUTION}"),
        domain_name: "d2umamiapi7edge.cloudfront.net".to_string(),
        aliases: vec!["api.example.com".to_string()],
        status: "Deployed".to_string(),
        enabled: true,
        certificate: Some(format!(
            "arn:aws:acm:us-east-1:{ACCOUNT_ID}:certificate/0c4d2e8a-7b1f-4f3e-a5d9-6e2c8b1a9f47"
        )),
        default_root_object: None,
        viewer_protocol: ViewerProtocol::RedirectToHttps,
        origins: vec![Origin {
            id: "alb-umami".to_string(),
            domain_name: load_balancer_dns.to_string(),
            kind: OriginKind::Custom {
                protocol: crate::model::OriginProtocol::HttpsOnly,
            },
        }],
        last_modified: Some(deployed_at),
        comment: Some("umami API".to_string()),
    }
}

/// The ARNs the example site's bucket and frontend distribution are tagged under
/// (`opsdeck:stack`): how discovery finds a site with no wire to the load balancer.
pub(crate) fn example_site_arns() -> [String; 2] {
    [
        format!("arn:aws:s3:::{EXAMPLE_BUCKET}"),
        format!("arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{EXAMPLE_DISTRIBUTION}"),
    ]
}

/// The bucket policy an Origin Access Control needs: CloudFront's service principal may read
/// objects on behalf of that one distribution, and nobody else may.
pub(crate) fn oac_policy(bucket: &str, distribution_arn: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowCloudFrontServicePrincipalReadOnly",
            "Effect": "Allow",
            "Principal": { "Service": "cloudfront.amazonaws.com" },
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*"),
            "Condition": { "StringEquals": { "AWS:SourceArn": distribution_arn } }
        }]
    })
    .to_string()
}
