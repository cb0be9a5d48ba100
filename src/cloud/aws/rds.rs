//! RDS: the region's database instances, all pages.

use async_trait::async_trait;
use aws_sdk_rds::Client;
use aws_sdk_rds::types as sdk;

use super::convert::{count_opt, millis, owned, port, text};
use super::errors::CallContext;
use crate::cloud::{CloudResult, RdsApi};
use crate::model::DbInstance;

/// DescribeDBInstances returns at most 100 per page.
const PAGE_MAX: i32 = 100;

pub struct AwsRds {
    client: Client,
    context: CallContext,
}

impl AwsRds {
    pub fn new(client: Client, context: CallContext) -> AwsRds {
        AwsRds { client, context }
    }
}

#[async_trait]
impl RdsApi for AwsRds {
    async fn describe_db_instances(&self) -> CloudResult<Vec<DbInstance>> {
        let instances: Vec<sdk::DbInstance> = self
            .client
            .describe_db_instances()
            .max_records(PAGE_MAX)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| self.context.error("rds:DescribeDBInstances", "", e))?;
        Ok(instances.iter().map(db_instance_from_sdk).collect())
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
        // Pending maintenance needs DescribePendingMaintenanceActions; not fetched yet.
        pending_maintenance: Vec::new(),
        managed_master_password: db.master_user_secret().is_some(),
    }
}
