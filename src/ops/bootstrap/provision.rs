//! Bootstrap against an account. CloudFormation is the engine: the plan is a change set,
//! the apply executes it and follows the stack events, the teardown is DeleteStack. This
//! module only asks, waits on the backend's clock, and reports what CloudFormation says;
//! it orders nothing and rolls nothing back itself.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::answers::{Answers, Database, Image, edge_stack_name};
use super::cost::{CostEstimate, estimate_answers};
use super::model::{
    CONNECTION_STRING_PARAMETER, EDGE_CERTIFICATE_OUTPUT, HOSTED_ZONE_PARAMETER,
    IMAGE_TAG_PARAMETER, SITE_CERTIFICATE_PARAMETER, STACK_TAG, StackModel, edge_model,
};
use crate::cloud::{Cloud, CloudError, CloudResult, StacksApi};
use crate::config::SiteConfig;
use crate::model::{
    Capability, CfnStack, ChangeSet, ChangeSetKind, ChangeSetRequest, Millis, ResourceChange,
    STACK_RESOURCE_TYPE, StackEvent, StackStatus, TaggedResource,
};
use crate::ops::audit::{Audit, AuditEntry};

/// Exit code of an apply or teardown that CloudFormation did not finish.
pub const EXIT_FAILED: u8 = 3;
/// How often the stack's events are read while CloudFormation works.
pub const POLL_MS: Millis = 5_000;
/// How often a change set is asked about while CloudFormation computes it.
const CHANGE_SET_POLL_MS: Millis = 2_000;
/// A change set is computed in seconds; minutes means something is wrong.
const CHANGE_SET_TIMEOUT_MS: Millis = 5 * 60_000;
/// Consecutive polls that may fail (throttling, a dropped connection) before the follower
/// gives up; CloudFormation goes on regardless.
const UNSEEN_POLLS_TOLERATED: u32 = 60;

/// Ended before any change: the answers do not fit the account, or CloudFormation refused
/// the plan. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl From<CloudError> for Refusal {
    fn from(error: CloudError) -> Self {
        Refusal(error.to_string())
    }
}

/// What the account already has under the stack's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Existing {
    /// No stack of that name: the plan creates it.
    Absent,
    /// REVIEW_IN_PROGRESS: an earlier plan made the stack's name and nothing else.
    Reviewed { stack: CfnStack },
    /// Ours and at rest: the plan updates it.
    Ready { stack: CfnStack },
    /// CloudFormation is working on it: re-attach and follow.
    Busy { stack: CfnStack },
    /// A create that failed and rolled back (or a rollback that failed): it must be
    /// deleted before the name can be used again.
    Stuck {
        stack: CfnStack,
        first_failure: Option<EventLine>,
    },
}

impl Existing {
    pub fn stack(&self) -> Option<&CfnStack> {
        match self {
            Existing::Absent => None,
            Existing::Reviewed { stack }
            | Existing::Ready { stack }
            | Existing::Busy { stack }
            | Existing::Stuck { stack, .. } => Some(stack),
        }
    }
}

/// Looks the stack's name up. A stack of that name that opsdeck did not make is refused:
/// bootstrap never adopts or changes someone else's stack.
pub async fn inspect(cloud: &Cloud, name: &str) -> Result<Existing, Refusal> {
    let Some(stack) = cloud.stacks.describe_stack(name).await? else {
        return Ok(Existing::Absent);
    };
    if stack.status == StackStatus::DeleteComplete {
        return Ok(Existing::Absent);
    }
    if !is_ours(&stack) {
        return Err(Refusal(format!(
            "name: a CloudFormation stack named {name} already exists in this account ({}, not \
             made by opsdeck: it has no {STACK_TAG} tag); choose another name",
            stack.status
        )));
    }
    Ok(match stack.status {
        StackStatus::ReviewInProgress => Existing::Reviewed { stack },
        status if status.is_in_progress() => Existing::Busy { stack },
        StackStatus::RollbackComplete
        | StackStatus::RollbackFailed
        | StackStatus::CreateFailed
        | StackStatus::DeleteFailed
        | StackStatus::UpdateRollbackFailed => {
            let events = cloud.stacks.stack_events(&stack.id, None).await?;
            let first_failure = first_failure(&events).map(EventLine::from);
            Existing::Stuck {
                stack,
                first_failure,
            }
        }
        _ => Existing::Ready { stack },
    })
}

fn is_ours(stack: &CfnStack) -> bool {
    stack
        .tags
        .iter()
        .any(|(key, value)| key == STACK_TAG && *value == stack.name)
}

/// What to tell the user about a stack that cannot be planned or applied as it is.
pub fn stuck_advice(stack: &CfnStack, first_failure: Option<&EventLine>) -> String {
    let cause = first_failure.map_or_else(String::new, |line| {
        format!(" The first failure was {}.", line.cause())
    });
    let what = match stack.status {
        StackStatus::RollbackComplete => {
            "its first create failed and CloudFormation deleted what it had made; a stack in \
             ROLLBACK_COMPLETE cannot be updated, only deleted"
        }
        StackStatus::DeleteFailed => "an earlier delete did not finish",
        _ => "CloudFormation could not roll it back",
    };
    format!(
        "stack {} is {}: {what}.{cause} Run `opsdeck teardown --stack {}` to delete it, then \
         apply again.",
        stack.name, stack.status, stack.name
    )
}

/// The answers fitted to the account: the image that exists, the hosted zone's id. Built
/// once, then planned and applied.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The answers as planned: a repository with nothing to run yet starts at 0 tasks.
    pub answers: Answers,
    pub model: StackModel,
    pub cost: CostEstimate,
    pub existing: Existing,
    /// Template parameters (a NoEcho one may hold a secret: never printed).
    parameters: Vec<(String, String)>,
    /// What the user should know before applying, one sentence each.
    pub notes: Vec<String>,
    /// The companion stack in us-east-1 that makes the site's certificate first, when the
    /// stack is elsewhere and the companion has not made it yet.
    pub edge: Option<EdgeStack>,
}

/// The companion stack of a site name outside us-east-1, still to be made.
#[derive(Debug, Clone)]
pub struct EdgeStack {
    pub model: StackModel,
    parameters: Vec<(String, String)>,
}

/// Stands in for the companion's certificate while the plan is computed before the
/// companion exists; the apply plans again with the real one.
const PENDING_CERTIFICATE: &str = "pending-the-companion-stack-in-us-east-1";

