//! CloudFormation as opsdeck sees it: stacks, change sets (the plan), stack events (the progress).

use serde::Serialize;

use super::Millis;

/// Every status a CloudFormation stack can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StackStatus {
    CreateInProgress,
    CreateFailed,
    CreateComplete,
    RollbackInProgress,
    RollbackFailed,
    RollbackComplete,
    DeleteInProgress,
    DeleteFailed,
    DeleteComplete,
    UpdateInProgress,
    UpdateCompleteCleanupInProgress,
    UpdateComplete,
    UpdateFailed,
    UpdateRollbackInProgress,
    UpdateRollbackFailed,
    UpdateRollbackCompleteCleanupInProgress,
    UpdateRollbackComplete,
    /// A CREATE change set exists and has not been executed.
    ReviewInProgress,
    ImportInProgress,
    ImportComplete,
    ImportRollbackInProgress,
    ImportRollbackFailed,
    ImportRollbackComplete,
}

impl StackStatus {
    pub const ALL: [StackStatus; 23] = [
        StackStatus::CreateInProgress,
        StackStatus::CreateFailed,
        StackStatus::CreateComplete,
        StackStatus::RollbackInProgress,
        StackStatus::RollbackFailed,
        StackStatus::RollbackComplete,
        StackStatus::DeleteInProgress,
        StackStatus::DeleteFailed,
        StackStatus::DeleteComplete,
        StackStatus::UpdateInProgress,
        StackStatus::UpdateCompleteCleanupInProgress,
        StackStatus::UpdateComplete,
        StackStatus::UpdateFailed,
        StackStatus::UpdateRollbackInProgress,
        StackStatus::UpdateRollbackFailed,
        StackStatus::UpdateRollbackCompleteCleanupInProgress,
        StackStatus::UpdateRollbackComplete,
        StackStatus::ReviewInProgress,
        StackStatus::ImportInProgress,
        StackStatus::ImportComplete,
        StackStatus::ImportRollbackInProgress,
        StackStatus::ImportRollbackFailed,
        StackStatus::ImportRollbackComplete,
    ];

    /// CloudFormation's own spelling, `CREATE_COMPLETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            StackStatus::CreateInProgress => "CREATE_IN_PROGRESS",
            StackStatus::CreateFailed => "CREATE_FAILED",
            StackStatus::CreateComplete => "CREATE_COMPLETE",
            StackStatus::RollbackInProgress => "ROLLBACK_IN_PROGRESS",
            StackStatus::RollbackFailed => "ROLLBACK_FAILED",
            StackStatus::RollbackComplete => "ROLLBACK_COMPLETE",
            StackStatus::DeleteInProgress => "DELETE_IN_PROGRESS",
            StackStatus::DeleteFailed => "DELETE_FAILED",
            StackStatus::DeleteComplete => "DELETE_COMPLETE",
            StackStatus::UpdateInProgress => "UPDATE_IN_PROGRESS",
            StackStatus::UpdateCompleteCleanupInProgress => "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            StackStatus::UpdateComplete => "UPDATE_COMPLETE",
            StackStatus::UpdateFailed => "UPDATE_FAILED",
            StackStatus::UpdateRollbackInProgress => "UPDATE_ROLLBACK_IN_PROGRESS",
            StackStatus::UpdateRollbackFailed => "UPDATE_ROLLBACK_FAILED",
            StackStatus::UpdateRollbackCompleteCleanupInProgress => {
                "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"
            }
            StackStatus::UpdateRollbackComplete => "UPDATE_ROLLBACK_COMPLETE",
            StackStatus::ReviewInProgress => "REVIEW_IN_PROGRESS",
            StackStatus::ImportInProgress => "IMPORT_IN_PROGRESS",
            StackStatus::ImportComplete => "IMPORT_COMPLETE",
            StackStatus::ImportRollbackInProgress => "IMPORT_ROLLBACK_IN_PROGRESS",
            StackStatus::ImportRollbackFailed => "IMPORT_ROLLBACK_FAILED",
            StackStatus::ImportRollbackComplete => "IMPORT_ROLLBACK_COMPLETE",
        }
    }

    pub fn parse(text: &str) -> Option<StackStatus> {
        StackStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// CloudFormation is still working on the stack: a follower keeps following.
    pub fn is_in_progress(self) -> bool {
        self.as_str().ends_with("_IN_PROGRESS") && self != StackStatus::ReviewInProgress
    }

    /// The last operation reached its goal (a rollback complete is not that: see `is_failed`).
    pub fn is_complete(self) -> bool {
        matches!(
            self,
            StackStatus::CreateComplete
                | StackStatus::UpdateComplete
                | StackStatus::DeleteComplete
                | StackStatus::ImportComplete
        )
    }

    /// The last operation did not reach its goal, whether or not the rollback worked.
    /// ROLLBACK_COMPLETE is a failed create: the stack must be deleted before re-creating.
    pub fn is_failed(self) -> bool {
        matches!(
            self,
            StackStatus::CreateFailed
                | StackStatus::RollbackFailed
                | StackStatus::RollbackComplete
                | StackStatus::DeleteFailed
                | StackStatus::UpdateFailed
                | StackStatus::UpdateRollbackFailed
                | StackStatus::UpdateRollbackComplete
                | StackStatus::ImportRollbackFailed
                | StackStatus::ImportRollbackComplete
        )
    }
}

