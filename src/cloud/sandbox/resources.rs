//! Constructors of the account's resources, shared by the hand-built scenarios and the
//! CloudFormation stand-in, so a stack made either way reads back in the same shape.

use super::world::{ACCOUNT_ID, Cluster, REGION, SimService};
use crate::model::{
    AwsLogsConfig, Certificate, DeploymentController, Millis, NetworkConfig, Route, RouteTable,
    RouteTarget, RuleSource, SecurityGroupRule,
};

/// `arn:aws:elasticloadbalancing:<region>:<account>:<resource>`.
pub(crate) fn elb_arn(resource: &str) -> String {
    format!("arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}:{resource}")
}

pub(crate) fn cluster_arn(name: &str) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:cluster/{name}")
}

/// The long ARN format: the cluster's name is part of the service's.
pub(crate) fn service_arn(cluster: &str, name: &str) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:service/{cluster}/{name}")
}

pub(crate) fn task_definition_arn(family: &str, revision: u32) -> String {
    format!("arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task-definition/{family}:{revision}")
}

pub(crate) fn certificate_arn(id: &str) -> String {
    format!("arn:aws:acm:{REGION}:{ACCOUNT_ID}:certificate/{id}")
}

pub(crate) fn distribution_arn(id: &str) -> String {
    format!("arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{id}")
}

/// CloudFront's name for a distribution, `d<letters and digits>.cloudfront.net`; derived
/// from its id so every read of it agrees.
pub(crate) fn distribution_domain(id: &str) -> String {
    format!(
        "d{}.cloudfront.net",
        id.trim_start_matches('E').to_lowercase()
    )
}

/// A bucket's S3 REST endpoint in the region, what a CloudFront S3 origin names.
pub(crate) fn bucket_regional_domain(bucket: &str) -> String {
    format!("{bucket}.s3.{REGION}.amazonaws.com")
}

pub(crate) fn db_arn(id: &str) -> String {
    format!("arn:aws:rds:{REGION}:{ACCOUNT_ID}:db:{id}")
}

pub(crate) fn db_snapshot_arn(id: &str) -> String {
    format!("arn:aws:rds:{REGION}:{ACCOUNT_ID}:snapshot:{id}")
}

/// The route every route table of a VPC starts with and cannot lose.
pub(crate) fn local_route(vpc_cidr: &str) -> Route {
    Route {
        destination: vpc_cidr.to_string(),
        target: RouteTarget::Local,
    }
}

pub(crate) fn default_route(target: RouteTarget) -> Route {
    Route {
        destination: "0.0.0.0/0".to_string(),
        target,
    }
}

/// A route table holding only the local route, as CreateRouteTable (and CreateVpc, for
/// the main table) leaves it.
pub(crate) fn route_table(id: &str, vpc_id: &str, vpc_cidr: &str, main: bool) -> RouteTable {
    RouteTable {
        id: id.to_string(),
        vpc_id: vpc_id.to_string(),
        subnet_ids: Vec::new(),
        main,
        routes: vec![local_route(vpc_cidr)],
    }
}

pub(crate) fn tcp_ingress(port: u16, source: RuleSource) -> SecurityGroupRule {
    SecurityGroupRule {
        protocol: "tcp".to_string(),
        from_port: Some(port),
        to_port: Some(port),
        source,
    }
}

/// A certificate ACM has validated and issued.
pub(crate) fn issued_certificate(arn: &str, domain: &str, not_after: Millis) -> Certificate {
    Certificate {
        arn: arn.to_string(),
        domain: domain.to_string(),
        status: "ISSUED".to_string(),
        not_after: Some(not_after),
    }
}

pub(crate) fn awslogs(group: &str, stream_prefix: &str) -> AwsLogsConfig {
    AwsLogsConfig {
        group: group.to_string(),
        region: REGION.to_string(),
        stream_prefix: stream_prefix.to_string(),
    }
}

impl Cluster {
    pub(crate) fn new(name: &str) -> Cluster {
        Cluster {
            name: name.to_string(),
            arn: cluster_arn(name),
        }
    }
}

impl SimService {
    /// A service as CreateService leaves it before its first deployment: no load balancer,
    /// network or circuit breaker unless the caller sets them, no tasks, no history.
    pub(crate) fn new(
        cluster: &Cluster,
        name: &str,
        desired: u32,
        task_definition: &str,
        created_at: Millis,
    ) -> SimService {
        SimService {
            name: name.to_string(),
            arn: service_arn(&cluster.name, name),
            cluster_arn: cluster.arn.clone(),
            desired,
            task_definition: task_definition.to_string(),
            deployments: Vec::new(),
            events: Vec::new(),
            load_balancers: Vec::new(),
            network: NetworkConfig {
                subnets: Vec::new(),
                security_groups: Vec::new(),
                assign_public_ip: false,
            },
            circuit_breaker: None,
            deployment_controller: DeploymentController::Ecs,
            created_at,
            steady: false,
            history: Vec::new(),
        }
    }
}
