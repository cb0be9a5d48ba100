//! The edge of the stack: Route53 records that alias the load balancer, ACM certificates.

use async_trait::async_trait;
use aws_sdk_route53::types as r53;

use super::convert::{each, millis, text};
use super::errors::{CallContext, Paged};
use crate::cloud::{CloudResult, EdgeApi};
use crate::model::{Certificate, DnsRecord};

pub struct AwsEdge {
    route53: aws_sdk_route53::Client,
    acm: aws_sdk_acm::Client,
    context: CallContext,
}

impl AwsEdge {
    pub fn new(
        route53: aws_sdk_route53::Client,
        acm: aws_sdk_acm::Client,
        context: CallContext,
    ) -> AwsEdge {
        AwsEdge {
            route53,
            acm,
            context,
        }
    }

    async fn certificate(&self, arn: &str) -> CloudResult<Option<Certificate>> {
        let output = self
            .acm
            .describe_certificate()
            .certificate_arn(arn)
            .send()
            .await
            .map_err(|e| self.context.error("acm:DescribeCertificate", arn, e))?;
        Ok(output.certificate().map(|c| Certificate {
            arn: text(c.certificate_arn()),
            domain: text(c.domain_name()),
            status: c
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            not_after: millis(c.not_after()),
        }))
    }

    /// Every record set of a zone. ListResourceRecordSets pages by "next name and type",
    /// which the SDK has no paginator for.
    async fn zone_records(&self, zone_id: &str) -> CloudResult<Vec<r53::ResourceRecordSet>> {
        let mut records = Vec::new();
        let mut next: Option<(String, r53::RrType, Option<String>)> = None;
        loop {
            let mut request = self
                .route53
                .list_resource_record_sets()
                .hosted_zone_id(zone_id);
            if let Some((name, kind, identifier)) = next.take() {
                request = request
                    .start_record_name(name)
                    .start_record_type(kind)
                    .set_start_record_identifier(identifier);
            }
            let page = request.send().await.map_err(|e| {
                self.context
                    .error("route53:ListResourceRecordSets", zone_id, e)
            })?;
            records.extend(page.resource_record_sets().iter().cloned());
            match (
                page.is_truncated(),
                page.next_record_name(),
                page.next_record_type(),
            ) {
                (true, Some(name), Some(kind)) => {
                    next = Some((
                        name.to_string(),
                        kind.clone(),
                        page.next_record_identifier().map(str::to_string),
                    ));
                }
                _ => return Ok(records),
            }
        }
    }
}

#[async_trait]
impl EdgeApi for AwsEdge {
    async fn describe_certificates(&self, arns: &[String]) -> CloudResult<Vec<Certificate>> {
        // ACM has no batch describe: one call per certificate, a few at a time.
        let requests: Vec<_> = arns.iter().map(|arn| self.certificate(arn)).collect();
        let found: Vec<Option<Certificate>> = each(requests).await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn records_aliasing(&self, dns_name: &str) -> CloudResult<Vec<DnsRecord>> {
        let zones: Vec<r53::HostedZone> = self
            .route53
            .list_hosted_zones()
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "route53:ListHostedZones", "")
            .await?;
        let wanted = normalize(dns_name);
        let mut found = Vec::new();
        for zone in &zones {
            for record in self.zone_records(zone.id()).await? {
                let Some(alias) = record.alias_target() else {
                    continue;
                };
                if normalize(alias.dns_name()) == wanted {
                    found.push(DnsRecord {
                        zone: zone.name().trim_end_matches('.').to_string(),
                        name: record.name().trim_end_matches('.').to_string(),
                        record_type: record.r#type().as_str().to_string(),
                        alias_target: alias.dns_name().trim_end_matches('.').to_string(),
                    });
                }
            }
        }
        Ok(found)
    }

    async fn hosted_zone_id(&self, name: &str) -> CloudResult<Option<String>> {
        let wanted = normalize(name);
        // ListHostedZonesByName starts at the name, in order: the first page holds it.
        let output = self
            .route53
            .list_hosted_zones_by_name()
            .dns_name(&wanted)
            .max_items(10)
            .send()
            .await
            .map_err(|e| self.context.error("route53:ListHostedZonesByName", name, e))?;
        Ok(output
            .hosted_zones()
            .iter()
            .find(|zone| {
                normalize(zone.name()) == wanted && !zone.config().is_some_and(|c| c.private_zone())
            })
            .map(|zone| zone.id().trim_start_matches("/hostedzone/").to_string()))
    }
}

/// Route53 stores alias targets lower-cased, with a trailing dot, often as `dualstack.<alb>`.
fn normalize(dns_name: &str) -> String {
    let name = dns_name.trim_end_matches('.').to_ascii_lowercase();
    name.strip_prefix("dualstack.")
        .map(str::to_string)
        .unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn alias_names_match_the_load_balancer_however_route53_spells_them() {
        assert_eq!(
            normalize("dualstack.Umami-123.eu-west-2.elb.amazonaws.com."),
            normalize("umami-123.eu-west-2.elb.amazonaws.com")
        );
    }
}
