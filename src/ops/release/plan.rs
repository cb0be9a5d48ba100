//! Plans: a deploy or a rollback checked and resolved against the account, changing nothing.

use super::{DeployPlan, DeployRequest, ReleaseError, RollbackPlan, changes};
use crate::cloud::{Cloud, CloudError};
use crate::model::{
    DeploymentController, Image, Service, StackRef, TaskDefinition, TaskDefinitionStatus,
    revision_of,
};
use crate::ops::discover;

/// How many tags a refusal names.
const TAGS_NAMED: usize = 5;

/// An image reference in an ECR registry: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:TAG][@DIGEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EcrRef {
    pub registry: String,
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl EcrRef {
    pub(crate) fn parse(image: &str) -> Option<EcrRef> {
        let (registry, path) = image.split_once('/')?;
        let labels: Vec<&str> = registry.split('.').collect();
        let is_ecr = labels.len() >= 6
            && labels[0].len() == 12
            && labels[0].bytes().all(|b| b.is_ascii_digit())
            && labels[1] == "dkr"
            && labels[2] == "ecr"
            && labels[4] == "amazonaws";
        if !is_ecr {
            return None;
        }
        let (name, digest) = match path.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_string())),
            None => (path, None),
        };
        // A tag follows the last ':' after the last '/'.
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match name[last_slash..].rfind(':') {
            Some(i) => (
                &name[..last_slash + i],
                Some(name[last_slash + i + 1..].to_string()),
            ),
            None => (name, None),
        };
        Some(EcrRef {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    pub(super) fn pinned(&self, digest: &str) -> String {
        format!("{}/{}@{digest}", self.registry, self.repository)
    }
}

/// The container whose image a deploy changes: the one asked for, else the one the load
/// balancer targets, else the only essential one.
pub(crate) fn pick_container(
    service: &Service,
    definition: &TaskDefinition,
    asked: Option<&str>,
) -> Result<String, ReleaseError> {
    let names: Vec<&str> = definition
        .containers
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    if let Some(asked) = asked {
        return if names.contains(&asked) {
            Ok(asked.to_string())
        } else {
            Err(ReleaseError::Refused(format!(
                "task definition {}:{} has no container {asked}; its containers are: {}",
                definition.family,
                definition.revision,
                names.join(", ")
            )))
        };
    }
    let mut targeted: Vec<&str> = service
        .load_balancers
        .iter()
        .map(|lb| lb.container_name.as_str())
        .filter(|name| names.contains(name))
        .collect();
    targeted.dedup();
    if let [one] = targeted.as_slice() {
        return Ok((*one).to_string());
    }
    let essential: Vec<&str> = definition
        .containers
        .iter()
        .filter(|c| c.essential)
        .map(|c| c.name.as_str())
        .collect();
    match essential.as_slice() {
        [one] => Ok((*one).to_string()),
        _ => Err(ReleaseError::Refused(format!(
            "cannot tell which container to change in {}:{}: pass --container with one of: {}",
            definition.family,
            definition.revision,
            names.join(", ")
        ))),
    }
}

/// Refuses services whose deployments go through another controller.
fn check_controller(service: &Service) -> Result<(), ReleaseError> {
    let how = match service.deployment_controller {
        DeploymentController::Ecs => return Ok(()),
        DeploymentController::CodeDeploy => {
            "deploys go through CodeDeploy (blue/green); opsdeck cannot change its task \
             definition with UpdateService: start a CodeDeploy deployment instead"
        }
        DeploymentController::External => {
            "deploys go through your own controller (EXTERNAL); opsdeck cannot change its \
             task definition with UpdateService: use that controller's task sets"
        }
    };
    Err(ReleaseError::Refused(format!(
        "service {}: {how}",
        service.name
    )))
}

/// Checks and resolves a deploy; nothing is changed. An ECR tag is pinned to its digest.
pub async fn plan_deploy(
    cloud: &Cloud,
    stack: &StackRef,
    request: &DeployRequest,
) -> Result<DeployPlan, ReleaseError> {
    let image = request.image.trim();
    if image.is_empty() {
        return Err(ReleaseError::Refused(
            "give an image: a tag (v2.14.0), a digest (sha256:...) or a full reference".into(),
        ));
    }
    let service = discover::stack_service(cloud, stack).await?;
    check_controller(&service)?;
    let current = cloud
        .ecs
        .describe_task_definition(&service.task_definition)
        .await?;
    let container = pick_container(&service, &current, request.container.as_deref())?;
    let old_image = current
        .containers
        .iter()
        .find(|c| c.name == container)
        .map(|c| c.image.clone())
        .unwrap_or_default();
    let mut warnings = Vec::new();
    let (new_image, tag, digest) = resolve_image(cloud, &old_image, image, &mut warnings).await?;
    if new_image == old_image {
        warnings.push(format!(
            "container {container} already runs {new_image}: this starts a deployment of the same image"
        ));
    }
    let snapshot_of = if request.snapshot {
        Some(stack_database(cloud, stack).await?)
    } else {
        None
    };
    Ok(DeployPlan {
        stack: stack.clone(),
        service,
        current,
        container,
        old_image,
        new_image,
        tag,
        digest,
        warnings,
        snapshot_of,
    })
}

type Resolved = (String, Option<String>, Option<String>);

async fn resolve_image(
    cloud: &Cloud,
    old_image: &str,
    asked: &str,
    warnings: &mut Vec<String>,
) -> Result<Resolved, ReleaseError> {
    let full = asked.contains('/');
    let ecr = if full {
        EcrRef::parse(asked)
    } else {
        EcrRef::parse(old_image).map(|mut r| {
            if asked.starts_with("sha256:") {
                r.tag = None;
                r.digest = Some(asked.to_string());
            } else {
                r.tag = Some(asked.to_string());
                r.digest = None;
            }
            r
        })
    };
    let Some(ecr) = ecr else {
        let image = if full {
            asked.to_string()
        } else {
            // Another registry: keep its repository, change the tag or digest.
            let repository = other_registry_repository(old_image);
            if asked.starts_with("sha256:") {
                format!("{repository}@{asked}")
            } else {
                format!("{repository}:{asked}")
            }
        };
        warnings.push(format!(
            "{image} is not in ECR: it is used as given, not pinned to a digest (a tag can move)"
        ));
        let tag = (!asked.starts_with("sha256:") && !full).then(|| asked.to_string());
        return Ok((image, tag, None));
    };
    let images = cloud.ecr.describe_images(&ecr.repository).await?;
    let found = match (&ecr.digest, &ecr.tag) {
        (Some(digest), _) => images.iter().find(|i| &i.digest == digest),
        (None, Some(tag)) => images.iter().find(|i| i.tags.iter().any(|t| t == tag)),
        (None, None) => images.iter().find(|i| i.tags.iter().any(|t| t == "latest")),
    };
    let Some(image) = found else {
        let wanted = ecr
            .digest
            .clone()
            .or_else(|| ecr.tag.clone())
            .unwrap_or_else(|| "latest".into());
        return Err(ReleaseError::Refused(format!(
            "{wanted} is not in ECR repository {}: {}",
            ecr.repository,
            newest_tags(&images)
        )));
    };
    let tag = ecr.tag.clone().or_else(|| image.tags.first().cloned());
    Ok((ecr.pinned(&image.digest), tag, Some(image.digest.clone())))
}

fn newest_tags(images: &[Image]) -> String {
    let tags: Vec<&str> = images
        .iter()
        .flat_map(|i| i.tags.iter().map(String::as_str))
        .take(TAGS_NAMED)
        .collect();
    if tags.is_empty() {
        "it holds no tagged images".into()
    } else {
        format!("its newest tags are {}", tags.join(", "))
    }
}

/// `registry/repo` of a non-ECR reference, without its tag or digest.
fn other_registry_repository(image: &str) -> &str {
    let name = image.split('@').next().unwrap_or(image);
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(i) => &name[..last_slash + i],
        None => name,
    }
}

