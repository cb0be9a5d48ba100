//! RDS: the region's database instances and their pending maintenance, all pages, and the
//! manual snapshots a release takes first.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use aws_sdk_rds::Client;
use aws_sdk_rds::config::retry::RetryConfig;
use aws_sdk_rds::types as sdk;

use super::convert::{count_opt, millis, owned, port, text};
use super::errors::{CallContext, Paged};
use crate::cloud::{CloudError, CloudResult, RdsApi};
use crate::model::{DbInstance, DbSnapshot, Millis};

/// DescribeDBInstances and DescribePendingMaintenanceActions return at most 100 per page.
const PAGE_MAX: i32 = 100;

pub struct AwsRds {
    client: Client,
    /// The same client without retries, for the pending-maintenance call: it only adds to
    /// what the pane shows, so a failure must not hold up the instances.
    maintenance_client: Client,
    /// Cleared when the endpoint cannot answer DescribePendingMaintenanceActions (moto lacks
    /// it; a role may be denied it), so it is not asked again every refresh.
    maintenance_readable: AtomicBool,
    context: CallContext,
}

impl AwsRds {
    pub fn new(client: Client, context: CallContext) -> AwsRds {
        let maintenance_client = Client::from_conf(
            client
                .config()
                .to_builder()
                .retry_config(RetryConfig::standard().with_max_attempts(1))
                .build(),
        );
        AwsRds {
            client,
            maintenance_client,
            maintenance_readable: AtomicBool::new(true),
            context,
        }
    }

    /// Pending maintenance by instance ARN, or `None` when it cannot be read.
    async fn pending_maintenance(&self) -> Option<HashMap<String, Vec<String>>> {
        if !self.maintenance_readable.load(Ordering::Relaxed) {
            return None;
        }
        let result = self
            .maintenance_client
            .describe_pending_maintenance_actions()
            .max_records(PAGE_MAX)
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "rds:DescribePendingMaintenanceActions", "")
            .await;
        match result {
            Ok(resources) => Some(
                resources
                    .iter()
                    .map(|r| {
                        let actions = r
                            .pending_maintenance_action_details()
                            .iter()
                            .map(maintenance_text)
                            .collect();
                        (text(r.resource_identifier()), actions)
                    })
                    .collect(),
            ),
            Err(error) => {
                // Throttling passes; anything else will not, so stop asking.
                if !matches!(error, CloudError::Throttled { .. }) {
                    self.maintenance_readable.store(false, Ordering::Relaxed);
                }
                tracing::warn!(%error, "pending maintenance is unknown");
                None
            }
        }
    }
}

#[async_trait]
impl RdsApi for AwsRds {
    async fn describe_db_instances(&self) -> CloudResult<Vec<DbInstance>> {
        let instances = self
            .client
            .describe_db_instances()
            .max_records(PAGE_MAX)
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "rds:DescribeDBInstances", "");
        let (instances, maintenance) = tokio::join!(instances, self.pending_maintenance());
        let instances = instances?;
        Ok(instances
            .iter()
            .map(|db| {
                let mut instance = db_instance_from_sdk(db);
                instance.pending_maintenance = maintenance
                    .as_ref()
                    .map(|m| m.get(&instance.arn).cloned().unwrap_or_default());
                instance
            })
            .collect())
    }

    async fn create_db_snapshot(&self, instance: &str, snapshot: &str) -> CloudResult<DbSnapshot> {
        let output = self
            .client
            .create_db_snapshot()
            .db_instance_identifier(instance)
            .db_snapshot_identifier(snapshot)
            .send()
            .await
            // The instance is what "not found" can be about here.
            .map_err(|e| self.context.error("rds:CreateDBSnapshot", instance, e))?;
        output
            .db_snapshot()
            .map(db_snapshot_from_sdk)
            .ok_or_else(|| CloudError::Other {
                operation: "rds:CreateDBSnapshot".into(),
                message: format!("RDS returned no snapshot for {snapshot}"),
            })
    }

    async fn describe_db_snapshot(&self, snapshot: &str) -> CloudResult<DbSnapshot> {
        let output = self
            .client
            .describe_db_snapshots()
            .db_snapshot_identifier(snapshot)
            .send()
            .await
            .map_err(|e| self.context.error("rds:DescribeDBSnapshots", snapshot, e))?;
        output
            .db_snapshots()
            .iter()
            .find(|s| s.db_snapshot_identifier() == Some(snapshot))
            .map(db_snapshot_from_sdk)
            .ok_or_else(|| CloudError::NotFound {
                kind: "database snapshot",
                name: snapshot.to_string(),
                hint: None,
            })
    }

    async fn disable_deletion_protection(&self, instance: &str) -> CloudResult<()> {
        self.client
            .modify_db_instance()
            .db_instance_identifier(instance)
            .deletion_protection(false)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| self.context.error("rds:ModifyDBInstance", instance, e))?;
        Ok(())
    }
}

