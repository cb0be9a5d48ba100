//! Command-line interface: global flags shared by the TUI and every subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::cloud::sandbox::Scenario;

#[derive(Debug, Parser)]
#[command(
    name = "opsdeck",
    version,
    about = "A terminal console for an ECS Fargate web app on AWS",
    long_about = "A terminal console for an ECS Fargate web app on AWS: network graph, ECS \
                  services and tasks, target health, RDS and live logs on one screen.\n\n\
                  Try it with no AWS account: opsdeck --sandbox"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Use the embedded simulated AWS account instead of AWS.
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Sandbox scenario (implies --sandbox).
    #[arg(long, global = true, value_enum, value_name = "NAME")]
    pub scenario: Option<Scenario>,
    /// Seed of the sandbox's randomness: the same seed gives the same account.
    #[arg(long, global = true, default_value_t = 42, value_name = "N")]
    pub seed: u64,
    /// How much faster than real time the sandbox's clock runs.
    #[arg(long, global = true, default_value_t = 1.0, value_name = "X")]
    pub speed: f64,
    /// AWS profile (as in the AWS CLI).
    #[arg(long, global = true, env = "AWS_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region (as in the AWS CLI).
    #[arg(long, global = true, env = "AWS_REGION", value_name = "REGION")]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (LocalStack, moto).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// ECS cluster of the stack.
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,
    /// ECS service of the stack.
    #[arg(long, global = true, value_name = "NAME")]
    pub service: Option<String>,
    /// A named stack from the config file.
    #[arg(long, global = true, value_name = "NAME")]
    pub stack: Option<String>,
    /// Config file [default: ~/.config/opsdeck/config.toml].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Keymap file merged over the default [default: ~/.config/opsdeck/keymap.toml].
    #[arg(long, global = true, value_name = "PATH")]
    pub keymap: Option<PathBuf>,
    /// Refuse every mutating action.
    #[arg(long, global = true)]
    pub read_only: bool,
}

impl GlobalArgs {
    pub fn use_sandbox(&self) -> bool {
        self.sandbox || self.scenario.is_some()
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// One-shot summary of the stack: services, deployments, tasks, targets, RDS, findings.
    /// Exit code 0 healthy, 1 degraded, 2 error.
    Status(StatusArgs),
    /// Render the dashboard of a sandbox scenario once, as SVG or text (for the README).
    #[command(hide = true)]
    Screenshot(ScreenshotArgs),
    /// Print the service's logs, like `aws logs tail` (add --follow to keep printing).
    Logs(LogsArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ScreenshotArgs {
    /// Where to write the picture (`-` for stdout).
    #[arg(long, default_value = "-")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 120)]
    pub width: u16,
    #[arg(long, default_value_t = 40)]
    pub height: u16,
    /// Virtual seconds after the sandbox's start at which to take the picture.
    #[arg(long, default_value_t = 90)]
    pub at: u32,
    /// Plain text instead of SVG.
    #[arg(long)]
    pub text: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LogsArgs {
    /// Keep printing new lines until Ctrl-C.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// How far back to start: 30s, 10m, 2h, 1d, or a time such as 2026-11-22T09:00:00Z.
    #[arg(long, default_value = "10m", value_name = "WHEN")]
    pub since: String,
    /// A CloudWatch filter pattern, applied by AWS (as in `aws logs tail --filter-pattern`).
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// Only this task's streams (a task id or ARN).
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// Only this container's streams.
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Poll FilterLogEvents instead of using a live tail.
    #[arg(long)]
    pub poll: bool,
}

impl From<&LogsArgs> for crate::ops::logs::command::LogsOptions {
    fn from(args: &LogsArgs) -> Self {
        crate::ops::logs::command::LogsOptions {
            follow: args.follow,
            since: args.since.clone(),
            filter: args.filter.clone(),
            task: args.task.clone(),
            container: args.container.clone(),
            json: args.json,
            poll: args.poll,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// A stable JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}
