//! The CLI face of releases: prints plans, asks, runs the workflow, prints progress as CI log
//! lines or JSON, and returns the exit code. No workflow logic lives here.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::{
    ConfirmArgs, DeployArgs, ListArgs, RestartArgs, RollbackArgs, ScaleArgs, StopTaskArgs, WaitArgs,
};
use crate::cloud::{Clock, Cloud};
use crate::model::{Millis, StackRef, family_revision};
use crate::ops::audit::{Audit, rfc3339};
use crate::ops::logs::command::since_start;
use crate::ops::release::{
    self as release, DeployPlan, DeployRequest, EXIT_REFUSED, ImageList, Outcome, Progress,
    ReleaseError, Revision, RollbackPlan, Rollout, WatchOptions,
};

/// What every release command needs besides its own flags.
#[derive(Debug, Clone)]
pub struct Context {
    pub audit: Audit,
    /// `production = true` for this stack in the config: confirm by typing the service name.
    pub production: bool,
}

/// A command that ended before any change, with the reason to print.
struct Refusal(String);

impl From<ReleaseError> for Refusal {
    fn from(error: ReleaseError) -> Self {
        Refusal(error.to_string())
    }
}

fn refused(message: impl std::fmt::Display) -> u8 {
    eprintln!("opsdeck: {message}");
    EXIT_REFUSED
}

/// `--timeout`: `90s`, `15m`, `1h` (the `--since` parser of `opsdeck logs`, without times).
pub fn parse_timeout(text: &str) -> Result<Millis, String> {
    let bad = || {
        format!("--timeout {text}: give a duration such as 90s, 15m or 1h (units s, m, h, d, w)")
    };
    if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
        return Err(bad());
    }
    let back = since_start(text, 0).map_err(|_| bad())?;
    match back.checked_neg() {
        Some(ms) if ms > 0 => Ok(ms),
        _ => Err(bad()),
    }
}

fn watch_options(
    wait: &WaitArgs,
    max_task_failures: u32,
    rollback: bool,
) -> Result<WatchOptions, Refusal> {
    let timeout_ms = parse_timeout(&wait.timeout).map_err(Refusal)?;
    if max_task_failures == 0 {
        return Err(Refusal(
            "--max-task-failures 0: give at least 1 stopped task".into(),
        ));
    }
    Ok(WatchOptions {
        timeout_ms,
        max_task_failures,
        rollback_on_failure: rollback,
        ..WatchOptions::default()
    })
}

/// How a confirmation is answered.
pub(super) enum Ask<'a> {
    /// `y` or `yes`.
    YesNo,
    /// The name typed in full: for production stacks and for teardown.
    TypeName { prompt: &'a str, name: &'a str },
}

/// Asks before a change, unless `--yes`. No terminal and no `--yes` is a refusal.
pub(super) fn ask(confirm: &ConfirmArgs, question: &str, ask: Ask<'_>) -> Result<(), String> {
    if confirm.yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(
            "stdin is not a terminal, so opsdeck cannot ask: pass --yes to go ahead without asking"
                .into(),
        );
    }
    let mut err = std::io::stderr();
    match ask {
        Ask::TypeName { prompt, name } => {
            let _ = write!(err, "{question}\n{prompt} ({name}) to go ahead: ");
        }
        Ask::YesNo => {
            let _ = write!(err, "{question} [y/N] ");
        }
    }
    let _ = err.flush();
    let mut answer = String::new();
    if stdin.lock().read_line(&mut answer).is_err() {
        return Err("no answer: nothing changed".into());
    }
    let answer = answer.trim();
    let yes = match ask {
        Ask::TypeName { name, .. } => answer == name,
        Ask::YesNo => matches!(answer, "y" | "Y" | "yes" | "YES" | "Yes"),
    };
    if yes {
        Ok(())
    } else {
        Err("not confirmed: nothing changed".into())
    }
}

/// A release's confirmation: a production stack wants the service name typed.
fn confirm(
    confirm: &ConfirmArgs,
    production: bool,
    question: &str,
    service: &str,
) -> Result<(), Refusal> {
    let how = if production {
        Ask::TypeName {
            prompt: "This is a production stack: type the service name",
            name: service,
        }
    } else {
        Ask::YesNo
    };
    ask(confirm, question, how).map_err(Refusal)
}

