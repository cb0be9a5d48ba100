//! `opsdeck ci github`: continuous delivery from one branch of one GitHub repository. The
//! account gets, through CloudFormation only, GitHub's OIDC provider (when it has none) and
//! a role that branch alone can assume, allowed exactly what the workflow runs; the
//! repository gets the workflow (`workflow`). The role joins the stack `opsdeck bootstrap`
//! made, or a small stack of its own, `<stack>-ci`, for a stack built some other way.

pub mod role;
pub mod workflow;

use serde::Serialize;
use serde_json::Value;

pub use role::carry_ci_resources;
use role::{CI_PREFIX, PROVIDER_ID, Provider, ROLE_ID, ROLE_OUTPUT};

use crate::cloud::{Cloud, CloudError};
use crate::model::ci::GITHUB_OIDC_AUDIENCE;
use crate::model::{
    Capability, CfnStack, ChangeSetKind, ChangeSetRequest, ChangeSetStatus, Millis, StackRef,
    StackStatus, arn_name,
};
use crate::ops::audit::{Audit, AuditEntry};
use crate::ops::bootstrap::model::STACK_TAG;
use crate::ops::bootstrap::provision::{self, ApplyOutcome, ApplySink, Refusal};
use crate::ops::discover;
use crate::ops::release::{EcrRef, pick_container};
use crate::ops::site::discover::SiteHint;

/// The audit log's name for what this command does.
pub const AUDIT_ACTION: &str = "ci-github";
const CHANGE_SET_POLL_MS: Millis = 2_000;
const CHANGE_SET_TIMEOUT_MS: Millis = 5 * 60_000;

/// `OWNER/NAME` of a GitHub repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GithubRepo {
    pub owner: String,
    pub name: String,
}

impl std::fmt::Display for GithubRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl GithubRepo {
    /// `OWNER/NAME` as GitHub allows them: an owner of letters, digits and single inner
    /// hyphens (at most 39), a name of letters, digits, `.`, `_` and `-` (at most 100).
    pub fn parse(text: &str) -> Result<GithubRepo, String> {
        let explain = |why: &str| {
            format!("--repo {text:?}: {why}; give the GitHub repository as OWNER/NAME (acme/shop)")
        };
        let Some((owner, name)) = text.split_once('/') else {
            return Err(explain("no '/' between owner and name"));
        };
        let owner_ok = !owner.is_empty()
            && owner.len() <= 39
            && owner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !owner.starts_with('-')
            && !owner.ends_with('-')
            && !owner.contains("--");
        if !owner_ok {
            return Err(explain(
                "the owner may hold only letters, digits and single hyphens inside (at most 39)",
            ));
        }
        let name_ok = !name.is_empty()
            && name.len() <= 100
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && name != "."
            && name != "..";
        if !name_ok {
            return Err(explain(
                "the name may hold only letters, digits, '.', '_' and '-' (at most 100)",
            ));
        }
        Ok(GithubRepo {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    /// The repository of a GitHub remote URL: `https://github.com/o/n(.git)`,
    /// `git@github.com:o/n(.git)` or `ssh://git@github.com/o/n(.git)`; `None` for another host.
    pub fn from_remote(url: &str) -> Option<GithubRepo> {
        let url = url.trim();
        let path = [
            "https://github.com/",
            "http://github.com/",
            "ssh://git@github.com/",
            "git@github.com:",
            "git://github.com/",
        ]
        .iter()
        .find_map(|prefix| url.strip_prefix(prefix))
        .or_else(|| {
            // https://user@github.com/o/n, ssh://git@github.com:22/o/n
            let rest = url.split_once("://")?.1;
            let (host, path) = rest.split_once('/')?;
            let host = host.rsplit('@').next()?;
            (host == "github.com" || host == "github.com:22").then_some(path)
        })?;
        let path = path.trim_end_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        GithubRepo::parse(path).ok()
    }
}

/// A branch name the trust policy can name exactly: what git allows in a ref, less anything
/// that would widen or break the `sub` condition or the YAML (`*`, `?`, spaces, quotes).
pub fn check_branch(branch: &str) -> Result<(), String> {
    let explain = |why: &str| format!("--branch {branch:?}: {why}");
    if branch.is_empty() {
        return Err(explain("empty"));
    }
    if !branch
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b'+'))
    {
        return Err(explain(
            "a branch here may hold only letters, digits and . _ - / + (no wildcards: the role \
             trusts exactly one branch)",
        ));
    }
    if branch.starts_with(['-', '/', '.'])
        || branch.ends_with(['/', '.'])
        || branch.ends_with(".lock")
        || branch.contains("..")
        || branch.contains("//")
        || branch.contains("/.")
        || branch.starts_with("refs/")
    {
        return Err(explain(
            "not a branch name git accepts (give the branch itself, such as main, not refs/heads/main)",
        ));
    }
    Ok(())
}

/// The static site the workflow also ships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteTarget {
    pub bucket: String,
    pub distribution: Option<String>,
}

