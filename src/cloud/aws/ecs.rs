//! ECS: clusters, services, tasks, task definitions and the deployment history, paged and
//! batched at the API maximums.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types as sdk;

use super::convert::{count, in_batches, millis, owned, port, text};
use super::errors::{CallContext, Paged};
use crate::cloud::{CloudError, CloudResult, DesiredStatus, EcsApi, unsupported};
use crate::model::{
    AwsLogsConfig, CircuitBreaker, Container, ContainerDefinition, ContainerHealthCheck,
    Deployment, DeploymentController, DeploymentStatus, NetworkConfig, NewTaskDefinition,
    RolloutState, Service, ServiceDeployment, ServiceDeploymentStatus, ServiceEvent,
    ServiceLoadBalancer, ServiceUpdate, Task, TaskDefinition, TaskDefinitionStatus, TaskHealth,
    TaskStatus, family_revision, revision_of,
};

/// DescribeServices takes at most 10 services per call.
pub const DESCRIBE_SERVICES_MAX: usize = 10;
/// DescribeTasks takes at most 100 tasks per call.
pub const DESCRIBE_TASKS_MAX: usize = 100;
/// ListServices and ListTasks return at most 100 per page (ListServices defaults to 10).
const LIST_PAGE_MAX: i32 = 100;
/// DescribeServiceDeployments and DescribeServiceRevisions take at most 20 ARNs per call.
pub const DESCRIBE_HISTORY_MAX: usize = 20;

pub struct AwsEcs {
    client: Client,
    context: CallContext,
    /// Cleared once the endpoint shows it has no deployment history (moto, older
    /// partitions), so a deploy watch polling every few seconds does not wait on retried
    /// server errors at every poll.
    history_available: AtomicBool,
}

impl AwsEcs {
    pub fn new(client: Client, context: CallContext) -> AwsEcs {
        AwsEcs {
            client,
            context,
            history_available: AtomicBool::new(true),
        }
    }

    /// A task definition in full SDK shape with its tags, which ECS returns only when asked.
    async fn describe_with_tags(
        &self,
        task_definition: &str,
    ) -> CloudResult<(sdk::TaskDefinition, Vec<sdk::Tag>)> {
        let output = self
            .client
            .describe_task_definition()
            .task_definition(task_definition)
            .include(sdk::TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(
                |e| match e.as_service_error().map(|s| (s.code(), s.message())) {
                    // ECS says ClientException ("Unable to describe task definition") for a
                    // revision or family that does not exist.
                    Some((Some("ClientException"), message)) => CloudError::NotFound {
                        kind: "task definition",
                        name: task_definition.to_string(),
                        hint: message.map(str::to_string),
                    },
                    _ => self
                        .context
                        .error("ecs:DescribeTaskDefinition", task_definition, e),
                },
            )?;
        let tags = output.tags.unwrap_or_default();
        let definition = output.task_definition.ok_or_else(|| CloudError::NotFound {
            kind: "task definition",
            name: task_definition.to_string(),
            hint: None,
        })?;
        Ok((definition, tags))
    }

    /// Refuses at once when the endpoint already showed it has no deployment history.
    fn history_open(&self, action: &str, subject: &str) -> CloudResult<()> {
        if self.history_available.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err(unsupported(
                action,
                format!("{subject}: this endpoint has no ECS deployment history"),
            ))
        }
    }

    fn history_error<E>(
        &self,
        action: &str,
        subject: &str,
        error: aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> CloudError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let error = self.context.error_or_unsupported(action, subject, error);
        if matches!(error, CloudError::Unsupported { .. }) {
            self.history_available.store(false, Ordering::Relaxed);
        }
        error
    }

    async fn describe_deployment_batch(
        &self,
        batch: &[String],
    ) -> CloudResult<Vec<sdk::ServiceDeployment>> {
        let output = self
            .client
            .describe_service_deployments()
            .set_service_deployment_arns(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| {
                self.history_error(
                    "ecs:DescribeServiceDeployments",
                    batch.first().map_or("", String::as_str),
                    e,
                )
            })?;
        Ok(output.service_deployments.unwrap_or_default())
    }