impl Prepared {
    /// The parameter names, for showing (never their values: one may be a secret).
    pub fn parameter_names(&self) -> Vec<&str> {
        self.parameters.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The public parameter values (the image tag, the zone id); NoEcho ones are left out.
    pub fn public_parameters(&self) -> Vec<(&str, &str)> {
        self.parameters
            .iter()
            .filter(|(k, _)| k != CONNECTION_STRING_PARAMETER)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// Checks the answers against the account and fits them to it; nothing is changed.
pub async fn prepare(cloud: &Cloud, answers: &Answers) -> Result<Prepared, Refusal> {
    let existing = inspect(cloud, &answers.name).await?;
    prepare_for(cloud, answers, existing).await
}

/// [`prepare`] for a caller that has just inspected the stack's name itself.
pub async fn prepare_for(
    cloud: &Cloud,
    answers: &Answers,
    existing: Existing,
) -> Result<Prepared, Refusal> {
    // What the stack costs once it runs as asked, even if it starts with 0 tasks.
    let cost = estimate_answers(answers).map_err(|error| Refusal(error.to_string()))?;
    let mut answers = answers.clone();
    let mut notes = Vec::new();
    let mut parameters = Vec::new();
    if let Image::NewRepository(repository) = answers.service.image.clone() {
        let owned = match existing.stack() {
            Some(stack) if !matches!(existing, Existing::Reviewed { .. }) => cloud
                .stacks
                .stack_resources(&stack.id)
                .await?
                .iter()
                .any(|r| {
                    r.resource_type == "AWS::ECR::Repository"
                        && r.physical_id.as_deref() == Some(repository.as_str())
                }),
            _ => false,
        };
        let images = match cloud.ecr.describe_images(&repository).await {
            Ok(images) => Some(images),
            Err(CloudError::NotFound { .. }) => None,
            Err(error) => return Err(error.into()),
        };
        let tags: Vec<String> = images
            .iter()
            .flatten()
            .flat_map(|image| image.tags.iter().cloned())
            .collect();
        // The tag asked for if the repository has it; else the newest pushed one.
        let runnable = match &answers.service.tag {
            Some(tag) => tags.iter().find(|t| *t == tag).cloned(),
            None => tags.first().cloned(),
        };
        match (images.is_some(), owned, runnable) {
            // The account has the repository already and the stack did not make it: use
            // it, and never try to create a second one of the same name.
            (true, false, Some(tag)) => {
                let identity = cloud.identity.caller().await?;
                let reference = format!(
                    "{}.dkr.ecr.{}.amazonaws.com/{repository}:{tag}",
                    identity.account_id, answers.region
                );
                notes.push(format!(
                    "service.image: the ECR repository {repository} exists already: the stack \
                     runs {reference} from it and does not create the repository"
                ));
                answers.service.image = Image::Reference(reference);
            }
            (true, false, None) => {
                let newest: Vec<&str> = tags.iter().take(5).map(String::as_str).collect();
                return Err(Refusal(match &answers.service.tag {
                    Some(tag) if !newest.is_empty() => format!(
                        "service.tag: the ECR repository {repository} has no image tagged {tag}; \
                         its newest tags are {}",
                        newest.join(", ")
                    ),
                    _ => format!(
                        "service.image: the ECR repository {repository} exists already and \
                         holds no tagged image; push one, or name a full image reference"
                    ),
                }));
            }
            (_, _, Some(tag)) => parameters.push((IMAGE_TAG_PARAMETER.to_string(), tag)),
            (_, _, None) => {
                let tag = answers
                    .service
                    .tag
                    .clone()
                    .unwrap_or_else(|| "latest".into());
                notes.push(format!(
                    "service.image: the ECR repository {repository} has no image {tag} yet, so \
                     the service starts with 0 tasks{}. Push the image (the ImageRepositoryUri \
                     output says where), then apply again: the service then runs {} tasks",
                    if answers.service.autoscaling.is_some() {
                        " and autoscaling waits"
                    } else {
                        ""
                    },
                    answers.service.desired
                ));
                answers.service.desired = 0;
                answers.service.autoscaling = None;
                parameters.push((IMAGE_TAG_PARAMETER.to_string(), tag));
            }
        }
    }
    if let Some(domain) = answers.domain.as_mut()
        && domain.hosted_zone_id.is_none()
    {
        let Some(id) = cloud.edge.hosted_zone_id(&domain.hosted_zone).await? else {
            return Err(Refusal(format!(
                "domain.hosted_zone: this account has no public Route53 hosted zone named {}; \
                 create it (and delegate the domain to it) or leave out [domain]",
                domain.hosted_zone
            )));
        };
        domain.hosted_zone_id = Some(id);
    }
    if let Some(domain) = &answers.domain
        && let Some(id) = &domain.hosted_zone_id
    {
        parameters.push((HOSTED_ZONE_PARAMETER.to_string(), id.clone()));
    }
    let edge = match edge_model(&answers) {
        Some(edge) => prepare_edge(cloud, edge, &mut parameters, &mut notes).await?,
        None => None,
    };
    if let Database::External { connection_string } = &answers.database {
        parameters.push((
            CONNECTION_STRING_PARAMETER.to_string(),
            connection_string.reveal().to_string(),
        ));
    }
    let model = StackModel::build(&answers);
    Ok(Prepared {
        answers,
        model,
        cost,
        existing,
        parameters,
        notes,
        edge,
    })
}

/// The companion stack's certificate when it has made it; otherwise the companion to make
/// first. Either way the main stack gets its certificate parameter.
async fn prepare_edge(
    cloud: &Cloud,
    edge: StackModel,
    parameters: &mut Vec<(String, String)>,
    notes: &mut Vec<String>,
) -> Result<Option<EdgeStack>, Refusal> {
    let name = edge.answers.name.clone();
    let domain = edge
        .answers
        .site
        .as_ref()
        .and_then(|s| s.domain.clone())
        .unwrap_or_default();
    let zone_id = edge
        .answers
        .domain
        .as_ref()
        .and_then(|d| d.hosted_zone_id.clone())
        .unwrap_or_default();
    let found = cloud
        .edge_stacks
        .describe_stack(&name)
        .await?
        .filter(|s| s.status != StackStatus::DeleteComplete);
    if let Some(stack) = &found {
        if !is_ours(stack) {
            return Err(Refusal(format!(
                "site.domain: a CloudFormation stack named {name} already exists in us-east-1 \
                 ({}, not made by opsdeck); the site's certificate stack needs that name: \
                 delete or rename it",
                stack.status
            )));
        }
        if stack.status.is_complete()
            && let Some((_, arn)) = stack
                .outputs
                .iter()
                .find(|(k, _)| k == EDGE_CERTIFICATE_OUTPUT)
        {
            notes.push(format!(
                "site.domain: the CloudFront certificate of {domain} comes from the stack \
                 {name} in us-east-1 ({arn})"
            ));
            parameters.push((SITE_CERTIFICATE_PARAMETER.to_string(), arn.clone()));
            return Ok(None);
        }
        if stack.status != StackStatus::ReviewInProgress {
            return Err(Refusal(format!(
                "site.domain: the site's certificate stack {name} in us-east-1 is {}; delete it \
                 (`opsdeck --region us-east-1 teardown --stack {name}`) or wait for it, then \
                 apply again",
                stack.status
            )));
        }
    }
    notes.push(format!(
        "site.domain: CloudFront takes certificates from us-east-1 only, so the apply first \
         makes the stack {name} there (an ACM certificate of {domain}, validated in the \
         zone), then this stack with it"
    ));
    parameters.push((
        SITE_CERTIFICATE_PARAMETER.to_string(),
        PENDING_CERTIFICATE.to_string(),
    ));
    Ok(Some(EdgeStack {
        model: edge,
        parameters: vec![(HOSTED_ZONE_PARAMETER.to_string(), zone_id)],
    }))
}

/// A change set CloudFormation computed, or the news that there is nothing to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub stack: String,
    pub kind: ChangeSetKind,
    /// `None` when the stack already matches the answers (the change set was deleted).
    pub change_set: Option<String>,
    pub stack_id: String,
    pub changes: Vec<ResourceChange>,
    /// The companion stack the apply makes first, and the request the main change set is
    /// made again with once its certificate is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edge: Option<EdgePlan>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgePlan {
    /// The companion stack's name, in us-east-1.
    pub stack: String,
    #[serde(skip_serializing)]
    edge: ChangeSetRequest,
    #[serde(skip_serializing)]
    main: ChangeSetRequest,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.change_set.is_none()
    }
}

/// Makes the change set and waits until CloudFormation has computed it.
pub async fn plan(cloud: &Cloud, prepared: &Prepared) -> Result<Plan, Refusal> {
    let name = &prepared.answers.name;
    let kind = match &prepared.existing {
        Existing::Absent | Existing::Reviewed { .. } => ChangeSetKind::Create,
        Existing::Ready { .. } => ChangeSetKind::Update,
        Existing::Busy { stack } => {
            return Err(Refusal(format!(
                "stack {name} is {}: CloudFormation is still working on it; `opsdeck bootstrap \
                 --apply` follows it to the end",
                stack.status
            )));
        }
        Existing::Stuck {
            stack,
            first_failure,
        } => return Err(Refusal(stuck_advice(stack, first_failure.as_ref()))),
    };
    let change_set_name = format!("opsdeck-{}", compact_time(cloud.clock.now()));
    let mut template = prepared.model.template();
    if kind == ChangeSetKind::Update {
        // What `opsdeck ci github` added to the stack stays through a bootstrap update.
        let deployed = cloud.stacks.get_template(name).await?;
        crate::ops::ci::carry_ci_resources(&deployed, &mut template);
    }
    let request = ChangeSetRequest {
        stack: name.clone(),
        change_set_name: change_set_name.clone(),
        template_body: format!("{template:#}\n"),
        kind,
        capabilities: vec![Capability::Iam],
        parameters: prepared.parameters.clone(),
        previous_parameters: Vec::new(),
        tags: vec![(STACK_TAG.to_string(), name.clone())],
    };
    let edge = prepared.edge.as_ref().map(|edge| {
        let stack = edge.model.answers.name.clone();
        EdgePlan {
            edge: ChangeSetRequest {
                stack: stack.clone(),
                change_set_name: change_set_name.clone(),
                template_body: edge.model.template_text(),
                kind: ChangeSetKind::Create,
                capabilities: Vec::new(),
                parameters: edge.parameters.clone(),
                previous_parameters: Vec::new(),
                tags: vec![(STACK_TAG.to_string(), stack.clone())],
            },
            main: request.clone(),
            stack,
        }
    });
    let (change_set_id, stack_id) = cloud.stacks.create_change_set(&request).await?;
    let computed = computed_change_set(cloud, name, &change_set_id).await?;
    if computed.is_empty_no_changes() {
        cloud.stacks.delete_change_set(name, &change_set_id).await?;
        return Ok(Plan {
            stack: name.clone(),
            kind,
            change_set: None,
            stack_id,
            changes: Vec::new(),
            edge,
        });
    }
    if let Some(reason) = computed
        .status_reason
        .clone()
        .filter(|_| computed.status == crate::model::ChangeSetStatus::Failed)
    {
        let plan = Plan {
            stack: name.clone(),
            kind,
            change_set: Some(change_set_id),
            stack_id,
            changes: Vec::new(),
            edge: None,
        };
        // Leave nothing behind: the failed change set, and the empty stack a CREATE made.
        let _ = discard(cloud, &plan).await;
        return Err(Refusal(format!(
            "CloudFormation could not plan stack {name}: {reason}"
        )));
    }
    Ok(Plan {
        stack: name.clone(),
        kind,
        change_set: Some(change_set_id),
        stack_id,
        changes: computed.changes,
        edge,
    })
}

async fn computed_change_set(
    cloud: &Cloud,
    stack: &str,
    change_set: &str,
) -> Result<ChangeSet, Refusal> {
    computed_change_set_on(cloud, cloud.stacks.as_ref(), stack, change_set).await
}

async fn computed_change_set_on(
    cloud: &Cloud,
    stacks: &dyn StacksApi,
    stack: &str,
    change_set: &str,
) -> Result<ChangeSet, Refusal> {
    let started = cloud.clock.now();
    loop {
        let computed = stacks.describe_change_set(stack, change_set).await?;
        if !computed.status.is_pending() {
            return Ok(computed);
        }
        if cloud.clock.now() - started > CHANGE_SET_TIMEOUT_MS {
            return Err(Refusal(format!(
                "CloudFormation has been computing change set {change_set} of {stack} for over \
                 {} minutes; look at it in the console, then try again",
                CHANGE_SET_TIMEOUT_MS / 60_000
            )));
        }
        cloud.clock.sleep(CHANGE_SET_POLL_MS).await;
    }
}

/// Deletes a plan that will not be applied; a stack that only the plan made (REVIEW_IN_PROGRESS,
/// nothing in it) goes too, so `--plan` leaves the account as it found it.
pub async fn discard(cloud: &Cloud, plan: &Plan) -> Result<(), Refusal> {
    let Some(change_set) = &plan.change_set else {
        return Ok(());
    };
    cloud
        .stacks
        .delete_change_set(&plan.stack_id, change_set)
        .await?;
    if plan.kind == ChangeSetKind::Create
        && let Some(stack) = cloud.stacks.describe_stack(&plan.stack_id).await?
        && stack.status == StackStatus::ReviewInProgress
    {
        cloud.stacks.delete_stack(&plan.stack_id).await?;
    }
    Ok(())
}

/// `20261201T160412`: change set names must be unique per stack and may hold only
/// letters, digits and hyphens.
fn compact_time(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map_or_else(|| at.to_string(), |t| t.format("%Y%m%d-%H%M%S").to_string())
}

/// One stack event as the user reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventLine {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
    pub at: Option<Millis>,
    /// Since the operation began (the first event followed).
    pub elapsed_ms: Option<Millis>,
}

