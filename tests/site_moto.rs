//! `opsdeck site deploy` against moto_server's S3 and CloudFront: the real binary uploads
//! every file the first time and nothing the second, a changed file goes up with the right
//! headers and only its path is invalidated, `--delete` removes what is gone and nothing
//! else, and a bad build directory is refused before anything is sent.

#[path = "common/moto.rs"]
mod moto;

use std::path::Path;

use moto::{Moto, Run};
use serde_json::Value;

const BUCKET: &str = "umami-frontend";

fn outcome_of(run: &Run) -> Value {
    run.json_lines()
        .into_iter()
        .find(|l| l["event"] == "outcome")
        .unwrap_or_else(|| panic!("no outcome: {}", run.explain()))
}

fn site_deploy(home: &Path, moto: &Moto, dir: &Path, distribution: &str, extra: &[&str]) -> Run {
    let dir = dir.to_str().unwrap();
    let mut args = vec!["site", "deploy", dir, "--bucket", BUCKET];
    args.extend(["--distribution", distribution, "--yes", "--json"]);
    args.extend_from_slice(extra);
    moto.opsdeck(home, &args)
}

async fn bucket_and_distribution(
    moto: &Moto,
) -> (aws_sdk_s3::Client, aws_sdk_cloudfront::Client, String) {
    let config = moto.sdk_config().await;
    let id = moto::site_distribution(&config, BUCKET).await;
    (
        moto::s3_client(&config),
        aws_sdk_cloudfront::Client::new(&config),
        id,
    )
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (key, body) in files {
        let path = dir.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
}

async fn keys(s3: &aws_sdk_s3::Client) -> Vec<String> {
    let listed = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    let mut keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    keys.sort();
    keys
}

fn uploaded(run: &Run) -> Vec<String> {
    let mut keys: Vec<String> = run
        .json_lines()
        .iter()
        .filter(|l| l["progress"] == "uploaded")
        .map(|l| l["key"].as_str().unwrap().to_string())
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_deploy_sends_only_what_changed_and_invalidates_only_its_paths() {
    let moto = Moto::start();
    let (s3, cloudfront, distribution) = bucket_and_distribution(&moto).await;
    let home = tempfile::tempdir().unwrap();
    let build = home.path().join("dist");
    write(
        &build,
        &[
            (
                "index.html",
                "<script src=/assets/index-BxK3aZ9q.js></script>v1",
            ),
            ("assets/index-BxK3aZ9q.js", "console.log(1)"),
            ("assets/logo-9f8e7d6c.svg", "<svg/>"),
            ("robots.txt", "User-agent: *"),
        ],
    );

    // First deploy: everything goes up, nothing to invalidate (nothing was cached).
    let first = site_deploy(home.path(), &moto, &build, &distribution, &["--wait"]);
    assert_eq!(first.code, 0, "{}", first.explain());
    assert_eq!(
        uploaded(&first),
        vec![
            "assets/index-BxK3aZ9q.js",
            "assets/logo-9f8e7d6c.svg",
            "index.html",
            "robots.txt"
        ]
    );
    let ups: Vec<String> = first
        .json_lines()
        .iter()
        .filter(|l| l["progress"] == "uploaded")
        .map(|l| l["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ups.last().map(String::as_str),
        Some("index.html"),
        "HTML goes last"
    );
    assert_eq!(keys(&s3).await.len(), 4);
    let html = s3
        .head_object()
        .bucket(BUCKET)
        .key("index.html")
        .send()
        .await
        .unwrap();
    assert_eq!(html.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(html.cache_control(), Some("no-cache"));
    let js = s3
        .head_object()
        .bucket(BUCKET)
        .key("assets/index-BxK3aZ9q.js")
        .send()
        .await
        .unwrap();
    assert_eq!(js.content_type(), Some("text/javascript; charset=utf-8"));
    assert_eq!(
        js.cache_control(),
        Some("public, max-age=31536000, immutable")
    );

    // Second deploy of the same build: nothing sent.
    let second = site_deploy(home.path(), &moto, &build, &distribution, &[]);
    assert_eq!(second.code, 0, "{}", second.explain());
    assert_eq!(uploaded(&second), Vec::<String>::new());
    let plan = &second.json_lines()[0];
    assert_eq!(plan["unchanged"], 4, "{plan:#}");

    // A new build: index.html changed, the bundle renamed, the logo unchanged.
    std::fs::remove_file(build.join("assets/index-BxK3aZ9q.js")).unwrap();
    write(
        &build,
        &[
            (
                "index.html",
                "<script src=/assets/index-C7yL2mP4.js></script>v2",
            ),
            ("assets/index-C7yL2mP4.js", "console.log(2)"),
        ],
    );
    let third = site_deploy(home.path(), &moto, &build, &distribution, &["--wait"]);
    assert_eq!(third.code, 0, "{}", third.explain());
    assert_eq!(
        uploaded(&third),
        vec!["assets/index-C7yL2mP4.js", "index.html"]
    );
    let outcome = outcome_of(&third);
    let invalidation = &outcome["outcome"]["invalidation"];
    assert_eq!(
        invalidation["paths"],
        serde_json::json!(["/", "/index.html"])
    );
    assert_eq!(
        invalidation["status"], "Completed",
        "--wait followed it: {outcome:#}"
    );
    let listed = cloudfront
        .list_invalidations()
        .distribution_id(&distribution)
        .send()
        .await
        .unwrap();
    let made = listed
        .invalidation_list()
        .map(|l| l.items().len())
        .unwrap_or(0);
    assert_eq!(
        made, 1,
        "one invalidation, for the one deploy that changed a cached file"
    );
    // Without --delete the old bundle stays (a page still cached may ask for it).
    assert!(
        keys(&s3)
            .await
            .contains(&"assets/index-BxK3aZ9q.js".to_string())
    );

    // --delete removes exactly what the build no longer has.
    let fourth = site_deploy(home.path(), &moto, &build, &distribution, &["--delete"]);
    assert_eq!(fourth.code, 0, "{}", fourth.explain());
    assert_eq!(
        keys(&s3).await,
        vec![
            "assets/index-C7yL2mP4.js",
            "assets/logo-9f8e7d6c.svg",
            "index.html",
            "robots.txt"
        ]
    );
    let deleted = outcome_of(&fourth)["outcome"]["deleted"].clone();
    assert_eq!(deleted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_without_index_html_is_refused_before_anything_is_sent() {
    let moto = Moto::start();
    let (s3, _, distribution) = bucket_and_distribution(&moto).await;
    let home = tempfile::tempdir().unwrap();
    let build = home.path().join("dist");
    write(&build, &[("app.js", "x")]);
    let run = site_deploy(home.path(), &moto, &build, &distribution, &[]);
    assert_eq!(run.code, 2, "{}", run.explain());
    assert!(
        run.stderr.contains("has no index.html"),
        "{}",
        run.explain()
    );
    let missing = site_deploy(
        home.path(),
        &moto,
        &home.path().join("nope"),
        &distribution,
        &[],
    );
    assert_eq!(missing.code, 2, "{}", missing.explain());
    assert!(
        missing.stderr.contains("no such directory"),
        "{}",
        missing.explain()
    );
    assert_eq!(keys(&s3).await, Vec::<String>::new());
}