impl std::fmt::Display for StackStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CfnStack {
    pub name: String,
    /// The stack ARN, which stays unique after a stack of the same name is re-created.
    pub id: String,
    pub status: StackStatus,
    pub status_reason: Option<String>,
    pub outputs: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    pub created_at: Option<Millis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeSetKind {
    /// For a stack that does not exist yet (it appears in REVIEW_IN_PROGRESS).
    Create,
    Update,
}

/// What the template may do that CloudFormation asks to be acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Capability {
    /// `CAPABILITY_IAM`: the template creates IAM resources.
    Iam,
    /// `CAPABILITY_NAMED_IAM`: ... with names of its own.
    NamedIam,
}

impl Capability {
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Iam => "CAPABILITY_IAM",
            Capability::NamedIam => "CAPABILITY_NAMED_IAM",
        }
    }
}

/// A CreateChangeSet request.
#[derive(Clone, PartialEq, Eq)]
pub struct ChangeSetRequest {
    pub stack: String,
    pub change_set_name: String,
    /// The template, as JSON.
    pub template_body: String,
    pub kind: ChangeSetKind,
    pub capabilities: Vec<Capability>,
    /// A NoEcho parameter may carry a secret: `Debug` prints only the keys.
    pub parameters: Vec<(String, String)>,
    /// Parameters of an existing stack that keep their current value (UsePreviousValue):
    /// a change that is not the bootstrap's own (`opsdeck ci github`) leaves them alone,
    /// NoEcho ones included, without ever reading them.
    pub previous_parameters: Vec<String>,
    pub tags: Vec<(String, String)>,
}

impl std::fmt::Debug for ChangeSetRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self.parameters.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("ChangeSetRequest")
            .field("stack", &self.stack)
            .field("change_set_name", &self.change_set_name)
            .field("template_bytes", &self.template_body.len())
            .field("kind", &self.kind)
            .field("capabilities", &self.capabilities)
            .field("parameter_keys", &keys)
            .field("previous_parameters", &self.previous_parameters)
            .field("tags", &self.tags)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeSetStatus {
    CreatePending,
    CreateInProgress,
    CreateComplete,
    DeletePending,
    DeleteInProgress,
    DeleteComplete,
    DeleteFailed,
    Failed,
}

impl ChangeSetStatus {
    pub fn parse(text: &str) -> Option<ChangeSetStatus> {
        Some(match text {
            "CREATE_PENDING" => ChangeSetStatus::CreatePending,
            "CREATE_IN_PROGRESS" => ChangeSetStatus::CreateInProgress,
            "CREATE_COMPLETE" => ChangeSetStatus::CreateComplete,
            "DELETE_PENDING" => ChangeSetStatus::DeletePending,
            "DELETE_IN_PROGRESS" => ChangeSetStatus::DeleteInProgress,
            "DELETE_COMPLETE" => ChangeSetStatus::DeleteComplete,
            "DELETE_FAILED" => ChangeSetStatus::DeleteFailed,
            "FAILED" => ChangeSetStatus::Failed,
            _ => return None,
        })
    }