impl EventLine {
    /// `AWS::RDS::DBInstance Database: <CloudFormation's reason>`, as every face shows a
    /// failure.
    pub fn cause(&self) -> String {
        format!(
            "{} {}: {}",
            self.resource_type,
            self.logical_id,
            self.reason.as_deref().unwrap_or("no reason given")
        )
    }
}

impl From<&StackEvent> for EventLine {
    fn from(event: &StackEvent) -> Self {
        EventLine {
            logical_id: event.logical_id.clone(),
            resource_type: event.resource_type.clone(),
            status: event.status.clone(),
            reason: event.reason.clone(),
            at: event.at,
            elapsed_ms: None,
        }
    }
}

/// What a follower reports as CloudFormation works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "progress", rename_all = "snake_case")]
pub enum ApplyProgress {
    /// The change set is executing (or a running operation was found and is followed).
    Started {
        stack: String,
        status: StackStatus,
        reattached: bool,
    },
    Event {
        line: EventLine,
    },
    /// A poll failed (throttled, unreachable); CloudFormation goes on and so does the follower.
    Unseen {
        reason: String,
    },
}

pub type ApplySink<'a> = &'a (dyn Fn(ApplyProgress) + Send + Sync);

/// Every resource of one operation, each with its newest status: the progress view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Board {
    pub started_at: Option<Millis>,
    /// In the order they first appeared.
    pub rows: Vec<BoardRow>,
    /// The stack's own newest status.
    pub stack_status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardRow {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
    pub first_at: Option<Millis>,
    pub last_at: Option<Millis>,
}

