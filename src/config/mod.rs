//! User files: the config file and the keymap, loaded and validated at start-up.
//!
//! OWNED BY THE KEYMAP HELPER: the signatures below are the contract the rest of the app uses.

pub mod keymap;

use std::path::{Path, PathBuf};

/// How often each feed refreshes, in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshIntervals {
    pub ecs_ms: u64,
    pub targets_ms: u64,
    pub rds_ms: u64,
    pub topology_ms: u64,
    pub logs_ms: u64,
}

impl Default for RefreshIntervals {
    fn default() -> Self {
        RefreshIntervals {
            ecs_ms: 2_000,
            targets_ms: 3_000,
            rds_ms: 10_000,
            topology_ms: 60_000,
            logs_ms: 1_000,
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Config {
    /// Reads `path`; a missing file at the default location is not an error.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        unimplemented!("{path:?}")
    }
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
