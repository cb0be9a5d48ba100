//! The data plane, one virtual second at a time: task lifecycles, health checks, app logs.

use rand::RngExt;

use super::cfn;
use super::ecs;
use super::rds;
use super::scheduler;
use super::umami;
use super::world::{STOPPED_TASK_TTL, STOPPED_TASKS_KEPT, StopCause, World};
use crate::model::{Millis, TargetState, TaskHealth, TaskStatus};

/// The engine's resolution: coarse enough to be cheap, fine enough for 5 s log flushes.
pub(crate) const STEP: Millis = 1_000;

/// ALB health checks keep going for a moment after a target fails before ECS reacts.
const UNHEALTHY_GRACE: Millis = 10_000;

/// The most virtual time one call simulates: a scaled clock left alone for hours skips ahead
/// instead of stalling the caller.
const MAX_CATCH_UP: Millis = 6 * 60 * 60 * 1000;

/// Runs the world forward to `until` in whole steps.
pub(crate) fn run_until(world: &mut World, until: Millis) {
    if until - world.now > MAX_CATCH_UP {
        world.now = until - MAX_CATCH_UP;
    }
    while world.now + STEP <= until {
        world.now += STEP;
        step(world);
    }
}

fn step(world: &mut World) {
    ecs::run_script(world);
    for ti in 0..world.tasks.len() {
        progress_task(world, ti);
    }
    check_targets(world);
    scheduler::schedule(world);
    write_app_logs(world);
    let now = world.now;
    world.logs.flush(now);
    age_databases(world);
    prune_stopped_tasks(world);
    cfn::progress(world);
}

fn jitter(world: &mut World, from_s: Millis, to_s: Millis) -> Millis {
    world.rng.random_range(from_s..=to_s) * 1000
}

fn progress_task(world: &mut World, ti: usize) {
    let now = world.now;
    let Some(t) = world.tasks.get(ti) else { return };
    if t.task.last_status == TaskStatus::Stopped || now < t.next_at {
        return;
    }
    match t.task.last_status {
        TaskStatus::Provisioning => {
            // Fargate retries a missing image for a while before giving up.
            let pull = if t.fate.missing_image.is_some() {
                jitter(world, 25, 35)
            } else {
                jitter(world, 15, 25)
            };
            let t = &mut world.tasks[ti];
            t.task.last_status = TaskStatus::Pending;
            t.next_at = now + pull;
        }
        TaskStatus::Pending if t.fate.missing_image.is_some() => ecs::fail_to_pull(world, ti),
        TaskStatus::Pending => {
            let activate = jitter(world, 2, 4);
            let t = &mut world.tasks[ti];
            t.task.last_status = TaskStatus::Activating;
            t.next_at = now + activate;
        }
        TaskStatus::Activating => become_running(world, ti),
        TaskStatus::Running => {
            if t.is_alive() && t.crash_at.is_some_and(|at| at <= now) {
                write_lines(world, ti, umami::crash());
                ecs::crash(world, ti);
            }
        }
        TaskStatus::Stopped => {}
        TaskStatus::Deactivating => {
            let exit = jitter(world, 2, 4);
            // A crashed process has nothing left to say.
            if world.tasks[ti].stop_cause != Some(StopCause::Crashed) {
                write_lines(world, ti, umami::shutdown());
            }
            let t = &mut world.tasks[ti];
            t.task.last_status = TaskStatus::Stopping;
            t.next_at = now + exit;
        }
        TaskStatus::Stopping => {
            let deprovision = jitter(world, 4, 6);
            let t = &mut world.tasks[ti];
            t.task.last_status = TaskStatus::Deprovisioning;
            t.next_at = now + deprovision;
            let exit_code = match t.stop_cause {
                Some(StopCause::HealthCheck) => 137,
                Some(StopCause::Crashed) => 1,
                _ => 0,
            };
            for c in &mut t.task.containers {
                c.last_status = "STOPPED".to_string();
                c.exit_code = Some(exit_code);
            }
        }
        TaskStatus::Deprovisioning => {
            let t = &mut world.tasks[ti];
            t.task.last_status = TaskStatus::Stopped;
            t.task.stopped_at = Some(now);
            for c in &mut t.task.containers {
                c.last_status = "STOPPED".to_string();
            }
        }
    }
}

