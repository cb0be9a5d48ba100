//! The AWS side of releases against moto_server: a new image revision is the service's own
//! revision with one image changed (compared field by field as ECS describes both), revisions
//! by status, ECR images newest first, RDS snapshots, the deployment history moto lacks, and
//! read-only mode refusing every change before a request leaves opsdeck.

#[path = "common/moto.rs"]
mod moto;

use aws_sdk_ecs::types::{ContainerDefinition as SdkContainer, TaskDefinition as SdkDefinition};
use moto::{
    Moto, RICH_SECRET_ARN, build_umami, describe_task_definition_raw, image_manifest, push_image,
    register_rich_task_definition,
};
use opsdeck::cloud::CloudError;
use opsdeck::model::{
    ContainerHealthCheck, NewTaskDefinition, ServiceUpdate, TaskDefinitionStatus,
};

const OLD_IMAGE: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami:v2.13.2";
const NEW_IMAGE: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/umami@sha256:\
                         7a5c9e6f0d4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a29180";
const SIDECAR_IMAGE: &str = "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.27.3.0-prod";

/// Fields moto 5.2.5 does not keep: registered with a value, described without it. For
/// these the moto comparison proves nothing; tests/release_mocks.rs checks the request.
const MOTO_DROPS: &[&str] = &["enableFaultInjection"];

/// Every field RegisterTaskDefinition accepts, as ECS describes it, by its API name.
fn registerable(
    d: &SdkDefinition,
    tags: &[aws_sdk_ecs::types::Tag],
) -> Vec<(&'static str, String)> {
    #[allow(deprecated)]
    let accelerators = format!("{:?}", d.inference_accelerators);
    vec![
        ("family", format!("{:?}", d.family)),
        ("taskRoleArn", format!("{:?}", d.task_role_arn)),
        ("executionRoleArn", format!("{:?}", d.execution_role_arn)),
        ("networkMode", format!("{:?}", d.network_mode)),
        ("volumes", format!("{:?}", d.volumes)),
        (
            "placementConstraints",
            format!("{:?}", d.placement_constraints),
        ),
        (
            "requiresCompatibilities",
            format!("{:?}", d.requires_compatibilities),
        ),
        ("cpu", format!("{:?}", d.cpu)),
        ("memory", format!("{:?}", d.memory)),
        ("tags", format!("{tags:?}")),
        ("pidMode", format!("{:?}", d.pid_mode)),
        ("ipcMode", format!("{:?}", d.ipc_mode)),
        ("proxyConfiguration", format!("{:?}", d.proxy_configuration)),
        ("inferenceAccelerators", accelerators),
        ("ephemeralStorage", format!("{:?}", d.ephemeral_storage)),
        ("runtimePlatform", format!("{:?}", d.runtime_platform)),
        (
            "enableFaultInjection",
            format!("{:?}", d.enable_fault_injection),
        ),
    ]
}

/// Whether the rich helper's value for `field` came back from moto at all: a field that
/// comes back empty on both sides would compare equal and prove nothing.
fn round_tripped(field: &str, d: &SdkDefinition, tags: &[aws_sdk_ecs::types::Tag]) -> bool {
    #[allow(deprecated)]
    let accelerators = !d.inference_accelerators().is_empty();
    match field {
        "family" => d.family().is_some(),
        "taskRoleArn" => d.task_role_arn().is_some(),
        "executionRoleArn" => d.execution_role_arn().is_some(),
        "networkMode" => d.network_mode().is_some(),
        "volumes" => !d.volumes().is_empty(),
        "placementConstraints" => !d.placement_constraints().is_empty(),
        "requiresCompatibilities" => !d.requires_compatibilities().is_empty(),
        "cpu" => d.cpu().is_some(),
        "memory" => d.memory().is_some(),
        "tags" => tags.len() == 2,
        "pidMode" => d.pid_mode().is_some(),
        "ipcMode" => d.ipc_mode().is_some(),
        "proxyConfiguration" => d.proxy_configuration().is_some(),
        "inferenceAccelerators" => accelerators,
        "ephemeralStorage" => d.ephemeral_storage().is_some(),
        "runtimePlatform" => d.runtime_platform().is_some(),
        "enableFaultInjection" => d.enable_fault_injection().is_some(),
        other => panic!("no presence check for {other}"),
    }
}

