//! ELBv2: target groups, their targets' health, load balancers and their listeners.

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types as sdk;

use super::convert::{count_opt, each, in_batches, owned, port, text};
use super::errors::{CallContext, Paged};
use crate::cloud::{CloudResult, LoadBalancingApi};
use crate::model::{
    HealthCheck, Listener, ListenerAction, LoadBalancer, TargetGroup, TargetHealth, TargetState,
};

/// DescribeTargetGroups and DescribeLoadBalancers take at most 20 ARNs per call.
pub const DESCRIBE_ARNS_MAX: usize = 20;
/// ELB's default when the attribute is missing.
const DEFAULT_DEREGISTRATION_DELAY_S: u32 = 300;

pub struct AwsLoadBalancing {
    client: Client,
    context: CallContext,
}

impl AwsLoadBalancing {
    pub fn new(client: Client, context: CallContext) -> AwsLoadBalancing {
        AwsLoadBalancing { client, context }
    }

    async fn target_group_batch(&self, batch: &[String]) -> CloudResult<Vec<TargetGroup>> {
        let groups: Vec<sdk::TargetGroup> = self
            .client
            .describe_target_groups()
            .set_target_group_arns(Some(batch.to_vec()))
            .into_paginator()
            .items()
            .send()
            .all(
                &self.context,
                "elasticloadbalancing:DescribeTargetGroups",
                &batch.join(", "),
            )
            .await?;
        let requests: Vec<_> = groups.iter().map(|g| self.target_group(g)).collect();
        each(requests).await
    }

    async fn target_group(&self, group: &sdk::TargetGroup) -> CloudResult<TargetGroup> {
        let arn = text(group.target_group_arn());
        let attributes = self
            .client
            .describe_target_group_attributes()
            .target_group_arn(&arn)
            .send()
            .await
            .map_err(|e| {
                self.context.error(
                    "elasticloadbalancing:DescribeTargetGroupAttributes",
                    &arn,
                    e,
                )
            })?;
        let deregistration_delay_s = attributes
            .attributes()
            .iter()
            .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
            .and_then(|a| a.value()?.parse().ok())
            .unwrap_or(DEFAULT_DEREGISTRATION_DELAY_S);
        Ok(target_group_from_sdk(group, deregistration_delay_s))
    }

    async fn load_balancer_batch(&self, batch: &[String]) -> CloudResult<Vec<LoadBalancer>> {
        let balancers: Vec<sdk::LoadBalancer> = self
            .client
            .describe_load_balancers()
            .set_load_balancer_arns(Some(batch.to_vec()))
            .into_paginator()
            .items()
            .send()
            .all(
                &self.context,
                "elasticloadbalancing:DescribeLoadBalancers",
                &batch.join(", "),
            )
            .await?;
        let requests: Vec<_> = balancers.iter().map(|lb| self.load_balancer(lb)).collect();
        each(requests).await
    }

    async fn load_balancer(&self, lb: &sdk::LoadBalancer) -> CloudResult<LoadBalancer> {
        let arn = text(lb.load_balancer_arn());
        let listeners: Vec<sdk::Listener> = self
            .client
            .describe_listeners()
            .load_balancer_arn(&arn)
            .into_paginator()
            .items()
            .send()
            .all(
                &self.context,
                "elasticloadbalancing:DescribeListeners",
                &arn,
            )
            .await?;
        let mut listeners: Vec<Listener> = listeners.iter().filter_map(listener_from_sdk).collect();
        listeners.sort_by_key(|l| l.port);
        Ok(LoadBalancer {
            arn,
            name: text(lb.load_balancer_name()),
            dns_name: text(lb.dns_name()),
            scheme: lb
                .scheme()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            state: lb
                .state()
                .and_then(|s| s.code())
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            vpc_id: text(lb.vpc_id()),
            subnets: lb
                .availability_zones()
                .iter()
                .filter_map(|z| owned(z.subnet_id()))
                .collect(),
            security_groups: lb.security_groups().to_vec(),
            listeners,
        })
    }
}

#[async_trait]
impl LoadBalancingApi for AwsLoadBalancing {
    async fn describe_target_groups(&self, arns: &[String]) -> CloudResult<Vec<TargetGroup>> {
        // An empty list would describe every target group in the region.
        let requests: Vec<_> = arns
            .chunks(DESCRIBE_ARNS_MAX)
            .map(|batch| self.target_group_batch(batch))
            .collect();
        in_batches(requests).await
    }

