//! ECS: clusters, services, tasks and task definitions, paged and batched at the API maximums.

use async_trait::async_trait;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types as sdk;

use super::convert::{count, in_batches, millis, owned, port, text};
use super::errors::{CallContext, Paged};
use crate::cloud::{CloudResult, DesiredStatus, EcsApi};
use crate::model::{
    AwsLogsConfig, CircuitBreaker, Container, ContainerDefinition, Deployment,
    DeploymentController, DeploymentStatus, NetworkConfig, NewTaskDefinition, RolloutState,
    Service, ServiceEvent, ServiceLoadBalancer, ServiceUpdate, Task, TaskDefinition,
    TaskDefinitionStatus, TaskHealth, TaskStatus, family_revision, revision_of,
};

/// DescribeServices takes at most 10 services per call.
pub const DESCRIBE_SERVICES_MAX: usize = 10;
/// DescribeTasks takes at most 100 tasks per call.
pub const DESCRIBE_TASKS_MAX: usize = 100;
/// ListServices and ListTasks return at most 100 per page (ListServices defaults to 10).
const LIST_PAGE_MAX: i32 = 100;

pub struct AwsEcs {
    client: Client,
    context: CallContext,
}

impl AwsEcs {
    pub fn new(client: Client, context: CallContext) -> AwsEcs {
        AwsEcs { client, context }
    }

    async fn describe_service_batch(
        &self,
        cluster: &str,
        batch: &[String],
    ) -> CloudResult<Vec<Service>> {
        let output = self
            .client
            .describe_services()
            .cluster(cluster)
            .set_services(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| self.context.error("ecs:DescribeServices", cluster, e))?;
        Ok(output.services().iter().map(service_from_sdk).collect())
    }

    async fn describe_task_batch(&self, cluster: &str, batch: &[String]) -> CloudResult<Vec<Task>> {
        let output = self
            .client
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| self.context.error("ecs:DescribeTasks", cluster, e))?;
        Ok(output.tasks().iter().map(task_from_sdk).collect())
    }

    /// The full SDK shape of the newest revision, so a new revision keeps what opsdeck's
    /// model does not carry (roles, network mode, port mappings, health checks, volumes).
    async fn latest_revision(&self, family: &str) -> CloudResult<Option<sdk::TaskDefinition>> {
        match self
            .client
            .describe_task_definition()
            .task_definition(family)
            .send()
            .await
        {
            Ok(output) => Ok(output.task_definition),
            // ECS answers ClientException for a family with no revision yet.
            Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("ClientException") => {
                Ok(None)
            }
            Err(e) => Err(self.context.error("ecs:DescribeTaskDefinition", family, e)),
        }
    }
}

#[async_trait]
impl EcsApi for AwsEcs {
    async fn list_clusters(&self) -> CloudResult<Vec<String>> {
        self.client
            .list_clusters()
            .max_results(LIST_PAGE_MAX)
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ecs:ListClusters", "")
            .await
    }

    async fn list_services(&self, cluster: &str) -> CloudResult<Vec<String>> {
        self.client
            .list_services()
            .cluster(cluster)
            .max_results(LIST_PAGE_MAX)
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ecs:ListServices", cluster)
            .await
    }

    async fn describe_services(
        &self,
        cluster: &str,
        services: &[String],
    ) -> CloudResult<Vec<Service>> {
        let requests: Vec<_> = services
            .chunks(DESCRIBE_SERVICES_MAX)
            .map(|batch| self.describe_service_batch(cluster, batch))
            .collect();
        in_batches(requests).await
    }

    async fn list_tasks(
        &self,
        cluster: &str,
        service: Option<&str>,
        desired: DesiredStatus,
    ) -> CloudResult<Vec<String>> {
        let desired = match desired {
            DesiredStatus::Running => sdk::DesiredStatus::Running,
            DesiredStatus::Stopped => sdk::DesiredStatus::Stopped,
        };
        self.client
            .list_tasks()
            .cluster(cluster)
            .set_service_name(service.map(str::to_string))
            .desired_status(desired)
            .max_results(LIST_PAGE_MAX)
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ecs:ListTasks", service.unwrap_or(cluster))
            .await
    }

    async fn describe_tasks(&self, cluster: &str, tasks: &[String]) -> CloudResult<Vec<Task>> {
        let requests: Vec<_> = tasks
            .chunks(DESCRIBE_TASKS_MAX)
            .map(|batch| self.describe_task_batch(cluster, batch))
            .collect();
        in_batches(requests).await
    }