impl BoardRow {
    pub fn is_in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS")
    }

    pub fn is_failed(&self) -> bool {
        self.status.ends_with("_FAILED")
    }

    /// How long it has taken: to its last event, or to `now` while in progress.
    pub fn elapsed_ms(&self, now: Millis) -> Option<Millis> {
        let end = if self.is_in_progress() {
            now
        } else {
            self.last_at?
        };
        Some((end - self.first_at?).max(0))
    }
}

impl Board {
    /// Folds one event in; returns it as a line with its elapsed time.
    pub fn record(&mut self, event: &StackEvent) -> EventLine {
        self.fold(EventLine::from(event))
    }

    /// Folds in a line a follower reported (the TUI rebuilds the board from the progress it
    /// is sent); returns it with its elapsed time.
    pub fn fold(&mut self, mut line: EventLine) -> EventLine {
        if self.started_at.is_none() {
            self.started_at = line.at;
        }
        line.elapsed_ms = match (line.at, self.started_at) {
            (Some(at), Some(start)) => Some((at - start).max(0)),
            _ => None,
        };
        if line.resource_type == STACK_RESOURCE_TYPE {
            self.stack_status = Some(line.status.clone());
            return line;
        }
        match self
            .rows
            .iter_mut()
            .find(|row| row.logical_id == line.logical_id)
        {
            Some(row) => {
                row.status = line.status.clone();
                row.reason = line.reason.clone().or(row.reason.take());
                row.last_at = line.at;
            }
            None => self.rows.push(BoardRow {
                logical_id: line.logical_id.clone(),
                resource_type: line.resource_type.clone(),
                status: line.status.clone(),
                reason: line.reason.clone(),
                first_at: line.at,
                last_at: line.at,
            }),
        }
        line
    }

    /// The time of the newest event folded in: "now" for the rows still in progress, on
    /// the backend's clock (the sandbox's is virtual) rather than the wall clock.
    pub fn latest_at(&self) -> Option<Millis> {
        self.rows.iter().filter_map(|row| row.last_at).max()
    }

    pub fn count(&self, done: impl Fn(&BoardRow) -> bool) -> usize {
        self.rows.iter().filter(|row| done(row)).count()
    }
}

/// How an apply (or a re-attached follow) ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyOutcome {
    pub stack: String,
    pub status: StackStatus,
    pub succeeded: bool,
    /// The answers matched the stack: nothing was executed.
    pub no_changes: bool,
    /// The first resource that failed, with CloudFormation's reason.
    pub first_failure: Option<EventLine>,
    /// What CloudFormation undid after the failure, by logical id.
    pub rolled_back: Vec<String>,
    pub outputs: BTreeMap<String, String>,
    pub board: Board,
    /// Set when the follower stopped watching before CloudFormation finished.
    pub lost_sight: Option<String>,
}

impl ApplyOutcome {
    pub fn exit_code(&self) -> u8 {
        if self.succeeded { 0 } else { EXIT_FAILED }
    }

    pub fn url(&self) -> Option<&str> {
        self.outputs.get("AppUrl").map(String::as_str)
    }

    /// Where the static site answers, when the stack has one.
    pub fn site_url(&self) -> Option<&str> {
        self.outputs.get("SiteUrl").map(String::as_str)
    }

    /// The stack's site as the config file remembers it, from the stack's outputs: what
    /// `opsdeck site deploy` uploads to and invalidates.
    pub fn site_config(&self) -> Option<SiteConfig> {
        Some(SiteConfig {
            bucket: self.outputs.get("SiteBucketName")?.clone(),
            distribution: self.outputs.get("SiteDistributionId").cloned(),
        })
    }

    fn unchanged(stack: &CfnStack) -> ApplyOutcome {
        ApplyOutcome {
            stack: stack.name.clone(),
            status: stack.status,
            succeeded: true,
            no_changes: true,
            first_failure: None,
            rolled_back: Vec::new(),
            outputs: stack.outputs.iter().cloned().collect(),
            board: Board::default(),
            lost_sight: None,
        }
    }
}

