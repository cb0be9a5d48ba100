//! The audit trail: one JSON line per mutating action, and per refused one, appended to
//! `audit.jsonl` in the state directory.
//!
//! The audit never fails a release: a file that cannot be written, or an STS call that
//! fails, is logged to the debug log and the caller is written as `unknown`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::OnceCell;

use crate::cloud::{BackendKind, Cloud};
use crate::model::Millis;

/// Where audit lines go, and who the caller is (asked of STS once per `Audit`).
#[derive(Debug, Clone)]
pub struct Audit {
    path: Option<PathBuf>,
    caller: Arc<OnceCell<Caller>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Caller {
    arn: String,
    account: String,
}

/// One audited action, as the workflows describe it; [`Audit::record`] adds the time, caller
/// and region.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditEntry {
    /// `deploy`, `rollback`, `restart`, `scale`, `stop-task`, `snapshot`.
    pub action: &'static str,
    /// `cluster/service`, a task, or a DB instance.
    pub target: String,
    /// Task-definition ARN or desired count before the action.
    pub before: Option<String>,
    pub after: Option<String>,
    /// `started`, `succeeded`, `failed: ...`, `refused: ...`, `rolled-back: ...`, ...
    pub result: String,
    pub exit_code: Option<u8>,
}

/// The line as written: every field always present, so `jq` filters stay simple.
#[derive(Debug, Serialize)]
struct Line<'a> {
    time: String,
    caller: &'a str,
    account: &'a str,
    region: &'a str,
    action: &'a str,
    target: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
    result: &'a str,
    exit_code: Option<u8>,
}

impl Audit {
    /// Appends to the file at `path` (its directories are created as needed).
    pub fn at(path: impl Into<PathBuf>) -> Audit {
        Audit {
            path: Some(path.into()),
            caller: Arc::new(OnceCell::new()),
        }
    }

    /// Writes nothing: for tests and previews.
    pub fn disabled() -> Audit {
        Audit {
            path: None,
            caller: Arc::new(OnceCell::new()),
        }
    }

    /// `$XDG_STATE_HOME/opsdeck/audit.jsonl`, else `~/.local/state/opsdeck/audit.jsonl`.
    pub fn default_path() -> Option<PathBuf> {
        crate::config::state_dir().map(|dir| dir.join("audit.jsonl"))
    }

    /// The audit at [`Audit::default_path`], or disabled when there is no home directory.
    pub fn default_location() -> Audit {
        Audit::default_path().map_or_else(Audit::disabled, Audit::at)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one line for `entry`. Never fails: see the module comment.
    pub async fn record(&self, cloud: &Cloud, region: &str, entry: AuditEntry) {
        let Some(path) = &self.path else {
            return;
        };
        let caller = self
            .caller
            .get_or_init(|| async {
                match cloud.identity.caller().await {
                    Ok(identity) => Caller {
                        arn: identity.arn,
                        account: identity.account_id,
                    },
                    Err(error) => {
                        tracing::warn!(%error, "audit: cannot ask STS who the caller is");
                        Caller {
                            arn: "unknown".into(),
                            account: "unknown".into(),
                        }
                    }
                }
            })
            .await;
        // The stack's region; the backend's when the stack names none.
        let region = match &cloud.kind {
            _ if !region.is_empty() => region,
            BackendKind::Aws { region, .. } => region,
            BackendKind::Sandbox { .. } => "sandbox",
        };
        let line = Line {
            // When the person acted, on the wall clock: a sandbox's virtual clock runs ahead
            // of it, and the log must read in order across sessions.
            time: rfc3339(crate::model::wall_clock_ms()),
            caller: &caller.arn,
            account: &caller.account,
            region,
            action: entry.action,
            target: &entry.target,
            before: entry.before.as_deref(),
            after: entry.after.as_deref(),
            result: &entry.result,
            exit_code: entry.exit_code,
        };
        if let Err(error) = append(path, &line) {
            tracing::warn!(%error, path = %path.display(), "audit: cannot append");
        }
    }
}

fn append(path: &Path, line: &Line<'_>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = serde_json::to_string(line).map_err(std::io::Error::other)?;
    text.push('\n');
    // One write of the whole line with O_APPEND: concurrent opsdeck processes cannot
    // interleave within a line.
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// `2026-11-22T09:00:31Z`: RFC 3339 in UTC, to the second.
pub fn rfc3339(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at).map_or_else(
        || at.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}
