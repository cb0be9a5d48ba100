//! Read-only mode, enforced where calls leave opsdeck: every mutating call is refused here,
//! whatever face (key, subcommand, wizard) asked for it.

use std::sync::Arc;

use async_trait::async_trait;

use super::{CloudError, CloudResult, DesiredStatus, EcsApi, RdsApi, SiteApi, StacksApi};
use crate::model::{
    BucketAccess, CfnStack, ChangeSet, ChangeSetRequest, DbInstance, DbSnapshot, Distribution,
    Invalidation, NewTaskDefinition, ObjectHeaders, Service, ServiceDeployment, ServiceUpdate,
    StackEvent, StackResource, StoredObject, Task, TaskDefinition, TaskDefinitionStatus,
};

fn refuse<T>(action: &str, target: &str) -> CloudResult<T> {
    Err(CloudError::ReadOnly {
        action: action.to_string(),
        target: target.to_string(),
    })
}

/// ECS with every mutating call refused.
pub struct ReadOnlyEcs(pub Arc<dyn EcsApi>);

#[async_trait]
impl EcsApi for ReadOnlyEcs {
    async fn list_clusters(&self) -> CloudResult<Vec<String>> {
        self.0.list_clusters().await
    }
    async fn list_services(&self, cluster: &str) -> CloudResult<Vec<String>> {
        self.0.list_services(cluster).await
    }
    async fn describe_services(
        &self,
        cluster: &str,
        services: &[String],
    ) -> CloudResult<Vec<Service>> {
        self.0.describe_services(cluster, services).await
    }
    async fn list_tasks(
        &self,
        cluster: &str,
        service: Option<&str>,
        desired: DesiredStatus,
    ) -> CloudResult<Vec<String>> {
        self.0.list_tasks(cluster, service, desired).await
    }
    async fn describe_tasks(&self, cluster: &str, tasks: &[String]) -> CloudResult<Vec<Task>> {
        self.0.describe_tasks(cluster, tasks).await
    }
    async fn describe_task_definition(&self, task_definition: &str) -> CloudResult<TaskDefinition> {
        self.0.describe_task_definition(task_definition).await
    }
    async fn list_task_definitions(&self, family: &str) -> CloudResult<Vec<String>> {
        self.0.list_task_definitions(family).await
    }
    async fn list_task_definitions_with_status(
        &self,
        family: &str,
        status: TaskDefinitionStatus,
    ) -> CloudResult<Vec<String>> {
        self.0
            .list_task_definitions_with_status(family, status)
            .await
    }
    async fn list_service_deployments(
        &self,
        cluster: &str,
        service: &str,
    ) -> CloudResult<Vec<String>> {
        self.0.list_service_deployments(cluster, service).await
    }
    async fn describe_service_deployments(
        &self,
        arns: &[String],
    ) -> CloudResult<Vec<ServiceDeployment>> {
        self.0.describe_service_deployments(arns).await
    }

    async fn register_task_definition(
        &self,
        definition: NewTaskDefinition,
    ) -> CloudResult<TaskDefinition> {
        refuse("ecs:RegisterTaskDefinition", &definition.family)
    }
    async fn register_image_revision(
        &self,
        source: &str,
        _container: &str,
        _image: &str,
    ) -> CloudResult<TaskDefinition> {
        refuse("ecs:RegisterTaskDefinition", source)
    }
    async fn update_service(
        &self,
        _cluster: &str,
        service: &str,
        _update: ServiceUpdate,
    ) -> CloudResult<Service> {
        refuse("ecs:UpdateService", service)
    }
    async fn stop_task(&self, _cluster: &str, task: &str, _reason: &str) -> CloudResult<()> {
        refuse("ecs:StopTask", task)
    }
    async fn stop_service_deployment(&self, arn: &str, _rollback: bool) -> CloudResult<()> {
        refuse("ecs:StopServiceDeployment", arn)
    }
}

/// RDS with every mutating call refused.
pub struct ReadOnlyRds(pub Arc<dyn RdsApi>);

