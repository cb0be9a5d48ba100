//! The CLI face of bootstrap and teardown: reads the answer file, prints the plan, asks,
//! runs the `ops::bootstrap::provision` workflow and prints CloudFormation's progress as
//! log lines or JSON. No workflow logic lives here.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use super::release::{Ask, ask, print_json};
use super::{BootstrapArgs, ConfirmArgs, TeardownArgs};
use crate::cloud::Cloud;
use crate::config::{self, Remembered, StackConfig};
use crate::model::{ChangeAction, ChangeSetKind, Millis};
use crate::ops::audit::Audit;
use crate::ops::bootstrap::provision::{
    self, ApplyOutcome, ApplyProgress, Existing, Plan, Prepared, TeardownOutcome,
};
use crate::ops::bootstrap::{
    Answers, EXIT_REFUSED, StackModel, estimate_answers, nat_choices, plan_json, plan_text,
};

/// Ctrl-C during an apply: CloudFormation carries on; the shell's code for SIGINT.
const EXIT_INTERRUPTED: u8 = 130;

/// What the bootstrap and teardown commands need besides their flags.
#[derive(Debug, Clone)]
pub struct Context {
    pub audit: Audit,
    /// Where the new stack is remembered; `None` leaves the config file alone (the sandbox
    /// without --config).
    pub config_path: Option<PathBuf>,
    /// The AWS profile the account was reached with, remembered with the stack.
    pub profile: Option<String>,
    /// `--read-only`: the cloud layer refuses; a refusal is audited like any mutation.
    pub read_only: bool,
}

/// Prints a refusal; in a read-only session it is also written to the audit log.
async fn refused_audited(
    cloud: &Cloud,
    context: &Context,
    action: &'static str,
    target: &str,
    region: &str,
    refusal: impl std::fmt::Display,
) -> u8 {
    if context.read_only {
        context
            .audit
            .record(
                cloud,
                region,
                crate::ops::audit::AuditEntry {
                    action,
                    target: target.to_string(),
                    result: format!("refused: {refusal}"),
                    exit_code: Some(EXIT_REFUSED),
                    ..Default::default()
                },
            )
            .await;
    }
    refused(refusal)
}

fn refused(message: impl std::fmt::Display) -> u8 {
    eprintln!("opsdeck: {message}");
    EXIT_REFUSED
}

/// The answer file, read and checked; errors name the file, line and field (exit 2).
pub fn load_answers(file: &Path) -> Result<Answers, u8> {
    Answers::load(file).map_err(refused)
}

/// `opsdeck bootstrap --file F` without `--plan` or `--apply`: the template and the cost,
/// from the answers alone, with no account.
pub fn offline(args: &BootstrapArgs) -> u8 {
    let answers = match load_answers(&args.file) {
        Ok(answers) => answers,
        Err(code) => return code,
    };
    match offline_inner(args, &answers) {
        Ok(()) => 0,
        Err(message) => refused(message),
    }
}

fn offline_inner(args: &BootstrapArgs, answers: &Answers) -> Result<(), String> {
    let model = StackModel::build(answers);
    let cost = estimate_answers(answers).map_err(|err| err.to_string())?;
    let to_stdout = emit(args, &model)?;
    if args.json {
        print_json(&plan_json(&model, &cost));
    } else if !to_stdout {
        let nat = nat_choices(answers).map_err(|err| err.to_string())?;
        print!("{}", plan_text(&model, &cost, &nat));
        if let Some(path) = &args.emit {
            println!("\nTemplate written to {}", path.display());
        }
    }
    Ok(())
}

/// `--emit FILE|-`: writes the template; answers whether it went to stdout.
fn emit(args: &BootstrapArgs, model: &StackModel) -> Result<bool, String> {
    let Some(path) = &args.emit else {
        return Ok(false);
    };
    let template = model.template_text();
    if path.as_os_str() == "-" {
        if args.json {
            return Err(
                "--emit - and --json would both write to stdout; give --emit FILE with --json"
                    .into(),
            );
        }
        std::io::stdout()
            .write_all(template.as_bytes())
            .map_err(|err| format!("cannot write to stdout: {err}"))?;
        return Ok(true);
    }
    std::fs::write(path, template)
        .map_err(|err| format!("cannot write the template to {}: {err}", path.display()))?;
    Ok(false)
}

