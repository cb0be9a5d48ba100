//! Discovery: from a cluster and service, follow the references outwards to the whole stack.
//!
//! Nothing here relies on tags: service -> target groups -> load balancers -> listeners and
//! certificates; service network configuration -> subnets -> VPC -> route tables, gateways;
//! databases in the VPC whose security groups admit the service; DNS records aliasing the ALB.

use std::collections::BTreeSet;

use futures::stream::{self, BoxStream};
use futures::{StreamExt as _, future};

use crate::cloud::{BackendKind, Cloud, CloudError, CloudResult, DesiredStatus};
use crate::model::metrics::{METRICS_WINDOW_MS, load_balancer_dimension};
use crate::model::{
    DbInstance, EcsSnapshot, MetricQuery, MetricsSnapshot, Millis, Service, StackRef,
    TargetGroupHealth, Topology, arn_name,
};
use crate::ops::site::discover::{self as site, SiteHint};

/// Fills in the cluster and service a user left out when the account leaves no doubt
/// (exactly one cluster, exactly one service); otherwise names the choices.
pub async fn resolve_stack(
    cloud: &Cloud,
    name: Option<String>,
    cluster: Option<String>,
    service: Option<String>,
) -> CloudResult<StackRef> {
    let region = match &cloud.kind {
        BackendKind::Aws { region, .. } => region.clone(),
        BackendKind::Sandbox { .. } => String::new(),
    };
    let cluster = match cluster {
        Some(cluster) => cluster,
        None => only_one("cluster", "--cluster", cloud.ecs.list_clusters().await?)?,
    };
    let service = match service {
        Some(service) => service,
        None => match cloud.ecs.list_services(&cluster).await {
            Ok(arns) => only_one("service", "--service", arns)?,
            Err(error) => return Err(name_the_choices(cloud, &cluster, error).await),
        },
    };
    Ok(StackRef {
        name: name.unwrap_or_else(|| service.clone()),
        region,
        cluster,
        service,
    })
}

fn only_one(kind: &'static str, flag: &str, arns: Vec<String>) -> CloudResult<String> {
    let names: Vec<&str> = arns.iter().map(|a| arn_name(a)).collect();
    match names.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(CloudError::NotFound {
            kind,
            name: "any".into(),
            hint: Some("this account and region have none; check --profile and --region".into()),
        }),
        many => Err(CloudError::Rejected {
            operation: format!("choosing a {kind}"),
            message: format!(
                "there are {}; pass {flag} with one of: {}{}",
                many.len(),
                many.iter().take(10).copied().collect::<Vec<_>>().join(", "),
                if many.len() > 10 { ", ..." } else { "" }
            ),
        }),
    }
}

/// Describes the stack's service, or says clearly that it does not exist and what does.
pub async fn stack_service(cloud: &Cloud, stack: &StackRef) -> CloudResult<Service> {
    let described = cloud
        .ecs
        .describe_services(&stack.cluster, std::slice::from_ref(&stack.service))
        .await;
    let found = match described {
        Ok(services) => services
            .into_iter()
            .find(|s| s.name == stack.service && s.status != "INACTIVE"),
        Err(error) => return Err(name_the_choices(cloud, &stack.cluster, error).await),
    };
    match found {
        Some(service) => Ok(service),
        None => {
            let error = CloudError::NotFound {
                kind: "service",
                name: format!("{} in cluster {}", stack.service, stack.cluster),
                hint: None,
            };
            Err(name_the_choices(cloud, &stack.cluster, error).await)
        }
    }
}

/// Whether an error says the stack itself is not there: its cluster or service is not
/// found (an empty account, or a stack not made yet), rather than something failing.
pub fn is_stack_absent(error: &CloudError) -> bool {
    matches!(
        error,
        CloudError::NotFound {
            kind: "cluster" | "service",
            ..
        }
    )
}

