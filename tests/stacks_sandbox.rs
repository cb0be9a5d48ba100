//! The sandbox's CloudFormation stand-in on a manual clock: change sets, creation over
//! virtual time, updates, rollback, deletion and re-attaching to the event stream.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox, Scenario};
use opsdeck::cloud::{Cloud, CloudError};
use opsdeck::model::{
    Capability, ChangeAction, ChangeSet, ChangeSetKind, ChangeSetRequest, ChangeSetStatus,
    Replacement, RolloutState, StackEvent, StackRef, StackStatus, TaskDefinitionStatus,
};
use opsdeck::ops;
use opsdeck::ops::bootstrap::StackModel;
use opsdeck::ops::bootstrap::answers::Answers;
use opsdeck::ops::status::network::DefaultAction;
use opsdeck::ops::status::{self, StatusReport};
use serde_json::{Value, json};

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const STACK: &str = "umami";

fn start() -> (Arc<Sandbox>, Cloud) {
    let sandbox = Sandbox::new(
        Scenario::Empty,
        7,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let cloud = sandbox.cloud();
    (sandbox, cloud)
}

fn template() -> Value {
    json!({
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}},
            "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.2.0/24"}},
            "AppSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "app", "VpcId": {"Ref": "Vpc"}}},
            "NatIp": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
            "Nat": {"Type": "AWS::EC2::NatGateway", "DependsOn": "SubnetB",
                    "Properties": {"SubnetId": {"Ref": "SubnetA"}, "AllocationId": {"Fn::GetAtt": ["NatIp", "AllocationId"]}}},
            "DbSubnets": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"DBSubnetGroupDescription": "db", "SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]}},
            "Db": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot",
                   "Properties": {"DBInstanceIdentifier": "umami-db", "Engine": "postgres", "DBSubnetGroupName": {"Ref": "DbSubnets"},
                                  "VPCSecurityGroups": [{"Fn::GetAtt": ["AppSg", "GroupId"]}], "MasterUserPassword": {"Ref": "DbPassword"}}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "Properties": {"LogGroupName": "/ecs/umami"}}
        },
        "Parameters": {"DbPassword": {"Type": "String", "NoEcho": true}},
        "Outputs": {
            "VpcId": {"Value": {"Ref": "Vpc"}},
            "DbEndpoint": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}},
            "LogGroup": {"Value": {"Fn::Sub": "${Logs} in ${AWS::Region}"}}
        }
    })
}

fn request(name: &str, kind: ChangeSetKind, template: &Value) -> ChangeSetRequest {
    ChangeSetRequest {
        stack: STACK.into(),
        change_set_name: name.into(),
        template_body: template.to_string(),
        kind,
        capabilities: vec![],
        parameters: vec![("DbPassword".into(), "s3cret-value".into())],
        previous_parameters: vec![],
        tags: vec![("opsdeck:stack".into(), STACK.into())],
    }
}

/// Creates a change set, waits for CloudFormation to compute it, executes it.
async fn apply(
    sandbox: &Sandbox,
    cloud: &Cloud,
    name: &str,
    kind: ChangeSetKind,
    template: &Value,
) {
    cloud
        .stacks
        .create_change_set(&request(name, kind, template))
        .await
        .unwrap();
    sandbox.advance(5 * SECOND);
    let cs = cloud.stacks.describe_change_set(STACK, name).await.unwrap();
    assert_eq!(cs.status, ChangeSetStatus::CreateComplete, "{cs:?}");
    cloud.stacks.execute_change_set(STACK, name).await.unwrap();
}

/// Oldest first, as a person reads a log.
async fn chronological(cloud: &Cloud) -> Vec<StackEvent> {
    let mut events = cloud.stacks.stack_events(STACK, None).await.unwrap();
    events.reverse();
    events
}

fn when(events: &[StackEvent], logical: &str, status: &str) -> i64 {
    events
        .iter()
        .find(|e| e.logical_id == logical && e.status == status)
        .and_then(|e| e.at)
        .unwrap_or_else(|| panic!("no {status} for {logical}"))
}

async fn status(cloud: &Cloud) -> StackStatus {
    cloud
        .stacks
        .describe_stack(STACK)
        .await
        .unwrap()
        .unwrap()
        .status
}

async fn create(sandbox: &Sandbox, cloud: &Cloud) {
    apply(
        sandbox,
        cloud,
        "create-1",
        ChangeSetKind::Create,
        &template(),
    )
    .await;
    sandbox.advance(15 * MINUTE);
    assert_eq!(status(cloud).await, StackStatus::CreateComplete);
}

