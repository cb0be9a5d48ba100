//! The CloudFormation stand-in: stacks, change sets and their execution over virtual time.
//!
//! A change set is computed by comparing the submitted template's `Resources` with the
//! stack's current ones per logical id. Executing one turns it into an operation: a set of
//! resource tasks, each starting once what it depends on (DependsOn, Ref, Fn::GetAtt,
//! Fn::Sub) is done and taking as long as that resource type takes on AWS. The engine steps
//! the operations every virtual second (see `progress`).

use std::collections::{BTreeMap, BTreeSet};

use rand::RngExt;
use serde_json::Value;

use super::ecs;
use super::ids;
use super::materialise;
use super::resources::{
    bucket_regional_domain, certificate_arn, db_snapshot_arn, distribution_arn,
    distribution_domain, elb_arn, service_arn, task_definition_arn,
};
use super::world::{ACCOUNT_ID, MANUAL_SNAPSHOT_QUOTA, REGION, SimSnapshot, World};
use crate::cloud::{CloudError, CloudResult};
use crate::model::{
    Capability, CfnStack, ChangeAction, ChangeSet, ChangeSetKind, ChangeSetRequest,
    ChangeSetStatus, DbSnapshot, Millis, Replacement, ResourceChange, StackEvent, StackResource,
    StackStatus, TaggedResource,
};

/// Bounds each stack's event history however many updates it went through.
pub(crate) const STACK_EVENTS_KEPT: usize = 1000;
/// Bounds the deleted stacks still answerable by their ARN.
const DELETED_STACKS_KEPT: usize = 20;
/// How long CloudFormation takes to compute a change set.
const CHANGE_SET_COMPUTE: Millis = 3_000;
const STACK_TYPE: &str = "AWS::CloudFormation::Stack";
/// What CloudFormation says of a change set whose template matches the stack's.
pub(crate) const NO_CHANGES: &str = "The submitted information didn't contain changes. Submit different information to create a change set.";

/// Every stack of the account, and the knobs tests turn.
#[derive(Debug, Default)]
pub(crate) struct Stacks {
    /// Live stacks by name.
    pub live: BTreeMap<String, SimStack>,
    /// Deleted stacks, newest last: DescribeStacks by ARN still answers DELETE_COMPLETE.
    pub deleted: Vec<SimStack>,
    /// Resource types whose next create or update fails (`Sandbox::fail_next_resource`).
    pub fail_next: Vec<String>,
    /// Tags the scenario put on resources outside any stack: ARN -> tags.
    pub extra_tags: BTreeMap<String, Vec<(String, String)>>,
}

#[derive(Debug, Clone)]
pub(crate) struct SimStack {
    pub name: String,
    pub id: String,
    pub status: StackStatus,
    pub status_reason: Option<String>,
    pub created_at: Millis,
    pub tags: Vec<(String, String)>,
    pub parameters: Vec<(String, String)>,
    /// The template body of the last successful operation (as submitted), if any.
    pub template_body: Option<String>,
    pub template: Template,
    pub resources: BTreeMap<String, SimResource>,
    pub change_sets: Vec<SimChangeSet>,
    /// Newest first, at most `STACK_EVENTS_KEPT`.
    pub events: Vec<StackEvent>,
    pub operation: Option<Operation>,
}

/// The parts of a template the stand-in understands.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Template {
    pub resources: BTreeMap<String, Value>,
    pub outputs: BTreeMap<String, Value>,
    /// Parameter name -> its `Default`: the value a Ref gets when the request gives none.
    pub defaults: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub(crate) struct SimResource {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
    /// CREATE_COMPLETE, UPDATE_COMPLETE, CREATE_FAILED, DELETE_IN_PROGRESS...
    pub status: String,
    /// The resource's template entry (Type, Properties, DependsOn, DeletionPolicy).
    pub definition: Value,
    /// Whether the account holds it: its create completed. A rollback removes from the
    /// account only what the stack made there, never a same-named thing it failed to make.
    pub materialised: bool,
    /// The physical id an update replaced, until the update's cleanup removes it (or its
    /// rollback returns to it): a task definition's previous revision.
    pub superseded: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct SimChangeSet {
    pub id: String,
    pub name: String,
    pub ready_at: Millis,
    /// `Some` when computing it failed (no changes, say).
    pub failure: Option<String>,
    pub execution_status: &'static str,
    pub changes: Vec<ResourceChange>,
    pub template_body: String,
    pub template: Template,
    pub parameters: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Apply,
    Cleanup,
    Rollback,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    Create,
    Update,
    Delete,
}

#[derive(Debug, Clone)]
pub(crate) struct ResourceTask {
    pub logical_id: String,
    pub work: Work,
    /// Logical ids whose tasks (in this phase) must finish before this one starts.
    pub waits_for: Vec<String>,
    pub done_at: Option<Millis>,
    pub finished: bool,
    /// The CloudFormation-like reason this task fails with when its time is up.
    pub fails: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// Whether the operation was a first create (its failure rolls back to ROLLBACK_COMPLETE).
    pub creating: bool,
    pub phase: Phase,
    pub tasks: Vec<ResourceTask>,
    /// The template being applied, and the one to return to on a failed update.
    pub target: Template,
    pub target_body: String,
    pub previous: Template,
    /// Resources the update removes once everything else is in place.
    pub removals: Vec<String>,
}

fn rejected(operation: &str, message: impl Into<String>) -> CloudError {
    CloudError::Rejected {
        operation: operation.to_string(),
        message: message.into(),
    }
}

fn stack_not_found(name: &str) -> CloudError {
    CloudError::NotFound {
        kind: "stack",
        name: name.to_string(),
        hint: Some(format!("Stack with id {name} does not exist")),
    }
}

/// Parses a JSON template: `Resources` (each with a `Type`) and `Outputs`.
pub(crate) fn parse_template(body: &str) -> Result<Template, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("Template format error: {e}"))?;
    let resources = value
        .get("Resources")
        .and_then(Value::as_object)
        .filter(|r| !r.is_empty())
        .ok_or("Template format error: At least one Resources member must be defined.")?;
    let mut template = Template::default();
    for (logical, definition) in resources {
        if definition.get("Type").and_then(Value::as_str).is_none() {
            return Err(format!(
                "Template format error: [/Resources/{logical}] Every Resources object must contain a Type member."
            ));
        }
        template
            .resources
            .insert(logical.clone(), definition.clone());
    }
    if let Some(outputs) = value.get("Outputs").and_then(Value::as_object) {
        for (key, output) in outputs {
            template.outputs.insert(key.clone(), output.clone());
        }
    }
    if let Some(parameters) = value.get("Parameters").and_then(Value::as_object) {
        for (name, parameter) in parameters {
            let default = match parameter.get("Default") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            template.defaults.insert(name.clone(), default);
        }
    }
    // References to resources that do not exist are refused up front, as CloudFormation does.
    for (logical, definition) in &template.resources {
        for dep in dependencies(definition) {
            if !template.resources.contains_key(&dep) && !is_parameter_like(&value, &dep) {
                return Err(format!(
                    "Template format error: Unresolved resource dependencies [{dep}] in the Resources block of the template ({logical})"
                ));
            }
        }
    }
    Ok(template)
}

fn is_parameter_like(template: &Value, name: &str) -> bool {
    name.starts_with("AWS::")
        || template
            .get("Parameters")
            .and_then(Value::as_object)
            .is_some_and(|p| p.contains_key(name))
}

fn resource_type(definition: &Value) -> String {
    definition
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// What a resource waits for: DependsOn plus every Ref, Fn::GetAtt and `${X}` in Fn::Sub.
pub(crate) fn dependencies(definition: &Value) -> BTreeSet<String> {
    let mut deps = BTreeSet::new();
    match definition.get("DependsOn") {
        Some(Value::String(s)) => {
            deps.insert(s.clone());
        }
        Some(Value::Array(items)) => {
            deps.extend(items.iter().filter_map(Value::as_str).map(str::to_string));
        }
        _ => {}
    }
    if let Some(properties) = definition.get("Properties") {
        collect_refs(properties, &mut deps);
    }
    deps.retain(|d| !d.starts_with("AWS::"));
    deps
}

fn collect_refs(value: &Value, into: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("Ref", Value::String(name)) => {
                        into.insert(name.clone());
                    }
                    ("Fn::GetAtt", Value::Array(parts)) => {
                        if let Some(name) = parts.first().and_then(Value::as_str) {
                            into.insert(name.to_string());
                        }
                    }
                    ("Fn::GetAtt", Value::String(path)) => {
                        if let Some((name, _)) = path.split_once('.') {
                            into.insert(name.to_string());
                        }
                    }
                    ("Fn::Sub", sub) => {
                        let text = match sub {
                            Value::String(s) => Some(s.as_str()),
                            Value::Array(parts) => parts.first().and_then(Value::as_str),
                            _ => None,
                        };
                        if let Some(text) = text {
                            sub_names(text, into);
                        }
                        collect_refs(sub, into);
                    }
                    _ => collect_refs(inner, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, into)),
        _ => {}
    }
}

