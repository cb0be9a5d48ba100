//! What a stack's resources become in the simulated account: the EC2, ELB, ECS, RDS,
//! Route53, ACM, ECR, Logs, S3 and CloudFront entries a resource handler makes, changes and removes.
//!
//! The CloudFormation stand-in calls in here when it finishes creating, updating or
//! deleting a resource, so the account changes when the stack's events say it does (a
//! database is there once its CREATE_COMPLETE fires) and discovery follows the wires of a
//! bootstrapped stack as it does those of the hand-built one. Types with no place in the
//! world (IAM, SNS, CloudWatch alarms, Application Auto Scaling, Secrets Manager, Elastic
//! IPs, egress rules) exist only as stack resources.

use serde_json::Value;

use super::cfn::{SimStack, allocation_id, evaluate, reference};
use super::ecs;
use super::ids;
use super::resources::{
    db_arn, distribution_arn, distribution_domain, issued_certificate, route_table, service_arn,
};
use super::site::SimDistribution;
use super::world::{Cluster, REGION, SimService, StopCause, World};
use crate::model::{
    AwsLogsConfig, CircuitBreaker, ContainerDefinition, ContainerHealthCheck, DbInstance,
    DeploymentController, Distribution, DnsRecord, HealthCheck, InternetGateway, Listener,
    ListenerAction, LoadBalancer, Millis, NatGateway, NetworkConfig, Origin, OriginAccess,
    OriginKind, OriginProtocol, Route, RouteTarget, RuleSource, SecurityGroup, SecurityGroupRule,
    ServiceLoadBalancer, ServiceUpdate, Subnet, TargetGroup, TaskDefinition, TaskDefinitionStatus,
    ViewerProtocol, Vpc, arn_name,
};

/// ACM issues a certificate for 395 days.
const CERTIFICATE_LIFETIME: Millis = 395 * 24 * 60 * 60 * 1000;
/// The share of a new instance's storage that is free: the filesystem takes the rest.
const FREE_STORAGE_SHARE_PERCENT: u64 = 98;

/// The resource types that become something in the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Vpc,
    Subnet,
    InternetGateway,
    GatewayAttachment,
    NatGateway,
    RouteTable,
    Route,
    RouteTableAssociation,
    SecurityGroup,
    SecurityGroupIngress,
    LoadBalancer,
    TargetGroup,
    Listener,
    Certificate,
    RecordSet,
    Cluster,
    TaskDefinition,
    Service,
    LogGroup,
    Repository,
    DbSubnetGroup,
    DbInstance,
    Bucket,
    BucketPolicy,
    Distribution,
}

impl Kind {
    fn of(resource_type: &str) -> Option<Kind> {
        Some(match resource_type {
            "AWS::EC2::VPC" => Kind::Vpc,
            "AWS::EC2::Subnet" => Kind::Subnet,
            "AWS::EC2::InternetGateway" => Kind::InternetGateway,
            "AWS::EC2::VPCGatewayAttachment" => Kind::GatewayAttachment,
            "AWS::EC2::NatGateway" => Kind::NatGateway,
            "AWS::EC2::RouteTable" => Kind::RouteTable,
            "AWS::EC2::Route" => Kind::Route,
            "AWS::EC2::SubnetRouteTableAssociation" => Kind::RouteTableAssociation,
            "AWS::EC2::SecurityGroup" => Kind::SecurityGroup,
            "AWS::EC2::SecurityGroupIngress" => Kind::SecurityGroupIngress,
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => Kind::LoadBalancer,
            "AWS::ElasticLoadBalancingV2::TargetGroup" => Kind::TargetGroup,
            "AWS::ElasticLoadBalancingV2::Listener" => Kind::Listener,
            "AWS::CertificateManager::Certificate" => Kind::Certificate,
            "AWS::Route53::RecordSet" => Kind::RecordSet,
            "AWS::ECS::Cluster" => Kind::Cluster,
            "AWS::ECS::TaskDefinition" => Kind::TaskDefinition,
            "AWS::ECS::Service" => Kind::Service,
            "AWS::Logs::LogGroup" => Kind::LogGroup,
            "AWS::ECR::Repository" => Kind::Repository,
            "AWS::RDS::DBSubnetGroup" => Kind::DbSubnetGroup,
            "AWS::RDS::DBInstance" => Kind::DbInstance,
            "AWS::S3::Bucket" => Kind::Bucket,
            "AWS::S3::BucketPolicy" => Kind::BucketPolicy,
            "AWS::CloudFront::Distribution" => Kind::Distribution,
            _ => return None,
        })
    }

    /// A part of another entry (a route of a table, a listener of a load balancer): an
    /// update takes the old part out and puts the new one in. Every other kind is changed
    /// in place, keeping what other resources added to it (routes, listeners, targets,
    /// tasks) and what the account did with it since.
    fn is_part(self) -> bool {
        matches!(
            self,
            Kind::GatewayAttachment
                | Kind::Route
                | Kind::RouteTableAssociation
                | Kind::SecurityGroupIngress
                | Kind::Listener
                | Kind::RecordSet
        )
    }
}

/// A resource's evaluated properties, read as leniently as CloudFormation reads them: a
/// number may come as a string (`"20"`, or a `Number` parameter's value) and a boolean as
/// `"true"`.
#[derive(Debug, Clone, Copy)]
struct Props<'a>(&'a Value);

/// What a missing property reads as.
static NULL: Value = Value::Null;