    /// CloudFormation is still computing the change set.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            ChangeSetStatus::CreatePending | ChangeSetStatus::CreateInProgress
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChangeAction {
    Add,
    Modify,
    Remove,
    Import,
    Dynamic,
}

impl ChangeAction {
    pub fn parse(text: &str) -> Option<ChangeAction> {
        Some(match text {
            "Add" => ChangeAction::Add,
            "Modify" => ChangeAction::Modify,
            "Remove" => ChangeAction::Remove,
            "Import" => ChangeAction::Import,
            "Dynamic" => ChangeAction::Dynamic,
            _ => return None,
        })
    }
}

/// Whether a Modify replaces the resource (a new physical resource, the old one deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Replacement {
    True,
    False,
    Conditional,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceChange {
    pub action: ChangeAction,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub replacement: Option<Replacement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeSet {
    pub id: String,
    pub stack_id: String,
    pub status: ChangeSetStatus,
    pub status_reason: Option<String>,
    /// AVAILABLE when it can be executed; UNAVAILABLE, EXECUTE_IN_PROGRESS, EXECUTE_COMPLETE,
    /// EXECUTE_FAILED, OBSOLETE otherwise.
    pub execution_status: Option<String>,
    pub changes: Vec<ResourceChange>,
}

impl ChangeSet {
    /// A FAILED change set whose template matches the stack: for a re-run that is success.
    pub fn is_empty_no_changes(&self) -> bool {
        self.status == ChangeSetStatus::Failed
            && self.status_reason.as_deref().is_some_and(|r| {
                r.contains("didn't contain changes") || r.contains("No updates are to be performed")
            })
    }
}

/// One line of DescribeStackEvents: the stack's or a resource's status changed.
/// The resource type of a stack's own events (as opposed to its resources').
pub const STACK_RESOURCE_TYPE: &str = "AWS::CloudFormation::Stack";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackEvent {
    pub id: String,
    pub at: Option<Millis>,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    /// A resource status (`CREATE_IN_PROGRESS`, `DELETE_SKIPPED`...) or, for the stack's own
    /// events, a stack status.
    pub status: String,
    pub reason: Option<String>,
}

impl StackEvent {
    /// The stack's own event (its logical id is the stack name), not a resource's.
    pub fn is_stack(&self) -> bool {
        self.resource_type == STACK_RESOURCE_TYPE
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackResource {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
}

/// A resource the tagging API found by tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaggedResource {
    pub arn: String,
    /// `service:type` from the ARN, e.g. `ec2:vpc`, `logs:log-group`.
    pub resource_type: String,
}

impl TaggedResource {
    pub fn from_arn(arn: &str) -> TaggedResource {
        TaggedResource {
            arn: arn.to_string(),
            resource_type: arn_resource_type(arn),
        }
    }
}

/// `arn:aws:ec2:eu-west-2:123:vpc/vpc-1` -> `ec2:vpc`; `arn:aws:logs:...:log-group:x` ->
/// `logs:log-group`; an S3 bucket ARN (no type part) -> `s3`.
pub fn arn_resource_type(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let service = parts.get(2).copied().unwrap_or_default();
    let resource = parts.get(5).copied().unwrap_or_default();
    let kind = resource.split(['/', ':']).next().unwrap_or_default();
    if kind.is_empty() || kind == resource {
        service.to_string()
    } else {
        format!("{service}:{kind}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_classify() {
        for s in StackStatus::ALL {
            assert_eq!(StackStatus::parse(s.as_str()), Some(s));
            let classes = [s.is_in_progress(), s.is_complete(), s.is_failed()];
            assert!(classes.iter().filter(|c| **c).count() <= 1, "{s}");
        }
        assert!(StackStatus::ReviewInProgress.is_in_progress().eq(&false));
        assert!(StackStatus::RollbackComplete.is_failed());
        assert!(StackStatus::UpdateRollbackCompleteCleanupInProgress.is_in_progress());
    }

    #[test]
    fn no_changes_is_recognised() {
        let cs = ChangeSet {
            id: "cs".into(),
            stack_id: "st".into(),
            status: ChangeSetStatus::Failed,
            status_reason: Some("The submitted information didn't contain changes. Submit different information to create a change set.".into()),
            execution_status: Some("UNAVAILABLE".into()),
            changes: vec![],
        };
        assert!(cs.is_empty_no_changes());
        let other = ChangeSet {
            status_reason: Some("Template format error".into()),
            ..cs
        };
        assert!(!other.is_empty_no_changes());
    }

    #[test]
    fn request_debug_hides_parameter_values() {
        let req = ChangeSetRequest {
            stack: "s".into(),
            change_set_name: "c".into(),
            template_body: "{}".into(),
            kind: ChangeSetKind::Create,
            capabilities: vec![],
            parameters: vec![("DbPassword".into(), "hunter2".into())],
            previous_parameters: vec![],
            tags: vec![],
        };
        let text = format!("{req:?}");
        assert!(text.contains("DbPassword") && !text.contains("hunter2"));
    }

    #[test]
    fn arn_types() {
        assert_eq!(
            arn_resource_type("arn:aws:ec2:eu-west-2:1:vpc/vpc-1"),
            "ec2:vpc"
        );
        assert_eq!(
            arn_resource_type("arn:aws:logs:eu-west-2:1:log-group:/ecs/x"),
            "logs:log-group"
        );
        assert_eq!(arn_resource_type("arn:aws:s3:::bucket"), "s3");
    }
}
