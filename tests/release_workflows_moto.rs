//! The release commands of the real binary against moto_server: what they change in the
//! emulator, what they refuse, and what they write to the audit log.
//!
//! moto schedules no tasks and records no deployment on UpdateService, so these run without
//! `--wait`; the watch is covered in the sandbox (tests/release_sandbox.rs) and the calls
//! moto lacks with aws-smithy-mocks (tests/release_mocks.rs).

#[path = "common/moto.rs"]
mod moto;

use std::path::Path;
use std::process::Command;

use aws_sdk_ecs::types::TaskDefinitionField;
use moto::{Moto, REGION, binary_env, build_umami, image_manifest, push_image};

const REGISTRY: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn opsdeck(endpoint: &str, home: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command
        .args(["--endpoint-url", endpoint, "--region", REGION])
        .args(["--cluster", "umami", "--service", "umami"])
        .args(args)
        .envs(binary_env(home))
        .stdin(std::process::Stdio::null());
    for name in moto::SCRUBBED_ENV {
        command.env_remove(name);
    }
    let output = command.output().expect("run opsdeck");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn service_definition(ecs: &aws_sdk_ecs::Client) -> String {
    ecs.describe_services()
        .cluster("umami")
        .services("umami")
        .send()
        .await
        .unwrap()
        .services()[0]
        .task_definition()
        .unwrap()
        .to_string()
}

async fn describe(ecs: &aws_sdk_ecs::Client, arn: &str) -> aws_sdk_ecs::types::TaskDefinition {
    ecs.describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap()
}

async fn revisions(ecs: &aws_sdk_ecs::Client) -> usize {
    ecs.list_task_definitions()
        .family_prefix("umami")
        .send()
        .await
        .unwrap()
        .task_definition_arns()
        .len()
}

fn audit(home: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(home.join("state/opsdeck/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit lines are JSON"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_pins_the_tag_rollback_goes_back_and_guards_refuse_before_any_change() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    build_umami(&config, "umami", 2).await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let ecr = aws_sdk_ecr::Client::new(&config);
    ecr.create_repository()
        .repository_name("umami")
        .send()
        .await
        .unwrap();
    push_image(&ecr, "umami", &image_manifest(1, 1000), "v1").await;
    let v2 = push_image(&ecr, "umami", &image_manifest(2, 2000), "v2").await;

    // The service runs an ECR image by tag, as a pipeline that pushed `v1` left it.
    let first = service_definition(&ecs).await;
    let cloud = opsdeck::cloud::aws::from_sdk_config(&config, None, None).unwrap();
    let on_ecr = cloud
        .ecs
        .register_image_revision(&first, "umami", &format!("{REGISTRY}/umami:v1"))
        .await
        .unwrap();
    ecs.update_service()
        .cluster("umami")
        .service("umami")
        .task_definition(&on_ecr.arn)
        .send()
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();

    // A tag that is not in the repository: refused, naming it and its tags; nothing changes.
    let before = revisions(&ecs).await;
    let unknown = opsdeck(
        &moto.endpoint,
        home.path(),
        &["deploy", "--image", "v9", "--yes"],
    );
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("umami") && unknown.stderr.contains("v2"),
        "{}",
        unknown.stderr
    );
    assert_eq!(revisions(&ecs).await, before, "no revision registered");

    // Read-only: refused in the cloud layer, audited, nothing registered or updated.
    let read_only = opsdeck(
        &moto.endpoint,
        home.path(),
        &["--read-only", "deploy", "--image", "v2", "--yes"],
    );
    assert_eq!(read_only.code, 2, "{}", read_only.stderr);
    assert!(
        read_only.stderr.contains("read-only"),
        "{}",
        read_only.stderr
    );
    assert_eq!(revisions(&ecs).await, before);
    assert_eq!(service_definition(&ecs).await, on_ecr.arn);

    // The deploy: a new revision of the service's own definition, pinned to v2's digest.
    let deployed = opsdeck(
        &moto.endpoint,
        home.path(),
        &["deploy", "--image", "v2", "--yes"],
    );
    assert_eq!(deployed.code, 0, "{}\n{}", deployed.stdout, deployed.stderr);
    let now = service_definition(&ecs).await;
    assert_ne!(now, on_ecr.arn, "UpdateService got the new revision");
    let (old, new) = (
        describe(&ecs, &on_ecr.arn).await,
        describe(&ecs, &now).await,
    );
    let image = new.container_definitions()[0].image().unwrap().to_string();
    assert_eq!(image, format!("{REGISTRY}/umami@{v2}"));
    assert_eq!(old.family(), new.family());
    assert_eq!(old.cpu(), new.cpu());
    assert_eq!(old.memory(), new.memory());
    assert_eq!(old.execution_role_arn(), new.execution_role_arn());
    assert_eq!(
        old.container_definitions()[0].environment(),
        new.container_definitions()[0].environment()
    );
    assert_eq!(
        old.container_definitions()[0].secrets(),
        new.container_definitions()[0].secrets()
    );

    // `revisions` marks the one running.
    let listed = opsdeck(&moto.endpoint, home.path(), &["revisions", "--json"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let running: Vec<&serde_json::Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["running"] == true)
        .collect();
    assert_eq!(running.len(), 1, "{listed}");
    assert_eq!(running[0]["arn"], now.as_str());

    // Rollback to a chosen revision: the one that ran before the deploy.
    let to = on_ecr.revision.to_string();
    let rolled = opsdeck(
        &moto.endpoint,
        home.path(),
        &["rollback", "--to", &to, "--yes"],
    );
    assert_eq!(rolled.code, 0, "{}\n{}", rolled.stdout, rolled.stderr);
    assert!(
        rolled.stdout.contains("image umami"),
        "the difference first:\n{}",
        rolled.stdout
    );
    assert_eq!(service_definition(&ecs).await, on_ecr.arn);

    // An INACTIVE revision is refused, though moto's UpdateService would take it.
    ecs.deregister_task_definition()
        .task_definition(&now)
        .send()
        .await
        .unwrap();
    let inactive = opsdeck(
        &moto.endpoint,
        home.path(),
        &["rollback", "--to", &now, "--yes"],
    );
    assert_eq!(inactive.code, 2, "{}", inactive.stderr);
    assert!(inactive.stderr.contains("INACTIVE"), "{}", inactive.stderr);
    assert_eq!(
        service_definition(&ecs).await,
        on_ecr.arn,
        "nothing changed"
    );

    // Every mutation and every refusal is one audit line, with before and after.
    let lines = audit(home.path());
    let actions: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l["action"].as_str().unwrap(), l["result"].as_str().unwrap()))
        .collect();
    assert_eq!(lines.len(), 5, "{actions:?}");
    assert!(actions[0].1.starts_with("refused"), "{actions:?}");
    assert!(actions[1].1.starts_with("refused"), "{actions:?}");
    let deploy = &lines[2];
    assert_eq!(deploy["action"], "deploy");
    assert_eq!(deploy["before"], on_ecr.arn.as_str());
    assert_eq!(deploy["after"], now.as_str());
    assert_eq!(deploy["account"], "123456789012");
    assert_eq!(deploy["region"], REGION);
    assert!(
        deploy["caller"].as_str().unwrap().starts_with("arn:aws:"),
        "the caller from STS: {deploy}"
    );
    assert_eq!(lines[3]["action"], "rollback");
    assert_eq!(lines[3]["after"], on_ecr.arn.as_str());
    assert!(actions[4].1.starts_with("refused"), "{actions:?}");
}