/// What the role and the workflow are for, as found in the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CiTarget {
    pub stack: String,
    pub partition: String,
    pub region: String,
    pub account: String,
    pub cluster: String,
    pub service: String,
    /// The container whose image the deploy changes (the one the load balancer targets).
    pub container: String,
    /// The ECR repository that container runs from: where the workflow pushes.
    pub repository: String,
    /// The task definition's family: the new revision's tags are written on it.
    pub family: String,
    /// The task and execution roles the new revision passes on to ECS.
    pub pass_roles: Vec<String>,
    pub site: Option<SiteTarget>,
}

/// Reads the service, its task definition and image: what the role must allow.
pub async fn discover_target(
    cloud: &Cloud,
    stack: &StackRef,
    site: Option<SiteTarget>,
) -> Result<CiTarget, Refusal> {
    let identity = cloud.identity.caller().await?;
    let service = discover::stack_service(cloud, stack).await?;
    let definition = cloud
        .ecs
        .describe_task_definition(&service.task_definition)
        .await?;
    let container =
        pick_container(&service, &definition, None).map_err(|error| Refusal(error.to_string()))?;
    let image = definition
        .containers
        .iter()
        .find(|c| c.name == container)
        .map(|c| c.image.clone())
        .unwrap_or_default();
    let Some(ecr) = EcrRef::parse(&image) else {
        return Err(Refusal(format!(
            "container {container} of service {}/{} runs {image}, which is not in ECR: the \
             workflow pushes each commit's image to the service's ECR repository. Deploy an \
             image from ECR once (`opsdeck deploy --image <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`), \
             then run ci github again",
            stack.cluster, stack.service
        )));
    };
    let partition = identity.arn.split(':').nth(1).unwrap_or("aws").to_string();
    // The service's ARN says where it is: arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME.
    let region = service
        .arn
        .split(':')
        .nth(3)
        .filter(|r| !r.is_empty())
        .map_or_else(|| stack.region.clone(), str::to_string);
    let mut pass_roles: Vec<String> = [&definition.task_role_arn, &definition.execution_role_arn]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    pass_roles.dedup();
    // No site in the config: a bucket and distribution tagged as the stack's (bootstrap
    // tags its site) are the site the workflow ships.
    let site = match site {
        Some(site) => Some(site),
        None => {
            let hint = SiteHint {
                stack: stack.name.clone(),
                site: None,
            };
            crate::ops::site::discover::edge(cloud, &hint, &[])
                .await?
                .site_target()
                .map(|(bucket, distribution)| SiteTarget {
                    bucket,
                    distribution,
                })
        }
    };
    Ok(CiTarget {
        stack: stack.name.clone(),
        partition,
        region,
        account: identity.account_id,
        cluster: arn_name(&service.cluster_arn).to_string(),
        service: service.name.clone(),
        container,
        repository: ecr.repository,
        family: definition.family.clone(),
        pass_roles,
        site,
    })
}

/// Where the role goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Home {
    /// The stack `opsdeck bootstrap` made for the service: the role joins it.
    Bootstrap { stack: CfnStack },
    /// A stack of its own (`<stack>-ci`) for a stack opsdeck did not make; `None` before
    /// the first run creates it.
    Own {
        name: String,
        stack: Option<CfnStack>,
    },
}