/// The container fields the rich helper sets on the app container, and whether each came back.
fn app_fields_round_tripped(c: &SdkContainer) -> Vec<(&'static str, bool)> {
    vec![
        ("cpu", c.cpu() == 384),
        ("memory", c.memory() == Some(768)),
        ("memoryReservation", c.memory_reservation() == Some(512)),
        ("portMappings", c.port_mappings().len() == 1),
        ("environment", c.environment().len() == 2),
        ("secrets", c.secrets().len() == 1),
        ("healthCheck", c.health_check().is_some()),
        ("logConfiguration", c.log_configuration().is_some()),
        ("mountPoints", c.mount_points().len() == 1),
        ("dependsOn", c.depends_on().len() == 1),
        ("ulimits", c.ulimits().len() == 1),
        ("linuxParameters", c.linux_parameters().is_some()),
        ("stopTimeout", c.stop_timeout() == Some(30)),
        ("dockerLabels", c.docker_labels().is_some()),
        (
            "readonlyRootFilesystem",
            c.readonly_root_filesystem() == Some(true),
        ),
        ("user", c.user() == Some("1000")),
        ("workingDirectory", c.working_directory() == Some("/app")),
        ("entryPoint", c.entry_point().len() == 1),
        ("command", c.command().len() == 2),
    ]
}

fn container<'a>(d: &'a SdkDefinition, name: &str) -> &'a SdkContainer {
    d.container_definitions()
        .iter()
        .find(|c| c.name() == Some(name))
        .unwrap_or_else(|| panic!("no container {name} in {:?}", d.task_definition_arn()))
}

