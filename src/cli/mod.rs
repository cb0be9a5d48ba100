//! Command-line interface: global flags shared by the TUI and every subcommand, and the
//! faces of the release subcommands (`release`).

pub mod bootstrap;
pub mod ci;
pub mod release;
pub mod site;

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
    /// Deploy an image: a new task-definition revision (pinned to the ECR digest), then
    /// UpdateService. Exit 0 success, 2 refused before any change, 3 failed, 4 failed and
    /// rolled back, 5 timed out, 6 replaced by another deployment.
    Deploy(DeployArgs),
    /// Point the service back at an earlier ACTIVE revision (default: the one before).
    /// Exit codes as for deploy.
    Rollback(RollbackArgs),
    /// Set the service's desired task count (0 stops the app).
    Scale(ScaleArgs),
    /// Replace every task with a fresh one of the same revision (force new deployment).
    Restart(RestartArgs),
    /// Stop one task of the service; ECS starts a replacement.
    StopTask(StopTaskArgs),
    /// The images of the service's ECR repository, newest first, the running one marked.
    Images(ListArgs),
    /// The revisions of the service's task-definition family, newest first.
    Revisions(ListArgs),
    /// Provision a new stack from its answers (stack.toml) with CloudFormation. Alone: the
    /// template and a monthly cost estimate, offline. --plan: a change set against the
    /// account. --apply: execute it and follow the stack events (re-attaches to a stack
    /// CloudFormation is still working on). Exit 0 done or nothing to change, 2 refused
    /// before any change (the error names file, line and field), 3 failed.
    Bootstrap(BootstrapArgs),
    /// Delete a stack opsdeck made (--stack NAME): DeleteStack, follow it, then list what
    /// still carries its tag. Exit 0 only when nothing is left but what was kept on purpose
    /// (the final database snapshot), 2 refused, 3 something is left.
    Teardown(TeardownArgs),
    /// The stack's static site: a bucket behind CloudFront.
    #[command(subcommand)]
    Site(SiteCommand),
    /// Continuous delivery: a CI workflow and the cloud role it deploys with.
    #[command(subcommand)]
    Ci(CiCommand),
    /// Print a shell completion script: `opsdeck completions bash > /etc/bash_completion.d/opsdeck`.
    Completions(CompletionsArgs),
}

/// How a rollout is watched, shared by deploy, rollback and restart.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// Watch the rollout to its end and exit with its verdict; without it the command
    /// returns once ECS accepted the change.
    #[arg(long)]
    pub wait: bool,
    /// Give up watching after this long (exit 5): 90s, 15m, 1h.
    #[arg(long, default_value = "15m", value_name = "DURATION")]
    pub timeout: String,
}