/// `opsdeck bootstrap --file F --plan|--apply`.
pub async fn run(cloud: &Cloud, answers: &Answers, args: &BootstrapArgs, context: &Context) -> u8 {
    let region = answers.region.clone();
    // A stack CloudFormation is still working on (an apply that was interrupted): follow it
    // first, then plan the answers against what it became.
    let existing = match provision::inspect(cloud, &answers.name).await {
        Ok(existing) => existing,
        Err(refusal) => return refused(refusal),
    };
    let existing = if let Existing::Busy { stack } = &existing {
        if !args.apply {
            return refused(format!(
                "stack {} is {}: CloudFormation is still working on it; `opsdeck bootstrap \
                 --apply --file {}` follows it to the end",
                stack.name,
                stack.status,
                args.file.display()
            ));
        }
        note(
            args.json,
            &format!(
                "stack {} is {}: CloudFormation is still working on it; following it",
                stack.name, stack.status
            ),
        );
        let printer = Printer { json: args.json };
        let sink = |progress: ApplyProgress| printer.progress(progress);
        let outcome =
            match interruptible(&answers.name, provision::reattach(cloud, stack, &sink)).await {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(refusal)) => return refused(refusal),
                Err(code) => return code,
            };
        if !outcome.succeeded {
            return finish_apply(&outcome, answers, args, context);
        }
        // What the operation left the stack as.
        match provision::inspect(cloud, &answers.name).await {
            Ok(now) => now,
            Err(refusal) => return refused(refusal),
        }
    } else {
        existing
    };
    let prepared = match provision::prepare_for(cloud, answers, existing).await {
        Ok(prepared) => prepared,
        Err(refusal) => return refused(refusal),
    };
    if let Err(message) = emit(args, &prepared.model) {
        return refused(message);
    }
    let plan = match provision::plan(cloud, &prepared).await {
        Ok(plan) => plan,
        Err(refusal) => {
            return refused_audited(cloud, context, "bootstrap", &answers.name, &region, refusal)
                .await;
        }
    };
    if args.json {
        print_json(&PlanLine::new(&prepared, &plan));
    } else {
        print!("{}", plan_report(&prepared, &plan));
    }
    if !args.apply || plan.is_empty() {
        if let Err(refusal) = provision::discard(cloud, &plan).await {
            return refused(refusal);
        }
        if plan.is_empty() && args.apply {
            let outcome =
                match provision::apply(cloud, &plan, &context.audit, &region, &|_| {}).await {
                    Ok(outcome) => outcome,
                    Err(refusal) => return refused(refusal),
                };
            return finish_apply(&outcome, answers, args, context);
        }
        return 0;
    }
    let question = match plan.kind {
        ChangeSetKind::Create => format!(
            "Create stack {} ({} resources, about {} {:.0} a month)?",
            plan.stack,
            plan.changes.len(),
            prepared.cost.currency,
            prepared.cost.monthly_usd
        ),
        ChangeSetKind::Update => format!(
            "Update stack {} ({} changes)?",
            plan.stack,
            plan.changes.len()
        ),
    };
    let confirm = ConfirmArgs {
        yes: args.yes,
        json: args.json,
    };
    if let Err(message) = ask(&confirm, &question, Ask::YesNo) {
        let _ = provision::discard(cloud, &plan).await;
        return refused(message);
    }
    let printer = Printer { json: args.json };
    let sink = |progress: ApplyProgress| printer.progress(progress);
    let applied = interruptible(
        &plan.stack,
        provision::apply(cloud, &plan, &context.audit, &region, &sink),
    )
    .await;
    match applied {
        Ok(Ok(outcome)) => finish_apply(&outcome, answers, args, context),
        Ok(Err(refusal)) => refused(refusal),
        Err(code) => code,
    }
}

