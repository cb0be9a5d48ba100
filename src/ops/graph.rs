//! Builds the network graph from what discovery found and the live state.

use crate::model::{
    DbInstance, EcsSnapshot, Edge, Health, ListenerAction, LoadBalancer, NatGateway, NetGraph,
    Node, NodeKind, OriginAccess, OriginKind, OriginProtocol, RouteTarget, Service,
    TargetGroupHealth, Task, TaskStatus, Topology, ViewerProtocol,
};

/// Derives the graph: nodes in display order (Internet, DNS, IGW, the load balancers, the
/// service's target groups, each private subnet followed by its tasks, NAT gateways, RDS),
/// edges labelled by port, with `allowed` computed from the security groups along each edge.
pub fn build(
    topology: &Topology,
    service: &str,
    ecs: Option<&EcsSnapshot>,
    targets: Option<&[TargetGroupHealth]>,
    databases: Option<&[DbInstance]>,
) -> NetGraph {
    let service = ecs.and_then(|e| e.services.iter().find(|s| s.name == service));
    let wiring = Wiring::new(topology, service, targets);
    let mut graph = NetGraph::default();

    graph.nodes.push(node(
        "internet",
        NodeKind::Internet,
        "Internet",
        "0.0.0.0/0",
        Health::Unknown,
    ));
    let dns = wiring.load_balancers.iter().find_map(|lb| {
        topology
            .dns_records
            .iter()
            .find(|r| r.aliases(&lb.dns_name))
    });
    if let Some(record) = dns {
        graph.nodes.push(node(
            &format!("dns:{}", record.name),
            NodeKind::Dns,
            "DNS",
            record.name.trim_end_matches('.'),
            Health::Ok,
        ));
    }
    graph.nodes.extend(edge_nodes(topology));
    for igw in &topology.internet_gateways {
        graph.nodes.push(node(
            &igw.id,
            NodeKind::InternetGateway,
            "IGW",
            &igw.id,
            Health::Ok,
        ));
    }
    for lb in &wiring.load_balancers {
        graph.nodes.push(node(
            &lb.arn,
            NodeKind::LoadBalancer,
            &format!("ALB {}", lb.name),
            &listeners_summary(topology, lb),
            load_balancer_health(&lb.state),
        ));
    }
    for binding in &wiring.bindings {
        graph
            .nodes
            .extend(wiring.target_group_node(binding, targets));
    }
    let tasks = ecs.map_or(&[][..], |e| e.tasks.as_slice());
    for subnet in &wiring.private_subnets {
        let mine: Vec<&Task> = tasks
            .iter()
            .filter(|t| t.last_status != TaskStatus::Stopped && in_subnet(t, subnet, topology))
            .filter(|t| service.is_none_or(|s| t.group == format!("service:{}", s.name)))
            .collect();
        let zone = topology.subnet(subnet).map(|s| s.availability_zone.clone());
        let cidr = topology.subnet(subnet).map_or("", |s| s.cidr.as_str());
        let mut subnet_node = node(
            subnet,
            NodeKind::Subnet,
            zone.as_deref().unwrap_or(subnet),
            &format!("{cidr} private"),
            worst(mine.iter().map(|t| t.health_class())),
        );
        subnet_node.zone = zone;
        graph.nodes.push(subnet_node);
        graph
            .nodes
            .extend(mine.iter().map(|t| task_node(t, subnet)));
    }
    let several_nats = topology.nat_gateways.len() > 1;
    for nat in &topology.nat_gateways {
        let zone = topology
            .subnet(&nat.subnet_id)
            .map(|s| s.availability_zone.clone());
        graph.nodes.push(nat_node(nat, zone, several_nats));
    }
    let databases = databases.unwrap_or(&topology.databases);
    for db in databases {
        graph.nodes.push(node(
            &db.arn,
            NodeKind::Database,
            &format!("RDS {}", db.id),
            &format!(
                "{}  {} {} {}",
                db.status, db.class, db.engine, db.engine_version
            ),
            db.health(),
        ));
    }
    graph.edges = wiring.edges(&graph, databases);
    graph.edges.extend(site_edges(topology));
    graph
}