/// Prints progress: one JSON object per event, or one timestamped line when something the
/// user cares about changed.
struct Printer {
    json: bool,
    clock: Arc<dyn Clock>,
    last_line: Mutex<String>,
}

impl Printer {
    fn new(json: bool, cloud: &Cloud) -> Printer {
        Printer {
            json,
            clock: cloud.clock.clone(),
            last_line: Mutex::new(String::new()),
        }
    }

    fn progress(&self, progress: Progress) {
        if self.json {
            print_json(&progress);
            return;
        }
        let (at, text) = match &progress {
            Progress::Step { message } => (self.clock.now(), message.clone()),
            Progress::Warning { message } => (self.clock.now(), format!("warning: {message}")),
            Progress::Started {
                deployment_id,
                task_definition,
                previous,
            } => (
                self.clock.now(),
                format!(
                    "watching deployment {} ({} -> {})",
                    deployment_id.as_deref().unwrap_or("(not reported)"),
                    family_revision(previous),
                    family_revision(task_definition)
                ),
            ),
            Progress::Poll { view } => {
                let line = view.summary();
                let mut last = self.last_line.lock().unwrap_or_else(|p| p.into_inner());
                if *last == line {
                    return;
                }
                last.clone_from(&line);
                (view.at, line)
            }
            Progress::RollingBack { to, how } => (
                self.clock.now(),
                format!("rolling back to {}: {how}", family_revision(to)),
            ),
        };
        println!("{} {text}", rfc3339(at));
        let _ = std::io::stdout().flush();
    }
}

pub(super) fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string(value) {
        Ok(text) => println!("{text}"),
        Err(error) => eprintln!("opsdeck: cannot write JSON: {error}"),
    }
    let _ = std::io::stdout().flush();
}

#[derive(Serialize)]
struct OutcomeLine<'a> {
    event: &'static str,
    #[serde(flatten)]
    outcome: &'a Outcome,
    exit_code: u8,
}

#[derive(Serialize)]
struct RolloutLine<'a> {
    event: &'static str,
    #[serde(flatten)]
    rollout: &'a Rollout,
    exit_code: u8,
}