#[tokio::test]
async fn an_image_revision_is_the_services_own_revision_with_one_image_changed() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let umami = build_umami(&config, "umami", 0).await;
    // The service runs the rich revision (umami:2)...
    let source = register_rich_task_definition(&ecs, "umami", OLD_IMAGE).await;
    ecs.update_service()
        .cluster(&umami.cluster)
        .service(&umami.service)
        .task_definition(&source)
        .send()
        .await
        .unwrap();
    // ...and someone registered umami:3 that was never deployed: it must not be the base.
    ecs.register_task_definition()
        .family("umami")
        .cpu("256")
        .memory("512")
        .container_definitions(
            SdkContainer::builder()
                .name("umami")
                .image("umami:never-deployed")
                .memory(512)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (cloud, calls) = moto.cloud().await;

    let new = cloud
        .ecs
        .register_image_revision(&source, "umami", NEW_IMAGE)
        .await
        .unwrap();

    assert_eq!(new.family, "umami");
    assert_eq!(new.revision, 4, "{}", new.arn);
    assert_eq!(calls.calls().get("ECS.RegisterTaskDefinition"), Some(&1));
    let (before, before_tags) = describe_task_definition_raw(&ecs, &source).await;
    let (after, after_tags) = describe_task_definition_raw(&ecs, &new.arn).await;

    // What moto kept of the rich revision: only those fields are proven here.
    let mut dropped = Vec::new();
    for (field, _) in registerable(&before, &before_tags) {
        if !round_tripped(field, &before, &before_tags) {
            dropped.push(field);
        }
    }
    for (field, kept) in app_fields_round_tripped(container(&before, "umami")) {
        if !kept {
            dropped.push(field);
        }
    }
    assert_eq!(
        dropped, MOTO_DROPS,
        "moto now keeps (or drops) other fields than MOTO_DROPS says: update it and the report"
    );

    // Field by field, by API name, so a failure says which field the copy lost.
    for ((field, was), (_, now)) in registerable(&before, &before_tags)
        .into_iter()
        .zip(registerable(&after, &after_tags))
    {
        assert_eq!(now, was, "{field} differs between {source} and {}", new.arn);
    }
    assert_eq!(after_tags, before_tags);
    assert_eq!(
        container(&after, "umami").image(),
        Some(NEW_IMAGE),
        "the app container runs the new image"
    );
    assert_eq!(
        container(&after, "envoy").image(),
        Some(SIDECAR_IMAGE),
        "the sidecar keeps its image"
    );
    assert_eq!(
        container(&after, "envoy"),
        container(&before, "envoy"),
        "the sidecar is copied whole"
    );
    let mut expected_app = container(&before, "umami").clone();
    expected_app.image = Some(NEW_IMAGE.to_string());
    assert_eq!(container(&after, "umami"), &expected_app);

    // The whole description, once the bookkeeping ECS adds to every revision is set aside:
    // catches a field that the lists above do not name.
    let mut expected = before.clone();
    expected.task_definition_arn = after.task_definition_arn.clone();
    expected.revision = after.revision;
    expected.registered_at = after.registered_at;
    expected.registered_by = after.registered_by.clone();
    expected.container_definitions = Some(
        before
            .container_definitions()
            .iter()
            .map(|c| {
                let mut c = c.clone();
                if c.name() == Some("umami") {
                    c.image = Some(NEW_IMAGE.to_string());
                }
                c
            })
            .collect(),
    );
    assert_eq!(after, expected);

    // What opsdeck's model shows of the new revision: tags, health checks, the secret by
    // reference only.
    let described = cloud.ecs.describe_task_definition(&new.arn).await.unwrap();
    assert_eq!(
        described, new,
        "the registered revision reads back the same"
    );
    let mut tags = described.tags.clone();
    tags.sort();
    assert_eq!(
        tags,
        [
            ("app".to_string(), "umami".to_string()),
            ("cost-centre".to_string(), "analytics".to_string())
        ]
    );
    let app = &described.containers[0];
    assert_eq!(app.name, "umami");
    assert_eq!(app.image, NEW_IMAGE);
    assert_eq!(
        app.secrets,
        [("DATABASE_URL".to_string(), RICH_SECRET_ARN.to_string())]
    );
    assert_eq!(
        app.health_check,
        Some(ContainerHealthCheck {
            command: vec![
                "CMD-SHELL".into(),
                "curl -f http://localhost:3000/api/heartbeat || exit 1".into()
            ],
            interval_s: 15,
            timeout_s: 4,
            retries: 5,
            start_period_s: 60,
        })
    );
    // ECS's defaults where the sidecar's check leaves them out.
    let sidecar_check = described.containers[1].health_check.as_ref().unwrap();
    assert_eq!(
        (
            sidecar_check.interval_s,
            sidecar_check.timeout_s,
            sidecar_check.retries,
            sidecar_check.start_period_s
        ),
        (30, 5, 3, 0)
    );
}

#[tokio::test]
async fn an_unknown_container_is_refused_naming_the_ones_there_and_nothing_is_registered() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let source = register_rich_task_definition(&ecs, "umami", OLD_IMAGE).await;
    let (cloud, calls) = moto.cloud().await;

    let err = cloud
        .ecs
        .register_image_revision(&source, "web", NEW_IMAGE)
        .await
        .unwrap_err();

    let CloudError::Rejected { operation, message } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    assert_eq!(operation, "ecs:RegisterTaskDefinition");
    assert!(message.contains("web"), "{message}");
    assert!(message.contains("umami, envoy"), "{message}");
    assert_eq!(calls.calls().get("ECS.RegisterTaskDefinition"), None);
    let arns = ecs
        .list_task_definitions()
        .family_prefix("umami")
        .send()
        .await
        .unwrap()
        .task_definition_arns
        .unwrap_or_default();
    assert_eq!(arns, [source]);
}