/// CloudFront and its buckets: `CloudFront app.example.com` (Deployed or InProgress), then
/// `S3 umami-frontend` and who may read it.
fn edge_nodes(topology: &Topology) -> Vec<Node> {
    let mut nodes = Vec::new();
    for d in &topology.edge.distributions {
        let d = &d.distribution;
        let name = d.aliases.first().unwrap_or(&d.domain_name);
        let health = if !d.enabled {
            Health::Warning
        } else if d.is_deployed() {
            Health::Ok
        } else {
            Health::Pending
        };
        let viewer = match d.viewer_protocol {
            ViewerProtocol::AllowAll => "http+https",
            ViewerProtocol::RedirectToHttps => "http→https",
            ViewerProtocol::HttpsOnly => "https only",
        };
        nodes.push(node(
            &cdn_id(&d.id),
            NodeKind::Cdn,
            &format!("CloudFront {name}"),
            &format!("{}  {}  {viewer}", d.id, d.status),
            health,
        ));
    }
    for bucket in &topology.edge.buckets {
        let public = bucket
            .access
            .policy
            .as_deref()
            .is_some_and(crate::ops::site::findings::policy_is_public);
        let (detail, health) = if public {
            ("public policy", Health::Warning)
        } else if bucket.access.public_access_blocked {
            ("private", Health::Ok)
        } else {
            ("public access not blocked", Health::Warning)
        };
        nodes.push(node(
            &bucket_id(&bucket.name),
            NodeKind::Bucket,
            &format!("S3 {}", bucket.name),
            detail,
            health,
        ));
    }
    nodes
}

pub fn cdn_id(distribution: &str) -> String {
    format!("cloudfront:{distribution}")
}

pub fn bucket_id(bucket: &str) -> String {
    format!("s3:{bucket}")
}

/// Internet to each distribution (`https`, or `http` when it still serves plain HTTP), and
/// each distribution to its origins: the stack's load balancer by its protocol, a bucket by
/// how CloudFront is let in (`OAC`, `OAI`, or `public`, drawn as not allowed).
fn site_edges(topology: &Topology) -> Vec<Edge> {
    let mut edges = Vec::new();
    for d in &topology.edge.distributions {
        let d = &d.distribution;
        let viewer = if d.viewer_protocol == ViewerProtocol::AllowAll {
            "http"
        } else {
            "https"
        };
        let cdn = cdn_id(&d.id);
        edges.push(edge("internet", &cdn, viewer, None));
        for origin in &d.origins {
            match &origin.kind {
                OriginKind::Bucket { bucket, access } => {
                    let (label, allowed) = match access {
                        OriginAccess::Oac(_) => ("OAC", Some(true)),
                        OriginAccess::Oai(_) => ("OAI", Some(true)),
                        OriginAccess::None => ("public", Some(false)),
                    };
                    edges.push(edge(&cdn, &bucket_id(bucket), label, allowed));
                }
                OriginKind::Custom { protocol } => {
                    let lb = topology.load_balancers.iter().find(|lb| {
                        origin
                            .domain_name
                            .trim_start_matches("dualstack.")
                            .eq_ignore_ascii_case(&lb.dns_name)
                    });
                    if let Some(lb) = lb {
                        let plain = *protocol == OriginProtocol::HttpOnly;
                        let label = if plain { "http" } else { "https" };
                        edges.push(edge(&cdn, &lb.arn, label, Some(!plain)));
                    }
                }
            }
        }
    }
    edges
}

/// One target group the service registers with, and the container port behind it.
struct Binding<'a> {
    target_group_arn: &'a str,
    container_port: Option<u16>,
    /// The load balancer that sends the group its traffic.
    load_balancer: Option<&'a LoadBalancer>,
}

/// What the service is wired to, found once and used for nodes and edges.
struct Wiring<'a> {
    topology: &'a Topology,
    /// Every target group of the service (ECS allows up to five), in the service's order.
    bindings: Vec<Binding<'a>>,
    /// The load balancers in front of them, each once.
    load_balancers: Vec<&'a LoadBalancer>,
    service_groups: Vec<&'a str>,
    private_subnets: Vec<String>,
}

