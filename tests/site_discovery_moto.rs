//! Discovery of the stack's edge against moto_server: a CloudFront distribution in front of
//! the ALB is found by the wire, the site's by the config file, a bucket by its
//! `opsdeck:stack` tag; someone else's distribution is left out; and the findings name a
//! public bucket, a missing OAC, plain HTTP to viewers and to the origin, and no default
//! root object.

#[path = "common/moto.rs"]
mod moto;

use aws_sdk_cloudfront::types as cf;
use moto::{Moto, build_umami, create_bucket, s3_client};
use opsdeck::config::SiteConfig;
use opsdeck::model::{FoundBy, NodeKind, OriginAccess, OriginKind};
use opsdeck::ops::discover;
use opsdeck::ops::findings::{Severity, findings};
use opsdeck::ops::graph;
use opsdeck::ops::site::discover::{SiteHint, snapshot};

const SITE_BUCKET: &str = "umami-frontend";
const TAGGED_BUCKET: &str = "umami-assets";
const OTHER_BUCKET: &str = "someone-elses-site";

async fn block_public_access(s3: &aws_sdk_s3::Client, name: &str) {
    s3.put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// One distribution with one origin; returns its id.
async fn distribution(
    cloudfront: &aws_sdk_cloudfront::Client,
    reference: &str,
    origin: cf::Origin,
    viewer: cf::ViewerProtocolPolicy,
    root: Option<&str>,
) -> String {
    let origin_id = origin.id().to_string();
    let mut config = cf::DistributionConfig::builder()
        .caller_reference(reference)
        .comment(reference)
        .enabled(true)
        .origins(
            cf::Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .unwrap(),
        )
        .default_cache_behavior(
            cf::DefaultCacheBehavior::builder()
                .target_origin_id(origin_id)
                .viewer_protocol_policy(viewer)
                .build()
                .unwrap(),
        );
    if let Some(root) = root {
        config = config.default_root_object(root);
    }
    cloudfront
        .create_distribution()
        .distribution_config(config.build().unwrap())
        .send()
        .await
        .unwrap()
        .distribution()
        .unwrap()
        .id()
        .to_string()
}

fn bucket_origin(bucket: &str, oac: Option<&str>) -> cf::Origin {
    let mut origin = cf::Origin::builder()
        .id(format!("s3-{bucket}"))
        .domain_name(format!("{bucket}.s3.eu-west-2.amazonaws.com"))
        .s3_origin_config(
            cf::S3OriginConfig::builder()
                .origin_access_identity("")
                .build(),
        );
    if let Some(oac) = oac {
        origin = origin.origin_access_control_id(oac);
    }
    origin.build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_is_found_by_wire_config_and_tag_with_its_findings() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;
    let s3 = s3_client(&config);
    let cloudfront = aws_sdk_cloudfront::Client::new(&config);

    // The site's bucket is public (a policy for "*"), its distribution reads it with no
    // OAC, serves plain HTTP and has no default root object.
    create_bucket(&s3, SITE_BUCKET).await;
    let public_policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{SITE_BUCKET}/*"}}]}}"#
    );
    s3.put_bucket_policy()
        .bucket(SITE_BUCKET)
        .policy(public_policy)
        .send()
        .await
        .unwrap();
    for (key, body) in [("index.html", "<!doctype html>"), ("app-1a2b3c4d.js", "1;")] {
        s3.put_object()
            .bucket(SITE_BUCKET)
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let site = distribution(
        &cloudfront,
        "site",
        bucket_origin(SITE_BUCKET, None),
        cf::ViewerProtocolPolicy::AllowAll,
        None,
    )
    .await;
    // CloudFront before the ALB, reaching it over plain HTTP.
    let api_origin = cf::Origin::builder()
        .id("alb")
        .domain_name(&umami.load_balancer_dns)
        .custom_origin_config(
            cf::CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(cf::OriginProtocolPolicy::HttpOnly)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let api = distribution(
        &cloudfront,
        "api",
        api_origin,
        cf::ViewerProtocolPolicy::RedirectToHttps,
        None,
    )
    .await;
    // A private bucket the stack tagged as its own, with no distribution.
    create_bucket(&s3, TAGGED_BUCKET).await;
    block_public_access(&s3, TAGGED_BUCKET).await;
    s3.put_bucket_tagging()
        .bucket(TAGGED_BUCKET)
        .tagging(
            aws_sdk_s3::types::Tagging::builder()
                .tag_set(
                    aws_sdk_s3::types::Tag::builder()
                        .key("opsdeck:stack")
                        .value("umami")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // Someone else's site in the same account: not the stack's.
    create_bucket(&s3, OTHER_BUCKET).await;
    let other = distribution(
        &cloudfront,
        "other",
        bucket_origin(OTHER_BUCKET, Some("E0THEROAC")),
        cf::ViewerProtocolPolicy::HttpsOnly,
        Some("index.html"),
    )
    .await;

    let (cloud, _) = moto.cloud().await;
    let hint = SiteHint {
        stack: "umami".into(),
        site: Some(SiteConfig {
            bucket: SITE_BUCKET.into(),
            distribution: None,
        }),
    };
    let topology = discover::topology_with(&cloud, &umami.stack(), &hint)
        .await
        .unwrap();
    let edge = &topology.edge;

    let mut found: Vec<(&str, FoundBy, bool)> = edge
        .distributions
        .iter()
        .map(|d| {
            (
                d.distribution.id.as_str(),
                d.found_by,
                d.fronts_load_balancer,
            )
        })
        .collect();
    found.sort();
    let mut expected = vec![
        (api.as_str(), FoundBy::Origin, true),
        (site.as_str(), FoundBy::Config, false),
    ];
    expected.sort();
    assert_eq!(found, expected, "{other} is not the stack's");
    let site_distribution = &edge
        .distributions
        .iter()
        .find(|d| d.distribution.id == site)
        .unwrap()
        .distribution;
    assert_eq!(
        site_distribution.origins[0].kind,
        OriginKind::Bucket {
            bucket: SITE_BUCKET.into(),
            access: OriginAccess::None
        }
    );
    assert_eq!(site_distribution.default_root_object, None);

    let buckets: Vec<(&str, FoundBy, bool)> = edge
        .buckets
        .iter()
        .map(|b| (b.name.as_str(), b.found_by, b.access.public_access_blocked))
        .collect();
    assert!(
        buckets.contains(&(SITE_BUCKET, FoundBy::Config, false)),
        "{buckets:?}"
    );
    assert!(
        buckets.contains(&(TAGGED_BUCKET, FoundBy::Tag, true)),
        "{buckets:?}"
    );
    assert!(!buckets.iter().any(|b| b.0 == OTHER_BUCKET), "{buckets:?}");

    let titles: Vec<(Severity, String, String)> = findings(&topology, &[], &[])
        .into_iter()
        .map(|f| (f.severity, f.resource, f.title))
        .collect();
    let has = |severity: Severity, resource: &str, words: &str| {
        assert!(
            titles
                .iter()
                .any(|(s, r, t)| *s == severity && r == resource && t.contains(words)),
            "no {severity:?} finding on {resource} saying {words:?} in {titles:#?}"
        );
    };
    has(Severity::High, SITE_BUCKET, "lets anyone read it");
    has(Severity::High, &site, "no Origin Access Control");
    has(Severity::Medium, &site, "serves plain HTTP");
    has(Severity::Medium, &site, "no default root object");
    has(Severity::Medium, &api, "plain HTTP (http-only)");
    assert!(
        !titles
            .iter()
            .any(|(_, r, _)| r == &other || r == TAGGED_BUCKET),
        "{titles:#?}"
    );

    // The graph: Internet -> CloudFront -> S3 (public, drawn as not allowed) and
    // CloudFront -> ALB over HTTP.
    let graph = graph::build(&topology, &umami.service, None, None, None);
    let cdn = |id: &str| graph::cdn_id(id);
    assert_eq!(graph.nodes_of(NodeKind::Cdn).count(), 2);
    let edge_to = |from: &str, to: &str| {
        graph
            .edges
            .iter()
            .find(|e| e.from == from && e.to == to)
            .map(|e| (e.label.clone(), e.allowed))
    };
    assert_eq!(
        edge_to("internet", &cdn(&site)),
        Some(("http".into(), None))
    );
    assert_eq!(
        edge_to(&cdn(&site), &graph::bucket_id(SITE_BUCKET)),
        Some(("public".into(), Some(false)))
    );
    assert_eq!(
        edge_to(&cdn(&api), &umami.load_balancer),
        Some(("http".into(), Some(false)))
    );

    // The live side: object count and size, invalidations (none yet).
    let live = snapshot(&cloud, edge).await.unwrap();
    let stats = live.buckets.iter().find(|b| b.name == SITE_BUCKET).unwrap();
    assert_eq!((stats.objects, stats.bytes), (2, 17));
    assert!(stats.last_upload.is_some());
    assert_eq!(live.invalidations.get(&site).map(Vec::len), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_site_behind_an_oac_has_no_finding_and_a_configured_distribution_must_exist() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 1).await;
    let s3 = s3_client(&config);
    let cloudfront = aws_sdk_cloudfront::Client::new(&config);
    create_bucket(&s3, SITE_BUCKET).await;
    block_public_access(&s3, SITE_BUCKET).await;
    let site = distribution(
        &cloudfront,
        "site",
        bucket_origin(SITE_BUCKET, Some("E1OAC")),
        cf::ViewerProtocolPolicy::RedirectToHttps,
        Some("index.html"),
    )
    .await;
    let (cloud, _) = moto.cloud().await;

    let hint = |distribution: Option<&str>| SiteHint {
        stack: "umami".into(),
        site: Some(SiteConfig {
            bucket: SITE_BUCKET.into(),
            distribution: distribution.map(str::to_string),
        }),
    };
    let topology = discover::topology_with(&cloud, &umami.stack(), &hint(Some(&site)))
        .await
        .unwrap();
    assert_eq!(topology.edge.distributions.len(), 1);
    let edge_findings: Vec<_> = findings(&topology, &[], &[])
        .into_iter()
        .filter(|f| f.resource == site || f.resource == SITE_BUCKET)
        .collect();
    assert_eq!(edge_findings, vec![]);

    // Without any hint the site has no wire to the stack: nothing is shown.
    let bare = discover::topology(&cloud, &umami.stack()).await.unwrap();
    assert!(bare.edge.is_empty(), "{:?}", bare.edge);

    // A distribution the config names that the account does not have is an error.
    let error = discover::topology_with(&cloud, &umami.stack(), &hint(Some("E404NOTHERE")))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("E404NOTHERE"), "{error}");
}