/// Confirmation and output, shared by every mutating command.
#[derive(Debug, Clone, Args)]
pub struct ConfirmArgs {
    /// Do not ask; required when stdin is not a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// One JSON object per line: progress events, then the outcome.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// A tag (v2.14.0), a digest (sha256:...) or a full image reference.
    #[arg(long, value_name = "TAG|DIGEST")]
    pub image: String,
    /// The container whose image changes [default: the one the load balancer targets].
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
    /// Stopped tasks of the new deployment that make it a crash loop (exit 3).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub max_task_failures: u32,
    /// On a failure (not a timeout, not a replaced deployment), roll back and watch that.
    #[arg(long)]
    pub rollback_on_failure: bool,
    /// Take an RDS snapshot of the stack's database first, and wait until it is available.
    #[arg(long)]
    pub snapshot: bool,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RollbackArgs {
    /// A revision number (7), family:revision, or a task-definition ARN.
    #[arg(long, value_name = "REVISION")]
    pub to: Option<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ScaleArgs {
    /// The desired task count.
    #[arg(value_name = "N")]
    pub desired: u32,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RestartArgs {
    #[command(flatten)]
    pub wait: WaitArgs,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Clone, Args)]
pub struct StopTaskArgs {
    /// The task's id or ARN.
    #[arg(value_name = "ID")]
    pub task: String,
    /// Why, as ECS records it in the task's stopped reason.
    #[arg(long, value_name = "TEXT", default_value = "Stopped with opsdeck")]
    pub reason: String,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// A JSON array instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
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

#[derive(Debug, Clone, Args)]
pub struct BootstrapArgs {
    /// The answer file (stack.toml): name, region, network, service, database, domain, alarms.
    #[arg(long, value_name = "PATH")]
    pub file: PathBuf,
    /// Write the CloudFormation template (JSON) here; `-` for stdout.
    #[arg(long, value_name = "PATH")]
    pub emit: Option<PathBuf>,
    /// JSON: the plan (resources, changes, cost) as one object; with --apply one object
    /// per stack event, then the outcome.
    #[arg(long)]
    pub json: bool,
    /// Make a CloudFormation change set against the account and show it; nothing is
    /// changed (the change set is deleted again).
    #[arg(long, conflicts_with = "apply")]
    pub plan: bool,
    /// Make the change set, ask, execute it and follow it to the end.
    #[arg(long)]
    pub apply: bool,
    /// With --apply: do not ask; required when stdin is not a terminal.
    #[arg(long, short = 'y', requires = "apply")]
    pub yes: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum SiteCommand {
    /// Upload a build directory to the site's bucket: only what changed (by content hash),
    /// with content types and cache headers (a year for fingerprinted assets, no-cache for
    /// HTML), then one CloudFront invalidation of the changed paths. Exit 0 done or nothing
    /// to do, 2 refused before anything was sent, 3 failed part-way, 5 --wait timed out.
    Deploy(SiteDeployArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SiteDeployArgs {
    /// The build output (dist/, build/): must hold index.html.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The bucket [default: site.bucket of the --stack in the config file].
    #[arg(long, value_name = "NAME")]
    pub bucket: Option<String>,
    /// The CloudFront distribution id [default: site.distribution of the --stack].
    #[arg(long, value_name = "ID")]
    pub distribution: Option<String>,
    /// Also delete objects the build no longer has.
    #[arg(long)]
    pub delete: bool,
    /// Show what would be sent, deleted and invalidated; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
    #[command(flatten)]
    pub confirm: ConfirmArgs,
}

#[derive(Debug, Clone, Args)]
pub struct TeardownArgs {
    /// Do not ask for the stack name to be typed; required when stdin is not a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// One JSON object per stack event, then the outcome.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum CiCommand {
    /// Write a GitHub Actions workflow (.github/workflows/deploy.yml) that builds the image,
    /// pushes it to ECR and runs `opsdeck deploy --wait --rollback-on-failure` (and `opsdeck
    /// site deploy` for a stack with a site), and add, through CloudFormation, GitHub's OIDC
    /// provider (when the account has none) and a role only that repository's branch can
    /// assume, allowed only what the workflow does. --plan shows the role and changes
    /// nothing. Exit 0 done or nothing to change, 2 refused before any change, 3 failed.
    Github(CiGithubArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CiGithubArgs {
    /// The GitHub repository, OWNER/NAME [default: from `git remote get-url origin`].
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The branch whose pushes deploy; the only one the role trusts.
    #[arg(long, default_value = "main", value_name = "NAME")]
    pub branch: String,
    /// Show the role's trust and permissions, whether the OIDC provider is created, and
    /// the workflow; change nothing.
    #[arg(long)]
    pub plan: bool,
    /// Do not ask (also replaces a different workflow file); required when stdin is not a
    /// terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// One JSON object per line: the plan, the stack events, then the outcome.
    #[arg(long)]
    pub json: bool,
    /// Where to write the workflow [default: .github/workflows/deploy.yml at the top of the
    /// git repository, or of the current directory].
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// The frontend's build output, relative to the repository root, for a stack with a site
    /// (site = { bucket, distribution } in its [stacks.NAME] table); the workflow runs
    /// `npm ci` and `npm run build` in its parent directory.
    #[arg(long, default_value = "frontend/dist", value_name = "DIR")]
    pub site_dir: String,
}
