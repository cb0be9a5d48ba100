//! EC2 networking: the VPC, its subnets, route tables, gateways and security groups.

use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types as sdk;

use super::convert::{owned, port, text};
use super::errors::{CallContext, Paged};
use crate::cloud::{CloudError, CloudResult, NetworkApi};
use crate::model::{
    InternetGateway, NatGateway, Route, RouteTable, RouteTarget, RuleSource, SecurityGroup,
    SecurityGroupRule, Subnet, Vpc,
};

pub struct AwsNetwork {
    client: Client,
    context: CallContext,
}

impl AwsNetwork {
    pub fn new(client: Client, context: CallContext) -> AwsNetwork {
        AwsNetwork { client, context }
    }
}

fn vpc_filter(name: &str, vpc_id: &str) -> sdk::Filter {
    sdk::Filter::builder().name(name).values(vpc_id).build()
}

#[async_trait]
impl NetworkApi for AwsNetwork {
    async fn describe_vpc(&self, vpc_id: &str) -> CloudResult<Vpc> {
        let output = self
            .client
            .describe_vpcs()
            .vpc_ids(vpc_id)
            .send()
            .await
            .map_err(|e| self.context.error("ec2:DescribeVpcs", vpc_id, e))?;
        output
            .vpcs()
            .first()
            .map(|v| Vpc {
                id: text(v.vpc_id()),
                cidr: text(v.cidr_block()),
                name: name_tag(v.tags()),
            })
            .ok_or_else(|| CloudError::NotFound {
                kind: "VPC",
                name: vpc_id.to_string(),
                hint: None,
            })
    }

    async fn describe_subnets(&self, ids: &[String]) -> CloudResult<Vec<Subnet>> {
        // An empty list would describe every subnet in the region.
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let subnets: Vec<sdk::Subnet> = self
            .client
            .describe_subnets()
            .set_subnet_ids(Some(ids.to_vec()))
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ec2:DescribeSubnets", &ids.join(", "))
            .await?;
        Ok(subnets.iter().map(subnet_from_sdk).collect())
    }

