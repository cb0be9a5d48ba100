//! opsdeck under injected faults: the real binary against moto_server through a loopback
//! proxy (tests/common/faults.rs) that drops connections, adds 2 s of latency, answers 500
//! and 503, throttles in bursts, or hangs. Every workflow is run under every fault, and the
//! fault is lifted while it runs:
//!
//! - the dashboard still answers a key at once, shows how stale each pane is, and recovers
//!   without a restart;
//! - `logs --follow` loses and repeats no line;
//! - `deploy --wait` neither reports success nor gives up early, says it cannot see, and
//!   reports the rollout that completed while it could not see once it can again;
//! - `bootstrap --apply` and `teardown` follow CloudFormation through the fault and finish;
//! - `site deploy` sends no file twice, and says what did not go when it cannot finish.

#[path = "common/faults.rs"]
mod faults;
#[path = "common/moto.rs"]
mod moto;
#[path = "common/pty.rs"]
mod pty;
#[path = "common/scale.rs"]
mod scale;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use faults::{Fault, FaultProxy};
use moto::{Moto, REGION, Run, binary_env, build_umami};
use pty::PtyApp;

const WAIT: Duration = Duration::from_secs(60);

/// Short refreshes and a short call timeout, so a fault is felt and lifted within seconds.
/// The call timeout stays above the proxy's 2 s of latency: a slow answer is not a hung one.
const CONFIG: &str = r#"call_timeout = 3

[refresh]
ecs = 0.5
targets = 0.5
rds = 1
logs = 0.5
topology = 2
metrics = 5
site = 5
"#;

fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("config/opsdeck");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), CONFIG).unwrap();
    home
}

fn command(endpoint: &str, home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsdeck"));
    command
        .args(["--endpoint-url", endpoint, "--region", REGION])
        .args(args)
        .envs(binary_env(home))
        .stdin(Stdio::null());
    for name in moto::SCRUBBED_ENV {
        command.env_remove(name);
    }
    command
}

