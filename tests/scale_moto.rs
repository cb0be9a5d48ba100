//! Big accounts against moto: a stack picker over 2,000 services in 5 clusters, a service
//! with 500 tasks, and names as long (or as far from ASCII) as AWS lets them be.
//!
//! moto pages ECS's lists here as AWS does (tests/common/moto_server.py, 8.). Times are
//! measured by `cargo bench --bench picker`; the bounds below only keep a hang from
//! lasting forever.

#[path = "common/moto.rs"]
mod moto;
#[path = "common/pty.rs"]
mod pty;
#[path = "common/scale.rs"]
mod scale;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use moto::{Moto, REGION, binary_env};
use opsdeck::model::StackRef;
use opsdeck::ops::discover;
use pty::PtyApp;
use unicode_width::UnicodeWidthStr;

/// A hang guard, not a measurement.
const WAIT: Duration = Duration::from_secs(20);

fn start(args: &[&str], endpoint: &str, cols: u16, rows: u16) -> PtyApp {
    let home = tempfile::tempdir().unwrap();
    let mut env = binary_env(home.path());
    env.retain(|(name, _)| *name != "HOME");
    let mut all = vec!["--endpoint-url", endpoint, "--region", REGION];
    all.extend(args);
    PtyApp::start_env(&all, cols, rows, &env)
}

/// The rows of the centred popup: the text between its first and last `║`, with the
/// columns where those borders sit. Every row of a popup has them at the same columns.
fn popup_rows(screen: &str) -> Vec<(usize, usize, String)> {
    screen
        .lines()
        .filter_map(|line| {
            let left = line.find('║')?;
            let right = line.rfind('║')?;
            (right > left).then(|| {
                (
                    line[..left].width(),
                    line[..right].width(),
                    line[left + '║'.len_utf8()..right].to_string(),
                )
            })
        })
        .collect()
}