/// `${Name}` and `${Name.Attr}` in an Fn::Sub string (`${!Literal}` is not a reference).
fn sub_names(text: &str, into: &mut BTreeSet<String>) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { return };
        let name = &after[..end];
        if !name.starts_with('!') {
            let name = name.split('.').next().unwrap_or(name);
            into.insert(name.to_string());
        }
        rest = &after[end + 1..];
    }
}

/// How long creating a resource of this type takes on AWS, in seconds (from, to).
fn create_seconds(resource_type: &str) -> (Millis, Millis) {
    match resource_type {
        "AWS::EC2::VPC" => (10, 15),
        "AWS::EC2::Subnet" | "AWS::EC2::SecurityGroup" | "AWS::EC2::RouteTable" => (4, 8),
        "AWS::EC2::InternetGateway" | "AWS::EC2::VPCGatewayAttachment" => (12, 18),
        "AWS::EC2::NatGateway" => (100, 130),
        "AWS::EC2::EIP" => (3, 5),
        "AWS::RDS::DBInstance" => (360, 480),
        "AWS::RDS::DBSubnetGroup" => (3, 5),
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => (160, 200),
        "AWS::ElasticLoadBalancingV2::TargetGroup" => (10, 15),
        "AWS::ECS::Service" => (50, 70),
        "AWS::ECS::Cluster" => (5, 8),
        "AWS::CertificateManager::Certificate" => (100, 140),
        "AWS::IAM::Role" | "AWS::IAM::Policy" => (12, 18),
        "AWS::CloudFront::Distribution" => (180, 300),
        _ => (2, 4),
    }
}

/// How long deleting one takes, in seconds (from, to).
fn delete_seconds(resource_type: &str) -> (Millis, Millis) {
    match resource_type {
        "AWS::EC2::NatGateway" => (50, 70),
        "AWS::RDS::DBInstance" => (240, 360),
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => (20, 40),
        "AWS::ECS::Service" => (60, 120),
        "AWS::EC2::InternetGateway" | "AWS::EC2::VPCGatewayAttachment" => (10, 15),
        // Disabled, then deleted once the disabled configuration has reached the edge.
        "AWS::CloudFront::Distribution" => (150, 240),
        _ => (1, 3),
    }
}

/// What CloudFormation reports when a resource of this type fails to create.
fn failure_reason(resource_type: &str, rng: &mut rand_chacha::ChaCha8Rng) -> String {
    let request = ids::uuid(rng);
    let detail = match resource_type {
        "AWS::RDS::DBInstance" => format!(
            "Cannot find version 13.1 for postgres (Service: Rds, Status Code: 400, Request ID: {request})"
        ),
        "AWS::EC2::NatGateway" => format!(
            "The maximum number of NAT gateways has been reached. (Service: Ec2, Status Code: 400, Request ID: {request})"
        ),
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => format!(
            "A load balancer cannot be attached to multiple subnets in the same Availability Zone (Service: ElasticLoadBalancingV2, Status Code: 400, Request ID: {request})"
        ),
        other => format!(
            "Simulated failure creating {other} (Service: Sandbox, Status Code: 400, Request ID: {request})"
        ),
    };
    format!(
        "Resource handler returned message: \"{detail}\" (RequestToken: {}, HandlerErrorCode: InvalidRequest)",
        ids::uuid(rng)
    )
}

/// The hosted zone Route53 alias records name for an ALB of the region (eu-west-2's).
const ALB_HOSTED_ZONE_ID: &str = "ZHURV8PSTC4K8";

/// An Elastic IP's allocation id, derived from its address (the EIP's physical id) so the
/// NAT gateway that names the allocation can find the address again.
pub(crate) fn allocation_id(public_ip: &str) -> String {
    let packed = public_ip
        .split('.')
        .filter_map(|octet| octet.parse::<u64>().ok())
        .fold(0u64, |acc, octet| acc * 256 + octet);
    format!("eipalloc-{packed:017x}")
}

/// A physical id in the style of the resource type.
fn physical_id(stack: &SimStack, logical: &str, definition: &Value, world: &mut World) -> String {
    let rng = &mut world.rng;
    // What it refers to is complete by now, so a name given by a Ref resolves.
    let prop = |name: &str| {
        definition
            .get("Properties")
            .and_then(|p| p.get(name))
            .map(|v| evaluate(stack, v))
            .and_then(|v| v.as_str().map(str::to_string))
    };
    let generated = |rng: &mut rand_chacha::ChaCha8Rng| {
        format!(
            "{}-{logical}-{}",
            stack.name,
            ids::alnum(rng, 12).to_uppercase()
        )
    };
    let stack = stack.name.as_str();
    let region_account = format!("{REGION}:{ACCOUNT_ID}");
    match resource_type(definition).as_str() {
        "AWS::EC2::VPC" => ids::resource(rng, "vpc"),
        "AWS::EC2::Subnet" => ids::resource(rng, "subnet"),
        "AWS::EC2::SecurityGroup" => ids::resource(rng, "sg"),
        "AWS::EC2::RouteTable" => ids::resource(rng, "rtb"),
        "AWS::EC2::InternetGateway" => ids::resource(rng, "igw"),
        "AWS::EC2::NatGateway" => ids::resource(rng, "nat"),
        "AWS::EC2::EIP" => format!(
            "3.{}.{}.{}",
            rng.random_range(1..255u8),
            rng.random_range(1..255u8),
            rng.random_range(1..255u8)
        ),
        "AWS::Logs::LogGroup" => prop("LogGroupName").unwrap_or_else(|| generated(rng)),
        "AWS::ECR::Repository" => {
            prop("RepositoryName").unwrap_or_else(|| generated(rng).to_lowercase())
        }
        "AWS::RDS::DBInstance" => prop("DBInstanceIdentifier")
            .map_or_else(|| generated(rng).to_lowercase(), |id| id.to_lowercase()),
        "AWS::ECS::Cluster" => prop("ClusterName").unwrap_or_else(|| generated(rng)),
        "AWS::IAM::Role" => prop("RoleName").unwrap_or_else(|| generated(rng)),
        // IAM names a provider by its issuer, so an account has one per issuer.
        "AWS::IAM::OIDCProvider" => format!(
            "arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{}",
            prop("Url")
                .unwrap_or_default()
                .trim_start_matches("https://")
                .trim_end_matches('/')
        ),
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => {
            let name = prop("Name").unwrap_or_else(|| format!("{stack}-alb"));
            elb_arn(&format!("loadbalancer/app/{name}/{}", ids::hex(rng, 16)))
        }
        "AWS::ElasticLoadBalancingV2::TargetGroup" => {
            let name = prop("Name").unwrap_or_else(|| format!("{stack}-tg"));
            elb_arn(&format!("targetgroup/{name}/{}", ids::hex(rng, 16)))
        }
        // A listener's ARN carries its load balancer's name and id.
        "AWS::ElasticLoadBalancingV2::Listener" => {
            let balancer = prop("LoadBalancerArn")
                .and_then(|arn| {
                    arn.split_once(":loadbalancer/")
                        .map(|(_, lb)| lb.to_string())
                })
                .unwrap_or_else(|| format!("app/{stack}-alb/{}", ids::hex(rng, 16)));
            elb_arn(&format!("listener/{balancer}/{}", ids::hex(rng, 16)))
        }
        "AWS::ECS::Service" => {
            let name = prop("ServiceName").unwrap_or_else(|| generated(rng));
            let cluster = prop("Cluster").map_or_else(
                || "default".to_string(),
                |c| crate::model::arn_name(&c).to_string(),
            );
            service_arn(&cluster, &name)
        }
        // The family's next revision: one deleted stack's revisions stay, INACTIVE.
        "AWS::ECS::TaskDefinition" => {
            let family = prop("Family").unwrap_or_else(|| generated(rng));
            task_definition_arn(&family, ecs::next_revision(world, &family))
        }
        "AWS::CertificateManager::Certificate" => certificate_arn(&ids::uuid(rng)),
        // Bucket names are global and lowercase: the stack's, the logical id's, a suffix.
        "AWS::S3::Bucket" => prop("BucketName").unwrap_or_else(|| {
            let suffix = ids::alnum(rng, 12).to_lowercase();
            let tail = format!("-{}-{suffix}", logical.to_lowercase());
            let head: String = stack.to_lowercase().chars().take(63 - tail.len()).collect();
            format!("{head}{tail}")
        }),
        "AWS::CloudFront::Distribution" | "AWS::CloudFront::OriginAccessControl" => {
            format!("E{}", ids::alnum(rng, 13).to_uppercase())
        }
        "AWS::SecretsManager::Secret" => format!(
            "arn:aws:secretsmanager:{region_account}:secret:{}-{}",
            generated(rng),
            ids::alnum(rng, 6)
        ),
        _ => generated(rng),
    }
}

