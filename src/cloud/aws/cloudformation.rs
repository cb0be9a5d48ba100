//! CloudFormation: stacks, change sets, stack events and resources, templates, DeleteStack.

use async_trait::async_trait;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types as sdk;

use super::convert::{millis, owned, text};
use super::errors::{CallContext, Paged};
use crate::cloud::{CloudError, CloudResult, StacksApi};
use crate::model::{
    Capability, CfnStack, ChangeAction, ChangeSet, ChangeSetKind, ChangeSetRequest,
    ChangeSetStatus, Replacement, ResourceChange, StackEvent, StackResource, StackStatus,
};

pub struct AwsStacks {
    client: Client,
    context: CallContext,
}

impl AwsStacks {
    pub fn new(client: Client, context: CallContext) -> AwsStacks {
        AwsStacks { client, context }
    }

    /// Maps CloudFormation's own codes first: it says "does not exist" with a plain
    /// ValidationError, and the capability and already-exists refusals need a next step.
    fn map<E, R>(
        &self,
        action: &str,
        subject: &str,
        error: aws_smithy_runtime_api::client::result::SdkError<E, R>,
    ) -> CloudError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
        R: std::fmt::Debug + 'static,
    {
        let (code, message) = match error.as_service_error() {
            Some(e) => (
                e.code().map(str::to_string),
                e.message().unwrap_or_default().to_string(),
            ),
            None => (None, String::new()),
        };
        stack_error(action, subject, code.as_deref(), &message)
            .unwrap_or_else(|| self.context.error(action, subject, error))
    }
}

/// CloudFormation's refusals that [`CallContext`] cannot phrase on its own; `None` leaves
/// the error to it.
pub(crate) fn stack_error(
    action: &str,
    subject: &str,
    code: Option<&str>,
    message: &str,
) -> Option<CloudError> {
    let rejected = |message: String| CloudError::Rejected {
        operation: action.to_string(),
        message,
    };
    let first = message
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    match code? {
        "ValidationError" if message.contains("does not exist") => Some(CloudError::NotFound {
            kind: if message.contains("ChangeSet") || message.contains("change set") {
                "change set"
            } else {
                "stack"
            },
            name: subject.to_string(),
            hint: Some(
                "CloudFormation stacks are per region and account: check --region and the profile"
                    .to_string(),
            ),
        }),
        "ChangeSetNotFound" | "ChangeSetNotFoundException" => Some(CloudError::NotFound {
            kind: "change set",
            name: subject.to_string(),
            hint: Some("it may have been executed, deleted, or made obsolete".to_string()),
        }),
        "AlreadyExistsException" | "AlreadyExists" => Some(rejected(format!(
            "{first}: pick another change-set name, or delete the old change set first"
        ))),
        "InsufficientCapabilitiesException" | "InsufficientCapabilities" => {
            Some(rejected(format!(
                "{first}: the template creates IAM resources; acknowledge CAPABILITY_IAM \
                 (CAPABILITY_NAMED_IAM for named ones) to go on"
            )))
        }
        "InvalidChangeSetStatus" | "InvalidChangeSetStatusException" => Some(rejected(format!(
            "{first}: the change set is not AVAILABLE (still being computed, failed, or \
             already executed)"
        ))),
        "ValidationError" => Some(rejected(first)),
        "LimitExceededException" | "TokenAlreadyExistsException" => Some(rejected(first)),
        _ => None,
    }
}

#[async_trait]
impl StacksApi for AwsStacks {
    async fn describe_stack(&self, name: &str) -> CloudResult<Option<CfnStack>> {
        let result = self.client.describe_stacks().stack_name(name).send().await;
        match result {
            Ok(out) => Ok(out.stacks().first().map(stack_from_sdk)),
            Err(e) => match self.map("cloudformation:DescribeStacks", name, e) {
                CloudError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn create_change_set(&self, request: &ChangeSetRequest) -> CloudResult<(String, String)> {
        let kind = match request.kind {
            ChangeSetKind::Create => sdk::ChangeSetType::Create,
            ChangeSetKind::Update => sdk::ChangeSetType::Update,
        };
        let mut call = self
            .client
            .create_change_set()
            .stack_name(&request.stack)
            .change_set_name(&request.change_set_name)
            .template_body(&request.template_body)
            .change_set_type(kind);
        for capability in &request.capabilities {
            call = call.capabilities(match capability {
                Capability::Iam => sdk::Capability::CapabilityIam,
                Capability::NamedIam => sdk::Capability::CapabilityNamedIam,
            });
        }
        for (key, value) in &request.parameters {
            call = call.parameters(
                sdk::Parameter::builder()
                    .parameter_key(key)
                    .parameter_value(value)
                    .build(),
            );
        }
        for key in &request.previous_parameters {
            call = call.parameters(
                sdk::Parameter::builder()
                    .parameter_key(key)
                    .use_previous_value(true)
                    .build(),
            );
        }
        for (key, value) in &request.tags {
            call = call.tags(sdk::Tag::builder().key(key).value(value).build());
        }
        let out = call
            .send()
            .await
            .map_err(|e| self.map("cloudformation:CreateChangeSet", &request.stack, e))?;
        Ok((text(out.id()), text(out.stack_id())))
    }

    async fn describe_change_set(&self, stack: &str, change_set: &str) -> CloudResult<ChangeSet> {
        let mut pages = self
            .client
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .into_paginator()
            .send();
        let mut result: Option<ChangeSet> = None;
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| self.map("cloudformation:DescribeChangeSet", change_set, e))?;
            let changes = page
                .changes()
                .iter()
                .filter_map(|c| c.resource_change())
                .map(change_from_sdk);
            match &mut result {
                Some(cs) => cs.changes.extend(changes),
                None => {
                    result = Some(ChangeSet {
                        id: text(page.change_set_id()),
                        stack_id: text(page.stack_id()),
                        status: page
                            .status()
                            .and_then(|s| ChangeSetStatus::parse(s.as_str()))
                            .unwrap_or(ChangeSetStatus::CreatePending),
                        status_reason: owned(page.status_reason()),
                        execution_status: page.execution_status().map(|s| s.as_str().to_string()),
                        changes: changes.collect(),
                    })
                }
            }
        }
        result.ok_or_else(|| CloudError::NotFound {
            kind: "change set",
            name: change_set.to_string(),
            hint: None,
        })
    }

    async fn execute_change_set(&self, stack: &str, change_set: &str) -> CloudResult<()> {
        self.client
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| self.map("cloudformation:ExecuteChangeSet", change_set, e))?;
        Ok(())
    }