/// `system-update: Upgrade to the latest OS (applies 2026-12-01 03:00 UTC)`, as the console
/// words it: the action, what it does, and when it happens without the user.
fn maintenance_text(action: &sdk::PendingMaintenanceAction) -> String {
    let mut text = action.action().unwrap_or("maintenance").to_string();
    if let Some(description) = action.description().filter(|d| !d.is_empty()) {
        text.push_str(": ");
        text.push_str(description);
    }
    let when = millis(action.current_apply_date())
        .or_else(|| millis(action.forced_apply_date()))
        .or_else(|| millis(action.auto_applied_after_date()));
    match (when, action.opt_in_status()) {
        (Some(at), _) => text.push_str(&format!(" (applies {})", utc_minute(at))),
        (None, Some(opt_in)) => text.push_str(&format!(" ({opt_in})")),
        (None, None) => {}
    }
    text
}

fn utc_minute(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at).map_or_else(
        || at.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn db_snapshot_from_sdk(s: &sdk::DbSnapshot) -> DbSnapshot {
    DbSnapshot {
        id: text(s.db_snapshot_identifier()),
        instance: text(s.db_instance_identifier()),
        status: text(s.status()),
        // Absent while the snapshot is still being created.
        created_at: millis(s.snapshot_create_time()),
    }
}

fn db_instance_from_sdk(db: &sdk::DbInstance) -> DbInstance {
    let subnet_group = db.db_subnet_group();
    DbInstance {
        id: text(db.db_instance_identifier()),
        arn: text(db.db_instance_arn()),
        status: text(db.db_instance_status()),
        engine: text(db.engine()),
        engine_version: text(db.engine_version()),
        class: text(db.db_instance_class()),
        multi_az: db.multi_az().unwrap_or(false),
        availability_zone: owned(db.availability_zone()),
        secondary_availability_zone: owned(db.secondary_availability_zone()),
        storage_type: text(db.storage_type()),
        allocated_storage_gb: count_opt(db.allocated_storage()),
        // Free storage is a CloudWatch metric, not part of the instance description.
        free_storage_bytes: None,
        backup_retention_days: count_opt(db.backup_retention_period()),
        latest_restorable_time: millis(db.latest_restorable_time()),
        endpoint: db.endpoint().and_then(|e| owned(e.address())),
        port: port(
            db.endpoint()
                .and_then(|e| e.port())
                .or(db.db_instance_port()),
        ),
        vpc_id: text(subnet_group.and_then(|g| g.vpc_id())),
        subnet_ids: subnet_group
            .map(|g| {
                g.subnets()
                    .iter()
                    .filter_map(|s| owned(s.subnet_identifier()))
                    .collect()
            })
            .unwrap_or_default(),
        security_groups: db
            .vpc_security_groups()
            .iter()
            .filter_map(|g| owned(g.vpc_security_group_id()))
            .collect(),
        publicly_accessible: db.publicly_accessible().unwrap_or(false),
        deletion_protection: db.deletion_protection().unwrap_or(false),
        // Filled in from DescribePendingMaintenanceActions by the caller.
        pending_maintenance: None,
        managed_master_password: db.master_user_secret().is_some(),
    }
}
