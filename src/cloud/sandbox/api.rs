//! The cloud traits over the simulated account: lock, catch up, read or change, clone out.

use async_trait::async_trait;

use super::world::{ACCOUNT_ID, World, service_deployment_arn};
use super::{ClockMode, Sandbox};
use super::{cfn, ecs, rds};
use crate::cloud::{
    Clock, CloudError, CloudResult, DesiredStatus, EcrApi, EcsApi, EdgeApi, IamApi, IdentityApi,
    LoadBalancingApi, LogsApi, NetworkApi, RdsApi, StacksApi, TaggingApi,
};
use crate::model::{
    Certificate, DbInstance, DbSnapshot, DnsRecord, Identity, Image, InternetGateway, LoadBalancer,
    LogPage, LogQuery, LogStream, Millis, NatGateway, NewTaskDefinition, RouteTable, SecurityGroup,
    Service, ServiceDeployment, ServiceUpdate, Subnet, TargetGroup, TargetHealth, Task,
    TaskDefinition, TaskDefinitionStatus, TaskStatus, Vpc,
};
use crate::model::{
    CfnStack, ChangeSet, ChangeSetRequest, StackEvent, StackResource, TaggedResource,
};

/// The real time a scaled clock takes to move `ms`; at least a millisecond, so a poll loop
/// on a very fast clock still yields.
fn scaled_wait(ms: Millis, speed: f64) -> std::time::Duration {
    let real_ms = (ms.max(0) as f64) / speed.max(f64::MIN_POSITIVE);
    std::time::Duration::from_secs_f64((real_ms / 1000.0).clamp(0.001, 24.0 * 60.0 * 60.0))
}

/// The deployment-history calls answer only on a sandbox built with the history.
fn history_available(world: &World, operation: &str) -> CloudResult<()> {
    if world.deployment_history {
        Ok(())
    } else {
        Err(crate::cloud::unsupported(
            operation,
            "this sandbox has no ECS deployment history (built without_deployment_history)"
                .to_string(),
        ))
    }
}

/// Everything when no ARNs are asked for, else those asked for, in the world's order.
fn pick<T: Clone>(items: &[T], wanted: &[String], key: impl Fn(&T) -> &str) -> Vec<T> {
    items
        .iter()
        .filter(|item| wanted.is_empty() || wanted.iter().any(|w| w == key(item)))
        .cloned()
        .collect()
}

fn in_vpc<T: Clone>(items: &[T], vpc_id: &str, vpc_of: impl Fn(&T) -> &str) -> Vec<T> {
    items
        .iter()
        .filter(|item| vpc_of(item) == vpc_id)
        .cloned()
        .collect()
}

fn known_vpc(world: &World, vpc_id: &str) -> CloudResult<()> {
    if world.network.vpcs.iter().any(|v| v.id == vpc_id) {
        Ok(())
    } else {
        Err(CloudError::NotFound {
            kind: "vpc",
            name: vpc_id.to_string(),
            hint: None,
        })
    }
}

#[async_trait]
impl IdentityApi for Sandbox {
    async fn caller(&self) -> CloudResult<Identity> {
        Ok(Identity {
            account_id: ACCOUNT_ID.to_string(),
            arn: format!("arn:aws:iam::{ACCOUNT_ID}:user/sandbox"),
        })
    }
}

#[async_trait]
impl EcsApi for Sandbox {
    async fn list_clusters(&self) -> CloudResult<Vec<String>> {
        Ok(self
            .current()
            .clusters
            .iter()
            .map(|c| c.arn.clone())
            .collect())
    }

    async fn list_services(&self, cluster: &str) -> CloudResult<Vec<String>> {
        let world = self.current();
        let cluster_arn = world.cluster(cluster)?.arn.clone();
        Ok(world
            .services
            .iter()
            .filter(|s| s.cluster_arn == cluster_arn)
            .map(|s| s.arn.clone())
            .collect())
    }

    async fn describe_services(
        &self,
        cluster: &str,
        services: &[String],
    ) -> CloudResult<Vec<Service>> {
        let world = self.current();
        world.cluster(cluster)?;
        Ok(services
            .iter()
            .filter_map(|s| world.service_index(cluster, s).ok())
            .filter_map(|si| world.service_model(si))
            .collect())
    }

