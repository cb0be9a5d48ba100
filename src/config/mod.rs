//! User files: the config file and the keymap, loaded and validated at start-up.

pub mod keymap;
mod settings;
pub(crate) mod source;

use std::io;
use std::path::{Path, PathBuf};

use self::settings::parse_config;
use self::source::{Located, SourceFile};

/// How often each feed refreshes, in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshIntervals {
    pub ecs_ms: u64,
    pub targets_ms: u64,
    pub rds_ms: u64,
    pub topology_ms: u64,
    pub logs_ms: u64,
    /// CloudWatch publishes one-minute datapoints: refreshing faster only costs requests.
    pub metrics_ms: u64,
    /// The site's invalidations and bucket contents.
    pub site_ms: u64,
}

impl Default for RefreshIntervals {
    fn default() -> Self {
        RefreshIntervals {
            ecs_ms: 2_000,
            targets_ms: 3_000,
            rds_ms: 10_000,
            topology_ms: 60_000,
            logs_ms: 1_000,
            metrics_ms: 60_000,
            site_ms: 30_000,
        }
    }
}

/// One attempt of an AWS call, at most: ListTasks or GetMetricData answer in well under a
/// second; one that has not answered in 20 s is on a connection that will not.
pub const DEFAULT_CALL_TIMEOUT_MS: u64 = 20_000;

/// A named stack in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackConfig {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub cluster: Option<String>,
    pub service: Option<String>,
    /// `production = true`: a deploy, rollback, scale, restart or stop-task asks the user to
    /// type the service name instead of answering y.
    pub production: bool,
    /// `site = { bucket, distribution }`: the stack's static frontend.
    pub site: Option<SiteConfig>,
}

/// A static site: the bucket it is served from and the CloudFront distribution before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteConfig {
    pub bucket: String,
    pub distribution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub stacks: std::collections::BTreeMap<String, StackConfig>,
    pub refresh: RefreshIntervals,
    pub theme: String,
    pub log_buffer_lines: usize,
    pub read_only: bool,
    /// `call_timeout`: how long one attempt of an AWS call may take before it is abandoned
    /// and retried (a hung connection must not freeze a feed or a watch).
    pub call_timeout_ms: u64,
    /// The file this was read from (`--config`, or the default location even when there is
    /// no file there yet): where the TUI remembers a stack it bootstrapped. `None` when
    /// parsed from text or when there is no home directory.
    pub path: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            stacks: Default::default(),
            refresh: RefreshIntervals::default(),
            theme: "default".into(),
            log_buffer_lines: 10_000,
            read_only: false,
            call_timeout_ms: DEFAULT_CALL_TIMEOUT_MS,
            path: None,
        }
    }
}

/// A problem in the config file. `line` and `column` are 1-based; both are 0 when the error
/// is about the file as a whole (it could not be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ConfigError {
    fn at(source: SourceFile<'_>, located: Located) -> ConfigError {
        let (line, column) = source.line_column(located.span.start);
        ConfigError {
            file: source.path.to_path_buf(),
            line,
            column,
            message: located.message,
        }
    }

    fn unreadable(path: &Path, err: &io::Error) -> ConfigError {
        ConfigError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read config file: {err}"),
        }
    }

    fn unwritable(path: &Path, err: &io::Error) -> ConfigError {
        ConfigError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot write config file: {err}"),
        }
    }
}

impl Config {
    /// Reads the config file at `path`. The caller named this file, so a missing one is an
    /// error; see [`Config::load_default_location`] for the file the user may not have made.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|err| ConfigError::unreadable(path, &err))?;
        Config::parse(&text, path).map(|config| config.read_from(path))
    }

    /// Reads [`default_config_path`]; no file there (or no home directory) means the defaults.
    pub fn load_default_location() -> Result<Config, ConfigError> {
        default_config_path().map_or_else(
            || Ok(Config::default()),
            |path| Config::load_or_default(&path),
        )
    }

    /// Reads `path` if it exists: for a location the user may never have created a file in.
    pub fn load_or_default(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Config::default()),
            Err(err) => Err(ConfigError::unreadable(path, &err)),
        }
        .map(|config| config.read_from(path))
    }

    fn read_from(self, path: &Path) -> Config {
        Config {
            path: Some(path.to_path_buf()),
            ..self
        }
    }

    /// Parses the text of a config file; `file` is only used to name it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let source = SourceFile::new(file, text);
        parse_config(source).map_err(|located| ConfigError::at(source, located))
    }
}

/// `config.toml` in [`config_dir`].
pub fn default_config_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join("config.toml"))
}

/// `$XDG_CONFIG_HOME/opsdeck` or `~/.config/opsdeck`.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("opsdeck"))
}

/// `$XDG_STATE_HOME/opsdeck` or `~/.local/state/opsdeck`.
pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map(|d| d.join("opsdeck"))
}

/// Whether a TOML text holds any key or table (not only comments and blank lines).
fn has_items(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim_start();
        !line.is_empty() && !line.starts_with('#')
    })
}

/// What [`remember_stack`] did to the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remembered {
    /// `[stacks.NAME]` was added (the file was created if there was none).
    Added,
    /// The file had it already with these settings.
    Unchanged,
    /// The table existed with other settings for these keys; they were replaced.
    Updated,
}

