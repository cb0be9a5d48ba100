//! Bootstrap without the cloud: the templates of several answer sets (snapshots, cfn-lint,
//! structure), the errors of bad answer files from the real binary, the cost estimate, and
//! the answer parser under arbitrary input.

use std::path::{Path, PathBuf};
use std::process::Command;

use opsdeck::ops::bootstrap::answers::Answers;
use opsdeck::ops::bootstrap::model::{STACK_TAG, edge_model};
use opsdeck::ops::bootstrap::template::TAGGABLE;
use opsdeck::ops::bootstrap::{NatChoice, StackModel, estimate_answers, nat_choices};
use serde_json::Value;

const UMAMI: &str = r#"name = "umami"
region = "eu-west-2"
[network]
cidr = "10.0.0.0/16"
azs = 2                      # 2 or 3
nat = "single"               # or "per-az"
[service]
image = "umami"              # an ECR repository to create, or a full image reference
port = 3000
health_check = "/api/heartbeat"
cpu = 512
memory = 1024
desired = 2
environment = { DATABASE_TYPE = "postgresql" }
autoscaling = { min = 2, max = 6, cpu_target = 60 }   # optional
[database]
kind = "postgres"            # or "none", or "external" (with connection_string)
version = "17.6"
class = "db.t3.micro"
storage_gb = 20
multi_az = false
backup_days = 7
deletion_protection = true
[alarms]                     # optional
email = "ops@example.com"
"#;

const THREE_AZS_NAT_PER_AZ: &str = r#"name = "shop"
region = "eu-west-2"
[network]
cidr = "10.20.0.0/20"
azs = 3
nat = "per-az"
[service]
image = "ghcr.io/example/shop:1.4.2"
port = 8080
health_check = "/healthz"
cpu = 1024
memory = 2048
desired = 3
[database]
version = "16.9"
class = "db.t4g.small"
storage_gb = 50
multi_az = true
backup_days = 14
"#;

const HTTPS_WITH_DOMAIN: &str = r#"name = "analytics"
region = "us-east-1"
[service]
image = "analytics"
port = 3000
health_check = "/api/heartbeat"
cpu = 512
memory = 1024
desired = 2
[database]
version = "17.6"
[domain]
name = "analytics.example.com"
hosted_zone = "example.com"
[alarms]
email = "ops@example.com"
"#;

/// The password in it must appear nowhere: not in the template, not in any output.
const EXTERNAL_PASSWORD: &str = "s3cr3t-pw";
const EXTERNAL_DATABASE: &str = r#"name = "notes"
[service]
image = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/notes:2.0.1"
port = 3000
health_check = "/health"
environment = { NODE_ENV = "production" }
[database]
kind = "external"
connection_string = "mongodb+srv://notes:s3cr3t-pw@cluster0.example.mongodb.net/notes"
"#;

const NO_DATABASE: &str = r#"name = "static-site"
[service]
image = "nginx:1.27"
port = 80
desired = 1
[database]
kind = "none"
"#;

/// A site at its `*.cloudfront.net` name, a single-page app.
const SITE_WITHOUT_DOMAIN: &str = r#"name = "docs"
[service]
image = "nginx:1.27"
port = 80
desired = 1
[database]
kind = "none"
[site]
spa = true
"#;

/// In us-east-1 the stack makes the site's CloudFront certificate itself.
const SITE_WITH_DOMAIN_US_EAST_1: &str = r#"name = "analytics"
region = "us-east-1"
[service]
image = "analytics"
port = 3000
health_check = "/api/heartbeat"
[database]
version = "17.6"
[domain]
name = "analytics.example.com"
hosted_zone = "example.com"
[site]
domain = "app.example.com"
price_class = "PriceClass_200"
"#;

/// Elsewhere without a certificate: a companion stack in us-east-1 makes it first.
const SITE_WITH_DOMAIN_AND_EDGE_STACK: &str = r#"name = "umami"
region = "eu-west-2"
[service]
image = "umami"
[domain]
name = "analytics.example.com"
hosted_zone = "example.com"
[site]
domain = "www.example.com"
"#;

/// Elsewhere the certificate comes from us-east-1, made beforehand.
const SITE_CERTIFICATE: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/5a1e7c9d-0b3f-4e2a-9c6d-1f8e2b7a4c30";
const SITE_WITH_DOMAIN_ELSEWHERE: &str = r#"name = "umami"
region = "eu-west-2"
[service]
image = "umami"
port = 3000
health_check = "/api/heartbeat"
[domain]
name = "analytics.example.com"
hosted_zone = "example.com"
[site]
domain = "www.example.com"
spa = true
certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/5a1e7c9d-0b3f-4e2a-9c6d-1f8e2b7a4c30"
"#;