/// The ARN the tagging API lists a stack resource under.
fn resource_arn(resource_type: &str, physical: &str) -> String {
    if physical.starts_with("arn:") {
        return physical.to_string();
    }
    let ra = format!("{REGION}:{ACCOUNT_ID}");
    match resource_type {
        "AWS::EC2::VPC" => format!("arn:aws:ec2:{ra}:vpc/{physical}"),
        "AWS::EC2::Subnet" => format!("arn:aws:ec2:{ra}:subnet/{physical}"),
        "AWS::EC2::SecurityGroup" => format!("arn:aws:ec2:{ra}:security-group/{physical}"),
        "AWS::EC2::RouteTable" => format!("arn:aws:ec2:{ra}:route-table/{physical}"),
        "AWS::EC2::InternetGateway" => format!("arn:aws:ec2:{ra}:internet-gateway/{physical}"),
        "AWS::EC2::NatGateway" => format!("arn:aws:ec2:{ra}:natgateway/{physical}"),
        "AWS::Logs::LogGroup" => format!("arn:aws:logs:{ra}:log-group:{physical}"),
        "AWS::ECR::Repository" => format!("arn:aws:ecr:{ra}:repository/{physical}"),
        "AWS::RDS::DBInstance" => format!("arn:aws:rds:{ra}:db:{physical}"),
        "AWS::RDS::DBSubnetGroup" => format!("arn:aws:rds:{ra}:subgrp:{physical}"),
        "AWS::ECS::Cluster" => format!("arn:aws:ecs:{ra}:cluster/{physical}"),
        "AWS::IAM::Role" => format!("arn:aws:iam::{ACCOUNT_ID}:role/{physical}"),
        "AWS::S3::Bucket" => format!("arn:aws:s3:::{physical}"),
        "AWS::CloudFront::Distribution" => distribution_arn(physical),
        "AWS::CloudFront::OriginAccessControl" => {
            format!("arn:aws:cloudfront::{ACCOUNT_ID}:origin-access-control/{physical}")
        }
        other => {
            let mut parts = other.split("::").skip(1);
            let service = parts.next().unwrap_or("unknown").to_lowercase();
            let kind = parts.next().unwrap_or("resource").to_lowercase();
            format!("arn:aws:{service}:{ra}:{kind}/{physical}")
        }
    }
}

/// Types that carry no tags on AWS, so the tagging API never lists them.
fn untaggable(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "AWS::EC2::VPCGatewayAttachment"
            | "AWS::EC2::Route"
            | "AWS::EC2::SubnetRouteTableAssociation"
            | "AWS::EC2::SecurityGroupIngress"
            | "AWS::EC2::SecurityGroupEgress"
            | "AWS::ElasticLoadBalancingV2::Listener"
            | "AWS::ElasticLoadBalancingV2::ListenerRule"
            | "AWS::IAM::Policy"
            | "AWS::S3::BucketPolicy"
            | "AWS::CloudFront::OriginAccessControl"
    )
}

fn needed_capability(template: &Template) -> Option<Capability> {
    let mut needed = None;
    for definition in template.resources.values() {
        let kind = resource_type(definition);
        if !kind.starts_with("AWS::IAM::") {
            continue;
        }
        let props = definition.get("Properties");
        let named = [
            "RoleName",
            "UserName",
            "GroupName",
            "ManagedPolicyName",
            "InstanceProfileName",
        ]
        .iter()
        .any(|k| props.and_then(|p| p.get(*k)).is_some());
        if named {
            return Some(Capability::NamedIam);
        }
        needed = Some(Capability::Iam);
    }
    needed
}

/// The Add / Modify / Remove per logical id between two templates.
fn diff(old: &Template, new: &Template, stack: Option<&SimStack>) -> Vec<ResourceChange> {
    let physical = |logical: &str| {
        stack
            .and_then(|s| s.resources.get(logical))
            .and_then(|r| r.physical_id.clone())
    };
    let mut changes = Vec::new();
    for (logical, definition) in &new.resources {
        match old.resources.get(logical) {
            None => changes.push(ResourceChange {
                action: ChangeAction::Add,
                logical_id: logical.clone(),
                physical_id: None,
                resource_type: resource_type(definition),
                replacement: None,
            }),
            Some(before) if before != definition => {
                let replaces = resource_type(before) != resource_type(definition)
                    || renamed(before, definition)
                    || always_replaced(definition);
                changes.push(ResourceChange {
                    action: ChangeAction::Modify,
                    logical_id: logical.clone(),
                    physical_id: physical(logical),
                    resource_type: resource_type(definition),
                    replacement: Some(if replaces {
                        Replacement::True
                    } else {
                        Replacement::False
                    }),
                });
            }
            Some(_) => {}
        }
    }
    for (logical, definition) in &old.resources {
        if !new.resources.contains_key(logical) {
            changes.push(ResourceChange {
                action: ChangeAction::Remove,
                logical_id: logical.clone(),
                physical_id: physical(logical),
                resource_type: resource_type(definition),
                replacement: None,
            });
        }
    }
    changes
}

/// A task definition is immutable: any change registers a new revision, a new ARN.
fn always_replaced(definition: &Value) -> bool {
    resource_type(definition) == "AWS::ECS::TaskDefinition"
}

/// Resources whose text did not change but whose inputs did: a parameter they refer to
/// has another value, or a resource they refer to is replaced and so has a new physical
/// id. CloudFormation updates them too (a new image tag reaches the service this way).
fn follow_inputs(
    changes: &mut Vec<ResourceChange>,
    new: &Template,
    stack: &SimStack,
    parameters: &[(String, String)],
) {
    let value = |list: &[(String, String)], name: &str| {
        list.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    };
    let mut changed: BTreeSet<String> = parameters
        .iter()
        .chain(&stack.parameters)
        .map(|(name, _)| name.clone())
        .filter(|name| value(parameters, name) != value(&stack.parameters, name))
        .collect();
    changed.extend(
        changes
            .iter()
            .filter(|c| c.replacement == Some(Replacement::True))
            .map(|c| c.logical_id.clone()),
    );
    loop {
        let more: Vec<ResourceChange> = new
            .resources
            .iter()
            .filter(|(logical, _)| stack.template.resources.contains_key(*logical))
            .filter(|(logical, _)| !changes.iter().any(|c| &c.logical_id == *logical))
            .filter(|(_, definition)| {
                dependencies(definition)
                    .iter()
                    .any(|dep| changed.contains(dep))
            })
            .map(|(logical, definition)| ResourceChange {
                action: ChangeAction::Modify,
                logical_id: logical.clone(),
                physical_id: stack
                    .resources
                    .get(logical)
                    .and_then(|r| r.physical_id.clone()),
                resource_type: resource_type(definition),
                replacement: Some(if always_replaced(definition) {
                    Replacement::True
                } else {
                    Replacement::False
                }),
            })
            .collect();
        if more.is_empty() {
            return;
        }
        changed.extend(
            more.iter()
                .filter(|c| c.replacement == Some(Replacement::True))
                .map(|c| c.logical_id.clone()),
        );
        changes.extend(more);
    }
}