    async fn list_tasks(
        &self,
        cluster: &str,
        service: Option<&str>,
        desired: DesiredStatus,
    ) -> CloudResult<Vec<String>> {
        let world = self.current();
        let cluster_arn = world.cluster(cluster)?.arn.clone();
        let service_name = match service {
            Some(s) => Some(
                world.services[world.service_index(cluster, s)?]
                    .name
                    .clone(),
            ),
            None => None,
        };
        let wanted = match desired {
            DesiredStatus::Running => TaskStatus::Running,
            DesiredStatus::Stopped => TaskStatus::Stopped,
        };
        Ok(world
            .tasks
            .iter()
            .filter(|t| t.cluster_arn == cluster_arn && t.task.desired_status == wanted)
            .filter(|t| service_name.is_none() || t.service == service_name)
            .map(|t| t.task.arn.clone())
            .collect())
    }

    async fn describe_tasks(&self, cluster: &str, tasks: &[String]) -> CloudResult<Vec<Task>> {
        let world = self.current();
        let cluster_arn = world.cluster(cluster)?.arn.clone();
        Ok(tasks
            .iter()
            .filter_map(|wanted| {
                world.tasks.iter().find(|t| {
                    t.cluster_arn == cluster_arn && (t.task.arn == *wanted || t.task.id == *wanted)
                })
            })
            .map(|t| t.task.clone())
            .collect())
    }

    async fn describe_task_definition(&self, task_definition: &str) -> CloudResult<TaskDefinition> {
        self.current()
            .task_definition(task_definition)
            .cloned()
            .ok_or_else(|| CloudError::NotFound {
                kind: "task definition",
                name: task_definition.to_string(),
                hint: Some("`opsdeck rollback` lists the ACTIVE revisions".to_string()),
            })
    }

    async fn list_task_definitions(&self, family: &str) -> CloudResult<Vec<String>> {
        self.list_task_definitions_with_status(family, TaskDefinitionStatus::Active)
            .await
    }

    async fn list_task_definitions_with_status(
        &self,
        family: &str,
        status: TaskDefinitionStatus,
    ) -> CloudResult<Vec<String>> {
        let world = self.current();
        let mut matching: Vec<_> = world
            .task_definitions
            .iter()
            .filter(|d| d.family == family && d.status == status)
            .collect();
        matching.sort_by_key(|d| std::cmp::Reverse(d.revision));
        Ok(matching.into_iter().map(|d| d.arn.clone()).collect())
    }

    async fn register_image_revision(
        &self,
        source: &str,
        container: &str,
        image: &str,
    ) -> CloudResult<TaskDefinition> {
        ecs::register_image_revision(&mut self.current(), source, container, image)
    }

    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
    ) -> CloudResult<Vec<String>> {
        let world = self.current();
        history_available(&world, "ecs:ListServiceDeployments")?;
        let si = world.service_index(cluster, service)?;
        let svc = &world.services[si];
        Ok(svc
            .history
            .iter()
            .map(|h| service_deployment_arn(&svc.arn, &h.deployment))
            .collect())
    }

    async fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> CloudResult<Vec<ServiceDeployment>> {
        let world = self.current();
        history_available(&world, "ecs:DescribeServiceDeployments")?;
        // As DescribeServiceDeployments does, unknown ARNs are left out (AWS lists them
        // as failures) rather than failing the call.
        Ok(arns
            .iter()
            .filter_map(|arn| ecs::find_service_deployment(&world, arn).ok())
            .map(|(si, hi)| {
                let svc = &world.services[si];
                svc.history[hi].to_model(&svc.arn)
            })
            .collect())
    }

    async fn stop_service_deployment(&self, arn: &str, rollback: bool) -> CloudResult<()> {
        let mut world = self.current();
        history_available(&world, "ecs:StopServiceDeployment")?;
        ecs::stop_service_deployment(&mut world, arn, rollback)
    }

    async fn register_task_definition(
        &self,
        definition: NewTaskDefinition,
    ) -> CloudResult<TaskDefinition> {
        if definition.family.is_empty() || definition.containers.is_empty() {
            return Err(CloudError::Rejected {
                operation: "RegisterTaskDefinition".to_string(),
                message: "a task definition needs a family and at least one container".to_string(),
            });
        }
        Ok(ecs::register_task_definition(
            &mut self.current(),
            definition,
        ))
    }

    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: ServiceUpdate,
    ) -> CloudResult<Service> {
        let mut world = self.current();
        let si = world.service_index(cluster, service)?;
        ecs::update_service(&mut world, si, &update)?;
        world.service_model(si).ok_or_else(|| CloudError::NotFound {
            kind: "service",
            name: service.to_string(),
            hint: None,
        })
    }

    async fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> CloudResult<()> {
        ecs::stop_task(&mut self.current(), cluster, task, reason)
    }
}