    async fn describe_vpc_subnets(&self, vpc_id: &str) -> CloudResult<Vec<Subnet>> {
        let subnets: Vec<sdk::Subnet> = self
            .client
            .describe_subnets()
            .filters(vpc_filter("vpc-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ec2:DescribeSubnets", vpc_id)
            .await?;
        Ok(subnets.iter().map(subnet_from_sdk).collect())
    }

    async fn describe_route_tables(&self, vpc_id: &str) -> CloudResult<Vec<RouteTable>> {
        let tables: Vec<sdk::RouteTable> = self
            .client
            .describe_route_tables()
            .filters(vpc_filter("vpc-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ec2:DescribeRouteTables", vpc_id)
            .await?;
        Ok(tables.iter().map(route_table_from_sdk).collect())
    }

    async fn describe_internet_gateways(&self, vpc_id: &str) -> CloudResult<Vec<InternetGateway>> {
        let gateways: Vec<sdk::InternetGateway> = self
            .client
            .describe_internet_gateways()
            .filters(vpc_filter("attachment.vpc-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ec2:DescribeInternetGateways", vpc_id)
            .await?;
        Ok(gateways
            .iter()
            .map(|g| InternetGateway {
                id: text(g.internet_gateway_id()),
                vpc_id: vpc_id.to_string(),
            })
            .collect())
    }

    async fn describe_nat_gateways(&self, vpc_id: &str) -> CloudResult<Vec<NatGateway>> {
        let gateways: Vec<sdk::NatGateway> = self
            .client
            .describe_nat_gateways()
            .filter(vpc_filter("vpc-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ec2:DescribeNatGateways", vpc_id)
            .await?;
        // Deleted gateways stay listed for about an hour; they route nothing.
        Ok(gateways
            .iter()
            .filter(|g| g.state() != Some(&sdk::NatGatewayState::Deleted))
            .map(|g| NatGateway {
                id: text(g.nat_gateway_id()),
                vpc_id: text(g.vpc_id()),
                subnet_id: text(g.subnet_id()),
                state: g
                    .state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                public_ip: g
                    .nat_gateway_addresses()
                    .iter()
                    .find_map(|a| owned(a.public_ip())),
            })
            .collect())
    }

    async fn describe_security_groups(&self, ids: &[String]) -> CloudResult<Vec<SecurityGroup>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let groups: Vec<sdk::SecurityGroup> = self
            .client
            .describe_security_groups()
            .set_group_ids(Some(ids.to_vec()))
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ec2:DescribeSecurityGroups", &ids.join(", "))
            .await?;
        Ok(groups.iter().map(security_group_from_sdk).collect())
    }

    async fn describe_vpc_security_groups(&self, vpc_id: &str) -> CloudResult<Vec<SecurityGroup>> {
        let groups: Vec<sdk::SecurityGroup> = self
            .client
            .describe_security_groups()
            .filters(vpc_filter("vpc-id", vpc_id))
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ec2:DescribeSecurityGroups", vpc_id)
            .await?;
        Ok(groups.iter().map(security_group_from_sdk).collect())
    }
}

fn name_tag(tags: &[sdk::Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| owned(t.value()))
}

fn subnet_from_sdk(s: &sdk::Subnet) -> Subnet {
    Subnet {
        id: text(s.subnet_id()),
        vpc_id: text(s.vpc_id()),
        cidr: text(s.cidr_block()),
        availability_zone: text(s.availability_zone()),
        name: name_tag(s.tags()),
        map_public_ip_on_launch: s.map_public_ip_on_launch().unwrap_or(false),
    }
}

fn route_table_from_sdk(t: &sdk::RouteTable) -> RouteTable {
    RouteTable {
        id: text(t.route_table_id()),
        vpc_id: text(t.vpc_id()),
        subnet_ids: t
            .associations()
            .iter()
            .filter_map(|a| owned(a.subnet_id()))
            .collect(),
        main: t.associations().iter().any(|a| a.main() == Some(true)),
        routes: t.routes().iter().map(route_from_sdk).collect(),
    }
}

fn route_from_sdk(r: &sdk::Route) -> Route {
    let destination = r
        .destination_cidr_block()
        .or(r.destination_ipv6_cidr_block())
        .or(r.destination_prefix_list_id());
    let target = match (r.gateway_id(), r.nat_gateway_id()) {
        (_, Some(nat)) => RouteTarget::NatGateway(nat.to_string()),
        (Some("local"), _) => RouteTarget::Local,
        (Some(igw), _) if igw.starts_with("igw-") => RouteTarget::InternetGateway(igw.to_string()),
        (Some(other), _) => RouteTarget::Other(other.to_string()),
        (None, None) => RouteTarget::Other(
            [
                r.transit_gateway_id(),
                r.vpc_peering_connection_id(),
                r.network_interface_id(),
                r.instance_id(),
                r.egress_only_internet_gateway_id(),
            ]
            .into_iter()
            .flatten()
            .next()
            .unwrap_or("unknown")
            .to_string(),
        ),
    };
    Route {
        destination: text(destination),
        target,
    }
}

fn security_group_from_sdk(g: &sdk::SecurityGroup) -> SecurityGroup {
    SecurityGroup {
        id: text(g.group_id()),
        name: text(g.group_name()),
        vpc_id: text(g.vpc_id()),
        ingress: g.ip_permissions().iter().flat_map(rules_from_sdk).collect(),
    }
}

/// One SDK permission lists several sources; the model has one rule per source.
fn rules_from_sdk(p: &sdk::IpPermission) -> Vec<SecurityGroupRule> {
    let protocol = match p.ip_protocol() {
        Some("6") => "tcp".to_string(),
        Some("17") => "udp".to_string(),
        Some("1") => "icmp".to_string(),
        other => text(other),
    };
    let all_ports = protocol == "-1";
    let sources = p
        .ip_ranges()
        .iter()
        .filter_map(|r| owned(r.cidr_ip()).map(RuleSource::Cidr))
        .chain(
            p.ipv6_ranges()
                .iter()
                .filter_map(|r| owned(r.cidr_ipv6()).map(RuleSource::Cidr)),
        )
        .chain(
            p.user_id_group_pairs()
                .iter()
                .filter_map(|g| owned(g.group_id()).map(RuleSource::SecurityGroup)),
        )
        .chain(
            p.prefix_list_ids()
                .iter()
                .filter_map(|l| owned(l.prefix_list_id()).map(RuleSource::PrefixList)),
        );
    sources
        .map(|source| SecurityGroupRule {
            protocol: protocol.clone(),
            from_port: if all_ports { None } else { port(p.from_port()) },
            to_port: if all_ports { None } else { port(p.to_port()) },
            source,
        })
        .collect()
}