#[tokio::test]
async fn update_service_moves_the_service_to_the_new_revision() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let umami = build_umami(&config, "umami", 0).await;
    let (cloud, _calls) = moto.cloud().await;
    let new = cloud
        .ecs
        .register_image_revision(&umami.task_definition, "umami", NEW_IMAGE)
        .await
        .unwrap();

    let updated = cloud
        .ecs
        .update_service(
            &umami.cluster,
            &umami.service,
            ServiceUpdate {
                task_definition: Some(new.arn.clone()),
                ..ServiceUpdate::default()
            },
        )
        .await
        .unwrap();

    assert_eq!(updated.task_definition, new.arn);
    let services = cloud
        .ecs
        .describe_services(&umami.cluster, std::slice::from_ref(&umami.service))
        .await
        .unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].task_definition, new.arn);
    assert_ne!(new.arn, umami.task_definition);
    // As ECS itself reports it, not through opsdeck's mapping.
    let raw = ecs
        .describe_services()
        .cluster(&umami.cluster)
        .services(&umami.service)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.services()[0].task_definition(), Some(new.arn.as_str()));
}

#[tokio::test]
async fn a_deregistered_revision_is_listed_as_inactive_only() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let umami = build_umami(&config, "umami", 0).await;
    let second = register_rich_task_definition(&ecs, "umami", OLD_IMAGE).await;
    let third = register_rich_task_definition(&ecs, "umami", NEW_IMAGE).await;
    // A family that shares the prefix, with its own inactive revision.
    let worker = register_rich_task_definition(&ecs, "umami-worker", OLD_IMAGE).await;
    for arn in [&second, &worker] {
        ecs.deregister_task_definition()
            .task_definition(arn)
            .send()
            .await
            .unwrap();
    }
    let (cloud, _calls) = moto.cloud().await;

    let inactive = cloud
        .ecs
        .list_task_definitions_with_status("umami", TaskDefinitionStatus::Inactive)
        .await
        .unwrap();
    let active = cloud
        .ecs
        .list_task_definitions_with_status("umami", TaskDefinitionStatus::Active)
        .await
        .unwrap();
    let default = cloud.ecs.list_task_definitions("umami").await.unwrap();

    assert_eq!(inactive, std::slice::from_ref(&second));
    assert_eq!(active, [third.clone(), umami.task_definition.clone()]);
    assert_eq!(default, active);
    let described = cloud.ecs.describe_task_definition(&second).await.unwrap();
    assert_eq!(described.status, TaskDefinitionStatus::Inactive);
    let described = cloud.ecs.describe_task_definition(&third).await.unwrap();
    assert_eq!(described.status, TaskDefinitionStatus::Active);
    let missing = cloud
        .ecs
        .describe_task_definition("umami:99")
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, CloudError::NotFound { kind: "task definition", name, .. } if name == "umami:99"),
        "{missing:?}"
    );
}