    async fn describe_target_health(
        &self,
        target_group_arn: &str,
    ) -> CloudResult<Vec<TargetHealth>> {
        let output = self
            .client
            .describe_target_health()
            .target_group_arn(target_group_arn)
            .send()
            .await
            .map_err(|e| {
                self.context.error(
                    "elasticloadbalancing:DescribeTargetHealth",
                    target_group_arn,
                    e,
                )
            })?;
        Ok(output
            .target_health_descriptions()
            .iter()
            .map(target_health_from_sdk)
            .collect())
    }

    async fn describe_load_balancers(&self, arns: &[String]) -> CloudResult<Vec<LoadBalancer>> {
        let requests: Vec<_> = arns
            .chunks(DESCRIBE_ARNS_MAX)
            .map(|batch| self.load_balancer_batch(batch))
            .collect();
        in_batches(requests).await
    }
}

fn target_group_from_sdk(g: &sdk::TargetGroup, deregistration_delay_s: u32) -> TargetGroup {
    TargetGroup {
        arn: text(g.target_group_arn()),
        name: text(g.target_group_name()),
        protocol: g
            .protocol()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        port: port(g.port()).unwrap_or_default(),
        target_type: g
            .target_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        vpc_id: text(g.vpc_id()),
        health_check: HealthCheck {
            protocol: g
                .health_check_protocol()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            path: text(g.health_check_path()),
            port: text(g.health_check_port()),
            interval_s: count_opt(g.health_check_interval_seconds()),
            timeout_s: count_opt(g.health_check_timeout_seconds()),
            healthy_threshold: count_opt(g.healthy_threshold_count()),
            unhealthy_threshold: count_opt(g.unhealthy_threshold_count()),
            matcher: g
                .matcher()
                .and_then(|m| owned(m.http_code()))
                .unwrap_or_default(),
        },
        load_balancer_arns: g.load_balancer_arns().to_vec(),
        deregistration_delay_s,
    }
}

fn target_health_from_sdk(d: &sdk::TargetHealthDescription) -> TargetHealth {
    let health = d.target_health();
    TargetHealth {
        target_id: text(d.target().and_then(|t| t.id())),
        port: port(d.target().and_then(|t| t.port())).unwrap_or_default(),
        availability_zone: d.target().and_then(|t| owned(t.availability_zone())),
        state: match health.and_then(|h| h.state()) {
            Some(sdk::TargetHealthStateEnum::Healthy) => TargetState::Healthy,
            Some(sdk::TargetHealthStateEnum::Initial) => TargetState::Initial,
            Some(sdk::TargetHealthStateEnum::Unhealthy) => TargetState::Unhealthy,
            Some(sdk::TargetHealthStateEnum::Unused) => TargetState::Unused,
            Some(sdk::TargetHealthStateEnum::Draining) => TargetState::Draining,
            _ => TargetState::Unavailable,
        },
        reason: health
            .and_then(|h| h.reason())
            .map(|r| r.as_str().to_string()),
        description: health.and_then(|h| owned(h.description())),
    }
}

fn listener_from_sdk(l: &sdk::Listener) -> Option<Listener> {
    // The default action is the one with the highest precedence (lowest order).
    let action = l
        .default_actions()
        .iter()
        .min_by_key(|a| a.order().unwrap_or(i32::MAX))?;
    Some(Listener {
        arn: text(l.listener_arn()),
        port: port(l.port()).unwrap_or_default(),
        protocol: l
            .protocol()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        certificate_arns: l
            .certificates()
            .iter()
            .filter_map(|c| owned(c.certificate_arn()))
            .collect(),
        default_action: action_from_sdk(action),
    })
}

fn action_from_sdk(a: &sdk::Action) -> ListenerAction {
    if let Some(redirect) = a.redirect_config() {
        return ListenerAction::Redirect {
            protocol: text(redirect.protocol()),
            port: text(redirect.port()),
            status_code: redirect
                .status_code()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        };
    }
    if let Some(fixed) = a.fixed_response_config() {
        return ListenerAction::FixedResponse {
            status_code: text(fixed.status_code()),
        };
    }
    let mut target_group_arns: Vec<String> = a
        .forward_config()
        .map(|f| {
            f.target_groups()
                .iter()
                .filter_map(|t| owned(t.target_group_arn()))
                .collect()
        })
        .unwrap_or_default();
    if let Some(arn) = a.target_group_arn()
        && !target_group_arns.iter().any(|t| t == arn)
    {
        target_group_arns.push(arn.to_string());
    }
    ListenerAction::Forward { target_group_arns }
}
