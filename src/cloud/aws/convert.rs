//! Small conversions from SDK shapes shared by every service area.

use aws_smithy_types::DateTime;
use futures::{StreamExt, TryStreamExt};

use crate::cloud::CloudResult;

use crate::model::Millis;

/// SDK timestamp -> epoch millis; out-of-range times (never seen in practice) become `None`.
pub(crate) fn millis(time: Option<&DateTime>) -> Option<Millis> {
    time.and_then(|t| t.to_millis().ok())
}

/// A count the API types as `i32`; negatives never come back, but must not wrap.
pub(crate) fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

pub(crate) fn count_opt(n: Option<i32>) -> u32 {
    n.map_or(0, count)
}

/// A port the API types as `i32`; `-1` means "all" and becomes `None`.
pub(crate) fn port(n: Option<i32>) -> Option<u16> {
    n.and_then(|p| u16::try_from(p).ok())
}

pub(crate) fn text(s: Option<&str>) -> String {
    s.unwrap_or_default().to_string()
}

pub(crate) fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

/// How many batch requests run at once: enough to hide latency, few enough not to trip
/// the per-account request rate that every tool of the user shares.
const CONCURRENT_BATCHES: usize = 4;

/// Runs batch requests a few at a time, keeping their order, and joins their answers.
/// Callers collect the requests into a `Vec` first: an iterator adapter held across the
/// await would make the trait's future fail the `Send` check.
pub(crate) async fn in_batches<T, F>(requests: Vec<F>) -> CloudResult<Vec<T>>
where
    F: Future<Output = CloudResult<Vec<T>>>,
{
    let batches: Vec<Vec<T>> = futures::stream::iter(requests)
        .buffered(CONCURRENT_BATCHES)
        .try_collect()
        .await?;
    Ok(batches.into_iter().flatten().collect())
}

/// Like [`in_batches`] for requests that answer one item each.
pub(crate) async fn each<T, F>(requests: Vec<F>) -> CloudResult<Vec<T>>
where
    F: Future<Output = CloudResult<T>>,
{
    futures::stream::iter(requests)
        .buffered(CONCURRENT_BATCHES)
        .try_collect()
        .await
}
