//! The deploy role as CloudFormation resources: GitHub's OIDC provider when the account has
//! none, a role only one branch of one repository can assume, and the permissions of exactly
//! what the workflow runs (`opsdeck deploy --wait --rollback-on-failure`, `opsdeck site deploy`).

use serde_json::{Map, Value, json};

use super::{CiTarget, GithubRepo};
use crate::model::ci::{GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST};
use crate::ops::bootstrap::model::STACK_TAG;

/// Every resource and output `opsdeck ci github` adds to a stack starts with this, so a
/// later `opsdeck bootstrap` knows what to keep and ci knows what is its own.
pub const CI_PREFIX: &str = "Ci";
pub const PROVIDER_ID: &str = "CiGithubOidcProvider";
pub const ROLE_ID: &str = "CiDeployRole";
pub const ROLE_OUTPUT: &str = "CiDeployRoleArn";
/// The role's inline policy.
pub const POLICY_NAME: &str = "opsdeck-deploy";

/// Where the role's trust comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// The account has GitHub's provider already (made by hand, or by another stack): the
    /// trust names its ARN.
    Existing { arn: String },
    /// The stack makes it (`CiGithubOidcProvider`), or already made it on an earlier run.
    InStack,
}

/// The `sub` claim of a token GitHub issues to a workflow run on `branch` of `repo`: only
/// that ref of that repository, no wildcard (a pull request, a tag or another branch gets
/// another `sub`, and is refused).
pub fn subject(repo: &GithubRepo, branch: &str) -> String {
    format!("repo:{}/{}:ref:refs/heads/{branch}", repo.owner, repo.name)
}

/// The role's trust policy. `provider` is the provider's ARN, or a `Ref` to the stack's own.
pub fn trust_policy(provider: Value, repo: &GithubRepo, branch: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Federated": provider },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    format!("{GITHUB_OIDC_HOST}:aud"): GITHUB_OIDC_AUDIENCE,
                    format!("{GITHUB_OIDC_HOST}:sub"): subject(repo, branch),
                }
            }
        }]
    })
}

