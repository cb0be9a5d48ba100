//! The network graph: the boxes and arrows of a stack, derived from its topology and live state.

use serde::Serialize;

use super::Health;

pub type NodeId = String;

/// What a box in the graph stands for. Order is left-to-right placement (ingress path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeKind {
    Internet,
    Dns,
    /// A CloudFront distribution of the stack.
    Cdn,
    /// An S3 bucket a distribution serves.
    Bucket,
    InternetGateway,
    LoadBalancer,
    TargetGroup,
    Subnet,
    Task,
    NatGateway,
    Database,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub id: NodeId,
    pub kind: NodeKind,
    /// Short name shown as the box title, e.g. `ALB umami`.
    pub label: String,
    /// Second line, e.g. `:443 https  :80 -> 443`.
    pub detail: String,
    pub health: Health,
    /// Availability zone, for nodes that live in one (subnets, tasks, NAT gateways).
    pub zone: Option<String>,
    /// The subnet a task or NAT gateway sits in.
    pub parent: Option<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    /// Port or protocol, e.g. `:3000`, `:5432`, `egress`.
    pub label: String,
    /// Whether the security groups along the edge admit the traffic; `None` when unknown.
    pub allowed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NetGraph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl NetGraph {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn nodes_of(&self, kind: NodeKind) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(move |n| n.kind == kind)
    }

    pub fn edges_from<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Edge> {
        self.edges.iter().filter(move |e| e.from == id)
    }
}