/// The stack's database, found by discovery (in the service's VPC, admitting its groups).
async fn stack_database(cloud: &Cloud, stack: &StackRef) -> Result<String, ReleaseError> {
    let topology = discover::topology(cloud, stack).await?;
    let mut ids: Vec<&str> = topology.databases.iter().map(|d| d.id.as_str()).collect();
    ids.sort_unstable();
    match ids.as_slice() {
        [] => Err(ReleaseError::Refused(format!(
            "--snapshot: service {} has no database (no RDS instance in its VPC admits its \
             security groups); deploy without --snapshot",
            stack.service
        ))),
        [one] => Ok((*one).to_string()),
        many => Err(ReleaseError::Refused(format!(
            "--snapshot: service {} reaches several databases ({}); snapshot them yourself \
             and deploy without --snapshot",
            stack.service,
            many.join(", ")
        ))),
    }
}

/// Checks a rollback; nothing is changed. `to` is a revision number (`7`), `family:7` or an
/// ARN; by default the revision that ran before the current one.
pub async fn plan_rollback(
    cloud: &Cloud,
    stack: &StackRef,
    to: Option<&str>,
) -> Result<RollbackPlan, ReleaseError> {
    let service = discover::stack_service(cloud, stack).await?;
    check_controller(&service)?;
    let from = cloud
        .ecs
        .describe_task_definition(&service.task_definition)
        .await?;
    let wanted = match to.map(str::trim) {
        Some(to) if !to.is_empty() => revision_reference(&from, to)?,
        _ => previous_revision(cloud, &service, &from).await?,
    };
    let target = match cloud.ecs.describe_task_definition(&wanted).await {
        Ok(definition) => definition,
        Err(CloudError::NotFound { .. }) => {
            let active = cloud.ecs.list_task_definitions(&from.family).await?;
            return Err(ReleaseError::Refused(format!(
                "no revision {wanted}; ACTIVE revisions of {}: {}",
                from.family,
                revision_numbers(&active)
            )));
        }
        Err(error) => return Err(error.into()),
    };
    if target.family != from.family {
        return Err(ReleaseError::Refused(format!(
            "{}:{} is another family than the service runs ({}): roll back within {}",
            target.family, target.revision, from.family, from.family
        )));
    }
    if target.status == TaskDefinitionStatus::Inactive {
        // moto accepts an INACTIVE revision in UpdateService; AWS refuses it.
        return Err(ReleaseError::Refused(format!(
            "{}:{} is INACTIVE (deregistered): ECS runs only ACTIVE revisions; pick another \
             with `opsdeck revisions`",
            target.family, target.revision
        )));
    }
    if target.arn == from.arn {
        return Err(ReleaseError::Refused(format!(
            "service {} already runs {}:{}",
            service.name, target.family, target.revision
        )));
    }
    let changes = changes(&from, &target);
    Ok(RollbackPlan {
        stack: stack.clone(),
        service,
        from,
        to: target,
        changes,
    })
}