#[async_trait]
impl LoadBalancingApi for Sandbox {
    async fn describe_target_groups(&self, arns: &[String]) -> CloudResult<Vec<TargetGroup>> {
        Ok(pick(&self.current().elb.target_groups, arns, |g| &g.arn))
    }

    async fn describe_target_health(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<Vec<TargetHealth>> {
        let world = self.current();
        if world.target_group(target_group_arn).is_none() {
            return Err(CloudError::NotFound {
                kind: "target group",
                name: target_group_arn.to_string(),
                hint: None,
            });
        }
        Ok(world
            .elb
            .targets
            .iter()
            .filter(|t| t.group_arn == target_group_arn)
            .map(|t| t.to_model())
            .collect())
    }

    async fn describe_load_balancers(&self, arns: &[String]) -> CloudResult<Vec<LoadBalancer>> {
        Ok(pick(&self.current().elb.load_balancers, arns, |l| &l.arn))
    }
}

#[async_trait]
impl RdsApi for Sandbox {
    async fn describe_db_instances(&self) -> CloudResult<Vec<DbInstance>> {
        Ok(self.current().databases.clone())
    }

    async fn create_db_snapshot(&self, instance: &str, snapshot: &str) -> CloudResult<DbSnapshot> {
        rds::create_snapshot(&mut self.current(), instance, snapshot)
    }

    async fn describe_db_snapshot(&self, snapshot: &str) -> CloudResult<DbSnapshot> {
        rds::describe_snapshot(&self.current(), snapshot)
    }

    async fn disable_deletion_protection(&self, instance: &str) -> CloudResult<()> {
        rds::disable_deletion_protection(&mut self.current(), instance)
    }
}

#[async_trait]
impl EcrApi for Sandbox {
    async fn describe_images(&self, repository: &str) -> CloudResult<Vec<Image>> {
        let world = self.current();
        let images = world
            .ecr
            .get(repository)
            .ok_or_else(|| CloudError::NotFound {
                kind: "ECR repository",
                name: repository.to_string(),
                hint: None,
            })?;
        let mut out: Vec<Image> = images
            .iter()
            .map(|i| Image {
                repository: repository.to_string(),
                digest: i.digest.clone(),
                tags: vec![i.tag.clone()],
                pushed_at: Some(i.pushed_at),
                size_bytes: Some(i.size_bytes),
            })
            .collect();
        out.sort_by_key(|i| std::cmp::Reverse(i.pushed_at));
        Ok(out)
    }
}

#[async_trait]
impl Clock for Sandbox {
    fn now(&self) -> Millis {
        Sandbox::now(self)
    }

    /// A manual clock moves only when someone moves it, so a workflow waiting on it moves
    /// it itself: a test's watch loop runs a whole rollout without real sleeping. A scaled
    /// clock runs on its own; waiting `ms / speed` of real time lets it get there.
    async fn sleep(&self, ms: Millis) {
        match self.clock_mode() {
            ClockMode::Manual { .. } => {
                self.advance(ms);
                tokio::task::yield_now().await;
            }
            ClockMode::Scaled { speed, .. } => {
                tokio::time::sleep(scaled_wait(ms, speed)).await;
            }
        }
    }
}

#[async_trait]
impl NetworkApi for Sandbox {
    async fn describe_vpc(&self, vpc_id: &str) -> CloudResult<Vpc> {
        let world = self.current();
        world
            .network
            .vpcs
            .iter()
            .find(|v| v.id == vpc_id)
            .cloned()
            .ok_or(CloudError::NotFound {
                kind: "vpc",
                name: vpc_id.to_string(),
                hint: None,
            })
    }

    async fn describe_subnets(&self, ids: &[String]) -> CloudResult<Vec<Subnet>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(pick(&self.current().network.subnets, ids, |s| &s.id))
    }

    async fn describe_vpc_subnets(&self, vpc_id: &str) -> CloudResult<Vec<Subnet>> {
        let world = self.current();
        known_vpc(&world, vpc_id)?;
        Ok(in_vpc(&world.network.subnets, vpc_id, |s| &s.vpc_id))
    }

    async fn describe_route_tables(&self, vpc_id: &str) -> CloudResult<Vec<RouteTable>> {
        let world = self.current();
        known_vpc(&world, vpc_id)?;
        Ok(in_vpc(&world.network.route_tables, vpc_id, |t| &t.vpc_id))
    }

