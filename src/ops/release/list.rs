//! What can be deployed or rolled back to: the service's ECR images and its family's revisions.

use futures::StreamExt;

use super::plan::{EcrRef, pick_container};
use super::{ImageList, ImageRow, ReleaseError, Revision};
use crate::cloud::Cloud;
use crate::model::{Service, StackRef, TaskDefinition, TaskDefinitionStatus, revision_of};
use crate::ops::discover;

/// A family can hold hundreds of revisions and each needs its own DescribeTaskDefinition:
/// the newest this many are listed (a rollback further back is rare; `--to` still takes any).
pub const REVISIONS_LISTED: usize = 50;

/// DescribeTaskDefinition calls in flight at once.
const DESCRIBES_AT_ONCE: usize = 5;

/// The images of the repository the service's container runs from, newest push first, the
/// running one marked. Calls: DescribeServices, DescribeTaskDefinition, DescribeImages.
pub async fn images(cloud: &Cloud, stack: &StackRef) -> Result<ImageList, ReleaseError> {
    let (_, images) = images_with_definition(cloud, stack).await?;
    Ok(images)
}

/// [`images`], with the service's current task definition it read on the way: the deploy
/// wizard needs both (the containers to choose from) and should not ask ECS twice.
pub async fn images_with_definition(
    cloud: &Cloud,
    stack: &StackRef,
) -> Result<(TaskDefinition, ImageList), ReleaseError> {
    let service = discover::stack_service(cloud, stack).await?;
    let current = cloud
        .ecs
        .describe_task_definition(&service.task_definition)
        .await?;
    let images = images_of(&service, &current, cloud).await?;
    Ok((current, images))
}

async fn images_of(
    service: &Service,
    current: &TaskDefinition,
    cloud: &Cloud,
) -> Result<ImageList, ReleaseError> {
    let container = pick_container(service, current, None)?;
    let running = current
        .containers
        .iter()
        .find(|c| c.name == container)
        .map(|c| c.image.clone())
        .unwrap_or_default();
    let Some(reference) = EcrRef::parse(&running) else {
        return Err(ReleaseError::Refused(format!(
            "container {container} runs {running}, which is not in ECR: opsdeck lists ECR \
             repositories only"
        )));
    };
    let images = cloud.ecr.describe_images(&reference.repository).await?;
    let rows = images
        .into_iter()
        .map(|image| {
            let running = match (&reference.digest, &reference.tag) {
                (Some(digest), _) => image.digest == *digest,
                (None, Some(tag)) => image.tags.iter().any(|t| t == tag),
                (None, None) => image.tags.iter().any(|t| t == "latest"),
            };
            ImageRow { image, running }
        })
        .collect();
    Ok(ImageList {
        repository: reference.repository,
        images: rows,
    })
}

/// The family's ACTIVE and INACTIVE revisions, newest first, at most [`REVISIONS_LISTED`].
/// Calls: DescribeServices, DescribeTaskDefinition (current), ListTaskDefinitions twice
/// (ACTIVE, INACTIVE), and one DescribeTaskDefinition per listed revision.
pub async fn revisions(cloud: &Cloud, stack: &StackRef) -> Result<Vec<Revision>, ReleaseError> {
    let service = discover::stack_service(cloud, stack).await?;
    let family = crate::model::family_revision(&service.task_definition)
        .rsplit_once(':')
        .map_or_else(
            || service.task_definition.clone(),
            |(family, _)| family.to_string(),
        );
    let (active, inactive) = tokio::try_join!(
        cloud
            .ecs
            .list_task_definitions_with_status(&family, TaskDefinitionStatus::Active),
        cloud
            .ecs
            .list_task_definitions_with_status(&family, TaskDefinitionStatus::Inactive),
    )?;
    let mut arns: Vec<String> = active.into_iter().chain(inactive).collect();
    arns.sort_by_key(|arn| std::cmp::Reverse(revision_of(arn).unwrap_or(0)));
    arns.dedup();
    arns.truncate(REVISIONS_LISTED);
    // The service's own task definition is what it runs (or is rolling out). Older
    // deployments still draining are not: marking them would show two "running" revisions,
    // and an endpoint that never retires a deployment (moto) would keep one marked for ever.
    let running = service.task_definition.as_str();
    // Owned ARNs in `async move` blocks: a closure returning a future that borrows its
    // argument is not general enough for a spawned task (rust-lang/rust#102211).
    let ecs = &cloud.ecs;
    let described: Vec<_> = futures::stream::iter(
        arns.iter()
            .cloned()
            .map(|arn| async move { ecs.describe_task_definition(&arn).await }),
    )
    .buffered(DESCRIBES_AT_ONCE)
    .collect()
    .await;
    let mut out = Vec::with_capacity(described.len());
    for definition in described {
        let definition = definition?;
        out.push(Revision {
            running: definition.arn == running,
            arn: definition.arn,
            revision: definition.revision,
            status: definition.status,
            images: definition.containers.into_iter().map(|c| c.image).collect(),
            registered_at: definition.registered_at,
        });
    }
    Ok(out)
}