/// Executes the plan and follows it to the end. A plan with nothing to change executes
/// nothing and says so.
pub async fn apply(
    cloud: &Cloud,
    plan: &Plan,
    audit: &Audit,
    region: &str,
    sink: ApplySink<'_>,
) -> Result<ApplyOutcome, Refusal> {
    let replanned;
    let plan = match &plan.edge {
        Some(edge) => match apply_edge(cloud, plan, edge, sink).await? {
            Ok(again) => {
                replanned = again;
                &replanned
            }
            Err(failed) => return Ok(failed),
        },
        None => plan,
    };
    let Some(change_set) = &plan.change_set else {
        let stack = cloud
            .stacks
            .describe_stack(&plan.stack_id)
            .await?
            .ok_or_else(|| Refusal(format!("stack {} disappeared", plan.stack)))?;
        return Ok(ApplyOutcome::unchanged(&stack));
    };
    // Events before the execution belong to earlier operations.
    let seen = cloud
        .stacks
        .stack_events(&plan.stack_id, None)
        .await?
        .first()
        .map(|e| e.id.clone());
    cloud
        .stacks
        .execute_change_set(&plan.stack_id, change_set)
        .await?;
    let status = match plan.kind {
        ChangeSetKind::Create => StackStatus::CreateInProgress,
        ChangeSetKind::Update => StackStatus::UpdateInProgress,
    };
    sink(ApplyProgress::Started {
        stack: plan.stack.clone(),
        status,
        reattached: false,
    });
    let outcome = follow(cloud, &plan.stack_id, seen, sink).await?;
    audit
        .record(
            cloud,
            region,
            AuditEntry {
                action: "bootstrap",
                target: plan.stack.clone(),
                before: None,
                after: Some(change_set.clone()),
                result: result_text(&outcome),
                exit_code: Some(outcome.exit_code()),
            },
        )
        .await;
    Ok(outcome)
}

/// Makes the companion stack in us-east-1 and follows it; then plans the main stack again
/// with its certificate (the plan shown was computed with a stand-in). `Err` is the
/// companion's failed outcome: the main stack is not touched.
async fn apply_edge(
    cloud: &Cloud,
    plan: &Plan,
    edge: &EdgePlan,
    sink: ApplySink<'_>,
) -> Result<Result<Plan, ApplyOutcome>, Refusal> {
    let stacks = cloud.edge_stacks.as_ref();
    let (change_set, stack_id) = stacks.create_change_set(&edge.edge).await?;
    let computed = computed_change_set_on(cloud, stacks, &edge.stack, &change_set).await?;
    if computed.status == crate::model::ChangeSetStatus::Failed {
        return Err(Refusal(format!(
            "CloudFormation could not plan the site's certificate stack {} in us-east-1: {}",
            edge.stack,
            computed.status_reason.unwrap_or_default()
        )));
    }
    stacks.execute_change_set(&stack_id, &change_set).await?;
    sink(ApplyProgress::Started {
        stack: edge.stack.clone(),
        status: StackStatus::CreateInProgress,
        reattached: false,
    });
    let outcome = follow_on(cloud, stacks, &stack_id, None, sink).await?;
    let certificate = outcome.outputs.get(EDGE_CERTIFICATE_OUTPUT).cloned();
    let Some(certificate) = certificate.filter(|_| outcome.succeeded) else {
        return Ok(Err(outcome));
    };
    // The main change set was computed with the stand-in: made again with the certificate.
    if let Some(stale) = &plan.change_set {
        cloud
            .stacks
            .delete_change_set(&plan.stack_id, stale)
            .await?;
    }
    let mut request = edge.main.clone();
    request.change_set_name = format!("{}-site", request.change_set_name);
    for (key, value) in &mut request.parameters {
        if key == SITE_CERTIFICATE_PARAMETER {
            value.clone_from(&certificate);
        }
    }
    let (change_set_id, stack_id) = cloud.stacks.create_change_set(&request).await?;
    let computed = computed_change_set(cloud, &plan.stack, &change_set_id).await?;
    if computed.status == crate::model::ChangeSetStatus::Failed {
        return Err(Refusal(format!(
            "CloudFormation could not plan stack {}: {}",
            plan.stack,
            computed.status_reason.unwrap_or_default()
        )));
    }
    Ok(Ok(Plan {
        stack: plan.stack.clone(),
        kind: plan.kind,
        change_set: Some(change_set_id),
        stack_id,
        changes: computed.changes,
        edge: None,
    }))
}

fn result_text(outcome: &ApplyOutcome) -> String {
    match (&outcome.lost_sight, &outcome.first_failure) {
        (Some(why), _) => format!("unknown: {why}"),
        _ if outcome.succeeded => format!("succeeded: {}", outcome.status),
        (None, Some(line)) => format!("failed: {}: {}", outcome.status, line.cause()),
        (None, None) => format!("failed: {}", outcome.status),
    }
}

/// Re-attaches to an operation CloudFormation is running (a Ctrl-C'd or killed apply):
/// replays its events so far, then follows it to the end.
pub async fn reattach(
    cloud: &Cloud,
    stack: &CfnStack,
    sink: ApplySink<'_>,
) -> Result<ApplyOutcome, Refusal> {
    let events = cloud.stacks.stack_events(&stack.id, None).await?;
    // The operation began at the newest stack event that starts one.
    let begun = events
        .iter()
        .position(|e| e.is_stack() && starts_operation(&e.status))
        .unwrap_or(events.len().saturating_sub(1));
    let before = events.get(begun + 1).map(|e| e.id.clone());
    sink(ApplyProgress::Started {
        stack: stack.name.clone(),
        status: stack.status,
        reattached: true,
    });
    follow(cloud, &stack.id, before, sink).await
}

fn starts_operation(status: &str) -> bool {
    matches!(
        status,
        "CREATE_IN_PROGRESS" | "UPDATE_IN_PROGRESS" | "DELETE_IN_PROGRESS" | "IMPORT_IN_PROGRESS"
    )
}

/// Follows a stack (by its ARN, which outlives a deletion) from the event after `after`
/// until CloudFormation stops working on it.
pub async fn follow(
    cloud: &Cloud,
    stack_id: &str,
    after: Option<String>,
    sink: ApplySink<'_>,
) -> Result<ApplyOutcome, Refusal> {
    follow_on(cloud, cloud.stacks.as_ref(), stack_id, after, sink).await
}

/// [`follow`] on the CloudFormation of a given region.
async fn follow_on(
    cloud: &Cloud,
    stacks: &dyn StacksApi,
    stack_id: &str,
    mut after: Option<String>,
    sink: ApplySink<'_>,
) -> Result<ApplyOutcome, Refusal> {
    let mut board = Board::default();
    let mut events_seen: Vec<StackEvent> = Vec::new();
    let mut unseen = 0;
    loop {
        let polled = async {
            let events = stacks.stack_events(stack_id, after.as_deref()).await?;
            let stack = stacks.describe_stack(stack_id).await?;
            Ok::<_, CloudError>((events, stack))
        }
        .await;
        let (events, stack) = match polled {
            Ok(polled) => {
                unseen = 0;
                polled
            }
            Err(error) if error.may_pass() && unseen < UNSEEN_POLLS_TOLERATED => {
                unseen += 1;
                sink(ApplyProgress::Unseen {
                    reason: error.to_string(),
                });
                cloud.clock.sleep(POLL_MS).await;
                continue;
            }
            Err(error) => {
                let status = last_status(&events_seen);
                return Ok(lost_sight(stack_id, board, error.to_string(), status));
            }
        };
        for event in events.iter().rev() {
            let line = board.record(event);
            sink(ApplyProgress::Event { line });
            after = Some(event.id.clone());
            events_seen.push(event.clone());
        }
        let Some(stack) = stack else {
            return Ok(lost_sight(
                stack_id,
                board,
                "the stack is no longer there".to_string(),
                last_status(&events_seen),
            ));
        };
        if !stack.status.is_in_progress() {
            return Ok(ended(stack, board, &events_seen));
        }
        cloud.clock.sleep(POLL_MS).await;
    }
}