    async fn describe_task_definition(&self, task_definition: &str) -> CloudResult<TaskDefinition> {
        let output = self
            .client
            .describe_task_definition()
            .task_definition(task_definition)
            .send()
            .await
            .map_err(|e| {
                self.context
                    .error("ecs:DescribeTaskDefinition", task_definition, e)
            })?;
        output
            .task_definition()
            .map(task_definition_from_sdk)
            .ok_or_else(|| crate::cloud::CloudError::NotFound {
                kind: "task definition",
                name: task_definition.to_string(),
                hint: None,
            })
    }

    async fn list_task_definitions(&self, family: &str) -> CloudResult<Vec<String>> {
        let arns: Vec<String> = self
            .client
            .list_task_definitions()
            .family_prefix(family)
            .status(sdk::TaskDefinitionStatus::Active)
            .sort(sdk::SortOrder::Desc)
            .max_results(LIST_PAGE_MAX)
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "ecs:ListTaskDefinitions", family)
            .await?;
        // familyPrefix is a prefix: `umami` also matches `umami-worker`.
        let mut arns: Vec<String> = arns
            .into_iter()
            .filter(|arn| {
                family_revision(arn)
                    .rsplit_once(':')
                    .is_some_and(|(f, _)| f == family)
            })
            .collect();
        // Newest first is the contract; not every AWS-compatible endpoint honours `sort`.
        arns.sort_by_key(|arn| std::cmp::Reverse(revision_of(arn)));
        Ok(arns)
    }

    async fn register_task_definition(
        &self,
        definition: NewTaskDefinition,
    ) -> CloudResult<TaskDefinition> {
        let base = self.latest_revision(&definition.family).await?;
        let request = registration(&self.client, base, definition);
        let family = request.get_family().clone().unwrap_or_default();
        let output = request
            .send()
            .await
            .map_err(|e| self.context.error("ecs:RegisterTaskDefinition", &family, e))?;
        output
            .task_definition()
            .map(task_definition_from_sdk)
            .ok_or_else(|| crate::cloud::CloudError::Other {
                operation: "ecs:RegisterTaskDefinition".into(),
                message: "ECS returned no task definition".into(),
            })
    }

    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: ServiceUpdate,
    ) -> CloudResult<Service> {
        let output = self
            .client
            .update_service()
            .cluster(cluster)
            .service(service)
            .set_task_definition(update.task_definition)
            .set_desired_count(update.desired_count.and_then(|n| i32::try_from(n).ok()))
            .force_new_deployment(update.force_new_deployment)
            .send()
            .await
            .map_err(|e| self.context.error("ecs:UpdateService", service, e))?;
        output
            .service()
            .map(service_from_sdk)
            .ok_or_else(|| crate::cloud::CloudError::Other {
                operation: "ecs:UpdateService".into(),
                message: "ECS returned no service".into(),
            })
    }

    async fn stop_task(&self, cluster: &str, task: &str, reason: &str) -> CloudResult<()> {
        self.client
            .stop_task()
            .cluster(cluster)
            .task(task)
            .reason(reason)
            .send()
            .await
            .map_err(|e| self.context.error("ecs:StopTask", task, e))?;
        Ok(())
    }

    async fn list_task_definitions_with_status(
        &self,
        family: &str,
        _status: crate::model::TaskDefinitionStatus,
    ) -> CloudResult<Vec<String>> {
        // CONTRACT: the AWS helper implements this.
        Err(crate::cloud::unsupported(
            "ecs:ListTaskDefinitions",
            family.to_string(),
        ))
    }

    async fn register_image_revision(
        &self,
        source: &str,
        _container: &str,
        _image: &str,
    ) -> CloudResult<TaskDefinition> {
        // CONTRACT: the AWS helper implements this.
        Err(crate::cloud::unsupported(
            "ecs:RegisterTaskDefinition",
            source.to_string(),
        ))
    }
}

/// A RegisterTaskDefinition request: the newest revision with the new containers laid over it.
fn registration(
    client: &Client,
    base: Option<sdk::TaskDefinition>,
    definition: NewTaskDefinition,
) -> aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder
{
    let base_containers = base
        .as_ref()
        .map(|b| b.container_definitions().to_vec())
        .unwrap_or_default();
    let containers = definition
        .containers
        .iter()
        .map(|c| container_to_sdk(c, &base_containers))
        .collect();
    let request = client
        .register_task_definition()
        .family(&definition.family)
        .cpu(&definition.cpu)
        .memory(&definition.memory)
        .set_container_definitions(Some(containers));
    match base {
        Some(base) => request
            .set_task_role_arn(base.task_role_arn)
            .set_execution_role_arn(base.execution_role_arn)
            .set_network_mode(base.network_mode)
            .set_volumes(base.volumes)
            .set_requires_compatibilities(base.requires_compatibilities)
            .set_runtime_platform(base.runtime_platform)
            .set_ephemeral_storage(base.ephemeral_storage),
        None => request
            .network_mode(sdk::NetworkMode::Awsvpc)
            .requires_compatibilities(sdk::Compatibility::Fargate),
    }
}