/// Runs `work` until it ends or the user presses Ctrl-C; CloudFormation carries on either way.
async fn interruptible<T>(stack: &str, work: impl Future<Output = T>) -> Result<T, u8> {
    tokio::select! {
        done = work => Ok(done),
        _ = tokio::signal::ctrl_c() => {
            eprintln!(
                "\nopsdeck: interrupted; CloudFormation carries on with stack {stack}. Run the \
                 same command again to follow it."
            );
            Err(EXIT_INTERRUPTED)
        }
    }
}

fn note(json: bool, text: &str) {
    if json {
        print_json(&json!({ "event": "note", "message": text }));
    } else {
        println!("{text}");
    }
}

/// The plan as JSON: the model's resources and cost, and CloudFormation's change set.
#[derive(Serialize)]
struct PlanLine<'a> {
    event: &'static str,
    stack: &'a str,
    kind: ChangeSetKind,
    no_changes: bool,
    existing: &'a Existing,
    resources: Vec<serde_json::Value>,
    changes: &'a [crate::model::ResourceChange],
    cost: &'a crate::ops::bootstrap::CostEstimate,
    notes: &'a [String],
    parameters: Vec<(&'a str, &'a str)>,
}

impl<'a> PlanLine<'a> {
    fn new(prepared: &'a Prepared, plan: &'a Plan) -> PlanLine<'a> {
        PlanLine {
            event: "plan",
            stack: &plan.stack,
            kind: plan.kind,
            no_changes: plan.is_empty(),
            existing: &prepared.existing,
            resources: prepared.model.resource_summaries(),
            changes: &plan.changes,
            cost: &prepared.cost,
            notes: &prepared.notes,
            parameters: prepared.public_parameters(),
        }
    }
}

/// The plan as a person reads it: for a new stack every resource with its settings and the
/// cost; for an update only CloudFormation's changes; the notes either way.
fn plan_report(prepared: &Prepared, plan: &Plan) -> String {
    let mut text = String::new();
    if plan.is_empty() {
        text.push_str(&format!(
            "Stack {} already matches the answers: nothing to change.\n",
            plan.stack
        ));
    } else if plan.kind == ChangeSetKind::Create {
        let nat = nat_choices(&prepared.answers).unwrap_or_default();
        text.push_str(&plan_text(&prepared.model, &prepared.cost, &nat));
        text.push_str(&format!(
            "\nCloudFormation's change set: {} resources to add.\n",
            plan.changes.len()
        ));
    } else {
        text.push_str(&format!(
            "Stack {}: {} changes (CloudFormation's change set):\n",
            plan.stack,
            plan.changes.len()
        ));
        for change in &plan.changes {
            let (mark, verb) = match change.action {
                ChangeAction::Add => ('+', "add"),
                ChangeAction::Modify => ('~', "modify"),
                ChangeAction::Remove => ('-', "remove"),
                ChangeAction::Import => ('>', "import"),
                ChangeAction::Dynamic => ('?', "maybe modify"),
            };
            let replacement = match change.replacement {
                Some(crate::model::Replacement::True) => " (replaced: a new resource)",
                Some(crate::model::Replacement::Conditional) => " (may be replaced)",
                _ => "",
            };
            text.push_str(&format!(
                "  {mark} {verb:<6} {:<44} {}{replacement}\n",
                change.resource_type, change.logical_id
            ));
        }
        text.push_str(&format!(
            "\nMonthly cost estimate after the change:\n{}",
            prepared.cost.to_text()
        ));
    }
    for note in &prepared.notes {
        text.push_str(&format!("\nnote: {note}\n"));
    }
    text
}

/// Prints each stack event as one line: time since the start, status, type, logical id
/// and CloudFormation's reason.
pub(super) struct Printer {
    pub(super) json: bool,
}

