//! Turns SDK failures into [`CloudError`]s that tell the user what to do.

use std::error::Error as StdError;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::cloud::CloudError;

/// A paginated call's stream of items (or pages), gathered in one place.
pub trait Paged<T> {
    /// Every item, in order; the first failure of `action` on `subject` is mapped as
    /// [`CallContext::error`] maps it.
    fn all(
        self,
        context: &CallContext,
        action: &str,
        subject: &str,
    ) -> impl Future<Output = Result<Vec<T>, CloudError>> + Send;
}

impl<T, E, R> Paged<T> for PaginationStream<Result<T, SdkError<E, R>>>
where
    T: Send,
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + 'static,
{
    async fn all(
        self,
        context: &CallContext,
        action: &str,
        subject: &str,
    ) -> Result<Vec<T>, CloudError> {
        self.try_collect()
            .await
            .map_err(|e| context.error(action, subject, e))
    }
}

/// What an error message needs to know about where a call went.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The profile in use, for the `aws sso login --profile` hint.
    pub profile: Option<String>,
    /// `--endpoint-url`, or a description of the regional endpoint.
    pub endpoint: String,
}

impl CallContext {
    /// Maps a failed call of `action` (an IAM action name such as `ecs:DescribeServices`)
    /// about `subject` (the cluster, service or id asked about, for "not found").
    pub fn error<E, R>(&self, action: &str, subject: &str, error: SdkError<E, R>) -> CloudError
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: std::fmt::Debug + 'static,
    {
        match &error {
            SdkError::ServiceError(service) => {
                let err = service.err();
                self.service_error(action, subject, err.code(), err.message())
            }
            SdkError::TimeoutError(_) => CloudError::Unreachable {
                endpoint: self.endpoint.clone(),
                message: format!("{action} timed out"),
            },
            _ => self.transport_error(action, &error),
        }
    }

    /// Like [`CallContext::error`], for calls that emulators and older partitions lack: a
    /// server error whose body carries no AWS error code is the endpoint saying it has no
    /// such operation (moto answers those with a 500 and an HTML page), so it becomes
    /// `Unsupported` and the caller falls back. A real AWS server fault names its code
    /// (`ServerException`) and stays `Other`, which may pass.
    pub fn error_or_unsupported<E>(
        &self,
        action: &str,
        subject: &str,
        error: SdkError<E, HttpResponse>,
    ) -> CloudError
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        let status = error.raw_response().map(|r| r.status().as_u16());
        let code = error.as_service_error().and_then(|e| e.code());
        match (status, code) {
            (Some(status @ 500..=599), None) => CloudError::Unsupported {
                operation: action.to_string(),
                message: format!(
                    "{} answered HTTP {status} without an AWS error",
                    self.endpoint
                ),
            },
            _ => self.error(action, subject, error),
        }
    }

    fn service_error(
        &self,
        action: &str,
        subject: &str,
        code: Option<&str>,
        message: Option<&str>,
    ) -> CloudError {
        let code = code.unwrap_or("UnknownError");
        let message = message.unwrap_or(code).to_string();
        if is_throttling(code) {
            return CloudError::Throttled {
                operation: action.to_string(),
            };
        }
        if let Some(kind) = not_found_kind(code) {
            return CloudError::NotFound {
                kind,
                name: subject.to_string(),
                hint: None,
            };
        }
        match code {
            "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthorizationError"
            | "UnauthorizedException" => CloudError::AccessDenied {
                action: action.to_string(),
                message: first_line(&message),
            },
            "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => self.expired(action),
            code if is_unknown_operation(code) => CloudError::Unsupported {
                operation: action.to_string(),
                message: format!("{code}: {}", first_line(&message)),
            },
            // The request was understood and refused for a reason the user can act on.
            // Something else still uses it: asking again changes nothing until that is gone.
            "DependencyViolation" => CloudError::Rejected {
                operation: action.to_string(),
                message: format!("{code}: {}", first_line(&message)),
            },
            "DBSnapshotAlreadyExists"
            | "DBSnapshotAlreadyExistsFault"
            | "InvalidDBInstanceState"
            | "InvalidDBInstanceStateFault"
            | "SnapshotQuotaExceeded"
            | "SnapshotQuotaExceededFault" => CloudError::Rejected {
                operation: action.to_string(),
                message: first_line(&message),
            },
            "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "AuthFailure" => CloudError::Rejected {
                operation: action.to_string(),
                message: "the AWS credentials were not accepted: check the profile's keys".into(),
            },
            code if code.ends_with("Exception") && code.starts_with("InvalidParameter") => {
                CloudError::Rejected {
                    operation: action.to_string(),
                    message: first_line(&message),
                }
            }
            _ => CloudError::Other {
                operation: action.to_string(),
                message: format!("{code}: {}", first_line(&message)),
            },
        }
    }

    fn expired(&self, action: &str) -> CloudError {
        match &self.profile {
            Some(profile) => CloudError::SsoExpired {
                profile: profile.clone(),
            },
            None => CloudError::Other {
                operation: action.to_string(),
                message: "the AWS session credentials have expired: get fresh ones".into(),
            },
        }
    }

    /// Credentials, connection and everything that failed before a response was parsed.
    fn transport_error<E, R>(&self, action: &str, error: &SdkError<E, R>) -> CloudError
    where
        E: StdError + 'static,
        R: std::fmt::Debug + 'static,
    {
        if let Some(credentials) = find_source::<CredentialsError>(error) {
            return self.credentials_error(action, credentials);
        }
        if let SdkError::DispatchFailure(failure) = error
            && (failure.is_io() || failure.is_timeout())
        {
            return CloudError::Unreachable {
                endpoint: self.endpoint.clone(),
                message: root_cause(error),
            };
        }
        CloudError::Other {
            operation: action.to_string(),
            message: root_cause(error),
        }
    }

    fn credentials_error(&self, action: &str, error: &CredentialsError) -> CloudError {
        let chain = chain_text(error);
        let sso = chain.contains("SSO") || chain.contains("sso");
        match (error, sso) {
            // With no profile named, the SDK used the `default` one.
            (_, true) => CloudError::SsoExpired {
                profile: self.profile.clone().unwrap_or_else(|| "default".into()),
            },
            (CredentialsError::CredentialsNotLoaded(_), _) => CloudError::NoCredentials,
            _ => CloudError::Other {
                operation: action.to_string(),
                message: format!("cannot load AWS credentials: {}", first_line(&chain)),
            },
        }
    }
}