impl Home {
    pub fn name(&self) -> &str {
        match self {
            Home::Bootstrap { stack } => &stack.name,
            Home::Own { name, .. } => name,
        }
    }

    fn stack(&self) -> Option<&CfnStack> {
        match self {
            Home::Bootstrap { stack } => Some(stack),
            Home::Own { stack, .. } => stack.as_ref(),
        }
    }

    pub fn kind(&self) -> ChangeSetKind {
        match self.stack() {
            Some(stack) if stack.status != StackStatus::ReviewInProgress => ChangeSetKind::Update,
            _ => ChangeSetKind::Create,
        }
    }
}

fn is_ours(stack: &CfnStack) -> bool {
    stack
        .tags
        .iter()
        .any(|(key, value)| key == STACK_TAG && *value == stack.name)
}

fn refuse_busy(stack: &CfnStack) -> Result<(), Refusal> {
    if stack.status.is_in_progress() && stack.status != StackStatus::ReviewInProgress {
        return Err(Refusal(format!(
            "stack {} is {}: CloudFormation is still working on it; wait for it to finish and \
             run ci github again",
            stack.name, stack.status
        )));
    }
    if matches!(
        stack.status,
        StackStatus::RollbackComplete
            | StackStatus::RollbackFailed
            | StackStatus::DeleteFailed
            | StackStatus::UpdateRollbackFailed
            | StackStatus::CreateFailed
    ) {
        return Err(Refusal(provision::stuck_advice(stack, None)));
    }
    Ok(())
}

/// The bootstrap stack that holds the service, else the `<stack>-ci` stack (made or not).
pub async fn find_home(
    cloud: &Cloud,
    stack: &StackRef,
    target: &CiTarget,
) -> Result<Home, Refusal> {
    let mut names = vec![stack.name.clone()];
    if !names.contains(&target.service) {
        names.push(target.service.clone());
    }
    for name in &names {
        let Some(found) = cloud.stacks.describe_stack(name).await? else {
            continue;
        };
        if found.status == StackStatus::DeleteComplete || !is_ours(&found) {
            continue;
        }
        let holds_service = cloud
            .stacks
            .stack_resources(&found.id)
            .await?
            .iter()
            .any(|r| {
                r.resource_type == "AWS::ECS::Service"
                    && r.physical_id
                        .as_deref()
                        .is_some_and(|id| arn_name(id) == target.service || id == target.service)
            });
        if holds_service {
            refuse_busy(&found)?;
            return Ok(Home::Bootstrap { stack: found });
        }
    }
    let name = format!("{}-ci", stack.name);
    let existing = match cloud.stacks.describe_stack(&name).await? {
        Some(found) if found.status != StackStatus::DeleteComplete => {
            if !is_ours(&found) {
                return Err(Refusal(format!(
                    "a CloudFormation stack named {name} already exists and opsdeck did not make \
                     it (no {STACK_TAG}={name} tag): ci github will not change it; delete or \
                     rename it, or pass --stack with another name"
                )));
            }
            refuse_busy(&found)?;
            Some(found)
        }
        _ => None,
    };
    Ok(Home::Own {
        name,
        stack: existing,
    })
}

/// One resource the plan adds, changes or removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CiChange {
    /// `add`, `modify` or `remove`.
    pub action: &'static str,
    pub logical_id: String,
    pub resource_type: String,
}

/// What `ci github` will do, worked out without changing anything.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CiPlan {
    pub repo: GithubRepo,
    pub branch: String,
    /// The token `sub` the role trusts: `repo:OWNER/NAME:ref:refs/heads/BRANCH`.
    pub subject: String,
    pub target: CiTarget,
    pub home: Home,
    /// Whether the stack creates GitHub's OIDC provider (the account has none yet).
    pub creates_provider: bool,
    /// The provider the role trusts, when it is not the stack's own.
    pub existing_provider: Option<String>,
    pub trust_policy: Value,
    pub permissions_policy: Value,
    pub changes: Vec<CiChange>,
    /// The role's ARN when the stack has it already.
    pub role_arn: Option<String>,
    #[serde(skip)]
    template: Value,
    #[serde(skip)]
    previous_parameters: Vec<String>,
}