impl<'a> Props<'a> {
    fn at(self, name: &str) -> Props<'a> {
        Props(self.0.get(name).unwrap_or(&NULL))
    }

    fn text(self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    fn number<T: TryFrom<u64>>(self, name: &str) -> Option<T> {
        let n = match self.0.get(name)? {
            Value::Number(n) => n.as_u64()?,
            Value::String(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        T::try_from(n).ok()
    }

    fn flag(self, name: &str) -> Option<bool> {
        match self.0.get(name)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    fn items(self, name: &str) -> impl Iterator<Item = Props<'a>> {
        self.0
            .get(name)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(Props)
    }

    fn texts(self, name: &str) -> Vec<String> {
        self.items(name)
            .filter_map(|item| item.0.as_str().map(str::to_string))
            .collect()
    }

    fn tags(self) -> Vec<(String, String)> {
        self.items("Tags")
            .filter_map(|tag| Some((tag.text("Key")?, tag.text("Value")?)))
            .collect()
    }

    fn tag(self, key: &str) -> Option<String> {
        self.tags()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// What the stand-in knows of one of the stack's resources.
struct Entry {
    kind: Kind,
    physical: String,
    properties: Value,
}

fn entry(stack: &SimStack, logical: &str) -> Option<Entry> {
    let resource = stack.resources.get(logical)?;
    Some(Entry {
        kind: Kind::of(&resource.resource_type)?,
        physical: resource.physical_id.clone()?,
        properties: resource
            .definition
            .get("Properties")
            .cloned()
            .unwrap_or(Value::Null),
    })
}

/// A resource's create finished: it joins the account. `Err` is the handler's refusal.
pub(crate) fn created(
    world: &mut World,
    stack: &mut SimStack,
    logical: &str,
) -> Result<(), String> {
    let Some(entry) = entry(stack, logical) else {
        return Ok(());
    };
    let props = evaluate(stack, &entry.properties);
    if let Some(taken) = taken(world, entry.kind, &entry.physical) {
        return Err(taken);
    }
    let assigned = make(
        world,
        stack,
        logical,
        entry.kind,
        &entry.physical,
        Props(&props),
    )?;
    assign(stack, logical, assigned);
    if let Some(resource) = stack.resources.get_mut(logical) {
        resource.materialised = true;
    }
    Ok(())
}

/// Why a create fails when the account already holds a resource of that name, which
/// CloudFormation does not adopt: a repository or log group made by hand, say.
fn taken(world: &World, kind: Kind, physical: &str) -> Option<String> {
    let (resource_type, exists) = match kind {
        Kind::Repository => ("AWS::ECR::Repository", world.ecr.contains_key(physical)),
        Kind::LogGroup => ("AWS::Logs::LogGroup", world.logs.has_group(physical)),
        _ => return None,
    };
    exists.then(|| {
        format!(
            "Resource handler returned message: \"Resource of type '{resource_type}' with identifier '{physical}' already exists.\" (HandlerErrorCode: AlreadyExists)"
        )
    })
}

/// A resource's update finished (or, `rolling_back`, its rollback did): `before` is the
/// definition it had.
pub(crate) fn updated(
    world: &mut World,
    stack: &mut SimStack,
    logical: &str,
    before: &Value,
    rolling_back: bool,
) -> Result<(), String> {
    let Some(entry) = entry(stack, logical) else {
        return Ok(());
    };
    // A rollback returns to the revision the update replaced, if it got that far; the
    // new one goes.
    if rolling_back && entry.kind == Kind::TaskDefinition {
        let superseded = stack
            .resources
            .get(logical)
            .and_then(|r| r.superseded.clone());
        if let Some(previous) = superseded {
            deregister(world, &entry.physical);
            if let Some(resource) = stack.resources.get_mut(logical) {
                resource.physical_id = Some(previous);
                resource.superseded = None;
            }
        }
        return Ok(());
    }
    if entry.kind.is_part() {
        let old = evaluate(stack, before.get("Properties").unwrap_or(&NULL));
        unmake(world, entry.kind, &entry.physical, Props(&old));
    }
    let props = evaluate(stack, &entry.properties);
    let assigned = make(
        world,
        stack,
        logical,
        entry.kind,
        &entry.physical,
        Props(&props),
    )?;
    if entry.kind == Kind::TaskDefinition
        && let Some(resource) = stack.resources.get_mut(logical)
    {
        resource.superseded = Some(entry.physical.clone());
    }
    assign(stack, logical, assigned);
    Ok(())
}

/// The stack's update completed: CloudFormation's cleanup deletes what replacements made
/// obsolete, so a replaced task definition's old revision is deregistered (INACTIVE, no
/// longer a rollback target) unless `UpdateReplacePolicy: Retain` keeps it.
pub(crate) fn cleaned_up(world: &mut World, stack: &mut SimStack) {
    for resource in stack.resources.values_mut() {
        let Some(old) = resource.superseded.take() else {
            continue;
        };
        let retained = resource
            .definition
            .get("UpdateReplacePolicy")
            .and_then(Value::as_str)
            == Some("Retain");
        if !retained {
            deregister(world, &old);
        }
    }
}

fn deregister(world: &mut World, task_definition: &str) {
    world
        .task_definitions
        .iter_mut()
        .filter(|d| d.arn == task_definition)
        .for_each(|d| d.status = TaskDefinitionStatus::Inactive);
}

/// A resource's delete finished (not called for a retained one): it leaves the account,
/// if the stack ever put it there.
/// `Err` is the handler's refusal: S3 deletes no bucket that still holds objects.
pub(crate) fn deleted(world: &mut World, stack: &SimStack, logical: &str) -> Result<(), String> {
    let Some(entry) = entry(stack, logical) else {
        return Ok(());
    };
    if !stack.resources.get(logical).is_some_and(|r| r.materialised) {
        return Ok(());
    }
    if entry.kind == Kind::Bucket
        && world
            .site
            .buckets
            .get(&entry.physical)
            .is_some_and(|b| !b.objects.is_empty())
    {
        let request = ids::hex(&mut world.rng, 16).to_uppercase();
        return Err(format!(
            "Resource handler returned message: \"The bucket you tried to delete is not empty (Service: S3, Status Code: 409, Request ID: {request})\" (HandlerErrorCode: GeneralServiceException)"
        ));
    }
    let props = evaluate(stack, &entry.properties);
    unmake(world, entry.kind, &entry.physical, Props(&props));
    Ok(())
}

/// The account named the resource otherwise than the stand-in guessed (a task
/// definition's revision, a service's ARN): the stack follows the account.
fn assign(stack: &mut SimStack, logical: &str, physical: Option<String>) {
    if let (Some(physical), Some(resource)) = (physical, stack.resources.get_mut(logical)) {
        resource.physical_id = Some(physical);
    }
}

/// Makes the resource's entry, or changes the one already there; answers the physical id
/// when the account assigned one of its own.
fn make(
    world: &mut World,
    stack: &SimStack,
    logical: &str,
    kind: Kind,
    physical: &str,
    p: Props<'_>,
) -> Result<Option<String>, String> {
    let id = physical.to_string();
    match kind {
        Kind::Vpc => {
            let cidr = p.text("CidrBlock").unwrap_or_default();
            let new = !world.network.vpcs.iter().any(|v| v.id == id);
            let vpc = Vpc {
                id: id.clone(),
                cidr: cidr.clone(),
                name: p.tag("Name"),
            };
            upsert(&mut world.network.vpcs, vpc, |v| v.id == id, |_, _| {});
            if new {
                // CreateVpc makes the VPC's main route table with it.
                let main = ids::resource(&mut world.rng, "rtb");
                let table = route_table(&main, &id, &cidr, true);
                world.network.route_tables.push(table);
            }
        }
        Kind::Subnet => {
            let subnet = Subnet {
                id: id.clone(),
                vpc_id: p.text("VpcId").unwrap_or_default(),
                cidr: p.text("CidrBlock").unwrap_or_default(),
                availability_zone: p
                    .text("AvailabilityZone")
                    .unwrap_or_else(|| format!("{REGION}a")),
                name: p.tag("Name"),
                map_public_ip_on_launch: p.flag("MapPublicIpOnLaunch").unwrap_or(false),
            };
            upsert(
                &mut world.network.subnets,
                subnet,
                |s| s.id == id,
                |_, _| {},
            );
        }
        Kind::InternetGateway => {
            // Detached until a VPCGatewayAttachment attaches it.
            let gateway = InternetGateway {
                id: id.clone(),
                vpc_id: String::new(),
            };
            upsert(
                &mut world.network.internet_gateways,
                gateway,
                |g| g.id == id,
                |old, new| new.vpc_id.clone_from(&old.vpc_id),
            );
        }
        Kind::GatewayAttachment => {
            let (Some(gateway), Some(vpc)) = (p.text("InternetGatewayId"), p.text("VpcId")) else {
                return Ok(None);
            };
            if let Some(g) = world
                .network
                .internet_gateways
                .iter_mut()
                .find(|g| g.id == gateway)
            {
                g.vpc_id = vpc;
            }
        }
        Kind::NatGateway => {
            let subnet_id = p.text("SubnetId").unwrap_or_default();
            let nat = NatGateway {
                id: id.clone(),
                vpc_id: vpc_of_subnet(world, &subnet_id),
                subnet_id,
                state: "available".to_string(),
                public_ip: p
                    .text("AllocationId")
                    .and_then(|allocation| eip_address(stack, &allocation)),
            };
            upsert(
                &mut world.network.nat_gateways,
                nat,
                |n| n.id == id,
                |_, _| {},
            );
        }
        Kind::RouteTable => {
            let vpc_id = p.text("VpcId").unwrap_or_default();
            let cidr = world
                .network
                .vpcs
                .iter()
                .find(|v| v.id == vpc_id)
                .map(|v| v.cidr.clone())
                .unwrap_or_default();
            upsert(
                &mut world.network.route_tables,
                route_table(&id, &vpc_id, &cidr, false),
                |t| t.id == id,
                |old, new| {
                    new.routes.clone_from(&old.routes);
                    new.subnet_ids.clone_from(&old.subnet_ids);
                },
            );
        }
        Kind::Route => {
            let (Some(table), Some(route)) = (p.text("RouteTableId"), route(p)) else {
                return Ok(None);
            };
            if let Some(t) = world
                .network
                .route_tables
                .iter_mut()
                .find(|t| t.id == table)
            {
                t.routes.retain(|r| r.destination != route.destination);
                t.routes.push(route);
            }
        }
        Kind::RouteTableAssociation => {
            let (Some(table), Some(subnet)) = (p.text("RouteTableId"), p.text("SubnetId")) else {
                return Ok(None);
            };
            // A subnet has one route table: the association moves it.
            for t in &mut world.network.route_tables {
                t.subnet_ids.retain(|s| *s != subnet);
                if t.id == table {
                    t.subnet_ids.push(subnet.clone());
                }
            }
        }
        Kind::SecurityGroup => {
            let group = SecurityGroup {
                id: id.clone(),
                name: p
                    .text("GroupName")
                    .unwrap_or_else(|| group_name(stack, logical, &id)),
                vpc_id: p.text("VpcId").unwrap_or_default(),
                ingress: p.items("SecurityGroupIngress").filter_map(rule).collect(),
            };
            upsert(
                &mut world.network.security_groups,
                group,
                |g| g.id == id,
                |_, _| {},
            );
        }
        Kind::SecurityGroupIngress => {
            let (Some(group), Some(rule)) = (p.text("GroupId"), rule(p)) else {
                return Ok(None);
            };
            if let Some(g) = world
                .network
                .security_groups
                .iter_mut()
                .find(|g| g.id == group)
            {
                g.ingress.push(rule);
            }
        }
        Kind::TargetGroup => {
            let group = target_group(&id, p);
            upsert(
                &mut world.elb.target_groups,
                group,
                |g| g.arn == id,
                |old, new| new.load_balancer_arns.clone_from(&old.load_balancer_arns),
            );
        }
        Kind::LoadBalancer => {
            let subnets = p.texts("Subnets");
            let balancer = LoadBalancer {
                arn: id.clone(),
                name: p
                    .text("Name")
                    .unwrap_or_else(|| arn_part(&id, 2).to_string()),
                // The name Fn::GetAtt DNSName gives, which alias records point at.
                dns_name: reference(stack, logical, Some("DNSName")).unwrap_or_default(),
                scheme: p
                    .text("Scheme")
                    .unwrap_or_else(|| "internet-facing".to_string()),
                state: "active".to_string(),
                vpc_id: subnets
                    .first()
                    .map(|s| vpc_of_subnet(world, s))
                    .unwrap_or_default(),
                subnets,
                security_groups: p.texts("SecurityGroups"),
                listeners: Vec::new(),
            };
            upsert(
                &mut world.elb.load_balancers,
                balancer,
                |b| b.arn == id,
                |old, new| new.listeners.clone_from(&old.listeners),
            );
        }
        Kind::Listener => {
            let Some(balancer) = p.text("LoadBalancerArn") else {
                return Ok(None);
            };
            let listener = Listener {
                arn: id.clone(),
                port: p.number("Port").unwrap_or(80),
                protocol: p.text("Protocol").unwrap_or_else(|| "HTTP".to_string()),
                certificate_arns: p
                    .items("Certificates")
                    .filter_map(|c| c.text("CertificateArn"))
                    .collect(),
                default_action: p.items("DefaultActions").find_map(action).unwrap_or(
                    ListenerAction::FixedResponse {
                        status_code: "404".to_string(),
                    },
                ),
            };
            if let Some(b) = world
                .elb
                .load_balancers
                .iter_mut()
                .find(|b| b.arn == balancer)
            {
                b.listeners.retain(|l| l.arn != id);
                b.listeners.push(listener);
            }
            link_target_groups(world);
        }
        Kind::Certificate => {
            let domain = p.text("DomainName").unwrap_or_default();
            let certificate = issued_certificate(&id, &domain, world.now + CERTIFICATE_LIFETIME);
            upsert(
                &mut world.edge.certificates,
                certificate,
                |c| c.arn == id,
                |old, new| new.not_after = old.not_after,
            );
        }
        Kind::RecordSet => {
            let zone = hosted_zone(world, p)?;
            // Only alias records have a place in the model: they are what ties a name to
            // the load balancer.
            let Some(alias) = p.at("AliasTarget").text("DNSName") else {
                return Ok(None);
            };
            let record = DnsRecord {
                zone,
                name: p
                    .text("Name")
                    .unwrap_or_default()
                    .trim_end_matches('.')
                    .to_string(),
                record_type: p.text("Type").unwrap_or_else(|| "A".to_string()),
                alias_target: alias.trim_end_matches('.').to_string(),
            };
            world.edge.records.retain(|r| {
                (&r.zone, &r.name, &r.record_type)
                    != (&record.zone, &record.name, &record.record_type)
            });
            world.edge.records.push(record);
        }
        Kind::Cluster => {
            let cluster = Cluster::new(&p.text("ClusterName").unwrap_or_else(|| id.clone()));
            let arn = cluster.arn.clone();
            upsert(&mut world.clusters, cluster, |c| c.arn == arn, |_, _| {});
        }
        Kind::LogGroup => world.logs.create_group(&id),
        Kind::Repository => {
            world.ecr.entry(id).or_default();
        }
        Kind::DbSubnetGroup => {
            world.db_subnet_groups.insert(id, p.texts("SubnetIds"));
        }
        Kind::DbInstance => {
            let instance = db_instance(world, stack, logical, &id, p);
            upsert(
                &mut world.databases,
                instance,
                |d| d.id == id,
                |old, new| {
                    new.status.clone_from(&old.status);
                    new.free_storage_bytes = old.free_storage_bytes;
                    new.latest_restorable_time = old.latest_restorable_time;
                },
            );
        }
        // Every create or update of a task definition registers a new revision: that is
        // why CloudFormation replaces one on any change.
        Kind::TaskDefinition => {
            let definition = task_definition(&id, p);
            return Ok(Some(ecs::register(world, definition).arn));
        }
        Kind::Service => return service(world, &id, p).map(Some),
        Kind::Bucket => {
            let blocks = p.at("PublicAccessBlockConfiguration");
            let blocked = [
                "BlockPublicAcls",
                "BlockPublicPolicy",
                "IgnorePublicAcls",
                "RestrictPublicBuckets",
            ]
            .iter()
            .all(|setting| blocks.flag(setting) == Some(true));
            // An update keeps the objects and the policy another resource set.
            let bucket = world.site.buckets.entry(id).or_default();
            bucket.access.public_access_blocked = blocked;
        }
        Kind::BucketPolicy => {
            let name = p.text("Bucket").unwrap_or_default();
            let policy = p.at("PolicyDocument").0.to_string();
            let Some(bucket) = world.site.buckets.get_mut(&name) else {
                return Err(format!(
                    "Resource handler returned message: \"The specified bucket {name} does not exist (Service: S3, Status Code: 404)\" (HandlerErrorCode: NotFound)"
                ));
            };
            bucket.access.policy = Some(policy);
        }
        Kind::Distribution => {
            let distribution = distribution(&id, p.at("DistributionConfig"), world.now);
            // CloudFormation reports the distribution complete once it is deployed.
            let deployed_at = world.now;
            match world.site.distributions.get_mut(&id) {
                Some(old) => {
                    old.distribution = distribution;
                    old.deployed_at = deployed_at;
                }
                None => {
                    world.site.distributions.insert(
                        id,
                        SimDistribution {
                            distribution,
                            invalidations: Vec::new(),
                            deployed_at,
                        },
                    );
                }
            }
        }
    }
    Ok(None)
}

/// A distribution as CloudFront keeps it, from the template's `DistributionConfig`.
fn distribution(id: &str, config: Props<'_>, now: Millis) -> Distribution {
    let origins = config
        .items("Origins")
        .map(|origin| {
            let domain_name = origin.text("DomainName").unwrap_or_default();
            let s3 = origin.0.get("S3OriginConfig").is_some();
            let kind = match Origin::bucket_of(&domain_name).filter(|_| s3) {
                Some(bucket) => {
                    let oai = origin
                        .at("S3OriginConfig")
                        .text("OriginAccessIdentity")
                        .filter(|oai| !oai.is_empty());
                    let access = match (origin.text("OriginAccessControlId"), oai) {
                        (Some(oac), _) if !oac.is_empty() => OriginAccess::Oac(oac),
                        (_, Some(oai)) => OriginAccess::Oai(oai),
                        _ => OriginAccess::None,
                    };
                    OriginKind::Bucket { bucket, access }
                }
                None => OriginKind::Custom {
                    protocol: OriginProtocol::parse(
                        &origin
                            .at("CustomOriginConfig")
                            .text("OriginProtocolPolicy")
                            .unwrap_or_default(),
                    ),
                },
            };
            Origin {
                id: origin.text("Id").unwrap_or_default(),
                domain_name,
                kind,
            }
        })
        .collect();
    let viewer = config.at("ViewerCertificate");
    Distribution {
        id: id.to_string(),
        arn: distribution_arn(id),
        domain_name: distribution_domain(id),
        aliases: config.texts("Aliases"),
        status: "Deployed".to_string(),
        enabled: config.flag("Enabled").unwrap_or(true),
        certificate: viewer.text("AcmCertificateArn"),
        default_root_object: config
            .text("DefaultRootObject")
            .filter(|root| !root.is_empty()),
        viewer_protocol: ViewerProtocol::parse(
            &config
                .at("DefaultCacheBehavior")
                .text("ViewerProtocolPolicy")
                .unwrap_or_default(),
        ),
        origins,
        last_modified: Some(now),
        comment: config.text("Comment").filter(|c| !c.is_empty()),
    }
}

/// Takes the resource's entry out of the account; nothing happens to one never made.
fn unmake(world: &mut World, kind: Kind, physical: &str, p: Props<'_>) {
    let net = &mut world.network;
    match kind {
        Kind::Vpc => {
            net.vpcs.retain(|v| v.id != physical);
            net.route_tables
                .retain(|t| !(t.main && t.vpc_id == physical));
        }
        Kind::Subnet => net.subnets.retain(|s| s.id != physical),
        Kind::InternetGateway => net.internet_gateways.retain(|g| g.id != physical),
        Kind::GatewayAttachment => {
            if let Some(gateway) = p.text("InternetGatewayId") {
                net.internet_gateways
                    .iter_mut()
                    .filter(|g| g.id == gateway)
                    .for_each(|g| g.vpc_id.clear());
            }
        }
        Kind::NatGateway => net.nat_gateways.retain(|n| n.id != physical),
        Kind::RouteTable => net.route_tables.retain(|t| t.id != physical),
        Kind::Route => {
            if let (Some(table), Some(route)) = (p.text("RouteTableId"), route(p)) {
                net.route_tables
                    .iter_mut()
                    .filter(|t| t.id == table)
                    .for_each(|t| t.routes.retain(|r| r.destination != route.destination));
            }
        }
        Kind::RouteTableAssociation => {
            if let (Some(table), Some(subnet)) = (p.text("RouteTableId"), p.text("SubnetId")) {
                net.route_tables
                    .iter_mut()
                    .filter(|t| t.id == table)
                    .for_each(|t| t.subnet_ids.retain(|s| *s != subnet));
            }
        }
        Kind::SecurityGroup => net.security_groups.retain(|g| g.id != physical),
        Kind::SecurityGroupIngress => {
            if let (Some(group), Some(rule)) = (p.text("GroupId"), rule(p))
                && let Some(g) = net.security_groups.iter_mut().find(|g| g.id == group)
                && let Some(at) = g.ingress.iter().position(|r| *r == rule)
            {
                g.ingress.remove(at);
            }
        }
        Kind::TargetGroup => {
            world.elb.target_groups.retain(|g| g.arn != physical);
            world.elb.targets.retain(|t| t.group_arn != physical);
        }
        Kind::LoadBalancer => {
            world.elb.load_balancers.retain(|b| b.arn != physical);
            link_target_groups(world);
        }
        Kind::Listener => {
            for b in &mut world.elb.load_balancers {
                b.listeners.retain(|l| l.arn != physical);
            }
            link_target_groups(world);
        }
        Kind::Certificate => world.edge.certificates.retain(|c| c.arn != physical),
        Kind::RecordSet => {
            let name = p.text("Name").unwrap_or_default();
            let name = name.trim_end_matches('.');
            let kind = p.text("Type").unwrap_or_else(|| "A".to_string());
            let alias = p.at("AliasTarget").text("DNSName").unwrap_or_default();
            world
                .edge
                .records
                .retain(|r| !(r.name == name && r.record_type == kind && r.aliases(&alias)));
        }
        Kind::Cluster => world
            .clusters
            .retain(|c| c.name != physical && c.arn != physical),
        Kind::LogGroup => world.logs.delete_group(physical),
        Kind::Repository => {
            world.ecr.remove(physical);
        }
        Kind::DbSubnetGroup => {
            world.db_subnet_groups.remove(physical);
        }
        Kind::DbInstance => world.databases.retain(|d| d.id != physical),
        // DeleteStack deregisters the revision; ECS keeps it, INACTIVE.
        Kind::TaskDefinition => deregister(world, physical),
        Kind::Service => delete_service(world, physical),
        Kind::Bucket => {
            world.site.buckets.remove(physical);
        }
        Kind::BucketPolicy => {
            if let Some(bucket) = p
                .text("Bucket")
                .and_then(|name| world.site.buckets.get_mut(&name))
            {
                bucket.access.policy = None;
            }
        }
        Kind::Distribution => {
            world.site.distributions.remove(physical);
        }
    }
}

/// Puts `entry` in the place of the one `same` finds, after `keep` carried over what the
/// old one had gained, or at the end.
fn upsert<T>(
    items: &mut Vec<T>,
    mut entry: T,
    same: impl Fn(&T) -> bool,
    keep: impl FnOnce(&T, &mut T),
) {
    match items.iter_mut().find(|item| same(item)) {
        Some(old) => {
            keep(old, &mut entry);
            *old = entry;
        }
        None => items.push(entry),
    }
}

fn vpc_of_subnet(world: &World, subnet: &str) -> String {
    world
        .network
        .subnets
        .iter()
        .find(|s| s.id == subnet)
        .map(|s| s.vpc_id.clone())
        .unwrap_or_default()
}

/// The address of the stack's Elastic IP with this allocation id.
fn eip_address(stack: &SimStack, allocation: &str) -> Option<String> {
    stack
        .resources
        .values()
        .filter(|r| r.resource_type == "AWS::EC2::EIP")
        .filter_map(|r| r.physical_id.clone())
        .find(|ip| allocation_id(ip) == allocation)
}

/// `part` of an ELB ARN's resource path: `loadbalancer/app/<name>/<id>` has its name at 2,
/// `targetgroup/<name>/<id>` at 1.
fn arn_part(arn: &str, part: usize) -> &str {
    arn.rsplit_once(':')
        .map_or(arn, |(_, path)| path)
        .split('/')
        .nth(part)
        .unwrap_or(arn)
}

/// CloudFormation names an unnamed group after the stack, the logical id and a suffix.
fn group_name(stack: &SimStack, logical: &str, id: &str) -> String {
    let suffix: String = id.trim_start_matches("sg-").chars().take(12).collect();
    format!("{}-{logical}-{}", stack.name, suffix.to_uppercase())
}

fn route(p: Props<'_>) -> Option<Route> {
    let destination = p
        .text("DestinationCidrBlock")
        .or_else(|| p.text("DestinationIpv6CidrBlock"))?;
    let target = if let Some(gateway) = p.text("GatewayId") {
        if gateway.starts_with("igw-") {
            RouteTarget::InternetGateway(gateway)
        } else {
            RouteTarget::Other(gateway)
        }
    } else if let Some(nat) = p.text("NatGatewayId") {
        RouteTarget::NatGateway(nat)
    } else {
        let other = [
            "TransitGatewayId",
            "VpcEndpointId",
            "VpcPeeringConnectionId",
            "NetworkInterfaceId",
            "EgressOnlyInternetGatewayId",
            "InstanceId",
        ]
        .iter()
        .find_map(|key| p.text(key))?;
        RouteTarget::Other(other)
    };
    Some(Route {
        destination,
        target,
    })
}

/// An inline or standalone ingress rule; `-1` ports (all) read as none.
fn rule(p: Props<'_>) -> Option<SecurityGroupRule> {
    let source = if let Some(cidr) = p.text("CidrIp").or_else(|| p.text("CidrIpv6")) {
        RuleSource::Cidr(cidr)
    } else if let Some(group) = p.text("SourceSecurityGroupId") {
        RuleSource::SecurityGroup(group)
    } else {
        RuleSource::PrefixList(p.text("SourcePrefixListId")?)
    };
    Some(SecurityGroupRule {
        protocol: p.text("IpProtocol").unwrap_or_else(|| "-1".to_string()),
        from_port: p.number("FromPort"),
        to_port: p.number("ToPort"),
        source,
    })
}

/// A target group with ELB's defaults for what the template leaves out.
fn target_group(arn: &str, p: Props<'_>) -> TargetGroup {
    let protocol = p.text("Protocol").unwrap_or_else(|| "HTTP".to_string());
    let deregistration_delay_s = p
        .items("TargetGroupAttributes")
        .find(|a| a.text("Key").as_deref() == Some("deregistration_delay.timeout_seconds"))
        .and_then(|a| a.number("Value"))
        .unwrap_or(300);
    TargetGroup {
        arn: arn.to_string(),
        name: p
            .text("Name")
            .unwrap_or_else(|| arn_part(arn, 1).to_string()),
        port: p.number("Port").unwrap_or(80),
        target_type: p
            .text("TargetType")
            .unwrap_or_else(|| "instance".to_string()),
        vpc_id: p.text("VpcId").unwrap_or_default(),
        health_check: HealthCheck {
            protocol: p
                .text("HealthCheckProtocol")
                .unwrap_or_else(|| protocol.clone()),
            path: p.text("HealthCheckPath").unwrap_or_else(|| "/".to_string()),
            port: p
                .text("HealthCheckPort")
                .unwrap_or_else(|| "traffic-port".to_string()),
            interval_s: p.number("HealthCheckIntervalSeconds").unwrap_or(30),
            timeout_s: p.number("HealthCheckTimeoutSeconds").unwrap_or(5),
            healthy_threshold: p.number("HealthyThresholdCount").unwrap_or(5),
            unhealthy_threshold: p.number("UnhealthyThresholdCount").unwrap_or(2),
            matcher: p
                .at("Matcher")
                .text("HttpCode")
                .unwrap_or_else(|| "200".to_string()),
        },
        protocol,
        load_balancer_arns: Vec::new(),
        deregistration_delay_s,
    }
}

/// A listener's action; `None` for the kinds the model has no place for (authenticate).
fn action(p: Props<'_>) -> Option<ListenerAction> {
    match p.text("Type")?.to_ascii_lowercase().as_str() {
        "forward" => {
            let mut target_group_arns: Vec<String> = p.text("TargetGroupArn").into_iter().collect();
            target_group_arns.extend(
                p.at("ForwardConfig")
                    .items("TargetGroups")
                    .filter_map(|g| g.text("TargetGroupArn"))
                    .filter(|arn| !target_group_arns.contains(arn))
                    .collect::<Vec<_>>(),
            );
            Some(ListenerAction::Forward { target_group_arns })
        }
        "redirect" => {
            let config = p.at("RedirectConfig");
            Some(ListenerAction::Redirect {
                protocol: config
                    .text("Protocol")
                    .unwrap_or_else(|| "#{protocol}".to_string()),
                port: config.text("Port").unwrap_or_else(|| "#{port}".to_string()),
                status_code: config.text("StatusCode").unwrap_or_default(),
            })
        }
        "fixed-response" => Some(ListenerAction::FixedResponse {
            status_code: p.at("FixedResponseConfig").text("StatusCode")?,
        }),
        _ => None,
    }
}

/// ELB lists with a target group the load balancers whose listeners forward to it.
fn link_target_groups(world: &mut World) {
    let forwards: Vec<(String, String)> = world
        .elb
        .load_balancers
        .iter()
        .flat_map(|b| {
            b.listeners
                .iter()
                .flat_map(move |l| match &l.default_action {
                    ListenerAction::Forward { target_group_arns } => target_group_arns
                        .iter()
                        .map(|g| (g.clone(), b.arn.clone()))
                        .collect(),
                    _ => Vec::new(),
                })
        })
        .collect();
    for group in &mut world.elb.target_groups {
        let mut balancers: Vec<String> = Vec::new();
        for (g, b) in &forwards {
            if *g == group.arn && !balancers.contains(b) {
                balancers.push(b.clone());
            }
        }
        group.load_balancer_arns = balancers;
    }
}

/// The zone a record set names by id (as `HostedZoneId`, maybe `/hostedzone/Z...`) or by
/// name; Route53 refuses a zone the account does not have.
fn hosted_zone(world: &World, p: Props<'_>) -> Result<String, String> {
    let refuse = |what: String| {
        format!(
            "Resource handler returned message: \"No hosted zone found with {what} (Service: Route53, Status Code: 404)\" (HandlerErrorCode: NotFound)"
        )
    };
    let zones = &world.edge.hosted_zones;
    if let Some(id) = p.text("HostedZoneId") {
        let id = id.trim_start_matches("/hostedzone/");
        return zones
            .iter()
            .find(|z| z.id == id)
            .map(|z| z.name.clone())
            .ok_or_else(|| refuse(format!("ID: {id}")));
    }
    let name = p.text("HostedZoneName").unwrap_or_default();
    let name = name.trim_end_matches('.');
    zones
        .iter()
        .find(|z| z.name.eq_ignore_ascii_case(name))
        .map(|z| z.name.clone())
        .ok_or_else(|| refuse(format!("name: {name}")))
}

fn db_instance(
    world: &World,
    stack: &SimStack,
    logical: &str,
    id: &str,
    p: Props<'_>,
) -> DbInstance {
    let subnet_ids = p
        .text("DBSubnetGroupName")
        .and_then(|group| world.db_subnet_groups.get(&group).cloned())
        .unwrap_or_default();
    let zones: Vec<String> = subnet_ids
        .iter()
        .filter_map(|s| world.network.subnets.iter().find(|n| n.id == *s))
        .map(|s| s.availability_zone.clone())
        .collect();
    let multi_az = p.flag("MultiAZ").unwrap_or(false);
    let engine = p.text("Engine").unwrap_or_else(|| "postgres".to_string());
    let default_port = if engine.contains("mysql") || engine.contains("mariadb") {
        3306
    } else {
        5432
    };
    let allocated_storage_gb: u32 = p.number("AllocatedStorage").unwrap_or(20);
    DbInstance {
        id: id.to_string(),
        arn: db_arn(id),
        status: "available".to_string(),
        engine_version: p.text("EngineVersion").unwrap_or_default(),
        class: p
            .text("DBInstanceClass")
            .unwrap_or_else(|| "db.t3.micro".to_string()),
        multi_az,
        availability_zone: p
            .text("AvailabilityZone")
            .or_else(|| zones.first().cloned()),
        secondary_availability_zone: zones.get(1).cloned().filter(|_| multi_az),
        storage_type: p.text("StorageType").unwrap_or_else(|| "gp2".to_string()),
        allocated_storage_gb,
        free_storage_bytes: Some(
            u64::from(allocated_storage_gb) * 1_000_000_000 * FREE_STORAGE_SHARE_PERCENT / 100,
        ),
        backup_retention_days: p.number("BackupRetentionPeriod").unwrap_or(1),
        latest_restorable_time: None,
        // The address Fn::GetAtt Endpoint.Address gives the tasks' environment.
        endpoint: reference(stack, logical, Some("Endpoint.Address")),
        port: Some(p.number("Port").unwrap_or(default_port)),
        vpc_id: subnet_ids
            .first()
            .map(|s| vpc_of_subnet(world, s))
            .unwrap_or_default(),
        subnet_ids,
        security_groups: p.texts("VPCSecurityGroups"),
        publicly_accessible: p.flag("PubliclyAccessible").unwrap_or(false),
        deletion_protection: p.flag("DeletionProtection").unwrap_or(false),
        pending_maintenance: Some(Vec::new()),
        managed_master_password: p.flag("ManageMasterUserPassword").unwrap_or(false),
        engine,
    }
}

/// The revision to register; ECS assigns its ARN, number and time.
fn task_definition(physical: &str, p: Props<'_>) -> TaskDefinition {
    let family = p.text("Family").unwrap_or_else(|| {
        let name = crate::model::family_revision(physical);
        name.split_once(':').map_or(name, |(f, _)| f).to_string()
    });
    TaskDefinition {
        arn: String::new(),
        family,
        revision: 0,
        status: TaskDefinitionStatus::Active,
        cpu: p.text("Cpu").unwrap_or_else(|| "256".to_string()),
        memory: p.text("Memory").unwrap_or_else(|| "512".to_string()),
        containers: p.items("ContainerDefinitions").map(container).collect(),
        registered_at: 0,
        tags: p.tags(),
        task_role_arn: p.text("TaskRoleArn"),
        execution_role_arn: p.text("ExecutionRoleArn"),
    }
}

fn container(p: Props<'_>) -> ContainerDefinition {
    let pairs = |list: &str, value: &str| -> Vec<(String, String)> {
        p.items(list)
            .filter_map(|item| Some((item.text("Name")?, item.text(value)?)))
            .collect()
    };
    let logging = p.at("LogConfiguration");
    let options = logging.at("Options");
    let logs = (logging.text("LogDriver").as_deref() == Some("awslogs"))
        .then(|| {
            Some(AwsLogsConfig {
                group: options.text("awslogs-group")?,
                region: options
                    .text("awslogs-region")
                    .unwrap_or_else(|| REGION.to_string()),
                stream_prefix: options.text("awslogs-stream-prefix").unwrap_or_default(),
            })
        })
        .flatten();
    let check = p.at("HealthCheck");
    let health_check = check.0.get("Command").map(|_| ContainerHealthCheck {
        command: check.texts("Command"),
        interval_s: check.number("Interval").unwrap_or(30),
        timeout_s: check.number("Timeout").unwrap_or(5),
        retries: check.number("Retries").unwrap_or(3),
        start_period_s: check.number("StartPeriod").unwrap_or(0),
    });
    ContainerDefinition {
        name: p.text("Name").unwrap_or_default(),
        image: p.text("Image").unwrap_or_default(),
        essential: p.flag("Essential").unwrap_or(true),
        port: p
            .items("PortMappings")
            .find_map(|m| m.number("ContainerPort")),
        environment: pairs("Environment", "Value"),
        secrets: pairs("Secrets", "ValueFrom"),
        logs,
        health_check,
    }
}

/// CreateService (its first deployment then starts the tasks, through the scheduler), or
/// UpdateService for a service already there; answers the service's ARN.
fn service(world: &mut World, physical: &str, p: Props<'_>) -> Result<String, String> {
    let cluster_name = p.text("Cluster").unwrap_or_else(|| "default".to_string());
    let cluster = world
        .cluster(&cluster_name)
        .map_err(|_| format!("Resource handler returned message: \"Cluster not found: {cluster_name} (Service: Ecs, Status Code: 400)\" (HandlerErrorCode: InvalidRequest)"))?
        .clone();
    let name = p
        .text("ServiceName")
        .unwrap_or_else(|| arn_name(physical).to_string());
    let reference = p.text("TaskDefinition").unwrap_or_default();
    let task_definition = world
        .task_definition(&reference)
        .map(|d| d.arn.clone())
        .ok_or_else(|| format!("Resource handler returned message: \"TaskDefinition not found: {reference} (Service: Ecs, Status Code: 400)\" (HandlerErrorCode: InvalidRequest)"))?;
    // CloudFormation's default when the template names no count.
    let desired = p.number("DesiredCount").unwrap_or(1);
    let load_balancers = p
        .items("LoadBalancers")
        .filter_map(|l| {
            Some(ServiceLoadBalancer {
                target_group_arn: l.text("TargetGroupArn")?,
                container_name: l.text("ContainerName")?,
                container_port: l.number("ContainerPort")?,
            })
        })
        .collect();
    let awsvpc = p.at("NetworkConfiguration").at("AwsvpcConfiguration");
    let network = NetworkConfig {
        subnets: awsvpc.texts("Subnets"),
        security_groups: awsvpc.texts("SecurityGroups"),
        assign_public_ip: awsvpc.text("AssignPublicIp").as_deref() == Some("ENABLED"),
    };
    let breaker = p
        .at("DeploymentConfiguration")
        .at("DeploymentCircuitBreaker");
    let circuit_breaker = breaker.flag("Enable").map(|enable| CircuitBreaker {
        enable,
        rollback: breaker.flag("Rollback").unwrap_or(false),
    });
    let arn = service_arn(&cluster.name, &name);
    if let Some(si) = world.services.iter().position(|s| s.arn == arn) {
        let svc = &mut world.services[si];
        svc.load_balancers = load_balancers;
        svc.network = network;
        svc.circuit_breaker = circuit_breaker;
        let update = ServiceUpdate {
            task_definition: Some(task_definition),
            desired_count: Some(desired),
            force_new_deployment: false,
        };
        ecs::update_service(world, si, &update).map_err(|e| e.to_string())?;
        return Ok(arn);
    }
    let deployment_controller = match p.at("DeploymentController").text("Type").as_deref() {
        Some("CODE_DEPLOY") => DeploymentController::CodeDeploy,
        Some("EXTERNAL") => DeploymentController::External,
        _ => DeploymentController::Ecs,
    };
    let service = SimService {
        load_balancers,
        network,
        circuit_breaker,
        deployment_controller,
        ..SimService::new(&cluster, &name, desired, &task_definition, world.now)
    };
    world.services.push(service);
    ecs::start_deployment(world, world.services.len() - 1, task_definition);
    Ok(arn)
}

/// DeleteService: its tasks stop (draining from their target groups first) and the
/// service is gone from the cluster's list.
fn delete_service(world: &mut World, arn: &str) {
    let Some(si) = world.services.iter().position(|s| s.arn == arn) else {
        return;
    };
    let (name, cluster) = (
        world.services[si].name.clone(),
        world.services[si].cluster_arn.clone(),
    );
    world.services[si].desired = 0;
    let alive: Vec<usize> = world
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.is_alive() && t.cluster_arn == cluster && t.service.as_deref() == Some(name.as_str())
        })
        .map(|(ti, _)| ti)
        .collect();
    for ti in alive {
        let deployment = world.tasks[ti].deployment().unwrap_or_default().to_string();
        ecs::begin_stop(
            world,
            ti,
            StopCause::Scaling,
            format!("Scaling activity initiated by (deployment {deployment})"),
        );
    }
    world.services.remove(si);
}