#[tokio::test]
async fn a_create_change_set_lists_every_resource_and_creation_takes_real_durations() {
    let (sandbox, cloud) = start();
    assert_eq!(cloud.stacks.describe_stack(STACK).await.unwrap(), None);
    cloud
        .stacks
        .create_change_set(&request("create-1", ChangeSetKind::Create, &template()))
        .await
        .unwrap();
    assert_eq!(status(&cloud).await, StackStatus::ReviewInProgress);
    let pending = cloud
        .stacks
        .describe_change_set(STACK, "create-1")
        .await
        .unwrap();
    assert!(pending.status.is_pending());
    assert!(
        cloud
            .stacks
            .execute_change_set(STACK, "create-1")
            .await
            .is_err()
    );

    sandbox.advance(5 * SECOND);
    let cs = cloud
        .stacks
        .describe_change_set(STACK, "create-1")
        .await
        .unwrap();
    assert_eq!(cs.execution_status.as_deref(), Some("AVAILABLE"));
    assert_eq!(cs.changes.len(), 9);
    assert!(cs.changes.iter().all(|c| c.action == ChangeAction::Add));
    cloud
        .stacks
        .execute_change_set(STACK, "create-1")
        .await
        .unwrap();
    assert_eq!(status(&cloud).await, StackStatus::CreateInProgress);

    // Two minutes in, the NAT gateway and the database are still being created.
    sandbox.advance(2 * MINUTE);
    assert_eq!(status(&cloud).await, StackStatus::CreateInProgress);
    sandbox.advance(13 * MINUTE);
    let stack = cloud.stacks.describe_stack(STACK).await.unwrap().unwrap();
    assert_eq!(stack.status, StackStatus::CreateComplete);

    let events = chronological(&cloud).await;
    for e in &events {
        println!(
            "{:>5}s {:<10} {:<26} {}",
            (e.at.unwrap() - SANDBOX_EPOCH) / 1000,
            e.logical_id,
            e.status,
            e.reason.as_deref().unwrap_or("")
        );
    }
    // A resource starts only once what it refers to (Ref, GetAtt, DependsOn) is complete.
    let after = |logical: &str, dep: &str| {
        assert!(
            when(&events, logical, "CREATE_IN_PROGRESS") >= when(&events, dep, "CREATE_COMPLETE"),
            "{logical} started before {dep} completed"
        );
    };
    after("SubnetA", "Vpc");
    after("AppSg", "Vpc");
    after("Nat", "SubnetB"); // DependsOn
    after("Nat", "NatIp"); // Fn::GetAtt
    after("DbSubnets", "SubnetA");
    after("Db", "DbSubnets");
    after("Db", "AppSg");
    let took = |logical: &str| {
        when(&events, logical, "CREATE_COMPLETE") - when(&events, logical, "CREATE_IN_PROGRESS")
    };
    assert!(
        (100 * SECOND..=130 * SECOND).contains(&took("Nat")),
        "{}",
        took("Nat")
    );
    assert!(
        (6 * MINUTE..=8 * MINUTE).contains(&took("Db")),
        "{}",
        took("Db")
    );
    assert!(took("Vpc") <= 15 * SECOND);
    assert_eq!(events.first().unwrap().status, "REVIEW_IN_PROGRESS");
    let last = events.last().unwrap();
    assert!(last.is_stack() && last.status == "CREATE_COMPLETE");

    let outputs: BTreeMap<_, _> = stack.outputs.into_iter().collect();
    assert!(outputs["VpcId"].starts_with("vpc-"), "{outputs:?}");
    assert!(
        outputs["DbEndpoint"].starts_with("umami-db."),
        "{outputs:?}"
    );
    assert_eq!(outputs["LogGroup"], "/ecs/umami in eu-west-2");
    assert_eq!(cloud.stacks.stack_resources(STACK).await.unwrap().len(), 9);
    assert_eq!(
        cloud.stacks.get_template(STACK).await.unwrap(),
        template().to_string()
    );

    // The stack's resources carry its tags; link-like resources (none here) would not.
    let tagged = cloud
        .tagging
        .resources_tagged("opsdeck:stack", STACK)
        .await
        .unwrap();
    assert_eq!(tagged.len(), 9, "{tagged:?}");
    assert!(tagged.iter().any(|t| t.resource_type == "ec2:vpc"));
    assert!(
        tagged
            .iter()
            .any(|t| t.arn == "arn:aws:logs:eu-west-2:123456789012:log-group:/ecs/umami")
    );
}

#[tokio::test]
async fn a_rerun_has_no_changes_and_an_update_changes_only_what_differs() {
    let (sandbox, cloud) = start();
    create(&sandbox, &cloud).await;

    cloud
        .stacks
        .create_change_set(&request("again", ChangeSetKind::Update, &template()))
        .await
        .unwrap();
    sandbox.advance(5 * SECOND);
    let again = cloud
        .stacks
        .describe_change_set(STACK, "again")
        .await
        .unwrap();
    assert!(again.is_empty_no_changes(), "{again:?}");
    assert!(
        cloud
            .stacks
            .execute_change_set(STACK, "again")
            .await
            .is_err()
    );

    let mut changed = template();
    changed["Resources"]["AppSg"]["Properties"]["GroupDescription"] = json!("app tasks");
    let seen = cloud.stacks.stack_events(STACK, None).await.unwrap()[0]
        .id
        .clone();
    apply(
        &sandbox,
        &cloud,
        "update-1",
        ChangeSetKind::Update,
        &changed,
    )
    .await;
    let cs = cloud
        .stacks
        .describe_change_set(STACK, "update-1")
        .await
        .unwrap();
    assert_eq!(cs.execution_status.as_deref(), Some("EXECUTE_IN_PROGRESS"));
    assert_eq!(cs.changes.len(), 1);
    // Executing one change set deletes the others.
    assert!(
        cloud
            .stacks
            .describe_change_set(STACK, "again")
            .await
            .is_err()
    );
    assert_eq!(status(&cloud).await, StackStatus::UpdateInProgress);
    sandbox.advance(MINUTE);
    assert_eq!(status(&cloud).await, StackStatus::UpdateComplete);
    let cs = cloud
        .stacks
        .describe_change_set(STACK, "update-1")
        .await
        .unwrap();
    assert_eq!(cs.execution_status.as_deref(), Some("EXECUTE_COMPLETE"));
    let new: Vec<_> = cloud.stacks.stack_events(STACK, Some(&seen)).await.unwrap();
    let resources: Vec<_> = new
        .iter()
        .filter(|e| !e.is_stack())
        .map(|e| (e.logical_id.as_str(), e.status.as_str()))
        .collect();
    assert_eq!(
        resources,
        [
            ("AppSg", "UPDATE_COMPLETE"),
            ("AppSg", "UPDATE_IN_PROGRESS")
        ]
    );
}

