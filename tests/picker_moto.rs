//! With no service named, the dashboard on AWS (moto here) offers the account's services.

#[path = "common/moto.rs"]
mod moto;
#[path = "common/pty.rs"]
mod pty;

use std::time::Duration;

use moto::{Moto, REGION, binary_env, build_umami};
use pty::PtyApp;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_service_the_dashboard_offers_a_picker_and_opens_the_choice() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 2).await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    moto::add_services(&ecs, "umami", &umami.task_definition, 2).await;

    let home = tempfile::tempdir().unwrap();
    let mut env = binary_env(home.path());
    env.retain(|(name, _)| *name != "HOME");
    let mut app = PtyApp::start_env(
        &["--endpoint-url", &moto.endpoint, "--region", REGION],
        120,
        40,
        &env,
    );
    app.wait_for_text("Choose a service: 3 in this account", WAIT);
    let screen = app.contents();
    assert!(
        screen.contains("svc-000") && screen.contains("svc-001"),
        "{screen}"
    );

    // The list is sorted, so the stack's own service is last.
    app.send("G");
    app.send("\r");
    app.wait_for("the umami dashboard", WAIT, |s| {
        !s.contains("Choose a service") && s.contains("ALB umami") && s.contains("umami-db")
    });
    app.send("q");
    assert_eq!(app.wait_exit(WAIT), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_the_picker_without_a_choice_quits() {
    let moto = Moto::start();
    let config = moto.sdk_config().await;
    let umami = build_umami(&config, "umami", 1).await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    moto::add_services(&ecs, "umami", &umami.task_definition, 1).await;

    let home = tempfile::tempdir().unwrap();
    let mut env = binary_env(home.path());
    env.retain(|(name, _)| *name != "HOME");
    let mut app = PtyApp::start_env(
        &["--endpoint-url", &moto.endpoint, "--region", REGION],
        100,
        30,
        &env,
    );
    app.wait_for_text("Choose a service: 2 in this account", WAIT);
    app.send("\x1b");
    assert_eq!(app.wait_exit(WAIT), 0);
}
