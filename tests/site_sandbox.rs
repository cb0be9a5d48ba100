//! A site deploy on the sandbox's example stack, on a manual clock: the example build is
//! already in its bucket, a new build sends only what changed, and `--wait` follows the
//! invalidation over the minute and a half CloudFront takes, without sleeping.

use std::path::Path;

use opsdeck::cloud::Cloud;
use opsdeck::cloud::sandbox::{
    ClockMode, EXAMPLE_BUCKET, EXAMPLE_DISTRIBUTION, SANDBOX_EPOCH, Sandbox, Scenario,
};
use opsdeck::model::InvalidationStatus;
use opsdeck::ops::audit::Audit;
use opsdeck::ops::site::deploy::SiteFailure;
use opsdeck::ops::site::{self, SiteOptions, SiteOutcome, SitePlan, SiteTarget, SiteVerdict};

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (key, body) in files {
        let path = dir.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
}

async fn deploy(
    cloud: &Cloud,
    target: &SiteTarget,
    plan: &SitePlan,
    options: &SiteOptions,
) -> Result<SiteOutcome, SiteFailure> {
    site::deploy::deploy(
        cloud,
        target,
        plan,
        options,
        &Audit::disabled(),
        "eu-west-2",
        &|_| {},
    )
    .await
}

#[tokio::test]
async fn a_new_build_sends_what_changed_and_waits_for_its_invalidation() {
    let sandbox = Sandbox::new(
        Scenario::Healthy,
        3,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let cloud = sandbox.cloud();
    let target = SiteTarget {
        bucket: EXAMPLE_BUCKET.into(),
        distribution: Some(EXAMPLE_DISTRIBUTION.into()),
    };
    let build = tempfile::tempdir().unwrap();
    // The deployed build, with a new index page and bundle; the logo is unchanged.
    write(
        build.path(),
        &[
            (
                "index.html",
                "<!doctype html><script src=/assets/index-Ry7mQ2cZ.js></script>",
            ),
            ("assets/index-Ry7mQ2cZ.js", "console.log('umami v2')"),
            (
                "assets/logo-7c1e2b9f.svg",
                "<svg xmlns='http://www.w3.org/2000/svg'/>",
            ),
        ],
    );
    let plan = site::plan_deploy(&cloud, &target, build.path(), true)
        .await
        .unwrap();
    let sent: Vec<&str> = plan.uploads.iter().map(|u| u.file.key.as_str()).collect();
    assert_eq!(sent, vec!["assets/index-Ry7mQ2cZ.js", "index.html"]);
    assert_eq!(plan.unchanged, 1);
    assert_eq!(plan.deletes, vec!["assets/index-Dx4kP9aQ.js".to_string()]);
    assert_eq!(
        plan.invalidation,
        vec!["/", "/assets/index-Dx4kP9aQ.js", "/index.html"]
    );

    let started = sandbox.now();
    let options = SiteOptions {
        wait: true,
        timeout_ms: 15 * 60_000,
    };
    let outcome = deploy(&cloud, &target, &plan, &options).await.unwrap();
    assert_eq!(outcome.verdict, SiteVerdict::Done);
    assert_eq!((outcome.uploaded, outcome.deleted), (2, 1));
    let invalidation = outcome.invalidation.unwrap();
    assert_eq!(invalidation.status, InvalidationStatus::Completed);
    let waited = sandbox.now() - started;
    assert!(
        (90_000..=100_000).contains(&waited),
        "followed until CloudFront finished, {waited} ms"
    );

    // The bucket now holds exactly the build: a second plan is empty.
    let again = site::plan_deploy(&cloud, &target, build.path(), true)
        .await
        .unwrap();
    assert!(again.is_empty(), "{again:?}");

    // A short --wait gives up with exit 5 and says so, while CloudFront carries on.
    write(build.path(), &[("index.html", "<!doctype html>v3")]);
    let plan = site::plan_deploy(&cloud, &target, build.path(), false)
        .await
        .unwrap();
    let hurried = SiteOptions {
        wait: true,
        timeout_ms: 20_000,
    };
    let outcome = deploy(&cloud, &target, &plan, &hurried).await.unwrap();
    assert_eq!(outcome.verdict, SiteVerdict::TimedOut);
    assert_eq!(outcome.verdict.exit_code(), 5);
}

#[tokio::test]
async fn read_only_refuses_the_upload_in_the_cloud_layer() {
    let sandbox = Sandbox::new(
        Scenario::Healthy,
        3,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    let cloud = sandbox.cloud().read_only();
    let target = SiteTarget {
        bucket: EXAMPLE_BUCKET.into(),
        distribution: Some(EXAMPLE_DISTRIBUTION.into()),
    };
    let build = tempfile::tempdir().unwrap();
    write(build.path(), &[("index.html", "<!doctype html>changed")]);
    let plan = site::plan_deploy(&cloud, &target, build.path(), false)
        .await
        .unwrap();
    let options = SiteOptions {
        wait: false,
        timeout_ms: 60_000,
    };
    let failure = deploy(&cloud, &target, &plan, &options).await.unwrap_err();
    assert!(
        failure.to_string().contains("read-only: s3:PutObject"),
        "{failure}"
    );
    assert_eq!(failure.uploaded, 0);
}