const ANSWER_SETS: &[(&str, &str)] = &[
    ("site_without_domain", SITE_WITHOUT_DOMAIN),
    ("site_with_domain_us_east_1", SITE_WITH_DOMAIN_US_EAST_1),
    ("site_with_domain_elsewhere", SITE_WITH_DOMAIN_ELSEWHERE),
    (
        "site_with_domain_and_edge_stack",
        SITE_WITH_DOMAIN_AND_EDGE_STACK,
    ),
    ("umami", UMAMI),
    ("three_azs_nat_per_az", THREE_AZS_NAT_PER_AZ),
    ("https_with_domain", HTTPS_WITH_DOMAIN),
    ("external_database", EXTERNAL_DATABASE),
    ("no_database", NO_DATABASE),
];

fn answers(text: &str) -> Answers {
    Answers::parse(text, Path::new("stack.toml")).unwrap()
}

fn template(text: &str) -> Value {
    StackModel::build(&answers(text)).template()
}

/// [`template`], for where a local of that name hides it.
fn template_of(text: &str) -> Value {
    template(text)
}

fn resources(template: &Value) -> Vec<(&String, &Value)> {
    template["Resources"].as_object().unwrap().iter().collect()
}

fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    resources(template)
        .into_iter()
        .filter(|(_, body)| body["Type"] == kind)
        .collect()
}

#[test]
fn templates_are_kept_as_snapshots() {
    for (name, text) in ANSWER_SETS {
        let model = StackModel::build(&answers(text));
        insta::assert_snapshot!(*name, model.template_text());
        if let Some(edge) = edge_model(&answers(text)) {
            insta::assert_snapshot!(format!("{name}_edge"), edge.template_text());
        }
    }
}