    async fn delete_change_set(&self, stack: &str, change_set: &str) -> CloudResult<()> {
        self.client
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| self.map("cloudformation:DeleteChangeSet", change_set, e))?;
        Ok(())
    }

    async fn stack_events(
        &self,
        stack: &str,
        after_event_id: Option<&str>,
    ) -> CloudResult<Vec<StackEvent>> {
        // Page by page rather than `Paged::all`: a follower asks every few seconds, and a
        // long-lived stack has thousands of events it has already seen.
        let mut pages = self
            .client
            .describe_stack_events()
            .stack_name(stack)
            .into_paginator()
            .send();
        let mut events = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| self.map("cloudformation:DescribeStackEvents", stack, e))?;
            for e in page.stack_events() {
                if after_event_id.is_some_and(|after| e.event_id() == Some(after)) {
                    return Ok(events);
                }
                events.push(event_from_sdk(e));
            }
        }
        Ok(events)
    }

    async fn stack_resources(&self, stack: &str) -> CloudResult<Vec<StackResource>> {
        let summaries = self
            .client
            .list_stack_resources()
            .stack_name(stack)
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "cloudformation:ListStackResources", stack)
            .await?;
        Ok(summaries
            .iter()
            .map(|r| StackResource {
                logical_id: text(r.logical_resource_id()),
                physical_id: owned(r.physical_resource_id()),
                resource_type: text(r.resource_type()),
                status: r
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            })
            .collect())
    }

    async fn delete_stack(&self, name: &str) -> CloudResult<()> {
        self.client
            .delete_stack()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| self.map("cloudformation:DeleteStack", name, e))?;
        Ok(())
    }

    async fn get_template(&self, stack: &str) -> CloudResult<String> {
        let out = self
            .client
            .get_template()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| self.map("cloudformation:GetTemplate", stack, e))?;
        Ok(text(out.template_body()))
    }
}

fn stack_from_sdk(s: &sdk::Stack) -> CfnStack {
    CfnStack {
        name: text(s.stack_name()),
        id: text(s.stack_id()),
        status: s
            .stack_status()
            .and_then(|st| StackStatus::parse(st.as_str()))
            // A status newer than this build: treat it as work in progress, the safe reading.
            .unwrap_or(StackStatus::CreateInProgress),
        status_reason: owned(s.stack_status_reason()),
        outputs: s
            .outputs()
            .iter()
            .map(|o| (text(o.output_key()), text(o.output_value())))
            .collect(),
        tags: s
            .tags()
            .iter()
            .map(|t| (text(t.key()), text(t.value())))
            .collect(),
        created_at: millis(s.creation_time()),
    }
}

fn change_from_sdk(c: &sdk::ResourceChange) -> ResourceChange {
    ResourceChange {
        action: c
            .action()
            .and_then(|a| ChangeAction::parse(a.as_str()))
            .unwrap_or(ChangeAction::Dynamic),
        logical_id: text(c.logical_resource_id()),
        physical_id: owned(c.physical_resource_id()).filter(|p| !p.is_empty()),
        resource_type: text(c.resource_type()),
        replacement: c.replacement().and_then(|r| match r.as_str() {
            "True" => Some(Replacement::True),
            "False" => Some(Replacement::False),
            "Conditional" => Some(Replacement::Conditional),
            _ => None,
        }),
    }
}

fn event_from_sdk(e: &sdk::StackEvent) -> StackEvent {
    StackEvent {
        id: text(e.event_id()),
        at: millis(e.timestamp()),
        logical_id: text(e.logical_resource_id()),
        physical_id: owned(e.physical_resource_id()).filter(|p| !p.is_empty()),
        resource_type: text(e.resource_type()),
        status: e
            .resource_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        reason: owned(e.resource_status_reason()),
    }
}

#[cfg(test)]
mod tests {
    use super::stack_error;
    use crate::cloud::CloudError;

    #[test]
    fn cloudformation_refusals_say_what_to_do() {
        let missing = stack_error(
            "cloudformation:DescribeStacks",
            "umami",
            Some("ValidationError"),
            "Stack with id umami does not exist",
        );
        assert!(matches!(
            missing,
            Some(CloudError::NotFound { kind: "stack", .. })
        ));
        let caps = stack_error(
            "cloudformation:CreateChangeSet",
            "umami",
            Some("InsufficientCapabilitiesException"),
            "Requires capabilities : [CAPABILITY_IAM]",
        );
        assert!(
            matches!(caps, Some(CloudError::Rejected { message, .. }) if message.contains("CAPABILITY_IAM"))
        );
        assert_eq!(
            stack_error("x", "y", Some("Throttling"), "Rate exceeded"),
            None
        );
    }
}
