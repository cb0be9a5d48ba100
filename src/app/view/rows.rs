//! The selectable rows of each pane, shared by drawing and by `update` so the selection
//! always points at what is on screen; and the Detail popup of the selected row.
//!
//! Selections (`network_selected`, `ecs_pane.service`/`task`, `targets_selected`,
//! `rds_selected`) are indices into the rows listed here, i.e. after the pane's filter.
//! The ECS filter applies to the level being browsed: services, or the selected service's
//! tasks (so `update` should clear it when changing level).

use crate::app::action::PaneId;
use crate::app::state::{AppState, EcsLevel, LogLine};
use crate::model::{
    DbInstance, EdgeDistribution, MetricSeries, Node, OriginAccess, OriginKind, Service,
    SiteBucket, TargetGroupHealth, TargetHealth, Task, TaskStatus, family_revision,
};

use super::text;

/// Number of selectable rows in the pane at its current level, filter applied.
pub fn list_len(state: &AppState, pane: PaneId) -> usize {
    match pane {
        PaneId::Network => nodes(state).len(),
        PaneId::Ecs => match state.ecs_pane.level {
            EcsLevel::Services => services(state).len(),
            EcsLevel::Tasks => tasks(state).len(),
        },
        PaneId::Targets => targets(state).len(),
        PaneId::Rds => databases(state).len(),
        PaneId::Logs => state.log_view_len(),
        PaneId::Site => site_rows(state).len(),
    }
}

/// Title and lines of the Detail popup for the selected row of `pane`.
pub fn detail(state: &AppState, pane: PaneId) -> Option<(String, Vec<String>)> {
    match pane {
        PaneId::Network => {
            let node = nodes(state).get(state.network_selected).copied()?;
            Some(node_detail(state, node))
        }
        PaneId::Ecs => match state.ecs_pane.level {
            EcsLevel::Services => selected_service(state).map(service_detail),
            EcsLevel::Tasks => tasks(state)
                .get(state.ecs_pane.task)
                .map(|t| task_detail(t)),
        },
        PaneId::Targets => {
            let (group, target) = targets(state).get(state.targets_selected).copied()?;
            Some(target_detail(group, target))
        }
        PaneId::Rds => databases(state)
            .get(state.rds_selected)
            .map(|db| database_detail(db)),
        PaneId::Logs => bottom_log_line(state).map(|line| log_detail(&line)),
        PaneId::Site => site_rows(state)
            .get(state.site_selected)
            .map(|row| site_detail(state, *row)),
    }
}

/// The pane's filter, lowercased once for matching.
pub fn filter(state: &AppState, pane: PaneId) -> Option<String> {
    state.filter_for(pane).map(str::to_lowercase)
}

fn keep(state: &AppState, pane: PaneId, visible: &str) -> bool {
    filter(state, pane).is_none_or(|f| text::matches(visible, &f))
}

// --- network ---------------------------------------------------------------------------

pub fn node_text(node: &Node) -> String {
    format!("{} {}", node.label, node.detail)
}

pub fn nodes(state: &AppState) -> Vec<&Node> {
    state
        .graph
        .nodes
        .iter()
        .filter(|n| keep(state, PaneId::Network, &node_text(n)))
        .collect()
}

fn node_detail(state: &AppState, node: &Node) -> (String, Vec<String>) {
    let mut lines = vec![
        format!("kind:    {:?}", node.kind),
        format!("id:      {}", node.id),
        format!("health:  {:?}", node.health),
    ];
    if !node.detail.is_empty() {
        lines.push(format!("detail:  {}", node.detail));
    }
    if let Some(zone) = &node.zone {
        lines.push(format!("zone:    {zone}"));
    }
    if let Some(parent) = &node.parent {
        lines.push(format!("in:      {parent}"));
    }
    let edges: Vec<String> = state
        .graph
        .edges
        .iter()
        .filter(|e| e.from == node.id || e.to == node.id)
        .map(|e| {
            let verdict = match e.allowed {
                Some(true) => "allowed",
                Some(false) => "BLOCKED by security groups",
                None => "not checked",
            };
            format!("  {} -> {}  {}  {verdict}", e.from, e.to, e.label)
        })
        .collect();
    if !edges.is_empty() {
        lines.push(String::new());
        lines.push("connections:".into());
        lines.extend(edges);
    }
    (node.label.clone(), lines)
}

// --- ECS -------------------------------------------------------------------------------