/// Changing a resource's own name (or CIDR, engine) makes CloudFormation replace it.
fn renamed(before: &Value, after: &Value) -> bool {
    let props = |v: &Value| v.get("Properties").cloned().unwrap_or(Value::Null);
    let (b, a) = (props(before), props(after));
    [
        "Name",
        "RepositoryName",
        "LogGroupName",
        "DBInstanceIdentifier",
        "CidrBlock",
        "Engine",
        "ClusterName",
        "ServiceName",
        "RoleName",
    ]
    .iter()
    .any(|k| b.get(*k) != a.get(*k))
}

fn stack_event(
    world: &mut World,
    stack: &SimStack,
    logical: &str,
    physical: Option<String>,
    kind: &str,
    status: &str,
    reason: Option<String>,
) -> StackEvent {
    StackEvent {
        id: if kind == STACK_TYPE {
            ids::uuid(&mut world.rng)
        } else {
            format!("{logical}-{status}-{}", ids::uuid(&mut world.rng))
        },
        at: Some(world.now),
        logical_id: logical.to_string(),
        physical_id: physical,
        resource_type: kind.to_string(),
        status: status.to_string(),
        reason,
    }
    .with_stack(stack)
}

trait WithStack {
    fn with_stack(self, stack: &SimStack) -> Self;
}

impl WithStack for StackEvent {
    /// The stack's own events name the stack ARN as their physical id, as CloudFormation does.
    fn with_stack(mut self, stack: &SimStack) -> StackEvent {
        if self.resource_type == STACK_TYPE {
            self.physical_id = Some(stack.id.clone());
        }
        self
    }
}

fn push(stack: &mut SimStack, event: StackEvent) {
    stack.events.insert(0, event);
    stack.events.truncate(STACK_EVENTS_KEPT);
}

/// Sets the stack's status and records the stack's own event for it.
fn set_status(
    world: &mut World,
    stack: &mut SimStack,
    status: StackStatus,
    reason: Option<String>,
) {
    stack.status = status;
    stack.status_reason = reason.clone();
    let name = stack.name.clone();
    let event = stack_event(
        world,
        stack,
        &name,
        None,
        STACK_TYPE,
        status.as_str(),
        reason,
    );
    push(stack, event);
}

/// Finds a live stack by name or ARN.
fn live_name(world: &World, name_or_id: &str) -> Option<String> {
    if world.stacks.live.contains_key(name_or_id) {
        return Some(name_or_id.to_string());
    }
    world
        .stacks
        .live
        .values()
        .find(|s| s.id == name_or_id)
        .map(|s| s.name.clone())
}

fn model(stack: &SimStack) -> CfnStack {
    CfnStack {
        name: stack.name.clone(),
        id: stack.id.clone(),
        status: stack.status,
        status_reason: stack.status_reason.clone(),
        outputs: outputs(stack),
        tags: stack.tags.clone(),
        created_at: Some(stack.created_at),
    }
}

/// Outputs whose values resolve: Ref to a resource's physical id or a parameter, GetAtt
/// to something plausible, Fn::Sub with those substituted, literals as they are.
fn outputs(stack: &SimStack) -> Vec<(String, String)> {
    if !matches!(
        stack.status,
        StackStatus::CreateComplete
            | StackStatus::UpdateComplete
            | StackStatus::UpdateRollbackComplete
    ) {
        return Vec::new();
    }
    stack
        .template
        .outputs
        .iter()
        .filter_map(|(key, output)| {
            let value = resolve(stack, output.get("Value")?)?;
            Some((key.clone(), value))
        })
        .collect()
}