#[tokio::test]
async fn an_update_change_set_names_modify_and_remove() {
    let (sandbox, cloud) = start();
    create(&sandbox, &cloud).await;
    let mut changed = template();
    changed["Resources"]["AppSg"]["Properties"]["GroupDescription"] = json!("app tasks");
    changed["Resources"].as_object_mut().unwrap().remove("Logs");
    changed["Outputs"]
        .as_object_mut()
        .unwrap()
        .remove("LogGroup");
    changed["Resources"]["Cluster"] =
        json!({"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "umami"}});
    cloud
        .stacks
        .create_change_set(&request("u", ChangeSetKind::Update, &changed))
        .await
        .unwrap();
    sandbox.advance(5 * SECOND);
    let cs = cloud.stacks.describe_change_set(STACK, "u").await.unwrap();
    let mut changes: Vec<_> = cs
        .changes
        .iter()
        .map(|c| (c.logical_id.as_str(), c.action))
        .collect();
    changes.sort_by_key(|c| c.0);
    assert_eq!(
        changes,
        [
            ("AppSg", ChangeAction::Modify),
            ("Cluster", ChangeAction::Add),
            ("Logs", ChangeAction::Remove)
        ]
    );
    assert!(
        cs.changes
            .iter()
            .find(|c| c.logical_id == "AppSg")
            .unwrap()
            .physical_id
            .as_deref()
            .unwrap()
            .starts_with("sg-")
    );
    cloud.stacks.execute_change_set(STACK, "u").await.unwrap();
    sandbox.advance(MINUTE);
    assert_eq!(status(&cloud).await, StackStatus::UpdateComplete);
    let events = chronological(&cloud).await;
    let cleanup = when(&events, STACK, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
    assert!(
        when(&events, "Logs", "DELETE_SKIPPED") >= cleanup,
        "removals wait for the cleanup phase"
    );
}

#[tokio::test]
async fn a_failed_resource_rolls_the_create_back() {
    let (sandbox, cloud) = start();
    sandbox.fail_next_resource("AWS::RDS::DBInstance");
    apply(
        &sandbox,
        &cloud,
        "create-1",
        ChangeSetKind::Create,
        &template(),
    )
    .await;
    sandbox.advance(20 * MINUTE);
    let stack = cloud.stacks.describe_stack(STACK).await.unwrap().unwrap();
    assert_eq!(stack.status, StackStatus::RollbackComplete);
    assert!(stack.status.is_failed());

    let events = chronological(&cloud).await;
    let failed = events.iter().find(|e| e.status == "CREATE_FAILED").unwrap();
    assert_eq!(failed.logical_id, "Db");
    assert!(
        failed
            .reason
            .as_deref()
            .unwrap()
            .starts_with("Resource handler returned message:"),
        "{failed:?}"
    );
    let rollback = events
        .iter()
        .find(|e| e.is_stack() && e.status == "ROLLBACK_IN_PROGRESS")
        .unwrap();
    assert!(rollback.reason.as_deref().unwrap().contains("[Db]"));
    // What was created is deleted again, dependants first.
    assert!(when(&events, "Vpc", "DELETE_COMPLETE") >= when(&events, "SubnetA", "DELETE_COMPLETE"));
    assert!(when(&events, "Db", "DELETE_COMPLETE") >= when(&events, "Db", "CREATE_FAILED"));
    assert!(
        cloud
            .stacks
            .stack_resources(STACK)
            .await
            .unwrap()
            .is_empty()
    );

    // ROLLBACK_COMPLETE must be deleted before the stack can be created again.
    let again = cloud
        .stacks
        .create_change_set(&request("create-2", ChangeSetKind::Create, &template()))
        .await;
    assert!(
        matches!(again, Err(CloudError::Rejected { ref message, .. }) if message.contains("delete it")),
        "{again:?}"
    );
    cloud.stacks.delete_stack(STACK).await.unwrap();
    sandbox.advance(5 * SECOND);
    assert_eq!(cloud.stacks.describe_stack(STACK).await.unwrap(), None);
    // The rollback kept the log group (DeletionPolicy: Retain holds on rollback too), and
    // CloudFormation does not adopt it: a retry names a new one.
    assert!(
        cloud
            .logs
            .describe_log_streams("/ecs/umami", None)
            .await
            .is_ok()
    );
    let mut retry = template();
    retry["Resources"]["Logs"]["Properties"]["LogGroupName"] = json!("/ecs/umami-2");
    apply(&sandbox, &cloud, "create-2", ChangeSetKind::Create, &retry).await;
    sandbox.advance(15 * MINUTE);
    assert_eq!(status(&cloud).await, StackStatus::CreateComplete);
}

#[tokio::test]
async fn delete_keeps_a_final_db_snapshot_and_retained_resources() {
    let (sandbox, cloud) = start();
    create(&sandbox, &cloud).await;
    let id = cloud
        .stacks
        .describe_stack(STACK)
        .await
        .unwrap()
        .unwrap()
        .id;
    cloud.stacks.delete_stack(STACK).await.unwrap();
    assert_eq!(status(&cloud).await, StackStatus::DeleteInProgress);
    sandbox.advance(2 * MINUTE);
    assert_eq!(
        status(&cloud).await,
        StackStatus::DeleteInProgress,
        "the DB takes minutes to delete"
    );
    sandbox.advance(10 * MINUTE);
    assert_eq!(cloud.stacks.describe_stack(STACK).await.unwrap(), None);
    let by_arn = cloud.stacks.describe_stack(&id).await.unwrap().unwrap();
    assert_eq!(by_arn.status, StackStatus::DeleteComplete);

    let mut events = cloud.stacks.stack_events(&id, None).await.unwrap();
    events.reverse();
    // Reverse order: what refers to a resource goes before it.
    assert!(
        when(&events, "Vpc", "DELETE_IN_PROGRESS") >= when(&events, "SubnetA", "DELETE_COMPLETE")
    );
    assert!(
        when(&events, "DbSubnets", "DELETE_IN_PROGRESS") >= when(&events, "Db", "DELETE_COMPLETE")
    );
    assert!(
        events
            .iter()
            .any(|e| e.logical_id == "Logs" && e.status == "DELETE_SKIPPED")
    );

    let snapshot = cloud
        .rds
        .describe_db_snapshot("umami-db-final")
        .await
        .unwrap();
    assert_eq!(snapshot.instance, "umami-db");
    let tagged = cloud
        .tagging
        .resources_tagged("opsdeck:stack", STACK)
        .await
        .unwrap();
    assert_eq!(tagged.len(), 1, "only the retained log group: {tagged:?}");
}

#[tokio::test]
async fn a_follower_that_re_attaches_gets_only_new_events() {
    let (sandbox, cloud) = start();
    apply(
        &sandbox,
        &cloud,
        "create-1",
        ChangeSetKind::Create,
        &template(),
    )
    .await;
    sandbox.advance(30 * SECOND);
    let first = cloud.stacks.stack_events(STACK, None).await.unwrap();
    let newest = first[0].id.clone();
    sandbox.advance(15 * MINUTE);
    let rest = cloud
        .stacks
        .stack_events(STACK, Some(&newest))
        .await
        .unwrap();
    assert!(!rest.is_empty());
    assert!(rest.iter().all(|e| first.iter().all(|f| f.id != e.id)));
    let all = cloud.stacks.stack_events(STACK, None).await.unwrap();
    assert_eq!(all.len(), first.len() + rest.len());
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at), "newest first");
    assert!(rest[0].is_stack() && rest[0].status == "CREATE_COMPLETE");
}

#[tokio::test]
async fn iam_needs_its_capability_and_read_only_refuses_every_change() {
    let (_sandbox, cloud) = start();
    let mut with_role = template();
    with_role["Resources"]["Role"] =
        json!({"Type": "AWS::IAM::Role", "Properties": {"RoleName": "umami-task"}});
    let refused = cloud
        .stacks
        .create_change_set(&request("c", ChangeSetKind::Create, &with_role))
        .await;
    assert!(
        matches!(refused, Err(CloudError::Rejected { ref message, .. }) if message.contains("CAPABILITY_NAMED_IAM")),
        "{refused:?}"
    );

    let ro = cloud.clone().read_only();
    let req = request("c", ChangeSetKind::Create, &template());
    assert!(matches!(
        ro.stacks.create_change_set(&req).await,
        Err(CloudError::ReadOnly { .. })
    ));
    assert!(matches!(
        ro.stacks.execute_change_set(STACK, "c").await,
        Err(CloudError::ReadOnly { .. })
    ));
    assert!(matches!(
        ro.stacks.delete_change_set(STACK, "c").await,
        Err(CloudError::ReadOnly { .. })
    ));
    assert!(matches!(
        ro.stacks.delete_stack(STACK).await,
        Err(CloudError::ReadOnly { .. })
    ));
    assert_eq!(ro.stacks.describe_stack(STACK).await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------
// A bootstrapped stack in the empty account: what CloudFormation creates is what
// discovery, `opsdeck status` and the dashboard then find.
// ---------------------------------------------------------------------------------------

/// The image the empty account's repository holds, as the healthy scenario runs it.
const IMAGE: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami:v2.13.0";

/// The answers of `assets/stack.example.toml` running `IMAGE`, with `edits` (text ->
/// replacement) applied to the file.
fn example_answers(edits: &[(&str, &str)]) -> Answers {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stack.example.toml");
    let mut text = std::fs::read_to_string(path).unwrap();
    let image = format!("image = \"{IMAGE}\"");
    for (from, to) in [("image = \"umami\"", image.as_str())].iter().chain(edits) {
        assert!(text.contains(from), "the example has no {from:?}");
        text = text.replace(from, to);
    }
    Answers::parse(&text, Path::new("stack.toml")).unwrap()
}

fn umami() -> StackRef {
    StackRef {
        name: STACK.into(),
        region: "eu-west-2".into(),
        cluster: STACK.into(),
        service: STACK.into(),
    }
}

/// Moves the clock in 10-second steps until the stack's status is no longer in progress;
/// follows the stack by its ARN, which still answers once it is deleted.
async fn settle(sandbox: &Sandbox, cloud: &Cloud, limit: i64) -> StackStatus {
    let id = cloud
        .stacks
        .describe_stack(STACK)
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut waited = 0;
    loop {
        let status = cloud
            .stacks
            .describe_stack(&id)
            .await
            .unwrap()
            .unwrap()
            .status;
        if !status.is_in_progress() || waited >= limit {
            return status;
        }
        sandbox.advance(10 * SECOND);
        waited += 10 * SECOND;
    }
}

/// Submits the template of `answers` as `opsdeck bootstrap` does: a change set of `kind`
/// with the stack tag, computed, then executed. A hosted-zone parameter gets the
/// account's zone for the answers' domain; the others keep their defaults.
async fn submit(
    sandbox: &Sandbox,
    cloud: &Cloud,
    answers: &Answers,
    name: &str,
    kind: ChangeSetKind,
) -> ChangeSet {
    let template: Value =
        serde_json::from_str(&StackModel::build(answers).template_text()).unwrap();
    let mut parameters = Vec::new();
    for (parameter, body) in template["Parameters"].as_object().into_iter().flatten() {
        if parameter == "HostedZoneId" {
            let domain = answers
                .domain
                .as_ref()
                .expect("a zone parameter means a domain");
            parameters.push((
                parameter.clone(),
                sandbox.add_hosted_zone(&domain.hosted_zone),
            ));
        } else {
            assert!(body.get("Default").is_some(), "{parameter} needs a value");
        }
    }
    let request = ChangeSetRequest {
        stack: STACK.into(),
        change_set_name: name.into(),
        template_body: template.to_string(),
        kind,
        capabilities: vec![Capability::Iam],
        parameters,
        previous_parameters: vec![],
        tags: vec![("opsdeck:stack".into(), STACK.into())],
    };
    cloud.stacks.create_change_set(&request).await.unwrap();
    sandbox.advance(5 * SECOND);
    let cs = cloud.stacks.describe_change_set(STACK, name).await.unwrap();
    assert_eq!(cs.status, ChangeSetStatus::CreateComplete, "{cs:?}");
    cloud.stacks.execute_change_set(STACK, name).await.unwrap();
    cs
}

/// Starts creating the stack of `answers` in a fresh empty account.
async fn start_bootstrap(answers: &Answers) -> (Arc<Sandbox>, Cloud) {
    let (sandbox, cloud) = start();
    submit(
        &sandbox,
        &cloud,
        answers,
        "bootstrap-1",
        ChangeSetKind::Create,
    )
    .await;
    (sandbox, cloud)
}

/// Waits (at most ten minutes) for every deployment of the service to finish, as a user
/// watching the dashboard would; answers what `opsdeck status` then reports.
async fn deployed(sandbox: &Sandbox, cloud: &Cloud) -> StatusReport {
    let since = sandbox.now();
    loop {
        let report = status::collect(cloud, &umami()).await.unwrap();
        let done = report.services.iter().all(|s| {
            s.deployments
                .iter()
                .all(|d| d.rollout_state == RolloutState::Completed)
        });
        if done || sandbox.now() - since > 10 * MINUTE {
            return report;
        }
        sandbox.advance(10 * SECOND);
    }
}

/// Bootstraps `answers` to CREATE_COMPLETE and the service's first deployment.
async fn bootstrap(answers: &Answers) -> (Arc<Sandbox>, Cloud, StatusReport) {
    let (sandbox, cloud) = start_bootstrap(answers).await;
    assert_eq!(
        settle(&sandbox, &cloud, 30 * MINUTE).await,
        StackStatus::CreateComplete
    );
    let report = deployed(&sandbox, &cloud).await;
    (sandbox, cloud, report)
}

fn print_findings(report: &StatusReport) {
    let json: Value = serde_json::from_str(&report.to_json()).unwrap();
    println!(
        "findings: {}",
        serde_json::to_string_pretty(&json["findings"]).unwrap()
    );
}

#[tokio::test]
async fn a_bootstrapped_stack_runs_in_the_empty_account_and_status_follows_its_wires() {
    let answers = example_answers(&[]);
    let desired = answers.service.desired;
    let (_sandbox, cloud, report) = bootstrap(&answers).await;

    // The service runs its desired tasks, healthy behind the load balancer.
    let [service] = report.services.as_slice() else {
        panic!("{:?}", report.services)
    };
    assert_eq!((service.desired, service.running), (desired, desired));
    assert_eq!(service.task_definition, "umami:1");
    let [group] = report.target_groups.as_slice() else {
        panic!("{:?}", report.target_groups)
    };
    assert_eq!(group.healthy, desired as usize, "{group:?}");
    let definition = cloud.ecs.describe_task_definition("umami:1").await.unwrap();
    let container = &definition.containers[0];
    assert_eq!(container.image, IMAGE);
    assert_eq!(container.port, Some(3000));
    let secrets: Vec<_> = container.secrets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(secrets, ["PGUSER", "PGPASSWORD"]);
    let logs = container.logs.clone().unwrap();
    assert_eq!(logs.group, "/ecs/umami");
    // The tasks write to the stack's log group, in streams named after each task.
    let streams = cloud
        .logs
        .describe_log_streams(&logs.group, Some("ecs/umami/"))
        .await
        .unwrap();
    assert!(streams.len() >= desired as usize, "{streams:?}");

    // HTTPS on 443 with the stack's certificate; 80 redirects to it.
    let network = &report.network;
    let [balancer] = network.load_balancers.as_slice() else {
        panic!("{:?}", network.load_balancers)
    };
    let ports: Vec<u16> = balancer.listeners.iter().map(|l| l.port).collect();
    assert_eq!(ports, [80, 443]);
    let https = &balancer.listeners[1];
    assert_eq!(https.protocol, "HTTPS");
    assert_eq!(
        https.certificates[0].domain.as_deref(),
        Some("analytics.example.com")
    );
    assert_eq!(https.certificates[0].status.as_deref(), Some("ISSUED"));
    assert!(matches!(
        &https.default_action,
        DefaultAction::Forward { target_groups } if target_groups[0].name == group.name
    ));
    assert!(matches!(
        &balancer.listeners[0].default_action,
        DefaultAction::Redirect { protocol, port, .. } if protocol == "HTTPS" && port == "443"
    ));

    // Two public and two private subnets in the VPC, the private ones out through a NAT.
    assert_eq!(network.vpc.as_ref().unwrap().cidr, "10.0.0.0/16");
    let public = network.subnets.iter().filter(|s| s.public).count();
    assert_eq!((public, network.subnets.len() - public), (2, 2));
    assert_eq!(network.internet_gateways.len(), 1);
    let [nat] = network.nat_gateways.as_slice() else {
        panic!("{:?}", network.nat_gateways)
    };
    assert_eq!(nat.state, "available");
    assert!(nat.public_ip.is_some(), "{nat:?}");

    // The database, admitted by the service's group, and the name users reach.
    let [database] = report.databases.as_slice() else {
        panic!("{:?}", report.databases)
    };
    assert_eq!(database.status, "available");
    assert!(database.engine.starts_with("postgres"), "{database:?}");
    assert_eq!(network.dns_records[0].name, "analytics.example.com");
    assert_eq!(
        network.url.as_deref(),
        Some("https://analytics.example.com")
    );

    // Findings only of what the answers chose: one NAT gateway, a single-AZ database.
    print_findings(&report);
    let titles: Vec<&str> = report.findings.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "one NAT gateway serves 2 availability zones (eu-west-2a, eu-west-2b): egress fails with its zone",
            "database is not Multi-AZ: an AZ outage takes it down",
        ]
    );
    assert_eq!(report.health, opsdeck::model::Health::Ok);
}

#[tokio::test]
async fn three_zones_with_a_nat_each_and_no_database_make_three_nats_and_plain_http() {
    let answers = example_answers(&[
        ("azs = 2", "azs = 3"),
        ("nat = \"single\"", "nat = \"per-az\""),
        (
            "kind = \"postgres\"            # or \"none\", or \"external\" (with connection_string)\nversion = \"17.6\"\nclass = \"db.t3.micro\"\nstorage_gb = 20\nmulti_az = false\nbackup_days = 7\ndeletion_protection = true\n",
            "kind = \"none\"\n",
        ),
        (
            "[domain]                     # optional: HTTPS with an ACM certificate, :80 redirecting\nname = \"analytics.example.com\"\nhosted_zone = \"example.com\"\n",
            "",
        ),
    ]);
    let (_sandbox, _cloud, report) = bootstrap(&answers).await;
    let network = &report.network;
    let zones: BTreeSet<_> = network
        .nat_gateways
        .iter()
        .map(|n| n.availability_zone.clone().unwrap())
        .collect();
    assert_eq!(
        zones.len(),
        3,
        "one NAT gateway per zone: {:?}",
        network.nat_gateways
    );
    assert_eq!(network.subnets.len(), 6);
    assert!(report.databases.is_empty() && network.databases.is_empty());
    let balancer = &network.load_balancers[0];
    assert_eq!(balancer.listeners.len(), 1);
    assert_eq!(balancer.listeners[0].port, 80);
    assert_eq!(
        network.url.as_deref(),
        Some(format!("http://{}", balancer.dns_name).as_str())
    );
    let service = &report.services[0];
    assert_eq!(service.running, service.desired);
    // Without a domain there is no certificate, so no HTTPS: the one finding says so.
    print_findings(&report);
    let titles: Vec<&str> = report.findings.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(
        titles,
        ["load balancer has no HTTPS listener: traffic is unencrypted"]
    );
}

#[tokio::test]
async fn deleting_the_bootstrapped_stack_leaves_only_the_final_snapshot() {
    // DeletionProtection would (rightly) stop a delete on AWS; the stand-in does not model
    // that refusal, so this stack is made without it.
    let answers = example_answers(&[("deletion_protection = true", "deletion_protection = false")]);
    let (sandbox, cloud, report) = bootstrap(&answers).await;
    let vpc = report.network.vpc.clone().unwrap().id;
    let database = report.databases[0].id.clone();
    cloud.stacks.delete_stack(STACK).await.unwrap();
    assert_eq!(
        settle(&sandbox, &cloud, 30 * MINUTE).await,
        StackStatus::DeleteComplete
    );

    let gone = ops::discover::topology(&cloud, &umami()).await.unwrap_err();
    assert!(matches!(gone, CloudError::NotFound { .. }), "{gone:?}");
    assert_none_of_the_stack_is_served(&cloud).await;
    assert!(cloud.network.describe_vpc(&vpc).await.is_err());
    // The task definition stays, deregistered; the image outside the stack stays too.
    let inactive = cloud.ecs.describe_task_definition("umami:1").await.unwrap();
    assert_eq!(inactive.status, TaskDefinitionStatus::Inactive);
    assert!(!cloud.ecr.describe_images("umami").await.unwrap().is_empty());

    let snapshot = cloud
        .rds
        .describe_db_snapshot("umami-database-final")
        .await
        .unwrap();
    assert_eq!(snapshot.instance, database);
    let tagged = cloud
        .tagging
        .resources_tagged("opsdeck:stack", STACK)
        .await
        .unwrap();
    let arns: Vec<&str> = tagged.iter().map(|t| t.arn.as_str()).collect();
    assert_eq!(
        arns,
        ["arn:aws:rds:eu-west-2:123456789012:snapshot:umami-database-final"],
        "the snapshot copies the stack's tags"
    );
}

#[tokio::test]
async fn a_failed_database_rolls_the_bootstrap_back_and_nothing_of_it_remains() {
    let answers = example_answers(&[]);
    let (sandbox, cloud) = start_bootstrap(&answers).await;
    // The database starts once its subnet group and security group are there.
    sandbox.fail_next_resource("AWS::RDS::DBInstance");
    assert_eq!(
        settle(&sandbox, &cloud, 30 * MINUTE).await,
        StackStatus::RollbackComplete
    );
    let events = chronological(&cloud).await;
    let made: Vec<&StackEvent> = events
        .iter()
        .filter(|e| e.status == "CREATE_COMPLETE" && !e.is_stack())
        .collect();
    assert!(made.len() > 10, "the network and ALB were made first");
    assert_none_of_the_stack_is_served(&cloud).await;
    for e in events.iter().filter(|e| e.resource_type == "AWS::EC2::VPC") {
        let id = e.physical_id.as_deref().unwrap_or_default();
        assert!(
            cloud.network.describe_vpc(id).await.is_err(),
            "{id} remains"
        );
    }
    assert!(
        cloud
            .logs
            .describe_log_streams("/ecs/umami", None)
            .await
            .map_or(true, |streams| streams.is_empty())
    );
    let tagged = cloud
        .tagging
        .resources_tagged("opsdeck:stack", STACK)
        .await
        .unwrap();
    assert!(tagged.is_empty(), "{tagged:?}");
}

#[tokio::test]
async fn a_stack_update_with_a_new_image_and_count_deploys_a_new_revision() {
    let (sandbox, cloud, _) = bootstrap(&example_answers(&[])).await;
    let next = IMAGE.replace("v2.13.0", "v2.13.1");
    let answers = example_answers(&[(IMAGE, next.as_str()), ("desired = 2", "desired = 3")]);
    let cs = submit(
        &sandbox,
        &cloud,
        &answers,
        "update-1",
        ChangeSetKind::Update,
    )
    .await;
    let changed: BTreeMap<&str, Option<Replacement>> = cs
        .changes
        .iter()
        .map(|c| (c.logical_id.as_str(), c.replacement))
        .collect();
    // A task definition is immutable: a new revision replaces it, and the service that
    // refers to it changes with it.
    assert_eq!(
        changed["TaskDefinition"],
        Some(Replacement::True),
        "{changed:?}"
    );
    assert_eq!(changed["Service"], Some(Replacement::False), "{changed:?}");
    assert_eq!(
        settle(&sandbox, &cloud, 10 * MINUTE).await,
        StackStatus::UpdateComplete
    );
    let report = deployed(&sandbox, &cloud).await;
    let service = &report.services[0];
    assert_eq!(service.task_definition, "umami:2");
    assert_eq!((service.desired, service.running), (3, 3));
    assert_eq!(report.target_groups[0].healthy, 3);
    let definition = cloud.ecs.describe_task_definition("umami:2").await.unwrap();
    assert_eq!(definition.containers[0].image, next);
    // CloudFormation's cleanup deregistered the replaced revision.
    let replaced = cloud.ecs.describe_task_definition("umami:1").await.unwrap();
    assert_eq!(replaced.status, TaskDefinitionStatus::Inactive);
}

#[tokio::test]
async fn a_new_repository_named_like_the_accounts_own_fails_and_leaves_its_images_alone() {
    // `image = "umami"` asks the stack to create the repository, which the empty account
    // already holds: CloudFormation does not adopt it.
    let reference = format!("image = \"{IMAGE}\"");
    let answers = example_answers(&[(reference.as_str(), "image = \"umami\"")]);
    let (sandbox, cloud) = start_bootstrap(&answers).await;
    assert_eq!(
        settle(&sandbox, &cloud, 30 * MINUTE).await,
        StackStatus::RollbackComplete
    );
    let events = chronological(&cloud).await;
    let failed = events
        .iter()
        .find(|e| e.logical_id == "ImageRepository" && e.status == "CREATE_FAILED")
        .expect("the repository fails");
    assert!(
        failed
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("'umami' already exists")),
        "{failed:?}"
    );
    let images = cloud.ecr.describe_images("umami").await.unwrap();
    assert_eq!(
        images.len(),
        6,
        "the rollback kept the account's repository"
    );
}