pub fn service_text(service: &Service) -> String {
    format!(
        "{} {} {}/{}/{} {}",
        service.name,
        service.status,
        service.desired,
        service.running,
        service.pending,
        family_revision(&service.task_definition)
    )
}

fn all_services(state: &AppState) -> &[Service] {
    state
        .ecs
        .data
        .as_ref()
        .map_or(&[], |d| d.services.as_slice())
}

/// Services as listed in the ECS pane (filtered only while browsing services).
pub fn services(state: &AppState) -> Vec<&Service> {
    let browsing = state.ecs_pane.level == EcsLevel::Services;
    all_services(state)
        .iter()
        .filter(|s| !browsing || keep(state, PaneId::Ecs, &service_text(s)))
        .collect()
}

pub fn selected_service(state: &AppState) -> Option<&Service> {
    services(state).get(state.ecs_pane.service).copied()
}

pub fn task_text(task: &Task) -> String {
    format!(
        "{} {} {} {:?} {} {} r{} {}",
        text::short_id(&task.id),
        task.last_status.as_str(),
        task.desired_status.as_str(),
        task.health,
        task.availability_zone,
        task.private_ip.as_deref().unwrap_or(""),
        task.revision().unwrap_or(0),
        task.stopped_reason.as_deref().unwrap_or("")
    )
}

/// Tasks of the selected service: running ones first, then stopped ones, newest first.
pub fn service_tasks(state: &AppState) -> Vec<&Task> {
    let Some(service) = selected_service(state) else {
        return Vec::new();
    };
    let group = format!("service:{}", service.name);
    let deployments: Vec<&str> = service.deployments.iter().map(|d| d.id.as_str()).collect();
    let mut tasks: Vec<&Task> = state
        .ecs
        .data
        .as_ref()
        .map_or(&[][..], |d| d.tasks.as_slice())
        .iter()
        .filter(|t| {
            t.group == group
                || t.started_by
                    .as_deref()
                    .is_some_and(|s| deployments.contains(&s))
        })
        .collect();
    tasks.sort_by_key(|t| {
        let stopped = t.last_status == TaskStatus::Stopped;
        let newest = -t.stopped_at.or(t.started_at).unwrap_or(t.created_at);
        (stopped, if stopped { newest } else { t.created_at })
    });
    tasks
}

/// Tasks as listed in the ECS pane (filtered while browsing tasks).
pub fn tasks(state: &AppState) -> Vec<&Task> {
    let browsing = state.ecs_pane.level == EcsLevel::Tasks;
    service_tasks(state)
        .into_iter()
        .filter(|t| !browsing || keep(state, PaneId::Ecs, &task_text(t)))
        .collect()
}

fn service_detail(service: &Service) -> (String, Vec<String>) {
    let mut lines = vec![
        format!("status:         {}", service.status),
        format!("launch type:    {}", service.launch_type),
        format!(
            "tasks:          {} desired, {} running, {} pending",
            service.desired, service.running, service.pending
        ),
        format!("task def:       {}", service.task_definition),
        format!("controller:     {:?}", service.deployment_controller),
    ];
    if let Some(cb) = service.circuit_breaker {
        lines.push(format!(
            "circuit breaker: {} (rollback {})",
            on_off(cb.enable),
            on_off(cb.rollback)
        ));
    }
    lines.push(format!(
        "subnets:        {}",
        service.network.subnets.join(", ")
    ));
    lines.push(format!(
        "security groups: {}",
        service.network.security_groups.join(", ")
    ));
    for d in &service.deployments {
        lines.push(format!(
            "deployment {} {:?} {:?} {}/{} {}",
            d.id,
            d.status,
            d.rollout_state,
            d.running,
            d.desired,
            family_revision(&d.task_definition)
        ));
        if let Some(reason) = &d.rollout_state_reason {
            lines.push(format!("  {reason}"));
        }
    }
    (format!("Service {}", service.name), lines)
}