fn assert_popup_borders_line_up(screen: &str) {
    let rows = popup_rows(screen);
    assert!(!rows.is_empty(), "a popup is open:\n{screen}");
    let columns: BTreeSet<(usize, usize)> = rows.iter().map(|(l, r, _)| (*l, *r)).collect();
    assert_eq!(
        columns.len(),
        1,
        "every popup row has its borders in place:\n{screen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_over_2000_services_in_5_clusters_opens_and_narrows_as_typed() {
    let moto = Moto::start();
    let account = scale::big_account(&moto, 5, 2000, 0).await;
    println!(
        "seeded {} services in {} clusters in {:.1} s",
        account.services,
        account.clusters.len(),
        account.seeding.as_secs_f64()
    );

    let started = Instant::now();
    let mut app = start(&[], &moto.endpoint, 120, 40);
    app.wait_for_text("Choose a service: 2000 in this account", WAIT);
    println!(
        "picker complete {:.2} s after start",
        started.elapsed().as_secs_f64()
    );
    let screen = app.contents();
    // Sorted by cluster, then service: team-1 holds svc-0001, svc-0006, svc-0011...
    assert!(
        screen.contains("team-1 / svc-0001") && screen.contains("team-1 / svc-0006"),
        "{screen}"
    );
    assert!(
        screen.contains("/2000"),
        "the position among them: {screen}"
    );
    assert_popup_borders_line_up(&screen);

    // `/` and a name narrow the list as each key lands.
    app.send("/svc-123");
    app.wait_for("10 of 2000", WAIT, |s| {
        s.contains("Choose a service: 10 of 2000 in this account")
    });
    let screen = app.contents();
    assert!(
        screen.contains("team-4 / svc-1234") && !screen.contains("svc-0001"),
        "{screen}"
    );
    app.send("4");
    app.wait_for("1 of 2000", WAIT, |s| {
        s.contains("Choose a service: 1 of 2000")
    });
    let screen = app.contents();
    assert!(screen.contains("▶ team-4 / svc-1234"), "{screen}");
    assert!(!screen.contains("svc-1230"), "{screen}");
    assert_popup_borders_line_up(&screen);

    // The filter reads `cluster / service`: the stack's own service, then open it.
    app.send("\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7fumami / umami");
    app.wait_for("the umami service alone", WAIT, |s| {
        s.contains("Choose a service: 1 of 2000") && s.contains("▶ umami / umami")
    });
    app.send("\r");
    app.send("\r");
    app.wait_for("the umami dashboard", WAIT, |s| {
        !s.contains("Choose a service") && s.contains("ALB umami") && s.contains("umami-db")
    });
    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
}

/// One dashboard refresh: topology, ecs, target health, databases and metrics, as the
/// app's feeds run them.
async fn refresh_calls(moto: &Moto, stack: &StackRef) -> (BTreeMap<String, u64>, usize) {
    let (cloud, calls) = moto.cloud().await;
    let topology = discover::topology(&cloud, stack).await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let (ecs, _, _, _) = tokio::try_join!(
        discover::ecs(&cloud, stack),
        discover::target_health(&cloud, &topology),
        discover::databases(&cloud, &topology),
        discover::metrics(&cloud, stack, &topology, now),
    )
    .unwrap();
    (calls.calls(), ecs.tasks.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_of_a_500_task_service_lists_and_describes_its_tasks_100_at_a_time() {
    let moto = Moto::start();
    scale::page_ecs_lists(&moto);
    let config = moto.sdk_config().await;
    let umami = moto::build_umami(&config, "umami", 1).await;
    let (one, tasks) = refresh_calls(&moto, &umami.stack()).await;
    assert_eq!(tasks, 1);
    assert_eq!(
        one["ECS.ListTasks"], 2,
        "running and stopped, one page each"
    );
    assert_eq!(one["ECS.DescribeTasks"], 1);

    scale::run_umami_tasks(&config, &umami, 499).await;
    let (five_hundred, tasks) = refresh_calls(&moto, &umami.stack()).await;
    assert_eq!(tasks, 500);
    for (operation, n) in &five_hundred {
        println!(
            "  {operation:<56} {n} (1 task: {})",
            one.get(operation).unwrap_or(&0)
        );
    }
    // ceil(500 / 100) pages of running tasks and one (empty) of stopped ones; ceil(500 /
    // 100) DescribeTasks. Nothing else grows with the tasks.
    assert_eq!(five_hundred["ECS.ListTasks"], 5 + 1);
    assert_eq!(five_hundred["ECS.DescribeTasks"], 5);
    let grew: BTreeMap<&str, u64> = five_hundred
        .iter()
        .filter(|(op, n)| one.get(*op) != Some(n))
        .map(|(op, n)| (op.as_str(), n - one.get(op).copied().unwrap_or(0)))
        .collect();
    assert_eq!(
        grew,
        BTreeMap::from([("ECS.DescribeTasks", 4), ("ECS.ListTasks", 4)])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_500_tasks_are_all_shown_once_however_often_the_dashboard_refreshes() {
    let moto = Moto::start();
    scale::page_ecs_lists(&moto);
    let config = moto.sdk_config().await;
    let umami = moto::build_umami(&config, "umami", 0).await;
    let tasks = scale::run_umami_tasks(&config, &umami, 500).await;

    let home = tempfile::tempdir().unwrap();
    let status = moto.opsdeck(
        home.path(),
        &[
            "--cluster",
            "umami",
            "--service",
            "umami",
            "status",
            "--json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&status.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", status.explain()));
    assert_eq!(
        json["tasks"]["by_state"]["RUNNING"],
        500,
        "{}",
        status.explain()
    );

    let mut app = start(
        &["--cluster", "umami", "--service", "umami"],
        &moto.endpoint,
        160,
        50,
    );
    app.wait_for("tasks", WAIT, |s| {
        s.contains("RUNNING") && s.contains("umami-db")
    });
    for _ in 0..3 {
        app.send("\x12");
        std::thread::sleep(Duration::from_millis(700));
    }
    // Into the service's tasks, then filter to the last one started and the first.
    app.send("2\r");
    app.wait_for_text("› umami tasks", WAIT);
    for arn in [&tasks[499], &tasks[0]] {
        let short = &arn.rsplit('/').next().unwrap()[..8];
        app.send(&format!("/{short}\r"));
        app.wait_for(short, WAIT, |s| {
            s.lines()
                .any(|l| l.contains(short) && l.contains("RUNNING"))
        });
        let screen = app.contents();
        let rows = screen
            .lines()
            .filter(|l| l.contains(short) && l.contains("RUNNING"))
            .count();
        assert_eq!(rows, 1, "task {short} once:\n{screen}");
        app.send("\x1b");
        // An Esc with more keys right behind it reads as Alt and that key.
        std::thread::sleep(Duration::from_millis(300));
    }
    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
}

/// `len` characters of what AWS allows in an ECS cluster or service name: letters,
/// digits, `-` and `_`.
fn longest_name(start: &str, len: usize) -> String {
    start.chars().cycle().take(len).collect()
}

/// What the dashboard must hold on every row whatever the names: nothing past the right
/// edge, and the right edge a pane's border (a name that spilled over, or a wide character
/// counted as narrow, moves it).
fn assert_rows_keep_their_borders(screen: &str, cols: usize) {
    let rows: Vec<&str> = screen.lines().collect();
    // The last row is the status bar, which has no border.
    for (i, row) in rows[..rows.len() - 1].iter().enumerate() {
        assert!(row.width() <= cols, "row {i} overflows:\n{screen}");
        let last = row.chars().last();
        assert!(
            matches!(
                last,
                Some(
                    '│' | '┐'
                        | '┘'
                        | '┤'
                        | '╮'
                        | '╯'
                        | '║'
                        | '╗'
                        | '╝'
                        | '┃'
                        | '┓'
                        | '┛'
                        | '┫'
                )
            ),
            "row {i} ends in {last:?}, not a border: {row:?}\n{screen}"
        );
        assert_eq!(
            row.width(),
            cols,
            "row {i} is as wide as the screen:\n{screen}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_of_255_characters_and_unicode_are_cut_with_an_ellipsis_and_keep_the_layout() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let cluster = longest_name("Payments_Cluster-eu-west-2-", 255);
    let service = longest_name("checkout-api_v2-", 255);
    let umami = moto::build_umami(&config, &cluster, 2).await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    ecs.create_service()
        .cluster(&cluster)
        .service_name(&service)
        .task_definition(&umami.task_definition)
        .desired_count(1)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .network_configuration(scale::service_network(&umami))
        .send()
        .await
        .unwrap();
    ecs.create_cluster()
        .cluster_name("web")
        .send()
        .await
        .unwrap();
    scale::create_services(
        &ecs,
        &umami.task_definition,
        vec![("web".into(), "web".into())],
    )
    .await;
    // StopTask's reason is free text (ECS keeps up to 1024 characters of it).
    let reason = "Arrêt demandé par l’équipe — 東京 🚀 maintenance window";
    ecs.stop_task()
        .cluster(&cluster)
        .task(&umami.tasks[1])
        .reason(reason)
        .send()
        .await
        .unwrap();
    // Log stream names take anything but `:` and `*`; messages anything.
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let task_id = umami.tasks[0].rsplit('/').next().unwrap();
    for (stream, message) in [
        (
            format!("umami/umami/{task_id}"),
            "Grüße aus Zürich — 日本語のログ 🚀 ok",
        ),
        (
            "umami/umami/ünïcødé stream 日本 🚀".to_string(),
            "from a stream named in unicode",
        ),
    ] {
        logs.create_log_stream()
            .log_group_name(&umami.log_group)
            .log_stream_name(&stream)
            .send()
            .await
            .unwrap();
        logs.put_log_events()
            .log_group_name(&umami.log_group)
            .log_stream_name(&stream)
            .log_events(
                aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                    .timestamp(chrono::Utc::now().timestamp_millis())
                    .message(message)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    // The picker: three services, two of them in the 255-character cluster.
    let mut app = start(&[], &moto.endpoint, 100, 30);
    app.wait_for_text("Choose a service: 3 in this account", WAIT);
    let screen = app.contents();
    assert_popup_borders_line_up(&screen);
    let rows = popup_rows(&screen);
    let cut: Vec<&String> = rows
        .iter()
        .map(|(_, _, text)| text)
        .filter(|t| t.contains('…'))
        .collect();
    assert_eq!(
        cut.len(),
        2,
        "both rows of the long cluster are cut:\n{screen}"
    );
    assert!(
        cut.iter()
            .all(|t| t.contains("Payments_Cluster-eu-west-2-Paym")),
        "{screen}"
    );
    assert!(
        rows.iter()
            .any(|(_, _, t)| t.trim_start().starts_with("web ") && t.trim_end().ends_with("/ web")),
        "{screen}"
    );
    app.send("\x1b");
    assert_eq!(app.wait_exit(WAIT), 0);

    // The dashboard of the umami service in that cluster, under a stack name in unicode
    // from the config file.
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("config.toml");
    let stack = "Prod — Zürich 🚀 umami";
    std::fs::write(
        &file,
        format!("[stacks.\"{stack}\"]\ncluster = \"{cluster}\"\nservice = \"umami\"\n"),
    )
    .unwrap();
    let file = file.display().to_string();
    for (cols, rows) in [(160, 50), (100, 30)] {
        let mut app = start(
            &["--config", &file, "--stack", stack],
            &moto.endpoint,
            cols,
            rows,
        );
        app.wait_for("the dashboard with its data", WAIT, |s| {
            s.contains("umami-db") && s.contains("RUNNING") && s.contains("Zürich")
        });
        // The ECS pane's services: the 255-character one cut, its start shown. It sorts
        // first, so it is the one selected.
        app.wait_for("the long service", WAIT, |s| {
            s.lines().any(|l| l.contains("│checkout-api_v2-c… "))
        });
        assert_rows_keep_their_borders(&app.contents(), cols.into());
        if cols >= 160 {
            // The umami service's tasks: the stopped one with its reason.
            app.send("2");
            app.send("j");
            app.wait_for("the stopped reason and the log line", WAIT, |s| {
                s.contains("Arrêt demandé") && s.contains("Grüße aus Zürich")
            });
            assert_rows_keep_their_borders(&app.contents(), cols.into());
        }
        app.send("q");
        assert_eq!(app.wait_exit(WAIT), 0);
    }
}
