//! Findings: risks in how a stack is wired, each with a severity, a title and the resource.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{
    DbInstance, ListenerAction, LoadBalancer, RouteTarget, RuleSource, SecurityGroup,
    SecurityGroupRule, TargetGroupHealth, Task, Topology,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub title: String,
    /// The id or name of what to fix: a security group, database, load balancer...
    pub resource: String,
}

impl Finding {
    pub(crate) fn new(
        severity: Severity,
        title: impl Into<String>,
        resource: impl Into<String>,
    ) -> Finding {
        Finding {
            severity,
            title: title.into(),
            resource: resource.into(),
        }
    }
}

/// Everything worth fixing in the stack, most severe first.
pub fn findings(
    topology: &Topology,
    targets: &[TargetGroupHealth],
    tasks: &[Task],
) -> Vec<Finding> {
    let mut found = Vec::new();
    for db in &topology.databases {
        found.extend(database_open_to_world(topology, db));
        found.extend(database_settings(db));
    }
    found.extend(tasks_with_public_ips(topology, tasks));
    found.extend(shared_nat_gateways(topology));
    for lb in &topology.load_balancers {
        found.extend(listener_findings(lb));
    }
    found.extend(targets.iter().filter(|t| t.healthy() == 0).map(|t| {
        Finding::new(
            Severity::High,
            format!(
                "target group has no healthy target ({} registered)",
                t.targets.len()
            ),
            &t.group.name,
        )
    }));
    found.extend(wide_rules(topology));
    found.extend(crate::ops::site::findings::findings(&topology.edge));
    found.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.resource.cmp(&b.resource))
            .then_with(|| a.title.cmp(&b.title))
    });
    found.dedup();
    found
}

fn db_port(db: &DbInstance) -> u16 {
    db.port.unwrap_or(5432)
}

fn database_open_to_world(topology: &Topology, db: &DbInstance) -> Option<Finding> {
    let port = db_port(db);
    let open = db
        .security_groups
        .iter()
        .filter_map(|id| topology.security_group(id))
        .any(|g| g.admits_world(port));
    open.then(|| {
        let public = if db.publicly_accessible {
            ", and it has a public endpoint"
        } else {
            ""
        };
        Finding::new(
            Severity::High,
            format!("database reachable from 0.0.0.0/0 on :{port}{public}"),
            &db.id,
        )
    })
}

fn database_settings(db: &DbInstance) -> Vec<Finding> {
    let mut found = Vec::new();
    if db.backup_retention_days == 0 {
        found.push(Finding::new(
            Severity::High,
            "database has automated backups off (retention 0 days)",
            &db.id,
        ));
    }
    if !db.deletion_protection {
        found.push(Finding::new(
            Severity::Medium,
            "database deletion protection is off",
            &db.id,
        ));
    }
    if !db.multi_az {
        found.push(Finding::new(
            Severity::Low,
            "database is not Multi-AZ: an AZ outage takes it down",
            &db.id,
        ));
    }
    found
}

fn tasks_with_public_ips(topology: &Topology, tasks: &[Task]) -> Option<Finding> {
    let with_ip: Vec<&str> = tasks
        .iter()
        .filter(|t| t.public_ip.is_some() && t.stopped_at.is_none())
        .map(|t| t.id.as_str())
        .collect();
    if !with_ip.is_empty() {
        return Some(Finding::new(
            Severity::Medium,
            format!("{} tasks have public IPs", with_ip.len()),
            with_ip.join(", "),
        ));
    }
    let network = &topology.service_network;
    network.assign_public_ip.then(|| {
        Finding::new(
            Severity::Medium,
            "tasks get public IPs (assignPublicIp is ENABLED): use private subnets and a NAT",
            network.subnets.join(", "),
        )
    })
}

/// A NAT gateway lives in one AZ; private subnets of other AZs routed through it lose
/// egress (image pulls, secrets, logs) when that AZ fails.
fn shared_nat_gateways(topology: &Topology) -> Vec<Finding> {
    let mut zones_by_nat: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for subnet in &topology.subnets {
        let Some(table) = topology.route_table_for(&subnet.id) else {
            continue;
        };
        for route in &table.routes {
            if let RouteTarget::NatGateway(nat) = &route.target {
                zones_by_nat
                    .entry(nat.as_str())
                    .or_default()
                    .insert(subnet.availability_zone.as_str());
            }
        }
    }
    zones_by_nat
        .into_iter()
        .filter(|(_, zones)| zones.len() > 1)
        .map(|(nat, zones)| {
            Finding::new(
                Severity::Medium,
                format!(
                    "one NAT gateway serves {} availability zones ({}): egress fails with its zone",
                    zones.len(),
                    zones.into_iter().collect::<Vec<_>>().join(", ")
                ),
                nat,
            )
        })
        .collect()
}