fn task_detail(task: &Task) -> (String, Vec<String>) {
    let mut lines = vec![
        format!("arn:       {}", task.arn),
        format!(
            "status:    {} (desired {})",
            task.last_status.as_str(),
            task.desired_status.as_str()
        ),
        format!("health:    {:?}", task.health),
        format!("task def:  {}", family_revision(&task.task_definition)),
        format!("zone:      {}", task.availability_zone),
        format!("subnet:    {}", task.subnet_id.as_deref().unwrap_or("-")),
        format!("private:   {}", task.private_ip.as_deref().unwrap_or("-")),
        format!("public:    {}", task.public_ip.as_deref().unwrap_or("-")),
        format!("created:   {}", text::date_time(task.created_at)),
        format!(
            "started:   {}",
            task.started_at.map_or("-".into(), text::date_time)
        ),
    ];
    if let Some(stopped) = task.stopped_at {
        lines.push(format!("stopped:   {}", text::date_time(stopped)));
    }
    if let Some(code) = &task.stop_code {
        lines.push(format!("stop code: {code}"));
    }
    if let Some(reason) = &task.stopped_reason {
        lines.push(format!("reason:    {reason}"));
    }
    if let Some(by) = &task.started_by {
        lines.push(format!("started by: {by}"));
    }
    lines.push(String::new());
    lines.push("containers:".into());
    for c in &task.containers {
        let exit = c.exit_code.map_or("-".into(), |code| code.to_string());
        lines.push(format!(
            "  {}  {}  exit {exit}  {}",
            c.name, c.last_status, c.image
        ));
        if let Some(reason) = &c.reason {
            lines.push(format!("    {reason}"));
        }
    }
    (format!("Task {}", text::short_id(&task.id)), lines)
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// The service's CPU and memory series, when CloudWatch has them.
pub fn service_metrics<'a>(
    state: &'a AppState,
    service: &Service,
) -> (Option<&'a MetricSeries>, Option<&'a MetricSeries>) {
    state
        .metrics
        .data
        .as_ref()
        .map_or((None, None), |m| m.service(&service.name))
}

// --- targets ---------------------------------------------------------------------------

pub fn target_text(target: &TargetHealth) -> String {
    format!(
        "{}:{} {} {} {} {}",
        target.target_id,
        target.port,
        target.availability_zone.as_deref().unwrap_or(""),
        target.state.as_str(),
        target.reason.as_deref().unwrap_or(""),
        target.description.as_deref().unwrap_or("")
    )
}

pub fn groups(state: &AppState) -> &[TargetGroupHealth] {
    state.targets.data.as_deref().unwrap_or(&[])
}

/// Every target of every group, as (group, target), filtered.
pub fn targets(state: &AppState) -> Vec<(&TargetGroupHealth, &TargetHealth)> {
    groups(state)
        .iter()
        .flat_map(|g| g.targets.iter().map(move |t| (g, t)))
        .filter(|(_, t)| keep(state, PaneId::Targets, &target_text(t)))
        .collect()
}

fn target_detail(group: &TargetGroupHealth, target: &TargetHealth) -> (String, Vec<String>) {
    let hc = &group.group.health_check;
    let lines = vec![
        format!("target:      {}:{}", target.target_id, target.port),
        format!(
            "zone:        {}",
            target.availability_zone.as_deref().unwrap_or("-")
        ),
        format!("state:       {}", target.state.as_str()),
        format!("reason:      {}", target.reason.as_deref().unwrap_or("-")),
        format!(
            "description: {}",
            target.description.as_deref().unwrap_or("-")
        ),
        String::new(),
        format!(
            "group:       {} {}:{}",
            group.group.name, group.group.protocol, group.group.port
        ),
        format!(
            "check:       {} {} port {} matcher {}",
            hc.protocol, hc.path, hc.port, hc.matcher
        ),
        format!(
            "             every {}s, timeout {}s, healthy after {}, unhealthy after {}",
            hc.interval_s, hc.timeout_s, hc.healthy_threshold, hc.unhealthy_threshold
        ),
        format!(
            "deregistration delay: {}s",
            group.group.deregistration_delay_s
        ),
    ];
    (format!("Target {}", target.target_id), lines)
}

// --- RDS -------------------------------------------------------------------------------

pub fn database_text(db: &DbInstance) -> String {
    format!(
        "{} {} {} {} {} {}",
        db.id,
        db.status,
        db.engine,
        db.engine_version,
        db.class,
        db.endpoint.as_deref().unwrap_or("")
    )
}

pub fn databases(state: &AppState) -> Vec<&DbInstance> {
    state
        .rds
        .data
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .filter(|db| keep(state, PaneId::Rds, &database_text(db)))
        .collect()
}