    async fn describe_revision_batch(
        &self,
        batch: &[String],
    ) -> CloudResult<Vec<(String, String)>> {
        let output = self
            .client
            .describe_service_revisions()
            .set_service_revision_arns(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| {
                self.context.error_or_unsupported(
                    "ecs:DescribeServiceRevisions",
                    batch.first().map_or("", String::as_str),
                    e,
                )
            })?;
        Ok(output
            .service_revisions()
            .iter()
            .filter_map(|r| {
                Some((
                    r.service_revision_arn()?.to_string(),
                    r.task_definition()?.to_string(),
                ))
            })
            .collect())
    }

    /// The task definition of each service revision. A deployment names service
    /// revisions, not task definitions, and the rollback picker and the watch need the
    /// latter. A role allowed the history but not DescribeServiceRevisions (or an endpoint
    /// without it) still gets the deployments' statuses: their task definitions stay
    /// unknown rather than failing the whole answer.
    async fn task_definitions_of(
        &self,
        revisions: Vec<String>,
    ) -> CloudResult<HashMap<String, String>> {
        if revisions.is_empty() {
            return Ok(HashMap::new());
        }
        let requests: Vec<_> = revisions
            .chunks(DESCRIBE_HISTORY_MAX)
            .map(|batch| self.describe_revision_batch(batch))
            .collect();
        match in_batches(requests).await {
            Ok(pairs) => Ok(pairs.into_iter().collect()),
            Err(error @ (CloudError::Unsupported { .. } | CloudError::AccessDenied { .. })) => {
                tracing::warn!(
                    %error,
                    "service revisions unreadable: deployments without task definitions"
                );
                Ok(HashMap::new())
            }
            Err(error) => Err(error),
        }
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

    /// The full SDK shape of the newest revision with its tags, so a new revision keeps
    /// what opsdeck's model does not carry (roles, network mode, port mappings, volumes).
    async fn latest_revision(
        &self,
        family: &str,
    ) -> CloudResult<Option<(sdk::TaskDefinition, Vec<sdk::Tag>)>> {
        match self.describe_with_tags(family).await {
            Ok(found) => Ok(Some(found)),
            // A family with no revision yet.
            Err(CloudError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
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
        let (definition, tags) = self.describe_with_tags(task_definition).await?;
        Ok(task_definition_from_sdk(&definition, &tags))
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
        let status = match status {
            TaskDefinitionStatus::Active => sdk::TaskDefinitionStatus::Active,
            TaskDefinitionStatus::Inactive => sdk::TaskDefinitionStatus::Inactive,
        };
        let arns: Vec<String> = self
            .client
            .list_task_definitions()
            .family_prefix(family)
            .status(status)
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
        self.register(request, &family).await
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

    async fn register_image_revision(
        &self,
        source: &str,
        container: &str,
        image: &str,
    ) -> CloudResult<TaskDefinition> {
        let (base, tags) = self.describe_with_tags(source).await?;
        let names: Vec<&str> = base
            .container_definitions()
            .iter()
            .filter_map(|c| c.name())
            .collect();
        if !names.contains(&container) {
            return Err(CloudError::Rejected {
                operation: "ecs:RegisterTaskDefinition".into(),
                message: format!(
                    "{} has no container named {container}; its containers are {}",
                    family_revision(source),
                    names.join(", ")
                ),
            });
        }
        let family = text(base.family());
        let request = copy_of(&self.client, base, tags, Some((container, image)));
        self.register(request, &family).await
    }

    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
    ) -> CloudResult<Vec<String>> {
        const ACTION: &str = "ecs:ListServiceDeployments";
        self.history_open(ACTION, service)?;
        let mut briefs = Vec::new();
        let mut token: Option<String> = None;
        // ListServiceDeployments has no SDK paginator; an endpoint that hands back a token
        // it already gave must not keep us here.
        let mut seen = HashSet::new();
        loop {
            let output = self
                .client
                .list_service_deployments()
                .cluster(cluster)
                .service(service)
                .max_results(LIST_PAGE_MAX)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.history_error(ACTION, service, e))?;
            briefs.extend(output.service_deployments.unwrap_or_default());
            match output.next_token {
                Some(next) if !next.is_empty() && seen.insert(next.clone()) => token = Some(next),
                _ => break,
            }
        }
        // Newest first is the contract; the API does not promise an order.
        briefs.sort_by_key(|b| std::cmp::Reverse(millis(b.created_at())));
        Ok(briefs
            .iter()
            .filter_map(|b| owned(b.service_deployment_arn()))
            .collect())
    }

    async fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> CloudResult<Vec<ServiceDeployment>> {
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        self.history_open(
            "ecs:DescribeServiceDeployments",
            &format!("{} deployments", arns.len()),
        )?;
        let requests: Vec<_> = arns
            .chunks(DESCRIBE_HISTORY_MAX)
            .map(|batch| self.describe_deployment_batch(batch))
            .collect();
        let deployments = in_batches(requests).await?;
        // Each service revision once, though consecutive deployments share them.
        let revisions: BTreeSet<String> = deployments
            .iter()
            .flat_map(|d| {
                d.target_service_revision()
                    .into_iter()
                    .chain(d.source_service_revisions())
            })
            .filter_map(|r| owned(r.arn()))
            .collect();
        let task_definitions = self
            .task_definitions_of(revisions.into_iter().collect())
            .await?;
        Ok(deployments
            .iter()
            .filter_map(|d| service_deployment_from_sdk(d, &task_definitions))
            .collect())
    }

    async fn stop_service_deployment(&self, arn: &str, rollback: bool) -> CloudResult<()> {
        const ACTION: &str = "ecs:StopServiceDeployment";
        self.history_open(ACTION, arn)?;
        let stop_type = if rollback {
            sdk::StopServiceDeploymentStopType::Rollback
        } else {
            sdk::StopServiceDeploymentStopType::Abort
        };
        self.client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(stop_type)
            .send()
            .await
            .map_err(|e| self.history_error(ACTION, arn, e))?;
        Ok(())
    }
}

impl AwsEcs {
    async fn register(
        &self,
        request: RegisterRequest,
        family: &str,
    ) -> CloudResult<TaskDefinition> {
        let sent_tags = request.get_tags().clone().unwrap_or_default();
        let output = request
            .send()
            .await
            .map_err(|e| self.context.error("ecs:RegisterTaskDefinition", family, e))?;
        // Endpoints that keep the tags but do not echo them back still tagged what we sent.
        let tags = output.tags.clone().unwrap_or(sent_tags);
        output
            .task_definition()
            .map(|d| task_definition_from_sdk(d, &tags))
            .ok_or_else(|| CloudError::Other {
                operation: "ecs:RegisterTaskDefinition".into(),
                message: "ECS returned no task definition".into(),
            })
    }
}

type RegisterRequest =
    aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder;

/// A RegisterTaskDefinition request that copies every field RegisterTaskDefinition takes
/// from `base`, optionally with one container's image changed. What ECS adds on its own
/// (ARN, revision, status, compatibilities, requiresAttributes, registeredAt/By,
/// deregisteredAt) is not an input and is left out.
// Elastic Inference is retired and its setter deprecated, but a revision that names
// accelerators is copied as it is: a copy that silently differs is the bug this prevents.
#[allow(deprecated)]
fn copy_of(
    client: &Client,
    base: sdk::TaskDefinition,
    tags: Vec<sdk::Tag>,
    new_image: Option<(&str, &str)>,
) -> RegisterRequest {
    let mut containers = base.container_definitions.unwrap_or_default();
    if let Some((name, image)) = new_image {
        for container in &mut containers {
            if container.name.as_deref() == Some(name) {
                container.image = Some(image.to_string());
            }
        }
    }
    client
        .register_task_definition()
        .set_family(base.family)
        .set_task_role_arn(base.task_role_arn)
        .set_execution_role_arn(base.execution_role_arn)
        .set_network_mode(base.network_mode)
        .set_container_definitions(Some(containers))
        .set_volumes(base.volumes)
        .set_placement_constraints(base.placement_constraints)
        .set_requires_compatibilities(base.requires_compatibilities)
        .set_cpu(base.cpu)
        .set_memory(base.memory)
        // An empty list would be sent as `"tags": []`, which says nothing; leave it out.
        .set_tags(Some(tags).filter(|t| !t.is_empty()))
        .set_pid_mode(base.pid_mode)
        .set_ipc_mode(base.ipc_mode)
        .set_proxy_configuration(base.proxy_configuration)
        .set_inference_accelerators(base.inference_accelerators)
        .set_ephemeral_storage(base.ephemeral_storage)
        .set_runtime_platform(base.runtime_platform)
        .set_enable_fault_injection(base.enable_fault_injection)
}

/// A RegisterTaskDefinition request: the newest revision with the new containers laid over it.
fn registration(
    client: &Client,
    base: Option<(sdk::TaskDefinition, Vec<sdk::Tag>)>,
    definition: NewTaskDefinition,
) -> RegisterRequest {
    let base_containers = base
        .as_ref()
        .map(|(b, _)| b.container_definitions().to_vec())
        .unwrap_or_default();
    let containers = definition
        .containers
        .iter()
        .map(|c| container_to_sdk(c, &base_containers))
        .collect();
    let request = match base {
        Some((base, tags)) => copy_of(client, base, tags, None),
        None => client
            .register_task_definition()
            .network_mode(sdk::NetworkMode::Awsvpc)
            .requires_compatibilities(sdk::Compatibility::Fargate),
    };
    request
        .family(&definition.family)
        .cpu(&definition.cpu)
        .memory(&definition.memory)
        .set_container_definitions(Some(containers))
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

pub(crate) fn task_definition_from_sdk(
    d: &sdk::TaskDefinition,
    tags: &[sdk::Tag],
) -> TaskDefinition {
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
        tags: tags
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), text(t.value()))))
            .collect(),
        task_role_arn: owned(d.task_role_arn()),
        execution_role_arn: owned(d.execution_role_arn()),
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
        health_check: c.health_check().map(health_check_from_sdk),
    }
}

