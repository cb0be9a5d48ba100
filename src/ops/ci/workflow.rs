//! The GitHub Actions workflow, from a typed description: every action pinned by commit,
//! least permissions, values reach shell scripts only through `env:` (never `${{ }}` inside
//! `run:`), and every script fails the job when opsdeck does.

use super::GithubRepo;

/// A third-party action, pinned by the full commit SHA of a release tag (read from the
/// action's repository, never typed by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub name: &'static str,
    pub sha: &'static str,
    pub tag: &'static str,
}

pub const CHECKOUT: Action = Action {
    name: "actions/checkout",
    sha: "3d3c42e5aac5ba805825da76410c181273ba90b1",
    tag: "v7.0.1",
};
pub const CONFIGURE_AWS_CREDENTIALS: Action = Action {
    name: "aws-actions/configure-aws-credentials",
    sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c",
    tag: "v6.2.3",
};
pub const ECR_LOGIN: Action = Action {
    name: "aws-actions/amazon-ecr-login",
    sha: "03f1aad4c6c7ffd436567f42f9384779290529bd",
    tag: "v2.1.7",
};
pub const CACHE: Action = Action {
    name: "actions/cache",
    sha: "27d5ce7f107fe9357f9df03efb73ab90386fccae",
    tag: "v5.0.5",
};
pub const SETUP_NODE: Action = Action {
    name: "actions/setup-node",
    sha: "820762786026740c76f36085b0efc47a31fe5020",
    tag: "v7.0.0",
};

/// Where the workflow installs opsdeck from: the README's Install section says the same.
pub const OPSDECK_GIT: &str = env!("CARGO_PKG_REPOSITORY");

/// Everything the workflow is written from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowSpec {
    pub repo: GithubRepo,
    pub branch: String,
    /// The stack's name, for the concurrency group and the job's name.
    pub stack: String,
    pub role_arn: String,
    pub region: String,
    pub cluster: String,
    pub service: String,
    pub container: String,
    /// The ECR repository the image is pushed to (the one the container runs from).
    pub repository: String,
    pub site: Option<SiteSpec>,
    /// The opsdeck version the install is cached under.
    pub opsdeck_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSpec {
    pub bucket: String,
    pub distribution: Option<String>,
    /// The build's output, relative to the repository root (`frontend/dist`); the build
    /// runs `npm ci` and `npm run build` in its parent directory.
    pub dir: String,
}

impl SiteSpec {
    /// The directory holding the frontend's package.json: the output directory's parent.
    pub fn source_dir(&self) -> String {
        match self.dir.trim_end_matches('/').rsplit_once('/') {
            Some((parent, _)) if !parent.is_empty() => parent.to_string(),
            _ => ".".to_string(),
        }
    }
}

/// A YAML scalar that means exactly `text`: a JSON string is a YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