fn become_running(world: &mut World, ti: usize) {
    let now = world.now;
    let t = &mut world.tasks[ti];
    t.task.last_status = TaskStatus::Running;
    t.task.started_at = Some(now);
    for c in &mut t.task.containers {
        c.last_status = "RUNNING".to_string();
    }
    t.crash_at = t.fate.crashes_after.map(|after| now + after);
    let version = t.fate.version.clone();
    let ip = t.task.private_ip.clone().unwrap_or_default();
    let failing = t.fate.failing_status;
    write_lines(world, ti, umami::startup(&version, &ip, failing));
    ecs::register_targets(world, ti);
}

fn check_targets(world: &mut World) {
    let now = world.now;
    world
        .elb
        .targets
        .retain(|t| t.drained_at.is_none_or(|at| at > now));
    for i in 0..world.elb.targets.len() {
        let target = &world.elb.targets[i];
        if target.state == TargetState::Draining || now < target.next_check_at {
            continue;
        }
        let Some(check) = world
            .target_group(&target.group_arn)
            .map(|g| g.health_check.clone())
        else {
            continue;
        };
        let interval = Millis::from(check.interval_s) * 1000;
        if target.reason == Some("Elb.RegistrationInProgress") {
            let target = &mut world.elb.targets[i];
            target.reason = Some("Elb.InitialHealthChecking");
            target.next_check_at = now + interval;
            continue;
        }
        let task_arn = target.task_arn.clone();
        let Some(ti) = world.tasks.iter().position(|t| t.task.arn == task_arn) else {
            continue;
        };
        let failing = world.tasks[ti].fate.failing_status;
        let ok = failing.is_none();
        let line = umami::heartbeat(&mut world.rng, failing);
        write_lines(world, ti, vec![line]);
        let target = &mut world.elb.targets[i];
        if failing.is_some() {
            target.failed_code = failing;
        }
        target.next_check_at = now + interval;
        let health = if ok {
            target.passes += 1;
            target.failures = 0;
            (target.state != TargetState::Healthy && target.passes >= check.healthy_threshold)
                .then_some((TargetState::Healthy, None, TaskHealth::Healthy))
        } else {
            target.failures += 1;
            target.passes = 0;
            (target.state != TargetState::Unhealthy && target.failures >= check.unhealthy_threshold)
                .then_some((
                    TargetState::Unhealthy,
                    Some("Target.ResponseCodeMismatch"),
                    TaskHealth::Unhealthy,
                ))
        };
        if let Some((state, reason, task_health)) = health {
            target.state = state;
            target.reason = reason;
            target.unhealthy_since = (state == TargetState::Unhealthy).then_some(now);
            world.tasks[ti].task.health = task_health;
        }
    }
}

/// Whether ECS has seen this target fail long enough to replace its task: its target
/// group, and the status code its health checks got.
pub(crate) fn failed_health_checks(world: &World, task_arn: &str) -> Option<(String, u16)> {
    world
        .elb
        .targets
        .iter()
        .find(|t| {
            t.task_arn == task_arn
                && t.state == TargetState::Unhealthy
                && t.unhealthy_since
                    .is_some_and(|since| since + UNHEALTHY_GRACE <= world.now)
        })
        .map(|t| (t.group_arn.clone(), t.failed_code.unwrap_or(502)))
}

fn write_app_logs(world: &mut World) {
    let bursts = world.quirks.log_bursts;
    for ti in 0..world.tasks.len() {
        if world.tasks[ti].task.last_status != TaskStatus::Running {
            continue;
        }
        let failing = world.tasks[ti].fate.failing_status;
        let lines = umami::traffic(&mut world.rng, failing);
        write_lines(world, ti, lines);
        if bursts {
            write_burst_when_due(world, ti);
        }
    }
}