/// A cluster or service that is not found gets a hint naming the ones that exist, so the
/// next command can be right. Any other error, or a failure to list, passes unchanged.
pub async fn name_the_choices(cloud: &Cloud, cluster: &str, error: CloudError) -> CloudError {
    let CloudError::NotFound {
        kind,
        name,
        hint: None,
    } = error
    else {
        return error;
    };
    let (listed, flag, plural) = match kind {
        "cluster" => (cloud.ecs.list_clusters().await, "--cluster", "clusters"),
        "service" => (
            cloud.ecs.list_services(cluster).await,
            "--service",
            "services",
        ),
        _ => {
            return CloudError::NotFound {
                kind,
                name,
                hint: None,
            };
        }
    };
    let hint = listed.ok().map(|arns| {
        let mut names: Vec<&str> = arns.iter().map(|a| arn_name(a)).collect();
        names.sort_unstable();
        let within = if kind == "service" {
            format!(" in cluster {cluster}")
        } else {
            String::new()
        };
        match names.len() {
            0 => format!("there are no {plural}{within}; check --profile and --region"),
            1 => format!(
                "the only {kind}{within} is {}: pass {flag} {}",
                names[0], names[0]
            ),
            n => format!(
                "pass {flag} with one of the {n} {plural}{within}: {}{}",
                names
                    .iter()
                    .take(10)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", "),
                if n > 10 { ", ..." } else { "" }
            ),
        }
    });
    CloudError::NotFound { kind, name, hint }
}

/// Everything around the service that changes rarely: network, load balancing, DNS, database,
/// and the CloudFront in front of it found by the wires and the `opsdeck:stack` tag.
pub async fn topology(cloud: &Cloud, stack: &StackRef) -> CloudResult<Topology> {
    let hint = SiteHint {
        stack: stack.name.clone(),
        site: None,
    };
    topology_with(cloud, stack, &hint).await
}

/// [`topology`], with the static site the config names (`site = { bucket, distribution }`).
pub async fn topology_with(
    cloud: &Cloud,
    stack: &StackRef,
    hint: &SiteHint,
) -> CloudResult<Topology> {
    let service = stack_service(cloud, stack).await?;
    let tg_arns: Vec<String> = unique(service.load_balancers.iter().map(|l| &l.target_group_arn));

    let (target_groups, task_definition, service_subnets) = tokio::try_join!(
        cloud.elb.describe_target_groups(&tg_arns),
        cloud.ecs.describe_task_definition(&service.task_definition),
        cloud.network.describe_subnets(&service.network.subnets),
    )?;

    let lb_arns = unique(target_groups.iter().flat_map(|tg| &tg.load_balancer_arns));
    let load_balancers = cloud.elb.describe_load_balancers(&lb_arns).await?;

    let vpc_id = service_subnets
        .first()
        .map(|s| s.vpc_id.clone())
        .or_else(|| target_groups.first().map(|tg| tg.vpc_id.clone()));

    let mut topology = Topology {
        target_groups,
        service_network: service.network.clone(),
        log_groups: task_definition
            .containers
            .iter()
            .filter_map(|c| c.logs.clone())
            .collect(),
        ..Topology::default()
    };

    let cert_arns = unique(
        load_balancers
            .iter()
            .flat_map(|lb| &lb.listeners)
            .flat_map(|l| &l.certificate_arns),
    );
    let dns_names: Vec<String> = load_balancers
        .iter()
        .map(|lb| lb.dns_name.clone())
        .collect();
    topology.edge = site::edge(cloud, hint, &load_balancers).await?;
    topology.load_balancers = load_balancers;
    topology.certificates = cloud.edge.describe_certificates(&cert_arns).await?;
    for name in dns_names {
        topology
            .dns_records
            .extend(cloud.edge.records_aliasing(&name).await?);
    }

    if let Some(vpc_id) = vpc_id {
        let (vpc, subnets, route_tables, igws, nats, groups, databases) = tokio::try_join!(
            cloud.network.describe_vpc(&vpc_id),
            cloud.network.describe_vpc_subnets(&vpc_id),
            cloud.network.describe_route_tables(&vpc_id),
            cloud.network.describe_internet_gateways(&vpc_id),
            cloud.network.describe_nat_gateways(&vpc_id),
            cloud.network.describe_vpc_security_groups(&vpc_id),
            cloud.rds.describe_db_instances(),
        )?;
        topology.vpc = Some(vpc);
        topology.subnets = subnets;
        topology.route_tables = route_tables;
        topology.internet_gateways = igws;
        topology.nat_gateways = nats;
        topology.security_groups = groups;
        topology.databases = databases
            .into_iter()
            .filter(|db| db.vpc_id == vpc_id && admits_service(&topology, db))
            .collect();
    }
    Ok(topology)
}

