//! The TUI: state, actions, the pure update, the event loop and its workers.

pub mod action;
pub mod state;
pub mod update;