fn container_to_sdk(
    container: &ContainerDefinition,
    base: &[sdk::ContainerDefinition],
) -> sdk::ContainerDefinition {
    let mut sdk_container = base
        .iter()
        .find(|b| b.name.as_deref() == Some(container.name.as_str()))
        .cloned()
        .unwrap_or_else(|| new_container(container));
    sdk_container.image = Some(container.image.clone());
    sdk_container.essential = Some(container.essential);
    sdk_container.environment = Some(
        container
            .environment
            .iter()
            .map(|(k, v)| sdk::KeyValuePair::builder().name(k).value(v).build())
            .collect(),
    );
    sdk_container.secrets = Some(
        container
            .secrets
            .iter()
            .filter_map(|(name, from)| {
                sdk::Secret::builder()
                    .name(name)
                    .value_from(from)
                    .build()
                    .ok()
            })
            .collect(),
    );
    sdk_container
}

fn new_container(container: &ContainerDefinition) -> sdk::ContainerDefinition {
    let ports = container.port.map(|p| {
        vec![
            sdk::PortMapping::builder()
                .container_port(i32::from(p))
                .protocol(sdk::TransportProtocol::Tcp)
                .build(),
        ]
    });
    let logs = container.logs.as_ref().and_then(|l| {
        sdk::LogConfiguration::builder()
            .log_driver(sdk::LogDriver::Awslogs)
            .options("awslogs-group", &l.group)
            .options("awslogs-region", &l.region)
            .options("awslogs-stream-prefix", &l.stream_prefix)
            .build()
            .ok()
    });
    sdk::ContainerDefinition::builder()
        .name(&container.name)
        .set_port_mappings(ports)
        .set_log_configuration(logs)
        .build()
}

pub(crate) fn service_from_sdk(s: &sdk::Service) -> Service {
    Service {
        name: text(s.service_name()),
        arn: text(s.service_arn()),
        cluster_arn: text(s.cluster_arn()),
        status: text(s.status()),
        launch_type: s
            .launch_type()
            .map(|l| l.as_str().to_string())
            .unwrap_or_default(),
        desired: count(s.desired_count()),
        running: count(s.running_count()),
        pending: count(s.pending_count()),
        task_definition: text(s.task_definition()),
        deployments: s.deployments().iter().map(deployment_from_sdk).collect(),
        events: s
            .events()
            .iter()
            .map(|e| ServiceEvent {
                id: text(e.id()),
                at: millis(e.created_at()).unwrap_or_default(),
                message: text(e.message()),
            })
            .collect(),
        load_balancers: s
            .load_balancers()
            .iter()
            .filter_map(|lb| {
                Some(ServiceLoadBalancer {
                    target_group_arn: lb.target_group_arn()?.to_string(),
                    container_name: text(lb.container_name()),
                    container_port: port(lb.container_port()).unwrap_or_default(),
                })
            })
            .collect(),
        network: s
            .network_configuration()
            .and_then(|n| n.awsvpc_configuration())
            .map(|v| NetworkConfig {
                subnets: v.subnets().to_vec(),
                security_groups: v.security_groups().to_vec(),
                assign_public_ip: v.assign_public_ip() == Some(&sdk::AssignPublicIp::Enabled),
            })
            .unwrap_or_default(),
        circuit_breaker: s
            .deployment_configuration()
            .and_then(|c| c.deployment_circuit_breaker())
            .map(|b| CircuitBreaker {
                enable: b.enable(),
                rollback: b.rollback(),
            }),
        deployment_controller: match s.deployment_controller().map(|c| c.r#type()) {
            Some(sdk::DeploymentControllerType::CodeDeploy) => DeploymentController::CodeDeploy,
            Some(sdk::DeploymentControllerType::External) => DeploymentController::External,
            _ => DeploymentController::Ecs,
        },
        created_at: millis(s.created_at()).unwrap_or_default(),
    }
}

fn deployment_from_sdk(d: &sdk::Deployment) -> Deployment {
    Deployment {
        id: text(d.id()),
        status: match d.status() {
            Some("PRIMARY") => DeploymentStatus::Primary,
            Some("ACTIVE") => DeploymentStatus::Active,
            _ => DeploymentStatus::Inactive,
        },
        // Services created before rollout states existed report none: they are settled.
        rollout_state: match d.rollout_state() {
            Some(sdk::DeploymentRolloutState::InProgress) => RolloutState::InProgress,
            Some(sdk::DeploymentRolloutState::Failed) => RolloutState::Failed,
            _ => RolloutState::Completed,
        },
        rollout_state_reason: owned(d.rollout_state_reason()),
        task_definition: text(d.task_definition()),
        desired: count(d.desired_count()),
        running: count(d.running_count()),
        pending: count(d.pending_count()),
        failed_tasks: count(d.failed_tasks()),
        created_at: millis(d.created_at()).unwrap_or_default(),
        updated_at: millis(d.updated_at()).unwrap_or_default(),
    }
}