impl CiPlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.role_arn.is_some()
    }

    /// The template the change set submits (JSON).
    pub fn template(&self) -> &Value {
        &self.template
    }
}

/// Works the plan out: reads the stack, the account's providers and the deployed template;
/// changes nothing (no change set either), so it runs in read-only sessions too.
pub async fn plan(
    cloud: &Cloud,
    stack: &StackRef,
    repo: &GithubRepo,
    branch: &str,
    site: Option<SiteTarget>,
) -> Result<CiPlan, Refusal> {
    let target = discover_target(cloud, stack, site).await?;
    let home = find_home(cloud, stack, &target).await?;
    let deployed: Value = match home.stack() {
        Some(found) if home.kind() == ChangeSetKind::Update => {
            let body = cloud.stacks.get_template(&found.id).await?;
            serde_json::from_str(&body).map_err(|error| {
                Refusal(format!(
                    "the template of stack {} is not JSON ({error}): opsdeck adds its role only \
                     to JSON templates",
                    found.name
                ))
            })?
        }
        _ => Value::Null,
    };
    let deployed_resources = deployed
        .get("Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let provider = if deployed_resources.contains_key(PROVIDER_ID) {
        Provider::InStack
    } else {
        match cloud
            .iam
            .oidc_providers()
            .await?
            .into_iter()
            .find(|p| p.is_github())
        {
            Some(found) if !found.client_ids.iter().any(|c| c == GITHUB_OIDC_AUDIENCE) => {
                return Err(Refusal(format!(
                    "the account's OIDC provider {} does not accept the audience \
                     {GITHUB_OIDC_AUDIENCE} (it has {}): GitHub's tokens for AWS carry it. Add \
                     it (`aws iam add-client-id-to-open-id-connect-provider \
                     --open-id-connect-provider-arn {} --client-id {GITHUB_OIDC_AUDIENCE}`), \
                     then run ci github again",
                    found.arn,
                    if found.client_ids.is_empty() {
                        "none".to_string()
                    } else {
                        found.client_ids.join(", ")
                    },
                    found.arn
                )));
            }
            Some(found) => Provider::Existing { arn: found.arn },
            None => Provider::InStack,
        }
    };
    let (resources, outputs) = role::ci_resources(home.name(), &provider, repo, branch, &target);
    let template = match &home {
        Home::Bootstrap { .. } => role::with_ci_resources(&deployed, &resources, &outputs),
        Home::Own { .. } => role::own_template(&resources, &outputs, &target.stack),
    };
    let mut changes = Vec::new();
    let type_of = |body: &Value| {
        body.get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    for (id, body) in &resources {
        match deployed_resources.get(id) {
            None => changes.push(CiChange {
                action: "add",
                logical_id: id.clone(),
                resource_type: type_of(body),
            }),
            Some(old) if old != body => changes.push(CiChange {
                action: "modify",
                logical_id: id.clone(),
                resource_type: type_of(body),
            }),
            Some(_) => {}
        }
    }
    for (id, body) in &deployed_resources {
        let gone = match &home {
            Home::Bootstrap { .. } => id.starts_with(CI_PREFIX),
            Home::Own { .. } => true,
        };
        if gone && !resources.contains_key(id) {
            changes.push(CiChange {
                action: "remove",
                logical_id: id.clone(),
                resource_type: type_of(body),
            });
        }
    }
    changes.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    let role_arn = home.stack().and_then(|s| {
        s.outputs
            .iter()
            .find(|(k, _)| k == ROLE_OUTPUT)
            .map(|(_, v)| v.clone())
    });
    let previous_parameters = deployed
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let role = &resources[ROLE_ID]["Properties"];
    Ok(CiPlan {
        repo: repo.clone(),
        branch: branch.to_string(),
        subject: role::subject(repo, branch),
        trust_policy: role["AssumeRolePolicyDocument"].clone(),
        permissions_policy: role["Policies"][0]["PolicyDocument"].clone(),
        creates_provider: resources.contains_key(PROVIDER_ID)
            && !deployed_resources.contains_key(PROVIDER_ID),
        existing_provider: match &provider {
            Provider::Existing { arn } => Some(arn.clone()),
            Provider::InStack => None,
        },
        target,
        home,
        changes,
        role_arn,
        template,
        previous_parameters,
    })
}

/// How the apply ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CiApplied {
    pub stack: String,
    pub status: StackStatus,
    pub succeeded: bool,
    /// The stack already held this role: nothing was executed.
    pub no_changes: bool,
    pub role_arn: Option<String>,
    #[serde(skip)]
    pub outcome: Option<ApplyOutcome>,
}

