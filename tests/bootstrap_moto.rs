//! `opsdeck bootstrap` and `opsdeck teardown` against moto_server: the real binary, from an
//! empty account to a stack that `opsdeck --stack NAME status` finds, a re-run that changes
//! nothing, a changed answer planned as only its difference, and a teardown that lists what
//! moto leaves behind.
//!
//! The answers have no `[domain]`: moto 5.2.5 has no CloudFormation support for
//! AWS::CertificateManager::Certificate, so the HTTPS listener's certificate reference is
//! empty and moto's listener handler fails. The HTTPS shape is checked by cfn-lint
//! (tests/bootstrap_template.rs) and applied in the sandbox (tests/bootstrap_sandbox.rs).

#[path = "common/moto.rs"]
mod moto;

use moto::{Moto, REGION};
use serde_json::Value;

async fn stack_names(moto: &Moto) -> Vec<(String, String)> {
    let config = moto.sdk_config().await;
    let stacks = aws_sdk_cloudformation::Client::new(&config)
        .list_stacks()
        .send()
        .await
        .unwrap();
    stacks
        .stack_summaries()
        .iter()
        .filter(|s| s.stack_status().map(|x| x.as_str()) != Some("DELETE_COMPLETE"))
        .map(|s| {
            (
                s.stack_name().unwrap_or_default().to_string(),
                s.stack_status()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// What the account holds that a duplicate apply would double.
async fn counts(moto: &Moto) -> (usize, usize, usize, usize) {
    let config = moto.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let vpcs = ec2.describe_vpcs().send().await.unwrap().vpcs().len();
    let nats = ec2
        .describe_nat_gateways()
        .send()
        .await
        .unwrap()
        .nat_gateways()
        .len();
    let clusters = aws_sdk_ecs::Client::new(&config)
        .list_clusters()
        .send()
        .await
        .unwrap()
        .cluster_arns()
        .len();
    let dbs = aws_sdk_rds::Client::new(&config)
        .describe_db_instances()
        .send()
        .await
        .unwrap()
        .db_instances()
        .len();
    (vpcs, nats, clusters, dbs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_an_empty_account_to_a_stack_that_status_finds_and_back() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("stack.toml");
    std::fs::write(&file, moto::stack_answers(2)).unwrap();
    let file = file.to_str().unwrap();
    let before = counts(&moto).await;

    // The plan: a change set, shown, then deleted with the stack name it reserved.
    let plan = moto.opsdeck(
        home.path(),
        &["bootstrap", "--plan", "--json", "--file", file],
    );
    assert_eq!(plan.code, 0, "{}", plan.explain());
    let lines = plan.json_lines();
    let shown = &lines[0];
    assert_eq!(shown["event"], "plan");
    assert_eq!(shown["kind"], "CREATE");
    assert_eq!(shown["no_changes"], false);
    let resources = shown["resources"].as_array().unwrap();
    assert!(resources.len() > 30, "{shown:#}");
    let adds = shown["changes"].as_array().unwrap();
    assert_eq!(adds.len(), resources.len(), "every resource is an Add");
    assert!(adds.iter().all(|c| c["action"] == "ADD"), "{adds:?}");
    let total = shown["cost"]["monthly_usd"].as_f64().unwrap();
    assert!((80.0..200.0).contains(&total), "{total}");
    assert_eq!(
        stack_names(&moto).await,
        vec![],
        "--plan leaves nothing behind"
    );
    assert_eq!(counts(&moto).await, before);

    // Without a terminal, --apply needs --yes, and nothing is made.
    let unasked = moto.opsdeck(home.path(), &["bootstrap", "--apply", "--file", file]);
    assert_eq!(unasked.code, 2, "{}", unasked.explain());
    assert!(unasked.stderr.contains("--yes"), "{}", unasked.explain());
    assert_eq!(stack_names(&moto).await, vec![]);

    // The apply.
    let applied = moto.opsdeck(
        home.path(),
        &["bootstrap", "--apply", "--yes", "--file", file],
    );
    assert_eq!(applied.code, 0, "{}", applied.explain());
    assert!(
        applied.stdout.contains("Done: stack umami CREATE_COMPLETE"),
        "{}",
        applied.explain()
    );
    assert!(
        applied.stdout.contains("CREATE_COMPLETE"),
        "{}",
        applied.explain()
    );
    let config_file = home.path().join("config/opsdeck/config.toml");
    let config = std::fs::read_to_string(&config_file).unwrap();
    assert!(config.contains("[stacks.umami]"), "{config}");
    assert!(config.contains("cluster = \"umami\""), "{config}");
    let after = counts(&moto).await;
    assert_eq!(after.0, before.0 + 1, "one VPC more");
    assert_eq!(after.1, before.1 + 1, "one NAT gateway (nat = single)");
    assert_eq!(after.2, before.2 + 1, "one ECS cluster");
    assert_eq!(after.3, before.3 + 1, "one database");

    // `opsdeck --stack umami` now finds it through the config file.
    let status = moto.opsdeck(home.path(), &["--stack", "umami", "status", "--json"]);
    assert!(status.code == 0 || status.code == 1, "{}", status.explain());
    let report: Value = serde_json::from_str(&status.stdout).unwrap();
    let network = &report["network"];
    assert_eq!(network["vpc"]["cidr"], "10.0.0.0/16", "{network:#}");
    let subnets: Vec<&str> = network["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(subnets.len(), 4, "{network:#}");
    assert_eq!(subnets.iter().filter(|n| n.contains("-public-")).count(), 2);
    assert_eq!(
        subnets.iter().filter(|n| n.contains("-private-")).count(),
        2
    );
    assert_eq!(network["nat_gateways"].as_array().unwrap().len(), 1);
    let ports: Vec<i64> = network["load_balancers"][0]["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["port"].as_i64())
        .collect();
    assert_eq!(ports, vec![80], "{network:#}");
    assert_eq!(
        network["databases"].as_array().unwrap().len(),
        1,
        "{network:#}"
    );
    assert_eq!(report["services"][0]["desired"], 2, "{report:#}");
    // Only what the answers imply: multi_az = false, no [domain] so no HTTPS. And one
    // moto cannot help:
    // it registers no task with the target group (OPS-FACTS), so none is healthy.
    let mut findings: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["title"].as_str())
        .collect();
    findings.sort_unstable();
    assert_eq!(
        findings,
        vec![
            "database is not Multi-AZ: an AZ outage takes it down",
            "load balancer has no HTTPS listener: traffic is unencrypted",
            "target group has no healthy target (0 registered)",
        ],
        "{report:#}"
    );

    // The same answers again: nothing new, and it says so.
    let again = moto.opsdeck(
        home.path(),
        &["bootstrap", "--apply", "--yes", "--file", file],
    );
    assert_eq!(again.code, 0, "{}", again.explain());
    assert!(
        again.stdout.contains("already matches the answers"),
        "{}",
        again.explain()
    );
    assert_eq!(counts(&moto).await, after, "a re-run creates nothing");
    assert_eq!(stack_names(&moto).await.len(), 1, "never a second stack");

    // A changed answer: a change set of only that difference.
    let changed_file = home.path().join("stack-3.toml");
    std::fs::write(&changed_file, moto::stack_answers(3)).unwrap();
    let changed = moto.opsdeck(
        home.path(),
        &[
            "bootstrap",
            "--plan",
            "--json",
            "--file",
            changed_file.to_str().unwrap(),
        ],
    );
    assert_eq!(changed.code, 0, "{}", changed.explain());
    let shown = &changed.json_lines()[0];
    assert_eq!(shown["kind"], "UPDATE", "{shown:#}");
    let changes: Vec<(&str, &str)> = shown["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap(),
                c["logical_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(changes, vec![("MODIFY", "Service")], "{shown:#}");

    // Teardown: DeleteStack, followed, then what still carries the tag.
    let teardown = moto.opsdeck(
        home.path(),
        &["--stack", "umami", "teardown", "--yes", "--json"],
    );
    println!("{}", teardown.explain());
    let lines = teardown.json_lines();
    let outcome = lines.last().unwrap();
    assert_eq!(outcome["event"], "outcome");
    let left = outcome["left"].as_array().unwrap();
    // moto stops part-way through the delete (a DependencyViolation on the VPC, answered
    // by DeleteStack itself) and leaves resources behind: teardown must say so and fail,
    // never report a clean delete.
    // (moto forgets the stack all the same: its status reads DELETE_COMPLETE.)
    assert_eq!(teardown.code, 3, "{}", teardown.explain());
    assert!(
        outcome["first_failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("DependencyViolation"),
        "{outcome:#}"
    );
    assert!(
        left.iter().any(|l| l["resource_type"] == "ec2:vpc"),
        "the VPC moto could not delete is listed: {outcome:#}"
    );
    let protection_off = outcome["steps"].as_array().unwrap().iter().any(|s| {
        s.as_str()
            .unwrap_or_default()
            .contains("deletion protection")
    });
    assert!(
        protection_off,
        "the protected database is unprotected first: {outcome:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_name_taken_by_someone_else_is_refused_before_anything_changes() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    aws_sdk_cloudformation::Client::new(&config)
        .create_stack()
        .stack_name("umami")
        .template_body(r#"{"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}}"#)
        .send()
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("stack.toml");
    std::fs::write(&file, moto::stack_answers(2)).unwrap();
    let run = moto.opsdeck(
        home.path(),
        &["bootstrap", "--plan", "--file", file.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.explain());
    assert!(
        run.stderr
            .contains("a CloudFormation stack named umami already exists"),
        "{}",
        run.explain()
    );
    let teardown = moto.opsdeck(home.path(), &["--stack", "umami", "teardown", "--yes"]);
    assert_eq!(teardown.code, 2, "{}", teardown.explain());
    assert!(
        teardown.stderr.contains("was not made by opsdeck"),
        "{}",
        teardown.explain()
    );
}

/// A small stack with a static site at its `*.cloudfront.net` name.
fn site_answers() -> String {
    format!(
        r#"name = "docs"
region = "{REGION}"

[service]
image = "nginx:1.27"
port = 80
desired = 1

[database]
kind = "none"

[site]
spa = true
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_is_bootstrapped_behind_an_oac_and_site_deploy_finds_it_with_no_flags() {
    let moto = Moto::start();
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("stack.toml");
    std::fs::write(&file, site_answers()).unwrap();
    let applied = moto.opsdeck(
        home.path(),
        &[
            "bootstrap",
            "--apply",
            "--yes",
            "--json",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(applied.code, 0, "{}", applied.explain());
    let outcome = applied
        .json_lines()
        .into_iter()
        .find(|l| l["event"] == "outcome")
        .unwrap();
    let bucket = outcome["outputs"]["SiteBucketName"]
        .as_str()
        .unwrap_or_else(|| panic!("{outcome:#}"))
        .to_string();
    let distribution_id = outcome["outputs"]["SiteDistributionId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        outcome["site_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://") && u.ends_with(".cloudfront.net")),
        "{outcome:#}"
    );

    // What CloudFormation made, as the services show it.
    let config = moto.sdk_config().await;
    let s3 = moto::s3_client(&config);
    let block = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    let block = block.public_access_block_configuration().unwrap();
    assert_eq!(
        (
            block.block_public_acls(),
            block.ignore_public_acls(),
            block.block_public_policy(),
            block.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let policy = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"][0]["Principal"]["Service"],
        "cloudfront.amazonaws.com"
    );
    assert!(
        policy["Statement"][0]["Condition"]["StringEquals"]["AWS:SourceArn"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":distribution/{distribution_id}")),
        "{policy:#}"
    );
    let cloudfront = aws_sdk_cloudfront::Client::new(&config);
    let controls = cloudfront
        .list_origin_access_controls()
        .send()
        .await
        .unwrap();
    let controls = controls
        .origin_access_control_list()
        .map(|l| l.items().to_vec())
        .unwrap_or_default();
    assert_eq!(controls.len(), 1, "{controls:?}");
    let control = &controls[0];
    assert_eq!(control.signing_protocol().as_str(), "sigv4");
    assert_eq!(control.signing_behavior().as_str(), "always");
    let listed = cloudfront.list_distributions().send().await.unwrap();
    let distributions = listed
        .distribution_list()
        .map(|l| l.items().to_vec())
        .unwrap_or_default();
    assert_eq!(distributions.len(), 1);
    let distribution = &distributions[0];
    assert_eq!(distribution.id(), distribution_id);
    let origin = &distribution.origins().unwrap().items()[0];
    assert_eq!(
        origin.domain_name(),
        format!("{bucket}.s3.{REGION}.amazonaws.com")
    );
    assert_eq!(origin.origin_access_control_id(), Some(control.id()));
    assert_eq!(
        distribution
            .default_cache_behavior()
            .unwrap()
            .viewer_protocol_policy()
            .as_str(),
        "redirect-to-https"
    );

    // The config file remembers the site, so a deploy needs no flag.
    let remembered =
        std::fs::read_to_string(home.path().join("config/opsdeck/config.toml")).unwrap();
    assert!(
        remembered.contains(&format!(
            "site = {{ bucket = \"{bucket}\", distribution = \"{distribution_id}\" }}"
        )),
        "{remembered}"
    );
    let build = home.path().join("dist");
    std::fs::create_dir_all(build.join("assets")).unwrap();
    std::fs::write(build.join("index.html"), "<!doctype html>docs").unwrap();
    std::fs::write(build.join("assets/app-Q1w2E3r4.js"), "1").unwrap();
    let deployed = moto.opsdeck(
        home.path(),
        &["site", "deploy", build.to_str().unwrap(), "--yes", "--json"],
    );
    assert_eq!(deployed.code, 0, "{}", deployed.explain());
    let objects = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    let mut keys: Vec<&str> = objects.contents().iter().filter_map(|o| o.key()).collect();
    keys.sort_unstable();
    assert_eq!(keys, vec!["assets/app-Q1w2E3r4.js", "index.html"]);
    // A changed page is invalidated on the remembered distribution.
    std::fs::write(build.join("index.html"), "<!doctype html>docs v2").unwrap();
    let redeployed = moto.opsdeck(
        home.path(),
        &["site", "deploy", build.to_str().unwrap(), "--yes", "--json"],
    );
    assert_eq!(redeployed.code, 0, "{}", redeployed.explain());
    let invalidations = cloudfront
        .list_invalidations()
        .distribution_id(&distribution_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        invalidations
            .invalidation_list()
            .map(|l| l.items().len())
            .unwrap_or_default(),
        1,
        "the deploy invalidated the distribution it remembered"
    );

    // Teardown empties the bucket first: the plan says so, and the bucket goes.
    let teardown = moto.opsdeck(
        home.path(),
        &["--stack", "docs", "teardown", "--yes", "--json"],
    );
    let lines = teardown.json_lines();
    assert_eq!(
        lines[0]["site_buckets"],
        serde_json::json!([[bucket.clone(), 2]]),
        "{}",
        teardown.explain()
    );
    let outcome = lines.last().unwrap();
    assert!(
        outcome["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().starts_with("emptied the site bucket")),
        "{}",
        teardown.explain()
    );
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(
        !buckets.buckets().iter().any(|b| b.name() == Some(&bucket)),
        "{}",
        teardown.explain()
    );
}
