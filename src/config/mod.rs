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
        }
    }
}

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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub stacks: std::collections::BTreeMap<String, StackConfig>,
    pub refresh: RefreshIntervals,
    pub theme: String,
    pub log_buffer_lines: usize,
    pub read_only: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            stacks: Default::default(),
            refresh: RefreshIntervals::default(),
            theme: "default".into(),
            log_buffer_lines: 10_000,
            read_only: false,
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
}

impl Config {
    /// Reads the config file at `path`. The caller named this file, so a missing one is an
    /// error; see [`Config::load_default_location`] for the file the user may not have made.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|err| ConfigError::unreadable(path, &err))?;
        Config::parse(&text, path)
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