impl CiApplied {
    pub fn exit_code(&self) -> u8 {
        if self.succeeded && self.role_arn.is_some() {
            0
        } else {
            provision::EXIT_FAILED
        }
    }
}

fn change_set_name(at: Millis) -> String {
    let time = chrono::DateTime::from_timestamp_millis(at)
        .map_or_else(|| at.to_string(), |t| t.format("%Y%m%d-%H%M%S").to_string());
    format!("opsdeck-ci-{time}")
}

/// Submits the plan as a change set, executes it and follows CloudFormation to the end.
/// Read-only sessions are refused by the cloud layer at the first mutating call.
pub async fn apply(
    cloud: &Cloud,
    plan: &CiPlan,
    audit: &Audit,
    sink: ApplySink<'_>,
) -> Result<CiApplied, Refusal> {
    let name = plan.home.name().to_string();
    if plan.is_empty() {
        let status = plan
            .home
            .stack()
            .map_or(StackStatus::CreateComplete, |s| s.status);
        return Ok(CiApplied {
            stack: name,
            status,
            succeeded: true,
            no_changes: true,
            role_arn: plan.role_arn.clone(),
            outcome: None,
        });
    }
    let kind = plan.home.kind();
    let request = ChangeSetRequest {
        stack: name.clone(),
        change_set_name: change_set_name(cloud.clock.now()),
        template_body: format!("{:#}\n", plan.template),
        kind,
        capabilities: vec![Capability::Iam],
        parameters: Vec::new(),
        previous_parameters: if kind == ChangeSetKind::Update {
            plan.previous_parameters.clone()
        } else {
            Vec::new()
        },
        tags: vec![(STACK_TAG.to_string(), name.clone())],
    };
    let refused = |error: CloudError| Refusal(error.to_string());
    let (change_set, stack_id) = match cloud.stacks.create_change_set(&request).await {
        Ok(ids) => ids,
        Err(error) => {
            record(cloud, audit, plan, format!("refused: {error}"), 2, None).await;
            return Err(refused(error));
        }
    };
    let provision_plan = provision::Plan {
        stack: name.clone(),
        kind,
        change_set: Some(change_set.clone()),
        stack_id: stack_id.clone(),
        changes: Vec::new(),
        // The CI resources join the main stack; a site's us-east-1 certificate stack is
        // bootstrap's, and this change set leaves it as it is.
        edge: None,
    };
    let started = cloud.clock.now();
    let computed = loop {
        let computed = cloud
            .stacks
            .describe_change_set(&stack_id, &change_set)
            .await?;
        if !computed.status.is_pending() {
            break computed;
        }
        if cloud.clock.now() - started > CHANGE_SET_TIMEOUT_MS {
            let _ = provision::discard(cloud, &provision_plan).await;
            return Err(Refusal(format!(
                "CloudFormation has been computing change set {change_set} of {name} for over \
                 five minutes; look at it in the console, then try again"
            )));
        }
        cloud.clock.sleep(CHANGE_SET_POLL_MS).await;
    };
    if computed.is_empty_no_changes() {
        cloud
            .stacks
            .delete_change_set(&stack_id, &change_set)
            .await?;
        let now = cloud.stacks.describe_stack(&stack_id).await?;
        return Ok(CiApplied {
            stack: name,
            status: now
                .as_ref()
                .map_or(StackStatus::UpdateComplete, |s| s.status),
            succeeded: true,
            no_changes: true,
            role_arn: now.and_then(|s| {
                s.outputs
                    .into_iter()
                    .find(|(k, _)| k == ROLE_OUTPUT)
                    .map(|(_, v)| v)
            }),
            outcome: None,
        });
    }
    if computed.status == ChangeSetStatus::Failed {
        let _ = provision::discard(cloud, &provision_plan).await;
        let reason = computed.status_reason.unwrap_or_default();
        record(cloud, audit, plan, format!("refused: {reason}"), 2, None).await;
        return Err(Refusal(format!(
            "CloudFormation could not plan stack {name}: {reason}"
        )));
    }
    let seen = cloud
        .stacks
        .stack_events(&stack_id, None)
        .await?
        .first()
        .map(|e| e.id.clone());
    cloud
        .stacks
        .execute_change_set(&stack_id, &change_set)
        .await?;
    sink(provision::ApplyProgress::Started {
        stack: name.clone(),
        status: match kind {
            ChangeSetKind::Create => StackStatus::CreateInProgress,
            ChangeSetKind::Update => StackStatus::UpdateInProgress,
        },
        reattached: false,
    });
    let outcome = provision::follow(cloud, &stack_id, seen, sink).await?;
    let role_arn = outcome.outputs.get(ROLE_OUTPUT).cloned();
    let applied = CiApplied {
        stack: name,
        status: outcome.status,
        succeeded: outcome.succeeded,
        no_changes: false,
        role_arn,
        outcome: Some(outcome.clone()),
    };
    let result = match (&outcome.lost_sight, &outcome.first_failure) {
        (Some(why), _) => format!("unknown: {why}"),
        _ if outcome.succeeded => format!("succeeded: {}", outcome.status),
        (None, Some(line)) => format!("failed: {}: {}", outcome.status, line.cause()),
        (None, None) => format!("failed: {}", outcome.status),
    };
    record(
        cloud,
        audit,
        plan,
        result,
        applied.exit_code(),
        applied.role_arn.clone(),
    )
    .await;
    Ok(applied)
}