fn write_burst_when_due(world: &mut World, ti: usize) {
    let now = world.now;
    let next = now + jitter(world, 4, 10);
    match world.tasks[ti].next_burst_at {
        None => world.tasks[ti].next_burst_at = Some(next),
        Some(due) if due <= now => {
            world.tasks[ti].next_burst_at = Some(next);
            let lines = umami::burst(&mut world.rng);
            write_lines(world, ti, lines);
        }
        Some(_) => {}
    }
}

/// Writes lines to the task's stream, spread over the second just past; a burst crowds
/// into a few milliseconds, as a process writing in a loop does.
fn write_lines(world: &mut World, ti: usize, lines: Vec<String>) {
    let Some((group, stream)) = world.tasks.get(ti).and_then(|t| t.log_stream.clone()) else {
        return;
    };
    let base = world.now - STEP;
    let slots = if lines.len() > 50 { 40 } else { 1000 };
    let mut stamps: Vec<Millis> = (0..lines.len())
        .map(|_| base + world.rng.random_range(0..slots) * (1000 / slots))
        .collect();
    stamps.sort_unstable();
    world
        .logs
        .write(&group, &stream, stamps.into_iter().zip(lines).collect());
}

/// The daily automated backup runs at 03:00 UTC and takes a few minutes.
const BACKUP_MINUTES: std::ops::Range<Millis> = 180..184;

fn age_databases(world: &mut World) {
    let now = world.now;
    rds::progress(world);
    let minute_of_day = now.rem_euclid(24 * 60 * 60_000) / 60_000;
    let nightly = BACKUP_MINUTES.contains(&minute_of_day);
    let snapshotting: Vec<bool> = world
        .databases
        .iter()
        .map(|db| rds::snapshotting(world, &db.id))
        .collect();
    for (db, snapshotting) in world.databases.iter_mut().zip(snapshotting) {
        let status = if nightly || snapshotting {
            "backing-up"
        } else {
            "available"
        };
        if db.status != status {
            db.status = status.to_string();
        }
        // RDS ships transaction logs every five minutes.
        db.latest_restorable_time = Some(now - now.rem_euclid(300_000));
        if now % 60_000 == 0 {
            db.free_storage_bytes = db.free_storage_bytes.map(|b| b.saturating_sub(180_000));
        }
    }
}

fn prune_stopped_tasks(world: &mut World) {
    let now = world.now;
    let expired = |at: Option<Millis>| at.is_some_and(|at| at + STOPPED_TASK_TTL < now);
    world
        .tasks
        .retain(|t| !(t.task.last_status == TaskStatus::Stopped && expired(t.task.stopped_at)));
    let stopped = world
        .tasks
        .iter()
        .filter(|t| t.task.last_status == TaskStatus::Stopped)
        .count();
    if stopped <= STOPPED_TASKS_KEPT * world.services.len().max(1) {
        return;
    }
    if let Some(oldest) = world
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.task.last_status == TaskStatus::Stopped)
        .min_by_key(|(_, t)| t.task.stopped_at)
        .map(|(i, _)| i)
    {
        world.tasks.remove(oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ClockMode, Sandbox, Scenario};

    #[test]
    fn the_nightly_backup_shows_on_the_database() {
        let three_am = super::super::SANDBOX_EPOCH - 6 * 60 * 60_000;
        let sandbox = Sandbox::new(Scenario::Healthy, 1, ClockMode::Manual { start: three_am });
        sandbox.advance(60_000);
        assert_eq!(sandbox.current().databases[0].status, "backing-up");
        sandbox.advance(10 * 60_000);
        assert_eq!(sandbox.current().databases[0].status, "available");
    }

    #[test]
    fn a_scaled_clock_runs_the_engine_on_its_own() {
        let start = super::super::SANDBOX_EPOCH;
        let sandbox = Sandbox::new(
            Scenario::Healthy,
            1,
            ClockMode::Scaled {
                start,
                speed: 10_000.0,
            },
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        let world = sandbox.current();
        assert!(world.now >= start + 100_000, "ran to {}", world.now - start);
        assert!(world.now <= world.clock.now());
    }
}