fn statement(sid: &str, actions: &[&str], resources: Value) -> Value {
    let actions: Value = match actions {
        [one] => json!(one),
        many => json!(many),
    };
    json!({ "Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources })
}

/// What the workflow's calls need, each scoped to the stack's own resources wherever IAM
/// can scope the action. Read from the deploy path: release::plan (DescribeServices,
/// DescribeTaskDefinition, ECR DescribeImages), rollout (RegisterTaskDefinition with the
/// revision's tags, UpdateService, StopServiceDeployment or UpdateService back), watch
/// (DescribeServices, ListTasks, DescribeTasks, ListServiceDeployments,
/// DescribeServiceDeployments, DescribeServiceRevisions, DescribeTargetHealth), and
/// site::deploy (ListObjectsV2, PutObject, DeleteObjects, CreateInvalidation, GetInvalidation).
pub fn permissions_policy(target: &CiTarget) -> Value {
    let p = &target.partition;
    let region_account = format!("{}:{}", target.region, target.account);
    let ecs = |rest: &str| format!("arn:{p}:ecs:{region_account}:{rest}");
    let (cluster, service) = (&target.cluster, &target.service);
    let mut statements = vec![
        // GetAuthorizationToken has no resource to scope to.
        statement("EcrLogin", &["ecr:GetAuthorizationToken"], json!("*")),
        statement(
            "EcrPushAndResolve",
            &[
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:DescribeImages",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            json!(format!(
                "arn:{p}:ecr:{region_account}:repository/{}",
                target.repository
            )),
        ),
        // Task definitions are registered and described by family, which IAM cannot scope;
        // ListTasks and DescribeTargetHealth take no resource either.
        statement(
            "EcsRevisions",
            &[
                "ecs:DescribeTaskDefinition",
                "ecs:ListTaskDefinitions",
                "ecs:ListTasks",
                "ecs:RegisterTaskDefinition",
                "elasticloadbalancing:DescribeTargetHealth",
            ],
            json!("*"),
        ),
        statement(
            "EcsService",
            &[
                "ecs:DescribeServices",
                "ecs:ListServiceDeployments",
                "ecs:UpdateService",
            ],
            json!(ecs(&format!("service/{cluster}/{service}"))),
        ),
        statement(
            "EcsTasks",
            &["ecs:DescribeTasks"],
            json!(ecs(&format!("task/{cluster}/*"))),
        ),
        statement(
            "EcsDeployments",
            &[
                "ecs:DescribeServiceDeployments",
                "ecs:StopServiceDeployment",
            ],
            json!(ecs(&format!("service-deployment/{cluster}/{service}/*"))),
        ),
        statement(
            "EcsServiceRevisions",
            &["ecs:DescribeServiceRevisions"],
            json!(ecs(&format!("service-revision/{cluster}/{service}/*"))),
        ),
    ];
    // The new revision keeps the current one's tags: tagging on create needs TagResource.
    let mut tag = statement(
        "EcsTagNewRevision",
        &["ecs:TagResource"],
        json!(ecs(&format!("task-definition/{}:*", target.family))),
    );
    tag["Condition"] = json!({ "StringEquals": { "ecs:CreateAction": "RegisterTaskDefinition" } });
    statements.push(tag);
    if !target.pass_roles.is_empty() {
        let mut pass = statement("PassTaskRoles", &["iam:PassRole"], json!(target.pass_roles));
        pass["Condition"] =
            json!({ "StringEquals": { "iam:PassedToService": "ecs-tasks.amazonaws.com" } });
        statements.push(pass);
    }
    if let Some(site) = &target.site {
        statements.push(statement(
            "SiteList",
            &["s3:ListBucket"],
            json!(format!("arn:{p}:s3:::{}", site.bucket)),
        ));
        statements.push(statement(
            "SiteObjects",
            &["s3:DeleteObject", "s3:PutObject"],
            json!(format!("arn:{p}:s3:::{}/*", site.bucket)),
        ));
        if let Some(distribution) = &site.distribution {
            statements.push(statement(
                "SiteInvalidate",
                &[
                    "cloudfront:CreateInvalidation",
                    "cloudfront:GetInvalidation",
                ],
                json!(format!(
                    "arn:{p}:cloudfront::{}:distribution/{distribution}",
                    target.account
                )),
            ));
        }
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The resources and output `ci github` puts in `stack`: by logical id.
pub fn ci_resources(
    stack: &str,
    provider: &Provider,
    repo: &GithubRepo,
    branch: &str,
    target: &CiTarget,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut resources = Map::new();
    let tags = json!([{ "Key": STACK_TAG, "Value": stack }]);
    let federated = match provider {
        Provider::Existing { arn } => json!(arn),
        Provider::InStack => {
            // Account-wide and shared by every repository's role: kept if the stack goes.
            resources.insert(
                PROVIDER_ID.to_string(),
                json!({
                    "Type": "AWS::IAM::OIDCProvider",
                    "DeletionPolicy": "Retain",
                    "UpdateReplacePolicy": "Retain",
                    "Properties": {
                        "Url": format!("https://{GITHUB_OIDC_HOST}"),
                        "ClientIdList": [GITHUB_OIDC_AUDIENCE],
                        "Tags": tags,
                    }
                }),
            );
            json!({ "Ref": PROVIDER_ID })
        }
    };
    resources.insert(
        ROLE_ID.to_string(),
        json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "Description": format!(
                    "GitHub Actions deploys of {}/{} ({branch}) to {}/{}, made by opsdeck ci github",
                    repo.owner, repo.name, target.cluster, target.service
                ),
                "MaxSessionDuration": 3600,
                "AssumeRolePolicyDocument": trust_policy(federated, repo, branch),
                "Policies": [{
                    "PolicyName": POLICY_NAME,
                    "PolicyDocument": permissions_policy(target),
                }],
                "Tags": tags,
            }
        }),
    );
    let mut outputs = Map::new();
    outputs.insert(
        ROLE_OUTPUT.to_string(),
        json!({
            "Description": "The role the GitHub Actions workflow assumes (role-to-assume)",
            "Value": { "Fn::GetAtt": [ROLE_ID, "Arn"] },
        }),
    );
    (resources, outputs)
}

/// Keeps what `opsdeck ci github` added to a deployed stack (resources and outputs named
/// `Ci...`) in the template a later `opsdeck bootstrap` update submits, so a bootstrap
/// update never deletes the CI role. The new template's own entries win; a deployed
/// template that is not JSON carries nothing.
pub fn carry_ci_resources(deployed_template_json: &str, new_template: &mut Value) {
    let Ok(deployed) = serde_json::from_str::<Value>(deployed_template_json) else {
        return;
    };
    for section in ["Resources", "Outputs"] {
        let Some(carried) = deployed.get(section).and_then(Value::as_object) else {
            continue;
        };
        let Some(template) = new_template.as_object_mut() else {
            return;
        };
        let target = template
            .entry(section)
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(target) = target.as_object_mut() else {
            continue;
        };
        for (id, body) in carried {
            if id.starts_with(CI_PREFIX) && !target.contains_key(id) {
                target.insert(id.clone(), body.clone());
            }
        }
    }
}

/// `template` with its `Ci...` resources and outputs replaced by `resources` and `outputs`.
pub fn with_ci_resources(
    template: &Value,
    resources: &Map<String, Value>,
    outputs: &Map<String, Value>,
) -> Value {
    let mut template = template.clone();
    if !template.is_object() {
        template = json!({});
    }
    for (section, ours) in [("Resources", resources), ("Outputs", outputs)] {
        let entry = template
            .as_object_mut()
            .map(|t| t.entry(section).or_insert_with(|| json!({})));
        if let Some(Value::Object(existing)) = entry {
            existing.retain(|id, _| !id.starts_with(CI_PREFIX));
            existing.extend(ours.clone());
        }
    }
    template
}