fn run(endpoint: &str, home: &Path, args: &[&str]) -> Run {
    let output = command(endpoint, home, args).output().expect("run opsdeck");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The binary started with its stdout read line by line on a thread.
fn spawn(endpoint: &str, home: &Path, args: &[&str]) -> (Child, Receiver<String>) {
    let mut child = command(endpoint, home, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start opsdeck");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

/// Lines from `lines` until one satisfies `done`; all of them, that one included.
fn read_until(lines: &Receiver<String>, what: &str, done: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let last = done(&line);
                seen.push(line);
                if last {
                    return seen;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("no {what} within {WAIT:?}; read:\n{}", seen.join("\n"))
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("output ended before {what}; read:\n{}", seen.join("\n"))
            }
        }
    }
}

fn wait_child(child: &mut Child) -> i32 {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "opsdeck did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How many requests must meet the fault before it is lifted: enough that every feed, or the
/// command's own calls, have felt it.
const FELT: u64 = 6;

/// One test per fault for each workflow below.
macro_rules! under_every_fault {
    ($workflow:ident) => {
        mod $workflow {
            use super::*;

            #[test]
            fn drop() {
                super::$workflow(Fault::Drop);
            }
            #[test]
            fn latency() {
                super::$workflow(Fault::Latency(Duration::from_secs(2)));
            }
            #[test]
            fn http_500() {
                super::$workflow(Fault::Status500);
            }
            #[test]
            fn http_503() {
                super::$workflow(Fault::Status503);
            }
            #[test]
            fn throttling_bursts() {
                super::$workflow(Fault::Throttle { burst: 12, pass: 2 });
            }
            #[test]
            fn hang() {
                super::$workflow(Fault::Hang);
            }
        }
    };
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ------------------------------------------------------------------------------ dashboard

/// Whether a fault that fails calls outright (as opposed to slowing them) is in force.
fn fails_calls(fault: Fault) -> bool {
    !matches!(fault, Fault::Latency(_))
}

/// The age the ECS pane's title gives its data, in seconds (`3s ago`), if it shows one.
fn ecs_age(screen: &str) -> Option<u64> {
    let line = screen.lines().find(|l| l.contains("] ECS "))?;
    let title = line.split("] ECS ").nth(1)?;
    let before = title.split(" ago").next()?;
    let word = before.rsplit(' ').next()?;
    match word.strip_suffix('s') {
        Some(n) => n.parse().ok(),
        None => Some(60),
    }
}

/// Whether a pane shows a feed's error over its stale data (`⚠ ecs:DescribeServices…`), or
/// the status bar marks a feed failed (`✗ecs`). The network pane's `⚠ 2 findings` is not one.
fn shows_feed_error(screen: &str) -> bool {
    let pane_error = screen.match_indices('⚠').any(|(at, mark)| {
        let rest = &screen[at + mark.len()..];
        let count = rest.trim_start().split(' ').next().unwrap_or("");
        !(count.parse::<u32>().is_ok() && rest.trim_start()[count.len()..].starts_with(" finding"))
    });
    let status = screen.lines().last().unwrap_or("");
    pane_error || status.contains('✗')
}

/// Time from a key to the screen answering it, polled finely.
fn key_latency(app: &mut PtyApp, key: &str, answered: impl Fn(&str) -> bool) -> Duration {
    let sent = Instant::now();
    app.send(key);
    loop {
        if answered(&app.contents()) {
            return sent.elapsed();
        }
        assert!(
            sent.elapsed() < WAIT,
            "the key {key:?} was not answered; screen:\n{}",
            app.contents()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn dashboard(fault: Fault) {
    let moto = Moto::start();
    let rt = runtime();
    rt.block_on(async {
        let config = moto.sdk_config().await;
        build_umami(&config, "umami", 2).await;
    });
    let proxy = FaultProxy::start(&moto.endpoint);
    let home = home();
    let env = binary_env(home.path());
    let mut app = PtyApp::start_env(
        &[
            "--endpoint-url",
            &proxy.endpoint,
            "--region",
            REGION,
            "--cluster",
            "umami",
            "--service",
            "umami",
        ],
        140,
        44,
        &env,
    );
    app.wait_for("the dashboard", WAIT, |s| {
        s.contains("ALB umami") && s.contains("umami-db") && ecs_age(s).is_some()
    });

    proxy.set(fault);
    proxy.wait_faulted(FELT, WAIT);

    // A key is handled at once whatever the network does: the help popup opens and closes.
    let open = key_latency(&mut app, "?", |s| s.contains(" Keys: "));
    let close = key_latency(&mut app, "\x1b", |s| !s.contains(" Keys: "));
    println!("{fault:?}: help opened in {open:?}, closed in {close:?}");
    // The figure itself is the benchmark's (cargo bench --bench suite); here a bound far
    // below the fault's own 2 s shows the keys do not wait for the network.
    assert!(open < Duration::from_millis(500), "{fault:?}: {open:?}");
    assert!(close < Duration::from_millis(500), "{fault:?}: {close:?}");

    // Each pane says how old its data is: the ECS pane's age grows past the refresh, and a
    // failing fault names the failure over the stale data.
    if fails_calls(fault) {
        app.wait_for("the stale ECS pane with its error", WAIT, |s| {
            shows_feed_error(s) && ecs_age(s).is_some_and(|age| age >= 3)
        });
    } else {
        app.wait_for("the ECS pane's age past the latency", WAIT, |s| {
            ecs_age(s).is_some_and(|age| age >= 2)
        });
    }
    // The stale data stays on screen under the error.
    let stale = app.contents();
    assert!(
        stale.contains("ALB umami") && stale.contains("umami-db"),
        "{stale}"
    );
    if !fails_calls(fault) {
        assert!(
            !shows_feed_error(&stale),
            "{fault:?}: slow is not failed:\n{stale}"
        );
    }

    // The fault ends: every pane is fresh again with no restart.
    proxy.set(Fault::None);
    app.wait_for("every pane fresh again", WAIT, |s| {
        !shows_feed_error(s) && ecs_age(s).is_some_and(|age| age <= 1)
    });
    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
}

under_every_fault!(dashboard);

// ------------------------------------------------------------------------------- log tail

fn put(
    rt: &tokio::runtime::Runtime,
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
    messages: &[String],
) {
    let now = chrono::Utc::now().timestamp_millis();
    let events: Vec<InputLogEvent> = messages
        .iter()
        .map(|m| {
            InputLogEvent::builder()
                .timestamp(now)
                .message(m.clone())
                .build()
                .unwrap()
        })
        .collect();
    rt.block_on(
        logs.put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send(),
    )
    .expect("put log events");
}

fn log_tail(fault: Fault) {
    let moto = Moto::start();
    let rt = runtime();
    let config = rt.block_on(moto.sdk_config());
    let umami = rt.block_on(build_umami(&config, "umami", 1));
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let task = umami.tasks[0].rsplit('/').next().unwrap().to_string();
    let stream = format!("umami/umami/{task}");
    rt.block_on(
        logs.create_log_stream()
            .log_group_name(&umami.log_group)
            .log_stream_name(&stream)
            .send(),
    )
    .unwrap();
    let proxy = FaultProxy::start(&moto.endpoint);
    let home = home();
    let (mut child, lines) = spawn(
        &proxy.endpoint,
        home.path(),
        &[
            "--cluster",
            "umami",
            "--service",
            "umami",
            "logs",
            "--follow",
            "--poll",
            "--since",
            "1m",
        ],
    );
    let batch =
        |name: &str| -> Vec<String> { (0..20).map(|i| format!("{name} line {i:02}")).collect() };
    let mut printed = Vec::new();

    let before = batch("before");
    put(&rt, &logs, &umami.log_group, &stream, &before);
    printed.extend(read_until(&lines, "the lines from before the fault", |l| {
        l.ends_with("before line 19")
    }));

    proxy.set(fault);
    proxy.wait_faulted(3, WAIT);
    // Lines written while opsdeck cannot read them (moto is reached directly).
    let during = batch("during");
    put(&rt, &logs, &umami.log_group, &stream, &during);
    proxy.wait_faulted(3, WAIT);
    proxy.set(Fault::None);

    let after = batch("after");
    put(&rt, &logs, &umami.log_group, &stream, &after);
    printed.extend(read_until(&lines, "the lines from after the fault", |l| {
        l.ends_with("after line 19")
    }));
    child.kill().unwrap();
    let _ = child.wait();

    let messages: Vec<&str> = printed
        .iter()
        .filter_map(|l| l.split_once(" line ").map(|_| l.as_str()))
        .collect();
    let expected: Vec<String> = before
        .iter()
        .chain(&during)
        .chain(&after)
        .cloned()
        .collect();
    for line in &expected {
        let count = messages
            .iter()
            .filter(|m| m.ends_with(line.as_str()))
            .count();
        assert_eq!(
            count,
            1,
            "{fault:?}: {line:?} printed {count} times:\n{}",
            printed.join("\n")
        );
    }
    assert_eq!(
        messages.len(),
        expected.len(),
        "{fault:?}:\n{}",
        printed.join("\n")
    );
    // In the order they were written.
    let order: Vec<usize> = messages
        .iter()
        .map(|m| {
            expected
                .iter()
                .position(|e| m.ends_with(e.as_str()))
                .unwrap()
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "{fault:?}: out of order:\n{}",
        printed.join("\n")
    );
}

under_every_fault!(log_tail);

// ---------------------------------------------------------------------------- deploy watch

const REGISTRY: &str = "123456789012.dkr.ecr.eu-west-2.amazonaws.com";

/// The new deployment's id, once UpdateService made it (moto, directly).
async fn new_deployment(ecs: &aws_sdk_ecs::Client, old: &str) -> (String, String) {
    let described = ecs
        .describe_services()
        .cluster("umami")
        .services("umami")
        .send()
        .await
        .unwrap();
    let deployment = &described.services()[0].deployments()[0];
    let id = deployment.id().unwrap().to_string();
    assert_ne!(id, old, "UpdateService made a new deployment");
    (id, deployment.task_definition().unwrap().to_string())
}

fn deploy_watch(fault: Fault) {
    let moto = Moto::start();
    scale::ecs_deployments(&moto);
    let rt = runtime();
    let config = rt.block_on(moto.sdk_config());
    let umami = rt.block_on(build_umami(&config, "umami", 2));
    let ecs = aws_sdk_ecs::Client::new(&config);
    let old_deployment = rt.block_on(async {
        let ecr = aws_sdk_ecr::Client::new(&config);
        ecr.create_repository()
            .repository_name("umami")
            .send()
            .await
            .unwrap();
        moto::push_image(&ecr, "umami", &moto::image_manifest(1, 1000), "v1").await;
        moto::push_image(&ecr, "umami", &moto::image_manifest(2, 2000), "v2").await;
        let service = ecs
            .describe_services()
            .cluster("umami")
            .services("umami")
            .send()
            .await
            .unwrap()
            .services()[0]
            .clone();
        let cloud = opsdeck::cloud::aws::from_sdk_config(&config, None, None).unwrap();
        let on_ecr = cloud
            .ecs
            .register_image_revision(
                service.task_definition().unwrap(),
                "umami",
                &format!("{REGISTRY}/umami:v1"),
            )
            .await
            .unwrap();
        ecs.update_service()
            .cluster("umami")
            .service("umami")
            .task_definition(&on_ecr.arn)
            .send()
            .await
            .unwrap();
        new_deployment(&ecs, service.deployments()[0].id().unwrap())
            .await
            .0
    });
    let proxy = FaultProxy::start(&moto.endpoint);
    // The fault starts once ECS has the change: the watch is what meets it.
    proxy.arm("UpdateService", fault);
    let home = home();
    let (mut child, lines) = spawn(
        &proxy.endpoint,
        home.path(),
        &[
            "--cluster",
            "umami",
            "--service",
            "umami",
            "deploy",
            "--image",
            "v2",
            "--wait",
            "--timeout",
            "10m",
            "--yes",
        ],
    );
    let mut printed = Vec::new();
    if fails_calls(fault) {
        printed.extend(read_until(&lines, "a poll that says it cannot see", |l| {
            l.contains("cannot see")
        }));
    } else {
        proxy.wait_faulted(FELT, WAIT);
    }
    assert!(
        !proxy.armed(),
        "{fault:?}: the deploy never reached UpdateService"
    );

    // ECS, played by the test, finishes the rollout while opsdeck cannot see it: the new
    // revision's tasks run and their targets are healthy.
    rt.block_on(async {
        let (deployment, definition) = new_deployment(&ecs, &old_deployment).await;
        let network = scale::service_network(&umami);
        let started = ecs
            .run_task()
            .cluster("umami")
            .task_definition(&definition)
            .count(2)
            .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
            .group("service:umami")
            .started_by(&deployment)
            .network_configuration(network)
            .send()
            .await
            .unwrap();
        let arns: Vec<String> = started
            .tasks()
            .iter()
            .filter_map(|t| t.task_arn.clone())
            .collect();
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
        moto::register_tasks_as_targets(&ecs, &elb, "umami", &arns, &umami.target_group).await;
    });
    // More polls meet the fault after the rollout is complete; none may claim it.
    let felt = proxy.counts().1;
    felt_or_done(&proxy, &mut child, felt, FELT);
    printed.extend(lines.try_iter());
    if fails_calls(fault) {
        let claimed = printed.iter().any(|l| l.contains("succeeded"));
        assert!(
            !claimed,
            "{fault:?}: success claimed blind:\n{}",
            printed.join("\n")
        );
    }
    proxy.set(Fault::None);
    printed.extend(lines.iter());
    let code = wait_child(&mut child);
    let text = printed.join("\n");
    println!("{fault:?}:\n{text}");
    assert_eq!(code, 0, "{fault:?}: the rollout completed:\n{text}");
    assert!(text.contains("deploy succeeded"), "{fault:?}:\n{text}");
    assert!(
        !text.contains("cannot follow"),
        "{fault:?}: lost heart:\n{text}"
    );
    // After the last poll that could not see, the one that could, then the verdict.
    if let Some(last_blind) = printed.iter().rposition(|l| l.contains("cannot see")) {
        let after = &printed[last_blind + 1..];
        assert!(
            after.iter().any(|l| l.contains("deploy succeeded")),
            "{fault:?}:\n{text}"
        );
    }
}

under_every_fault!(deploy_watch);

// ------------------------------------------------------------------ bootstrap and teardown

/// Until `n` more requests than `since` have met the fault, or the command has ended (a
/// command that needs few calls may finish under a fault that only slows them).
fn felt_or_done(proxy: &FaultProxy, child: &mut Child, since: u64, n: u64) {
    let deadline = Instant::now() + WAIT;
    while proxy.counts().1 < since + n && child.try_wait().expect("wait").is_none() {
        assert!(
            Instant::now() < deadline,
            "{:?} was not felt",
            proxy.fault()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn bootstrap_and_teardown(fault: Fault) {
    let moto = Moto::start();
    let proxy = FaultProxy::start(&moto.endpoint);
    let home = home();
    let file = home.path().join("stack.toml");
    std::fs::write(&file, moto::stack_answers(2)).unwrap();
    let file = file.to_str().unwrap();

    // The fault starts once CloudFormation has the change set: following it is what meets it.
    proxy.arm("Action=ExecuteChangeSet", fault);
    let (mut child, lines) = spawn(
        &proxy.endpoint,
        home.path(),
        &["bootstrap", "--apply", "--yes", "--file", file],
    );
    let mut printed = Vec::new();
    if fails_calls(fault) {
        printed.extend(read_until(&lines, "a poll that says it cannot see", |l| {
            l.contains("cannot see the stack")
        }));
    }
    felt_or_done(&proxy, &mut child, 0, FELT);
    assert!(
        !proxy.armed(),
        "{fault:?}: the apply never executed its change set"
    );
    proxy.set(Fault::None);
    printed.extend(lines.iter());
    let code = wait_child(&mut child);
    let text = printed.join("\n");
    println!("{fault:?}:\n{text}");
    assert_eq!(code, 0, "{fault:?}: the apply did not finish:\n{text}");
    assert!(
        text.contains("Done: stack umami CREATE_COMPLETE"),
        "{fault:?}:\n{text}"
    );
    let status = runtime().block_on(async {
        let config = moto.sdk_config().await;
        aws_sdk_cloudformation::Client::new(&config)
            .describe_stacks()
            .stack_name("umami")
            .send()
            .await
            .unwrap()
            .stacks()[0]
            .stack_status()
            .unwrap()
            .as_str()
            .to_string()
    });
    assert_eq!(status, "CREATE_COMPLETE", "{fault:?}");

    // Teardown under the same fault, once DeleteStack went through, ends as it does without
    // one against moto (which stops at the VPC, see tests/bootstrap_moto.rs): the same
    // failure named, the same resources listed as left, never a clean delete.
    let felt_before = proxy.counts().1;
    proxy.arm("Action=DeleteStack", fault);
    let (mut child, lines) = spawn(
        &proxy.endpoint,
        home.path(),
        &["--stack", "umami", "teardown", "--yes", "--json"],
    );
    felt_or_done(&proxy, &mut child, felt_before, FELT);
    assert!(
        !proxy.armed(),
        "{fault:?}: the teardown never asked for DeleteStack"
    );
    proxy.set(Fault::None);
    let printed: Vec<String> = lines.iter().collect();
    let code = wait_child(&mut child);
    let text = printed.join("\n");
    println!("{fault:?}:\n{text}");
    assert_eq!(code, 3, "{fault:?}:\n{text}");
    let outcome: serde_json::Value =
        serde_json::from_str(printed.last().expect("an outcome line")).unwrap();
    assert_eq!(outcome["event"], "outcome", "{text}");
    assert!(
        outcome["first_failure"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("DependencyViolation"),
        "{fault:?}: {outcome:#}"
    );
    assert!(
        outcome["left"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["resource_type"] == "ec2:vpc"),
        "{fault:?}: {outcome:#}"
    );
}

under_every_fault!(bootstrap_and_teardown);

// ------------------------------------------------------------------------------ site deploy

const BUCKET: &str = "umami-frontend";

fn site_deploy(fault: Fault) {
    let moto = Moto::start();
    let rt = runtime();
    let distribution =
        rt.block_on(async { moto::site_distribution(&moto.sdk_config().await, BUCKET).await });
    let home = home();
    let build = home.path().join("dist");
    let write = |files: &[(&str, &str)]| {
        for (key, body) in files {
            let path = build.join(key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
    };
    let args = [
        "site",
        "deploy",
        build.to_str().unwrap(),
        "--bucket",
        BUCKET,
        "--distribution",
        &distribution,
        "--yes",
        "--json",
    ];
    // Yesterday's build, deployed with no fault.
    write(&[
        ("index.html", "<html>v1</html>"),
        ("assets/app.3f2a9c1d.js", "console.log(1)"),
        ("assets/app.77aa01be.css", "body{}"),
        ("assets/logo.svg", "<svg/>"),
        ("favicon.ico", "ico"),
    ]);
    let first = run(&moto.endpoint, home.path(), &args);
    assert_eq!(first.code, 0, "{}", first.explain());
    // Today's: a new bundle, and three files changed in place (so invalidated).
    let changed = [
        ("assets/app.9b8c7d6e.js", "console.log(2)"),
        ("assets/logo.svg", "<svg>2</svg>"),
        ("favicon.ico", "ico2"),
        ("index.html", "<html>v2</html>"),
    ];
    write(&changed);

    let proxy = FaultProxy::start(&moto.endpoint);
    // The fault starts after the first upload.
    proxy.arm(&format!("PUT /{BUCKET}/"), fault);
    let (mut child, lines) = spawn(&proxy.endpoint, home.path(), &args);
    let printed: Vec<String> = {
        let mut printed = Vec::new();
        let deadline = Instant::now() + WAIT;
        loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => printed.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {}
            }
            // Lift the fault once it has been felt, whether or not the deploy outlives it.
            if proxy.counts().1 >= FELT && proxy.fault() != Fault::None {
                proxy.set(Fault::None);
            }
            assert!(
                Instant::now() < deadline,
                "{fault:?}: the deploy did not end"
            );
        }
        printed
    };
    let code = wait_child(&mut child);
    proxy.set(Fault::None);
    assert!(!proxy.armed(), "{fault:?}: no upload reached S3");
    let outcome: serde_json::Value =
        serde_json::from_str(printed.last().expect("an outcome line")).unwrap();
    let text = printed.join("\n");
    println!("{fault:?}:\n{text}");
    let sent: Vec<&str> = printed
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["progress"] == "uploaded")
        .map(|l| l["key"].as_str().unwrap().to_string())
        .map(|k| {
            changed
                .iter()
                .find(|(c, _)| *c == k)
                .expect("a changed key")
                .0
        })
        .collect();
    match code {
        0 => assert_eq!(outcome["outcome"]["uploaded"], 4, "{fault:?}: {text}"),
        3 => {
            // It says what did not go: every key it did not send, then the invalidation.
            let not_done: Vec<String> = outcome["not_done"]
                .as_array()
                .unwrap_or_else(|| panic!("{fault:?}: no not_done: {text}"))
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            let mut expected: Vec<String> = changed
                .iter()
                .map(|(k, _)| k.to_string())
                .filter(|k| !sent.contains(&k.as_str()))
                .collect();
            expected.sort_by_key(|k| (k.ends_with(".html"), k.clone()));
            expected.push("invalidate / /assets/logo.svg /favicon.ico /index.html".into());
            assert_eq!(not_done, expected, "{fault:?}: {text}");
            assert_eq!(outcome["uploaded"], sent.len(), "{fault:?}: {text}");
        }
        other => panic!("{fault:?}: exit {other}: {text}"),
    }

    // Once the fault is over, a second run sends exactly what the first did not.
    let second = run(&proxy.endpoint, home.path(), &args);
    assert_eq!(second.code, 0, "{fault:?}: {}", second.explain());
    let puts: Vec<String> = proxy
        .forwarded()
        .into_iter()
        .filter(|r| r.starts_with(&format!("PUT /{BUCKET}/")))
        .collect();
    for (key, _) in changed {
        let reached = puts
            .iter()
            .filter(|r| r.contains(&format!("/{BUCKET}/{key}")))
            .count();
        assert_eq!(
            reached, 1,
            "{fault:?}: {key} reached S3 {reached} times: {puts:#?}"
        );
    }
    assert_eq!(puts.len(), changed.len(), "{fault:?}: {puts:#?}");
    let invalidations = proxy
        .forwarded()
        .into_iter()
        .filter(|r| r.starts_with("POST") && r.contains("/invalidation"))
        .count();
    assert_eq!(invalidations, 1, "{fault:?}: {:#?}", proxy.forwarded());
}

under_every_fault!(site_deploy);
