//! Static sites: a bucket behind CloudFront. `plan` decides what a deploy sends, deletes and
//! invalidates; the S3 and CloudFront calls that carry it out come next (issue 10).

pub mod plan;

pub use plan::{LocalFile, RemoteObject, SiteError, SitePlan, Upload, Why, scan};
