//! Bootstrap's workflow on the sandbox's CloudFormation stand-in, on a manual clock: the
//! dynamics moto cannot show (resources created over minutes with events, a failed create
//! rolled back, an apply killed part-way and re-attached), teardown's final snapshot, and
//! the CLI as a script runs it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use opsdeck::cloud::Cloud;
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::model::StackStatus;
use opsdeck::ops::audit::Audit;
use opsdeck::ops::bootstrap::Answers;
use opsdeck::ops::bootstrap::provision::{self, ApplyProgress, Existing};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stack.example.toml");

fn start() -> (Arc<Sandbox>, Cloud) {
    let sandbox = Sandbox::new(
        Scenario::Empty,
        11,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let cloud = sandbox.cloud();
    (sandbox, cloud)
}

fn example() -> Answers {
    Answers::load(Path::new(EXAMPLE)).unwrap()
}

/// Collects what the follower reports.
#[derive(Default)]
struct Seen(Mutex<Vec<ApplyProgress>>);

impl Seen {
    fn sink(&self) -> impl Fn(ApplyProgress) + Send + Sync + '_ {
        |p| self.0.lock().unwrap().push(p)
    }

    fn events(&self) -> Vec<(String, String)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|p| match p {
                ApplyProgress::Event { line } => {
                    Some((line.logical_id.clone(), line.status.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

async fn apply(cloud: &Cloud, answers: &Answers, seen: &Seen) -> provision::ApplyOutcome {
    let prepared = provision::prepare(cloud, answers).await.unwrap();
    let plan = provision::plan(cloud, &prepared).await.unwrap();
    let sink = seen.sink();
    provision::apply(cloud, &plan, &Audit::disabled(), "eu-west-2", &sink)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_create_is_followed_event_by_event_and_a_re_run_changes_nothing() {
    let (sandbox, cloud) = start();
    let started = sandbox.now();
    let seen = Seen::default();
    let outcome = apply(&cloud, &example(), &seen).await;
    assert!(outcome.succeeded, "{outcome:#?}");
    assert_eq!(outcome.status, StackStatus::CreateComplete);
    assert_eq!(outcome.exit_code(), 0);
    assert_eq!(outcome.url(), Some("https://analytics.example.com"));
    // Every resource of the model got a row that ended CREATE_COMPLETE.
    let prepared = provision::prepare(&cloud, &example()).await.unwrap();
    assert_eq!(outcome.board.rows.len(), prepared.model.resources.len());
    assert!(
        outcome
            .board
            .rows
            .iter()
            .all(|r| r.status == "CREATE_COMPLETE")
    );
    // The database takes minutes, and its row says how long.
    let db = outcome
        .board
        .rows
        .iter()
        .find(|r| r.logical_id == "Database")
        .unwrap();
    let took = db.elapsed_ms(0).unwrap();
    assert!(took >= 6 * 60_000, "RDS took {took} ms");
    assert!(sandbox.now() - started >= 6 * 60_000);
    let events = seen.events();
    let first_db = events.iter().position(|(id, _)| id == "Database").unwrap();
    let vpc_done = events
        .iter()
        .position(|(id, s)| id == "Vpc" && s == "CREATE_COMPLETE")
        .unwrap();
    assert!(
        vpc_done < first_db,
        "the VPC exists before the database starts"
    );

    // The same answers again: no change set to execute.
    let plan = provision::plan(&cloud, &prepared).await.unwrap();
    assert!(plan.is_empty(), "{plan:#?}");
    assert!(matches!(prepared.existing, Existing::Ready { .. }));
    let again = provision::apply(&cloud, &plan, &Audit::disabled(), "eu-west-2", &|_| {})
        .await
        .unwrap();
    assert!(again.no_changes && again.succeeded);

    // A changed answer: only its difference.
    let mut changed = example();
    changed.service.health_check = "/health".into();
    let prepared = provision::prepare(&cloud, &changed).await.unwrap();
    let plan = provision::plan(&cloud, &prepared).await.unwrap();
    let changed: Vec<&str> = plan.changes.iter().map(|c| c.logical_id.as_str()).collect();
    assert_eq!(changed, vec!["TargetGroup"], "{plan:#?}");
    provision::discard(&cloud, &plan).await.unwrap();
}

#[tokio::test]
async fn a_killed_apply_is_re_attached_and_followed_from_the_start_of_its_operation() {
    let (sandbox, cloud) = start();
    let prepared = provision::prepare(&cloud, &example()).await.unwrap();
    let plan = provision::plan(&cloud, &prepared).await.unwrap();
    // The apply executed the change set and was killed: CloudFormation goes on alone.
    cloud
        .stacks
        .execute_change_set(&plan.stack_id, plan.change_set.as_ref().unwrap())
        .await
        .unwrap();
    sandbox.advance(90_000);

    let existing = provision::inspect(&cloud, "umami").await.unwrap();
    let Existing::Busy { stack } = existing else {
        panic!("expected a stack in progress, got {existing:?}");
    };
    assert_eq!(stack.status, StackStatus::CreateInProgress);
    // Planning a busy stack is refused with what to do.
    let refused = provision::plan(
        &cloud,
        &provision::prepare(&cloud, &example()).await.unwrap(),
    )
    .await
    .unwrap_err();
    assert!(refused.0.contains("--apply` follows it"), "{refused}");

    let seen = Seen::default();
    let sink = seen.sink();
    let outcome = provision::reattach(&cloud, &stack, &sink).await.unwrap();
    assert!(outcome.succeeded, "{outcome:#?}");
    let events = seen.events();
    // The events from before the re-attach are replayed: the VPC finished in the first
    // 90 seconds, and its whole story is there.
    assert!(events.contains(&("Vpc".into(), "CREATE_IN_PROGRESS".into())));
    assert!(events.contains(&("Vpc".into(), "CREATE_COMPLETE".into())));
    assert_eq!(
        events
            .iter()
            .filter(|(id, s)| id == "Vpc" && s == "CREATE_COMPLETE")
            .count(),
        1,
        "each event once"
    );
    let stacks = cloud.stacks.describe_stack("umami").await.unwrap().unwrap();
    assert_eq!(stacks.status, StackStatus::CreateComplete);
}

#[tokio::test]
async fn a_failed_create_names_its_cause_and_what_was_rolled_back_then_teardown_clears_it() {
    let (sandbox, cloud) = start();
    sandbox.fail_next_resource("AWS::RDS::DBInstance");
    let seen = Seen::default();
    let outcome = apply(&cloud, &example(), &seen).await;
    assert!(!outcome.succeeded);
    assert_eq!(outcome.exit_code(), 3);
    assert_eq!(outcome.status, StackStatus::RollbackComplete);
    let first = outcome.first_failure.as_ref().unwrap();
    assert_eq!(first.logical_id, "Database");
    assert!(
        first
            .reason
            .as_deref()
            .unwrap()
            .contains("Cannot find version"),
        "{first:?}"
    );
    assert!(
        outcome.rolled_back.contains(&"Vpc".to_string()),
        "{outcome:#?}"
    );

    // The stack is stuck: explained, with what to do.
    let refusal = provision::plan(
        &cloud,
        &provision::prepare(&cloud, &example()).await.unwrap(),
    )
    .await
    .unwrap_err();
    assert!(refusal.0.contains("ROLLBACK_COMPLETE"), "{refusal}");
    assert!(
        refusal.0.contains("opsdeck teardown --stack umami"),
        "{refusal}"
    );
    assert!(refusal.0.contains("Database"), "{refusal}");

    let plan = provision::plan_teardown(&cloud, "umami").await.unwrap();
    let gone = provision::teardown(&cloud, &plan, &Audit::disabled(), "eu-west-2", &|_| {})
        .await
        .unwrap();
    assert_eq!(gone.status, StackStatus::DeleteComplete);
    assert_eq!(gone.exit_code(), 0, "{gone:#?}");

    // And the name is free again.
    let outcome = apply(&cloud, &example(), &Seen::default()).await;
    assert!(outcome.succeeded, "{outcome:#?}");
}

#[tokio::test]
async fn teardown_keeps_the_final_snapshot_by_name_and_nothing_else() {
    let (_sandbox, cloud) = start();
    assert!(apply(&cloud, &example(), &Seen::default()).await.succeeded);
    let plan = provision::plan_teardown(&cloud, "umami").await.unwrap();
    assert!(
        plan.keeps.iter().any(|k| k.contains("final snapshot")),
        "{plan:#?}"
    );
    let seen = Seen::default();
    let sink = seen.sink();
    let outcome = provision::teardown(&cloud, &plan, &Audit::disabled(), "eu-west-2", &sink)
        .await
        .unwrap();
    assert_eq!(outcome.status, StackStatus::DeleteComplete, "{outcome:#?}");
    assert_eq!(outcome.left, vec![], "{outcome:#?}");
    let kept: Vec<(&str, &str)> = outcome
        .kept
        .iter()
        .map(|k| (k.resource.resource_type.as_str(), k.name.as_str()))
        .collect();
    assert_eq!(kept, vec![("rds:snapshot", "umami-database-final")]);
    assert_eq!(outcome.exit_code(), 0);
    let snapshot = cloud
        .rds
        .describe_db_snapshot("umami-database-final")
        .await
        .unwrap();
    assert_eq!(snapshot.status, "available");
    assert!(
        seen.events()
            .contains(&("Database".into(), "DELETE_COMPLETE".into()))
    );
    assert_eq!(cloud.stacks.describe_stack("umami").await.unwrap(), None);
}

fn opsdeck(home: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_cli_plans_and_applies_in_the_empty_scenario() {
    let home = tempfile::tempdir().unwrap();
    fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        [&["--scenario", "empty", "--speed", "500"][..], extra].concat()
    }

    let (code, stdout, stderr) = opsdeck(
        home.path(),
        &with(&["bootstrap", "--plan", "--json", "--file", EXAMPLE]),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let plan: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(plan["kind"], "CREATE");
    assert!(plan["cost"]["monthly_usd"].as_f64().unwrap() > 50.0);
    assert!(!plan["resources"].as_array().unwrap().is_empty());

    let (code, _, stderr) = opsdeck(
        home.path(),
        &with(&["bootstrap", "--apply", "--file", EXAMPLE]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("pass --yes"), "{stderr}");

    // Read-only is refused in the cloud layer, before any change set exists.
    let (code, _, stderr) = opsdeck(
        home.path(),
        &with(&[
            "--read-only",
            "bootstrap",
            "--apply",
            "--yes",
            "--file",
            EXAMPLE,
        ]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("read-only: cloudformation:CreateChangeSet"),
        "{stderr}"
    );

    let (code, stdout, stderr) = opsdeck(
        home.path(),
        &with(&["bootstrap", "--apply", "--yes", "--json", "--file", EXAMPLE]),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["progress"] == "event" && l["line"]["logical_id"] == "Database")
    );
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "outcome");
    let audit = std::fs::read_to_string(home.path().join("state/opsdeck/audit.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!(line["action"], "bootstrap");
    assert_eq!(line["result"], "succeeded: CREATE_COMPLETE");
    assert_eq!(line["exit_code"], 0);
    assert_eq!(last["status"], "CREATE_COMPLETE");
    assert_eq!(last["url"], "https://analytics.example.com");
    assert_eq!(last["exit_code"], 0);
    // The everyday config file is left alone in the sandbox...
    assert!(!home.path().join("config/opsdeck/config.toml").exists());
    // ... and one named with --config is written.
    let named = home.path().join("session.toml");
    std::fs::write(&named, "# mine\n").unwrap();
    let named_arg = named.to_str().unwrap();
    let (code, stdout, stderr) = opsdeck(
        home.path(),
        &with(&[
            "--config",
            named_arg,
            "bootstrap",
            "--apply",
            "--yes",
            "--file",
            EXAMPLE,
        ]),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let written = std::fs::read_to_string(&named).unwrap();
    assert!(
        written.starts_with("# mine\n") && written.contains("[stacks.umami]"),
        "{written}"
    );

    // A bad answer file: file, line, field, exit 2, nothing made.
    let bad = home.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"umami\"\n[network]\ncidr = \"10.0.0.0/33\"\n",
    )
    .unwrap();
    let (code, _, stderr) = opsdeck(
        home.path(),
        &with(&[
            "bootstrap",
            "--apply",
            "--yes",
            "--file",
            bad.to_str().unwrap(),
        ]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bad.toml:3:"), "{stderr}");
    assert!(stderr.contains("network.cidr"), "{stderr}");
}

/// The example stack with a static site at its `*.cloudfront.net` name, a single-page app.
fn example_with_site() -> Answers {
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    Answers::parse(
        &format!("{text}\n[site]\nspa = true\n"),
        Path::new("stack.toml"),
    )
    .unwrap()
}

#[tokio::test]
async fn a_site_is_made_deployed_to_from_the_outputs_and_torn_down_with_its_files() {
    use opsdeck::model::{InvalidationStatus, OriginAccess, OriginKind, ViewerProtocol};
    use opsdeck::ops::site::{self, SiteOptions, SiteTarget, SiteVerdict};

    let (sandbox, cloud) = start();
    let seen = Seen::default();
    let outcome = apply(&cloud, &example_with_site(), &seen).await;
    assert!(outcome.succeeded, "{outcome:#?}");
    // The distribution takes minutes, like CloudFront's.
    let distribution_row = outcome
        .board
        .rows
        .iter()
        .find(|r| r.logical_id == "SiteDistribution")
        .unwrap();
    assert!(distribution_row.elapsed_ms(0).unwrap() >= 3 * 60_000);

    // What the config file remembers comes from the outputs, and names what was made.
    let remembered = outcome.site_config().unwrap();
    let distribution_id = remembered.distribution.clone().unwrap();
    let url = outcome.site_url().unwrap();
    assert!(
        url.starts_with("https://d") && url.ends_with(".cloudfront.net"),
        "{url}"
    );
    let access = cloud.site.bucket_access(&remembered.bucket).await.unwrap();
    assert!(access.public_access_blocked);
    let policy: serde_json::Value = serde_json::from_str(&access.policy.unwrap()).unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(
        statement["Principal"]["Service"],
        "cloudfront.amazonaws.com"
    );
    assert_eq!(
        statement["Condition"]["StringEquals"]["AWS:SourceArn"],
        format!("arn:aws:cloudfront::123456789012:distribution/{distribution_id}")
    );
    assert_eq!(
        statement["Resource"],
        format!("arn:aws:s3:::{}/*", remembered.bucket)
    );
    let distribution = cloud.site.distribution(&distribution_id).await.unwrap();
    assert!(distribution.is_deployed());
    assert_eq!(
        distribution.viewer_protocol,
        ViewerProtocol::RedirectToHttps
    );
    assert_eq!(
        distribution.default_root_object.as_deref(),
        Some("index.html")
    );
    assert_eq!(url, format!("https://{}", distribution.domain_name));
    let [origin] = distribution.origins.as_slice() else {
        panic!("{distribution:#?}");
    };
    let OriginKind::Bucket { bucket, access } = &origin.kind else {
        panic!("{origin:#?}");
    };
    assert_eq!(bucket, &remembered.bucket);
    assert!(matches!(access, OriginAccess::Oac(id) if id.starts_with('E')));

    // A build goes up to it and its invalidation completes.
    let build = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(build.path().join("assets")).unwrap();
    std::fs::write(build.path().join("index.html"), "<!doctype html>site").unwrap();
    std::fs::write(build.path().join("assets/app-Q1w2E3r4.js"), "1").unwrap();
    let target = SiteTarget {
        bucket: remembered.bucket.clone(),
        distribution: remembered.distribution.clone(),
    };
    let plan = site::plan_deploy(&cloud, &target, build.path(), false)
        .await
        .unwrap();
    let options = SiteOptions {
        wait: true,
        timeout_ms: 15 * 60_000,
    };
    let deployed = site::deploy::deploy(
        &cloud,
        &target,
        &plan,
        &options,
        &Audit::disabled(),
        "eu-west-2",
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(deployed.verdict, SiteVerdict::Done);
    assert_eq!(deployed.uploaded, 2);
    // Nothing was served before: nothing to invalidate.
    assert_eq!(deployed.invalidation, None);
    // A new page is, and its invalidation completes over CloudFront's minute and a half.
    std::fs::write(build.path().join("index.html"), "<!doctype html>site v2").unwrap();
    let plan = site::plan_deploy(&cloud, &target, build.path(), false)
        .await
        .unwrap();
    let redeployed = site::deploy::deploy(
        &cloud,
        &target,
        &plan,
        &options,
        &Audit::disabled(),
        "eu-west-2",
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(redeployed.verdict, SiteVerdict::Done);
    let invalidation = redeployed.invalidation.unwrap();
    assert_eq!(invalidation.status, InvalidationStatus::Completed);
    assert!(invalidation.paths.contains(&"/index.html".to_string()));

    // DeleteStack alone fails on the bucket's files, as on AWS...
    let stack = cloud.stacks.describe_stack("umami").await.unwrap().unwrap();
    cloud.stacks.delete_stack(&stack.id).await.unwrap();
    let failed = provision::follow(&cloud, &stack.id, None, &|_| {})
        .await
        .unwrap();
    assert_eq!(failed.status, StackStatus::DeleteFailed, "{failed:#?}");
    let cause = failed.first_failure.unwrap();
    assert_eq!(cause.logical_id, "SiteBucket");
    assert!(
        cause
            .cause()
            .contains("bucket you tried to delete is not empty"),
        "{cause:?}"
    );

    // ... so teardown says it will empty it, does, and the stack goes.
    let plan = provision::plan_teardown(&cloud, "umami").await.unwrap();
    assert_eq!(plan.site_buckets, vec![(remembered.bucket.clone(), 2)]);
    assert!(
        plan.first_steps()
            .iter()
            .any(|s| s.contains("holds 2 objects") && s.contains(&remembered.bucket)),
        "{:?}",
        plan.first_steps()
    );
    let gone = provision::teardown(&cloud, &plan, &Audit::disabled(), "eu-west-2", &|_| {})
        .await
        .unwrap();
    assert_eq!(gone.status, StackStatus::DeleteComplete, "{gone:#?}");
    assert_eq!(gone.exit_code(), 0, "{gone:#?}");
    assert!(
        gone.steps
            .iter()
            .any(|s| s.starts_with("emptied the site bucket") && s.contains("2 objects")),
        "{:?}",
        gone.steps
    );
    assert!(cloud.site.bucket_access(&remembered.bucket).await.is_err());
    assert!(cloud.site.distribution(&distribution_id).await.is_err());
    let _ = sandbox;
}

#[tokio::test]
async fn a_site_name_outside_us_east_1_gets_its_certificate_from_a_companion_stack_first() {
    let (sandbox, cloud) = start();
    let text = std::fs::read_to_string(EXAMPLE).unwrap();
    let answers = Answers::parse(
        &format!("{text}\n[site]\ndomain = \"www.example.com\"\n"),
        Path::new("stack.toml"),
    )
    .unwrap();

    // A plan alone makes nothing in us-east-1, and says what the apply will do.
    let prepared = provision::prepare(&cloud, &answers).await.unwrap();
    assert!(
        prepared
            .notes
            .iter()
            .any(|n| n.contains("umami-edge") && n.contains("us-east-1")),
        "{:?}",
        prepared.notes
    );
    let plan = provision::plan(&cloud, &prepared).await.unwrap();
    assert_eq!(plan.edge.as_ref().unwrap().stack, "umami-edge");
    provision::discard(&cloud, &plan).await.unwrap();
    assert_eq!(
        cloud
            .edge_stacks
            .describe_stack("umami-edge")
            .await
            .unwrap(),
        None
    );
    // The reserved name goes in a moment.
    sandbox.advance(60_000);

    let seen = Seen::default();
    let outcome = apply(&cloud, &answers, &seen).await;
    assert!(outcome.succeeded, "{outcome:#?}");
    assert_eq!(outcome.site_url(), Some("https://www.example.com"));
    let edge = cloud
        .edge_stacks
        .describe_stack("umami-edge")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(edge.status, StackStatus::CreateComplete);
    let certificate = edge
        .outputs
        .iter()
        .find(|(k, _)| k == "CertificateArn")
        .map(|(_, v)| v.clone())
        .unwrap();
    // The certificate was issued before the stack that uses it started.
    let events = seen.events();
    let issued = events
        .iter()
        .position(|(id, s)| id == "SiteCertificate" && s == "CREATE_COMPLETE")
        .unwrap();
    let first_main = events.iter().position(|(id, _)| id == "Vpc").unwrap();
    assert!(issued < first_main, "{events:?}");
    let distribution = cloud
        .site
        .distribution(&outcome.site_config().unwrap().distribution.unwrap())
        .await
        .unwrap();
    assert_eq!(distribution.aliases, vec!["www.example.com".to_string()]);
    assert_eq!(
        distribution.certificate.as_deref(),
        Some(certificate.as_str())
    );

    // The same answers again: the companion's certificate is used, nothing changes.
    let prepared = provision::prepare(&cloud, &answers).await.unwrap();
    assert!(prepared.edge.is_none());
    let again = provision::plan(&cloud, &prepared).await.unwrap();
    assert!(again.is_empty(), "{again:#?}");

    // Teardown deletes the companion after the stack.
    let plan = provision::plan_teardown(&cloud, "umami").await.unwrap();
    assert!(
        plan.first_steps().iter().any(|s| s.contains("umami-edge")),
        "{:?}",
        plan.first_steps()
    );
    let gone = provision::teardown(&cloud, &plan, &Audit::disabled(), "eu-west-2", &|_| {})
        .await
        .unwrap();
    assert_eq!(gone.exit_code(), 0, "{gone:#?}");
    assert!(
        gone.steps
            .iter()
            .any(|s| s.starts_with("deleted the stack umami-edge")),
        "{:?}",
        gone.steps
    );
    assert_eq!(
        cloud
            .edge_stacks
            .describe_stack("umami-edge")
            .await
            .unwrap(),
        None
    );
}
