//! `opsdeck ci github` against moto_server, the real binary: on a stack `opsdeck bootstrap`
//! made, the OIDC provider and the role join it (and a later bootstrap keeps them); on a
//! stack built by hand they go in `<stack>-ci`, trusting a provider the account has
//! already without making another; `--plan` and read-only leave the account and the
//! repository as they were.
//!
//! moto 5.2.5's CloudFormation has no AWS::IAM::OIDCProvider; the harness adds it (see
//! tests/common/moto_server.py).

#[path = "common/moto.rs"]
mod moto;

use std::path::Path;

use moto::{Moto, REGION, build_umami, image_manifest, push_image, register_rich_task_definition};
use serde_json::Value;

const IMAGE: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami:v2.13.2";
const SUBJECT: &str = "repo:acme/shop:ref:refs/heads/main";

fn answers(desired: u32) -> String {
    format!(
        r#"name = "umami"
region = "{REGION}"

[network]
cidr = "10.0.0.0/16"
azs = 2
nat = "single"

[service]
image = "umami"
port = 3000
health_check = "/api/heartbeat"
cpu = 512
memory = 1024
desired = {desired}

[database]
kind = "postgres"
version = "17.6"
class = "db.t3.micro"
storage_gb = 20
multi_az = false
backup_days = 7
deletion_protection = false
"#
    )
}

async fn stack_names(moto: &Moto) -> Vec<String> {
    let config = moto.sdk_config().await;
    let stacks = aws_sdk_cloudformation::Client::new(&config)
        .list_stacks()
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = stacks
        .stack_summaries()
        .iter()
        .filter(|s| s.stack_status().map(|x| x.as_str()) != Some("DELETE_COMPLETE"))
        .filter_map(|s| s.stack_name().map(str::to_string))
        .collect();
    names.sort();
    names
}

async fn providers(moto: &Moto) -> Vec<String> {
    let config = moto.sdk_config().await;
    aws_sdk_iam::Client::new(&config)
        .list_open_id_connect_providers()
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(str::to_string))
        .collect()
}

async fn role_names(moto: &Moto) -> Vec<String> {
    let config = moto.sdk_config().await;
    aws_sdk_iam::Client::new(&config)
        .list_roles()
        .send()
        .await
        .unwrap()
        .roles()
        .iter()
        .map(|r| r.role_name().to_string())
        .collect()
}

