//! A static site as opsdeck sees it: the objects of its bucket, the CloudFront distribution
//! in front of it, and the distribution's invalidations.

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