#[tokio::test]
async fn ecr_images_come_newest_first_with_digests_and_every_tag() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let ecr = aws_sdk_ecr::Client::new(&config);
    ecr.create_repository()
        .repository_name("umami")
        .send()
        .await
        .unwrap();
    let mut pushed = Vec::new();
    for (seed, tag) in [(1, "v2.13.1"), (2, "v2.13.2"), (3, "v2.14.0")] {
        if seed > 1 {
            // moto stamps pushes to the second.
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        let size = 1000 * seed;
        let digest = push_image(&ecr, "umami", &image_manifest(seed, size), tag).await;
        pushed.push((digest, size));
    }
    // The newest image gets a second tag: same digest, no new image.
    let again = push_image(&ecr, "umami", &image_manifest(3, 3000), "latest").await;
    assert_eq!(again, pushed[2].0);
    let (cloud, calls) = moto.cloud().await;

    let images = cloud.ecr.describe_images("umami").await.unwrap();

    assert_eq!(
        calls.calls().get("ECR.DescribeImages"),
        Some(&1),
        "{:?}",
        calls.calls()
    );
    let summary: Vec<(String, Vec<String>, Option<u64>)> = images
        .iter()
        .map(|i| {
            let mut tags = i.tags.clone();
            tags.sort();
            (i.digest.clone(), tags, i.size_bytes)
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                pushed[2].0.clone(),
                vec!["latest".to_string(), "v2.14.0".to_string()],
                Some(pushed[2].1)
            ),
            (
                pushed[1].0.clone(),
                vec!["v2.13.2".to_string()],
                Some(pushed[1].1)
            ),
            (
                pushed[0].0.clone(),
                vec!["v2.13.1".to_string()],
                Some(pushed[0].1)
            ),
        ]
    );
    for image in &images {
        assert_eq!(image.repository, "umami");
        assert!(
            image.digest.starts_with("sha256:") && image.digest.len() == 71,
            "{}",
            image.digest
        );
    }
    let times: Vec<i64> = images.iter().map(|i| i.pushed_at.unwrap()).collect();
    assert!(times[0] > times[1] && times[1] > times[2], "{times:?}");
    let now = chrono::Utc::now().timestamp_millis();
    assert!(
        (now - times[0]).abs() < 60_000,
        "pushed {} ms ago",
        now - times[0]
    );

    let missing = cloud.ecr.describe_images("umami-typo").await.unwrap_err();
    let CloudError::NotFound { kind, name, hint } = &missing else {
        panic!("expected NotFound, got {missing:?}");
    };
    assert_eq!((*kind, name.as_str()), ("ECR repository", "umami-typo"));
    assert!(
        hint.as_deref().is_some_and(|h| h.contains("region")),
        "{hint:?}"
    );
    assert!(
        missing
            .to_string()
            .starts_with("ECR repository umami-typo not found: "),
        "{missing}"
    );
}