    async fn describe_internet_gateways(&self, vpc_id: &str) -> CloudResult<Vec<InternetGateway>> {
        let world = self.current();
        known_vpc(&world, vpc_id)?;
        Ok(in_vpc(&world.network.internet_gateways, vpc_id, |g| {
            &g.vpc_id
        }))
    }

    async fn describe_nat_gateways(&self, vpc_id: &str) -> CloudResult<Vec<NatGateway>> {
        let world = self.current();
        known_vpc(&world, vpc_id)?;
        Ok(in_vpc(&world.network.nat_gateways, vpc_id, |g| &g.vpc_id))
    }

    async fn describe_security_groups(&self, ids: &[String]) -> CloudResult<Vec<SecurityGroup>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(pick(&self.current().network.security_groups, ids, |g| {
            &g.id
        }))
    }

    async fn describe_vpc_security_groups(&self, vpc_id: &str) -> CloudResult<Vec<SecurityGroup>> {
        let world = self.current();
        known_vpc(&world, vpc_id)?;
        Ok(in_vpc(&world.network.security_groups, vpc_id, |g| {
            &g.vpc_id
        }))
    }
}

#[async_trait]
impl EdgeApi for Sandbox {
    async fn describe_certificates(&self, arns: &[String]) -> CloudResult<Vec<Certificate>> {
        Ok(pick(&self.current().edge.certificates, arns, |c| &c.arn))
    }

    async fn records_aliasing(&self, dns_name: &str) -> CloudResult<Vec<DnsRecord>> {
        Ok(self
            .current()
            .edge
            .records
            .iter()
            .filter(|r| r.aliases(dns_name))
            .cloned()
            .collect())
    }

    async fn hosted_zone_id(&self, name: &str) -> CloudResult<Option<String>> {
        let wanted = name.trim_end_matches('.').to_ascii_lowercase();
        Ok(self
            .current()
            .edge
            .hosted_zones
            .iter()
            .find(|zone| zone.name.to_ascii_lowercase() == wanted)
            .map(|zone| zone.id.clone()))
    }
}

#[async_trait]
impl LogsApi for Sandbox {
    async fn filter_log_events(
        &self,
        query: &LogQuery,
        next_token: Option<&str>,
    ) -> CloudResult<LogPage> {
        self.current().logs.filter(query, next_token)
    }

    async fn describe_log_streams(
        &self,
        group: &str,
        prefix: Option<&str>,
    ) -> CloudResult<Vec<LogStream>> {
        self.current().logs.streams(group, prefix)
    }
}

#[async_trait]
impl StacksApi for Sandbox {
    async fn describe_stack(&self, name: &str) -> CloudResult<Option<CfnStack>> {
        Ok(cfn::describe_stack(&self.current(), name))
    }
    async fn create_change_set(&self, request: &ChangeSetRequest) -> CloudResult<(String, String)> {
        cfn::create_change_set(&mut self.current(), request)
    }
    async fn describe_change_set(&self, stack: &str, change_set: &str) -> CloudResult<ChangeSet> {
        cfn::describe_change_set(&self.current(), stack, change_set)
    }
    async fn execute_change_set(&self, stack: &str, change_set: &str) -> CloudResult<()> {
        cfn::execute_change_set(&mut self.current(), stack, change_set)
    }
    async fn delete_change_set(&self, stack: &str, change_set: &str) -> CloudResult<()> {
        cfn::delete_change_set(&mut self.current(), stack, change_set)
    }
    async fn stack_events(
        &self,
        stack: &str,
        after_event_id: Option<&str>,
    ) -> CloudResult<Vec<StackEvent>> {
        cfn::stack_events(&self.current(), stack, after_event_id)
    }
    async fn stack_resources(&self, stack: &str) -> CloudResult<Vec<StackResource>> {
        cfn::stack_resources(&self.current(), stack)
    }
    async fn delete_stack(&self, name: &str) -> CloudResult<()> {
        cfn::delete_stack(&mut self.current(), name)
    }
    async fn get_template(&self, stack: &str) -> CloudResult<String> {
        cfn::get_template(&self.current(), stack)
    }
}

#[async_trait]
impl TaggingApi for Sandbox {
    async fn resources_tagged(&self, key: &str, value: &str) -> CloudResult<Vec<TaggedResource>> {
        Ok(cfn::resources_tagged(&self.current(), key, value))
    }
}

#[async_trait]
impl IamApi for Sandbox {
    async fn oidc_providers(&self) -> CloudResult<Vec<crate::model::OidcProvider>> {
        Ok(cfn::oidc_providers(&self.current()))
    }
}
