//! First-time bootstrap without the cloud: answers -> stack model -> CloudFormation
//! template -> monthly cost, and the `opsdeck bootstrap --file` command over them.

pub mod answers;
pub mod cost;
pub mod model;
pub mod provision;
pub mod template;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

pub use answers::{Answers, AnswersError, NatChoice};
pub use cost::{Assumptions, CostEstimate, PriceTable, estimate, estimate_answers, nat_choices};
pub use model::StackModel;

/// Exit code for answers that cannot be used, before anything was made.
pub const EXIT_REFUSED: u8 = 2;

/// What `opsdeck bootstrap` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapOptions {
    pub file: PathBuf,
    /// Where to write the template; `-` is stdout.
    pub emit: Option<PathBuf>,
    pub json: bool,
}

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

/// `opsdeck bootstrap --file F [--emit PATH] [--json]`; returns the exit code.
pub fn run(options: &BootstrapOptions) -> u8 {
    match run_inner(options) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("opsdeck: {message}");
            EXIT_REFUSED
        }
    }
}

fn run_inner(options: &BootstrapOptions) -> Result<(), String> {
    let to_stdout = options.emit.as_deref() == Some(Path::new("-"));
    if to_stdout && options.json {
        return Err(
            "--emit - and --json would both write to stdout; give --emit FILE with --json".into(),
        );
    }
    let answers = Answers::load(&options.file).map_err(|err| err.to_string())?;
    let model = StackModel::build(&answers);
    let cost = estimate_answers(&answers).map_err(|err| err.to_string())?;
    let mut stdout = std::io::stdout().lock();
    let write_error = |err: std::io::Error| format!("cannot write to stdout: {err}");
    if let Some(path) = &options.emit {
        let template = model.template_text();
        if to_stdout {
            stdout.write_all(template.as_bytes()).map_err(write_error)?;
        } else {
            std::fs::write(path, template)
                .map_err(|err| format!("cannot write the template to {}: {err}", path.display()))?;
        }
    }
    if options.json {
        let text = serde_json::to_string_pretty(&plan_json(&model, &cost))
            .map_err(|err| format!("cannot write the plan as JSON: {err}"))?;
        writeln!(stdout, "{text}").map_err(write_error)?;
    } else if !to_stdout {
        let nat = nat_choices(&answers).map_err(|err| err.to_string())?;
        stdout
            .write_all(plan_text(&model, &cost, &nat).as_bytes())
            .map_err(write_error)?;
        if let Some(path) = &options.emit {
            writeln!(stdout, "\nTemplate written to {}", path.display()).map_err(write_error)?;
        }
    }
    Ok(())
}