async fn create_database(config: &aws_config::SdkConfig, id: &str) {
    aws_sdk_rds::Client::new(config)
        .create_db_instance()
        .db_instance_identifier(id)
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("umami")
        .manage_master_user_password(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_rds_snapshot_is_created_and_described() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    create_database(&config, "umami-db").await;
    let (cloud, calls) = moto.cloud().await;

    let created = cloud
        .rds
        .create_db_snapshot("umami-db", "umami-db-before-v2-14-0")
        .await
        .unwrap();
    let described = cloud
        .rds
        .describe_db_snapshot("umami-db-before-v2-14-0")
        .await
        .unwrap();

    assert_eq!(created.id, "umami-db-before-v2-14-0");
    assert_eq!(created.instance, "umami-db");
    assert!(!created.status.is_empty());
    assert_eq!(described.id, created.id);
    assert_eq!(described.instance, "umami-db");
    assert_eq!(
        described.status, "available",
        "moto finishes snapshots at once"
    );
    assert!(described.created_at.is_some());
    assert_eq!(
        calls.calls().get("RDS.CreateDBSnapshot"),
        Some(&1),
        "{:?}",
        calls.calls()
    );

    let again = cloud
        .rds
        .create_db_snapshot("umami-db", "umami-db-before-v2-14-0")
        .await
        .unwrap_err();
    assert!(matches!(again, CloudError::Rejected { .. }), "{again:?}");
    let missing = cloud.rds.describe_db_snapshot("nope").await.unwrap_err();
    assert!(
        matches!(&missing, CloudError::NotFound { kind: "database snapshot", name, .. } if name == "nope"),
        "{missing:?}"
    );
    let no_instance = cloud
        .rds
        .create_db_snapshot("umami-dbx", "s1")
        .await
        .unwrap_err();
    assert!(
        matches!(&no_instance, CloudError::NotFound { kind: "database", name, .. } if name == "umami-dbx"),
        "{no_instance:?}"
    );
}

#[tokio::test]
async fn moto_has_no_deployment_history_and_says_so_once() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let umami = build_umami(&config, "umami", 0).await;

    // What moto itself answers, so the mapping below is about the real thing.
    let raw = ecs
        .list_service_deployments()
        .cluster(&umami.cluster)
        .service(&umami.service)
        .send()
        .await
        .unwrap_err();
    eprintln!("moto answers ListServiceDeployments with: {raw:?}");
    assert_eq!(raw.raw_response().map(|r| r.status().as_u16()), Some(500));
    assert_eq!(
        raw.as_service_error()
            .and_then(aws_sdk_ecs::error::ProvideErrorMetadata::code),
        None,
        "{raw:?}"
    );

    let (cloud, calls) = moto.cloud().await;
    let err = cloud
        .ecs
        .list_service_deployments(&umami.cluster, &umami.service)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CloudError::Unsupported { operation, .. } if operation == "ecs:ListServiceDeployments"),
        "{err:?}"
    );
    assert!(!err.may_pass());
    let asked = calls.total_calls();
    assert_eq!(asked, 1, "{:?}", calls.calls());

    // Once known, the history is not asked for again: a watch polling every 5 s would
    // otherwise wait on retried 500s at every poll.
    let again = cloud
        .ecs
        .list_service_deployments(&umami.cluster, &umami.service)
        .await
        .unwrap_err();
    let describe = cloud
        .ecs
        .describe_service_deployments(&[
            "arn:aws:ecs:eu-west-2:123456789012:service-deployment/umami/umami/x".into(),
        ])
        .await
        .unwrap_err();
    let stop = cloud
        .ecs
        .stop_service_deployment(
            "arn:aws:ecs:eu-west-2:123456789012:service-deployment/umami/umami/x",
            true,
        )
        .await
        .unwrap_err();
    for err in [again, describe, stop] {
        assert!(matches!(err, CloudError::Unsupported { .. }), "{err:?}");
    }
    assert_eq!(calls.total_calls(), asked, "{:?}", calls.calls());
}

#[tokio::test]
async fn moto_stop_service_deployment_is_unsupported_on_a_fresh_backend() {
    let moto = Moto::start();
    let (cloud, calls) = moto.cloud().await;

    let stop = cloud
        .ecs
        .stop_service_deployment(
            "arn:aws:ecs:eu-west-2:123456789012:service-deployment/umami/umami/x",
            true,
        )
        .await
        .unwrap_err();
    let describe = cloud
        .ecs
        .describe_service_deployments(&[
            "arn:aws:ecs:eu-west-2:123456789012:service-deployment/umami/umami/x".into(),
        ])
        .await;

    assert!(
        matches!(&stop, CloudError::Unsupported { operation, .. } if operation == "ecs:StopServiceDeployment"),
        "{stop:?}"
    );
    assert!(
        matches!(describe, Err(CloudError::Unsupported { .. })),
        "{describe:?}"
    );
    assert_eq!(calls.calls().get("ECS.StopServiceDeployment"), Some(&1));
    assert_eq!(calls.calls().get("ECS.DescribeServiceDeployments"), None);
}

/// The calls that change something, as the call counter names them.
const MUTATING: &[&str] = &[
    "ECS.RegisterTaskDefinition",
    "ECS.UpdateService",
    "ECS.StopTask",
    "ECS.StopServiceDeployment",
    "RDS.CreateDBSnapshot",
];

