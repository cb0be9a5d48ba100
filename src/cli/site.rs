//! The CLI face of `opsdeck site deploy`: the plan printed, a confirmation, a progress bar on
//! a terminal (plain lines in CI, JSON with --json), and the exit code.

use std::io::{IsTerminal, Write};

use serde::Serialize;

use super::SiteDeployArgs;
use super::release::{Ask, ask, parse_timeout, print_json};
use crate::cloud::Cloud;
use crate::config::SiteConfig;
use crate::ops::audit::Audit;
use crate::ops::site::{self, SiteOptions, SitePlan, SiteProgress, SiteTarget, Why};

const EXIT_REFUSED: u8 = 2;
const EXIT_FAILED: u8 = 3;

fn refused(message: impl std::fmt::Display) -> u8 {
    eprintln!("opsdeck: {message}");
    EXIT_REFUSED
}

/// The bucket and distribution: the flags, else the named stack's `site` in the config.
pub fn target(
    args: &SiteDeployArgs,
    configured: Option<&SiteConfig>,
) -> Result<SiteTarget, String> {
    let bucket = args
        .bucket
        .clone()
        .or_else(|| configured.map(|s| s.bucket.clone()))
        .ok_or_else(|| {
            "site deploy needs the bucket: pass --bucket NAME, or --stack NAME with \
             site = { bucket = \"...\", distribution = \"...\" } in its [stacks.NAME] table"
                .to_string()
        })?;
    let distribution = args
        .distribution
        .clone()
        .or_else(|| configured.and_then(|s| s.distribution.clone()));
    Ok(SiteTarget {
        bucket,
        distribution,
    })
}

#[derive(Serialize)]
struct PlanLine<'a> {
    event: &'static str,
    bucket: &'a str,
    distribution: Option<&'a str>,
    #[serde(flatten)]
    plan: &'a SitePlan,
}

fn plan_text(target: &SiteTarget, plan: &SitePlan) -> String {
    let (new, changed) = site::deploy::counts(plan);
    let mut text = format!(
        "s3://{}: {new} new, {changed} changed, {} unchanged, {} to delete ({} to send)\n",
        target.bucket,
        plan.unchanged,
        plan.deletes.len(),
        size(plan.upload_bytes())
    );
    for upload in &plan.uploads {
        let why = match upload.why {
            Why::New => '+',
            Why::Changed => '~',
        };
        text.push_str(&format!(
            "  {why} {}  ({}, {})\n",
            upload.file.key, upload.file.content_type, upload.file.cache_control
        ));
    }
    for key in &plan.deletes {
        text.push_str(&format!("  - {key}\n"));
    }
    if !plan.kept.is_empty() {
        text.push_str(&format!(
            "  {} objects the build no longer has are kept (--delete removes them)\n",
            plan.kept.len()
        ));
    }
    match (&target.distribution, plan.invalidation.is_empty()) {
        (Some(id), false) => text.push_str(&format!(
            "CloudFront {id}: invalidate {}\n",
            plan.invalidation.join(" ")
        )),
        (Some(id), true) => text.push_str(&format!("CloudFront {id}: nothing to invalidate\n")),
        (None, _) => text.push_str("No distribution given: nothing is invalidated.\n"),
    }
    text
}

