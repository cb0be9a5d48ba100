//! The config file: a full file, the defaults, and the errors a user sees for a bad file.

use std::fs;
use std::path::PathBuf;

use opsdeck::config::{Config, ConfigError, RefreshIntervals, StackConfig};
use tempfile::TempDir;

fn write_config(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    fs::write(&path, text).unwrap();
    (dir, path)
}

/// Loads a bad file and checks the error points at `path:line` and names `words`.
fn assert_error(text: &str, line: usize, words: &[&str]) -> ConfigError {
    let (_dir, path) = write_config(text);
    let err = Config::load(&path).expect_err("the file should be rejected");
    assert_eq!(err.file, path);
    assert_eq!(err.line, line, "wrong line for: {err}");
    assert!(err.column >= 1, "{err}");
    for word in words {
        assert!(err.message.contains(word), "{word:?} missing from: {err}");
    }
    err
}

#[test]
fn full_config_parses() {
    let (_dir, path) = write_config(
        r#"
theme = "solarized"
read_only = true
log_buffer_lines = 50_000
call_timeout = 7.5

[refresh]          # seconds, floats allowed
ecs = 2.5
targets = 3
rds = 10
topology = 60
logs = 0.5

[stacks.umami]
profile = "prod"
region = "eu-west-2"
cluster = "umami"
service = "umami"

[stacks.staging]
region = "eu-west-1"
"#,
    );
    let config = Config::load(&path).unwrap();
    assert_eq!(config.theme, "solarized");
    assert!(config.read_only);
    assert_eq!(config.log_buffer_lines, 50_000);
    assert_eq!(config.call_timeout_ms, 7_500);
    assert_eq!(
        config.refresh,
        RefreshIntervals {
            ecs_ms: 2_500,
            targets_ms: 3_000,
            rds_ms: 10_000,
            topology_ms: 60_000,
            logs_ms: 500,
            metrics_ms: 60_000,
            site_ms: 30_000,
        }
    );
    assert_eq!(
        config.stacks["umami"],
        StackConfig {
            profile: Some("prod".into()),
            region: Some("eu-west-2".into()),
            cluster: Some("umami".into()),
            service: Some("umami".into()),
            production: false,
            site: None,
        }
    );
    assert_eq!(
        config.stacks["staging"].region.as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(config.stacks["staging"].cluster, None);
}

#[test]
fn absent_fields_keep_their_defaults() {
    let (_dir, path) = write_config("[refresh]\nrds = 30\n");
    let config = Config::load(&path).unwrap();
    let expected = Config {
        refresh: RefreshIntervals {
            rds_ms: 30_000,
            ..RefreshIntervals::default()
        },
        path: Some(path.clone()),
        ..Config::default()
    };
    assert_eq!(config, expected);
}

#[test]
fn empty_file_is_the_defaults() {
    let (_dir, path) = write_config("# nothing yet\n");
    let config = Config::load(&path).unwrap();
    assert_eq!(config.path.as_deref(), Some(path.as_path()));
    assert_eq!(
        Config {
            path: None,
            ..config
        },
        Config::default()
    );
}

#[test]
fn missing_explicit_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.toml");
    let err = Config::load(&path).unwrap_err();
    assert_eq!(err.file, path);
    assert!(err.to_string().contains("missing.toml"), "{err}");
}

#[test]
fn missing_file_at_the_default_location_is_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let config = Config::load_or_default(&path).unwrap();
    // Where a bootstrapped stack would be remembered, though there is no file yet.
    assert_eq!(config.path.as_deref(), Some(path.as_path()));
    assert_eq!(
        Config {
            path: None,
            ..config
        },
        Config::default()
    );

    fs::write(&path, "read_only = true\n").unwrap();
    assert!(Config::load_or_default(&path).unwrap().read_only);
    fs::write(&path, "read_only = 1\n").unwrap();
    assert_eq!(Config::load_or_default(&path).unwrap_err().line, 1);
}

#[test]
fn toml_syntax_error() {
    assert_error("theme = \"default\"\nread_only = \n", 2, &["invalid TOML"]);
}

#[test]
fn unknown_top_level_field() {
    assert_error(
        "theme = \"default\"\nrefersh = 3\n",
        2,
        &["refersh: unknown field", "refresh"],
    );
}

#[test]
fn unknown_refresh_field() {
    assert_error(
        "[refresh]\necs = 2\nalb = 5\n",
        3,
        &["refresh.alb: unknown field", "targets"],
    );
}

#[test]
fn unknown_stack_field() {
    assert_error(
        "[stacks.umami]\nregion = \"eu-west-2\"\nclustr = \"umami\"\n",
        3,
        &["stacks.umami.clustr: unknown field", "cluster"],
    );
}

#[test]
fn refresh_must_be_positive() {
    assert_error(
        "[refresh]\necs = 0\n",
        2,
        &["refresh.ecs", "between 0.1 and 3600"],
    );
    assert_error("[refresh]\nlogs = -1.5\n", 2, &["refresh.logs"]);
    assert_error("[refresh]\ntopology = 100000\n", 2, &["refresh.topology"]);
}

#[test]
fn refresh_must_be_a_number() {
    assert_error(
        "[refresh]\n\nrds = \"fast\"\n",
        3,
        &["refresh.rds", "number of seconds", "a string"],
    );
}

#[test]
fn log_buffer_lines_out_of_range() {
    assert_error(
        "log_buffer_lines = 10\n",
        1,
        &["log_buffer_lines", "between 100 and 10000000"],
    );
    assert_error("log_buffer_lines = 20_000_000\n", 1, &["log_buffer_lines"]);
    assert_error(
        "log_buffer_lines = 1.5\n",
        1,
        &["log_buffer_lines", "whole number"],
    );
}

#[test]
fn call_timeout_out_of_range_or_not_a_number() {
    assert_eq!(
        Config::default().call_timeout_ms,
        opsdeck::config::DEFAULT_CALL_TIMEOUT_MS
    );
    assert_error(
        "call_timeout = 0.5\n",
        1,
        &["call_timeout", "between 1 and 300"],
    );
    assert_error(
        "\ncall_timeout = 3600\n",
        2,
        &["call_timeout", "out of range"],
    );
    assert_error(
        "call_timeout = \"20s\"\n",
        1,
        &["call_timeout", "number of seconds"],
    );
}

#[test]
fn wrong_types_name_the_field() {
    assert_error("read_only = \"yes\"\n", 1, &["read_only", "true or false"]);
    assert_error("theme = \"\"\n", 1, &["theme", "empty"]);
    assert_error("stacks = 3\n", 1, &["stacks", "a table"]);
    assert_error(
        "[stacks.umami]\nregion = 1\n",
        2,
        &["stacks.umami.region", "a string"],
    );
}

#[test]
fn error_display_is_file_line_column() {
    let err = assert_error("\n\nread_only = 1\n", 3, &["read_only"]);
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{}:3:13: ", err.file.display())),
        "{shown}"
    );
}

#[test]
fn a_stack_can_be_marked_production() {
    let (_dir, path) = write_config(
        "[stacks.umami]\nservice = \"umami\"\nproduction = true\n\n[stacks.staging]\nservice = \"umami\"\n",
    );
    let config = Config::load(&path).expect("valid config");
    assert!(config.stacks["umami"].production);
    assert!(
        !config.stacks["staging"].production,
        "production is off unless asked"
    );
}

#[test]
fn production_must_be_true_or_false() {
    assert_error(
        "[stacks.umami]\nservice = \"umami\"\nproduction = \"yes\"\n",
        3,
        &["stacks.umami.production", "true or false", "string"],
    );
}