/// A template value with every intrinsic function in it evaluated against the stack, as
/// the resource handler receives its properties. What does not resolve becomes null.
pub(crate) fn evaluate(stack: &SimStack, value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| evaluate(stack, v)).collect()),
        Value::Object(map) if map.contains_key("Fn::GetAZs") => Value::Array(
            availability_zones()
                .into_iter()
                .map(Value::String)
                .collect(),
        ),
        Value::Object(map) if map.contains_key("Fn::Select") => {
            select(stack, &map["Fn::Select"]).unwrap_or(Value::Null)
        }
        Value::Object(map)
            if map.len() == 1 && map.keys().all(|k| k == "Ref" || k.starts_with("Fn::")) =>
        {
            resolve(stack, value).map_or(Value::Null, Value::String)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), evaluate(stack, v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What `Fn::GetAZs` answers: the region's zones, in order.
fn availability_zones() -> Vec<String> {
    ["a", "b", "c"]
        .iter()
        .map(|zone| format!("{REGION}{zone}"))
        .collect()
}

/// `Fn::Select: [index, list]`, the index a number or a numeric string.
fn select(stack: &SimStack, args: &Value) -> Option<Value> {
    let index = match evaluate(stack, args.get(0)?) {
        Value::Number(n) => usize::try_from(n.as_u64()?).ok()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    evaluate(stack, args.get(1)?).get(index).cloned()
}

fn resolve(stack: &SimStack, value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(map) => {
            if let Some(Value::String(name)) = map.get("Ref") {
                return reference(stack, name, None);
            }
            if let Some(att) = map.get("Fn::GetAtt") {
                let (name, attr) = match att {
                    Value::Array(parts) => (
                        parts.first()?.as_str()?.to_string(),
                        parts.get(1)?.as_str()?.to_string(),
                    ),
                    Value::String(path) => {
                        let (n, a) = path.split_once('.')?;
                        (n.to_string(), a.to_string())
                    }
                    _ => return None,
                };
                return reference(stack, &name, Some(&attr));
            }
            if let Some(sub) = map.get("Fn::Sub") {
                let text = match sub {
                    Value::String(s) => s.clone(),
                    Value::Array(parts) => parts.first()?.as_str()?.to_string(),
                    _ => return None,
                };
                let mut names = BTreeSet::new();
                sub_names(&text, &mut names);
                let mut out = text
                    .replace("${AWS::Region}", REGION)
                    .replace("${AWS::AccountId}", ACCOUNT_ID)
                    .replace("${AWS::Partition}", "aws")
                    .replace("${AWS::StackName}", &stack.name);
                let mut full = BTreeSet::new();
                let mut rest = text.as_str();
                while let Some(start) = rest.find("${") {
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { break };
                    full.insert(after[..end].to_string());
                    rest = &after[end + 1..];
                }
                for token in full {
                    if token.starts_with("AWS::") || token.starts_with('!') {
                        continue;
                    }
                    let (name, attr) = match token.split_once('.') {
                        Some((n, a)) => (n.to_string(), Some(a.to_string())),
                        None => (token.clone(), None),
                    };
                    let resolved = reference(stack, &name, attr.as_deref())?;
                    out = out.replace(&format!("${{{token}}}"), &resolved);
                }
                return Some(out);
            }
            if let Some(args) = map.get("Fn::Select") {
                return select(stack, args)?.as_str().map(str::to_string);
            }
            if let Some(Value::Array(parts)) = map.get("Fn::Join") {
                let sep = parts.first()?.as_str()?;
                let items = parts.get(1)?.as_array()?;
                let resolved: Option<Vec<String>> =
                    items.iter().map(|i| resolve(stack, i)).collect();
                return Some(resolved?.join(sep));
            }
            None
        }
        _ => None,
    }
}

/// A `Ref` (no attribute) or `Fn::GetAtt`: a parameter's value, a resource's physical id,
/// or the attribute derived from it, the same each time it is asked for.
pub(crate) fn reference(stack: &SimStack, name: &str, attr: Option<&str>) -> Option<String> {
    match name {
        "AWS::Region" => return Some(REGION.to_string()),
        "AWS::AccountId" => return Some(ACCOUNT_ID.to_string()),
        "AWS::Partition" => return Some("aws".to_string()),
        "AWS::StackName" => return Some(stack.name.clone()),
        _ => {}
    }
    if let Some((_, value)) = stack.parameters.iter().find(|(k, _)| k == name) {
        return Some(value.clone());
    }
    let resource = stack.resources.get(name)?;
    let physical = resource.physical_id.clone()?;
    let Some(attr) = attr else {
        return Some(physical);
    };
    Some(match (resource.resource_type.as_str(), attr) {
        (_, "Arn") => resource_arn(&resource.resource_type, &physical),
        ("AWS::ElasticLoadBalancingV2::LoadBalancer", "DNSName") => {
            let name = physical.split('/').nth(2).unwrap_or("alb");
            format!(
                "{name}-{}.{REGION}.elb.amazonaws.com",
                physical.len() * 7919
            )
        }
        ("AWS::RDS::DBInstance", "Endpoint.Address") => {
            format!("{physical}.c9akciq32.{REGION}.rds.amazonaws.com")
        }
        ("AWS::RDS::DBInstance", "Endpoint.Port") => "5432".to_string(),
        ("AWS::RDS::DBInstance", "MasterUserSecret.SecretArn") => {
            format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:rds!db-{physical}")
        }
        ("AWS::ElasticLoadBalancingV2::LoadBalancer", "CanonicalHostedZoneID") => {
            ALB_HOSTED_ZONE_ID.to_string()
        }
        // `app/<name>/<id>` and `targetgroup/<name>/<id>`: the ARN after its resource type,
        // as CloudWatch's dimensions want them.
        ("AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerFullName") => physical
            .split_once(":loadbalancer/")
            .map_or(physical.clone(), |(_, full)| full.to_string()),
        ("AWS::ElasticLoadBalancingV2::TargetGroup", "TargetGroupFullName") => physical
            .rsplit_once(':')
            .map_or(physical.clone(), |(_, full)| full.to_string()),
        ("AWS::ECS::Service", "Name") => crate::model::arn_name(&physical).to_string(),
        ("AWS::EC2::EIP", "AllocationId") => allocation_id(&physical),
        ("AWS::ECR::Repository", "RepositoryUri") => {
            format!("{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/{physical}")
        }
        (_, "GroupId") => physical,
        ("AWS::S3::Bucket", "RegionalDomainName") => bucket_regional_domain(&physical),
        ("AWS::S3::Bucket", "DomainName") => format!("{physical}.s3.amazonaws.com"),
        ("AWS::CloudFront::Distribution", "DomainName") => distribution_domain(&physical),
        ("AWS::CloudFront::Distribution" | "AWS::CloudFront::OriginAccessControl", "Id") => {
            physical
        }
        _ => format!("{physical}.{attr}"),
    })
}

// ---------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------

pub(crate) fn describe_stack(world: &World, name: &str) -> Option<CfnStack> {
    if let Some(live) = live_name(world, name) {
        return world.stacks.live.get(&live).map(model);
    }
    // A deleted stack answers only by its ARN, as on AWS.
    world
        .stacks
        .deleted
        .iter()
        .rev()
        .find(|s| s.id == name)
        .map(model)
}

pub(crate) fn create_change_set(
    world: &mut World,
    request: &ChangeSetRequest,
) -> CloudResult<(String, String)> {
    const OP: &str = "cloudformation:CreateChangeSet";
    let template = parse_template(&request.template_body)
        .map_err(|m| rejected(OP, format!("ValidationError: {m}")))?;
    if let Some(needed) = needed_capability(&template) {
        let has = request.capabilities.contains(&needed)
            || (needed == Capability::Iam && request.capabilities.contains(&Capability::NamedIam));
        if !has {
            return Err(rejected(
                OP,
                format!(
                    "InsufficientCapabilities: Requires capabilities : [{}]: the template creates IAM resources; acknowledge {} to go on",
                    needed.as_str(),
                    needed.as_str()
                ),
            ));
        }
    }
    let existing = live_name(world, &request.stack);
    if let Some(name) = &existing
        && let Some(stack) = world.stacks.live.get(name)
        && stack
            .change_sets
            .iter()
            .any(|c| c.name == request.change_set_name)
    {
        return Err(rejected(
            OP,
            format!(
                "AlreadyExistsException: ChangeSet {} already exists: pick another change-set name, or delete the old change set first",
                request.change_set_name
            ),
        ));
    }
    let stack_name = match (request.kind, existing) {
        (ChangeSetKind::Create, Some(name)) => {
            let status = world.stacks.live.get(&name).map(|s| s.status);
            if status != Some(StackStatus::ReviewInProgress) {
                let hint = if status == Some(StackStatus::RollbackComplete) {
                    "; it is in ROLLBACK_COMPLETE: delete it before creating it again"
                } else {
                    "; use an UPDATE change set"
                };
                return Err(rejected(
                    OP,
                    format!(
                        "ValidationError: Stack [{name}] already exists and cannot be created again with the changeSet [{}]{hint}",
                        request.change_set_name
                    ),
                ));
            }
            name
        }
        (ChangeSetKind::Create, None) => {
            let name = request.stack.clone();
            let id = format!(
                "arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{name}/{}",
                ids::uuid(&mut world.rng)
            );
            let mut stack = SimStack {
                name: name.clone(),
                id,
                status: StackStatus::ReviewInProgress,
                status_reason: None,
                created_at: world.now,
                tags: request.tags.clone(),
                parameters: Vec::new(),
                template_body: None,
                template: Template::default(),
                resources: BTreeMap::new(),
                change_sets: Vec::new(),
                events: Vec::new(),
                operation: None,
            };
            set_status(
                world,
                &mut stack,
                StackStatus::ReviewInProgress,
                Some("User Initiated".to_string()),
            );
            world.stacks.live.insert(name.clone(), stack);
            name
        }
        (ChangeSetKind::Update, None) => {
            return Err(stack_not_found(&request.stack));
        }
        (ChangeSetKind::Update, Some(name)) => {
            let status = world.stacks.live.get(&name).map(|s| s.status);
            match status {
                Some(StackStatus::ReviewInProgress) => {
                    return Err(rejected(
                        OP,
                        format!(
                            "ValidationError: Stack [{name}] does not exist yet (REVIEW_IN_PROGRESS): use a CREATE change set"
                        ),
                    ));
                }
                Some(s)
                    if s.is_in_progress()
                        || matches!(
                            s,
                            StackStatus::RollbackComplete
                                | StackStatus::RollbackFailed
                                | StackStatus::DeleteFailed
                        ) =>
                {
                    return Err(rejected(
                        OP,
                        format!(
                            "ValidationError: Stack:{name} is in {s} state and can not be updated."
                        ),
                    ));
                }
                _ => {}
            }
            name
        }
    };
    let Some(stack) = world.stacks.live.get(&stack_name) else {
        return Err(stack_not_found(&request.stack));
    };
    // CloudFormation records every parameter, a defaulted one with its default.
    let mut parameters = request.parameters.clone();
    for name in &request.previous_parameters {
        if let Some(kept) = stack.parameters.iter().find(|(n, _)| n == name) {
            parameters.push(kept.clone());
        }
    }
    for (name, default) in &template.defaults {
        if !parameters.iter().any(|(n, _)| n == name) {
            parameters.push((name.clone(), default.clone()));
        }
    }
    let mut changes = diff(&stack.template, &template, Some(stack));
    follow_inputs(&mut changes, &template, stack, &parameters);
    let same_inputs = stack.parameters == parameters
        && (request.kind == ChangeSetKind::Create
            || request.tags.is_empty()
            || stack.tags == request.tags);
    let failure = (changes.is_empty() && same_inputs).then(|| NO_CHANGES.to_string());
    let stack_id = stack.id.clone();
    let id = format!(
        "arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:changeSet/{}/{}",
        request.change_set_name,
        ids::uuid(&mut world.rng)
    );
    let change_set = SimChangeSet {
        id: id.clone(),
        name: request.change_set_name.clone(),
        ready_at: world.now + CHANGE_SET_COMPUTE,
        failure,
        execution_status: "UNAVAILABLE",
        changes,
        template_body: request.template_body.clone(),
        template,
        parameters,
        tags: if request.tags.is_empty() {
            stack.tags.clone()
        } else {
            request.tags.clone()
        },
    };
    if let Some(stack) = world.stacks.live.get_mut(&stack_name) {
        stack.change_sets.push(change_set);
    }
    Ok((id, stack_id))
}

fn find_change_set<'a>(
    world: &'a World,
    stack: &str,
    change_set: &str,
) -> CloudResult<(&'a SimStack, usize)> {
    let name = live_name(world, stack).ok_or_else(|| stack_not_found(stack))?;
    let s = world
        .stacks
        .live
        .get(&name)
        .ok_or_else(|| stack_not_found(stack))?;
    let index = s
        .change_sets
        .iter()
        .position(|c| c.name == change_set || c.id == change_set)
        .ok_or_else(|| CloudError::NotFound {
            kind: "change set",
            name: change_set.to_string(),
            hint: Some(format!("ChangeSet [{change_set}] does not exist")),
        })?;
    Ok((s, index))
}

