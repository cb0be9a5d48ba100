//! `opsdeck status --json` describes the network: against moto through the real binary,
//! in the sandbox, and with no more AWS calls than before the network section existed.

#[path = "common/moto.rs"]
mod moto;

use std::collections::BTreeMap;
use std::process::Command;

use moto::{Moto, REGION, binary_env, build_umami};
use opsdeck::ops::status;
use serde_json::Value;

fn run(args: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command.args(args).envs(binary_env(home.path()));
    for name in moto::SCRUBBED_ENV {
        command.env_remove(name);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn moto_status(endpoint: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args = vec!["--endpoint-url", endpoint, "--region", REGION];
    args.extend(["--cluster", "umami", "--service", "umami", "status"]);
    args.extend(extra);
    run(&args)
}

/// What both backends' example stacks share: an ALB with :80 redirecting to :443 HTTPS
/// with a certificate, 2 public and 2 private subnets in 2 zones, one NAT, one IGW, one
/// alias record, one database.
fn assert_network_shape(network: &Value) {
    let lbs = network["load_balancers"].as_array().unwrap();
    assert_eq!(lbs.len(), 1, "{network:#}");
    let lb = &lbs[0];
    // moto leaves `Scheme` out when the creator does (AWS always says): only its key here.
    assert!(lb["scheme"].is_string());
    assert_eq!(lb["state"], "active");
    let listeners = lb["listeners"].as_array().unwrap();
    let ports: Vec<(u64, &str)> = listeners
        .iter()
        .map(|l| (l["port"].as_u64().unwrap(), l["protocol"].as_str().unwrap()))
        .collect();
    assert_eq!(ports, [(80, "HTTP"), (443, "HTTPS")], "sorted by port");
    let redirect = &listeners[0]["default_action"];
    assert_eq!(redirect["type"], "redirect");
    assert_eq!(redirect["protocol"], "HTTPS");
    assert_eq!(redirect["port"], "443");
    assert_eq!(redirect["status_code"], "HTTP_301");
    assert_eq!(listeners[0]["certificates"], serde_json::json!([]));
    let https = &listeners[1];
    assert_eq!(https["default_action"]["type"], "forward");
    assert_eq!(
        https["default_action"]["target_groups"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let certificates = https["certificates"].as_array().unwrap();
    assert_eq!(certificates.len(), 1);
    assert!(
        certificates[0]["arn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:acm:")
    );
    assert!(certificates[0]["status"].is_string(), "{certificates:#?}");

    let subnets = network["subnets"].as_array().unwrap();
    let seen: Vec<(&str, &str, bool)> = subnets
        .iter()
        .map(|s| {
            (
                s["availability_zone"].as_str().unwrap(),
                s["cidr"].as_str().unwrap(),
                s["public"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("eu-west-2a", "10.0.0.0/24", true),
            ("eu-west-2a", "10.0.10.0/24", false),
            ("eu-west-2b", "10.0.1.0/24", true),
            ("eu-west-2b", "10.0.11.0/24", false),
        ]
    );
    assert_eq!(network["vpc"]["cidr"], "10.0.0.0/16");

    let nats = network["nat_gateways"].as_array().unwrap();
    assert_eq!(nats.len(), 1);
    assert_eq!(nats[0]["availability_zone"], "eu-west-2a");
    assert_eq!(nats[0]["state"], "available");
    let public_a = subnets[0]["id"].clone();
    assert_eq!(
        nats[0]["subnet_id"], public_a,
        "the NAT sits in a public subnet"
    );
    assert_eq!(network["internet_gateways"].as_array().unwrap().len(), 1);

    let records = network["dns_records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["zone"], "example.com");
    assert_eq!(records[0]["type"], "A");

    let databases = network["databases"].as_array().unwrap();
    assert_eq!(databases.len(), 1);
    assert_eq!(databases[0]["id"], "umami-db");
    assert_eq!(databases[0]["port"], 5432);
    assert!(databases[0]["endpoint"].is_string());
    let keys: Vec<&String> = databases[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "endpoint", "port"], "never a password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_describes_the_network_of_the_moto_stack() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;

    let (code, stdout, stderr) = moto_status(&moto.endpoint, &["--json"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let network = &json["network"];
    println!("{network:#}");
    assert_network_shape(network);

    assert_eq!(network["url"], "https://umami.example.com");
    let lb = &network["load_balancers"][0];
    assert_eq!(lb["dns_name"], umami.load_balancer_dns.as_str());
    let https = &lb["listeners"][1];
    assert_eq!(https["certificates"][0]["arn"], umami.certificate.as_str());
    assert_eq!(https["certificates"][0]["domain"], "umami.example.com");
    assert_eq!(
        https["default_action"]["target_groups"][0],
        serde_json::json!({"name": "umami-tg", "arn": umami.target_group})
    );
    assert_eq!(network["vpc"]["id"], umami.vpc.as_str());
    let public: Vec<&str> = network["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["public"] == true)
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(public, umami.public_subnets);
    assert_eq!(network["nat_gateways"][0]["id"], umami.nat_gateway.as_str());
    assert_eq!(
        network["internet_gateways"],
        serde_json::json!([{"id": umami.internet_gateway}])
    );
    assert_eq!(network["dns_records"][0]["name"], umami.record.as_str());
    let described = aws_sdk_rds::Client::new(&config)
        .describe_db_instances()
        .db_instance_identifier(&umami.database)
        .send()
        .await
        .unwrap();
    let endpoint = described.db_instances()[0]
        .endpoint()
        .and_then(|e| e.address())
        .unwrap()
        .to_string();
    assert_eq!(network["databases"][0]["endpoint"], endpoint.as_str());

    // Scripts rely on every key that was there before.
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "stack",
            "backend",
            "health",
            "services",
            "tasks",
            "target_groups",
            "databases",
            "findings",
            "network",
            "site"
        ]
    );

    // The same stack twice prints the same bytes.
    let (_, again, _) = moto_status(&moto.endpoint, &["--json"]);
    assert_eq!(again, stdout);

    let (code, text, _) = moto_status(&moto.endpoint, &[]);
    println!("{text}");
    assert_eq!(code, 0);
    let section = text
        .split("\nnetwork\n")
        .nth(1)
        .and_then(|rest| rest.split("\nfindings\n").next())
        .unwrap_or_else(|| panic!("no network section: {text}"));
    assert!(
        section.contains("url      https://umami.example.com"),
        "{section}"
    );
    assert!(
        section.contains(":443   HTTPS  forward to umami-tg"),
        "{section}"
    );
    assert!(
        section.contains(":80    HTTP   redirect to HTTPS:443 (HTTP_301)"),
        "{section}"
    );
    assert!(section.contains("10.0.0.0/16"), "{section}");
    assert!(
        section.contains("eu-west-2a  public 10.0.0.0/24  private 10.0.10.0/24"),
        "{section}"
    );
    assert!(
        section.contains("eu-west-2b  public 10.0.1.0/24  private 10.0.11.0/24"),
        "{section}"
    );
    assert!(section.contains("  nat      1  "), "{section}");
}

#[test]
fn sandbox_status_json_has_the_same_network_shape() {
    let (code, stdout, stderr) = run(&["--sandbox", "status", "--json"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let network = &json["network"];
    assert_network_shape(network);
    assert_eq!(network["url"], "https://analytics.example.com");
    assert_eq!(network["vpc"]["name"], "umami");
    assert_eq!(network["load_balancers"][0]["scheme"], "internet-facing");
    assert_eq!(
        network["load_balancers"][0]["listeners"][1]["certificates"][0]["status"],
        "ISSUED"
    );
}

/// Before the network section, `status` made these 25 calls against this stack (measured
/// on the commit before it); the section reads the topology discovery already holds. The
/// site section adds exactly two, whatever the account holds: one ListDistributions (all
/// distributions, to find the ones in front of the ALB) and one GetResources (the stack's
/// `opsdeck:stack` tag); a stack with no site makes no other CloudFront or S3 call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_makes_the_calls_it_made_before_the_network_section_and_two_for_the_site() {
    let moto = Moto::start();
    let umami = build_umami(&moto.sdk_config().await, "umami", 2).await;
    let (cloud, calls) = moto.cloud().await;

    let report = status::collect(&cloud, &umami.stack()).await.unwrap();
    assert_eq!(
        report.network.url.as_deref(),
        Some("https://umami.example.com")
    );

    let before: BTreeMap<String, u64> = [
        ("ACM.DescribeCertificate", 1),
        ("CloudFront.ListDistributions", 1),
        ("EC2.DescribeInternetGateways", 1),
        ("EC2.DescribeNatGateways", 1),
        ("EC2.DescribeRouteTables", 1),
        ("EC2.DescribeSecurityGroups", 1),
        ("EC2.DescribeSubnets", 2),
        ("EC2.DescribeVpcs", 1),
        ("ECS.DescribeServices", 2),
        ("ECS.DescribeTaskDefinition", 1),
        ("ECS.DescribeTasks", 1),
        ("ECS.ListServices", 1),
        ("ECS.ListTasks", 2),
        ("Elastic Load Balancing v2.DescribeListeners", 1),
        ("Elastic Load Balancing v2.DescribeLoadBalancers", 1),
        ("Elastic Load Balancing v2.DescribeTargetGroupAttributes", 1),
        ("Elastic Load Balancing v2.DescribeTargetGroups", 1),
        ("Elastic Load Balancing v2.DescribeTargetHealth", 1),
        ("RDS.DescribeDBInstances", 2),
        ("RDS.DescribePendingMaintenanceActions", 1),
        ("Resource Groups Tagging API.GetResources", 1),
        ("Route 53.ListHostedZones", 1),
        ("Route 53.ListResourceRecordSets", 1),
    ]
    .into_iter()
    .map(|(op, n)| (op.to_string(), n))
    .collect();
    let counted = calls.calls();
    println!("status: {} calls", calls.total_calls());
    for (op, n) in &counted {
        println!("  {op:<56} {n}");
    }
    assert_eq!(counted, before);
    assert_eq!(calls.total_calls(), 25 + 2);
}