struct Step {
    name: &'static str,
    id: Option<&'static str>,
    condition: Option<&'static str>,
    uses: Option<Action>,
    with: Vec<(&'static str, String)>,
    env: Vec<(&'static str, String)>,
    working_directory: Option<String>,
    run: Option<String>,
}

impl Step {
    fn new(name: &'static str) -> Step {
        Step {
            name,
            id: None,
            condition: None,
            uses: None,
            with: Vec::new(),
            env: Vec::new(),
            working_directory: None,
            run: None,
        }
    }

    fn render(&self, out: &mut String) {
        out.push_str(&format!("      - name: {}\n", quoted(self.name)));
        if let Some(id) = self.id {
            out.push_str(&format!("        id: {id}\n"));
        }
        if let Some(condition) = self.condition {
            out.push_str(&format!("        if: {condition}\n"));
        }
        if let Some(action) = self.uses {
            out.push_str(&format!(
                "        uses: {}@{} # {}\n",
                action.name, action.sha, action.tag
            ));
        }
        for (key, pairs) in [("with", &self.with), ("env", &self.env)] {
            if pairs.is_empty() {
                continue;
            }
            out.push_str(&format!("        {key}:\n"));
            for (name, value) in pairs {
                out.push_str(&format!("          {name}: {value}\n"));
            }
        }
        if let Some(dir) = &self.working_directory {
            out.push_str(&format!("        working-directory: {}\n", quoted(dir)));
        }
        if let Some(run) = &self.run {
            out.push_str("        run: |\n");
            for line in run.lines() {
                out.push_str(&format!("          {line}\n"));
            }
        }
    }
}

/// The workflow file's text.
pub fn render(spec: &WorkflowSpec) -> String {
    let mut steps = vec![
        Step {
            with: vec![("persist-credentials", "false".into())],
            uses: Some(CHECKOUT),
            ..Step::new("Check out")
        },
        Step {
            uses: Some(CONFIGURE_AWS_CREDENTIALS),
            with: vec![
                ("role-to-assume", quoted(&spec.role_arn)),
                ("aws-region", quoted(&spec.region)),
            ],
            ..Step::new("AWS credentials (OIDC, no stored keys)")
        },
        Step {
            id: Some("ecr"),
            uses: Some(ECR_LOGIN),
            ..Step::new("Log in to ECR")
        },
        Step {
            env: vec![
                ("REGISTRY", "${{ steps.ecr.outputs.registry }}".into()),
                ("IMAGE_TAG", "${{ github.sha }}".into()),
            ],
            run: Some(
                "docker build --tag \"$REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG\" .\n\
                 docker push \"$REGISTRY/$ECR_REPOSITORY:$IMAGE_TAG\""
                    .into(),
            ),
            ..Step::new("Build and push the image")
        },
        Step {
            id: Some("opsdeck-cache"),
            uses: Some(CACHE),
            with: vec![
                ("path", "~/.cargo/bin/opsdeck".into()),
                (
                    "key",
                    format!(
                        "opsdeck-${{{{ runner.os }}}}-{}",
                        spec.opsdeck_version.replace(
                            |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
                            ""
                        )
                    ),
                ),
            ],
            ..Step::new("Cache opsdeck")
        },
        Step {
            condition: Some("steps.opsdeck-cache.outputs.cache-hit != 'true'"),
            env: vec![("OPSDECK_GIT", quoted(OPSDECK_GIT))],
            run: Some("cargo install --locked --git \"$OPSDECK_GIT\" opsdeck".into()),
            ..Step::new("Install opsdeck")
        },
        Step {
            env: vec![("IMAGE_TAG", "${{ github.sha }}".into())],
            run: Some(
                "opsdeck --cluster \"$ECS_CLUSTER\" --service \"$ECS_SERVICE\" deploy \\\n  \
                 --image \"$IMAGE_TAG\" --container \"$ECS_CONTAINER\" \\\n  \
                 --wait --rollback-on-failure --yes"
                    .into(),
            ),
            ..Step::new("Deploy to ECS and watch the rollout")
        },
    ];
    if let Some(site) = &spec.site {
        steps.push(Step {
            uses: Some(SETUP_NODE),
            with: vec![("node-version", quoted("lts/*"))],
            ..Step::new("Set up Node.js")
        });
        steps.push(Step {
            working_directory: Some(site.source_dir()),
            run: Some("npm ci\nnpm run build".into()),
            ..Step::new("Build the frontend")
        });
        let mut env = vec![
            ("SITE_DIR", quoted(&site.dir)),
            ("SITE_BUCKET", quoted(&site.bucket)),
        ];
        let distribution = match &site.distribution {
            Some(id) => {
                env.push(("SITE_DISTRIBUTION", quoted(id)));
                " --distribution \"$SITE_DISTRIBUTION\""
            }
            None => "",
        };
        steps.push(Step {
            env,
            run: Some(format!(
                "opsdeck site deploy \"$SITE_DIR\" --bucket \"$SITE_BUCKET\"{distribution} \\\n  \
                 --delete --wait --yes"
            )),
            ..Step::new("Deploy the frontend")
        });
    }

    let mut out = String::new();
    out.push_str(&format!(
        "# Written by `opsdeck ci github --repo {}/{} --branch {}` (opsdeck {}).\n\
         # On every push to {}: build the image, push it to ECR tagged with the commit, deploy it\n\
         # to ECS and watch the rollout (a failed one is rolled back and fails the job){}.\n\
         # The job assumes an IAM role that only this repository's {} branch can assume.\n",
        spec.repo.owner,
        spec.repo.name,
        spec.branch,
        spec.opsdeck_version,
        spec.branch,
        if spec.site.is_some() {
            "; then\n# build the frontend and upload it to S3 behind CloudFront"
        } else {
            ""
        },
        spec.branch,
    ));
    out.push_str(&format!(
        "name: {}\n\n\
         on:\n  push:\n    branches:\n      - {}\n  workflow_dispatch:\n\n\
         permissions: {{}}\n\n\
         # One deploy at a time; a newer push waits for the running one instead of cancelling it\n\
         # mid-rollout.\n\
         concurrency:\n  group: {}\n  cancel-in-progress: false\n\n",
        quoted(&format!("Deploy {}", spec.stack)),
        quoted(&spec.branch),
        quoted(&format!("opsdeck-deploy-{}", spec.stack)),
    ));
    out.push_str(&format!(
        "jobs:\n  deploy:\n    name: {}\n    runs-on: ubuntu-latest\n    timeout-minutes: 60\n\
         \x20   permissions:\n      contents: read # to check the code out\n      \
         id-token: write # to assume the AWS role with GitHub's OIDC token, no stored keys\n\
         \x20   defaults:\n      run:\n        shell: bash\n\
         \x20   env:\n      AWS_REGION: {}\n      ECR_REPOSITORY: {}\n      ECS_CLUSTER: {}\n      \
         ECS_SERVICE: {}\n      ECS_CONTAINER: {}\n    steps:\n",
        quoted(&format!("Deploy to {}/{}", spec.cluster, spec.service)),
        quoted(&spec.region),
        quoted(&spec.repository),
        quoted(&spec.cluster),
        quoted(&spec.service),
        quoted(&spec.container),
    ));
    for (i, step) in steps.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        step.render(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_runs_in_the_output_directorys_parent() {
        let site = |dir: &str| SiteSpec {
            bucket: "b".into(),
            distribution: None,
            dir: dir.into(),
        };
        assert_eq!(site("frontend/dist").source_dir(), "frontend");
        assert_eq!(site("dist").source_dir(), ".");
        assert_eq!(site("apps/web/build/").source_dir(), "apps/web");
    }

    #[test]
    fn values_are_quoted_so_yaml_reads_them_as_given() {
        assert_eq!(quoted("main"), "\"main\"");
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
    }
}