/// A database belongs to the stack when one of its security groups admits one of the
/// service's security groups on the database port.
fn admits_service(topology: &Topology, db: &DbInstance) -> bool {
    let port = db.port.unwrap_or(5432);
    db.security_groups
        .iter()
        .filter_map(|id| topology.security_group(id))
        .any(|group| {
            topology
                .service_network
                .security_groups
                .iter()
                .any(|service_group| group.admits_group(service_group, port))
        })
}

/// The cluster's services and the stack service's tasks, running and recently stopped.
pub async fn ecs(cloud: &Cloud, stack: &StackRef) -> CloudResult<EcsSnapshot> {
    let service_arns = cloud.ecs.list_services(&stack.cluster).await?;
    let (services, running, stopped) = tokio::try_join!(
        cloud.ecs.describe_services(&stack.cluster, &service_arns),
        cloud
            .ecs
            .list_tasks(&stack.cluster, Some(&stack.service), DesiredStatus::Running),
        cloud
            .ecs
            .list_tasks(&stack.cluster, Some(&stack.service), DesiredStatus::Stopped),
    )?;
    let task_arns: Vec<String> = running.into_iter().chain(stopped).collect();
    let mut tasks = cloud.ecs.describe_tasks(&stack.cluster, &task_arns).await?;
    // Running first (oldest first, as they started), then stopped ones newest first.
    tasks.sort_by(|a, b| {
        let a_stopped = a.stopped_at.is_some();
        let b_stopped = b.stopped_at.is_some();
        a_stopped.cmp(&b_stopped).then_with(|| {
            if a_stopped {
                b.stopped_at.cmp(&a.stopped_at)
            } else {
                a.created_at
                    .cmp(&b.created_at)
                    .then_with(|| a.id.cmp(&b.id))
            }
        })
    });
    Ok(EcsSnapshot { services, tasks })
}

/// Target health of every target group the stack's service is registered with.
pub async fn target_health(
    cloud: &Cloud,
    topology: &Topology,
) -> CloudResult<Vec<TargetGroupHealth>> {
    let lookups = topology.target_groups.iter().map(|group| async {
        let targets = cloud.elb.describe_target_health(&group.arn).await?;
        Ok::<_, CloudError>(TargetGroupHealth {
            group: group.clone(),
            targets,
        })
    });
    futures::future::try_join_all(lookups).await
}