/// Codes with which an endpoint says it has no such operation (as opposed to refusing it).
fn is_unknown_operation(code: &str) -> bool {
    matches!(
        code,
        "UnknownOperationException"
            | "UnknownOperation"
            | "UnsupportedOperation"
            | "UnsupportedOperationException"
            | "InvalidAction"
            | "NotImplemented"
    )
}

fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestThrottled"
            | "RequestThrottledException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "ProvisionedThroughputExceededException"
            | "SlowDown"
            | "PriorRequestNotComplete"
            | "BandwidthLimitExceeded"
            | "EC2ThrottledException"
    )
}

fn not_found_kind(code: &str) -> Option<&'static str> {
    Some(match code {
        "ClusterNotFoundException" => "cluster",
        "ServiceNotFoundException" | "ServiceNotActiveException" => "service",
        "TargetGroupNotFound" => "target group",
        "LoadBalancerNotFound" | "ListenerNotFound" => "load balancer",
        "DBInstanceNotFound" | "DBInstanceNotFoundFault" => "database",
        "InvalidVpcID.NotFound" => "VPC",
        "InvalidSubnetID.NotFound" => "subnet",
        "InvalidGroup.NotFound" => "security group",
        "InvalidRouteTableID.NotFound" => "route table",
        "NatGatewayNotFound" => "NAT gateway",
        "NoSuchHostedZone" => "hosted zone",
        "RepositoryNotFoundException" => "ECR repository",
        "DBSnapshotNotFound" | "DBSnapshotNotFoundFault" => "database snapshot",
        "ResourceNotFoundException" => "resource",
        "NoSuchBucket" => "S3 bucket",
        "NoSuchDistribution" => "CloudFront distribution",
        "NoSuchInvalidation" => "invalidation",
        "NoSuchBucketPolicy" => "bucket policy",
        "NoSuchPublicAccessBlockConfiguration" => "public access block",
        _ => return None,
    })
}

fn find_source<'a, T: StdError + 'static>(error: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// The messages of an error and its causes, joined: SDK errors put the useful part deep down.
fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = current {
        parts.push(e.to_string());
        current = e.source();
    }
    parts.join(": ")
}

/// The innermost message, which for a refused connection is the OS's own words.
fn root_cause(error: &(dyn StdError + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    first_line(&current.to_string())
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(profile: Option<&str>) -> CallContext {
        CallContext {
            profile: profile.map(str::to_string),
            endpoint: "http://127.0.0.1:1".into(),
        }
    }

    #[test]
    fn service_codes_become_actionable_errors() {
        let ctx = context(None);
        let err = |code: &str| ctx.service_error("ecs:ListServices", "prod", Some(code), None);
        assert_eq!(
            err("ClusterNotFoundException"),
            CloudError::NotFound {
                kind: "cluster",
                name: "prod".into(),
                hint: None
            }
        );
        assert!(matches!(
            err("ThrottlingException"),
            CloudError::Throttled { .. }
        ));
        assert!(matches!(
            err("AccessDeniedException"),
            CloudError::AccessDenied { action, .. } if action == "ecs:ListServices"
        ));
        assert!(matches!(err("Weird"), CloudError::Other { .. }));
    }

    #[test]
    fn expired_token_with_a_profile_hints_sso_login() {
        let err = context(Some("dev")).service_error("sts:X", "", Some("ExpiredToken"), None);
        assert!(err.to_string().contains("aws sso login --profile dev"));
    }
}
