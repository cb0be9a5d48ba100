//! First-time bootstrap: answers -> stack model -> CloudFormation template -> monthly cost
//! (no account needed), and `provision`, which plans, applies and tears the stack down
//! through CloudFormation.

pub mod answers;
pub mod cost;
pub mod model;
pub mod provision;
pub mod template;

use serde_json::{Value, json};

pub use answers::{Answers, AnswersError, NatChoice};
pub use cost::{Assumptions, CostEstimate, PriceTable, estimate, estimate_answers, nat_choices};
pub use model::StackModel;

/// Exit code for answers that cannot be used, before anything was made.
pub const EXIT_REFUSED: u8 = 2;

/// The plan as JSON: the resources with their settings, and the cost.
pub fn plan_json(model: &StackModel, cost: &CostEstimate) -> Value {
    json!({
        "resources": model.resource_summaries(),
        "cost": cost,
    })
}

/// The plan as a person reads it: each resource with its key settings, the subnet
/// carving, the NAT trade-off and the cost table.
pub fn plan_text(model: &StackModel, cost: &CostEstimate, nat: &[(NatChoice, f64)]) -> String {
    let answers = &model.answers;
    let mut text = format!(
        "Stack {} in {}: {} resources\n\n",
        answers.name,
        answers.region,
        model.resources.len()
    );
    let type_width = model
        .resources
        .iter()
        .map(|r| r.kind.len())
        .max()
        .unwrap_or(0);
    let id_width = model
        .resources
        .iter()
        .map(|r| r.logical_id.len())
        .max()
        .unwrap_or(0);
    for resource in &model.resources {
        text.push_str(
            format!(
                "  {:<type_width$}  {:<id_width$}  {}\n",
                resource.kind,
                resource.logical_id,
                settings_text(resource)
            )
            .trim_end(),
        );
        text.push('\n');
    }
    let list = |cidrs: &[answers::Cidr]| {
        cidrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    text.push_str(&format!(
        "\nSubnets: {} carved into equal /{} blocks, public first: public {}; private {}\n",
        answers.network.cidr,
        answers::subnet_prefix(answers.network.cidr, answers.network.azs),
        list(&model.public_subnets),
        list(&model.private_subnets),
    ));
    if let [(_, single), (_, per_az)] = nat {
        text.push_str(&format!(
            "NAT: {} chosen. One NAT gateway: {} {single:.2}/month (the private subnets lose \
             the internet if its AZ fails); one per AZ: {} {per_az:.2}/month (+{:.2}).\n",
            answers.network.nat.label(),
            cost.currency,
            cost.currency,
            per_az - single
        ));
    }
    text.push_str("\nMonthly cost estimate:\n");
    text.push_str(&cost.to_text());
    text
}

/// A resource's key settings on one line, `key=value` sorted by key: what the plan shows
/// of it, in the CLI and in the TUI alike.
pub fn settings_text(resource: &model::Resource) -> String {
    let mut settings: Vec<String> = resource
        .settings
        .iter()
        .map(|(key, value)| format!("{key}={}", setting_text(value)))
        .collect();
    settings.sort();
    settings.join("  ")
}

fn setting_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .map(setting_text)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}