/// Writes `[stacks.NAME]` with the given settings into the config file at `path`, keeping
/// everything else in the file as it was (comments, order, other stacks). The result is
/// parsed again before it is written, so a bad write can never replace a good file.
pub fn remember_stack(
    path: &Path,
    name: &str,
    stack: &StackConfig,
) -> Result<Remembered, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(ConfigError::unreadable(path, &err)),
    };
    // A file that does not parse is the user's to fix: never rewrite it.
    Config::parse(&text, path)?;
    let mut document: toml_edit::DocumentMut = text.parse().map_err(|err| ConfigError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot edit: {err}"),
    })?;
    let stacks = document
        .entry("stacks")
        .or_insert_with(|| {
            let mut table = toml_edit::Table::new();
            table.set_implicit(true);
            toml_edit::Item::Table(table)
        })
        .as_table_mut()
        .ok_or_else(|| ConfigError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: "stacks: is not a table; make it [stacks.NAME] tables".into(),
        })?;
    let existed = stacks.contains_key(name);
    let table = stacks
        .entry(name)
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_mut()
        .ok_or_else(|| ConfigError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("stacks.{name}: is not a table"),
        })?;
    let mut changed = false;
    let fields = [
        ("profile", &stack.profile),
        ("region", &stack.region),
        ("cluster", &stack.cluster),
        ("service", &stack.service),
    ];
    for (key, value) in fields {
        let Some(value) = value else { continue };
        if table.get(key).and_then(|v| v.as_str()) != Some(value.as_str()) {
            table.insert(key, toml_edit::value(value.as_str()));
            changed = true;
        }
    }
    if stack.production && table.get("production").and_then(|v| v.as_bool()) != Some(true) {
        table.insert("production", toml_edit::value(true));
        changed = true;
    }
    if let Some(site) = &stack.site {
        let mut inline = toml_edit::InlineTable::new();
        inline.insert("bucket", site.bucket.as_str().into());
        if let Some(distribution) = &site.distribution {
            inline.insert("distribution", distribution.as_str().into());
        }
        let same = table
            .get("site")
            .and_then(|v| v.as_table_like())
            .is_some_and(|t| {
                t.get("bucket").and_then(|v| v.as_str()) == Some(site.bucket.as_str())
                    && t.get("distribution").and_then(|v| v.as_str())
                        == site.distribution.as_deref()
                    && t.len() == inline.len()
            });
        if !same {
            table.insert("site", toml_edit::value(inline));
            changed = true;
        }
    }
    if !changed {
        return Ok(Remembered::Unchanged);
    }
    // A file of comments alone keeps them on top, where the user wrote them (toml_edit
    // would carry them as the document's trailing text, below the new table).
    let written = if text.trim().is_empty() || !has_items(&text) {
        let trailing = document.trailing().as_str().unwrap_or_default().to_string();
        document.set_trailing("");
        let table = document.to_string();
        let head = if trailing.is_empty() || trailing.ends_with('\n') {
            trailing
        } else {
            format!("{trailing}\n")
        };
        format!("{head}{table}")
    } else {
        document.to_string()
    };
    Config::parse(&written, path)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|err| ConfigError::unwritable(path, &err))?;
    }
    std::fs::write(path, written).map_err(|err| ConfigError::unwritable(path, &err))?;
    Ok(if existed {
        Remembered::Updated
    } else {
        Remembered::Added
    })
}

#[cfg(test)]
mod remember_tests {
    use super::*;

    #[test]
    fn a_stack_is_added_once_and_the_rest_of_the_file_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\nread_only = false\n\n[stacks.other]\nregion = \"us-east-1\"\n",
        )
        .unwrap();
        let stack = StackConfig {
            region: Some("eu-west-2".into()),
            cluster: Some("umami".into()),
            service: Some("umami".into()),
            ..StackConfig::default()
        };
        assert_eq!(
            remember_stack(&path, "umami", &stack).unwrap(),
            Remembered::Added
        );
        assert_eq!(
            remember_stack(&path, "umami", &stack).unwrap(),
            Remembered::Unchanged
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mine\n"), "{text}");
        let config = Config::parse(&text, &path).unwrap();
        assert_eq!(config.stacks["umami"], stack);
        assert_eq!(config.stacks["other"].region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn a_missing_file_is_created_and_a_broken_one_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/config.toml");
        let stack = StackConfig {
            cluster: Some("a".into()),
            ..StackConfig::default()
        };
        assert_eq!(
            remember_stack(&path, "a", &stack).unwrap(),
            Remembered::Added
        );
        let broken = dir.path().join("broken.toml");
        std::fs::write(&broken, "refresh = [").unwrap();
        let error = remember_stack(&broken, "a", &stack).unwrap_err();
        assert_eq!(error.line, 1, "{error}");
        assert_eq!(std::fs::read_to_string(&broken).unwrap(), "refresh = [");
    }

    #[test]
    fn a_stack_site_is_remembered_as_an_inline_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mut stack = StackConfig {
            cluster: Some("a".into()),
            ..StackConfig::default()
        };
        remember_stack(&path, "a", &stack).unwrap();
        stack.site = Some(SiteConfig {
            bucket: "a-sitebucket-1x2y".into(),
            distribution: Some("E1ABC".into()),
        });
        assert_eq!(
            remember_stack(&path, "a", &stack).unwrap(),
            Remembered::Updated
        );
        assert_eq!(
            remember_stack(&path, "a", &stack).unwrap(),
            Remembered::Unchanged
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("site = { bucket = \"a-sitebucket-1x2y\", distribution = \"E1ABC\" }"),
            "{text}"
        );
        assert_eq!(Config::parse(&text, &path).unwrap().stacks["a"], stack);
    }
}
