//! Workflows shared by the TUI and the CLI.

pub mod audit;
pub mod bootstrap;
pub mod ci;
pub mod discover;
pub mod findings;
pub mod graph;
pub mod logs;
pub mod release;
pub mod site;
pub mod status;

pub use logs::tail;
