//! What releases are made of: ECR images, ECS service deployments, RDS snapshots.

use serde::Serialize;

use super::Millis;

/// An image in an ECR repository, as DescribeImages reports it. A tag can move; the
/// digest cannot, so releases pin to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Image {
    pub repository: String,
    /// `sha256:` and 64 hex characters.
    pub digest: String,
    /// Every tag on this digest; empty for an untagged image.
    pub tags: Vec<String>,
    pub pushed_at: Option<Millis>,
    pub size_bytes: Option<u64>,
}

/// The status of an ECS service deployment (ListServiceDeployments / DescribeServiceDeployments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServiceDeploymentStatus {
    Pending,
    InProgress,
    Successful,
    Stopped,
    StopRequested,
    RollbackRequested,
    RollbackInProgress,
    RollbackSuccessful,
    RollbackFailed,
}

impl ServiceDeploymentStatus {
    pub fn parse(s: &str) -> Option<ServiceDeploymentStatus> {
        Some(match s {
            "PENDING" => ServiceDeploymentStatus::Pending,
            "IN_PROGRESS" => ServiceDeploymentStatus::InProgress,
            "SUCCESSFUL" => ServiceDeploymentStatus::Successful,
            "STOPPED" => ServiceDeploymentStatus::Stopped,
            "STOP_REQUESTED" => ServiceDeploymentStatus::StopRequested,
            "ROLLBACK_REQUESTED" => ServiceDeploymentStatus::RollbackRequested,
            "ROLLBACK_IN_PROGRESS" => ServiceDeploymentStatus::RollbackInProgress,
            "ROLLBACK_SUCCESSFUL" => ServiceDeploymentStatus::RollbackSuccessful,
            "ROLLBACK_FAILED" => ServiceDeploymentStatus::RollbackFailed,
            _ => return None,
        })
    }

    /// As ECS spells it: `ROLLBACK_SUCCESSFUL`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceDeploymentStatus::Pending => "PENDING",
            ServiceDeploymentStatus::InProgress => "IN_PROGRESS",
            ServiceDeploymentStatus::Successful => "SUCCESSFUL",
            ServiceDeploymentStatus::Stopped => "STOPPED",
            ServiceDeploymentStatus::StopRequested => "STOP_REQUESTED",
            ServiceDeploymentStatus::RollbackRequested => "ROLLBACK_REQUESTED",
            ServiceDeploymentStatus::RollbackInProgress => "ROLLBACK_IN_PROGRESS",
            ServiceDeploymentStatus::RollbackSuccessful => "ROLLBACK_SUCCESSFUL",
            ServiceDeploymentStatus::RollbackFailed => "ROLLBACK_FAILED",
        }
    }

    /// Whether ECS has finished with this deployment, one way or the other.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ServiceDeploymentStatus::Successful
                | ServiceDeploymentStatus::Stopped
                | ServiceDeploymentStatus::RollbackSuccessful
                | ServiceDeploymentStatus::RollbackFailed
        )
    }
}

/// One entry of ECS's deployment history for a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceDeployment {
    pub arn: String,
    pub status: ServiceDeploymentStatus,
    pub status_reason: Option<String>,
    /// The task definition the deployment moves to (from its target service revision).
    pub target_task_definition: Option<String>,
    /// The task definitions it moves away from.
    pub source_task_definitions: Vec<String>,
    /// Tasks the circuit breaker counted as failed, when it is on.
    pub circuit_breaker_failures: Option<u32>,
    pub created_at: Option<Millis>,
    pub finished_at: Option<Millis>,
}

/// A manual RDS snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbSnapshot {
    pub id: String,
    pub instance: String,
    /// creating, available, failed, ...
    pub status: String,
    pub created_at: Option<Millis>,
}