/// Current state of the stack's databases.
pub async fn databases(cloud: &Cloud, topology: &Topology) -> CloudResult<Vec<DbInstance>> {
    let ids: BTreeSet<&str> = topology.databases.iter().map(|d| d.id.as_str()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(cloud
        .rds
        .describe_db_instances()
        .await?
        .into_iter()
        .filter(|db| ids.contains(db.id.as_str()))
        .collect())
}

/// The sparklines of the stack over the hour up to `now`: one GetMetricData for all of them.
pub async fn metrics(
    cloud: &Cloud,
    stack: &StackRef,
    topology: &Topology,
    now: Millis,
) -> CloudResult<MetricsSnapshot> {
    let queries = metric_queries(stack, topology);
    let series = cloud
        .metrics
        .metric_series(&queries, now - METRICS_WINDOW_MS, now)
        .await?;
    Ok(MetricsSnapshot { series })
}

/// What the panes draw: each database's CPU, connections and free storage; each load
/// balancer's 5xx and response time; the service's CPU and memory.
pub fn metric_queries(stack: &StackRef, topology: &Topology) -> Vec<MetricQuery> {
    let databases = topology.databases.iter().flat_map(|db| {
        let instance = db.id.clone();
        [
            MetricQuery::DbCpu {
                instance: instance.clone(),
            },
            MetricQuery::DbConnections {
                instance: instance.clone(),
            },
            MetricQuery::DbFreeStorage { instance },
        ]
    });
    let load_balancers = topology
        .load_balancers
        .iter()
        .filter_map(|lb| load_balancer_dimension(&lb.arn))
        .flat_map(|dimension| {
            [
                MetricQuery::Alb5xx {
                    load_balancer: dimension.to_string(),
                },
                MetricQuery::AlbResponseTime {
                    load_balancer: dimension.to_string(),
                },
            ]
        });
    // The ClusterName dimension wants the name even when the user gave an ARN.
    let cluster = stack.cluster.rsplit('/').next().unwrap_or(&stack.cluster);
    let service = [
        MetricQuery::ServiceCpu {
            cluster: cluster.to_string(),
            service: stack.service.clone(),
        },
        MetricQuery::ServiceMemory {
            cluster: cluster.to_string(),
            service: stack.service.clone(),
        },
    ];
    databases.chain(load_balancers).chain(service).collect()
}

fn unique<'a>(items: impl Iterator<Item = &'a String>) -> Vec<String> {
    items
        .collect::<BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect()
}

/// Clusters whose services are listed at once by [`services_by_cluster`]: a cluster's
/// ListServices pages follow each other, so clusters side by side are what cuts the wait.
const CLUSTERS_AT_ONCE: usize = 8;

/// The ECS services of the account in `region` (of `cluster` only, when given), for the
/// stack picker: a dashboard needs one, and the user may not know the names. Each item is
/// one cluster's services, sorted, as soon as that cluster's pages are in, so a picker can
/// show the first ones while a big account is still being listed; clusters are listed side
/// by side. A failure ends the stream.
pub fn services_by_cluster(
    cloud: Cloud,
    region: String,
    cluster: Option<String>,
) -> BoxStream<'static, CloudResult<Vec<StackRef>>> {
    let clusters = {
        let cloud = cloud.clone();
        async move {
            match cluster {
                Some(cluster) => Ok(vec![cluster]),
                None => cloud.ecs.list_clusters().await,
            }
        }
    };
    stream::once(clusters)
        .flat_map(move |listed| match listed {
            Err(error) => stream::once(future::ready(Err(error))).boxed(),
            Ok(clusters) => {
                let (cloud, region) = (cloud.clone(), region.clone());
                stream::iter(clusters)
                    .map(move |cluster| {
                        let (cloud, region) = (cloud.clone(), region.clone());
                        async move { services_of(&cloud, &region, arn_name(&cluster)).await }
                    })
                    .buffer_unordered(CLUSTERS_AT_ONCE)
                    .boxed()
            }
        })
        .boxed()
}

async fn services_of(cloud: &Cloud, region: &str, cluster: &str) -> CloudResult<Vec<StackRef>> {
    let mut stacks: Vec<StackRef> = cloud
        .ecs
        .list_services(cluster)
        .await?
        .iter()
        .map(|arn| {
            let service = arn_name(arn).to_string();
            StackRef {
                name: service.clone(),
                region: region.to_string(),
                cluster: cluster.to_string(),
                service,
            }
        })
        .collect();
    stacks.sort_by(|a, b| a.service.cmp(&b.service));
    Ok(stacks)
}

/// Every ECS service of the account in `region` (in `cluster` only, when given), sorted by
/// cluster and service: [`services_by_cluster`] gathered.
pub async fn services_in_account(
    cloud: &Cloud,
    region: &str,
    cluster: Option<&str>,
) -> CloudResult<Vec<StackRef>> {
    let mut found = services_by_cluster(
        cloud.clone(),
        region.to_string(),
        cluster.map(str::to_string),
    );
    let mut stacks = Vec::new();
    while let Some(batch) = found.next().await {
        stacks.extend(batch?);
    }
    stacks.sort_by(|a, b| (&a.cluster, &a.service).cmp(&(&b.cluster, &b.service)));
    Ok(stacks)
}
