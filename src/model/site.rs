//! A static site as opsdeck sees it: the objects of its bucket, the CloudFront distribution
//! in front of it, and the distribution's invalidations.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Millis;

/// One object of a bucket, from ListObjectsV2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredObject {
    pub key: String,
    pub size: u64,
    /// As S3 gives it, without the quotes: the MD5 of an object put in one part.
    pub etag: String,
    pub last_modified: Option<Millis>,
}

/// What an upload sets besides the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHeaders {
    pub content_type: String,
    pub cache_control: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InvalidationStatus {
    InProgress,
    Completed,
}

impl InvalidationStatus {
    /// CloudFront says `Completed` (moto, `COMPLETED`); anything else is still going.
    pub fn parse(text: &str) -> InvalidationStatus {
        if text.eq_ignore_ascii_case("completed") {
            InvalidationStatus::Completed
        } else {
            InvalidationStatus::InProgress
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invalidation {
    pub id: String,
    pub status: InvalidationStatus,
    pub created_at: Option<Millis>,
    pub paths: Vec<String>,
}

/// How viewers may reach a distribution: its default cache behaviour's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViewerProtocol {
    AllowAll,
    RedirectToHttps,
    HttpsOnly,
}

impl ViewerProtocol {
    /// CloudFront's words: `allow-all`, `redirect-to-https`, `https-only`.
    pub fn parse(text: &str) -> ViewerProtocol {
        match text {
            "redirect-to-https" => ViewerProtocol::RedirectToHttps,
            "https-only" => ViewerProtocol::HttpsOnly,
            _ => ViewerProtocol::AllowAll,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ViewerProtocol::AllowAll => "allow-all",
            ViewerProtocol::RedirectToHttps => "redirect-to-https",
            ViewerProtocol::HttpsOnly => "https-only",
        }
    }
}

/// How CloudFront reaches a custom origin (an ALB, a server).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OriginProtocol {
    HttpOnly,
    MatchViewer,
    HttpsOnly,
}

impl OriginProtocol {
    /// CloudFront's words: `http-only`, `match-viewer`, `https-only`.
    pub fn parse(text: &str) -> OriginProtocol {
        match text {
            "http-only" => OriginProtocol::HttpOnly,
            "match-viewer" => OriginProtocol::MatchViewer,
            _ => OriginProtocol::HttpsOnly,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OriginProtocol::HttpOnly => "http-only",
            OriginProtocol::MatchViewer => "match-viewer",
            OriginProtocol::HttpsOnly => "https-only",
        }
    }
}

/// What lets CloudFront, and only CloudFront, read a bucket origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "kebab-case")]
pub enum OriginAccess {
    /// An Origin Access Control (the current way), by id.
    Oac(String),
    /// A legacy Origin Access Identity, as `origin-access-identity/cloudfront/<id>`.
    Oai(String),
    /// Neither: the bucket must be public for CloudFront to read it.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum OriginKind {
    /// An S3 bucket's REST endpoint (`<bucket>.s3.<region>.amazonaws.com`).
    Bucket {
        bucket: String,
        access: OriginAccess,
    },
    /// Anything else: an ALB, an S3 website endpoint, a server.
    Custom { protocol: OriginProtocol },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub id: String,
    pub domain_name: String,
    pub kind: OriginKind,
}

impl Origin {
    /// The bucket behind an S3 REST origin, by its domain name.
    pub fn bucket_of(domain_name: &str) -> Option<String> {
        let (bucket, rest) = domain_name.split_once(".s3.")?;
        (!bucket.is_empty() && rest.ends_with("amazonaws.com")).then(|| bucket.to_string())
    }
}

/// A CloudFront distribution, from ListDistributions (its summary holds all of this).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Distribution {
    pub id: String,
    pub arn: String,
    /// `dxxxx.cloudfront.net`.
    pub domain_name: String,
    /// Alternate domain names (CNAMEs).
    pub aliases: Vec<String>,
    /// `Deployed`, or `InProgress` while a change reaches the edge locations.
    pub status: String,
    pub enabled: bool,
    /// The ACM certificate (in us-east-1) when it serves aliases; none for the default
    /// `*.cloudfront.net` certificate.
    pub certificate: Option<String>,
    /// None when unset (an empty string in CloudFront's answer).
    pub default_root_object: Option<String>,
    /// The default cache behaviour's viewer protocol policy.
    pub viewer_protocol: ViewerProtocol,
    pub origins: Vec<Origin>,
    pub last_modified: Option<Millis>,
    pub comment: Option<String>,
}

impl Distribution {
    pub fn is_deployed(&self) -> bool {
        self.status.eq_ignore_ascii_case("deployed")
    }

    /// The buckets this distribution serves from.
    pub fn buckets(&self) -> impl Iterator<Item = &str> {
        self.origins.iter().filter_map(|o| match &o.kind {
            OriginKind::Bucket { bucket, .. } => Some(bucket.as_str()),
            OriginKind::Custom { .. } => None,
        })
    }
}

/// Who may read a bucket: its Block Public Access settings and its policy, as S3 gives them.
/// Whether that makes it public is for `ops::findings` to say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BucketAccess {
    /// All four Block Public Access settings are on for the bucket (GetPublicAccessBlock).
    pub public_access_blocked: bool,
    /// The bucket policy's JSON, if it has one (GetBucketPolicy).
    pub policy: Option<String>,
}

/// Why a distribution or bucket counts as the stack's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoundBy {
    /// An origin is the stack's load balancer, or the bucket is an origin of such a
    /// distribution.
    Origin,
    /// Named in the config file.
    Config,
    /// Tagged `opsdeck:stack = <stack>`.
    Tag,
}

/// A distribution of the stack, with its whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgeDistribution {
    #[serde(flatten)]
    pub distribution: Distribution,
    pub found_by: FoundBy,
    /// It serves the stack's load balancer (CloudFront in front of the backend).
    pub fronts_load_balancer: bool,
}

/// A bucket of the stack, and who may read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteBucket {
    pub name: String,
    pub access: BucketAccess,
    pub found_by: FoundBy,
}

/// The stack's edge, as discovery found it: it changes rarely, like the rest of the topology.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StackEdge {
    pub distributions: Vec<EdgeDistribution>,
    pub buckets: Vec<SiteBucket>,
}

impl StackEdge {
    pub fn is_empty(&self) -> bool {
        self.distributions.is_empty() && self.buckets.is_empty()
    }

    /// The distributions that serve `bucket`.
    pub fn serving(&self, bucket: &str) -> impl Iterator<Item = &EdgeDistribution> {
        self.distributions
            .iter()
            .filter(move |d| d.distribution.buckets().any(|b| b == bucket))
    }

    /// What `opsdeck site deploy` targets when nothing is given: the first bucket and a
    /// distribution serving it.
    pub fn site_target(&self) -> Option<(String, Option<String>)> {
        let bucket = self.buckets.first()?;
        let distribution = self
            .serving(&bucket.name)
            .next()
            .map(|d| d.distribution.id.clone());
        Some((bucket.name.clone(), distribution))
    }
}

/// The live side of the site, polled: each distribution's latest invalidations and each
/// bucket's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SiteSnapshot {
    /// By distribution id, newest first.
    pub invalidations: BTreeMap<String, Vec<Invalidation>>,
    pub buckets: Vec<BucketStats>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketStats {
    pub name: String,
    pub objects: u64,
    pub bytes: u64,
    pub last_upload: Option<Millis>,
}