/// `812 bytes`, `14.2 kB`, `3.1 MB`.
fn size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} bytes"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// `opsdeck site deploy DIR`.
pub async fn deploy(
    cloud: &Cloud,
    target: &SiteTarget,
    args: &SiteDeployArgs,
    audit: &Audit,
    region: &str,
) -> u8 {
    let timeout_ms = match parse_timeout(&args.wait.timeout) {
        Ok(ms) => ms,
        Err(message) => return refused(message),
    };
    let plan = match site::plan_deploy(cloud, target, &args.dir, args.delete).await {
        Ok(plan) => plan,
        Err(error) => return refused(error),
    };
    if args.confirm.json {
        print_json(&PlanLine {
            event: "plan",
            bucket: &target.bucket,
            distribution: target.distribution.as_deref(),
            plan: &plan,
        });
    } else {
        print!("{}", plan_text(target, &plan));
    }
    if args.dry_run || plan.is_empty() {
        if plan.is_empty() && !args.confirm.json {
            println!("Nothing to send: the bucket already has this build.");
        }
        return 0;
    }
    let question = format!(
        "Upload {} files to s3://{}{}?",
        plan.uploads.len(),
        target.bucket,
        if plan.deletes.is_empty() {
            String::new()
        } else {
            format!(" and delete {}", plan.deletes.len())
        }
    );
    if let Err(message) = ask(&args.confirm, &question, Ask::YesNo) {
        return refused(message);
    }
    let bar = std::io::stderr().is_terminal() && !args.confirm.json;
    let json = args.confirm.json;
    let sink = move |progress: SiteProgress| show(&progress, json, bar);
    let options = SiteOptions {
        wait: args.wait.wait,
        timeout_ms,
    };
    match site::deploy::deploy(cloud, target, &plan, &options, audit, region, &sink).await {
        Ok(outcome) => {
            let code = outcome.verdict.exit_code();
            if json {
                print_json(&serde_json::json!({
                    "event": "outcome",
                    "outcome": outcome,
                    "exit_code": code,
                }));
            } else {
                if bar {
                    eprintln!();
                }
                let invalidated = outcome.invalidation.as_ref().map_or_else(String::new, |i| {
                    format!(
                        "; invalidation {} {}",
                        i.id,
                        match i.status {
                            crate::model::InvalidationStatus::Completed => "Completed",
                            crate::model::InvalidationStatus::InProgress => "in progress",
                        }
                    )
                });
                println!(
                    "Site deployed: {} uploaded, {} deleted{invalidated}.",
                    outcome.uploaded, outcome.deleted
                );
                if outcome.verdict == site::SiteVerdict::TimedOut {
                    println!("--wait timed out before CloudFront finished invalidating.");
                }
            }
            code
        }
        Err(failure) => {
            if bar {
                eprintln!();
            }
            if json {
                print_json(&serde_json::json!({
                    "event": "outcome",
                    "failed": failure.error.to_string(),
                    "uploaded": failure.uploaded,
                    "total": failure.total,
                    "not_done": failure.not_done,
                    "exit_code": EXIT_FAILED,
                }));
            }
            eprintln!("opsdeck: site deploy FAILED: {failure}");
            EXIT_FAILED
        }
    }
}

/// A one-line bar on a terminal, redrawn in place; plain lines otherwise.
fn show(progress: &SiteProgress, json: bool, bar: bool) {
    if json {
        print_json(progress);
        return;
    }
    match progress {
        SiteProgress::Uploaded {
            key,
            files_done,
            files_total,
            bytes_done,
            bytes_total,
            ..
        } if bar => {
            let width = 30;
            let filled = if *bytes_total == 0 {
                width
            } else {
                usize::try_from(bytes_done * width as u64 / bytes_total).unwrap_or(width)
            };
            eprint!(
                "\r[{}{}] {files_done}/{files_total} files {:.1}/{:.1} kB  {key:<40.40}",
                "#".repeat(filled),
                " ".repeat(width - filled),
                *bytes_done as f64 / 1000.0,
                *bytes_total as f64 / 1000.0
            );
            let _ = std::io::stderr().flush();
        }
        SiteProgress::Uploaded {
            key,
            bytes,
            files_done,
            files_total,
            ..
        } => println!("uploaded {key} ({bytes} bytes) [{files_done}/{files_total}]"),
        SiteProgress::Deleted { keys } => println!("deleted {keys} objects"),
        SiteProgress::Invalidating { id, paths } => {
            println!("invalidation {id}: {}", paths.join(" "))
        }
        SiteProgress::Invalidated { id, status } => println!("invalidation {id}: {status:?}"),
    }
}