#[tokio::test]
async fn read_only_refuses_every_change_before_sending_it_and_still_reads() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 1).await;
    let (cloud, calls) = moto.cloud().await;
    let read_only = cloud.clone().read_only();
    calls.reset();

    let refusals = [
        read_only
            .ecs
            .register_task_definition(NewTaskDefinition {
                family: "umami".into(),
                cpu: "512".into(),
                memory: "1024".into(),
                containers: Vec::new(),
            })
            .await
            .map(|_| ()),
        read_only
            .ecs
            .register_image_revision(&umami.task_definition, "umami", NEW_IMAGE)
            .await
            .map(|_| ()),
        read_only
            .ecs
            .update_service(
                &umami.cluster,
                &umami.service,
                ServiceUpdate {
                    force_new_deployment: true,
                    ..ServiceUpdate::default()
                },
            )
            .await
            .map(|_| ()),
        read_only
            .ecs
            .stop_task(&umami.cluster, &umami.tasks[0], "opsdeck test")
            .await,
        read_only
            .ecs
            .stop_service_deployment(
                "arn:aws:ecs:eu-west-2:123456789012:service-deployment/umami/umami/x",
                true,
            )
            .await,
        read_only
            .rds
            .create_db_snapshot(&umami.database, "umami-db-before")
            .await
            .map(|_| ()),
    ];

    let actions: Vec<String> = refusals
        .iter()
        .map(|r| match r {
            Err(CloudError::ReadOnly { action, .. }) => action.clone(),
            other => panic!("expected ReadOnly, got {other:?}"),
        })
        .collect();
    assert_eq!(
        actions,
        [
            "ecs:RegisterTaskDefinition",
            "ecs:RegisterTaskDefinition",
            "ecs:UpdateService",
            "ecs:StopTask",
            "ecs:StopServiceDeployment",
            "rds:CreateDBSnapshot"
        ]
    );
    assert_eq!(
        calls.total_calls(),
        0,
        "refused before anything was sent: {:?}",
        calls.calls()
    );

    // Reads go through the same guard.
    let services = read_only
        .ecs
        .describe_services(&umami.cluster, std::slice::from_ref(&umami.service))
        .await
        .unwrap();
    let definition = read_only
        .ecs
        .describe_task_definition(&umami.task_definition)
        .await
        .unwrap();
    let revisions = read_only
        .ecs
        .list_task_definitions_with_status("umami", TaskDefinitionStatus::Active)
        .await
        .unwrap();
    let databases = read_only.rds.describe_db_instances().await.unwrap();
    let tasks = read_only
        .ecs
        .describe_tasks(&umami.cluster, &umami.tasks)
        .await
        .unwrap();
    let counted = calls.calls();
    for read in [
        "ECS.DescribeServices",
        "ECS.DescribeTaskDefinition",
        "ECS.ListTaskDefinitions",
        "RDS.DescribeDBInstances",
        "ECS.DescribeTasks",
    ] {
        assert!(counted.contains_key(read), "{read} not sent: {counted:?}");
    }
    for mutating in MUTATING {
        assert!(
            !counted.contains_key(*mutating),
            "{mutating} sent: {counted:?}"
        );
    }

    // And nothing changed: same revision, one revision, the task still running, no snapshot.
    assert_eq!(services[0].task_definition, umami.task_definition);
    assert_eq!(definition.arn, umami.task_definition);
    assert_eq!(revisions, std::slice::from_ref(&umami.task_definition));
    assert!(databases.iter().any(|d| d.id == umami.database));
    assert!(
        tasks
            .iter()
            .all(|t| t.desired_status == opsdeck::model::TaskStatus::Running)
    );
    let snapshots = aws_sdk_rds::Client::new(&config)
        .describe_db_snapshots()
        .send()
        .await
        .unwrap();
    // moto keeps an automated backup of each instance; no manual snapshot was taken.
    let manual: Vec<_> = snapshots
        .db_snapshots()
        .iter()
        .filter(|s| s.snapshot_type() != Some("automated"))
        .map(|s| s.db_snapshot_identifier())
        .collect();
    assert!(manual.is_empty(), "{manual:?}");
}
