//! The stack model rendered as a CloudFormation template (JSON), every taggable resource
//! tagged `opsdeck:stack=<name>`.

use serde_json::{Map, Value, json};

use super::model::{Resource, STACK_TAG, StackModel};

/// Resource types of the stack that take `Tags` (a list of Key/Value), from the
/// CloudFormation resource reference. Types missing here are never tagged.
pub const TAGGABLE: &[&str] = &[
    "AWS::EC2::VPC",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::EIP",
    "AWS::EC2::NatGateway",
    "AWS::EC2::SecurityGroup",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::CertificateManager::Certificate",
    "AWS::ECR::Repository",
    "AWS::Logs::LogGroup",
    "AWS::IAM::Role",
    "AWS::ECS::Cluster",
    "AWS::ECS::TaskDefinition",
    "AWS::ECS::Service",
    "AWS::RDS::DBSubnetGroup",
    "AWS::RDS::DBInstance",
    "AWS::SecretsManager::Secret",
    "AWS::SNS::Topic",
    "AWS::CloudWatch::Alarm",
    "AWS::S3::Bucket",
    "AWS::CloudFront::Distribution",
];

/// The template's `Tags` of one resource: the stack tag, and a `Name` for the console.
fn tags(stack: &str, resource: &Resource) -> Value {
    let mut tags = Vec::new();
    if let Some(name) = &resource.name_tag {
        tags.push(json!({ "Key": "Name", "Value": name }));
    }
    tags.push(json!({ "Key": STACK_TAG, "Value": stack }));
    Value::Array(tags)
}

impl StackModel {
    /// The CloudFormation template, as JSON.
    pub fn template(&self) -> Value {
        let stack = &self.answers.name;
        let mut resources = Map::new();
        for resource in &self.resources {
            let mut properties = resource.properties.clone();
            if TAGGABLE.contains(&resource.kind) {
                properties.insert("Tags".into(), tags(stack, resource));
            }
            let mut body = Map::new();
            body.insert("Type".into(), Value::String(resource.kind.into()));
            body.insert("Properties".into(), Value::Object(properties));
            if !resource.depends_on.is_empty() {
                body.insert("DependsOn".into(), json!(resource.depends_on));
            }
            if resource.keeps_snapshot {
                body.insert("DeletionPolicy".into(), json!("Snapshot"));
                body.insert("UpdateReplacePolicy".into(), json!("Snapshot"));
            }
            resources.insert(resource.logical_id.clone(), Value::Object(body));
        }
        let mut template = Map::new();
        template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        let description = if self.resource("LoadBalancer").is_none() {
            format!(
                "opsdeck stack {stack}: the CloudFront certificate (in us-east-1) of a site of \
                 another opsdeck stack (written by opsdeck bootstrap; re-run it rather than \
                 editing)"
            )
        } else {
            format!(
                "opsdeck stack {stack}: VPC, load balancer, ECS Fargate service{}{} (written by \
                 opsdeck bootstrap; re-run it rather than editing)",
                match &self.answers.database {
                    super::answers::Database::Postgres(_) => ", RDS PostgreSQL",
                    _ => "",
                },
                if self.answers.site.is_some() {
                    ", static site (S3 + CloudFront)"
                } else {
                    ""
                }
            )
        };
        template.insert("Description".into(), json!(description));
        if !self.parameters.is_empty() {
            let mut parameters = Map::new();
            for parameter in &self.parameters {
                let mut body = Map::new();
                body.insert("Type".into(), json!(parameter.kind));
                body.insert("Description".into(), json!(parameter.description));
                if let Some(default) = &parameter.default {
                    body.insert("Default".into(), json!(default));
                }
                if parameter.no_echo {
                    body.insert("NoEcho".into(), json!(true));
                }
                parameters.insert(parameter.name.into(), Value::Object(body));
            }
            template.insert("Parameters".into(), Value::Object(parameters));
        }
        template.insert("Resources".into(), Value::Object(resources));
        let mut outputs = Map::new();
        for (name, description, value) in &self.outputs {
            outputs.insert(
                (*name).into(),
                json!({ "Description": description, "Value": value }),
            );
        }
        template.insert("Outputs".into(), Value::Object(outputs));
        let mut template = Value::Object(template);
        // serde_json keeps insertion order when any crate in the build asks for it, and sorts
        // otherwise: sorting here makes the template the same bytes in every build, so a
        // kept template diffs cleanly against the next one.
        template.sort_all_objects();
        template
    }

    /// The template as the pretty JSON `--emit` writes.
    pub fn template_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.template()).unwrap_or_default();
        text.push('\n');
        text
    }

    /// What the plan lists: each resource's type, logical id and key settings.
    pub fn resource_summaries(&self) -> Vec<Value> {
        self.resources
            .iter()
            .map(|resource| {
                let mut summary = Map::new();
                summary.insert("type".into(), json!(resource.kind));
                summary.insert("logical_id".into(), json!(resource.logical_id));
                for (key, value) in &resource.settings {
                    summary.insert(key.clone(), value.clone());
                }
                let mut summary = Value::Object(summary);
                summary.sort_all_objects();
                summary
            })
            .collect()
    }
}
