//! The Resource Groups Tagging API: every resource carrying a tag, across services.

use async_trait::async_trait;
use aws_sdk_resourcegroupstagging::Client;
use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::errors::{CallContext, Paged};
use crate::cloud::{CloudResult, TaggingApi};
use crate::model::TaggedResource;

pub struct AwsTagging {
    client: Client,
    context: CallContext,
}

impl AwsTagging {
    pub fn new(client: Client, context: CallContext) -> AwsTagging {
        AwsTagging { client, context }
    }
}

#[async_trait]
impl TaggingApi for AwsTagging {
    async fn resources_tagged(&self, key: &str, value: &str) -> CloudResult<Vec<TaggedResource>> {
        let subject = format!("{key}={value}");
        let mappings = self
            .client
            .get_resources()
            .tag_filters(TagFilter::builder().key(key).values(value).build())
            .into_paginator()
            .items()
            .send()
            .all(&self.context, "tag:GetResources", &subject)
            .await?;
        Ok(mappings
            .iter()
            .filter_map(|m| m.resource_arn())
            .map(TaggedResource::from_arn)
            .collect())
    }
}
