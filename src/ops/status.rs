//! `opsdeck status`: a one-shot summary of the stack for terminals and scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::cloud::{Cloud, CloudResult};
use crate::model::{
    DbInstance, Health, Service, StackEdge, StackRef, TargetGroupHealth, Task, TaskStatus,
    Topology, family_revision,
};
use crate::ops::discover;
use crate::ops::findings::{Finding, findings};
use crate::ops::site::discover::SiteHint;

pub mod network;

pub use network::NetworkStatus;

/// Exit code of `opsdeck status` when everything is well (or a rollout is under way).
pub const EXIT_HEALTHY: u8 = 0;
/// Exit code when something needs attention: tasks missing, targets unhealthy, DB not available.
pub const EXIT_DEGRADED: u8 = 1;

/// The summary. Field names and shapes are stable: scripts read `--json`.
///
/// Top-level keys, in this order: `stack`, `backend`, `health`, `services`, `tasks`,
/// `target_groups`, `databases`, `findings`, `network` (its keys: [`NetworkStatus`]) and
/// `site` (`distributions`, `buckets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    pub stack: StackRef,
    pub backend: String,
    /// Worst of the stack service, its target groups and its databases.
    pub health: Health,
    pub services: Vec<ServiceStatus>,
    pub tasks: TaskCounts,
    pub target_groups: Vec<TargetGroupStatus>,
    pub databases: Vec<DatabaseStatus>,
    pub findings: Vec<Finding>,
    /// What the network pane draws, from the same discovery: no AWS call of its own.
    pub network: NetworkStatus,
    /// CloudFront in front of the stack and the static site's buckets (both lists empty
    /// when it has none).
    pub site: StackEdge,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceStatus {
    pub name: String,
    pub status: String,
    pub health: Health,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    /// `family:revision`.
    pub task_definition: String,
    pub deployments: Vec<DeploymentStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentStatus {
    pub id: String,
    pub status: crate::model::DeploymentStatus,
    pub rollout_state: crate::model::RolloutState,
    pub reason: Option<String>,
    pub task_definition: String,
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    pub failed_tasks: u32,
}

/// Tasks of the stack's service, by `lastStatus`, and why recent ones stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskCounts {
    pub by_state: BTreeMap<String, u32>,
    pub stopped_reasons: Vec<StoppedTask>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoppedTask {
    pub task: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetGroupStatus {
    pub name: String,
    pub health: Health,
    pub healthy: usize,
    pub total: usize,
    pub by_state: BTreeMap<String, usize>,
    pub unhealthy: Vec<UnhealthyTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnhealthyTarget {
    pub target: String,
    pub state: String,
    pub reason: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseStatus {
    pub id: String,
    pub status: String,
    pub health: Health,
    pub engine: String,
    pub class: String,
    pub multi_az: bool,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
}

/// How many stopped tasks' reasons the summary repeats: the newest explain a failure.
const STOPPED_REASONS_SHOWN: usize = 5;

/// Loads what the dashboard loads, once, and summarises it.
pub async fn collect(cloud: &Cloud, stack: &StackRef) -> CloudResult<StatusReport> {
    let hint = SiteHint {
        stack: stack.name.clone(),
        site: None,
    };
    collect_with(cloud, stack, &hint).await
}

/// [`collect`], with the static site the config names.
pub async fn collect_with(
    cloud: &Cloud,
    stack: &StackRef,
    hint: &SiteHint,
) -> CloudResult<StatusReport> {
    let topology = discover::topology_with(cloud, stack, hint).await?;
    let (ecs, targets, databases) = tokio::try_join!(
        discover::ecs(cloud, stack),
        discover::target_health(cloud, &topology),
        discover::databases(cloud, &topology),
    )?;
    Ok(StatusReport::new(
        stack.clone(),
        cloud.kind.to_string(),
        &topology,
        &ecs.services,
        &ecs.tasks,
        &targets,
        &databases,
    ))
}

impl StatusReport {
    /// `topology` is what discovery found; findings and the network section come from it.
    pub fn new(
        stack: StackRef,
        backend: String,
        topology: &Topology,
        services: &[Service],
        tasks: &[Task],
        targets: &[TargetGroupHealth],
        databases: &[DbInstance],
    ) -> StatusReport {
        let stack_health = services
            .iter()
            .filter(|s| s.name == stack.service)
            .map(Service::health)
            .chain(targets.iter().map(TargetGroupHealth::health))
            .chain(databases.iter().map(DbInstance::health))
            .filter(|h| *h != Health::Unknown)
            .max()
            .unwrap_or(Health::Unknown);
        StatusReport {
            stack,
            backend,
            health: stack_health,
            services: services.iter().map(service_status).collect(),
            tasks: task_counts(tasks),
            target_groups: targets.iter().map(target_group_status).collect(),
            databases: databases.iter().map(database_status).collect(),
            findings: findings(topology, targets, tasks),
            network: NetworkStatus::new(topology, databases),
            site: topology.edge.clone(),
        }
    }

    /// 0 healthy (a rollout in progress counts), 1 degraded. Errors (2) never get this far.
    pub fn exit_code(&self) -> u8 {
        match self.health {
            Health::Ok | Health::Pending => EXIT_HEALTHY,
            Health::Warning | Health::Failed | Health::Unknown => EXIT_DEGRADED,
        }
    }

    pub fn to_json(&self) -> String {
        // Serializing plain structs with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// For a terminal: one line per thing, worst news first within each part.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}  cluster {}  service {}  ({})  {}",
            self.stack.name,
            self.stack.cluster,
            self.stack.service,
            self.backend,
            verdict(self.health)
        );
        self.write_services(&mut out);
        self.write_tasks(&mut out);
        self.write_targets(&mut out);
        self.write_databases(&mut out);
        self.network.write_text(&mut out);
        self.write_site(&mut out);
        self.write_findings(&mut out);
        out
    }

    /// `site`: each distribution with its status and names, each bucket with its access.
    fn write_site(&self, out: &mut String) {
        if self.site.is_empty() {
            return;
        }
        let _ = writeln!(out, "site");
        for d in &self.site.distributions {
            let d = &d.distribution;
            let names = if d.aliases.is_empty() {
                d.domain_name.clone()
            } else {
                format!("{} ({})", d.aliases.join(", "), d.domain_name)
            };
            let _ = writeln!(
                out,
                "  cloudfront {}  {}  {names}  {}",
                d.id,
                d.status,
                d.viewer_protocol.as_str()
            );
        }
        for b in &self.site.buckets {
            let access = if b
                .access
                .policy
                .as_deref()
                .is_some_and(crate::ops::site::findings::policy_is_public)
            {
                "public policy"
            } else if b.access.public_access_blocked {
                "private"
            } else {
                "public access not blocked"
            };
            let _ = writeln!(out, "  s3 {}  {access}", b.name);
        }
    }

    fn write_services(&self, out: &mut String) {
        let _ = writeln!(out, "\nservices");
        for s in &self.services {
            let _ = writeln!(
                out,
                "  {:<24} {:<8} {}/{} running  {} pending  {}  {}",
                s.name,
                s.status,
                s.running,
                s.desired,
                s.pending,
                s.task_definition,
                health_word(s.health)
            );
            for d in &s.deployments {
                let _ = writeln!(
                    out,
                    "    {:<22} {} {}  {}/{}  {}{}",
                    d.id,
                    api_name(&d.status),
                    api_name(&d.rollout_state),
                    d.running,
                    d.desired,
                    d.task_definition,
                    if d.failed_tasks > 0 {
                        format!("  {} failed tasks", d.failed_tasks)
                    } else {
                        String::new()
                    }
                );
            }
        }
    }

    fn write_tasks(&self, out: &mut String) {
        let counts: Vec<String> = self
            .tasks
            .by_state
            .iter()
            .map(|(state, n)| format!("{state} {n}"))
            .collect();
        let _ = writeln!(
            out,
            "\ntasks  {}",
            if counts.is_empty() {
                "none".to_string()
            } else {
                counts.join("  ")
            }
        );
        for stopped in &self.tasks.stopped_reasons {
            let _ = writeln!(out, "  stopped {}: {}", stopped.task, stopped.reason);
        }
    }

    fn write_targets(&self, out: &mut String) {
        let _ = writeln!(out, "\ntarget groups");
        if self.target_groups.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for tg in &self.target_groups {
            let _ = writeln!(
                out,
                "  {:<24} {}/{} healthy  {}",
                tg.name,
                tg.healthy,
                tg.total,
                health_word(tg.health)
            );
            for t in &tg.unhealthy {
                let _ = writeln!(
                    out,
                    "    {} {} {}",
                    t.target,
                    t.state,
                    t.reason.as_deref().unwrap_or_default()
                );
            }
        }
    }

    fn write_databases(&self, out: &mut String) {
        let _ = writeln!(out, "\ndatabases");
        if self.databases.is_empty() {
            let _ = writeln!(out, "  none found behind the service's security groups");
        }
        for db in &self.databases {
            let _ = writeln!(
                out,
                "  {:<24} {}  {}  {}  multi-az {}  backups {}d  deletion protection {}",
                db.id,
                db.status,
                db.engine,
                db.class,
                yes_no(db.multi_az),
                db.backup_retention_days,
                if db.deletion_protection { "on" } else { "off" }
            );
        }
    }

    fn write_findings(&self, out: &mut String) {
        let _ = writeln!(out, "\nfindings");
        if self.findings.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for f in &self.findings {
            let _ = writeln!(
                out,
                "  {:<6} {:<28} {}",
                f.severity.as_str().to_uppercase(),
                f.resource,
                f.title
            );
        }
    }
}

fn service_status(s: &Service) -> ServiceStatus {
    ServiceStatus {
        name: s.name.clone(),
        status: s.status.clone(),
        health: s.health(),
        desired: s.desired,
        running: s.running,
        pending: s.pending,
        task_definition: family_revision(&s.task_definition).to_string(),
        deployments: s
            .deployments
            .iter()
            .map(|d| DeploymentStatus {
                id: d.id.clone(),
                status: d.status,
                rollout_state: d.rollout_state,
                reason: d.rollout_state_reason.clone(),
                task_definition: family_revision(&d.task_definition).to_string(),
                desired: d.desired,
                running: d.running,
                pending: d.pending,
                failed_tasks: d.failed_tasks,
            })
            .collect(),
    }
}

fn task_counts(tasks: &[Task]) -> TaskCounts {
    let mut by_state = BTreeMap::new();
    for task in tasks {
        *by_state
            .entry(task.last_status.as_str().to_string())
            .or_insert(0) += 1;
    }
    let mut stopped: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.last_status == TaskStatus::Stopped && t.stopped_reason.is_some())
        .collect();
    stopped.sort_by_key(|t| std::cmp::Reverse(t.stopped_at));
    TaskCounts {
        by_state,
        stopped_reasons: stopped
            .into_iter()
            .take(STOPPED_REASONS_SHOWN)
            .map(|t| StoppedTask {
                task: t.id.clone(),
                reason: t.stopped_reason.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

fn target_group_status(tg: &TargetGroupHealth) -> TargetGroupStatus {
    let mut by_state = BTreeMap::new();
    for t in &tg.targets {
        *by_state.entry(t.state.as_str().to_string()).or_insert(0) += 1;
    }
    TargetGroupStatus {
        name: tg.group.name.clone(),
        health: tg.health(),
        healthy: tg.healthy(),
        total: tg.targets.len(),
        by_state,
        unhealthy: tg
            .targets
            .iter()
            .filter(|t| t.state != crate::model::TargetState::Healthy)
            .map(|t| UnhealthyTarget {
                target: format!("{}:{}", t.target_id, t.port),
                state: t.state.as_str().to_string(),
                reason: t.reason.clone(),
                description: t.description.clone(),
            })
            .collect(),
    }
}

fn database_status(db: &DbInstance) -> DatabaseStatus {
    DatabaseStatus {
        id: db.id.clone(),
        status: db.status.clone(),
        health: db.health(),
        engine: format!("{} {}", db.engine, db.engine_version),
        class: db.class.clone(),
        multi_az: db.multi_az,
        backup_retention_days: db.backup_retention_days,
        deletion_protection: db.deletion_protection,
    }
}

fn verdict(health: Health) -> &'static str {
    match health {
        Health::Ok => "HEALTHY",
        Health::Pending => "DEPLOYING",
        Health::Warning | Health::Failed => "DEGRADED",
        Health::Unknown => "UNKNOWN",
    }
}

fn health_word(health: Health) -> &'static str {
    match health {
        Health::Ok => "ok",
        Health::Pending => "pending",
        Health::Warning => "warning",
        Health::Failed => "failed",
        Health::Unknown => "unknown",
    }
}

/// The name AWS uses for an enum value (`PRIMARY`, `IN_PROGRESS`), as the JSON has it.
fn api_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DeploymentController, NetworkConfig, RolloutState, TaskHealth};

    fn stack() -> StackRef {
        StackRef {
            name: "umami".into(),
            region: "eu-west-2".into(),
            cluster: "umami".into(),
            service: "umami".into(),
        }
    }

    fn service(running: u32, rollout: RolloutState) -> Service {
        Service {
            name: "umami".into(),
            arn: "arn:aws:ecs:eu-west-2:1:service/umami/umami".into(),
            cluster_arn: "arn:aws:ecs:eu-west-2:1:cluster/umami".into(),
            status: "ACTIVE".into(),
            launch_type: "FARGATE".into(),
            desired: 2,
            running,
            pending: 0,
            task_definition: "arn:aws:ecs:eu-west-2:1:task-definition/umami:7".into(),
            deployments: vec![crate::model::Deployment {
                id: "ecs-svc/1".into(),
                status: crate::model::DeploymentStatus::Primary,
                rollout_state: rollout,
                rollout_state_reason: None,
                task_definition: "arn:aws:ecs:eu-west-2:1:task-definition/umami:7".into(),
                desired: 2,
                running,
                pending: 0,
                failed_tasks: 0,
                created_at: 0,
                updated_at: 0,
            }],
            events: vec![],
            load_balancers: vec![],
            network: NetworkConfig::default(),
            circuit_breaker: None,
            deployment_controller: DeploymentController::Ecs,
            created_at: 0,
        }
    }

    fn stopped_task(id: &str, at: i64, reason: &str) -> Task {
        Task {
            arn: format!("arn:aws:ecs:eu-west-2:1:task/umami/{id}"),
            id: id.into(),
            task_definition: "umami:7".into(),
            last_status: TaskStatus::Stopped,
            desired_status: TaskStatus::Stopped,
            health: TaskHealth::Unknown,
            availability_zone: "eu-west-2a".into(),
            subnet_id: None,
            private_ip: None,
            public_ip: None,
            started_by: None,
            group: "service:umami".into(),
            created_at: 0,
            started_at: None,
            stopped_at: Some(at),
            stopped_reason: Some(reason.into()),
            stop_code: None,
            containers: vec![],
        }
    }

    fn report(services: &[Service], tasks: &[Task]) -> StatusReport {
        StatusReport::new(
            stack(),
            "test".into(),
            &Topology::default(),
            services,
            tasks,
            &[],
            &[],
        )
    }

    #[test]
    fn exit_code_is_0_when_healthy_or_rolling_out_and_1_when_degraded() {
        assert_eq!(
            report(&[service(2, RolloutState::Completed)], &[]).exit_code(),
            0
        );
        assert_eq!(
            report(&[service(1, RolloutState::InProgress)], &[]).exit_code(),
            0
        );
        assert_eq!(
            report(&[service(1, RolloutState::Completed)], &[]).exit_code(),
            1
        );
        assert_eq!(
            report(&[service(2, RolloutState::Failed)], &[]).exit_code(),
            1
        );
    }

    #[test]
    fn other_services_in_the_cluster_do_not_decide_the_stack_health() {
        let mut other = service(0, RolloutState::Failed);
        other.name = "batch".into();
        let r = report(&[service(2, RolloutState::Completed), other], &[]);
        assert_eq!(r.health, Health::Ok);
        assert_eq!(r.services.len(), 2);
    }

    #[test]
    fn the_newest_stop_reasons_are_kept() {
        let tasks = [
            stopped_task("old", 1, "Essential container in task exited"),
            stopped_task("new", 2, "CannotPullContainerError: not found"),
        ];
        let r = report(&[service(2, RolloutState::Completed)], &tasks);
        assert_eq!(r.tasks.by_state["STOPPED"], 2);
        assert_eq!(r.tasks.stopped_reasons[0].task, "new");
        let text = r.to_text();
        assert!(
            text.contains("stopped new: CannotPullContainerError"),
            "{text}"
        );
        assert!(r.to_json().contains("\"stopped_reasons\""));
    }
}
