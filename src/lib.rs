//! opsdeck: a terminal console for an ECS Fargate web app on AWS.

pub mod app;
pub mod cli;
pub mod cloud;
pub mod config;
pub mod model;
pub mod ops;
pub mod ui;