fn revision_reference(from: &TaskDefinition, to: &str) -> Result<String, ReleaseError> {
    if to.starts_with("arn:") {
        return Ok(to.to_string());
    }
    if to.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(format!("{}:{to}", from.family));
    }
    match to.rsplit_once(':') {
        Some((family, n)) if !family.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(to.to_string())
        }
        _ => Err(ReleaseError::Refused(format!(
            "--to {to}: give a revision number (7), family:revision ({}:7) or a task-definition ARN",
            from.family
        ))),
    }
}

/// The task definition of the deployment before the current one when ECS still shows it,
/// else the newest ACTIVE revision below the current.
async fn previous_revision(
    cloud: &Cloud,
    service: &Service,
    from: &TaskDefinition,
) -> Result<String, ReleaseError> {
    if let Some(older) = service
        .deployments
        .iter()
        .find(|d| d.task_definition != from.arn)
    {
        return Ok(older.task_definition.clone());
    }
    let active = cloud.ecs.list_task_definitions(&from.family).await?;
    active
        .iter()
        .filter(|arn| revision_of(arn).is_some_and(|r| r < from.revision))
        .max_by_key(|arn| revision_of(arn))
        .cloned()
        .ok_or_else(|| {
            ReleaseError::Refused(format!(
                "no ACTIVE revision of {} older than {}: nothing to roll back to",
                from.family, from.revision
            ))
        })
}

fn revision_numbers(arns: &[String]) -> String {
    let mut numbers: Vec<u32> = arns.iter().filter_map(|a| revision_of(a)).collect();
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    if numbers.is_empty() {
        return "none".into();
    }
    let shown: Vec<String> = numbers.iter().take(10).map(u32::to_string).collect();
    format!(
        "{}{}",
        shown.join(", "),
        if numbers.len() > 10 { ", ..." } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ecr_references() {
        let r = EcrRef::parse("123456789012.dkr.ecr.eu-west-2.amazonaws.com/team/umami:v2.13.0")
            .expect("ecr");
        assert_eq!(r.repository, "team/umami");
        assert_eq!(r.tag.as_deref(), Some("v2.13.0"));
        let pinned = EcrRef::parse("123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami@sha256:ab")
            .expect("ecr");
        assert_eq!(pinned.digest.as_deref(), Some("sha256:ab"));
        assert_eq!(pinned.tag, None);
        assert_eq!(EcrRef::parse("ghcr.io/umami-software/umami:v2"), None);
        assert_eq!(EcrRef::parse("postgres:16"), None);
    }

    #[test]
    fn other_registry_repository_drops_tag_and_digest() {
        assert_eq!(
            other_registry_repository("localhost:5000/umami:v2"),
            "localhost:5000/umami"
        );
        assert_eq!(
            other_registry_repository("ghcr.io/a/b@sha256:1"),
            "ghcr.io/a/b"
        );
    }
}