fn listener_findings(lb: &LoadBalancer) -> Vec<Finding> {
    let has_https = lb.listeners.iter().any(|l| l.protocol == "HTTPS");
    if !has_https {
        return vec![Finding::new(
            Severity::High,
            "load balancer has no HTTPS listener: traffic is unencrypted",
            &lb.name,
        )];
    }
    lb.listeners
        .iter()
        .filter(|l| l.port == 80 && l.protocol == "HTTP")
        .filter(|l| !redirects_to_https(&l.default_action))
        .map(|_| {
            Finding::new(
                Severity::Medium,
                ":80 does not redirect to :443 (HTTPS)",
                &lb.name,
            )
        })
        .collect()
}

fn redirects_to_https(action: &ListenerAction) -> bool {
    matches!(action, ListenerAction::Redirect { protocol, port, .. }
        if protocol == "HTTPS" || port == "443")
}

/// Rules of the groups the stack uses (load balancer, service, database) that admit more
/// than the stack needs. The VPC's other groups are not the stack's business.
fn wide_rules(topology: &Topology) -> Vec<Finding> {
    let db_ports: BTreeMap<&str, u16> = topology
        .databases
        .iter()
        .flat_map(|db| {
            db.security_groups
                .iter()
                .map(move |g| (g.as_str(), db_port(db)))
        })
        .collect();
    stack_groups(topology)
        .into_iter()
        .flat_map(|group| {
            group
                .ingress
                .iter()
                .filter_map(|rule| wide_rule(group, rule, db_ports.get(group.id.as_str())))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn stack_groups(topology: &Topology) -> Vec<&SecurityGroup> {
    let ids: BTreeSet<&str> = topology
        .load_balancers
        .iter()
        .flat_map(|lb| &lb.security_groups)
        .chain(&topology.service_network.security_groups)
        .chain(topology.databases.iter().flat_map(|db| &db.security_groups))
        .map(String::as_str)
        .collect();
    ids.into_iter()
        .filter_map(|id| topology.security_group(id))
        .collect()
}

fn wide_rule(
    group: &SecurityGroup,
    rule: &SecurityGroupRule,
    db_port: Option<&u16>,
) -> Option<Finding> {
    let resource = format!("{} ({})", group.id, group.name);
    let all_ports = rule.protocol == "-1"
        || (rule.from_port.unwrap_or(0) == 0 && rule.to_port.unwrap_or(65535) == 65535);
    let world = matches!(&rule.source, RuleSource::Cidr(c) if c == "0.0.0.0/0" || c == "::/0");
    let source = match &rule.source {
        RuleSource::Cidr(c) | RuleSource::SecurityGroup(c) | RuleSource::PrefixList(c) => c,
    };
    if world && all_ports {
        return Some(Finding::new(
            Severity::High,
            format!("security group admits every port from {source}"),
            resource,
        ));
    }
    if world && rule.protocol != "icmp" {
        // A database group open to the world is already its own, sharper finding.
        if db_port.is_some_and(|p| rule.admits_port(*p)) {
            return None;
        }
        let web_only = matches!(
            (rule.from_port, rule.to_port),
            (Some(80), Some(80)) | (Some(443), Some(443))
        );
        return (!web_only).then(|| {
            Finding::new(
                Severity::Medium,
                format!(
                    "security group admits {} from {source}: only :80 and :443 should face the internet",
                    port_range(rule)
                ),
                resource,
            )
        });
    }
    all_ports.then(|| {
        Finding::new(
            Severity::Low,
            format!("security group admits every port from {source}: the app needs one"),
            resource,
        )
    })
}

fn port_range(rule: &SecurityGroupRule) -> String {
    match (rule.from_port, rule.to_port) {
        (Some(from), Some(to)) if from == to => format!(":{from}"),
        (Some(from), Some(to)) => format!(":{from}-{to}"),
        _ => "every port".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        HealthCheck, Listener, NetworkConfig, Route, RouteTable, Subnet, TargetGroup, TargetHealth,
        TargetState,
    };

    fn rule(
        protocol: &str,
        from: Option<u16>,
        to: Option<u16>,
        source: RuleSource,
    ) -> SecurityGroupRule {
        SecurityGroupRule {
            protocol: protocol.into(),
            from_port: from,
            to_port: to,
            source,
        }
    }

    fn cidr(c: &str) -> RuleSource {
        RuleSource::Cidr(c.into())
    }

    fn sg_source(g: &str) -> RuleSource {
        RuleSource::SecurityGroup(g.into())
    }

    fn group(id: &str, ingress: Vec<SecurityGroupRule>) -> SecurityGroup {
        SecurityGroup {
            id: id.into(),
            name: id.trim_start_matches("sg-").into(),
            vpc_id: "vpc-1".into(),
            ingress,
        }
    }

    fn db(id: &str) -> DbInstance {
        DbInstance {
            id: id.into(),
            arn: format!("arn:aws:rds:eu-west-2:1:db:{id}"),
            status: "available".into(),
            engine: "postgres".into(),
            engine_version: "16.3".into(),
            class: "db.t4g.micro".into(),
            multi_az: true,
            availability_zone: Some("eu-west-2a".into()),
            secondary_availability_zone: Some("eu-west-2b".into()),
            storage_type: "gp3".into(),
            allocated_storage_gb: 20,
            free_storage_bytes: None,
            backup_retention_days: 7,
            latest_restorable_time: None,
            endpoint: None,
            port: Some(5432),
            vpc_id: "vpc-1".into(),
            subnet_ids: vec![],
            security_groups: vec!["sg-db".into()],
            publicly_accessible: false,
            deletion_protection: true,
            pending_maintenance: Some(vec![]),
            managed_master_password: true,
        }
    }

    fn listener(port: u16, protocol: &str, action: ListenerAction) -> Listener {
        Listener {
            arn: format!("listener/{port}"),
            port,
            protocol: protocol.into(),
            certificate_arns: vec![],
            default_action: action,
        }
    }

    fn redirect() -> ListenerAction {
        ListenerAction::Redirect {
            protocol: "HTTPS".into(),
            port: "443".into(),
            status_code: "HTTP_301".into(),
        }
    }

    fn forward() -> ListenerAction {
        ListenerAction::Forward {
            target_group_arns: vec!["tg".into()],
        }
    }

    fn alb(listeners: Vec<Listener>) -> LoadBalancer {
        LoadBalancer {
            arn: "alb".into(),
            name: "umami-alb".into(),
            dns_name: "umami.elb".into(),
            scheme: "internet-facing".into(),
            state: "active".into(),
            vpc_id: "vpc-1".into(),
            subnets: vec![],
            security_groups: vec!["sg-alb".into()],
            listeners,
        }
    }

    /// The well-built stack: every check passes.
    fn good() -> Topology {
        Topology {
            security_groups: vec![
                group(
                    "sg-alb",
                    vec![
                        rule("tcp", Some(443), Some(443), cidr("0.0.0.0/0")),
                        rule("tcp", Some(80), Some(80), cidr("0.0.0.0/0")),
                    ],
                ),
                group(
                    "sg-svc",
                    vec![rule("tcp", Some(3000), Some(3000), sg_source("sg-alb"))],
                ),
                group(
                    "sg-db",
                    vec![rule("tcp", Some(5432), Some(5432), sg_source("sg-svc"))],
                ),
            ],
            load_balancers: vec![alb(vec![
                listener(80, "HTTP", redirect()),
                listener(443, "HTTPS", forward()),
            ])],
            databases: vec![db("umami-db")],
            service_network: NetworkConfig {
                subnets: vec!["subnet-a".into(), "subnet-b".into()],
                security_groups: vec!["sg-svc".into()],
                assign_public_ip: false,
            },
            ..Topology::default()
        }
    }

    fn titles(found: &[Finding]) -> Vec<String> {
        found.iter().map(|f| f.title.clone()).collect()
    }

    #[test]
    fn a_well_built_stack_has_no_findings() {
        assert_eq!(findings(&good(), &[], &[]), vec![]);
    }

    #[test]
    fn database_reachable_from_the_internet() {
        let mut t = good();
        t.security_groups[2]
            .ingress
            .push(rule("tcp", Some(5432), Some(5432), cidr("0.0.0.0/0")));
        let found = findings(&t, &[], &[]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].severity, Severity::High);
        assert_eq!(found[0].resource, "umami-db");
        assert!(found[0].title.contains("0.0.0.0/0 on :5432"));
    }

    #[test]
    fn tasks_with_public_ips() {
        let mut t = good();
        t.service_network.assign_public_ip = true;
        let found = findings(&t, &[], &[]);
        assert_eq!(titles(&found).len(), 1);
        assert!(found[0].title.contains("public IPs"));
        assert_eq!(found[0].resource, "subnet-a, subnet-b");
    }

    fn subnet(id: &str, az: &str) -> Subnet {
        Subnet {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            cidr: "10.0.0.0/24".into(),
            availability_zone: az.into(),
            name: None,
            map_public_ip_on_launch: false,
        }
    }

    fn table(id: &str, subnets: &[&str], nat: &str) -> RouteTable {
        RouteTable {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
            main: false,
            routes: vec![Route {
                destination: "0.0.0.0/0".into(),
                target: RouteTarget::NatGateway(nat.into()),
            }],
        }
    }

    #[test]
    fn one_nat_gateway_serving_two_zones() {
        let mut t = good();
        t.subnets = vec![
            subnet("subnet-a", "eu-west-2a"),
            subnet("subnet-b", "eu-west-2b"),
        ];
        t.route_tables = vec![table("rtb-1", &["subnet-a", "subnet-b"], "nat-1")];
        let found = findings(&t, &[], &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resource, "nat-1");
        assert!(found[0].title.contains("2 availability zones"));

        // One NAT per zone is the fix.
        t.route_tables = vec![
            table("rtb-1", &["subnet-a"], "nat-1"),
            table("rtb-2", &["subnet-b"], "nat-2"),
        ];
        assert_eq!(findings(&t, &[], &[]), vec![]);
    }

    #[test]
    fn no_https_listener() {
        let mut t = good();
        t.load_balancers = vec![alb(vec![listener(80, "HTTP", forward())])];
        let found = findings(&t, &[], &[]);
        assert_eq!(
            titles(&found),
            vec!["load balancer has no HTTPS listener: traffic is unencrypted"]
        );
        assert_eq!(found[0].severity, Severity::High);
    }

    #[test]
    fn port_80_not_redirecting() {
        let mut t = good();
        t.load_balancers = vec![alb(vec![
            listener(80, "HTTP", forward()),
            listener(443, "HTTPS", forward()),
        ])];
        let found = findings(&t, &[], &[]);
        assert_eq!(
            titles(&found),
            vec![":80 does not redirect to :443 (HTTPS)"]
        );
        assert_eq!(found[0].resource, "umami-alb");
    }

    #[test]
    fn database_settings_not_multi_az_no_backups_no_deletion_protection() {
        let mut t = good();
        t.databases[0].multi_az = false;
        t.databases[0].backup_retention_days = 0;
        t.databases[0].deletion_protection = false;
        let found = findings(&t, &[], &[]);
        let severities: Vec<Severity> = found.iter().map(|f| f.severity).collect();
        assert_eq!(
            severities,
            vec![Severity::High, Severity::Medium, Severity::Low]
        );
        assert!(found[0].title.contains("backups off"));
        assert!(found[1].title.contains("deletion protection"));
        assert!(found[2].title.contains("Multi-AZ"));
    }

    fn target_group(states: &[TargetState]) -> TargetGroupHealth {
        TargetGroupHealth {
            group: TargetGroup {
                arn: "tg".into(),
                name: "umami-tg".into(),
                protocol: "HTTP".into(),
                port: 3000,
                target_type: "ip".into(),
                vpc_id: "vpc-1".into(),
                health_check: HealthCheck {
                    protocol: "HTTP".into(),
                    path: "/".into(),
                    port: "traffic-port".into(),
                    interval_s: 30,
                    timeout_s: 5,
                    healthy_threshold: 5,
                    unhealthy_threshold: 2,
                    matcher: "200".into(),
                },
                load_balancer_arns: vec!["alb".into()],
                deregistration_delay_s: 300,
            },
            targets: states
                .iter()
                .map(|s| TargetHealth {
                    target_id: "10.0.1.5".into(),
                    port: 3000,
                    availability_zone: None,
                    state: *s,
                    reason: None,
                    description: None,
                })
                .collect(),
        }
    }

    #[test]
    fn target_group_with_no_healthy_target() {
        let t = good();
        let sick = target_group(&[TargetState::Unhealthy, TargetState::Initial]);
        let found = findings(&t, &[sick], &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].resource, "umami-tg");
        assert!(found[0].title.contains("2 registered"));
        let fine = target_group(&[TargetState::Healthy, TargetState::Unhealthy]);
        assert_eq!(findings(&t, &[fine], &[]), vec![]);
    }

    #[test]
    fn security_group_rules_wider_than_needed() {
        let mut t = good();
        t.security_groups[0]
            .ingress
            .push(rule("tcp", Some(22), Some(22), cidr("0.0.0.0/0")));
        t.security_groups[1]
            .ingress
            .push(rule("-1", None, None, sg_source("sg-alb")));
        let found = findings(&t, &[], &[]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].severity, Severity::Medium);
        assert_eq!(found[0].resource, "sg-alb (alb)");
        assert!(found[0].title.contains(":22 from 0.0.0.0/0"));
        assert_eq!(found[1].severity, Severity::Low);
        assert_eq!(found[1].resource, "sg-svc (svc)");

        // Every port from the internet is the worst of these.
        t.security_groups[0]
            .ingress
            .push(rule("-1", None, None, cidr("::/0")));
        assert_eq!(findings(&t, &[], &[])[0].severity, Severity::High);
    }

    #[test]
    fn groups_the_stack_does_not_use_are_not_its_findings() {
        let mut t = good();
        t.security_groups.push(group(
            "sg-default",
            vec![rule("-1", None, None, sg_source("sg-default"))],
        ));
        assert_eq!(findings(&t, &[], &[]), vec![]);
    }
}
