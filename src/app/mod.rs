//! The TUI: state, actions, the pure update, the event loop and its workers.

pub mod action;
pub mod jobs;
pub mod oneshot;
pub mod run;
pub mod screens;
pub mod screenshot;
pub mod state;
pub mod update;
pub mod view;
pub mod workers;
