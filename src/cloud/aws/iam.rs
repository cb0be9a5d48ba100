//! IAM, read only: the account's OpenID Connect providers.

use async_trait::async_trait;
use aws_sdk_iam::Client;

use super::errors::CallContext;
use crate::cloud::{CloudResult, IamApi};
use crate::model::OidcProvider;

pub struct AwsIam {
    client: Client,
    context: CallContext,
}

impl AwsIam {
    pub fn new(client: Client, context: CallContext) -> AwsIam {
        AwsIam { client, context }
    }
}

#[async_trait]
impl IamApi for AwsIam {
    async fn oidc_providers(&self) -> CloudResult<Vec<OidcProvider>> {
        // One page: IAM allows at most 100 providers per account and returns them all.
        let listed = self
            .client
            .list_open_id_connect_providers()
            .send()
            .await
            .map_err(|e| self.context.error("iam:ListOpenIDConnectProviders", "", e))?;
        let mut providers = Vec::new();
        for arn in listed
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn())
        {
            let provider = self
                .client
                .get_open_id_connect_provider()
                .open_id_connect_provider_arn(arn)
                .send()
                .await
                .map_err(|e| self.context.error("iam:GetOpenIDConnectProvider", arn, e))?;
            providers.push(OidcProvider {
                arn: arn.to_string(),
                url: provider.url().unwrap_or_default().to_string(),
                client_ids: provider.client_id_list().to_vec(),
            });
        }
        Ok(providers)
    }
}
