//! The `network` part of `opsdeck status`: the wiring discovery found, as scripts read it.

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{DbInstance, Listener, ListenerAction, LoadBalancer, RouteTarget, Topology};

/// The network around the stack's service, from the same discovery as the network pane.
///
/// Keys of `network` in `opsdeck status --json` (every list sorted, so two runs against
/// the same stack print the same bytes):
/// - `url`: where users reach the app: `https://<alias record>` when a Route53 alias points
///   at the load balancer and it has an HTTPS listener, else `https://<alb dns>` with an
///   HTTPS listener, else `http://<alb dns>` (`:port` added off 443/80); `null` without one.
/// - `load_balancers[]`: `name`, `dns_name`, `scheme`, `state`, `listeners[]` by port:
///   `port`, `protocol`, `certificates[]` (`arn`, `domain`, `status`; the last two `null`
///   when ACM did not describe it), `default_action` with `type` `forward`
///   (`target_groups[]`: `name`, `arn`), `redirect` (`protocol`, `port`, `status_code`) or
///   `fixed-response` (`status_code`).
/// - `vpc`: `id`, `cidr`, `name` (`null` when the service's VPC was not found).
/// - `subnets[]` by zone, public first: `id`, `cidr`, `availability_zone`, `public` (its
///   route table sends 0.0.0.0/0 to an internet gateway), `name`.
/// - `nat_gateways[]`: `id`, `subnet_id`, `availability_zone`, `state`, `public_ip`.
/// - `internet_gateways[]`: `id`.
/// - `dns_records[]` aliasing the load balancers: `zone`, `name`, `type`, `alias_target`.
/// - `databases[]`: each database of the stack: `id`, `endpoint`, `port` (never a password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct NetworkStatus {
    pub url: Option<String>,
    pub load_balancers: Vec<LoadBalancerStatus>,
    pub vpc: Option<VpcStatus>,
    pub subnets: Vec<SubnetStatus>,
    pub nat_gateways: Vec<NatGatewayStatus>,
    pub internet_gateways: Vec<InternetGatewayStatus>,
    pub dns_records: Vec<DnsRecordStatus>,
    pub databases: Vec<DatabaseEndpoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadBalancerStatus {
    pub name: String,
    pub dns_name: String,
    pub scheme: String,
    pub state: String,
    pub listeners: Vec<ListenerStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListenerStatus {
    pub port: u16,
    pub protocol: String,
    pub certificates: Vec<CertificateStatus>,
    pub default_action: DefaultAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateStatus {
    pub arn: String,
    pub domain: Option<String>,
    /// ISSUED, PENDING_VALIDATION, EXPIRED, ...
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum DefaultAction {
    Forward {
        target_groups: Vec<ForwardTarget>,
    },
    Redirect {
        protocol: String,
        port: String,
        status_code: String,
    },
    FixedResponse {
        status_code: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForwardTarget {
    /// As `target_groups[].name` has it, to join the two.
    pub name: String,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VpcStatus {
    pub id: String,
    pub cidr: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubnetStatus {
    pub id: String,
    pub cidr: String,
    pub availability_zone: String,
    pub public: bool,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NatGatewayStatus {
    pub id: String,
    pub subnet_id: String,
    /// The zone of its subnet; `null` when that subnet is not in the VPC's list.
    pub availability_zone: Option<String>,
    pub state: String,
    pub public_ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InternetGatewayStatus {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecordStatus {
    pub zone: String,
    pub name: String,
    #[serde(rename = "type")]
    pub record_type: String,
    pub alias_target: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseEndpoint {
    pub id: String,
    pub endpoint: Option<String>,
    pub port: Option<u16>,
}

impl NetworkStatus {
    /// `databases` are the live ones the report's `databases` show, so both agree.
    pub fn new(topology: &Topology, databases: &[DbInstance]) -> NetworkStatus {
        let mut load_balancers: Vec<LoadBalancerStatus> = topology
            .load_balancers
            .iter()
            .map(|lb| load_balancer_status(topology, lb))
            .collect();
        load_balancers.sort_by(|a, b| (&a.name, &a.dns_name).cmp(&(&b.name, &b.dns_name)));

        let mut subnets: Vec<SubnetStatus> = topology
            .subnets
            .iter()
            .map(|s| SubnetStatus {
                id: s.id.clone(),
                cidr: s.cidr.clone(),
                availability_zone: s.availability_zone.clone(),
                public: default_route_to_internet_gateway(topology, &s.id),
                name: s.name.clone(),
            })
            .collect();
        subnets.sort_by(|a, b| {
            (&a.availability_zone, !a.public, cidr_key(&a.cidr), &a.id).cmp(&(
                &b.availability_zone,
                !b.public,
                cidr_key(&b.cidr),
                &b.id,
            ))
        });

        let mut nat_gateways: Vec<NatGatewayStatus> = topology
            .nat_gateways
            .iter()
            .map(|nat| NatGatewayStatus {
                id: nat.id.clone(),
                subnet_id: nat.subnet_id.clone(),
                availability_zone: topology
                    .subnet(&nat.subnet_id)
                    .map(|s| s.availability_zone.clone()),
                state: nat.state.clone(),
                public_ip: nat.public_ip.clone(),
            })
            .collect();
        nat_gateways
            .sort_by(|a, b| (&a.availability_zone, &a.id).cmp(&(&b.availability_zone, &b.id)));

        let mut internet_gateways: Vec<InternetGatewayStatus> = topology
            .internet_gateways
            .iter()
            .map(|g| InternetGatewayStatus { id: g.id.clone() })
            .collect();
        internet_gateways.sort_by(|a, b| a.id.cmp(&b.id));

        let mut dns_records: Vec<DnsRecordStatus> = topology
            .dns_records
            .iter()
            .map(|r| DnsRecordStatus {
                zone: r.zone.clone(),
                name: r.name.clone(),
                record_type: r.record_type.clone(),
                alias_target: r.alias_target.clone(),
            })
            .collect();
        dns_records.sort_by(|a, b| {
            (&a.zone, &a.name, &a.record_type).cmp(&(&b.zone, &b.name, &b.record_type))
        });
        dns_records.dedup();

        let mut endpoints: Vec<DatabaseEndpoint> = databases
            .iter()
            .map(|db| DatabaseEndpoint {
                id: db.id.clone(),
                endpoint: db.endpoint.clone(),
                port: db.port,
            })
            .collect();
        endpoints.sort_by(|a, b| a.id.cmp(&b.id));

        NetworkStatus {
            url: app_url(topology),
            load_balancers,
            vpc: topology.vpc.as_ref().map(|v| VpcStatus {
                id: v.id.clone(),
                cidr: v.cidr.clone(),
                name: v.name.clone(),
            }),
            subnets,
            nat_gateways,
            internet_gateways,
            dns_records,
            databases: endpoints,
        }
    }

    /// The terminal's short version: URL, load balancers and listeners, VPC, subnets per
    /// zone, NAT gateways.
    pub fn write_text(&self, out: &mut String) {
        let _ = writeln!(out, "\nnetwork");
        let _ = writeln!(
            out,
            "  url      {}",
            self.url
                .as_deref()
                .unwrap_or("none (no load balancer in front of the service)")
        );
        if self.load_balancers.is_empty() {
            let _ = writeln!(out, "  alb      none");
        }
        for lb in &self.load_balancers {
            // An endpoint may leave the scheme out: no gap where it would be.
            let parts: Vec<&str> = [&lb.name, &lb.scheme, &lb.state, &lb.dns_name]
                .into_iter()
                .map(String::as_str)
                .filter(|p| !p.is_empty())
                .collect();
            let _ = writeln!(out, "  alb      {}", parts.join("  "));
            for l in &lb.listeners {
                let _ = writeln!(
                    out,
                    "    :{:<5} {:<6} {}{}",
                    l.port,
                    l.protocol,
                    action_text(&l.default_action),
                    certificates_text(&l.certificates)
                );
            }
        }
        match &self.vpc {
            Some(vpc) => {
                let _ = writeln!(
                    out,
                    "  vpc      {}  {}{}",
                    vpc.id,
                    vpc.cidr,
                    vpc.name
                        .as_deref()
                        .map(|n| format!("  {n}"))
                        .unwrap_or_default()
                );
            }
            None => {
                let _ = writeln!(out, "  vpc      not found");
            }
        }
        let mut zones: Vec<&str> = self
            .subnets
            .iter()
            .map(|s| s.availability_zone.as_str())
            .collect();
        zones.dedup();
        for (i, zone) in zones.iter().enumerate() {
            let subnets: Vec<String> = self
                .subnets
                .iter()
                .filter(|s| s.availability_zone == *zone)
                .map(|s| format!("{} {}", if s.public { "public" } else { "private" }, s.cidr))
                .collect();
            let label = if i == 0 { "subnets" } else { "" };
            let _ = writeln!(out, "  {label:<8} {zone}  {}", subnets.join("  "));
        }
        let nats: Vec<String> = self
            .nat_gateways
            .iter()
            .map(|n| {
                let zone = n.availability_zone.as_deref().unwrap_or(&n.subnet_id);
                format!("{} {zone} {}", n.id, n.state)
            })
            .collect();
        let _ = writeln!(
            out,
            "  nat      {}{}",
            nats.len(),
            if nats.is_empty() {
                String::new()
            } else {
                format!("  {}", nats.join("  "))
            }
        );
    }
}

fn load_balancer_status(topology: &Topology, lb: &LoadBalancer) -> LoadBalancerStatus {
    let mut listeners: Vec<ListenerStatus> = lb
        .listeners
        .iter()
        .map(|l| listener_status(topology, l))
        .collect();
    listeners.sort_by(|a, b| (a.port, &a.protocol).cmp(&(b.port, &b.protocol)));
    LoadBalancerStatus {
        name: lb.name.clone(),
        dns_name: lb.dns_name.clone(),
        scheme: lb.scheme.clone(),
        state: lb.state.clone(),
        listeners,
    }
}

fn listener_status(topology: &Topology, listener: &Listener) -> ListenerStatus {
    // The listener's order is kept: the default certificate comes first.
    let certificates = listener
        .certificate_arns
        .iter()
        .map(|arn| {
            let known = topology.certificates.iter().find(|c| &c.arn == arn);
            CertificateStatus {
                arn: arn.clone(),
                domain: known.map(|c| c.domain.clone()),
                status: known.map(|c| c.status.clone()),
            }
        })
        .collect();
    let default_action = match &listener.default_action {
        ListenerAction::Forward { target_group_arns } => DefaultAction::Forward {
            target_groups: target_group_arns
                .iter()
                .map(|arn| ForwardTarget {
                    name: target_group_name(topology, arn),
                    arn: arn.clone(),
                })
                .collect(),
        },
        ListenerAction::Redirect {
            protocol,
            port,
            status_code,
        } => DefaultAction::Redirect {
            protocol: protocol.clone(),
            port: port.clone(),
            status_code: status_code.clone(),
        },
        ListenerAction::FixedResponse { status_code } => DefaultAction::FixedResponse {
            status_code: status_code.clone(),
        },
    };
    ListenerStatus {
        port: listener.port,
        protocol: listener.protocol.clone(),
        certificates,
        default_action,
    }
}

/// The name discovery found, else the one inside the ARN (`targetgroup/<name>/<id>`): a
/// listener may forward to a group the service is not registered with.
fn target_group_name(topology: &Topology, arn: &str) -> String {
    topology
        .target_groups
        .iter()
        .find(|t| t.arn == arn)
        .map(|t| t.name.clone())
        .or_else(|| {
            let mut parts = arn.rsplit('/');
            parts.next();
            parts.next().map(str::to_string)
        })
        .unwrap_or_else(|| arn.to_string())
}

/// Public as the issue defines it: the subnet's route table sends 0.0.0.0/0 to an internet
/// gateway (a route to one for a narrower prefix alone does not make a subnet public).
fn default_route_to_internet_gateway(topology: &Topology, subnet_id: &str) -> bool {
    topology.route_table_for(subnet_id).is_some_and(|t| {
        t.routes.iter().any(|r| {
            r.destination == "0.0.0.0/0" && matches!(r.target, RouteTarget::InternetGateway(_))
        })
    })
}

/// Sorts `10.0.2.0/24` before `10.0.10.0/24`, as a reader expects; anything that is not
/// IPv4 sorts after, by its text.
fn cidr_key(cidr: &str) -> (Vec<u32>, String) {
    let address = cidr.split('/').next().unwrap_or(cidr);
    let octets: Option<Vec<u32>> = address.split('.').map(|o| o.parse().ok()).collect();
    match octets {
        Some(octets) if octets.len() == 4 => (octets, cidr.to_string()),
        _ => (vec![u32::MAX], cidr.to_string()),
    }
}

/// Where users reach the app. The load balancer with an HTTPS listener wins over one
/// without; with several alike, the first by name.
fn app_url(topology: &Topology) -> Option<String> {
    let mut load_balancers: Vec<&LoadBalancer> = topology.load_balancers.iter().collect();
    load_balancers.sort_by(|a, b| (&a.name, &a.dns_name).cmp(&(&b.name, &b.dns_name)));
    let lb = load_balancers
        .iter()
        .find(|lb| https_listener(lb).is_some())
        .or(load_balancers.first())?;
    match https_listener(lb) {
        Some(listener) => {
            let mut aliases: Vec<_> = topology
                .dns_records
                .iter()
                .filter(|r| r.aliases(&lb.dns_name))
                .collect();
            // A before AAAA, then by name: the same record every run.
            aliases.sort_by(|a, b| (&a.record_type, &a.name).cmp(&(&b.record_type, &b.name)));
            let host = aliases
                .first()
                .map_or(lb.dns_name.as_str(), |r| r.name.as_str());
            Some(format!(
                "https://{}{}",
                host.trim_end_matches('.'),
                port_suffix(listener.port, 443)
            ))
        }
        None => {
            let port = lb
                .listeners
                .iter()
                .filter(|l| l.protocol == "HTTP")
                .map(|l| l.port)
                .min_by_key(|port| (*port != 80, *port))
                .unwrap_or(80);
            Some(format!("http://{}{}", lb.dns_name, port_suffix(port, 80)))
        }
    }
}

/// The HTTPS listener users reach: the one on 443, else the lowest port.
fn https_listener(lb: &LoadBalancer) -> Option<&Listener> {
    lb.listeners
        .iter()
        .filter(|l| l.protocol == "HTTPS")
        .min_by_key(|l| (l.port != 443, l.port))
}

fn port_suffix(port: u16, default: u16) -> String {
    if port == default {
        String::new()
    } else {
        format!(":{port}")
    }
}

fn action_text(action: &DefaultAction) -> String {
    match action {
        DefaultAction::Forward { target_groups } => format!(
            "forward to {}",
            target_groups
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        DefaultAction::Redirect {
            protocol,
            port,
            status_code,
        } => format!("redirect to {protocol}:{port} ({status_code})"),
        DefaultAction::FixedResponse { status_code } => format!("fixed response {status_code}"),
    }
}

fn certificates_text(certificates: &[CertificateStatus]) -> String {
    certificates
        .iter()
        .map(|c| {
            format!(
                "  certificate {} {}",
                c.domain.as_deref().unwrap_or(&c.arn),
                c.status.as_deref().unwrap_or("unknown")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DnsRecord, Route, RouteTable, Subnet};

    fn listener(port: u16, protocol: &str, action: ListenerAction) -> Listener {
        Listener {
            arn: format!("arn:listener/{port}"),
            port,
            protocol: protocol.into(),
            certificate_arns: vec![],
            default_action: action,
        }
    }

    fn forward() -> ListenerAction {
        ListenerAction::Forward {
            target_group_arns: vec![
                "arn:aws:elasticloadbalancing:eu-west-2:1:targetgroup/umami-tg/abc".into(),
            ],
        }
    }

    fn alb(listeners: Vec<Listener>) -> LoadBalancer {
        LoadBalancer {
            arn: "arn:alb".into(),
            name: "umami".into(),
            dns_name: "umami-1.eu-west-2.elb.amazonaws.com".into(),
            scheme: "internet-facing".into(),
            state: "active".into(),
            vpc_id: "vpc-1".into(),
            subnets: vec![],
            security_groups: vec![],
            listeners,
        }
    }

    fn alias() -> DnsRecord {
        DnsRecord {
            zone: "example.com".into(),
            name: "umami.example.com".into(),
            record_type: "A".into(),
            alias_target: "dualstack.umami-1.eu-west-2.elb.amazonaws.com.".into(),
        }
    }

    fn url(listeners: Vec<Listener>, records: Vec<DnsRecord>) -> Option<String> {
        app_url(&Topology {
            load_balancers: vec![alb(listeners)],
            dns_records: records,
            ..Topology::default()
        })
    }

    #[test]
    fn the_url_is_the_alias_with_https_else_the_alb_name() {
        let https = || listener(443, "HTTPS", forward());
        assert_eq!(
            url(vec![https()], vec![alias()]).as_deref(),
            Some("https://umami.example.com")
        );
        assert_eq!(
            url(vec![https()], vec![]).as_deref(),
            Some("https://umami-1.eu-west-2.elb.amazonaws.com")
        );
        // Without TLS the alias's name would not match a certificate: the ALB's name it is.
        assert_eq!(
            url(vec![listener(80, "HTTP", forward())], vec![alias()]).as_deref(),
            Some("http://umami-1.eu-west-2.elb.amazonaws.com")
        );
        assert_eq!(
            url(vec![listener(8443, "HTTPS", forward())], vec![alias()]).as_deref(),
            Some("https://umami.example.com:8443")
        );
        assert_eq!(app_url(&Topology::default()), None);
    }

    #[test]
    fn a_subnet_is_public_only_when_its_default_route_goes_to_an_internet_gateway() {
        let subnet = |id: &str, zone: &str, cidr: &str| Subnet {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            cidr: cidr.into(),
            availability_zone: zone.into(),
            name: None,
            map_public_ip_on_launch: false,
        };
        let route = |destination: &str, target| Route {
            destination: destination.into(),
            target,
        };
        let topology = Topology {
            subnets: vec![
                subnet("subnet-d", "eu-west-2b", "10.0.11.0/24"),
                subnet("subnet-c", "eu-west-2a", "10.0.10.0/24"),
                subnet("subnet-b", "eu-west-2a", "10.0.2.0/24"),
            ],
            route_tables: vec![
                RouteTable {
                    id: "rtb-public".into(),
                    vpc_id: "vpc-1".into(),
                    subnet_ids: vec!["subnet-b".into()],
                    main: false,
                    routes: vec![route(
                        "0.0.0.0/0",
                        RouteTarget::InternetGateway("igw-1".into()),
                    )],
                },
                RouteTable {
                    id: "rtb-main".into(),
                    vpc_id: "vpc-1".into(),
                    subnet_ids: vec![],
                    main: true,
                    routes: vec![route(
                        "192.168.0.0/16",
                        RouteTarget::InternetGateway("igw-1".into()),
                    )],
                },
            ],
            ..Topology::default()
        };
        let network = NetworkStatus::new(&topology, &[]);
        let seen: Vec<(&str, bool)> = network
            .subnets
            .iter()
            .map(|s| (s.cidr.as_str(), s.public))
            .collect();
        assert_eq!(
            seen,
            [
                ("10.0.2.0/24", true),
                ("10.0.10.0/24", false),
                ("10.0.11.0/24", false)
            ]
        );
    }
}