#[async_trait]
impl RdsApi for ReadOnlyRds {
    async fn describe_db_instances(&self) -> CloudResult<Vec<DbInstance>> {
        self.0.describe_db_instances().await
    }
    async fn describe_db_snapshot(&self, snapshot: &str) -> CloudResult<DbSnapshot> {
        self.0.describe_db_snapshot(snapshot).await
    }
    async fn create_db_snapshot(&self, instance: &str, _snapshot: &str) -> CloudResult<DbSnapshot> {
        refuse("rds:CreateDBSnapshot", instance)
    }
    async fn disable_deletion_protection(&self, instance: &str) -> CloudResult<()> {
        refuse("rds:ModifyDBInstance", instance)
    }
}

/// CloudFormation with change sets, their execution and stack deletion refused. Reading the
/// stack, its events and the template stays allowed, so a read-only session can follow a
/// bootstrap someone else runs.
pub struct ReadOnlyStacks(pub Arc<dyn StacksApi>);

#[async_trait]
impl StacksApi for ReadOnlyStacks {
    async fn describe_stack(&self, name: &str) -> CloudResult<Option<CfnStack>> {
        self.0.describe_stack(name).await
    }
    async fn describe_change_set(&self, stack: &str, change_set: &str) -> CloudResult<ChangeSet> {
        self.0.describe_change_set(stack, change_set).await
    }
    async fn stack_events(
        &self,
        stack: &str,
        after_event_id: Option<&str>,
    ) -> CloudResult<Vec<StackEvent>> {
        self.0.stack_events(stack, after_event_id).await
    }
    async fn stack_resources(&self, stack: &str) -> CloudResult<Vec<StackResource>> {
        self.0.stack_resources(stack).await
    }
    async fn get_template(&self, stack: &str) -> CloudResult<String> {
        self.0.get_template(stack).await
    }

    async fn create_change_set(&self, request: &ChangeSetRequest) -> CloudResult<(String, String)> {
        refuse("cloudformation:CreateChangeSet", &request.stack)
    }
    async fn execute_change_set(&self, stack: &str, _change_set: &str) -> CloudResult<()> {
        refuse("cloudformation:ExecuteChangeSet", stack)
    }
    async fn delete_change_set(&self, stack: &str, _change_set: &str) -> CloudResult<()> {
        refuse("cloudformation:DeleteChangeSet", stack)
    }
    async fn delete_stack(&self, name: &str) -> CloudResult<()> {
        refuse("cloudformation:DeleteStack", name)
    }
}

/// S3 and CloudFront with uploads, deletions and invalidations refused.
pub struct ReadOnlySite(pub Arc<dyn SiteApi>);

#[async_trait]
impl SiteApi for ReadOnlySite {
    async fn list_objects(&self, bucket: &str) -> CloudResult<Vec<StoredObject>> {
        self.0.list_objects(bucket).await
    }
    async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        _path: &std::path::Path,
        _headers: &ObjectHeaders,
    ) -> CloudResult<()> {
        refuse("s3:PutObject", &format!("s3://{bucket}/{key}"))
    }
    async fn delete_objects(&self, bucket: &str, _keys: &[String]) -> CloudResult<()> {
        refuse("s3:DeleteObjects", &format!("s3://{bucket}"))
    }
    async fn create_invalidation(
        &self,
        distribution: &str,
        _paths: &[String],
        _reference: &str,
    ) -> CloudResult<Invalidation> {
        refuse("cloudfront:CreateInvalidation", distribution)
    }
    async fn get_invalidation(&self, distribution: &str, id: &str) -> CloudResult<Invalidation> {
        self.0.get_invalidation(distribution, id).await
    }
    async fn list_distributions(&self) -> CloudResult<Vec<Distribution>> {
        self.0.list_distributions().await
    }
    async fn distribution(&self, id: &str) -> CloudResult<Distribution> {
        self.0.distribution(id).await
    }
    async fn list_invalidations(
        &self,
        distribution: &str,
        max: usize,
    ) -> CloudResult<Vec<Invalidation>> {
        self.0.list_invalidations(distribution, max).await
    }
    async fn bucket_access(&self, bucket: &str) -> CloudResult<BucketAccess> {
        self.0.bucket_access(bucket).await
    }
}