/// The stack's own status as its newest event gives it; a create in progress when no event
/// of the stack itself was seen.
fn last_status(events: &[StackEvent]) -> StackStatus {
    events
        .iter()
        .rev()
        .filter(|e| e.is_stack())
        .find_map(|e| StackStatus::parse(&e.status))
        .unwrap_or(StackStatus::CreateInProgress)
}

fn lost_sight(stack_id: &str, board: Board, why: String, status: StackStatus) -> ApplyOutcome {
    ApplyOutcome {
        stack: stack_name_of(stack_id),
        status,
        succeeded: false,
        no_changes: false,
        first_failure: None,
        rolled_back: Vec::new(),
        outputs: BTreeMap::new(),
        board,
        lost_sight: Some(format!(
            "{why}; CloudFormation carries on: run the same command again to follow it"
        )),
    }
}

/// `arn:aws:cloudformation:r:a:stack/NAME/uuid` -> `NAME`; a plain name stays as it is.
fn stack_name_of(id: &str) -> String {
    id.split_once(":stack/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or(id)
        .to_string()
}

fn ended(stack: CfnStack, board: Board, events: &[StackEvent]) -> ApplyOutcome {
    let succeeded = stack.status.is_complete();
    let (first_failure, rolled_back) = if succeeded {
        (None, Vec::new())
    } else {
        let newest_first: Vec<StackEvent> = events.iter().rev().cloned().collect();
        let rolled_back = events
            .iter()
            .skip_while(|e| !(e.is_stack() && e.status.contains("ROLLBACK_IN_PROGRESS")))
            .filter(|e| {
                !e.is_stack() && matches!(e.status.as_str(), "DELETE_COMPLETE" | "UPDATE_COMPLETE")
            })
            .map(|e| e.logical_id.clone())
            .fold(Vec::new(), |mut seen: Vec<String>, id| {
                if !seen.contains(&id) {
                    seen.push(id);
                }
                seen
            });
        (
            first_failure(&newest_first).map(EventLine::from),
            rolled_back,
        )
    };
    ApplyOutcome {
        stack: stack.name.clone(),
        status: stack.status,
        succeeded,
        no_changes: false,
        first_failure,
        rolled_back,
        outputs: stack.outputs.into_iter().collect(),
        board,
        lost_sight: None,
    }
}

/// The resource whose failure started it all: the oldest `*_FAILED` resource event that is
/// not a cancellation caused by another one. Events come newest first.
pub fn first_failure(events_newest_first: &[StackEvent]) -> Option<&StackEvent> {
    let failed: Vec<&StackEvent> = events_newest_first
        .iter()
        .filter(|e| !e.is_stack() && e.status.ends_with("_FAILED"))
        .collect();
    let cancelled = |e: &StackEvent| {
        e.reason
            .as_deref()
            .is_some_and(|r| r.contains("cancelled") || r.contains("canceled"))
    };
    failed
        .iter()
        .rev()
        .find(|e| !cancelled(e))
        .or_else(|| failed.last())
        .copied()
}

/// What a teardown found and left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeardownOutcome {
    pub stack: String,
    pub status: StackStatus,
    pub board: Board,
    /// Kept on purpose: the final database snapshot, retained resources.
    pub kept: Vec<Leftover>,
    /// Still tagged `opsdeck:stack=NAME` and not meant to outlive the stack.
    pub left: Vec<Leftover>,
    pub first_failure: Option<EventLine>,
    pub lost_sight: Option<String>,
    /// Steps taken besides DeleteStack (deletion protection turned off).
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leftover {
    #[serde(flatten)]
    pub resource: TaggedResource,
    /// The snapshot's or resource's name, from its ARN.
    pub name: String,
    /// Why it is kept, or why it is still there.
    pub why: String,
}

impl TeardownOutcome {
    /// 0 only when the stack is gone and nothing but what was kept on purpose remains.
    pub fn exit_code(&self) -> u8 {
        if self.status == StackStatus::DeleteComplete
            && self.left.is_empty()
            && self.lost_sight.is_none()
        {
            0
        } else {
            EXIT_FAILED
        }
    }
}

/// What teardown will delete, asked before the user confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeardownPlan {
    pub stack: CfnStack,
    /// Logical id and type of every resource in the stack.
    pub resources: Vec<(String, String)>,
    /// DB instances with deletion protection, which teardown turns off first.
    pub protected_databases: Vec<String>,
    /// Resources the template keeps (`DeletionPolicy: Retain`) or snapshots.
    pub keeps: Vec<String>,
    /// The site's buckets and how many objects each holds: DeleteStack cannot delete a
    /// bucket that is not empty, so teardown empties them first.
    pub site_buckets: Vec<(String, usize)>,
    /// The site's certificate stack in us-east-1, deleted after the stack.
    pub edge_stack: Option<CfnStack>,
}

impl TeardownPlan {
    /// What teardown does before DeleteStack, one sentence each, for the confirmation.
    pub fn first_steps(&self) -> Vec<String> {
        let databases = self.protected_databases.iter().map(|db| {
            format!("the database {db} has deletion protection: teardown turns it off first")
        });
        let buckets = self
            .site_buckets
            .iter()
            .filter(|(_, objects)| *objects > 0)
            .map(|(bucket, objects)| {
                format!(
                    "the site bucket {bucket} holds {objects} object{}: teardown deletes them \
                     first (CloudFormation cannot delete a bucket that is not empty)",
                    if *objects == 1 { "" } else { "s" }
                )
            });
        let edge = self.edge_stack.iter().map(|edge| {
            format!(
                "then the stack {} in us-east-1 (the site's CloudFront certificate) is deleted \
                 too",
                edge.name
            )
        });
        databases.chain(buckets).chain(edge).collect()
    }
}