impl<'a> Wiring<'a> {
    fn new(
        topology: &'a Topology,
        service: Option<&'a Service>,
        targets: Option<&'a [TargetGroupHealth]>,
    ) -> Self {
        let declared: Vec<(&str, Option<u16>)> = match service {
            Some(s) if !s.load_balancers.is_empty() => s
                .load_balancers
                .iter()
                .map(|b| (b.target_group_arn.as_str(), Some(b.container_port)))
                .collect(),
            // Before ECS has answered: what discovery found, then what target health says.
            _ if !topology.target_groups.is_empty() => topology
                .target_groups
                .iter()
                .map(|t| (t.arn.as_str(), Some(t.port)))
                .collect(),
            _ => targets
                .unwrap_or_default()
                .iter()
                .map(|t| (t.group.arn.as_str(), Some(t.group.port)))
                .collect(),
        };
        let mut bindings: Vec<Binding> = Vec::new();
        for (arn, container_port) in declared {
            if bindings.iter().any(|b| b.target_group_arn == arn) {
                continue;
            }
            bindings.push(Binding {
                target_group_arn: arn,
                container_port,
                load_balancer: load_balancer_of(topology, arn),
            });
        }
        let mut load_balancers: Vec<&LoadBalancer> = Vec::new();
        for lb in bindings.iter().filter_map(|b| b.load_balancer) {
            if !load_balancers.iter().any(|l| l.arn == lb.arn) {
                load_balancers.push(lb);
            }
        }
        if load_balancers.is_empty() {
            load_balancers.extend(topology.load_balancers.first());
        }
        let network = if topology.service_network.subnets.is_empty() {
            service.map(|s| &s.network)
        } else {
            Some(&topology.service_network)
        };
        let private_subnets = match network {
            Some(n) if !n.subnets.is_empty() => n.subnets.clone(),
            _ => topology
                .subnets
                .iter()
                .filter(|s| !topology.is_public(&s.id))
                .map(|s| s.id.clone())
                .collect(),
        };
        Wiring {
            topology,
            bindings,
            load_balancers,
            service_groups: network
                .map(|n| n.security_groups.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            private_subnets,
        }
    }

    fn target_group_node(
        &self,
        binding: &Binding,
        targets: Option<&[TargetGroupHealth]>,
    ) -> Option<Node> {
        let arn = binding.target_group_arn;
        let live = targets.and_then(|t| t.iter().find(|g| g.group.arn == arn));
        let group = live
            .map(|g| &g.group)
            .or_else(|| self.topology.target_groups.iter().find(|t| t.arn == arn))?;
        let (summary, health) = match live {
            Some(g) => (
                format!("{}/{} healthy", g.healthy(), g.targets.len()),
                g.health(),
            ),
            None => ("targets ?".to_string(), Health::Unknown),
        };
        Some(node(
            arn,
            NodeKind::TargetGroup,
            &format!("TG {}", group.name),
            &format!("{summary}  {}:{}", group.protocol, group.port),
            health,
        ))
    }

    fn edges(&self, graph: &NetGraph, databases: &[DbInstance]) -> Vec<Edge> {
        let mut edges = Vec::new();
        let first = |kind| graph.nodes_of(kind).next().map(|n| n.id.clone());
        let internet = "internet".to_string();
        let entry = match first(NodeKind::Dns) {
            Some(dns) => {
                edges.push(edge(&internet, &dns, "dns", None));
                dns
            }
            None => internet.clone(),
        };
        for lb in &self.load_balancers {
            for listener in &lb.listeners {
                let label = match &listener.default_action {
                    ListenerAction::Redirect { port, .. } => format!(":{}->{port}", listener.port),
                    _ => format!(":{}", listener.port),
                };
                let allowed =
                    self.groups_admit(&lb.security_groups, |g| g.admits_world(listener.port));
                edges.push(edge(&entry, &lb.arn, &label, allowed));
            }
        }
        for binding in &self.bindings {
            let tg = binding.target_group_arn;
            if graph.node(tg).is_none() {
                continue;
            }
            if let Some(lb) = binding
                .load_balancer
                .or(self.load_balancers.first().copied())
            {
                edges.push(edge(&lb.arn, tg, "fwd", None));
            }
            let port_label = binding
                .container_port
                .map_or("app".into(), |p| format!(":{p}"));
            let to_tasks = self.tasks_admit(binding);
            for subnet in graph.nodes_of(NodeKind::Subnet) {
                edges.push(edge(tg, &subnet.id, &port_label, to_tasks));
            }
        }
        for subnet in graph.nodes_of(NodeKind::Subnet) {
            for db in databases {
                let port = db.port.unwrap_or(5432);
                let allowed = self.groups_admit(&db.security_groups, |g| {
                    self.service_groups.iter().any(|s| g.admits_group(s, port))
                });
                edges.push(edge(&subnet.id, &db.arn, &format!(":{port}"), allowed));
            }
            edges.extend(self.egress_edges(&subnet.id));
        }
        for nat in &self.topology.nat_gateways {
            if let Some(igw) = self.topology.internet_gateways.first() {
                let public = self.topology.is_public(&nat.subnet_id);
                edges.push(edge(&nat.id, &igw.id, "egress", Some(public)));
            }
        }
        if let Some(igw) = self.topology.internet_gateways.first() {
            edges.push(edge(&igw.id, &internet, "egress", None));
        }
        edges
    }

    /// A private subnet reaches the internet through the NAT its route table names; with no
    /// such route image pulls fail (CannotPullContainerError), so that is drawn as blocked.
    fn egress_edges(&self, subnet: &str) -> Vec<Edge> {
        let routed: Vec<&str> = self
            .topology
            .route_table_for(subnet)
            .map(|t| {
                t.routes
                    .iter()
                    .filter_map(|r| match &r.target {
                        RouteTarget::NatGateway(id) => Some(id.as_str()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !routed.is_empty() {
            return routed
                .into_iter()
                .map(|nat| edge(subnet, nat, "egress", Some(true)))
                .collect();
        }
        match self.topology.nat_gateways.first() {
            Some(nat) if !self.topology.is_public(subnet) => {
                vec![edge(subnet, &nat.id, "egress", Some(false))]
            }
            _ => Vec::new(),
        }
    }

    /// Whether the service's security groups admit the binding's load balancer on its port.
    fn tasks_admit(&self, binding: &Binding) -> Option<bool> {
        let port = binding.container_port?;
        let lb = binding
            .load_balancer
            .or(self.load_balancers.first().copied())?;
        self.groups_admit(
            &self
                .service_groups
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
            |g| {
                lb.security_groups
                    .iter()
                    .any(|source| g.admits_group(source, port))
            },
        )
    }

    /// Whether any of `groups` passes `test`; `None` when none of them is known.
    fn groups_admit(
        &self,
        groups: &[String],
        test: impl Fn(&crate::model::SecurityGroup) -> bool,
    ) -> Option<bool> {
        let known: Vec<_> = groups
            .iter()
            .filter_map(|g| self.topology.security_group(g))
            .collect();
        (!known.is_empty()).then(|| known.into_iter().any(test))
    }
}

fn node(id: &str, kind: NodeKind, label: &str, detail: &str, health: Health) -> Node {
    Node {
        id: id.to_string(),
        kind,
        label: label.to_string(),
        detail: detail.to_string(),
        health,
        zone: None,
        parent: None,
    }
}

fn edge(from: &str, to: &str, label: &str, allowed: Option<bool>) -> Edge {
    Edge {
        from: from.to_string(),
        to: to.to_string(),
        label: label.to_string(),
        allowed,
    }
}

fn task_node(task: &Task, subnet: &str) -> Node {
    let short = task.id.get(..8).unwrap_or(&task.id);
    let mut node = node(
        &task.id,
        NodeKind::Task,
        short,
        task.last_status.as_str(),
        task.health_class(),
    );
    node.zone = Some(task.availability_zone.clone());
    node.parent = Some(subnet.to_string());
    node
}

/// `NAT`, or `NAT eu-west-2a` when there are several and the zone tells them apart.
fn nat_node(nat: &NatGateway, zone: Option<String>, several: bool) -> Node {
    let health = match nat.state.as_str() {
        "available" => Health::Ok,
        "pending" => Health::Pending,
        "deleting" => Health::Warning,
        _ => Health::Failed,
    };
    let detail = match &nat.public_ip {
        Some(ip) => format!("{}  {ip}", nat.state),
        None => nat.state.clone(),
    };
    let label = match (&zone, several) {
        (Some(zone), true) => format!("NAT {zone}"),
        _ => "NAT".to_string(),
    };
    let mut node = node(&nat.id, NodeKind::NatGateway, &label, &detail, health);
    node.parent = Some(nat.subnet_id.clone());
    node.zone = zone;
    node
}

fn in_subnet(task: &Task, subnet: &str, topology: &Topology) -> bool {
    match &task.subnet_id {
        Some(id) => id == subnet,
        None => topology
            .subnet(subnet)
            .is_some_and(|s| s.availability_zone == task.availability_zone),
    }
}

/// The load balancer in front of a target group: the group names it (`LoadBalancerArns`, which
/// counts listener rules too), else one whose listener forwards to it by default.
fn load_balancer_of<'a>(
    topology: &'a Topology,
    target_group_arn: &str,
) -> Option<&'a LoadBalancer> {
    let named = topology
        .target_groups
        .iter()
        .find(|t| t.arn == target_group_arn)
        .map(|t| t.load_balancer_arns.as_slice())
        .unwrap_or_default();
    topology
        .load_balancers
        .iter()
        .find(|lb| named.contains(&lb.arn))
        .or_else(|| {
            topology
                .load_balancers
                .iter()
                .find(|lb| forwards_to(lb, target_group_arn))
        })
}

fn forwards_to(lb: &LoadBalancer, target_group_arn: &str) -> bool {
    lb.listeners.iter().any(|l| {
        matches!(&l.default_action, ListenerAction::Forward { target_group_arns }
            if target_group_arns.iter().any(|a| a == target_group_arn))
    })
}

/// `:443 https ✓cert  :80→443`: what each listener does, two spaces apart.
fn listeners_summary(topology: &Topology, lb: &LoadBalancer) -> String {
    let mut listeners: Vec<_> = lb.listeners.iter().collect();
    // The serving listener first: it is what users reach.
    listeners.sort_by_key(|l| matches!(l.default_action, ListenerAction::Redirect { .. }));
    listeners
        .iter()
        .map(|l| match &l.default_action {
            ListenerAction::Redirect { port, .. } => format!(":{}→{port}", l.port),
            ListenerAction::FixedResponse { status_code } => {
                format!(":{} fixed {status_code}", l.port)
            }
            ListenerAction::Forward { .. } => {
                let proto = l.protocol.to_ascii_lowercase();
                if l.certificate_arns.is_empty() {
                    format!(":{} {proto}", l.port)
                } else {
                    let issued = l.certificate_arns.iter().all(|arn| {
                        topology
                            .certificates
                            .iter()
                            .find(|c| &c.arn == arn)
                            .is_none_or(|c| c.status == "ISSUED")
                    });
                    let mark = if issued { "✓cert" } else { "✗cert" };
                    format!(":{} {proto} {mark}", l.port)
                }
            }
        })
        .collect::<Vec<_>>()
        .join("  ")
}

fn load_balancer_health(state: &str) -> Health {
    match state {
        "active" => Health::Ok,
        "provisioning" => Health::Pending,
        "active_impaired" => Health::Warning,
        "failed" => Health::Failed,
        _ => Health::Unknown,
    }
}

/// The worst health among a group; `Unknown` for an empty one.
fn worst(healths: impl Iterator<Item = Health>) -> Health {
    let rank = |h: &Health| match h {
        Health::Failed => 4,
        Health::Warning => 3,
        Health::Pending => 2,
        Health::Ok => 1,
        Health::Unknown => 0,
    };
    healths.max_by_key(rank).unwrap_or(Health::Unknown)
}