#[tokio::test]
async fn a_new_parameter_value_alone_updates_what_refers_to_it() {
    let (sandbox, cloud) = start();
    let template = json!({
        "Parameters": {"DesiredCount": {"Type": "Number", "Default": 1}},
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}},
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": STACK}},
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
                "Family": STACK, "Cpu": "256", "Memory": "512",
                "ContainerDefinitions": [{"Name": STACK, "Image": IMAGE, "PortMappings": [{"ContainerPort": 3000}]}]}},
            "Service": {"Type": "AWS::ECS::Service", "Properties": {
                "Cluster": {"Ref": "Cluster"}, "ServiceName": STACK, "TaskDefinition": {"Ref": "Task"},
                "DesiredCount": {"Ref": "DesiredCount"},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [{"Ref": "Subnet"}]}}}}
        }
    });
    let mut create = request("create-1", ChangeSetKind::Create, &template);
    create.parameters.clear();
    cloud.stacks.create_change_set(&create).await.unwrap();
    sandbox.advance(5 * SECOND);
    cloud
        .stacks
        .execute_change_set(STACK, "create-1")
        .await
        .unwrap();
    assert_eq!(
        settle(&sandbox, &cloud, 10 * MINUTE).await,
        StackStatus::CreateComplete
    );
    let running = |cloud: Cloud| async move {
        let report = status::collect(&cloud, &umami()).await.unwrap();
        (report.services[0].desired, report.services[0].running)
    };
    sandbox.advance(MINUTE);
    assert_eq!(running(cloud.clone()).await, (1, 1), "the default applies");

    let mut update = request("update-1", ChangeSetKind::Update, &template);
    update.parameters = vec![("DesiredCount".into(), "3".into())];
    cloud.stacks.create_change_set(&update).await.unwrap();
    sandbox.advance(5 * SECOND);
    let cs = cloud
        .stacks
        .describe_change_set(STACK, "update-1")
        .await
        .unwrap();
    let changed: Vec<&str> = cs.changes.iter().map(|c| c.logical_id.as_str()).collect();
    assert_eq!(changed, ["Service"]);
    cloud
        .stacks
        .execute_change_set(STACK, "update-1")
        .await
        .unwrap();
    assert_eq!(
        settle(&sandbox, &cloud, 10 * MINUTE).await,
        StackStatus::UpdateComplete
    );
    sandbox.advance(MINUTE);
    assert_eq!(running(cloud.clone()).await, (3, 3));
}