impl Printer {
    pub(super) fn progress(&self, progress: ApplyProgress) {
        if self.json {
            print_json(&progress);
            return;
        }
        match progress {
            ApplyProgress::Started {
                stack,
                status,
                reattached,
            } => {
                let how = if reattached { "following" } else { "started" };
                println!("{how}: stack {stack} {status}");
            }
            ApplyProgress::Event { line } => {
                let elapsed = line.elapsed_ms.map_or_else(|| "-".into(), duration);
                let reason = line
                    .reason
                    .as_deref()
                    .map(|r| format!("  {r}"))
                    .unwrap_or_default();
                println!(
                    "{elapsed:>7}  {:<20}  {:<44}  {}{reason}",
                    line.status, line.resource_type, line.logical_id
                );
            }
            ApplyProgress::Unseen { reason } => {
                println!("      ?  cannot see the stack: {reason}; trying again");
            }
        }
        let _ = std::io::stdout().flush();
    }
}

/// `+4m05s`.
fn duration(ms: Millis) -> String {
    let s = ms / 1000;
    if s >= 60 {
        format!("+{}m{:02}s", s / 60, s % 60)
    } else {
        format!("+{s}s")
    }
}

#[derive(Serialize)]
struct OutcomeLine<'a> {
    event: &'static str,
    #[serde(flatten)]
    outcome: &'a ApplyOutcome,
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    site_url: Option<&'a str>,
    config: Option<String>,
    exit_code: u8,
}

/// Prints how the apply ended, remembers a new stack in the config file, and returns the
/// exit code: 0 done (or nothing to do), 3 failed.
fn finish_apply(
    outcome: &ApplyOutcome,
    answers: &Answers,
    args: &BootstrapArgs,
    context: &Context,
) -> u8 {
    let code = outcome.exit_code();
    let remembered = (outcome.succeeded)
        .then(|| remember(answers, outcome, context))
        .flatten();
    if args.json {
        print_json(&OutcomeLine {
            event: "outcome",
            outcome,
            url: outcome.url(),
            site_url: outcome.site_url(),
            config: remembered.clone(),
            exit_code: code,
        });
        return code;
    }
    let took = match (
        outcome.board.started_at,
        outcome.board.rows.iter().filter_map(|r| r.last_at).max(),
    ) {
        (Some(start), Some(end)) => {
            format!(" in {}", duration(end - start).trim_start_matches('+'))
        }
        _ => String::new(),
    };
    if let Some(why) = &outcome.lost_sight {
        println!("Stopped following stack {}: {why}", outcome.stack);
    } else if outcome.no_changes {
        println!(
            "Nothing changed: stack {} is {}.",
            outcome.stack, outcome.status
        );
    } else if outcome.succeeded {
        println!("Done: stack {} {}{took}.", outcome.stack, outcome.status);
    } else {
        println!("FAILED: stack {} {}{took}.", outcome.stack, outcome.status);
        if let Some(line) = &outcome.first_failure {
            println!("  First failure: {}", line.cause());
        }
        if !outcome.rolled_back.is_empty() {
            println!(
                "  CloudFormation rolled back: {}",
                outcome.rolled_back.join(", ")
            );
        }
        if outcome.status == crate::model::StackStatus::RollbackComplete {
            println!(
                "  A stack in ROLLBACK_COMPLETE cannot be updated: run `opsdeck teardown --stack \
                 {}`, then apply again.",
                outcome.stack
            );
        }
    }
    if outcome.succeeded {
        if let Some(url) = outcome.url() {
            println!("The app: {url}");
        }
        if let Some(url) = outcome.site_url() {
            println!("The site: {url} (`opsdeck site deploy DIR` uploads a build to it)");
        }
        match remembered {
            Some(line) => println!("{line}"),
            None if context.config_path.is_none() => println!(
                "Sandbox: the simulated account lasts as long as this process, so the config \
                 file is left alone (name one with --config to write stack {} there).",
                outcome.stack
            ),
            None => {}
        }
    }
    code
}