/// ECS fills in what the definition leaves out: interval 30 s, timeout 5 s, 3 retries,
/// no start period. Show those, since they are what the container runs with.
fn health_check_from_sdk(h: &sdk::HealthCheck) -> ContainerHealthCheck {
    let seconds = |n: Option<i32>, default: u32| n.map_or(default, count);
    ContainerHealthCheck {
        command: h.command().to_vec(),
        interval_s: seconds(h.interval(), 30),
        timeout_s: seconds(h.timeout(), 5),
        retries: seconds(h.retries(), 3),
        start_period_s: seconds(h.start_period(), 0),
    }
}

/// One deployment of the history; `None` for a status newer than opsdeck knows, which it
/// cannot judge and so does not pretend to.
fn service_deployment_from_sdk(
    d: &sdk::ServiceDeployment,
    task_definitions: &HashMap<String, String>,
) -> Option<ServiceDeployment> {
    let arn = text(d.service_deployment_arn());
    let Some(status) = d
        .status()
        .and_then(|s| ServiceDeploymentStatus::parse(s.as_str()))
    else {
        tracing::warn!(
            %arn,
            status = ?d.status(),
            "service deployment with an unknown status left out"
        );
        return None;
    };
    let task_definition_of = |r: &sdk::ServiceRevisionSummary| {
        r.arn().and_then(|arn| task_definitions.get(arn)).cloned()
    };
    Some(ServiceDeployment {
        arn,
        status,
        status_reason: owned(d.status_reason()),
        target_task_definition: d.target_service_revision().and_then(task_definition_of),
        source_task_definitions: d
            .source_service_revisions()
            .iter()
            .filter_map(task_definition_of)
            .collect(),
        circuit_breaker_failures: d
            .deployment_circuit_breaker()
            .filter(|b| b.status() != Some(&sdk::ServiceDeploymentRollbackMonitorsStatus::Disabled))
            .map(|b| count(b.failure_count())),
        created_at: millis(d.created_at()),
        // A stopped deployment reports when it stopped rather than when it finished.
        finished_at: millis(d.finished_at()).or_else(|| millis(d.stopped_at())),
    })
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