/// Reads what a teardown of `name` would delete. Refuses a stack opsdeck did not make.
pub async fn plan_teardown(cloud: &Cloud, name: &str) -> Result<TeardownPlan, Refusal> {
    let Some(stack) = cloud.stacks.describe_stack(name).await? else {
        return Err(Refusal(format!(
            "no CloudFormation stack named {name} in this account and region: nothing to tear \
             down (check --region and --profile)"
        )));
    };
    if stack.status == StackStatus::DeleteComplete {
        return Err(Refusal(format!(
            "stack {name} is already deleted: nothing to tear down"
        )));
    }
    if !is_ours(&stack) {
        return Err(Refusal(format!(
            "stack {name} was not made by opsdeck (it has no {STACK_TAG}={name} tag): delete it \
             in the console or with `aws cloudformation delete-stack`"
        )));
    }
    let resources = cloud.stacks.stack_resources(&stack.id).await?;
    let template: Value = match cloud.stacks.get_template(&stack.id).await {
        Ok(body) => serde_json::from_str(&body).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    };
    let policy = |logical: &str| {
        template
            .pointer(&format!("/Resources/{logical}/DeletionPolicy"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut keeps = Vec::new();
    let mut instances = Vec::new();
    let mut site_buckets = Vec::new();
    for resource in &resources {
        if resource.resource_type == "AWS::S3::Bucket"
            && policy(&resource.logical_id).as_deref() != Some("Retain")
            && let Some(bucket) = &resource.physical_id
        {
            match cloud.site.list_objects(bucket).await {
                Ok(objects) => site_buckets.push((bucket.clone(), objects.len())),
                // Gone already (a delete got that far): nothing to empty.
                Err(CloudError::NotFound { .. }) => {}
                Err(error) => return Err(error.into()),
            }
        }
        match policy(&resource.logical_id).as_deref() {
            Some("Retain") => keeps.push(format!(
                "{} {} (DeletionPolicy: Retain)",
                resource.resource_type, resource.logical_id
            )),
            Some("Snapshot") if resource.resource_type == "AWS::RDS::DBInstance" => keeps.push(
                format!("a final snapshot of the database {}", resource.logical_id),
            ),
            _ => {}
        }
        if resource.resource_type == "AWS::RDS::DBInstance"
            && let Some(id) = &resource.physical_id
        {
            instances.push(id.clone());
        }
    }
    let edge_stack = cloud
        .edge_stacks
        .describe_stack(&edge_stack_name(name))
        .await?
        .filter(|edge| edge.status != StackStatus::DeleteComplete && is_ours(edge));
    let protected_databases = if instances.is_empty() {
        Vec::new()
    } else {
        cloud
            .rds
            .describe_db_instances()
            .await?
            .into_iter()
            .filter(|db| db.deletion_protection && instances.contains(&db.id))
            .map(|db| db.id)
            .collect()
    };
    Ok(TeardownPlan {
        resources: resources
            .iter()
            .map(|r| (r.logical_id.clone(), r.resource_type.clone()))
            .collect(),
        stack,
        protected_databases,
        keeps,
        site_buckets,
        edge_stack,
    })
}

/// Deletes the stack, follows it to the end, then lists what still carries its tag.
pub async fn teardown(
    cloud: &Cloud,
    plan: &TeardownPlan,
    audit: &Audit,
    region: &str,
    sink: ApplySink<'_>,
) -> Result<TeardownOutcome, Refusal> {
    let stack = &plan.stack;
    let mut steps = Vec::new();
    for instance in &plan.protected_databases {
        cloud.rds.disable_deletion_protection(instance).await?;
        steps.push(format!("turned deletion protection off on {instance}"));
    }
    for (bucket, _) in &plan.site_buckets {
        // Listed again: a deploy may have added files since the plan was read.
        let keys: Vec<String> = match cloud.site.list_objects(bucket).await {
            Ok(objects) => objects.into_iter().map(|o| o.key).collect(),
            Err(CloudError::NotFound { .. }) => continue,
            Err(error) => return Err(error.into()),
        };
        if keys.is_empty() {
            continue;
        }
        cloud.site.delete_objects(bucket, &keys).await?;
        steps.push(format!(
            "emptied the site bucket {bucket} ({} object{})",
            keys.len(),
            if keys.len() == 1 { "" } else { "s" }
        ));
    }
    let outcome = if stack.status == StackStatus::DeleteInProgress {
        reattach(cloud, stack, sink).await?
    } else {
        let seen = cloud
            .stacks
            .stack_events(&stack.id, None)
            .await?
            .first()
            .map(|e| e.id.clone());
        sink(ApplyProgress::Started {
            stack: stack.name.clone(),
            status: StackStatus::DeleteInProgress,
            reattached: false,
        });
        match patiently(cloud, sink, || cloud.stacks.delete_stack(&stack.id)).await {
            Ok(()) => follow(cloud, &stack.id, seen, sink).await?,
            // Deletion may have begun before the refusal (an emulator deletes in the call):
            // what is left is listed below either way.
            Err(error) => refused_delete(cloud, stack, &error, sink).await,
        }
    };
    // The certificate stack goes once nothing uses its certificate any more.
    if let Some(edge) = &plan.edge_stack
        && outcome.status == StackStatus::DeleteComplete
    {
        let stacks = cloud.edge_stacks.as_ref();
        let seen = patiently(cloud, sink, || stacks.stack_events(&edge.id, None))
            .await?
            .first()
            .map(|e| e.id.clone());
        sink(ApplyProgress::Started {
            stack: edge.name.clone(),
            status: StackStatus::DeleteInProgress,
            reattached: false,
        });
        patiently(cloud, sink, || stacks.delete_stack(&edge.id)).await?;
        let gone = follow_on(cloud, stacks, &edge.id, seen, sink).await?;
        steps.push(if gone.status == StackStatus::DeleteComplete {
            format!(
                "deleted the stack {} in us-east-1 (the site's certificate)",
                edge.name
            )
        } else {
            format!(
                "the stack {} in us-east-1 (the site's certificate) is {}: delete it with \
                 `opsdeck --region us-east-1 teardown --stack {}`",
                edge.name, gone.status, edge.name
            )
        });
    }
    let tagged = patiently(cloud, sink, || {
        cloud.tagging.resources_tagged(STACK_TAG, &stack.name)
    })
    .await?;
    let (kept, left): (Vec<_>, Vec<_>) = tagged
        .into_iter()
        .map(|resource| classify(resource, plan))
        .partition(|(kept, _)| *kept);
    let result = TeardownOutcome {
        stack: stack.name.clone(),
        status: outcome.status,
        board: outcome.board,
        kept: kept.into_iter().map(|(_, l)| l).collect(),
        left: left.into_iter().map(|(_, l)| l).collect(),
        first_failure: outcome.first_failure,
        lost_sight: outcome.lost_sight,
        steps,
    };
    audit
        .record(
            cloud,
            region,
            AuditEntry {
                action: "teardown",
                target: stack.name.clone(),
                before: Some(stack.status.to_string()),
                after: Some(result.status.to_string()),
                result: if result.exit_code() == 0 {
                    "succeeded".to_string()
                } else {
                    format!("failed: {} resources left", result.left.len())
                },
                exit_code: Some(result.exit_code()),
            },
        )
        .await;
    Ok(result)
}

/// A call made once the change is under way (DeleteStack itself, which is idempotent, and
/// the reads that report on it): a fault that may pass (a dropped connection, throttling, a
/// 503) is met as the follow meets it, by saying so and asking again, never by ending the
/// command with the change half done and half reported.
async fn patiently<T, F, Fut>(cloud: &Cloud, sink: ApplySink<'_>, mut call: F) -> CloudResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = CloudResult<T>>,
{
    let mut unseen = 0;
    loop {
        match call().await {
            Err(error) if error.may_pass() && unseen < UNSEEN_POLLS_TOLERATED => {
                unseen += 1;
                sink(ApplyProgress::Unseen {
                    reason: error.to_string(),
                });
                cloud.clock.sleep(POLL_MS).await;
            }
            other => return other,
        }
    }
}

/// DeleteStack answered with an error. Deletion may have begun before it (an emulator
/// deletes inside the call), so the outcome is a failed delete, and what is left is listed
/// like after any other.
async fn refused_delete(
    cloud: &Cloud,
    stack: &CfnStack,
    error: &CloudError,
    sink: ApplySink<'_>,
) -> ApplyOutcome {
    let status = match patiently(cloud, sink, || cloud.stacks.describe_stack(&stack.id)).await {
        Ok(None) => StackStatus::DeleteComplete,
        Ok(Some(now)) if now.status == StackStatus::DeleteComplete => now.status,
        _ => StackStatus::DeleteFailed,
    };
    ApplyOutcome {
        stack: stack.name.clone(),
        status,
        succeeded: false,
        no_changes: false,
        first_failure: Some(EventLine {
            logical_id: stack.name.clone(),
            resource_type: "AWS::CloudFormation::Stack".into(),
            status: StackStatus::DeleteFailed.to_string(),
            reason: Some(error.to_string()),
            at: Some(cloud.clock.now()),
            elapsed_ms: None,
        }),
        rolled_back: Vec::new(),
        outputs: BTreeMap::new(),
        board: Board::default(),
        lost_sight: None,
    }
}

/// A database snapshot carrying the stack's tag is the final snapshot (the instance copies
/// its tags to snapshots); a retained resource is kept by the template's own choice.
fn classify(resource: TaggedResource, plan: &TeardownPlan) -> (bool, Leftover) {
    let name = resource
        .arn
        .rsplit([':', '/'])
        .next()
        .unwrap_or(&resource.arn)
        .to_string();
    let (kept, why) = match resource.resource_type.as_str() {
        "rds:snapshot" | "rds:cluster-snapshot" => (
            true,
            "the final database snapshot, kept on purpose".to_string(),
        ),
        _ if plan
            .keeps
            .iter()
            .any(|k| k.contains("Retain") && type_matches(k, &resource.resource_type)) =>
        {
            (true, "DeletionPolicy: Retain".to_string())
        }
        _ => (
            false,
            "still tagged with the stack: delete it by hand or run teardown again".to_string(),
        ),
    };
    (
        kept,
        Leftover {
            resource,
            name,
            why,
        },
    )
}

/// `AWS::Logs::LogGroup Logs (…)` against `logs:log-group`.
fn type_matches(keep: &str, tagged_type: &str) -> bool {
    let Some(cfn_type) = keep.split_whitespace().next() else {
        return false;
    };
    let mut parts = cfn_type.split("::").skip(1);
    let service = parts.next().unwrap_or_default().to_ascii_lowercase();
    tagged_type.split(':').next().is_some_and(|s| s == service)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        id: &str,
        logical: &str,
        kind: &str,
        status: &str,
        reason: Option<&str>,
    ) -> StackEvent {
        StackEvent {
            id: id.into(),
            at: Some(id.trim_start_matches('e').parse::<Millis>().unwrap() * 1000),
            logical_id: logical.into(),
            physical_id: None,
            resource_type: kind.into(),
            status: status.into(),
            reason: reason.map(str::to_string),
        }
    }

    #[test]
    fn the_first_failure_is_the_cause_not_a_cancellation() {
        let stack = "AWS::CloudFormation::Stack";
        let newest_first = vec![
            event("e5", "umami", stack, "ROLLBACK_IN_PROGRESS", None),
            event(
                "e4",
                "Nat",
                "AWS::EC2::NatGateway",
                "CREATE_FAILED",
                Some("Resource creation cancelled"),
            ),
            event(
                "e3",
                "Database",
                "AWS::RDS::DBInstance",
                "CREATE_FAILED",
                Some("Cannot find version 13.1"),
            ),
            event("e2", "Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE", None),
            event("e1", "umami", stack, "CREATE_IN_PROGRESS", None),
        ];
        let first = first_failure(&newest_first).map(|e| e.logical_id.as_str());
        assert_eq!(first, Some("Database"));
    }

    #[test]
    fn the_board_keeps_each_resource_once_with_its_newest_status_and_time() {
        let mut board = Board::default();
        for e in [
            event(
                "e10",
                "umami",
                "AWS::CloudFormation::Stack",
                "CREATE_IN_PROGRESS",
                None,
            ),
            event("e11", "Vpc", "AWS::EC2::VPC", "CREATE_IN_PROGRESS", None),
            event(
                "e12",
                "Vpc",
                "AWS::EC2::VPC",
                "CREATE_IN_PROGRESS",
                Some("Resource creation Initiated"),
            ),
            event("e25", "Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE", None),
            event(
                "e26",
                "Nat",
                "AWS::EC2::NatGateway",
                "CREATE_IN_PROGRESS",
                None,
            ),
        ] {
            board.record(&e);
        }
        assert_eq!(board.rows.len(), 2);
        assert_eq!(board.rows[0].status, "CREATE_COMPLETE");
        assert_eq!(board.rows[0].elapsed_ms(99_000), Some(14_000));
        assert_eq!(board.rows[1].elapsed_ms(36_000), Some(10_000));
        assert_eq!(board.stack_status.as_deref(), Some("CREATE_IN_PROGRESS"));
    }

    #[test]
    fn names_come_from_arns() {
        assert_eq!(
            stack_name_of("arn:aws:cloudformation:eu-west-2:1:stack/umami/6d1e"),
            "umami"
        );
        assert_eq!(stack_name_of("umami"), "umami");
        assert_eq!(compact_time(1_795_338_000_000), "20261122-090000");
    }
}