/// `OPSDECK_CFN_LINT`, else the repository's `.venv`; never a silent pass without it.
fn cfn_lint() -> PathBuf {
    if let Some(path) = std::env::var_os("OPSDECK_CFN_LINT") {
        return PathBuf::from(path);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/cfn-lint");
    assert!(
        local.exists(),
        "cfn-lint not found: run .ci/run (it installs cfn-lint into .venv), or \
         `python3 -m venv .venv && .venv/bin/pip install cfn-lint==1.58.0`, or set \
         OPSDECK_CFN_LINT to a cfn-lint binary"
    );
    local
}

/// Warnings that are printed but do not fail the test, each with the reason.
const ACCEPTED_WARNINGS: &[(&str, &str)] = &[
    // None yet: every warning fails until someone decides about its rule here.
];

#[test]
fn templates_pass_cfn_lint() {
    let lint = cfn_lint();
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut templates: Vec<(String, String)> = Vec::new();
    for (name, text) in ANSWER_SETS {
        templates.push((
            name.to_string(),
            StackModel::build(&answers(text)).template_text(),
        ));
        if let Some(edge) = edge_model(&answers(text)) {
            templates.push((format!("{name}_edge"), edge.template_text()));
        }
    }
    for (name, template) in &templates {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, template).unwrap();
        let output = Command::new(&lint)
            .arg("--format")
            .arg("json")
            .arg(&path)
            .output()
            .unwrap_or_else(|err| panic!("cannot run {}: {err}", lint.display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let findings: Vec<Value> = serde_json::from_str(&stdout).unwrap_or_else(|err| {
            panic!(
                "cfn-lint gave no JSON for {name} ({err}): {stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        for finding in findings {
            let level = finding["Level"].as_str().unwrap_or_default().to_string();
            let rule = finding["Rule"]["Id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let message = finding["Message"].as_str().unwrap_or_default().to_string();
            let line = format!(
                "{name}: {level} {rule}: {message} at {}",
                finding["Location"]["Path"]
            );
            let deprecated = message.to_lowercase().contains("deprecat");
            match level.as_str() {
                "Informational" => println!("{line}"),
                "Warning" if !deprecated && ACCEPTED_WARNINGS.iter().any(|(id, _)| *id == rule) => {
                    println!("{line}")
                }
                _ => failures.push(line),
            }
        }
    }
    assert!(failures.is_empty(), "cfn-lint:\n{}", failures.join("\n"));
}

fn ingress_rules(template: &Value) -> Vec<(String, Value)> {
    let mut rules = Vec::new();
    for (id, body) in of_type(template, "AWS::EC2::SecurityGroup") {
        for rule in body["Properties"]["SecurityGroupIngress"]
            .as_array()
            .unwrap()
        {
            rules.push((id.clone(), rule.clone()));
        }
    }
    for (id, body) in of_type(template, "AWS::EC2::SecurityGroupIngress") {
        rules.push((id.clone(), body["Properties"].clone()));
    }
    rules
}

#[test]
fn security_groups_chain_alb_to_tasks_to_database_and_nothing_wider() {
    for (name, text) in ANSWER_SETS {
        let template = template(text);
        let port = answers(text).service.port;
        let https = answers(text).domain.is_some();
        let rules = ingress_rules(&template);
        let mut expected = vec![("AlbSecurityGroup".to_string(), "0.0.0.0/0".to_string(), 80)];
        if https {
            expected.push(("AlbSecurityGroup".into(), "0.0.0.0/0".into(), 443));
        }
        expected.push((
            "ServiceSecurityGroup".into(),
            "AlbSecurityGroup".into(),
            port,
        ));
        if !of_type(&template, "AWS::RDS::DBInstance").is_empty() {
            expected.push((
                "DatabaseSecurityGroup".into(),
                "ServiceSecurityGroup".into(),
                5432,
            ));
        }
        let mut found: Vec<(String, String, u16)> = rules
            .iter()
            .map(|(group, rule)| {
                assert_eq!(
                    rule["FromPort"], rule["ToPort"],
                    "{name}: {group} opens a range"
                );
                let from = match rule.get("CidrIp") {
                    Some(cidr) => cidr.as_str().unwrap().to_string(),
                    None => rule["SourceSecurityGroupId"]["Fn::GetAtt"][0]
                        .as_str()
                        .unwrap()
                        .to_string(),
                };
                (
                    group.clone(),
                    from,
                    rule["FromPort"].as_u64().unwrap() as u16,
                )
            })
            .collect();
        found.sort();
        expected.sort();
        assert_eq!(found, expected, "{name}");
    }
}

#[test]
fn tasks_run_in_private_subnets_without_public_ips_behind_a_circuit_breaker() {
    for (name, text) in ANSWER_SETS {
        let template = template(text);
        let service = &template["Resources"]["Service"]["Properties"];
        let network = &service["NetworkConfiguration"]["AwsvpcConfiguration"];
        assert_eq!(network["AssignPublicIp"], "DISABLED", "{name}");
        for subnet in network["Subnets"].as_array().unwrap() {
            assert!(
                subnet["Ref"].as_str().unwrap().starts_with("PrivateSubnet"),
                "{name}"
            );
        }
        let breaker = &service["DeploymentConfiguration"]["DeploymentCircuitBreaker"];
        assert_eq!(breaker["Enable"], true, "{name}");
        assert_eq!(breaker["Rollback"], true, "{name}");
        assert!(service["HealthCheckGracePeriodSeconds"].as_u64().unwrap() > 0);
        let stack = &answers(text).name;
        assert_eq!(service["ServiceName"], stack.as_str());
        assert_eq!(
            template["Resources"]["Cluster"]["Properties"]["ClusterName"],
            stack.as_str()
        );
    }
}

#[test]
fn the_database_keeps_a_snapshot_and_its_password_in_secrets_manager() {
    let template = template(UMAMI);
    let db = &template["Resources"]["Database"];
    assert_eq!(db["DeletionPolicy"], "Snapshot");
    assert_eq!(db["UpdateReplacePolicy"], "Snapshot");
    let properties = &db["Properties"];
    assert_eq!(properties["ManageMasterUserPassword"], true);
    assert_eq!(properties["StorageEncrypted"], true);
    assert_eq!(properties["PubliclyAccessible"], false);
    assert_eq!(
        properties["DBSubnetGroupName"]["Ref"],
        "DatabaseSubnetGroup"
    );
    assert!(properties.get("MasterUserPassword").is_none());
}

fn container(template: &Value) -> &Value {
    &template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
}

#[test]
fn the_database_secret_is_wired_into_the_task_and_only_it_can_be_read() {
    let template = template(UMAMI);
    let secrets = container(&template)["Secrets"].as_array().unwrap();
    let names: Vec<&str> = secrets
        .iter()
        .map(|s| s["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["PGUSER", "PGPASSWORD"]);
    for secret in secrets {
        let from = secret["ValueFrom"]["Fn::Sub"].as_str().unwrap();
        assert!(
            from.starts_with("${Database.MasterUserSecret.SecretArn}:"),
            "{from}"
        );
    }
    let statements = template["Resources"]["TaskExecutionRole"]["Properties"]["Policies"][0]
        ["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .clone();
    let read = statements
        .iter()
        .find(|s| s["Action"] == "secretsmanager:GetSecretValue")
        .unwrap();
    assert_eq!(
        read["Resource"]["Fn::GetAtt"],
        serde_json::json!(["Database", "MasterUserSecret.SecretArn"])
    );
    // Only GetAuthorizationToken, which has no resource, is allowed on "*".
    for statement in &statements {
        if statement["Resource"] == "*" {
            assert_eq!(statement["Action"], "ecr:GetAuthorizationToken");
        }
    }
}

#[test]
fn an_external_connection_string_goes_through_a_no_echo_parameter_only() {
    let model = StackModel::build(&answers(EXTERNAL_DATABASE));
    let text = model.template_text();
    assert!(!text.contains(EXTERNAL_PASSWORD));
    assert!(!text.contains("mongodb"));
    let template = model.template();
    assert_eq!(
        template["Parameters"]["DatabaseConnectionString"]["NoEcho"],
        true
    );
    assert_eq!(
        template["Resources"]["DatabaseSecret"]["Properties"]["SecretString"]["Ref"],
        "DatabaseConnectionString"
    );
    let secrets = container(&template)["Secrets"].as_array().unwrap();
    assert_eq!(secrets[0]["Name"], "DATABASE_URL");
    assert_eq!(secrets[0]["ValueFrom"]["Ref"], "DatabaseSecret");
}

/// Types of the stack that take no Tags in CloudFormation.
const UNTAGGABLE: &[&str] = &[
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::Route",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::Route53::RecordSet",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::SNS::Subscription",
    "AWS::S3::BucketPolicy",
    "AWS::CloudFront::OriginAccessControl",
];

#[test]
fn every_taggable_resource_carries_the_stack_tag() {
    for (name, text) in ANSWER_SETS {
        let template = template(text);
        let stack = answers(text).name;
        for (id, body) in resources(&template) {
            let kind = body["Type"].as_str().unwrap();
            if UNTAGGABLE.contains(&kind) {
                assert!(body["Properties"].get("Tags").is_none(), "{name}: {id}");
                continue;
            }
            assert!(
                TAGGABLE.contains(&kind),
                "{name}: decide whether {kind} takes tags"
            );
            let tags = body["Properties"]["Tags"].as_array().unwrap();
            assert!(
                tags.iter()
                    .any(|t| t["Key"] == STACK_TAG && t["Value"] == stack.as_str()),
                "{name}: {id} is not tagged {STACK_TAG}={stack}"
            );
        }
    }
}

#[test]
fn https_redirects_port_80_and_validates_the_certificate_in_the_zone() {
    let template = template(HTTPS_WITH_DOMAIN);
    let http = &template["Resources"]["HttpListener"]["Properties"];
    assert_eq!(http["DefaultActions"][0]["Type"], "redirect");
    let https = &template["Resources"]["HttpsListener"]["Properties"];
    assert_eq!(https["Port"], 443);
    assert_eq!(
        https["Certificates"][0]["CertificateArn"]["Ref"],
        "Certificate"
    );
    let certificate = &template["Resources"]["Certificate"]["Properties"];
    assert_eq!(certificate["ValidationMethod"], "DNS");
    assert_eq!(
        certificate["DomainValidationOptions"][0]["HostedZoneId"]["Ref"],
        "HostedZoneId"
    );
    let record = &template["Resources"]["DnsRecord"]["Properties"];
    assert_eq!(record["Name"], "analytics.example.com");
    assert_eq!(
        template["Outputs"]["AppUrl"]["Value"],
        "https://analytics.example.com"
    );
}

/// The site's bucket is private and only the distribution, through its OAC, reads it.
#[test]
fn the_site_bucket_is_private_and_read_only_by_its_distribution() {
    for text in [
        SITE_WITHOUT_DOMAIN,
        SITE_WITH_DOMAIN_US_EAST_1,
        SITE_WITH_DOMAIN_ELSEWHERE,
    ] {
        let template = template(text);
        let bucket = &template["Resources"]["SiteBucket"]["Properties"];
        for setting in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            assert_eq!(bucket["PublicAccessBlockConfiguration"][setting], true);
        }
        assert_eq!(
            bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
                ["SSEAlgorithm"],
            "AES256"
        );
        assert_eq!(
            bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
            "BucketOwnerEnforced"
        );
        let oac = &template["Resources"]["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"];
        assert_eq!(oac["SigningBehavior"], "always");
        assert_eq!(oac["SigningProtocol"], "sigv4");
        assert_eq!(oac["OriginAccessControlOriginType"], "s3");
        let policy = &template["Resources"]["SiteBucketPolicy"]["Properties"];
        assert_eq!(policy["Bucket"]["Ref"], "SiteBucket");
        let statements = policy["PolicyDocument"]["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 1, "one statement, no public read");
        let only = &statements[0];
        assert_eq!(only["Effect"], "Allow");
        assert_eq!(only["Principal"]["Service"], "cloudfront.amazonaws.com");
        assert_eq!(only["Action"], "s3:GetObject");
        assert_eq!(only["Resource"]["Fn::Sub"], "${SiteBucket.Arn}/*");
        let source = only["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
            .as_str()
            .unwrap();
        assert!(
            source.ends_with(":distribution/${SiteDistribution}"),
            "{source}"
        );
        let config = &template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"];
        let origin = &config["Origins"][0];
        assert_eq!(
            origin["DomainName"]["Fn::GetAtt"],
            serde_json::json!(["SiteBucket", "RegionalDomainName"])
        );
        assert_eq!(
            origin["OriginAccessControlId"]["Fn::GetAtt"],
            serde_json::json!(["SiteOriginAccessControl", "Id"])
        );
        assert_eq!(origin["S3OriginConfig"]["OriginAccessIdentity"], "");
        assert_eq!(config["DefaultRootObject"], "index.html");
        assert_eq!(config["HttpVersion"], "http2and3");
        assert_eq!(config["IPV6Enabled"], true);
        let behaviour = &config["DefaultCacheBehavior"];
        assert_eq!(behaviour["ViewerProtocolPolicy"], "redirect-to-https");
        assert_eq!(
            behaviour["CachePolicyId"],
            "658327ea-f89d-4fab-a63d-7e88639e58f6"
        );
        for output in ["SiteBucketName", "SiteDistributionId", "SiteUrl"] {
            assert!(template["Outputs"].get(output).is_some(), "{output}");
        }
    }
}

#[test]
fn a_site_name_gets_a_cloudfront_certificate_in_us_east_1_and_alias_records() {
    let template = template(SITE_WITH_DOMAIN_US_EAST_1);
    let config = &template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"];
    assert_eq!(config["Aliases"], serde_json::json!(["app.example.com"]));
    assert_eq!(config["PriceClass"], "PriceClass_200");
    let viewer = &config["ViewerCertificate"];
    assert_eq!(viewer["AcmCertificateArn"]["Ref"], "SiteCertificate");
    assert_eq!(viewer["SslSupportMethod"], "sni-only");
    assert_eq!(viewer["MinimumProtocolVersion"], "TLSv1.2_2021");
    assert!(config.get("CustomErrorResponses").is_none(), "not an SPA");
    let certificate = &template["Resources"]["SiteCertificate"]["Properties"];
    assert_eq!(certificate["DomainName"], "app.example.com");
    assert_eq!(
        certificate["DomainValidationOptions"][0]["HostedZoneId"]["Ref"],
        "HostedZoneId"
    );
    for (id, kind) in [("SiteDnsRecord", "A"), ("SiteDnsRecordIpv6", "AAAA")] {
        let record = &template["Resources"][id]["Properties"];
        assert_eq!(record["Type"], kind);
        assert_eq!(record["Name"], "app.example.com");
        assert_eq!(record["AliasTarget"]["HostedZoneId"], "Z2FDTNDATAQYW2");
        assert_eq!(
            record["AliasTarget"]["DNSName"]["Fn::GetAtt"],
            serde_json::json!(["SiteDistribution", "DomainName"])
        );
    }
    assert_eq!(
        template["Outputs"]["SiteUrl"]["Value"],
        "https://app.example.com"
    );

    // Elsewhere the stack makes no certificate (it could not in us-east-1) and uses the one given.
    let template = template_of(SITE_WITH_DOMAIN_ELSEWHERE);
    assert!(template["Resources"].get("SiteCertificate").is_none());
    let config = &template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"];
    assert_eq!(
        config["ViewerCertificate"]["AcmCertificateArn"],
        SITE_CERTIFICATE
    );
    let errors = config["CustomErrorResponses"].as_array().unwrap();
    let codes: Vec<_> = errors.iter().map(|e| e["ErrorCode"].clone()).collect();
    assert_eq!(codes, [403, 404]);
    for error in errors {
        assert_eq!(error["ResponseCode"], 200);
        assert_eq!(error["ResponsePagePath"], "/index.html");
    }

    // Elsewhere without one: the certificate is the companion stack's, passed in.
    let answers_edge = answers(SITE_WITH_DOMAIN_AND_EDGE_STACK);
    let template = template_of(SITE_WITH_DOMAIN_AND_EDGE_STACK);
    assert!(template["Resources"].get("SiteCertificate").is_none());
    assert_eq!(
        template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]["ViewerCertificate"]
            ["AcmCertificateArn"]["Ref"],
        "SiteCertificateArn"
    );
    assert_eq!(
        template["Parameters"]["SiteCertificateArn"]["Type"],
        "String"
    );
    let edge = edge_model(&answers_edge).unwrap();
    assert_eq!(edge.answers.name, "umami-edge");
    assert_eq!(edge.answers.region, "us-east-1");
    let edge = edge.template();
    let certificate = &edge["Resources"]["SiteCertificate"]["Properties"];
    assert_eq!(certificate["DomainName"], "www.example.com");
    assert_eq!(
        certificate["DomainValidationOptions"][0]["HostedZoneId"]["Ref"],
        "HostedZoneId"
    );
    assert!(
        certificate["Tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["Key"] == STACK_TAG && t["Value"] == "umami-edge")
    );
    assert_eq!(
        edge["Outputs"]["CertificateArn"]["Value"]["Ref"],
        "SiteCertificate"
    );
    assert_eq!(edge["Resources"].as_object().unwrap().len(), 1);
    assert!(edge_model(&answers(SITE_WITH_DOMAIN_US_EAST_1)).is_none());
    assert!(edge_model(&answers(SITE_WITH_DOMAIN_ELSEWHERE)).is_none());

    // Without a name of its own: no aliases, CloudFront's certificate, the *.cloudfront.net URL.
    let template = template_of(SITE_WITHOUT_DOMAIN);
    let config = &template["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"];
    assert!(config.get("Aliases").is_none());
    assert!(config.get("ViewerCertificate").is_none());
    assert_eq!(config["PriceClass"], "PriceClass_100");
    assert_eq!(
        template["Outputs"]["SiteUrl"]["Value"]["Fn::Sub"],
        "https://${SiteDistribution.DomainName}"
    );
}

#[test]
fn a_site_adds_cloudfront_and_s3_to_the_cost_with_its_traffic_assumptions() {
    let without = estimate_answers(&answers(NO_DATABASE)).unwrap();
    let with = estimate_answers(&answers(SITE_WITHOUT_DOMAIN)).unwrap();
    let site_items: Vec<_> = with
        .items
        .iter()
        .filter(|i| i.item.starts_with("CloudFront") || i.item.starts_with("S3"))
        .collect();
    assert_eq!(site_items.len(), 4, "{site_items:?}");
    assert!(site_items.iter().all(|i| i.unit_usd > 0.0));
    let extra = with.monthly_usd - without.monthly_usd;
    assert!((1.0..20.0).contains(&extra), "a modest site costs {extra}");
    let text = with.to_text();
    assert!(text.contains("cloudfront/pricing"), "{text}");
    assert!(text.contains("Site: 1 GB stored; 50 GB"), "{text}");
    assert!(!without.to_text().contains("Site:"));
}

#[test]
fn nat_gateways_follow_the_choice() {
    let single = template(UMAMI);
    assert_eq!(of_type(&single, "AWS::EC2::NatGateway").len(), 1);
    let per_az = template(THREE_AZS_NAT_PER_AZ);
    assert_eq!(of_type(&per_az, "AWS::EC2::NatGateway").len(), 3);
    for i in 1..=3 {
        let route = &per_az["Resources"][format!("PrivateDefaultRoute{i}")]["Properties"];
        assert_eq!(route["NatGatewayId"]["Ref"], format!("NatGateway{i}"));
    }
    let subnets: Vec<&str> = (1..=3)
        .flat_map(|i| [format!("PublicSubnet{i}"), format!("PrivateSubnet{i}")])
        .map(|id| {
            per_az["Resources"][&id]["Properties"]["CidrBlock"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        subnets,
        [
            "10.20.0.0/23",
            "10.20.6.0/23",
            "10.20.2.0/23",
            "10.20.8.0/23",
            "10.20.4.0/23",
            "10.20.10.0/23"
        ]
    );
}

#[test]
fn the_umami_shape_costs_a_sane_amount_and_a_nat_per_az_costs_one_more_nat() {
    let cost = estimate_answers(&answers(UMAMI)).unwrap();
    assert!(
        (100.0..=150.0).contains(&cost.monthly_usd),
        "{}",
        cost.to_text()
    );
    assert_eq!(cost.region, "eu-west-2");
    assert_eq!(cost.assumptions.hours_per_month, 730.0);
    let choices = nat_choices(&answers(UMAMI)).unwrap();
    assert_eq!(choices[0].0, NatChoice::Single);
    assert_eq!(choices[1].0, NatChoice::PerAz);
    let difference = choices[1].1 - choices[0].1;
    // One more NAT gateway-hour a month (0.05 x 730) plus its public address (0.005 x 730).
    assert!((difference - 40.15).abs() < 0.02, "difference {difference}");
}

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn opsdeck(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("OPSDECK_LOG")
        .output()
        .unwrap()
}

#[test]
fn json_lists_resources_and_cost() {
    let home = home();
    let file = home.path().join("stack.toml");
    std::fs::write(&file, UMAMI).unwrap();
    let output = opsdeck(
        home.path(),
        &["bootstrap", "--file", file.to_str().unwrap(), "--json"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    let resources = plan["resources"].as_array().unwrap();
    assert!(
        resources
            .iter()
            .all(|r| r["type"].is_string() && r["logical_id"].is_string())
    );
    assert!(
        resources
            .iter()
            .any(|r| r["logical_id"] == "Database" && r["class"] == "db.t3.micro")
    );
    assert!(!plan["cost"]["items"].as_array().unwrap().is_empty());
    assert!(plan["cost"]["monthly_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(plan["cost"]["assumptions"]["hours_per_month"], 730.0);
    assert!(
        plan["cost"]["source"]
            .as_str()
            .unwrap()
            .contains("aws.amazon.com")
    );
}

#[test]
fn emit_writes_the_template_and_no_secret_reaches_any_output() {
    let home = home();
    let file = home.path().join("stack.toml");
    std::fs::write(&file, EXTERNAL_DATABASE).unwrap();
    let file = file.to_str().unwrap();
    let emitted = opsdeck(home.path(), &["bootstrap", "--file", file, "--emit", "-"]);
    assert!(emitted.status.success());
    let template: Value = serde_json::from_slice(&emitted.stdout).unwrap();
    assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
    let summary = opsdeck(home.path(), &["bootstrap", "--file", file]);
    let json = opsdeck(home.path(), &["bootstrap", "--file", file, "--json"]);
    for output in [&emitted, &summary, &json] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!all.contains(EXTERNAL_PASSWORD));
    }
    let text = String::from_utf8_lossy(&summary.stdout);
    assert!(text.contains("AWS::SecretsManager::Secret"), "{text}");
    assert!(text.contains("Total"), "{text}");
}

/// A bad answer file: the line the error must name, and words the message must hold.
struct Bad {
    case: &'static str,
    text: String,
    line: usize,
    says: &'static [&'static str],
}

fn umami_with(from: &str, to: &str) -> String {
    assert!(UMAMI.contains(from), "{from}");
    UMAMI.replacen(from, to, 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn bad_files() -> Vec<Bad> {
    let mut cases = Vec::new();
    let mut add = |case, text: String, needle: &str, says| {
        let line = line_of(&text, needle);
        cases.push(Bad {
            case,
            text,
            line,
            says,
        });
    };
    add(
        "bad cidr",
        umami_with("10.0.0.0/16", "10.0.300.0/16"),
        "cidr =",
        &["network.cidr", "IPv4 CIDR", "/16 to /24"],
    );
    add(
        "subnets that do not fit",
        umami_with("10.0.0.0/16\"\nazs = 2", "10.0.0.0/26\"\nazs = 3"),
        "cidr =",
        &["network.cidr", "too small", "6 subnets", "/28"],
    );
    add(
        "port out of range",
        umami_with("port = 3000", "port = 70000"),
        "port =",
        &["service.port", "1 to 65535"],
    );
    add(
        "invalid Fargate pair",
        umami_with("memory = 1024", "memory = 512"),
        "cpu =",
        &["service.cpu", "Fargate", "1024 to 4096"],
    );
    add(
        "deprecated postgres",
        umami_with("\"17.6\"", "\"11.22\""),
        "version =",
        &["database.version", "deprecated", "17", "16"],
    );
    add(
        "unknown region",
        umami_with("eu-west-2", "eu-middle-9"),
        "region =",
        &["region", "eu-west-2", "us-east-1"],
    );
    add(
        "unknown field",
        umami_with("desired = 2", "desired = 2\nreplicas = 3"),
        "replicas",
        &["service.replicas", "unknown field", "desired"],
    );
    add(
        "external without connection string",
        "name = \"notes\"\n[service]\nimage = \"notes\"\n[database]\nkind = \"external\"\n".into(),
        "kind =",
        &["database.connection_string", "missing", "Secrets Manager"],
    );
    add(
        "domain outside its zone",
        format!(
            "{UMAMI}[domain]\nname = \"analytics.example.org\"\nhosted_zone = \"example.com\"\n"
        ),
        "analytics.example.org",
        &["domain.name", "not inside", "example.com"],
    );
    add(
        "a tag that docker would refuse",
        umami_with("image = \"umami\"", "image = \"umami\"\ntag = \"v1 beta\""),
        "tag =",
        &["service.tag", "not an image tag", "128 letters"],
    );
    add(
        "a tag beside a full image reference",
        umami_with(
            "image = \"umami\"",
            "image = \"ghcr.io/umami-software/umami:v2\"\ntag = \"v3\"",
        ),
        "tag =",
        &["service.tag", "only with an ECR repository name"],
    );
    let site = |extra: &str| format!("{UMAMI}[site]\n{extra}");
    let with_domain = |extra: &str| {
        format!(
            "{UMAMI}[domain]\nname = \"analytics.example.com\"\nhosted_zone = \"example.com\"\n[site]\n{extra}"
        )
    };
    add(
        "a site name without [domain]",
        site("domain = \"app.example.com\"\n"),
        "app.example.com",
        &["site.domain", "[domain]", "cloudfront.net"],
    );
    add(
        "a site name outside the zone",
        with_domain("domain = \"app.example.org\"\n"),
        "app.example.org",
        &["site.domain", "not inside", "example.com"],
    );
    add(
        "a site on the app's own name",
        with_domain("domain = \"analytics.example.com\"\n"),
        "domain = \"analytics.example.com\"",
        &["site.domain", "the app's name", "www.example.com"],
    );
    add(
        "a site certificate in the wrong region",
        with_domain(
            "domain = \"www.example.com\"\ncertificate_arn = \"arn:aws:acm:eu-west-2:123456789012:certificate/abc-123\"\n",
        ),
        "certificate_arn",
        &[
            "site.certificate_arn",
            "not in us-east-1",
            "arn:aws:acm:us-east-1:",
        ],
    );
    add(
        "a site certificate without a site name",
        site("certificate_arn = \"arn:aws:acm:us-east-1:123456789012:certificate/abc\"\n"),
        "certificate_arn",
        &["site.certificate_arn", "only with site.domain"],
    );
    add(
        "an unknown price class",
        site("price_class = \"PriceClass_300\"\n"),
        "price_class",
        &["site.price_class", "PriceClass_100", "PriceClass_All"],
    );
    add(
        "an unknown site field",
        site("index = \"main.html\"\n"),
        "index =",
        &["site.index", "unknown field", "spa"],
    );
    add(
        "spa that is not a boolean",
        site("spa = \"yes\"\n"),
        "spa =",
        &["site.spa"],
    );
    cases
}

#[test]
fn bad_answer_files_exit_2_naming_file_line_field_and_what_is_valid() {
    let home = home();
    for bad in bad_files() {
        let file = home.path().join("bad.toml");
        std::fs::write(&file, &bad.text).unwrap();
        let output = opsdeck(
            home.path(),
            &["bootstrap", "--file", file.to_str().unwrap(), "--emit", "-"],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{}: {stderr}", bad.case);
        assert!(output.stdout.is_empty(), "{}: wrote a template", bad.case);
        assert!(
            stderr.contains(&format!("bad.toml:{}:", bad.line)),
            "{}: expected line {}: {stderr}",
            bad.case,
            bad.line
        );
        for word in bad.says {
            assert!(
                stderr.contains(word),
                "{}: expected {word:?} in {stderr}",
                bad.case
            );
        }
    }
}

mod parser_properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of answer files, right and wrong, so random files reach deep into the checks.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("name = \"umami\"".to_string()),
            Just("[service]".to_string()),
            Just("[network]".to_string()),
            Just("[database]".to_string()),
            Just("[domain]".to_string()),
            Just("[alarms]".to_string()),
            Just("image = \"umami\"".to_string()),
            Just("kind = \"external\"".to_string()),
            Just("autoscaling = { min = 3, max = 1 }".to_string()),
            (
                prop::sample::select(vec![
                    "name",
                    "region",
                    "cidr",
                    "azs",
                    "nat",
                    "image",
                    "port",
                    "cpu",
                    "memory",
                    "desired",
                    "version",
                    "class",
                    "storage_gb",
                    "email",
                    "hosted_zone",
                    "health_check",
                    "backup_days",
                    "environment",
                    "kind",
                ]),
                prop_oneof![
                    any::<i64>().prop_map(|n| n.to_string()),
                    "\"[ -~]{0,20}\"".prop_map(|s| s.replace('\\', "")),
                    Just("true".to_string()),
                    Just("{ A = 1 }".to_string()),
                    Just("[1, 2]".to_string()),
                    Just("\"10.0.0.0/2\"".to_string()),
                ]
            )
                .prop_map(|(key, value)| format!("{key} = {value}")),
            "[ -~]{0,30}",
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_files_never_panic_and_errors_carry_a_line(
            lines in prop::collection::vec(line(), 0..16)
        ) {
            let text = lines.join("\n");
            if let Err(err) = Answers::parse(&text, Path::new("any.toml")) {
                prop_assert!(err.line >= 1, "{err}");
                prop_assert!(err.column >= 1, "{err}");
                prop_assert!(err.to_string().starts_with("any.toml:"));
            }
        }
    }
}

#[test]
fn the_example_answer_file_in_assets_is_valid() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stack.example.toml");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["bootstrap", "--file", file, "--json"])
        .output()
        .expect("run opsdeck");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let types: Vec<&str> = json["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(|r| r["type"].as_str())
        .collect();
    for wanted in [
        "AWS::ECS::Service",
        "AWS::RDS::DBInstance",
        "AWS::CertificateManager::Certificate",
    ] {
        assert!(types.contains(&wanted), "{wanted} in {types:?}");
    }
}