/// IAM answers policy documents URL-encoded.
fn decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// The role's trust policy as IAM holds it, found from its ARN.
async fn trust_of(moto: &Moto, role_arn: &str) -> Value {
    let config = moto.sdk_config().await;
    let name = role_arn.rsplit('/').next().unwrap();
    let role = aws_sdk_iam::Client::new(&config)
        .get_role()
        .role_name(name)
        .send()
        .await
        .unwrap();
    let document = role.role().unwrap().assume_role_policy_document().unwrap();
    let text = if document.trim_start().starts_with('{') {
        document.to_string()
    } else {
        decoded(document)
    };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

async fn logical_ids(moto: &Moto, stack: &str) -> Vec<String> {
    let config = moto.sdk_config().await;
    let mut ids: Vec<String> = aws_sdk_cloudformation::Client::new(&config)
        .list_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .unwrap()
        .stack_resource_summaries()
        .iter()
        .filter_map(|r| r.logical_resource_id().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

fn outcome(run: &moto::Run) -> Value {
    run.json_lines()
        .into_iter()
        .find(|l| l["event"] == "outcome")
        .unwrap_or_else(|| panic!("no outcome: {}", run.explain()))
}

fn ci<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "ci",
        "github",
        "--repo",
        "acme/shop",
        "--branch",
        "main",
        "--json",
        "--output",
        out,
    ];
    args.extend(extra);
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_bootstrapped_stack_the_role_joins_it_and_a_later_bootstrap_keeps_it() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("stack.toml");
    std::fs::write(&file, answers(1)).unwrap();
    let file = file.to_str().unwrap();
    let applied = moto.opsdeck(
        home.path(),
        &["bootstrap", "--apply", "--yes", "--file", file],
    );
    assert_eq!(applied.code, 0, "{}", applied.explain());
    // The stack's repository gets an image (as a first `docker push` would) and the
    // service runs it (a bootstrap on an empty repository starts at 0 tasks).
    let config = moto.sdk_config().await;
    let ecr = aws_sdk_ecr::Client::new(&config);
    push_image(&ecr, "umami", &image_manifest(7, 1000), "v2.13.2").await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let revision = register_rich_task_definition(&ecs, "umami", IMAGE).await;
    ecs.update_service()
        .cluster("umami")
        .service("umami")
        .task_definition(&revision)
        .send()
        .await
        .unwrap();
    let out = home.path().join("repo/.github/workflows/deploy.yml");
    let out = out.to_str().unwrap();
    let stacks_before = stack_names(&moto).await;
    assert_eq!(stacks_before, vec!["umami".to_string()]);
    assert!(providers(&moto).await.is_empty());

    // --plan: the role and its trust, and nothing made.
    let plan = moto.opsdeck(
        home.path(),
        &[&["--stack", "umami"][..], &ci(out, &["--plan"])].concat(),
    );
    assert_eq!(plan.code, 0, "{}", plan.explain());
    let shown = &plan.json_lines()[0];
    assert_eq!(shown["stack"], "umami", "{shown:#}");
    assert_eq!(shown["home"]["kind"], "bootstrap", "{shown:#}");
    assert_eq!(shown["workflow_file"], "absent", "{shown:#}");
    assert_eq!(shown["creates_provider"], true);
    assert_eq!(
        shown["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"],
        SUBJECT
    );
    let changes: Vec<&str> = shown["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["logical_id"].as_str().unwrap())
        .collect();
    assert_eq!(changes, vec!["CiDeployRole", "CiGithubOidcProvider"]);
    assert_eq!(stack_names(&moto).await, stacks_before);
    assert!(
        providers(&moto).await.is_empty(),
        "--plan creates no provider"
    );
    assert!(!Path::new(out).exists(), "--plan writes no workflow");
    let roles_before = role_names(&moto).await;

    // The apply: into the bootstrap stack, through a change set.
    let run = moto.opsdeck(
        home.path(),
        &[&["--stack", "umami"][..], &ci(out, &["--yes"])].concat(),
    );
    assert_eq!(run.code, 0, "{}", run.explain());
    let end = outcome(&run);
    assert_eq!(end["stack"], "umami");
    assert_eq!(end["provider_created"], true);
    let role_arn = end["role_arn"].as_str().unwrap().to_string();
    assert_eq!(stack_names(&moto).await, stacks_before, "no other stack");
    let ids = logical_ids(&moto, "umami").await;
    assert!(ids.contains(&"CiDeployRole".to_string()), "{ids:?}");
    assert!(ids.contains(&"CiGithubOidcProvider".to_string()), "{ids:?}");
    let made = providers(&moto).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(made[0].ends_with(":oidc-provider/token.actions.githubusercontent.com"));
    assert_eq!(role_names(&moto).await.len(), roles_before.len() + 1);
    let trust = trust_of(&moto, &role_arn).await;
    let condition = &trust["Statement"][0]["Condition"]["StringEquals"];
    assert_eq!(
        condition["token.actions.githubusercontent.com:sub"], SUBJECT,
        "{trust:#}"
    );
    assert_eq!(
        condition["token.actions.githubusercontent.com:aud"],
        "sts.amazonaws.com"
    );
    assert_eq!(
        trust["Statement"][0]["Principal"]["Federated"],
        made[0].as_str()
    );
    let workflow = std::fs::read_to_string(out).unwrap();
    assert!(workflow.contains(&role_arn), "{workflow}");
    assert!(workflow.contains("ECR_REPOSITORY: \"umami\""), "{workflow}");

    // The same again changes nothing and keeps the file.
    let again = moto.opsdeck(
        home.path(),
        &[&["--stack", "umami"][..], &ci(out, &["--yes"])].concat(),
    );
    assert_eq!(again.code, 0, "{}", again.explain());
    let end = outcome(&again);
    assert_eq!(end["no_changes"], true, "{end:#}");
    assert_eq!(end["workflow"]["file"], "unchanged");
    assert_eq!(providers(&moto).await.len(), 1);

    // A later bootstrap with a changed answer changes only that: the role stays. (The same
    // answers again would be refused by moto 5.2.5 itself, "No updates are to be
    // performed", where AWS gives an empty change set.)
    let changed = home.path().join("stack-2.toml");
    std::fs::write(&changed, answers(2)).unwrap();
    let changed = changed.to_str().unwrap();
    let plan = moto.opsdeck(
        home.path(),
        &["bootstrap", "--plan", "--json", "--file", changed],
    );
    assert_eq!(plan.code, 0, "{}", plan.explain());
    let shown = &plan.json_lines()[0];
    assert_eq!(shown["kind"], "UPDATE", "{shown:#}");
    let touched: Vec<&str> = shown["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["logical_id"].as_str().unwrap())
        .collect();
    assert!(!touched.is_empty(), "{shown:#}");
    assert!(
        touched.iter().all(|id| !id.starts_with("Ci")),
        "{touched:?}"
    );
    let rerun = moto.opsdeck(
        home.path(),
        &["bootstrap", "--apply", "--yes", "--file", changed],
    );
    assert_eq!(rerun.code, 0, "{}", rerun.explain());
    let ids = logical_ids(&moto, "umami").await;
    assert!(ids.contains(&"CiDeployRole".to_string()), "{ids:?}");
    assert_eq!(providers(&moto).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_stack_built_by_hand_it_makes_a_ci_stack_trusting_the_accounts_provider() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let umami = build_umami(&config, "umami", 0).await;
    let revision = register_rich_task_definition(&ecs, "umami", IMAGE).await;
    ecs.update_service()
        .cluster(&umami.cluster)
        .service(&umami.service)
        .task_definition(&revision)
        .send()
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("deploy.yml");
    let out = out.to_str().unwrap();
    let flags = ["--cluster", "umami", "--service", "umami"];

    // Read-only: refused in the cloud layer, nothing made, nothing written.
    let refused = moto.opsdeck(
        home.path(),
        &[&["--read-only"][..], &flags, &ci(out, &["--yes"])].concat(),
    );
    assert_eq!(refused.code, 2, "{}", refused.explain());
    assert!(
        refused.stderr.contains("read-only"),
        "{}",
        refused.explain()
    );
    assert!(stack_names(&moto).await.is_empty());
    assert!(providers(&moto).await.is_empty());
    assert!(!Path::new(out).exists());

    // The account trusts GitHub already (made by hand): the role names that provider.
    let iam = aws_sdk_iam::Client::new(&config);
    let existing = iam
        .create_open_id_connect_provider()
        .url("https://token.actions.githubusercontent.com")
        .client_id_list("sts.amazonaws.com")
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_arn()
        .unwrap()
        .to_string();
    let run = moto.opsdeck(home.path(), &[&flags[..], &ci(out, &["--yes"])].concat());
    assert_eq!(run.code, 0, "{}", run.explain());
    let shown = &run.json_lines()[0];
    assert_eq!(shown["stack"], "umami-ci", "{shown:#}");
    assert_eq!(shown["kind"], "CREATE");
    assert_eq!(shown["creates_provider"], false);
    assert_eq!(shown["existing_provider"], existing.as_str());
    let end = outcome(&run);
    assert_eq!(end["provider_created"], false);
    assert_eq!(stack_names(&moto).await, vec!["umami-ci".to_string()]);
    assert_eq!(
        providers(&moto).await,
        vec![existing.clone()],
        "no second provider"
    );
    assert_eq!(
        logical_ids(&moto, "umami-ci").await,
        vec!["CiDeployRole".to_string()]
    );
    let stack = aws_sdk_cloudformation::Client::new(&config)
        .describe_stacks()
        .stack_name("umami-ci")
        .send()
        .await
        .unwrap();
    let tags: Vec<(String, String)> = stack.stacks()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    assert!(
        tags.contains(&("opsdeck:stack".to_string(), "umami-ci".to_string())),
        "{tags:?}"
    );
    let role_arn = end["role_arn"].as_str().unwrap();
    let trust = trust_of(&moto, role_arn).await;
    assert_eq!(
        trust["Statement"][0]["Principal"]["Federated"],
        existing.as_str()
    );
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"],
        SUBJECT
    );
    assert!(std::fs::read_to_string(out).unwrap().contains(role_arn));

    // Another branch: the role's trust changes, the file differs and --yes replaces it.
    let other = moto.opsdeck(
        home.path(),
        &[
            &flags[..],
            &[
                "ci",
                "github",
                "--repo",
                "acme/shop",
                "--branch",
                "release",
                "--json",
                "--output",
                out,
                "--yes",
            ][..],
        ]
        .concat(),
    );
    assert_eq!(other.code, 0, "{}", other.explain());
    let end = outcome(&other);
    assert_eq!(end["workflow"]["file"], "replaced", "{end:#}");
    assert_eq!(providers(&moto).await.len(), 1);
    assert!(
        std::fs::read_to_string(out)
            .unwrap()
            .contains("- \"release\"")
    );
}