pub(crate) fn describe_change_set(
    world: &World,
    stack: &str,
    change_set: &str,
) -> CloudResult<ChangeSet> {
    let (s, index) = find_change_set(world, stack, change_set)?;
    let c = &s.change_sets[index];
    let ready = world.now >= c.ready_at;
    let (status, reason, execution) = match (&c.failure, ready) {
        (_, false) => (ChangeSetStatus::CreateInProgress, None, "UNAVAILABLE"),
        (Some(reason), true) => (ChangeSetStatus::Failed, Some(reason.clone()), "UNAVAILABLE"),
        (None, true) if c.execution_status == "UNAVAILABLE" => {
            (ChangeSetStatus::CreateComplete, None, "AVAILABLE")
        }
        (None, true) => (ChangeSetStatus::CreateComplete, None, c.execution_status),
    };
    Ok(ChangeSet {
        id: c.id.clone(),
        stack_id: s.id.clone(),
        status,
        status_reason: reason,
        execution_status: Some(execution.to_string()),
        changes: if ready { c.changes.clone() } else { Vec::new() },
    })
}

pub(crate) fn execute_change_set(
    world: &mut World,
    stack: &str,
    change_set: &str,
) -> CloudResult<()> {
    const OP: &str = "cloudformation:ExecuteChangeSet";
    let (s, index) = find_change_set(world, stack, change_set)?;
    let c = &s.change_sets[index];
    if world.now < c.ready_at || c.failure.is_some() || c.execution_status != "UNAVAILABLE" {
        return Err(rejected(
            OP,
            format!(
                "InvalidChangeSetStatus: ChangeSet [{}] cannot be executed in its current status: the change set is not AVAILABLE (still being computed, failed, or already executed)",
                c.name
            ),
        ));
    }
    if s.status.is_in_progress() {
        return Err(rejected(
            OP,
            format!(
                "ValidationError: Stack:{} is in {} state and can not be updated.",
                s.name, s.status
            ),
        ));
    }
    let name = s.name.clone();
    let Some(mut stack) = world.stacks.live.remove(&name) else {
        return Err(stack_not_found(stack));
    };
    let c = stack.change_sets[index].clone();
    // Executing one change set deletes the stack's other change sets, as on AWS; the
    // executed one stays describable with its execution status.
    stack.change_sets.retain(|other| other.id == c.id);
    for executed in &mut stack.change_sets {
        executed.execution_status = "EXECUTE_IN_PROGRESS";
    }
    let creating = stack.status == StackStatus::ReviewInProgress;
    stack.parameters = c.parameters.clone();
    stack.tags = c.tags.clone();
    let previous = stack.template.clone();
    let mut tasks = Vec::new();
    let mut removals = Vec::new();
    for change in &c.changes {
        let work = match change.action {
            ChangeAction::Add => Work::Create,
            ChangeAction::Modify => Work::Update,
            ChangeAction::Remove => {
                removals.push(change.logical_id.clone());
                continue;
            }
            ChangeAction::Import | ChangeAction::Dynamic => continue,
        };
        tasks.push(ResourceTask {
            logical_id: change.logical_id.clone(),
            work,
            waits_for: Vec::new(),
            done_at: None,
            finished: false,
            fails: None,
        });
    }
    let in_plan: BTreeSet<String> = tasks.iter().map(|t| t.logical_id.clone()).collect();
    for task in &mut tasks {
        if let Some(definition) = c.template.resources.get(&task.logical_id) {
            task.waits_for = dependencies(definition)
                .into_iter()
                .filter(|d| in_plan.contains(d))
                .collect();
        }
    }
    let status = if creating {
        StackStatus::CreateInProgress
    } else {
        StackStatus::UpdateInProgress
    };
    set_status(
        world,
        &mut stack,
        status,
        Some("User Initiated".to_string()),
    );
    stack.operation = Some(Operation {
        creating,
        phase: Phase::Apply,
        tasks,
        target: c.template.clone(),
        target_body: c.template_body.clone(),
        previous,
        removals,
    });
    world.stacks.live.insert(name, stack);
    Ok(())
}

pub(crate) fn delete_change_set(
    world: &mut World,
    stack: &str,
    change_set: &str,
) -> CloudResult<()> {
    let (s, index) = find_change_set(world, stack, change_set)?;
    let name = s.name.clone();
    // A stack in REVIEW_IN_PROGRESS that loses its last change set stays until deleted, as
    // on AWS.
    if let Some(s) = world.stacks.live.get_mut(&name) {
        s.change_sets.remove(index);
    }
    Ok(())
}

pub(crate) fn stack_events(
    world: &World,
    stack: &str,
    after: Option<&str>,
) -> CloudResult<Vec<StackEvent>> {
    let s = match live_name(world, stack) {
        Some(name) => world.stacks.live.get(&name),
        None => world.stacks.deleted.iter().rev().find(|s| s.id == stack),
    }
    .ok_or_else(|| stack_not_found(stack))?;
    Ok(s.events
        .iter()
        .take_while(|e| after != Some(e.id.as_str()))
        .cloned()
        .collect())
}

pub(crate) fn stack_resources(world: &World, stack: &str) -> CloudResult<Vec<StackResource>> {
    let name = live_name(world, stack).ok_or_else(|| stack_not_found(stack))?;
    let s = world
        .stacks
        .live
        .get(&name)
        .ok_or_else(|| stack_not_found(stack))?;
    Ok(s.resources
        .values()
        .map(|r| StackResource {
            logical_id: r.logical_id.clone(),
            physical_id: r.physical_id.clone(),
            resource_type: r.resource_type.clone(),
            status: r.status.clone(),
        })
        .collect())
}

pub(crate) fn get_template(world: &World, stack: &str) -> CloudResult<String> {
    let name = live_name(world, stack).ok_or_else(|| stack_not_found(stack))?;
    let s = world
        .stacks
        .live
        .get(&name)
        .ok_or_else(|| stack_not_found(stack))?;
    // A stack under review has only its change set's template, which GetTemplate returns.
    s.template_body
        .clone()
        .or_else(|| s.change_sets.last().map(|c| c.template_body.clone()))
        .ok_or_else(|| stack_not_found(stack))
}

pub(crate) fn delete_stack(world: &mut World, name: &str) -> CloudResult<()> {
    // Deleting a stack that does not exist succeeds quietly on AWS.
    let Some(live) = live_name(world, name) else {
        return Ok(());
    };
    let Some(mut stack) = world.stacks.live.remove(&live) else {
        return Ok(());
    };
    if stack.status == StackStatus::DeleteInProgress {
        world.stacks.live.insert(live, stack);
        return Ok(());
    }
    if stack.status.is_in_progress() {
        let status = stack.status;
        world.stacks.live.insert(live, stack);
        return Err(rejected(
            "cloudformation:DeleteStack",
            format!("ValidationError: Stack [{name}] cannot be deleted while in status {status}"),
        ));
    }
    stack.change_sets.clear();
    set_status(
        world,
        &mut stack,
        StackStatus::DeleteInProgress,
        Some("User Initiated".to_string()),
    );
    let logical: Vec<String> = stack
        .resources
        .values()
        .filter(|r| !r.status.ends_with("DELETE_COMPLETE"))
        .map(|r| r.logical_id.clone())
        .collect();
    let tasks = delete_tasks(&stack, &logical);
    let template = stack.template.clone();
    let body = stack.template_body.clone().unwrap_or_default();
    stack.operation = Some(Operation {
        creating: false,
        phase: Phase::Delete,
        tasks,
        target: template.clone(),
        target_body: body,
        previous: template,
        removals: Vec::new(),
    });
    world.stacks.live.insert(live, stack);
    Ok(())
}