/// The template of a stack of its own (`<stack>-ci`) for a stack opsdeck did not make.
pub fn own_template(
    resources: &Map<String, Value>,
    outputs: &Map<String, Value>,
    for_stack: &str,
) -> Value {
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "GitHub Actions deploy role for {for_stack}, made by opsdeck ci github"
        ),
        "Resources": resources,
        "Outputs": outputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::ci::SiteTarget;

    fn target() -> CiTarget {
        CiTarget {
            stack: "umami".into(),
            partition: "aws".into(),
            region: "eu-west-2".into(),
            account: "123456789012".into(),
            cluster: "umami".into(),
            service: "web".into(),
            container: "web".into(),
            repository: "umami".into(),
            family: "umami".into(),
            pass_roles: vec!["arn:aws:iam::123456789012:role/umami-execution".into()],
            site: Some(SiteTarget {
                bucket: "umami-frontend".into(),
                distribution: Some("E2ABC".into()),
            }),
        }
    }

    fn repo() -> GithubRepo {
        GithubRepo {
            owner: "acme".into(),
            name: "umami".into(),
        }
    }

    #[test]
    fn the_trust_names_one_branch_of_one_repository_and_the_sts_audience() {
        let (resources, _) = ci_resources("umami", &Provider::InStack, &repo(), "main", &target());
        let trust = &resources[ROLE_ID]["Properties"]["AssumeRolePolicyDocument"];
        let statements = trust["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1);
        let only = &statements[0];
        assert_eq!(only["Action"], "sts:AssumeRoleWithWebIdentity");
        assert_eq!(
            only["Principal"]["Federated"],
            json!({ "Ref": PROVIDER_ID })
        );
        let conditions = only["Condition"].as_object().unwrap();
        assert_eq!(conditions.keys().collect::<Vec<_>>(), vec!["StringEquals"]);
        assert_eq!(
            conditions["StringEquals"],
            json!({
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:acme/umami:ref:refs/heads/main",
            })
        );
        assert!(!trust.to_string().contains('*'), "no wildcard: {trust}");
    }

    #[test]
    fn an_existing_provider_is_named_and_not_created_again() {
        let arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";
        let provider = Provider::Existing { arn: arn.into() };
        let (resources, outputs) = ci_resources("umami", &provider, &repo(), "main", &target());
        assert!(!resources.contains_key(PROVIDER_ID));
        assert_eq!(
            resources[ROLE_ID]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
                ["Federated"],
            arn
        );
        assert!(outputs.contains_key(ROLE_OUTPUT));
    }

    #[test]
    fn permissions_are_scoped_to_the_stack_wherever_iam_allows() {
        let policy = permissions_policy(&target());
        let by_sid = |sid: &str| {
            policy["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == sid)
                .cloned()
                .unwrap_or_else(|| panic!("no {sid} in {policy:#}"))
        };
        assert_eq!(
            by_sid("EcsService")["Resource"],
            "arn:aws:ecs:eu-west-2:123456789012:service/umami/web"
        );
        assert_eq!(
            by_sid("EcrPushAndResolve")["Resource"],
            "arn:aws:ecr:eu-west-2:123456789012:repository/umami"
        );
        let pass = by_sid("PassTaskRoles");
        assert_eq!(
            pass["Resource"],
            json!(["arn:aws:iam::123456789012:role/umami-execution"])
        );
        assert_eq!(
            pass["Condition"]["StringEquals"]["iam:PassedToService"],
            "ecs-tasks.amazonaws.com"
        );
        assert_eq!(
            by_sid("SiteObjects")["Resource"],
            "arn:aws:s3:::umami-frontend/*"
        );
        assert_eq!(
            by_sid("SiteInvalidate")["Resource"],
            "arn:aws:cloudfront::123456789012:distribution/E2ABC"
        );
        // Only the statements IAM cannot scope use "*".
        let unscoped: Vec<String> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["Resource"] == "*")
            .map(|s| s["Sid"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(unscoped, vec!["EcrLogin", "EcsRevisions"]);
        assert!(!policy.to_string().contains("iam:*"));
    }

    #[test]
    fn a_bootstrap_update_carries_the_ci_resources_and_output() {
        let (resources, outputs) =
            ci_resources("umami", &Provider::InStack, &repo(), "main", &target());
        let deployed = with_ci_resources(
            &json!({ "Resources": { "Vpc": { "Type": "AWS::EC2::VPC" } }, "Outputs": {} }),
            &resources,
            &outputs,
        );
        let mut next = json!({
            "Resources": { "Vpc": { "Type": "AWS::EC2::VPC" }, "Cluster": { "Type": "AWS::ECS::Cluster" } },
            "Outputs": { "AppUrl": { "Value": "x" } },
        });
        carry_ci_resources(&deployed.to_string(), &mut next);
        let mut ids: Vec<&String> = next["Resources"].as_object().unwrap().keys().collect();
        ids.sort();
        assert_eq!(
            ids,
            vec!["CiDeployRole", "CiGithubOidcProvider", "Cluster", "Vpc"]
        );
        assert!(next["Outputs"].get(ROLE_OUTPUT).is_some());
        assert!(next["Outputs"].get("AppUrl").is_some());
        // A template that is not JSON carries nothing, and changes nothing.
        let before = next.clone();
        carry_ci_resources("Resources: {}", &mut next);
        assert_eq!(next, before);
    }
}
