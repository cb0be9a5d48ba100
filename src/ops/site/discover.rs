//! Finding a stack's edge: the CloudFront distributions in front of it and the buckets they
//! serve. By the wires first (a distribution whose origin is the stack's ALB), then by what
//! the user said (`site = { bucket, distribution }`), then by the `opsdeck:stack` tag that
//! bootstrap puts on everything it makes.

use std::collections::BTreeSet;

use crate::cloud::{Cloud, CloudError, CloudResult};
use crate::config::SiteConfig;
use crate::model::{
    BucketAccess, BucketStats, EdgeDistribution, FoundBy, LoadBalancer, OriginKind, SiteBucket,
    SiteSnapshot, StackEdge,
};
use crate::ops::bootstrap::model::STACK_TAG;

/// How many invalidations the dashboard shows for each distribution.
pub const RECENT_INVALIDATIONS: usize = 3;

/// What the user told opsdeck about the stack's site, and the stack's name for the tag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteHint {
    pub stack: String,
    pub site: Option<SiteConfig>,
}

fn is_denied(error: &CloudError) -> bool {
    matches!(error, CloudError::AccessDenied { .. })
}

/// Whether `domain` (an origin's) is one of the load balancers, plain or `dualstack.`.
fn is_load_balancer(domain: &str, load_balancers: &[LoadBalancer]) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.strip_prefix("dualstack.").unwrap_or(&domain);
    load_balancers.iter().any(|lb| {
        lb.dns_name
            .trim_end_matches('.')
            .eq_ignore_ascii_case(domain)
    })
}

/// Finds the stack's distributions and buckets. A principal that may not read CloudFront or
/// S3 sees no edge rather than no dashboard; any other failure is an error.
pub async fn edge(
    cloud: &Cloud,
    hint: &SiteHint,
    load_balancers: &[LoadBalancer],
) -> CloudResult<StackEdge> {
    let tagged: Vec<String> = match cloud.tagging.resources_tagged(STACK_TAG, &hint.stack).await {
        Ok(found) => found.into_iter().map(|r| r.arn).collect(),
        // Tags are a hint: without them the wires and the config still find the site.
        Err(error) => {
            tracing::debug!(%error, "tag lookup for the site skipped");
            Vec::new()
        }
    };
    let tagged_buckets: BTreeSet<&str> = tagged
        .iter()
        .filter_map(|arn| arn.strip_prefix("arn:aws:s3:::"))
        .filter(|rest| !rest.contains('/'))
        .collect();
    let tagged_distributions: BTreeSet<&str> = tagged
        .iter()
        .filter(|arn| arn.starts_with("arn:aws:cloudfront::"))
        .filter_map(|arn| arn.rsplit_once("distribution/").map(|(_, id)| id))
        .collect();
    let configured_bucket = hint.site.as_ref().map(|s| s.bucket.as_str());
    let configured_distribution = hint.site.as_ref().and_then(|s| s.distribution.as_deref());

    let summaries = match cloud.site.list_distributions().await {
        Ok(summaries) => summaries,
        Err(error) if is_denied(&error) => {
            tracing::debug!(%error, "CloudFront not readable: no edge shown");
            Vec::new()
        }
        Err(error) => return Err(error),
    };
    let mut chosen: Vec<(String, FoundBy, bool)> = Vec::new();
    for summary in &summaries {
        let fronts = summary.origins.iter().any(|o| {
            matches!(o.kind, OriginKind::Custom { .. })
                && is_load_balancer(&o.domain_name, load_balancers)
        });
        let serves_bucket =
            |bucket: Option<&str>| bucket.is_some_and(|name| summary.buckets().any(|b| b == name));
        let found_by = if fronts {
            Some(FoundBy::Origin)
        } else if configured_distribution == Some(summary.id.as_str())
            || serves_bucket(configured_bucket)
        {
            Some(FoundBy::Config)
        } else if tagged_distributions.contains(summary.id.as_str())
            || summary.buckets().any(|b| tagged_buckets.contains(b))
        {
            Some(FoundBy::Tag)
        } else {
            None
        };
        if let Some(found_by) = found_by {
            chosen.push((summary.id.clone(), found_by, fronts));
        }
    }
    // A distribution named in the config that ListDistributions did not show is an error
    // worth seeing, not a silent gap.
    if let Some(id) = configured_distribution
        && !chosen.iter().any(|(chosen, ..)| chosen == id)
        && !summaries.is_empty()
    {
        return Err(CloudError::NotFound {
            kind: "CloudFront distribution",
            name: id.to_string(),
            hint: Some("the config's site.distribution names none of this account's".into()),
        });
    }

    let described = chosen.iter().map(|(id, found_by, fronts)| async move {
        Ok::<_, CloudError>(EdgeDistribution {
            distribution: cloud.site.distribution(id).await?,
            found_by: *found_by,
            fronts_load_balancer: *fronts,
        })
    });
    let distributions = futures::future::try_join_all(described).await?;

    // Buckets: the configured one, those the stack's distributions serve, the tagged ones.
    let mut names: Vec<(String, FoundBy)> = Vec::new();
    let mut add = |name: &str, found_by: FoundBy| {
        if !names.iter().any(|(n, _)| n == name) {
            names.push((name.to_string(), found_by));
        }
    };
    if let Some(bucket) = configured_bucket {
        add(bucket, FoundBy::Config);
    }
    for d in &distributions {
        for bucket in d.distribution.buckets() {
            add(bucket, d.found_by.max(FoundBy::Origin));
        }
    }
    for bucket in &tagged_buckets {
        add(bucket, FoundBy::Tag);
    }
    let read = names.into_iter().map(|(name, found_by)| async move {
        let access = match cloud.site.bucket_access(&name).await {
            Ok(access) => access,
            Err(error) if is_denied(&error) => BucketAccess::default(),
            Err(error) => return Err(error),
        };
        Ok(SiteBucket {
            name,
            access,
            found_by,
        })
    });
    let buckets = futures::future::try_join_all(read).await?;
    Ok(StackEdge {
        distributions,
        buckets,
    })
}

