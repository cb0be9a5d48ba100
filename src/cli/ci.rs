//! The CLI face of `opsdeck ci github`: the repository and branch checked, the plan printed
//! (the role's trust and permissions), a confirmation, CloudFormation followed as lines or
//! JSON, then the workflow file written. The workflow logic is in `ops::ci`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;
use serde_json::json;

use super::bootstrap::Printer;
use super::release::{Ask, ask, print_json};
use super::{CiGithubArgs, ConfirmArgs};
use crate::cloud::Cloud;
use crate::model::{ChangeSetKind, StackRef};
use crate::ops::audit::Audit;
use crate::ops::bootstrap::provision::ApplyProgress;
use crate::ops::ci::workflow::{self, SiteSpec, WorkflowSpec};
use crate::ops::ci::{self, CiPlan, GithubRepo, Home, SiteTarget};

const EXIT_REFUSED: u8 = 2;

fn refused(message: impl std::fmt::Display) -> u8 {
    eprintln!("opsdeck: {message}");
    EXIT_REFUSED
}

/// The repository: `--repo`, else the `origin` remote of the git repository here.
pub fn repository(args: &CiGithubArgs) -> Result<GithubRepo, String> {
    if let Some(text) = &args.repo {
        return GithubRepo::parse(text);
    }
    let output = Command::new("git")
        .args(["remote", "get-url", "origin"])
        .output()
        .map_err(|error| {
            format!("--repo not given and git cannot be run ({error}): pass --repo OWNER/NAME")
        })?;
    let url = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() || url.is_empty() {
        return Err(
            "--repo not given and this directory has no git remote named origin: pass --repo \
             OWNER/NAME"
                .into(),
        );
    }
    GithubRepo::from_remote(&url).ok_or_else(|| {
        format!(
            "--repo not given and the origin remote ({url}) is not a GitHub repository: pass \
             --repo OWNER/NAME"
        )
    })
}

/// Checks the flags that need no account: the repository, the branch, the site directory.
pub fn check_args(args: &CiGithubArgs) -> Result<GithubRepo, String> {
    let repo = repository(args)?;
    ci::check_branch(&args.branch)?;
    let dir = args.site_dir.trim();
    if dir.is_empty()
        || dir.starts_with('/')
        || dir.split('/').any(|part| part == "..")
        || !dir
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
    {
        return Err(format!(
            "--site-dir {dir:?}: give the build output's path inside the repository (frontend/dist), \
             of letters, digits and . _ - /"
        ));
    }
    Ok(repo)
}

/// `.github/workflows/deploy.yml` at the top of the git repository (or the current directory).
pub fn workflow_path(args: &CiGithubArgs) -> PathBuf {
    if let Some(path) = &args.output {
        return path.clone();
    }
    let top = Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    top.join(".github/workflows/deploy.yml")
}

/// What `ci github` needs besides its flags.
#[derive(Debug, Clone)]
pub struct Context {
    pub audit: Audit,
    /// The named stack's `site`, from the config file.
    pub site: Option<SiteTarget>,
}

/// What became of the workflow file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum FileState {
    Absent,
    Same,
    Different,
}

fn file_state(path: &Path, text: Option<&str>) -> FileState {
    match std::fs::read_to_string(path) {
        Err(_) => FileState::Absent,
        Ok(existing) if Some(existing.as_str()) == text => FileState::Same,
        Ok(_) => FileState::Different,
    }
}

