//! Workflows shared by the TUI and the CLI.

pub mod discover;
pub mod graph;
pub mod logs;

pub use logs::tail;
