//! What continuous delivery from GitHub needs of the account: its OpenID Connect providers.

use serde::Serialize;

/// The issuer of GitHub Actions' OIDC tokens, as IAM names a provider for it (no scheme).
pub const GITHUB_OIDC_HOST: &str = "token.actions.githubusercontent.com";
/// The audience GitHub's tokens carry for AWS (configure-aws-credentials asks for it).
pub const GITHUB_OIDC_AUDIENCE: &str = "sts.amazonaws.com";

/// An IAM OpenID Connect identity provider of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OidcProvider {
    /// `arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com`.
    pub arn: String,
    /// The issuer without its scheme: `token.actions.githubusercontent.com`.
    pub url: String,
    /// The audiences it accepts (`sts.amazonaws.com`).
    pub client_ids: Vec<String>,
}

impl OidcProvider {
    /// Whether this is GitHub Actions' issuer.
    pub fn is_github(&self) -> bool {
        let url = self
            .url
            .trim_start_matches("https://")
            .trim_end_matches('/');
        url == GITHUB_OIDC_HOST
            || self
                .arn
                .ends_with(&format!("oidc-provider/{GITHUB_OIDC_HOST}"))
    }
}