/// Writes `[stacks.NAME]` so `opsdeck --stack NAME` opens the dashboard; the sentence to print.
fn remember(answers: &Answers, outcome: &ApplyOutcome, context: &Context) -> Option<String> {
    let path = context.config_path.as_ref()?;
    let stack = StackConfig {
        profile: context.profile.clone(),
        region: Some(answers.region.clone()),
        cluster: Some(answers.name.clone()),
        service: Some(answers.name.clone()),
        site: outcome.site_config(),
        ..StackConfig::default()
    };
    Some(match config::remember_stack(path, &answers.name, &stack) {
        Ok(Remembered::Unchanged) => format!(
            "{} already has [stacks.{}]: `opsdeck --stack {}` opens its dashboard.",
            path.display(),
            answers.name,
            answers.name
        ),
        Ok(_) => format!(
            "Wrote [stacks.{}] to {}: `opsdeck --stack {}` opens its dashboard.",
            answers.name,
            path.display(),
            answers.name
        ),
        Err(error) => format!(
            "warning: the stack is up, but the config file was not changed: {error}; add \
             [stacks.{}] with cluster = service = \"{}\" by hand",
            answers.name, answers.name
        ),
    })
}

/// `opsdeck teardown --stack NAME [--yes]`.
pub async fn teardown(cloud: &Cloud, name: &str, args: &TeardownArgs, context: &Context) -> u8 {
    let plan = match provision::plan_teardown(cloud, name).await {
        Ok(plan) => plan,
        Err(refusal) => return refused(refusal),
    };
    let region = plan
        .stack
        .id
        .split(':')
        .nth(3)
        .unwrap_or_default()
        .to_string();
    if args.json {
        print_json(&json!({
            "event": "plan",
            "stack": plan.stack.name,
            "status": plan.stack.status,
            "resources": plan.resources.len(),
            "protected_databases": plan.protected_databases,
            "site_buckets": plan.site_buckets,
            "keeps": plan.keeps,
        }));
    } else {
        println!(
            "Stack {} ({}): {} resources will be deleted.",
            plan.stack.name,
            plan.stack.status,
            plan.resources.len()
        );
        for keep in &plan.keeps {
            println!("  kept: {keep}");
        }
        for step in plan.first_steps() {
            println!("  {step}");
        }
    }
    let confirm = ConfirmArgs {
        yes: args.yes,
        json: args.json,
    };
    let question = format!("Delete stack {} and everything in it?", plan.stack.name);
    if let Err(message) = ask(
        &confirm,
        &question,
        Ask::TypeName {
            prompt: "Type the stack name",
            name: &plan.stack.name,
        },
    ) {
        return refused(message);
    }
    let printer = Printer { json: args.json };
    let sink = |progress: ApplyProgress| printer.progress(progress);
    let outcome = match interruptible(
        &plan.stack.name,
        provision::teardown(cloud, &plan, &context.audit, &region, &sink),
    )
    .await
    {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(refusal)) => {
            return refused_audited(cloud, context, "teardown", name, &region, refusal).await;
        }
        Err(code) => return code,
    };
    print_teardown(&outcome, args.json)
}

fn print_teardown(outcome: &TeardownOutcome, json: bool) -> u8 {
    let code = outcome.exit_code();
    if json {
        print_json(&json!({
            "event": "outcome",
            "stack": outcome.stack,
            "status": outcome.status,
            "kept": outcome.kept,
            "left": outcome.left,
            "first_failure": outcome.first_failure,
            "steps": outcome.steps,
            "exit_code": code,
        }));
        return code;
    }
    for step in &outcome.steps {
        println!("{step}");
    }
    if let Some(why) = &outcome.lost_sight {
        println!("Stopped following stack {}: {why}", outcome.stack);
    } else {
        println!("Stack {} {}.", outcome.stack, outcome.status);
    }
    if let Some(line) = &outcome.first_failure {
        println!("  First failure: {}", line.cause());
    }
    if outcome.kept.is_empty() {
        println!("Kept on purpose: nothing.");
    } else {
        println!("Kept on purpose:");
        for kept in &outcome.kept {
            println!(
                "  {}  {}  ({})",
                kept.resource.resource_type, kept.name, kept.why
            );
        }
    }
    if outcome.left.is_empty() {
        println!(
            "Nothing else carries the tag opsdeck:stack={}.",
            outcome.stack
        );
    } else {
        println!("Still there (tagged opsdeck:stack={}):", outcome.stack);
        for left in &outcome.left {
            println!("  {}  {}", left.resource.resource_type, left.resource.arn);
        }
    }
    code
}
