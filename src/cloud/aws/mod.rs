//! The AWS backend: the cloud traits over the AWS SDK for Rust, one file per service area.
//!
//! SDK types and `SdkError` stay in here; callers see opsdeck's model and [`CloudError`].

mod calls;
pub mod cloudformation;
mod convert;
pub mod ec2;
pub mod ecr;
pub mod ecs;
pub mod edge;
pub mod elb;
pub mod errors;
pub mod iam;
pub mod logs;
pub mod metrics;
pub mod rds;
pub mod site;
pub mod sts;
pub mod tagging;

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

pub use calls::CallCounter;
pub use errors::CallContext;

use crate::cloud::{BackendKind, Cloud, CloudError};

/// How to reach an account, as the AWS CLI's flags and environment say it.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    /// Counts every API call the clients make (for tests and `--debug` numbers).
    pub calls: Option<CallCounter>,
    /// How long one attempt of a call may take (the config's `call_timeout`); `None` leaves
    /// the SDK's defaults, which never give up on a connection that stops answering.
    pub call_timeout: Option<Duration>,
}

/// Resolves credentials and region through aws-config's default chain (env, profiles, SSO,
/// assume-role, web identity). Makes no network call: credentials load on the first request.
pub async fn connect(options: ConnectOptions) -> Result<Cloud, CloudError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(timeout) = options.call_timeout {
        // Per attempt, so the SDK's retries still get their turn after a hung one; the
        // live tail's stream is exempt (see logs.rs). Connecting gets the SDK's 3.1 s.
        loader = loader.timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(3_100))
                .operation_attempt_timeout(timeout)
                .build(),
        );
    }
    let config = loader.load().await;
    let profile = options
        .profile
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
    from_sdk_config(&config, profile, options.calls)
}

/// Where CloudFront's certificates, and so a site's companion stack, live.
const EDGE_REGION: &str = "us-east-1";

/// One service client from the shared configuration, with the call counter attached.
macro_rules! client {
    ($krate:ident, $config:expr, $calls:expr) => {{
        let mut builder = $krate::config::Builder::from($config);
        if let Some(calls) = $calls {
            builder = builder.interceptor(calls.clone());
        }
        $krate::Client::from_conf(builder.build())
    }};
}

/// Builds every service client from one loaded configuration.
pub fn from_sdk_config(
    config: &SdkConfig,
    profile: Option<String>,
    calls: Option<CallCounter>,
) -> Result<Cloud, CloudError> {
    let region = config
        .region()
        .map(|r| r.to_string())
        .ok_or_else(|| CloudError::Other {
            operation: "configuration".into(),
            message: "no AWS region: pass --region, set AWS_REGION, or add one to the profile"
                .into(),
        })?;
    let endpoint = config
        .endpoint_url()
        .map_or_else(|| format!("AWS in {region}"), str::to_string);
    let context = CallContext {
        profile: profile.clone(),
        endpoint: endpoint.clone(),
    };
    let calls = calls.as_ref();
    Ok(Cloud {
        kind: BackendKind::Aws {
            profile,
            region,
            endpoint: config.endpoint_url().map(str::to_string),
        },
        identity: Arc::new(sts::AwsIdentity::new(
            client!(aws_sdk_sts, config, calls),
            context.clone(),
        )),
        ecs: Arc::new(ecs::AwsEcs::new(
            client!(aws_sdk_ecs, config, calls),
            context.clone(),
        )),
        elb: Arc::new(elb::AwsLoadBalancing::new(
            client!(aws_sdk_elasticloadbalancingv2, config, calls),
            context.clone(),
        )),
        rds: Arc::new(rds::AwsRds::new(
            client!(aws_sdk_rds, config, calls),
            context.clone(),
        )),
        network: Arc::new(ec2::AwsNetwork::new(
            client!(aws_sdk_ec2, config, calls),
            context.clone(),
        )),
        edge: Arc::new(edge::AwsEdge::new(
            client!(aws_sdk_route53, config, calls),
            client!(aws_sdk_acm, config, calls),
            context.clone(),
        )),
        logs: Arc::new(logs::AwsLogs::new(
            client!(aws_sdk_cloudwatchlogs, config, calls),
            context.clone(),
        )),
        metrics: Arc::new(metrics::AwsMetrics::new(
            client!(aws_sdk_cloudwatch, config, calls),
            context.clone(),
        )),
        ecr: Arc::new(ecr::AwsEcr::new(
            client!(aws_sdk_ecr, config, calls),
            context.clone(),
        )),
        stacks: Arc::new(cloudformation::AwsStacks::new(
            client!(aws_sdk_cloudformation, config, calls),
            context.clone(),
        )),
        // The same account and endpoint (an emulator serves every region), in us-east-1.
        edge_stacks: Arc::new(cloudformation::AwsStacks::new(
            {
                let mut builder = aws_sdk_cloudformation::config::Builder::from(config)
                    .region(Region::new(EDGE_REGION));
                if let Some(calls) = calls {
                    builder = builder.interceptor(calls.clone());
                }
                aws_sdk_cloudformation::Client::from_conf(builder.build())
            },
            context.clone(),
        )),
        tagging: Arc::new(tagging::AwsTagging::new(
            client!(aws_sdk_resourcegroupstagging, config, calls),
            context.clone(),
        )),
        site: Arc::new(site::AwsSite::new(
            {
                // An emulator on a bare host:port cannot serve virtual-hosted buckets.
                let mut builder = aws_sdk_s3::config::Builder::from(config)
                    .force_path_style(config.endpoint_url().is_some());
                if let Some(calls) = calls {
                    builder = builder.interceptor(calls.clone());
                }
                aws_sdk_s3::Client::from_conf(builder.build())
            },
            client!(aws_sdk_cloudfront, config, calls),
            context.clone(),
        )),
        iam: Arc::new(iam::AwsIam::new(
            client!(aws_sdk_iam, config, calls),
            context,
        )),
        clock: Arc::new(crate::cloud::WallClock),
    })
}