fn spec(plan: &CiPlan, role_arn: &str, site_dir: &str) -> WorkflowSpec {
    let target = &plan.target;
    WorkflowSpec {
        repo: plan.repo.clone(),
        branch: plan.branch.clone(),
        stack: target.stack.clone(),
        role_arn: role_arn.to_string(),
        region: target.region.clone(),
        cluster: target.cluster.clone(),
        service: target.service.clone(),
        container: target.container.clone(),
        repository: target.repository.clone(),
        site: target.site.as_ref().map(|site| SiteSpec {
            bucket: site.bucket.clone(),
            distribution: site.distribution.clone(),
            dir: site_dir.trim().trim_end_matches('/').to_string(),
        }),
        opsdeck_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

fn plan_text(plan: &CiPlan, path: &Path) -> String {
    let mut text = String::new();
    let target = &plan.target;
    text.push_str(&format!(
        "GitHub {} ({}) deploys {}/{} (container {}, image from ECR repository {}){}.\n",
        plan.repo,
        plan.branch,
        target.cluster,
        target.service,
        target.container,
        target.repository,
        target
            .site
            .as_ref()
            .map_or_else(String::new, |site| format!(
                " and the site s3://{}{}",
                site.bucket,
                site.distribution
                    .as_ref()
                    .map_or_else(String::new, |d| format!(" behind CloudFront {d}"))
            )),
    ));
    match &plan.home {
        Home::Bootstrap { stack } => text.push_str(&format!(
            "The role joins stack {} (made by opsdeck bootstrap).\n",
            stack.name
        )),
        Home::Own { name, stack: None } => text.push_str(&format!(
            "The role goes in a new stack {name} (the service's stack was not made by opsdeck).\n"
        )),
        Home::Own { name, .. } => text.push_str(&format!("The role is in stack {name}.\n")),
    }
    match (&plan.existing_provider, plan.creates_provider) {
        (Some(arn), _) => text.push_str(&format!(
            "OIDC provider: the account's own, {arn} (not created again).\n"
        )),
        (None, true) => text.push_str(
            "OIDC provider: the account has none for token.actions.githubusercontent.com; the \
             stack creates it (kept if the stack is deleted: other repositories may trust it).\n",
        ),
        (None, false) => text.push_str("OIDC provider: the stack's own, made on an earlier run.\n"),
    }
    text.push_str(&format!(
        "\nTrust policy (only tokens whose sub is exactly {}):\n{:#}\n",
        plan.subject, plan.trust_policy
    ));
    text.push_str(&format!(
        "\nPermissions (policy {}):\n{:#}\n",
        ci::role::POLICY_NAME,
        plan.permissions_policy
    ));
    if plan.changes.is_empty() {
        text.push_str(&format!(
            "\nStack {}: nothing to change.\n",
            plan.home.name()
        ));
    } else {
        text.push_str(&format!("\nStack {}:\n", plan.home.name()));
        for change in &plan.changes {
            let mark = match change.action {
                "add" => '+',
                "remove" => '-',
                _ => '~',
            };
            text.push_str(&format!(
                "  {mark} {:<6} {:<24} {}\n",
                change.action, change.resource_type, change.logical_id
            ));
        }
    }
    text.push_str(&format!("Workflow: {}\n", path.display()));
    text
}

#[derive(Serialize)]
struct PlanLine<'a> {
    event: &'static str,
    stack: &'a str,
    kind: ChangeSetKind,
    workflow: String,
    /// The workflow file as it stands: `absent`, `same` (up to date) or `different`.
    workflow_file: FileState,
    #[serde(flatten)]
    plan: &'a CiPlan,
}

/// `opsdeck ci github`.
pub async fn github(
    cloud: &Cloud,
    stack: &StackRef,
    repo: &GithubRepo,
    args: &CiGithubArgs,
    context: &Context,
) -> u8 {
    let path = workflow_path(args);
    let plan = match ci::plan(cloud, stack, repo, &args.branch, context.site.clone()).await {
        Ok(plan) => plan,
        Err(refusal) => return refused(refusal),
    };
    // The workflow as it will be, when the role's ARN is known already.
    let known = plan
        .role_arn
        .as_ref()
        .map(|arn| workflow::render(&spec(&plan, arn, &args.site_dir)));
    let state = file_state(&path, known.as_deref());
    if args.json {
        print_json(&PlanLine {
            event: "plan",
            stack: plan.home.name(),
            kind: plan.home.kind(),
            workflow: path.display().to_string(),
            workflow_file: state,
            plan: &plan,
        });
    } else {
        print!("{}", plan_text(&plan, &path));
    }
    if args.plan {
        let said = match state {
            FileState::Absent => "would be written",
            FileState::Same => "is up to date",
            FileState::Different => {
                "exists and differs: it would be replaced (with --yes, or when you say so)"
            }
        };
        if !args.json {
            println!("{} {said}.", path.display());
            println!("Plan only: nothing was changed.");
        }
        return 0;
    }
    if !(plan.is_empty() && state == FileState::Same) {
        let mut question = if plan.is_empty() {
            String::new()
        } else {
            format!(
                "{} stack {} ({} changes) and ",
                match plan.home.kind() {
                    ChangeSetKind::Create => "Create",
                    ChangeSetKind::Update => "Update",
                },
                plan.home.name(),
                plan.changes.len()
            )
        };
        question.push_str(&match state {
            FileState::Different => format!("replace {} (it differs)?", path.display()),
            _ => format!("write {}?", path.display()),
        });
        let mut chars = question.chars();
        let question = chars
            .next()
            .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
            .unwrap_or_default();
        let confirm = ConfirmArgs {
            yes: args.yes,
            json: args.json,
        };
        if let Err(message) = ask(&confirm, &question, Ask::YesNo) {
            return refused(message);
        }
    }
    let printer = Printer { json: args.json };
    let sink = |progress: ApplyProgress| printer.progress(progress);
    let applied = match ci::apply(cloud, &plan, &context.audit, &sink).await {
        Ok(applied) => applied,
        Err(refusal) => return refused(refusal),
    };
    let Some(role_arn) = applied.role_arn.clone().filter(|_| applied.succeeded) else {
        let cause = applied
            .outcome
            .as_ref()
            .and_then(|o| o.first_failure.as_ref())
            .map(|line| line.cause());
        if args.json {
            print_json(&json!({
                "event": "outcome",
                "stack": applied.stack,
                "status": applied.status,
                "first_failure": cause,
                "workflow": null,
                "exit_code": applied.exit_code(),
            }));
        } else {
            println!("FAILED: stack {} {}.", applied.stack, applied.status);
            if let Some(cause) = cause {
                println!("  First failure: {cause}");
            }
            println!("  The workflow was not written.");
        }
        return applied.exit_code();
    };
    let text = workflow::render(&spec(&plan, &role_arn, &args.site_dir));
    let before = file_state(&path, Some(&text));
    let written = if before == FileState::Same {
        Ok(())
    } else {
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, &text))
    };
    if let Err(error) = written {
        return refused(format!(
            "the role is ready ({role_arn}) but the workflow could not be written to {}: {error}",
            path.display()
        ));
    }
    let file = match before {
        FileState::Absent => "written",
        FileState::Same => "unchanged",
        FileState::Different => "replaced",
    };
    if args.json {
        print_json(&json!({
            "event": "outcome",
            "stack": applied.stack,
            "status": applied.status,
            "no_changes": applied.no_changes,
            "role_arn": role_arn,
            "provider_created": plan.creates_provider && !applied.no_changes,
            "workflow": { "path": path.display().to_string(), "file": file },
            "exit_code": 0,
        }));
    } else {
        if applied.no_changes {
            println!(
                "Nothing changed: stack {} already has the role.",
                applied.stack
            );
        } else {
            println!("Done: stack {} {}.", applied.stack, applied.status);
        }
        println!("Role: {role_arn}");
        println!("Workflow {file}: {}", path.display());
        if before != FileState::Same {
            println!(
                "Commit it and push to {} to deploy: git add {} && git commit -m 'Deploy with opsdeck'",
                plan.branch,
                path.display()
            );
        }
    }
    0
}