/// Every fact the RDS pane and popup show about an instance. Never a password: the model
/// holds none, and only says whether Secrets Manager manages it.
pub fn database_facts(db: &DbInstance) -> Vec<(&'static str, String)> {
    let multi_az = match (db.multi_az, &db.secondary_availability_zone) {
        (true, Some(zone)) => format!("yes (standby {zone})"),
        (true, None) => "yes".into(),
        (false, _) => "no".into(),
    };
    let free = db.free_storage_bytes.map_or("? free".into(), |b| {
        format!("{:.1} GB free", b as f64 / 1e9)
    });
    let maintenance = match &db.pending_maintenance {
        None => "unknown".into(),
        Some(actions) if actions.is_empty() => "none".into(),
        Some(actions) => actions.join("; "),
    };
    vec![
        (
            "engine",
            format!("{} {} · {}", db.engine, db.engine_version, db.class),
        ),
        (
            "endpoint",
            match (&db.endpoint, db.port) {
                (Some(e), Some(p)) => format!("{e}:{p}"),
                (Some(e), None) => e.clone(),
                _ => "-".into(),
            },
        ),
        ("multi-AZ", multi_az),
        (
            "storage",
            format!("{} GB {}, {free}", db.allocated_storage_gb, db.storage_type),
        ),
        (
            "backups",
            format!(
                "{} days, restorable to {}",
                db.backup_retention_days,
                db.latest_restorable_time.map_or("-".into(), text::clock)
            ),
        ),
        ("maintenance", maintenance),
        (
            "deletion",
            if db.deletion_protection {
                "protected"
            } else {
                "unprotected"
            }
            .into(),
        ),
        (
            "zone",
            db.availability_zone.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "public",
            if db.publicly_accessible { "yes" } else { "no" }.into(),
        ),
        (
            "password",
            if db.managed_master_password {
                "managed in Secrets Manager"
            } else {
                "self-managed"
            }
            .into(),
        ),
    ]
}

fn database_detail(db: &DbInstance) -> (String, Vec<String>) {
    let mut lines = vec![
        format!("status:   {}", db.status),
        format!("arn:      {}", db.arn),
    ];
    lines.extend(
        database_facts(db)
            .into_iter()
            .map(|(k, v)| format!("{k}: {v}")),
    );
    lines.push(format!("subnets:  {}", db.subnet_ids.join(", ")));
    lines.push(format!(
        "security groups: {}",
        db.security_groups.join(", ")
    ));
    if let Some(t) = db.latest_restorable_time {
        lines.push(format!("latest restorable: {}", text::date_time(t)));
    }
    (format!("RDS {}", db.id), lines)
}

// --- site ------------------------------------------------------------------------------

/// A row of the site pane: a distribution or a bucket.
#[derive(Debug, Clone, Copy)]
pub enum SiteRow<'a> {
    Distribution(&'a EdgeDistribution),
    Bucket(&'a SiteBucket),
}

impl SiteRow<'_> {
    pub fn title(&self) -> String {
        match self {
            SiteRow::Distribution(d) => {
                let d = &d.distribution;
                format!("CloudFront {}", d.aliases.first().unwrap_or(&d.domain_name))
            }
            SiteRow::Bucket(b) => format!("S3 {}", b.name),
        }
    }
}

/// Distributions first (the site's, then the one before the load balancer), then buckets;
/// the filter applied to their titles and ids.
pub fn site_rows(state: &AppState) -> Vec<SiteRow<'_>> {
    let Some(edge) = state.topology.data.as_ref().map(|t| &t.edge) else {
        return Vec::new();
    };
    let mut distributions: Vec<&EdgeDistribution> = edge.distributions.iter().collect();
    distributions.sort_by_key(|d| d.fronts_load_balancer);
    distributions
        .into_iter()
        .map(SiteRow::Distribution)
        .chain(edge.buckets.iter().map(SiteRow::Bucket))
        .filter(|row| {
            let id = match row {
                SiteRow::Distribution(d) => d.distribution.id.as_str(),
                SiteRow::Bucket(b) => b.name.as_str(),
            };
            keep(state, PaneId::Site, &format!("{} {id}", row.title()))
        })
        .collect()
}