/// Delete tasks for `logical`: each waits for the resources (among them) that depend on it.
fn delete_tasks(stack: &SimStack, logical: &[String]) -> Vec<ResourceTask> {
    let set: BTreeSet<&String> = logical.iter().collect();
    logical
        .iter()
        .map(|id| {
            let dependents = stack
                .resources
                .values()
                .filter(|r| set.contains(&r.logical_id) && &r.logical_id != id)
                .filter(|r| dependencies(&r.definition).contains(id))
                .map(|r| r.logical_id.clone())
                .collect();
            ResourceTask {
                logical_id: id.clone(),
                work: Work::Delete,
                waits_for: dependents,
                done_at: None,
                finished: false,
                fails: None,
            }
        })
        .collect()
}

pub(crate) fn resources_tagged(world: &World, key: &str, value: &str) -> Vec<TaggedResource> {
    let mut found = Vec::new();
    for stack in world.stacks.live.values() {
        if !stack.tags.iter().any(|(k, v)| k == key && v == value) {
            continue;
        }
        for r in stack.resources.values() {
            let exists = r.status.ends_with("_COMPLETE") && !r.status.starts_with("DELETE");
            if let (true, false, Some(physical)) =
                (exists, untaggable(&r.resource_type), &r.physical_id)
            {
                found.push(TaggedResource::from_arn(&resource_arn(
                    &r.resource_type,
                    physical,
                )));
            }
        }
    }
    for (arn, tags) in &world.stacks.extra_tags {
        if tags.iter().any(|(k, v)| k == key && v == value) {
            found.push(TaggedResource::from_arn(arn));
        }
    }
    found
}

// ---------------------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------------------

/// One virtual second of every stack's operation.
pub(crate) fn progress(world: &mut World) {
    let busy: Vec<String> = world
        .stacks
        .live
        .iter()
        .filter(|(_, s)| s.operation.is_some())
        .map(|(name, _)| name.clone())
        .collect();
    for name in busy {
        let Some(mut stack) = world.stacks.live.remove(&name) else {
            continue;
        };
        step_stack(world, &mut stack);
        if stack.status == StackStatus::DeleteComplete {
            world.stacks.deleted.push(stack);
            if world.stacks.deleted.len() > DELETED_STACKS_KEPT {
                world.stacks.deleted.remove(0);
            }
        } else {
            world.stacks.live.insert(name, stack);
        }
    }
}

fn step_stack(world: &mut World, stack: &mut SimStack) {
    let Some(mut op) = stack.operation.take() else {
        return;
    };
    let now = world.now;
    // Finish what is due, in plan order so events come out stable.
    let mut failed: Option<(String, String)> = None;
    for i in 0..op.tasks.len() {
        let task = &op.tasks[i];
        if task.finished || task.done_at.is_none_or(|at| at > now) {
            continue;
        }
        let task = task.clone();
        op.tasks[i].finished = true;
        let outcome = match &task.fails {
            Some(reason) => Err(reason.clone()),
            None => finish_task(world, stack, &op, &task),
        };
        if let Err(reason) = outcome {
            failed.get_or_insert((task.logical_id.clone(), reason.clone()));
            let status = match task.work {
                Work::Create => "CREATE_FAILED",
                Work::Update => "UPDATE_FAILED",
                Work::Delete => "DELETE_FAILED",
            };
            resource_event(world, stack, &task.logical_id, status, Some(reason.clone()));
            op.tasks[i].fails = Some(reason);
        }
    }
    if op.phase == Phase::Delete {
        // A resource that would not go (a bucket with objects in it) fails the delete once
        // what is already being deleted has finished; the stack keeps what is left.
        let refused: Vec<String> = op
            .tasks
            .iter()
            .filter(|t| t.finished && t.fails.is_some())
            .map(|t| t.logical_id.clone())
            .collect();
        if !refused.is_empty() {
            let in_flight = op.tasks.iter().any(|t| t.done_at.is_some() && !t.finished);
            if in_flight {
                stack.operation = Some(op);
            } else {
                set_status(
                    world,
                    stack,
                    StackStatus::DeleteFailed,
                    Some(format!(
                        "The following resource(s) failed to delete: [{}]. ",
                        refused.join(", ")
                    )),
                );
            }
            return;
        }
    } else if let Some((logical, _)) = failed {
        start_rollback(world, stack, &mut op, &logical);
        stack.operation = Some(op);
        return;
    }
    // Start what is ready.
    for i in 0..op.tasks.len() {
        let ready = {
            let task = &op.tasks[i];
            task.done_at.is_none()
                && task.waits_for.iter().all(|w| {
                    op.tasks.iter().any(|t| &t.logical_id == w && t.finished)
                        || !op.tasks.iter().any(|t| &t.logical_id == w)
                })
        };
        if ready {
            let task = op.tasks[i].clone();
            let (duration, fails) = start_task(world, stack, &op, &task);
            op.tasks[i].done_at = Some(now + duration);
            op.tasks[i].fails = fails;
        }
    }
    if op.tasks.iter().all(|t| t.finished) {
        match next_phase(world, stack, &mut op) {
            true => stack.operation = Some(op),
            false => stack.operation = None,
        }
    } else {
        stack.operation = Some(op);
    }
}

fn resource_event(
    world: &mut World,
    stack: &mut SimStack,
    logical: &str,
    status: &str,
    reason: Option<String>,
) {
    let (physical, kind) = match stack.resources.get(logical) {
        Some(r) => (r.physical_id.clone(), r.resource_type.clone()),
        None => (None, String::new()),
    };
    if let Some(r) = stack.resources.get_mut(logical) {
        r.status = status.to_string();
    }
    let event = stack_event(world, stack, logical, physical, &kind, status, reason);
    push(stack, event);
}

/// Starts a task: its IN_PROGRESS event; answers how long it takes and whether it fails.
fn start_task(
    world: &mut World,
    stack: &mut SimStack,
    op: &Operation,
    task: &ResourceTask,
) -> (Millis, Option<String>) {
    let definition = match task.work {
        Work::Delete => stack
            .resources
            .get(&task.logical_id)
            .map(|r| r.definition.clone()),
        _ => op.target.resources.get(&task.logical_id).cloned(),
    }
    .unwrap_or(Value::Null);
    let kind = resource_type(&definition);
    let (from, to) = match task.work {
        Work::Delete => delete_seconds(&kind),
        _ => create_seconds(&kind),
    };
    let duration = world.rng.random_range(from..=to) * 1000;
    let retain = task.work == Work::Delete && deletion_policy(&definition) == Some("Retain");
    if retain {
        // Retained resources are skipped at once and stay in the account.
        return (0, None);
    }
    let status = match task.work {
        Work::Create => "CREATE_IN_PROGRESS",
        Work::Update => "UPDATE_IN_PROGRESS",
        Work::Delete => "DELETE_IN_PROGRESS",
    };
    if task.work == Work::Create {
        let physical = physical_id(stack, &task.logical_id, &definition, world);
        stack.resources.insert(
            task.logical_id.clone(),
            SimResource {
                logical_id: task.logical_id.clone(),
                resource_type: kind.clone(),
                physical_id: None,
                status: status.to_string(),
                definition: definition.clone(),
                materialised: false,
                superseded: None,
            },
        );
        resource_event(world, stack, &task.logical_id, status, None);
        // CloudFormation names the physical resource in a second IN_PROGRESS event.
        if let Some(r) = stack.resources.get_mut(&task.logical_id) {
            r.physical_id = Some(physical);
        }
        resource_event(
            world,
            stack,
            &task.logical_id,
            status,
            Some("Resource creation Initiated".to_string()),
        );
    } else {
        resource_event(world, stack, &task.logical_id, status, None);
    }
    let fails = if task.work != Work::Delete
        && let Some(at) = world.stacks.fail_next.iter().position(|t| *t == kind)
    {
        world.stacks.fail_next.remove(at);
        Some(failure_reason(&kind, &mut world.rng))
    } else {
        None
    };
    (duration, fails)
}

fn deletion_policy(definition: &Value) -> Option<&str> {
    definition.get("DeletionPolicy").and_then(Value::as_str)
}

