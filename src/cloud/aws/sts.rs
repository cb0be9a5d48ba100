//! STS: who the caller is and in which account.

use async_trait::async_trait;
use aws_sdk_sts::Client;

use super::convert::text;
use super::errors::CallContext;
use crate::cloud::{CloudResult, IdentityApi};
use crate::model::Identity;

pub struct AwsIdentity {
    client: Client,
    context: CallContext,
}

impl AwsIdentity {
    pub fn new(client: Client, context: CallContext) -> AwsIdentity {
        AwsIdentity { client, context }
    }
}

#[async_trait]
impl IdentityApi for AwsIdentity {
    async fn caller(&self) -> CloudResult<Identity> {
        let output = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| self.context.error("sts:GetCallerIdentity", "", e))?;
        Ok(Identity {
            account_id: text(output.account()),
            arn: text(output.arn()),
        })
    }
}