/// What the pane and the popup say of a row, most useful first.
pub fn site_facts(state: &AppState, row: SiteRow<'_>) -> Vec<(&'static str, String)> {
    let snapshot = state.site.data.as_ref();
    match row {
        SiteRow::Distribution(edge) => {
            let d = &edge.distribution;
            let mut facts = vec![(
                "status",
                if d.enabled {
                    d.status.clone()
                } else {
                    format!("{} (disabled)", d.status)
                },
            )];
            facts.push(("domain", d.domain_name.clone()));
            if d.aliases.len() > 1 {
                facts.push(("aliases", d.aliases.join(", ")));
            }
            facts.push((
                "certificate",
                d.certificate
                    .as_deref()
                    .map_or("CloudFront default (*.cloudfront.net)".into(), |arn| {
                        arn.rsplit('/').next().unwrap_or(arn).to_string()
                    }),
            ));
            facts.push(("viewers", d.viewer_protocol.as_str().to_string()));
            for origin in &d.origins {
                let how = match &origin.kind {
                    OriginKind::Bucket { bucket, access } => match access {
                        OriginAccess::Oac(id) => format!("S3 {bucket} via OAC {id}"),
                        OriginAccess::Oai(_) => format!("S3 {bucket} via legacy OAI"),
                        OriginAccess::None => format!("S3 {bucket}, no access control"),
                    },
                    OriginKind::Custom { protocol } => {
                        format!("{} ({})", origin.domain_name, protocol.as_str())
                    }
                };
                facts.push(("origin", how));
            }
            if d.buckets().next().is_some() {
                facts.push((
                    "root object",
                    d.default_root_object
                        .clone()
                        .unwrap_or_else(|| "none".into()),
                ));
            }
            let invalidations = snapshot
                .and_then(|s| s.invalidations.get(&d.id))
                .map(Vec::as_slice)
                .unwrap_or_default();
            if invalidations.is_empty() && snapshot.is_some() {
                facts.push(("invalidation", "none yet".into()));
            }
            for i in invalidations {
                let when = i.created_at.map_or(String::new(), |at| {
                    format!(" {} ago", text::age(state.now, at))
                });
                facts.push(("invalidation", format!("{} {:?}{when}", i.id, i.status)));
            }
            facts.push(("id", d.id.clone()));
            facts
        }
        SiteRow::Bucket(bucket) => {
            let mut facts = Vec::new();
            let public = bucket
                .access
                .policy
                .as_deref()
                .is_some_and(crate::ops::site::findings::policy_is_public);
            facts.push((
                "access",
                if public {
                    "PUBLIC: its policy lets anyone read".to_string()
                } else if bucket.access.public_access_blocked {
                    "private (Block Public Access on)".to_string()
                } else {
                    "Block Public Access off".to_string()
                },
            ));
            match snapshot.and_then(|s| s.buckets.iter().find(|b| b.name == bucket.name)) {
                Some(stats) => {
                    facts.push((
                        "objects",
                        format!(
                            "{} objects, {}",
                            text::count(stats.objects as usize),
                            text::bytes(stats.bytes as usize)
                        ),
                    ));
                    facts.push((
                        "last upload",
                        stats.last_upload.map_or("never".into(), |at| {
                            format!("{} ({} ago)", text::date_time(at), text::age(state.now, at))
                        }),
                    ));
                }
                None => facts.push(("objects", "…".into())),
            }
            facts
        }
    }
}

fn site_detail(state: &AppState, row: SiteRow<'_>) -> (String, Vec<String>) {
    let mut lines: Vec<String> = site_facts(state, row)
        .into_iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    match row {
        SiteRow::Distribution(d) => {
            lines.push(format!("arn: {}", d.distribution.arn));
            if let Some(comment) = &d.distribution.comment {
                lines.push(format!("comment: {comment}"));
            }
            lines.push(format!("found by: {:?}", d.found_by).to_lowercase());
        }
        SiteRow::Bucket(b) => {
            lines.push(format!("found by: {:?}", b.found_by).to_lowercase());
            if let Some(policy) = &b.access.policy {
                lines.push("policy:".into());
                let pretty = serde_json::from_str::<serde_json::Value>(policy)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| policy.clone());
                lines.extend(pretty.lines().map(|l| format!("  {l}")));
            }
        }
    }
    (row.title(), lines)
}

// --- logs ------------------------------------------------------------------------------

/// The line at the bottom of the logs view (the newest, or `scroll` lines up when paused).
pub fn bottom_log_line(state: &AppState) -> Option<LogLine<'_>> {
    let skip = if state.logs_pane.follow {
        0
    } else {
        state.logs_pane.scroll
    };
    state.log_line_back(skip)
}

fn log_detail(line: &LogLine) -> (String, Vec<String>) {
    let mut lines = vec![
        format!("time:   {}", text::date_time(line.timestamp)),
        format!("stream: {}", line.stream),
        String::new(),
    ];
    lines.extend(line.message.lines().map(str::to_string));
    ("Log line".into(), lines)
}