/// The site's live side: the latest invalidations of each distribution, and each bucket's
/// object count, size and newest upload.
pub async fn snapshot(cloud: &Cloud, edge: &StackEdge) -> CloudResult<SiteSnapshot> {
    let invalidations = edge.distributions.iter().map(|d| async move {
        let id = d.distribution.id.clone();
        let list = cloud
            .site
            .list_invalidations(&id, RECENT_INVALIDATIONS)
            .await?;
        Ok::<_, CloudError>((id, list))
    });
    let buckets = edge.buckets.iter().map(|b| async move {
        let objects = cloud.site.list_objects(&b.name).await?;
        Ok::<_, CloudError>(BucketStats {
            name: b.name.clone(),
            objects: objects.len() as u64,
            bytes: objects.iter().map(|o| o.size).sum(),
            last_upload: objects.iter().filter_map(|o| o.last_modified).max(),
        })
    });
    let (invalidations, buckets) = tokio::try_join!(
        futures::future::try_join_all(invalidations),
        futures::future::try_join_all(buckets),
    )?;
    Ok(SiteSnapshot {
        invalidations: invalidations.into_iter().collect(),
        buckets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lb(dns: &str) -> LoadBalancer {
        LoadBalancer {
            dns_name: dns.to_string(),
            ..LoadBalancer::default()
        }
    }

    #[test]
    fn load_balancer_origins_match_plain_dualstack_and_any_case() {
        let lbs = [lb("umami-123.eu-west-2.elb.amazonaws.com")];
        assert!(is_load_balancer(
            "umami-123.eu-west-2.elb.amazonaws.com",
            &lbs
        ));
        assert!(is_load_balancer(
            "dualstack.UMAMI-123.eu-west-2.elb.amazonaws.com.",
            &lbs
        ));
        assert!(!is_load_balancer(
            "other-1.eu-west-2.elb.amazonaws.com",
            &lbs
        ));
        assert!(!is_load_balancer(
            "umami-frontend.s3.eu-west-2.amazonaws.com",
            &lbs
        ));
    }
}
