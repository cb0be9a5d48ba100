//! The example stack's service, tasks and targets as the cloud traits report them.

use opsdeck::cloud::{Cloud, DesiredStatus};
use opsdeck::model::{Service, TargetHealth, Task};

pub async fn service(cloud: &Cloud) -> Service {
    cloud
        .ecs
        .describe_services("umami", &["umami".to_string()])
        .await
        .expect("describe_services")
        .into_iter()
        .next()
        .expect("service umami")
}

pub async fn tasks(cloud: &Cloud, desired: DesiredStatus) -> Vec<Task> {
    let arns = cloud
        .ecs
        .list_tasks("umami", Some("umami"), desired)
        .await
        .expect("list_tasks");
    cloud
        .ecs
        .describe_tasks("umami", &arns)
        .await
        .expect("describe_tasks")
}

/// The targets of the service's first target group.
pub async fn targets(cloud: &Cloud) -> Vec<TargetHealth> {
    let group = service(cloud).await.load_balancers[0]
        .target_group_arn
        .clone();
    cloud
        .elb
        .describe_target_health(&group)
        .await
        .expect("target health")
}