pub(crate) fn task_from_sdk(t: &sdk::Task) -> Task {
    let arn = text(t.task_arn());
    let eni = t
        .attachments()
        .iter()
        .find(|a| a.r#type() == Some("ElasticNetworkInterface"));
    let eni_detail = |name: &str| {
        eni.and_then(|a| {
            a.details()
                .iter()
                .find(|d| d.name() == Some(name))
                .and_then(|d| owned(d.value()))
        })
    };
    let private_ip = eni_detail("privateIPv4Address").or_else(|| {
        t.containers()
            .iter()
            .flat_map(|c| c.network_interfaces())
            .find_map(|n| owned(n.private_ipv4_address()))
    });
    Task {
        id: crate::model::arn_name(&arn).to_string(),
        arn,
        task_definition: text(t.task_definition_arn()),
        last_status: t
            .last_status()
            .and_then(TaskStatus::parse)
            .unwrap_or(TaskStatus::Provisioning),
        desired_status: t
            .desired_status()
            .and_then(TaskStatus::parse)
            .unwrap_or(TaskStatus::Running),
        health: match t.health_status() {
            Some(sdk::HealthStatus::Healthy) => TaskHealth::Healthy,
            Some(sdk::HealthStatus::Unhealthy) => TaskHealth::Unhealthy,
            _ => TaskHealth::Unknown,
        },
        availability_zone: text(t.availability_zone()),
        subnet_id: eni_detail("subnetId"),
        private_ip,
        // ECS does not report a task's public IP; the service's assignPublicIp says whether
        // it has one (see ops::findings).
        public_ip: None,
        started_by: owned(t.started_by()),
        group: text(t.group()),
        created_at: millis(t.created_at()).unwrap_or_default(),
        started_at: millis(t.started_at()),
        stopped_at: millis(t.stopped_at()),
        stopped_reason: owned(t.stopped_reason()),
        stop_code: t.stop_code().map(|c| c.as_str().to_string()),
        containers: t
            .containers()
            .iter()
            .map(|c| Container {
                name: text(c.name()),
                last_status: text(c.last_status()),
                exit_code: c.exit_code(),
                reason: owned(c.reason()),
                image: text(c.image()),
            })
            .collect(),
    }
}

pub(crate) fn task_definition_from_sdk(d: &sdk::TaskDefinition) -> TaskDefinition {
    TaskDefinition {
        arn: text(d.task_definition_arn()),
        family: text(d.family()),
        revision: count(d.revision()),
        status: match d.status() {
            Some(sdk::TaskDefinitionStatus::Active) => TaskDefinitionStatus::Active,
            _ => TaskDefinitionStatus::Inactive,
        },
        cpu: text(d.cpu()),
        memory: text(d.memory()),
        containers: d
            .container_definitions()
            .iter()
            .map(container_from_sdk)
            .collect(),
        registered_at: millis(d.registered_at()).unwrap_or_default(),
        // CONTRACT: the AWS helper reads tags (include=TAGS) into this.
        tags: Vec::new(),
    }
}

fn container_from_sdk(c: &sdk::ContainerDefinition) -> ContainerDefinition {
    ContainerDefinition {
        name: text(c.name()),
        image: text(c.image()),
        essential: c.essential().unwrap_or(true),
        port: c
            .port_mappings()
            .iter()
            .find_map(|p| port(p.container_port())),
        environment: c
            .environment()
            .iter()
            .map(|kv| (text(kv.name()), text(kv.value())))
            .collect(),
        secrets: c
            .secrets()
            .iter()
            .map(|s| (s.name().to_string(), s.value_from().to_string()))
            .collect(),
        logs: c.log_configuration().and_then(awslogs_from_sdk),
        // CONTRACT: the AWS helper converts the container health check.
        health_check: None,
    }
}

fn awslogs_from_sdk(config: &sdk::LogConfiguration) -> Option<AwsLogsConfig> {
    if config.log_driver() != &sdk::LogDriver::Awslogs {
        return None;
    }
    let options = config.options()?;
    Some(AwsLogsConfig {
        group: options.get("awslogs-group")?.clone(),
        region: options.get("awslogs-region").cloned().unwrap_or_default(),
        stream_prefix: options
            .get("awslogs-stream-prefix")
            .cloned()
            .unwrap_or_default(),
    })
}
