//! The site pane's deploy: type the build directory, see what it would send, confirm, and
//! follow the upload and the invalidation in the status bar. The CLI's `opsdeck site deploy`
//! runs the same plan and deploy.

use std::path::PathBuf;

use super::{Effect, confirm};
use crate::app::action::{PaneId, SitePlanned};
use crate::app::screens::{Confirm, Job};
use crate::app::state::{AppState, FilterInput, InputKind};
use crate::app::view::text;
use crate::ops::site::SiteTarget;
use crate::ops::site::deploy::counts;

/// Where a deploy from the TUI goes: the site's bucket and a distribution serving it.
fn target(state: &AppState) -> Option<SiteTarget> {
    let edge = &state.topology.data.as_ref()?.edge;
    let (bucket, distribution) = edge.site_target()?;
    Some(SiteTarget {
        bucket,
        distribution,
    })
}

/// `d` in the site pane: type the build directory (the last one, or `dist`).
pub(super) fn ask_dir(state: &mut AppState) {
    if target(state).is_none() {
        state.notice = Some(
            "no site bucket found: name it with site = { bucket, distribution } in the config"
                .into(),
        );
        return;
    }
    let last = state
        .site_dir
        .as_ref()
        .map_or_else(|| "dist".to_string(), |d| d.display().to_string());
    let mut input = FilterInput::filter(PaneId::Site, last);
    input.kind = InputKind::SiteDir;
    state.input = Some(input);
}

/// Enter on the directory: plan the deploy (the directory is checked there, before
/// anything is sent, as on the command line).
pub(super) fn dir_typed(state: &mut AppState, input: FilterInput) -> Option<Effect> {
    let typed = input.text.trim();
    if typed.is_empty() {
        state.input = Some(FilterInput {
            error: Some("type the build directory (the one holding index.html)".into()),
            ..input
        });
        return None;
    }
    let dir = PathBuf::from(typed);
    state.site_dir = Some(dir.clone());
    let target = target(state)?;
    state.notice = Some(format!(
        "site: comparing {} with s3://{}…",
        dir.display(),
        target.bucket
    ));
    Some(Effect::PlanSite { target, dir })
}

/// The plan came back: nothing to do, a refusal, or the confirmation.
pub(super) fn planned(state: &mut AppState, result: Result<SitePlanned, String>) {
    match result {
        Err(error) => state.last_error = Some(format!("site deploy: {error}")),
        Ok(planned) if planned.plan.is_empty() => {
            state.notice = Some(format!(
                "site: nothing to send, s3://{} already has this build ({} files)",
                planned.target.bucket, planned.plan.unchanged
            ));
        }
        Ok(planned) => state.confirm = Some(confirmation(state, planned)),
    }
}

fn confirmation(state: &AppState, planned: SitePlanned) -> Confirm {
    let SitePlanned { target, dir, plan } = planned;
    let (new, changed) = counts(&plan);
    let mut lines = vec![
        format!("from:   {}", dir.display()),
        format!(
            "upload: {} files ({}): {new} new, {changed} changed; {} unchanged",
            plan.uploads.len(),
            text::bytes(plan.upload_bytes() as usize),
            plan.unchanged
        ),
    ];
    if !plan.kept.is_empty() {
        lines.push(format!(
            "kept:   {} files the build no longer has (opsdeck site deploy --delete removes them)",
            plan.kept.len()
        ));
    }
    match &target.distribution {
        Some(distribution) => lines.push(format!(
            "then:   invalidate {} on {distribution}, followed until Completed",
            plan.invalidation.join(" ")
        )),
        None => lines.push("then:   no distribution found: nothing is invalidated".into()),
    }
    Confirm::new(
        format!("Deploy the site to s3://{}?", target.bucket),
        lines,
        Job::SiteDeploy {
            target,
            dir,
            plan: Box::new(plan),
        },
        confirm::required(state.production, &state.stack.service),
    )
}