#[tokio::test]
async fn a_failed_update_returns_the_service_to_the_revision_it_ran() {
    let (sandbox, cloud, _) = bootstrap(&example_answers(&[])).await;
    let next = IMAGE.replace("v2.13.0", "v2.13.1");
    let answers = example_answers(&[(IMAGE, next.as_str())]);
    submit(
        &sandbox,
        &cloud,
        &answers,
        "update-1",
        ChangeSetKind::Update,
    )
    .await;
    sandbox.fail_next_resource("AWS::ECS::Service");
    assert_eq!(
        settle(&sandbox, &cloud, 10 * MINUTE).await,
        StackStatus::UpdateRollbackComplete
    );
    let report = deployed(&sandbox, &cloud).await;
    let service = &report.services[0];
    assert_eq!(service.task_definition, "umami:1");
    assert_eq!(service.running, service.desired);
    for (revision, status) in [
        ("umami:1", TaskDefinitionStatus::Active),
        ("umami:2", TaskDefinitionStatus::Inactive),
    ] {
        let definition = cloud.ecs.describe_task_definition(revision).await.unwrap();
        assert_eq!(definition.status, status, "{revision}");
    }
}

/// What a user would look for after the stack is gone: no cluster, load balancer, target
/// group, database or certificate left in the account.
async fn assert_none_of_the_stack_is_served(cloud: &Cloud) {
    assert!(cloud.ecs.list_clusters().await.unwrap().is_empty());
    let balancers = cloud.elb.describe_load_balancers(&[]).await.unwrap();
    assert!(balancers.is_empty(), "{balancers:?}");
    let groups = cloud.elb.describe_target_groups(&[]).await.unwrap();
    assert!(groups.is_empty(), "{groups:?}");
    let databases = cloud.rds.describe_db_instances().await.unwrap();
    assert!(databases.is_empty(), "{databases:?}");
    let certificates = cloud.edge.describe_certificates(&[]).await.unwrap();
    assert!(certificates.is_empty(), "{certificates:?}");
}