/// Completes a task: the resource takes its place in the account, then its event. A
/// resource the account refuses (a record set in a zone it does not have) fails instead,
/// with the reason CloudFormation would give.
fn finish_task(
    world: &mut World,
    stack: &mut SimStack,
    op: &Operation,
    task: &ResourceTask,
) -> Result<(), String> {
    match task.work {
        Work::Create => {
            materialise::created(world, stack, &task.logical_id)?;
            resource_event(world, stack, &task.logical_id, "CREATE_COMPLETE", None);
        }
        Work::Update => {
            let definition = match op.phase {
                Phase::Rollback => op.previous.resources.get(&task.logical_id),
                _ => op.target.resources.get(&task.logical_id),
            }
            .cloned();
            let mut before = Value::Null;
            if let (Some(r), Some(d)) = (stack.resources.get_mut(&task.logical_id), definition) {
                before = std::mem::replace(&mut r.definition, d);
            }
            let rolling_back = op.phase == Phase::Rollback;
            materialise::updated(world, stack, &task.logical_id, &before, rolling_back)?;
            resource_event(world, stack, &task.logical_id, "UPDATE_COMPLETE", None);
        }
        Work::Delete => {
            let Some(resource) = stack.resources.get(&task.logical_id).cloned() else {
                return Ok(());
            };
            if deletion_policy(&resource.definition) != Some("Retain") {
                materialise::deleted(world, stack, &task.logical_id)?;
            }
            match deletion_policy(&resource.definition) {
                Some("Retain") => {
                    resource_event(world, stack, &task.logical_id, "DELETE_SKIPPED", None);
                    // The retained resource outlives the stack and keeps the stack's tags.
                    if let Some(physical) = &resource.physical_id
                        && !untaggable(&resource.resource_type)
                    {
                        world.stacks.extra_tags.insert(
                            resource_arn(&resource.resource_type, physical),
                            stack.tags.clone(),
                        );
                    }
                }
                Some("Snapshot")
                    if resource.resource_type == "AWS::RDS::DBInstance"
                        && op.phase == Phase::Delete =>
                {
                    final_snapshot(world, stack, &resource);
                    resource_event(world, stack, &task.logical_id, "DELETE_COMPLETE", None);
                }
                _ => resource_event(world, stack, &task.logical_id, "DELETE_COMPLETE", None),
            }
            stack.resources.remove(&task.logical_id);
        }
    }
    Ok(())
}

/// The final snapshot a DB instance with `DeletionPolicy: Snapshot` leaves behind.
fn final_snapshot(world: &mut World, stack: &SimStack, resource: &SimResource) {
    let Some(instance) = resource.physical_id.clone() else {
        return;
    };
    if world.db_snapshots.len() >= MANUAL_SNAPSHOT_QUOTA {
        return;
    }
    // AWS names a final snapshot after the stack and resource; a fixed name (with a
    // counter when taken) lets a user, and a test, find it again.
    let base = format!(
        "{}-{}-final",
        stack.name.to_lowercase(),
        resource.logical_id.to_lowercase()
    );
    let mut id = base.clone();
    let mut n = 1;
    while world.db_snapshots.iter().any(|s| s.snapshot.id == id) {
        n += 1;
        id = format!("{base}-{n}");
    }
    // With CopyTagsToSnapshot the snapshot keeps the stack's tags, so the tagging API
    // still finds what the stack left behind.
    let copies_tags = resource
        .definition
        .pointer("/Properties/CopyTagsToSnapshot")
        .is_some_and(|v| v == &Value::Bool(true) || v == "true");
    if copies_tags {
        world
            .stacks
            .extra_tags
            .insert(db_snapshot_arn(&id), stack.tags.clone());
    }
    world.db_snapshots.push(SimSnapshot {
        snapshot: DbSnapshot {
            id,
            instance,
            status: "available".to_string(),
            created_at: Some(world.now),
        },
        ready_at: world.now,
    });
}

fn start_rollback(world: &mut World, stack: &mut SimStack, op: &mut Operation, failed: &str) {
    // What was still being created is cancelled.
    for i in 0..op.tasks.len() {
        let task = op.tasks[i].clone();
        if task.done_at.is_some() && !task.finished {
            op.tasks[i].finished = true;
            let status = if task.work == Work::Create {
                "CREATE_FAILED"
            } else {
                "UPDATE_FAILED"
            };
            let reason = if task.work == Work::Create {
                "Resource creation cancelled"
            } else {
                "Resource update cancelled"
            };
            resource_event(
                world,
                stack,
                &task.logical_id,
                status,
                Some(reason.to_string()),
            );
        }
    }
    let verb = if op.creating { "create" } else { "update" };
    let reason = format!(
        "The following resource(s) failed to {verb}: [{failed}]. Rollback requested by user."
    );
    let status = if op.creating {
        StackStatus::RollbackInProgress
    } else {
        StackStatus::UpdateRollbackInProgress
    };
    set_status(world, stack, status, Some(reason));
    // Created resources go; updated ones return to the previous template.
    let created: Vec<String> = op
        .tasks
        .iter()
        .filter(|t| t.work == Work::Create && t.done_at.is_some())
        .map(|t| t.logical_id.clone())
        .collect();
    let mut tasks = delete_tasks(stack, &created);
    let updated: BTreeSet<String> = op
        .tasks
        .iter()
        .filter(|t| t.work == Work::Update && t.done_at.is_some())
        .map(|t| t.logical_id.clone())
        .collect();
    // Returning to the old definitions goes in dependency order too: a service reverts
    // once its task definition is back on the old revision.
    for logical in &updated {
        let waits_for = op
            .previous
            .resources
            .get(logical)
            .map(dependencies)
            .unwrap_or_default()
            .into_iter()
            .filter(|d| updated.contains(d) && d != logical)
            .collect();
        tasks.push(ResourceTask {
            logical_id: logical.clone(),
            work: Work::Update,
            waits_for,
            done_at: None,
            finished: false,
            fails: None,
        });
    }
    op.phase = Phase::Rollback;
    op.tasks = tasks;
    op.removals.clear();
}

/// Moves to the next phase when every task of this one is done; false when the operation ended.
fn next_phase(world: &mut World, stack: &mut SimStack, op: &mut Operation) -> bool {
    let executed = match op.phase {
        Phase::Apply if !op.removals.is_empty() => None,
        Phase::Apply | Phase::Cleanup => Some("EXECUTE_COMPLETE"),
        Phase::Rollback => Some("EXECUTE_FAILED"),
        Phase::Delete => None,
    };
    if let Some(execution) = executed {
        for c in &mut stack.change_sets {
            c.execution_status = execution;
        }
    }
    match op.phase {
        Phase::Apply if !op.removals.is_empty() => {
            stack.template = op.target.clone();
            stack.template_body = Some(op.target_body.clone());
            set_status(
                world,
                stack,
                StackStatus::UpdateCompleteCleanupInProgress,
                None,
            );
            op.tasks = delete_tasks(stack, &op.removals);
            op.removals.clear();
            op.phase = Phase::Cleanup;
            true
        }
        Phase::Apply | Phase::Cleanup => {
            stack.template = op.target.clone();
            stack.template_body = Some(op.target_body.clone());
            materialise::cleaned_up(world, stack);
            let status = if op.creating {
                StackStatus::CreateComplete
            } else {
                StackStatus::UpdateComplete
            };
            set_status(world, stack, status, None);
            false
        }
        Phase::Rollback => {
            if op.creating {
                stack.template = Template::default();
                set_status(world, stack, StackStatus::RollbackComplete, None);
            } else {
                stack.template = op.previous.clone();
                set_status(world, stack, StackStatus::UpdateRollbackComplete, None);
            }
            false
        }
        Phase::Delete => {
            set_status(world, stack, StackStatus::DeleteComplete, None);
            false
        }
    }
}

/// The OpenID Connect providers the account's stacks made (the sandbox has no others).
pub(crate) fn oidc_providers(world: &World) -> Vec<crate::model::OidcProvider> {
    world
        .stacks
        .live
        .values()
        .flat_map(|stack| stack.resources.values())
        .filter(|r| r.resource_type == "AWS::IAM::OIDCProvider" && r.materialised)
        .filter_map(|r| {
            let arn = r.physical_id.clone()?;
            let properties = r.definition.get("Properties");
            let url = properties
                .and_then(|p| p.get("Url"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim_start_matches("https://")
                .to_string();
            let client_ids = properties
                .and_then(|p| p.get("ClientIdList"))
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            Some(crate::model::OidcProvider {
                arn,
                url,
                client_ids,
            })
        })
        .collect()
}