fn print_outcome(action: &str, outcome: &Outcome, json: bool) -> u8 {
    let code = outcome.verdict.exit_code();
    if json {
        print_json(&OutcomeLine {
            event: "outcome",
            outcome,
            exit_code: code,
        });
        return code;
    }
    let target = family_revision(&outcome.task_definition);
    let text = match &outcome.verdict {
        release::Verdict::Succeeded => format!("{action} succeeded: {target} is running"),
        release::Verdict::Failed { reason } => format!("{action} FAILED: {reason}"),
        release::Verdict::RolledBack { reason, to } => format!(
            "{action} FAILED and was rolled back to {}: {reason}",
            family_revision(to)
        ),
        release::Verdict::TimedOut { waited_ms } => format!(
            "{action} timed out after {}s: {target} has not finished rolling out; \
             follow it with `opsdeck status`",
            waited_ms / 1000
        ),
        release::Verdict::Replaced { by } => {
            format!("{action} was replaced by another deployment ({by}) before it finished")
        }
    };
    println!("{text}");
    for failure in &outcome.failures {
        let code = failure
            .exit_code
            .map(|c| {
                format!(
                    " (exit code {c}{})",
                    failure
                        .container
                        .as_deref()
                        .map(|n| format!(", container {n}"))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_default();
        println!(
            "  task {} stopped: {}{code}",
            failure.task_id, failure.reason
        );
    }
    for target in &outcome.unhealthy_targets {
        println!(
            "  target {}:{} {}: {}{}",
            target.target_id,
            target.port,
            target.state.as_str(),
            target.reason.as_deref().unwrap_or("-"),
            target
                .description
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
    }
    let _ = std::io::stdout().flush();
    code
}

fn print_started(action: &str, rollout: &Rollout, json: bool) -> u8 {
    if json {
        print_json(&RolloutLine {
            event: "rollout-started",
            rollout,
            exit_code: 0,
        });
    } else {
        println!(
            "{action} started: deployment {} of {}; the rollout continues in ECS: follow it \
             with `opsdeck status` (or pass --wait next time)",
            rollout.deployment_id.as_deref().unwrap_or("(not reported)"),
            family_revision(&rollout.task_definition)
        );
    }
    0
}

/// Plans go to stderr with `--json`, so stdout stays one JSON object per line.
fn say(json: bool, text: &str) {
    if json {
        eprintln!("{text}");
    } else {
        println!("{text}");
    }
}

fn describe_deploy(plan: &DeployPlan) -> String {
    let mut text = format!(
        "deploy to {}/{}\n  container  {}\n  old image  {}\n  new image  {}",
        plan.stack.cluster, plan.stack.service, plan.container, plan.old_image, plan.new_image
    );
    if let Some(tag) = &plan.tag {
        text.push_str(&format!("\n  tag        {tag}"));
    }
    if let Some(digest) = &plan.digest {
        text.push_str(&format!("\n  digest     {digest}"));
    }
    if let Some(db) = &plan.snapshot_of {
        text.push_str(&format!("\n  snapshot   {db} first"));
    }
    for warning in &plan.warnings {
        text.push_str(&format!("\n  warning: {warning}"));
    }
    text
}

fn describe_rollback(plan: &RollbackPlan) -> String {
    let mut text = format!(
        "rollback of {}/{}: {} -> {}",
        plan.stack.cluster,
        plan.stack.service,
        family_revision(&plan.from.arn),
        family_revision(&plan.to.arn)
    );
    if plan.changes.is_empty() {
        text.push_str("\n  (no differences in images, environment, secrets, cpu, memory, ports or health checks)");
    } else {
        let width = plan
            .changes
            .iter()
            .map(|c| c.field.len())
            .max()
            .unwrap_or(0);
        let before_width = plan
            .changes
            .iter()
            .map(|c| c.before.len())
            .max()
            .unwrap_or(0);
        for change in &plan.changes {
            text.push_str(&format!(
                "\n  {:width$}  {:before_width$}  ->  {}",
                change.field, change.before, change.after
            ));
        }
    }
    text
}

/// `opsdeck deploy`.
pub async fn deploy(cloud: &Cloud, stack: &StackRef, args: &DeployArgs, context: &Context) -> u8 {
    match deploy_inner(cloud, stack, args, context).await {
        Ok(code) => code,
        Err(Refusal(message)) => refused(message),
    }
}

async fn deploy_inner(
    cloud: &Cloud,
    stack: &StackRef,
    args: &DeployArgs,
    context: &Context,
) -> Result<u8, Refusal> {
    let json = args.confirm.json;
    let options = watch_options(&args.wait, args.max_task_failures, args.rollback_on_failure)?;
    let request = DeployRequest {
        image: args.image.clone(),
        container: args.container.clone(),
        snapshot: args.snapshot,
    };
    let plan = match release::plan_deploy(cloud, stack, &request).await {
        Ok(plan) => plan,
        Err(error) => {
            if matches!(error, ReleaseError::Refused(_)) {
                release::record_refusal(cloud, stack, &context.audit, "deploy", &error).await;
            }
            return Err(error.into());
        }
    };
    say(json, &describe_deploy(&plan));
    let shown = plan
        .tag
        .clone()
        .or_else(|| plan.digest.clone())
        .unwrap_or_else(|| plan.new_image.clone());
    let repository = plan
        .new_image
        .rsplit('/')
        .next()
        .and_then(|last| last.split(['@', ':']).next())
        .unwrap_or("image");
    confirm(
        &args.confirm,
        context.production,
        &format!(
            "Deploy {repository}:{shown} to {}/{}?",
            stack.cluster, stack.service
        ),
        &stack.service,
    )?;
    let printer = Printer::new(json, cloud);
    let sink = |p: Progress| printer.progress(p);
    if args.wait.wait {
        let outcome = release::deploy(cloud, &plan, &options, &context.audit, &sink).await?;
        Ok(print_outcome("deploy", &outcome, json))
    } else {
        let rollout = release::start_deploy(cloud, &plan, &context.audit, &sink).await?;
        Ok(print_started("deploy", &rollout, json))
    }
}

/// `opsdeck rollback`.
pub async fn rollback(
    cloud: &Cloud,
    stack: &StackRef,
    args: &RollbackArgs,
    context: &Context,
) -> u8 {
    match rollback_inner(cloud, stack, args, context).await {
        Ok(code) => code,
        Err(Refusal(message)) => refused(message),
    }
}

async fn rollback_inner(
    cloud: &Cloud,
    stack: &StackRef,
    args: &RollbackArgs,
    context: &Context,
) -> Result<u8, Refusal> {
    let json = args.confirm.json;
    let options = watch_options(&args.wait, WatchOptions::default().max_task_failures, false)?;
    let plan = match release::plan_rollback(cloud, stack, args.to.as_deref()).await {
        Ok(plan) => plan,
        Err(error) => {
            if matches!(error, ReleaseError::Refused(_)) {
                release::record_refusal(cloud, stack, &context.audit, "rollback", &error).await;
            }
            return Err(error.into());
        }
    };
    say(json, &describe_rollback(&plan));
    confirm(
        &args.confirm,
        context.production,
        &format!(
            "Roll {}/{} back to {}?",
            stack.cluster,
            stack.service,
            family_revision(&plan.to.arn)
        ),
        &stack.service,
    )?;
    let printer = Printer::new(json, cloud);
    let sink = |p: Progress| printer.progress(p);
    if args.wait.wait {
        let outcome = release::rollback(cloud, &plan, &options, &context.audit, &sink).await?;
        Ok(print_outcome("rollback", &outcome, json))
    } else {
        let rollout = release::start_rollback(cloud, &plan, &context.audit, &sink).await?;
        Ok(print_started("rollback", &rollout, json))
    }
}

/// `opsdeck restart`.
pub async fn restart(cloud: &Cloud, stack: &StackRef, args: &RestartArgs, context: &Context) -> u8 {
    let run = async {
        let json = args.confirm.json;
        let options = watch_options(&args.wait, WatchOptions::default().max_task_failures, false)?;
        say(
            json,
            &format!(
                "restart {}/{}: every task is replaced by a fresh one of the same revision",
                stack.cluster, stack.service
            ),
        );
        confirm(
            &args.confirm,
            context.production,
            &format!("Restart {}/{}?", stack.cluster, stack.service),
            &stack.service,
        )?;
        let printer = Printer::new(json, cloud);
        let sink = |p: Progress| printer.progress(p);
        if args.wait.wait {
            let outcome = release::restart(cloud, stack, &options, &context.audit, &sink).await?;
            Ok::<u8, Refusal>(print_outcome("restart", &outcome, json))
        } else {
            let rollout = release::start_restart(cloud, stack, &context.audit, &sink).await?;
            Ok(print_started("restart", &rollout, json))
        }
    };
    match run.await {
        Ok(code) => code,
        Err(Refusal(message)) => refused(message),
    }
}

/// `opsdeck scale N`.
pub async fn scale(cloud: &Cloud, stack: &StackRef, args: &ScaleArgs, context: &Context) -> u8 {
    let run = async {
        let json = args.confirm.json;
        let service = crate::ops::discover::stack_service(cloud, stack)
            .await
            .map_err(|e| Refusal(e.to_string()))?;
        say(
            json,
            &format!(
                "scale {}/{}: {} -> {} tasks",
                stack.cluster, stack.service, service.desired, args.desired
            ),
        );
        if args.desired == 0 {
            say(
                json,
                "  warning: 0 tasks means the app is down until it is scaled up again",
            );
        }
        confirm(
            &args.confirm,
            context.production,
            &format!(
                "Scale {}/{} from {} to {}?",
                stack.cluster, stack.service, service.desired, args.desired
            ),
            &stack.service,
        )?;
        let scaled = release::scale(cloud, stack, args.desired, &context.audit).await?;
        if json {
            #[derive(Serialize)]
            struct Line<'a> {
                event: &'static str,
                #[serde(flatten)]
                scaled: &'a release::Scaled,
                exit_code: u8,
            }
            print_json(&Line {
                event: "scaled",
                scaled: &scaled,
                exit_code: 0,
            });
        } else {
            println!(
                "scaled {}/{} from {} to {} tasks",
                stack.cluster, stack.service, scaled.before, scaled.after
            );
            if let Some(warning) = &scaled.warning {
                println!("warning: {warning}");
            }
        }
        Ok::<u8, Refusal>(0)
    };
    match run.await {
        Ok(code) => code,
        Err(Refusal(message)) => refused(message),
    }
}

/// `opsdeck stop-task ID`.
pub async fn stop_task(
    cloud: &Cloud,
    stack: &StackRef,
    args: &StopTaskArgs,
    context: &Context,
) -> u8 {
    let run = async {
        let json = args.confirm.json;
        say(
            json,
            &format!(
                "stop task {} of {}/{} (reason: {}); ECS starts a replacement",
                args.task, stack.cluster, stack.service, args.reason
            ),
        );
        confirm(
            &args.confirm,
            context.production,
            &format!("Stop task {}?", args.task),
            &stack.service,
        )?;
        release::stop_task(cloud, stack, &args.task, &args.reason, &context.audit).await?;
        if json {
            print_json(&serde_json::json!({
                "event": "task-stopped",
                "task": args.task,
                "exit_code": 0,
            }));
        } else {
            println!("task {} is stopping", args.task);
        }
        Ok::<u8, Refusal>(0)
    };
    match run.await {
        Ok(code) => code,
        Err(Refusal(message)) => refused(message),
    }
}

/// `opsdeck images`.
pub async fn images(cloud: &Cloud, stack: &StackRef, args: &ListArgs) -> u8 {
    match release::images(cloud, stack).await {
        Ok(list) => {
            if args.json {
                print_json(&list.images);
            } else {
                print!("{}", images_table(&list));
            }
            0
        }
        Err(error) => refused(error),
    }
}

fn images_table(list: &ImageList) -> String {
    let rows: Vec<[String; 4]> = list
        .images
        .iter()
        .map(|row| {
            [
                if row.image.tags.is_empty() {
                    "(untagged)".into()
                } else {
                    row.image.tags.join(",")
                },
                short_digest(&row.image.digest),
                row.image.pushed_at.map_or_else(|| "-".into(), rfc3339),
                row.image
                    .size_bytes
                    .map_or_else(|| "-".into(), |b| format!("{:.1} MB", b as f64 / 1e6)),
            ]
        })
        .collect();
    let running: Vec<bool> = list.images.iter().map(|r| r.running).collect();
    let mut out = format!("repository {}\n", list.repository);
    out.push_str(&table(
        &["TAGS", "DIGEST", "PUSHED", "SIZE"],
        &rows,
        &running,
    ));
    out
}

fn short_digest(digest: &str) -> String {
    digest.chars().take(19).collect()
}

/// `opsdeck revisions`.
pub async fn revisions(cloud: &Cloud, stack: &StackRef, args: &ListArgs) -> u8 {
    match release::revisions(cloud, stack).await {
        Ok(list) => {
            if args.json {
                print_json(&list);
            } else {
                print!("{}", revisions_table(&list));
            }
            0
        }
        Err(error) => refused(error),
    }
}

fn revisions_table(list: &[Revision]) -> String {
    let rows: Vec<[String; 4]> = list
        .iter()
        .map(|r| {
            [
                r.revision.to_string(),
                match r.status {
                    crate::model::TaskDefinitionStatus::Active => "ACTIVE".into(),
                    crate::model::TaskDefinitionStatus::Inactive => "INACTIVE".into(),
                },
                rfc3339(r.registered_at),
                r.images.join(", "),
            ]
        })
        .collect();
    let running: Vec<bool> = list.iter().map(|r| r.running).collect();
    table(
        &["REVISION", "STATUS", "REGISTERED", "IMAGES"],
        &rows,
        &running,
    )
}

/// Aligned columns; `*` marks what runs now.
fn table(headers: &[&str; 4], rows: &[[String; 4]], running: &[bool]) -> String {
    let mut widths = headers.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |mark: &str, cells: [&str; 4], out: &mut String| {
        out.push_str(mark);
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:width$}  ", width = widths[i]));
            }
        }
        out.push('\n');
    };
    line("  ", *headers, &mut out);
    for (row, running) in rows.iter().zip(running) {
        let cells = [
            row[0].as_str(),
            row[1].as_str(),
            row[2].as_str(),
            row[3].as_str(),
        ];
        line(if *running { "* " } else { "  " }, cells, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_durations() {
        assert_eq!(parse_timeout("90s"), Ok(90_000));
        assert_eq!(parse_timeout("15m"), Ok(900_000));
        assert_eq!(parse_timeout("1h"), Ok(3_600_000));
        for bad in ["", "0s", "5x", "soon", "2026-11-22T09:00:00Z", "-5m"] {
            let error = parse_timeout(bad).expect_err(bad);
            assert!(
                error.contains("--timeout") && error.contains("15m"),
                "{error}"
            );
        }
    }
}
