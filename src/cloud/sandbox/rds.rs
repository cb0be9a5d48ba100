//! RDS manual snapshots: CreateDBSnapshot, DescribeDBSnapshots, and their progress.

use super::world::{MANUAL_SNAPSHOT_QUOTA, SimSnapshot, World};
use crate::cloud::{CloudError, CloudResult};
use crate::model::{DbSnapshot, Millis};

/// A snapshot of an empty instance still takes a couple of minutes.
const SNAPSHOT_BASE: Millis = 2 * 60_000;
/// Then about half a minute per GB of data.
const SNAPSHOT_PER_GB: Millis = 30_000;

pub(crate) fn create_snapshot(
    world: &mut World,
    instance: &str,
    snapshot: &str,
) -> CloudResult<DbSnapshot> {
    let rejected = |message: String| CloudError::Rejected {
        operation: "CreateDBSnapshot".to_string(),
        message,
    };
    let db = world
        .databases
        .iter()
        .find(|d| d.id == instance || d.arn == instance)
        .ok_or_else(|| CloudError::NotFound {
            kind: "DB instance",
            name: instance.to_string(),
            hint: Some("`opsdeck status` shows the stack's database".to_string()),
        })?;
    if let Some(problem) = invalid_identifier(snapshot) {
        return Err(rejected(format!(
            "InvalidParameterValue: snapshot identifier {snapshot:?} {problem}"
        )));
    }
    if world.db_snapshots.iter().any(|s| s.snapshot.id == snapshot) {
        return Err(rejected(format!(
            "DBSnapshotAlreadyExists: a snapshot named {snapshot} already exists; pick another name"
        )));
    }
    if world.db_snapshots.len() >= MANUAL_SNAPSHOT_QUOTA {
        return Err(rejected(format!(
            "SnapshotQuotaExceeded: the account already has {MANUAL_SNAPSHOT_QUOTA} manual snapshots"
        )));
    }
    if db.status != "available" {
        return Err(rejected(format!(
            "InvalidDBInstanceState: {} is {}; a snapshot needs it available",
            db.id, db.status
        )));
    }
    let used_bytes = (u64::from(db.allocated_storage_gb) * 1_000_000_000)
        .saturating_sub(db.free_storage_bytes.unwrap_or(0));
    let used_gb = Millis::try_from(used_bytes.div_ceil(1_000_000_000)).unwrap_or(0);
    let created = DbSnapshot {
        id: snapshot.to_string(),
        instance: db.id.clone(),
        status: "creating".to_string(),
        created_at: Some(world.now),
    };
    let ready_at = world.now + SNAPSHOT_BASE + used_gb * SNAPSHOT_PER_GB;
    if let Some(db) = world
        .databases
        .iter_mut()
        .find(|d| d.id == created.instance)
    {
        db.status = "backing-up".to_string();
    }
    world.db_snapshots.push(SimSnapshot {
        snapshot: created.clone(),
        ready_at,
    });
    Ok(created)
}

pub(crate) fn describe_snapshot(world: &World, snapshot: &str) -> CloudResult<DbSnapshot> {
    world
        .db_snapshots
        .iter()
        .find(|s| s.snapshot.id == snapshot)
        .map(|s| s.snapshot.clone())
        .ok_or_else(|| CloudError::NotFound {
            kind: "DB snapshot",
            name: snapshot.to_string(),
            hint: None,
        })
}

/// Marks the snapshots that are done available.
pub(crate) fn progress(world: &mut World) {
    let now = world.now;
    for s in &mut world.db_snapshots {
        if s.snapshot.status == "creating" && s.ready_at <= now {
            s.snapshot.status = "available".to_string();
        }
    }
}

pub(crate) fn snapshotting(world: &World, instance: &str) -> bool {
    world
        .db_snapshots
        .iter()
        .any(|s| s.snapshot.instance == instance && s.snapshot.status == "creating")
}

/// RDS's rule for identifiers: 1 to 255 letters, digits or hyphens, starting with a letter,
/// with no two hyphens in a row and none at the end.
fn invalid_identifier(id: &str) -> Option<&'static str> {
    if id.is_empty() || id.len() > 255 {
        return Some("must be 1 to 255 characters");
    }
    if !id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some("must start with a letter");
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Some("may hold only letters, digits and hyphens");
    }
    if id.ends_with('-') || id.contains("--") {
        return Some("must not end with a hyphen or hold two in a row");
    }
    None
}

/// ModifyDBInstance `--no-deletion-protection --apply-immediately`.
pub(crate) fn disable_deletion_protection(world: &mut World, instance: &str) -> CloudResult<()> {
    let db = world
        .databases
        .iter_mut()
        .find(|d| d.id == instance || d.arn == instance)
        .ok_or_else(|| CloudError::NotFound {
            kind: "DB instance",
            name: instance.to_string(),
            hint: None,
        })?;
    db.deletion_protection = false;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::invalid_identifier;

    #[test]
    fn identifiers_follow_the_rds_rules() {
        assert_eq!(invalid_identifier("umami-db-pre-v2-14-0"), None);
        assert!(invalid_identifier("1abc").is_some());
        assert!(invalid_identifier("a--b").is_some());
        assert!(invalid_identifier("a-").is_some());
        assert!(invalid_identifier("a.b").is_some());
        assert!(invalid_identifier("").is_some());
    }
}
