//! Findings at the edge: what makes a site's bucket readable by anyone, or its viewers' or
//! origins' traffic travel in the clear.

use serde_json::Value;

use crate::model::{OriginAccess, OriginKind, OriginProtocol, StackEdge, ViewerProtocol};
use crate::ops::findings::{Finding, Severity};

pub fn findings(edge: &StackEdge) -> Vec<Finding> {
    let mut found = Vec::new();
    for bucket in &edge.buckets {
        if bucket
            .access
            .policy
            .as_deref()
            .is_some_and(policy_is_public)
        {
            found.push(Finding::new(
                Severity::High,
                "bucket policy lets anyone read it: serve it through CloudFront with an Origin \
                 Access Control instead",
                &bucket.name,
            ));
        } else if !bucket.access.public_access_blocked {
            found.push(Finding::new(
                Severity::Medium,
                "bucket has Block Public Access off: one policy or ACL change from public",
                &bucket.name,
            ));
        }
    }
    for edge_distribution in &edge.distributions {
        let d = &edge_distribution.distribution;
        let serves_bucket = d.buckets().next().is_some();
        if d.viewer_protocol == ViewerProtocol::AllowAll {
            found.push(Finding::new(
                Severity::Medium,
                "distribution serves plain HTTP: set the viewer protocol policy to \
                 redirect-to-https",
                &d.id,
            ));
        }
        if serves_bucket && d.default_root_object.is_none() {
            found.push(Finding::new(
                Severity::Medium,
                "distribution has no default root object: / does not serve index.html",
                &d.id,
            ));
        }
        for origin in &d.origins {
            match &origin.kind {
                OriginKind::Bucket {
                    bucket,
                    access: OriginAccess::None,
                } => found.push(Finding::new(
                    Severity::High,
                    format!(
                        "origin {} reads bucket {bucket} with no Origin Access Control: the \
                         bucket must be public for it to work",
                        origin.id
                    ),
                    &d.id,
                )),
                OriginKind::Bucket {
                    access: OriginAccess::Oai(_),
                    ..
                } => found.push(Finding::new(
                    Severity::Low,
                    format!(
                        "origin {} uses a legacy Origin Access Identity: move it to an Origin \
                         Access Control",
                        origin.id
                    ),
                    &d.id,
                )),
                OriginKind::Custom { protocol } => {
                    let plain = match protocol {
                        OriginProtocol::HttpOnly => true,
                        OriginProtocol::MatchViewer => {
                            d.viewer_protocol == ViewerProtocol::AllowAll
                        }
                        OriginProtocol::HttpsOnly => false,
                    };
                    if plain {
                        found.push(Finding::new(
                            Severity::Medium,
                            format!(
                                "origin {} ({}) is reached over plain HTTP ({}): use https-only",
                                origin.id,
                                origin.domain_name,
                                protocol.as_str()
                            ),
                            &d.id,
                        ));
                    }
                }
                OriginKind::Bucket { .. } => {}
            }
        }
    }
    found
}

/// Whether a bucket policy allows anybody at all: an `Allow` for principal `*` with no
/// condition to narrow it (an OAC's statement names CloudFront and the distribution).
pub fn policy_is_public(policy: &str) -> bool {
    let Ok(policy) = serde_json::from_str::<Value>(policy) else {
        return false;
    };
    let statements = match &policy["Statement"] {
        Value::Array(list) => list.iter().collect::<Vec<_>>(),
        one @ Value::Object(_) => vec![one],
        _ => Vec::new(),
    };
    statements.into_iter().any(|statement| {
        let allows = statement["Effect"].as_str() == Some("Allow");
        let anyone = match &statement["Principal"] {
            Value::String(s) => s == "*",
            Value::Object(map) => map.get("AWS").is_some_and(|aws| match aws {
                Value::String(s) => s == "*",
                Value::Array(list) => list.iter().any(|v| v.as_str() == Some("*")),
                _ => false,
            }),
            _ => false,
        };
        let unconditional = match &statement["Condition"] {
            Value::Null => true,
            Value::Object(map) => map.is_empty(),
            _ => false,
        };
        allows && anyone && unconditional
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_policies_are_told_from_an_oac_policy() {
        let public = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        let public_aws =
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:GetObject"}}"#;
        let oac = crate::cloud::sandbox::oac_policy("b", "arn:aws:cloudfront::1:distribution/E1");
        let denied = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}"#;
        let narrowed = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
        assert!(policy_is_public(public));
        assert!(policy_is_public(public_aws));
        assert!(!policy_is_public(&oac));
        assert!(!policy_is_public(denied));
        assert!(!policy_is_public(narrowed));
        assert!(!policy_is_public("not json"));
    }
}