async fn record(
    cloud: &Cloud,
    audit: &Audit,
    plan: &CiPlan,
    result: String,
    exit_code: u8,
    after: Option<String>,
) {
    audit
        .record(
            cloud,
            &plan.target.region,
            AuditEntry {
                action: AUDIT_ACTION,
                target: format!("{} ({})", plan.home.name(), plan.subject),
                before: plan.role_arn.clone(),
                after,
                result,
                exit_code: Some(exit_code),
            },
        )
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_owner_slash_name() {
        let repo = GithubRepo::parse("acme/shop.web_2").unwrap();
        assert_eq!(
            (repo.owner.as_str(), repo.name.as_str()),
            ("acme", "shop.web_2")
        );
        for bad in [
            "acme",
            "acme/",
            "/shop",
            "ac me/shop",
            "acme/shop/x",
            "-acme/shop",
            "acme/*",
            "acme/..",
            "a--b/c",
        ] {
            let error = GithubRepo::parse(bad).unwrap_err();
            assert!(error.starts_with("--repo"), "{bad}: {error}");
        }
    }

    #[test]
    fn remotes_in_https_and_ssh_forms_name_the_repository() {
        let expected = Some(GithubRepo {
            owner: "acme".into(),
            name: "shop".into(),
        });
        for url in [
            "https://github.com/acme/shop.git",
            "https://github.com/acme/shop",
            "https://token@github.com/acme/shop.git",
            "git@github.com:acme/shop.git",
            "ssh://git@github.com/acme/shop.git",
            "git@github.com:acme/shop\n",
        ] {
            assert_eq!(GithubRepo::from_remote(url), expected, "{url}");
        }
        assert_eq!(
            GithubRepo::from_remote("https://gitlab.com/acme/shop.git"),
            None
        );
        assert_eq!(
            GithubRepo::from_remote("git@gitlab.com:acme/shop.git"),
            None
        );
    }

    #[test]
    fn branches_are_exact_names() {
        for good in ["main", "release/2.x", "feature-1", "v1.2+build"] {
            assert!(check_branch(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "*",
            "main*",
            "feat/**",
            "a b",
            "-x",
            "refs/heads/main",
            "a..b",
            "x.lock",
            "a/",
            "${{x}}",
        ] {
            let error = check_branch(bad).unwrap_err();
            assert!(error.starts_with("--branch"), "{bad}: {error}");
        }
    }
}
