//! Entry point: parse flags, load the user's files, pick a backend, run the TUI or a command.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use color_eyre::eyre::{Context, eyre};
use futures::StreamExt as _;

use opsdeck::app::oneshot::load_dashboard;
use opsdeck::app::run::{Choosing, Session, run};
use opsdeck::app::screenshot;
use opsdeck::cli::{Cli, Command, GlobalArgs, ScreenshotArgs, StatusArgs};
use opsdeck::cloud::aws;
use opsdeck::cloud::sandbox::{ClockMode, SANDBOX_EPOCH, Sandbox};
use opsdeck::cloud::{BackendKind, Cloud};
use opsdeck::config::keymap::Keymap;
use opsdeck::config::{self, Config};
use opsdeck::model::StackRef;
use opsdeck::ops::{discover, status};
use opsdeck::ui::{self, Theme};

/// Exit code for a usage or start-up error the user can fix (bad file, unknown stack).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _log = init_debug_log();
    if let Err(error) = color_eyre::install() {
        eprintln!("opsdeck: {error}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("opsdeck: cannot start the async runtime: {error}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(error) => {
            // One line for errors the user can act on; the chain carries the cause.
            eprintln!("opsdeck: {error:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `OPSDECK_LOG=debug` (any tracing filter) writes a debug log to the state directory;
/// the terminal belongs to the TUI, so nothing is logged to it.
fn init_debug_log() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = std::env::var("OPSDECK_LOG").ok()?;
    let dir = config::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let (writer, guard) =
        tracing_appender::non_blocking(tracing_appender::rolling::never(&dir, "debug.log"));
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(writer)
        .with_ansi(false)
        .init();
    Some(guard)
}

async fn dispatch(cli: Cli) -> color_eyre::Result<ExitCode> {
    let config = load_config(&cli.global)?;
    match cli.command {
        None => {
            let keymap = load_keymap(&cli.global)?;
            let (cloud, stack, choices) = dashboard_backend(&cli.global, &config).await?;
            let read_only = cli.global.read_only || config.read_only;
            // Read-only is enforced in the cloud layer, for keys as for subcommands.
            let cloud = if read_only { cloud.read_only() } else { cloud };
            let production = named_production(&cli.global, &config);
            let ended = run(Session {
                cloud,
                stack,
                choices,
                config,
                keymap,
                theme: Theme::default(),
                read_only,
                production,
                audit: opsdeck::ops::audit::Audit::default_location(),
            })
            .await?;
            if let opsdeck::app::run::Ended::Signal { name, .. } = ended {
                eprintln!("opsdeck: stopped by {name}");
            }
            Ok(ExitCode::from(ended.exit_code()))
        }
        Some(Command::Status(args)) => status_command(&cli.global, &config, &args).await,
        Some(Command::Screenshot(args)) => {
            screenshot_command(&cli.global, &config, &args).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Logs(args)) => {
            let (cloud, stack) = backend(&cli.global, &config).await?;
            opsdeck::ops::logs::command::run(&cloud, &stack, &(&args).into()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Bootstrap(args)) => bootstrap_command(&cli.global, &config, &args).await,
        Some(Command::Teardown(args)) => teardown_command(&cli.global, &config, &args).await,
        Some(Command::Site(opsdeck::cli::SiteCommand::Deploy(args))) => {
            site_deploy_command(&cli.global, &config, &args).await
        }
        Some(Command::Ci(opsdeck::cli::CiCommand::Github(args))) => {
            ci_github_command(&cli.global, &config, &args).await
        }
        Some(Command::Completions(args)) => {
            completions(args.shell);
            Ok(ExitCode::SUCCESS)
        }
        Some(command) => release_command(&cli.global, &config, command).await,
    }
}

/// `opsdeck completions SHELL`: every subcommand and flag, from the clap definition.
fn completions(shell: clap_complete::Shell) {
    use clap::CommandFactory;
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "opsdeck", &mut std::io::stdout());
}

/// The release subcommands (deploy, rollback, scale, restart, stop-task, images,
/// revisions). Read-only (`--read-only`, `read_only = true`) wraps the cloud itself, so
/// every call that would change something is refused in the cloud layer, and audited.
async fn release_command(
    global: &GlobalArgs,
    config: &Config,
    command: Command,
) -> color_eyre::Result<ExitCode> {
    use opsdeck::cli::release;
    use opsdeck::ops::audit::Audit;
    let (cloud, stack) = backend(global, config).await?;
    let cloud = if global.read_only || config.read_only {
        cloud.read_only()
    } else {
        cloud
    };
    let context = release::Context {
        audit: Audit::default_location(),
        production: named_production(global, config),
    };
    let code = match &command {
        Command::Deploy(args) => release::deploy(&cloud, &stack, args, &context).await,
        Command::Rollback(args) => release::rollback(&cloud, &stack, args, &context).await,
        Command::Scale(args) => release::scale(&cloud, &stack, args, &context).await,
        Command::Restart(args) => release::restart(&cloud, &stack, args, &context).await,
        Command::StopTask(args) => release::stop_task(&cloud, &stack, args, &context).await,
        Command::Images(args) => release::images(&cloud, &stack, args).await,
        Command::Revisions(args) => release::revisions(&cloud, &stack, args).await,
        other => return Err(eyre!("{other:?} is not a release command")),
    };
    Ok(ExitCode::from(code))
}

/// `opsdeck bootstrap --file F [--plan|--apply]`: offline without either flag; otherwise
/// against the account in the answers' region.
async fn bootstrap_command(
    global: &GlobalArgs,
    config: &Config,
    args: &opsdeck::cli::BootstrapArgs,
) -> color_eyre::Result<ExitCode> {
    use opsdeck::cli::bootstrap;
    if !(args.plan || args.apply) {
        return Ok(ExitCode::from(bootstrap::offline(args)));
    }
    let answers = match bootstrap::load_answers(&args.file) {
        Ok(answers) => answers,
        Err(code) => return Ok(ExitCode::from(code)),
    };
    if let Some(region) = &global.region
        && !global.use_sandbox()
        && *region != answers.region
    {
        return Err(eyre!(
            "--region (or AWS_REGION) is {region} but {} says region = \"{}\": the stack goes \
             where the answer file says; change one of them",
            args.file.display(),
            answers.region
        ));
    }
    let (cloud, context) = account(global, config, Some(answers.region.clone())).await?;
    Ok(ExitCode::from(
        bootstrap::run(&cloud, &answers, args, &context).await,
    ))
}

/// `opsdeck site deploy DIR`: the bucket and distribution from the flags or the named
/// stack's `site` table; no discovery needed.
async fn site_deploy_command(
    global: &GlobalArgs,
    config: &Config,
    args: &opsdeck::cli::SiteDeployArgs,
) -> color_eyre::Result<ExitCode> {
    // Without --stack, the one stack of the config file that has a site (as bootstrap
    // remembers it) is the site meant.
    let mut with_site = config.stacks.values().filter(|n| n.site.is_some());
    let only_site = match (with_site.next(), with_site.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    };
    let named = match &global.stack {
        Some(name) => config.stacks.get(name),
        None => only_site,
    };
    let target = match opsdeck::cli::site::target(args, named.and_then(|n| n.site.as_ref())) {
        Ok(target) => target,
        Err(message) => return Err(eyre!(message)),
    };
    let region = named.and_then(|n| n.region.clone());
    let (cloud, context) = account(global, config, region.clone()).await?;
    let region = match &cloud.kind {
        BackendKind::Aws { region, .. } => region.clone(),
        BackendKind::Sandbox { .. } => region.unwrap_or_default(),
    };
    Ok(ExitCode::from(
        opsdeck::cli::site::deploy(&cloud, &target, args, &context.audit, &region).await,
    ))
}

/// `opsdeck ci github`: the flags checked before any AWS call, then the stack found as
/// every release command finds it. Read-only refuses in the cloud layer.
async fn ci_github_command(
    global: &GlobalArgs,
    config: &Config,
    args: &opsdeck::cli::CiGithubArgs,
) -> color_eyre::Result<ExitCode> {
    let repo = opsdeck::cli::ci::check_args(args).map_err(|message| eyre!(message))?;
    let (cloud, stack) = backend(global, config).await?;
    let cloud = if global.read_only || config.read_only {
        cloud.read_only()
    } else {
        cloud
    };
    let site = global
        .stack
        .as_ref()
        .and_then(|n| config.stacks.get(n))
        .and_then(|n| n.site.as_ref())
        .map(|site| opsdeck::ops::ci::SiteTarget {
            bucket: site.bucket.clone(),
            distribution: site.distribution.clone(),
        });
    let context = opsdeck::cli::ci::Context {
        audit: opsdeck::ops::audit::Audit::default_location(),
        site,
    };
    Ok(ExitCode::from(
        opsdeck::cli::ci::github(&cloud, &stack, &repo, args, &context).await,
    ))
}

/// `opsdeck teardown --stack NAME`.
async fn teardown_command(
    global: &GlobalArgs,
    config: &Config,
    args: &opsdeck::cli::TeardownArgs,
) -> color_eyre::Result<ExitCode> {
    let Some(name) = global.stack.clone() else {
        return Err(eyre!(
            "teardown needs the stack: opsdeck teardown --stack NAME"
        ));
    };
    let region = config.stacks.get(&name).and_then(|s| s.region.clone());
    let (cloud, context) = account(global, config, region).await?;
    Ok(ExitCode::from(
        opsdeck::cli::bootstrap::teardown(&cloud, &name, args, &context).await,
    ))
}

/// The account for bootstrap and teardown, which work on a stack that may not exist yet:
/// no discovery, only the connection. Read-only sessions refuse in the cloud layer.
async fn account(
    global: &GlobalArgs,
    config: &Config,
    region: Option<String>,
) -> color_eyre::Result<(Cloud, opsdeck::cli::bootstrap::Context)> {
    let audit = opsdeck::ops::audit::Audit::default_location();
    let (cloud, context) = if global.use_sandbox() {
        let (cloud, _) = backend(global, config).await?;
        // The simulated account lasts as long as this process: only a config file named
        // with --config for the session is written, never the everyday one.
        let context = opsdeck::cli::bootstrap::Context {
            audit,
            config_path: global.config.clone(),
            profile: None,
            read_only: false,
        };
        (cloud, context)
    } else {
        let named = global.stack.as_ref().and_then(|n| config.stacks.get(n));
        let profile = global
            .profile
            .clone()
            .or_else(|| named.and_then(|n| n.profile.clone()));
        let cloud = aws::connect(aws::ConnectOptions {
            profile: profile.clone(),
            region: global.region.clone().or(region),
            endpoint_url: global.endpoint_url.clone(),
            calls: None,
            call_timeout: Some(Duration::from_millis(config.call_timeout_ms)),
        })
        .await?;
        let context = opsdeck::cli::bootstrap::Context {
            audit,
            config_path: global.config.clone().or_else(config::default_config_path),
            profile,
            read_only: false,
        };
        (cloud, context)
    };
    let read_only = global.read_only || config.read_only;
    let context = opsdeck::cli::bootstrap::Context {
        read_only,
        ..context
    };
    Ok((if read_only { cloud.read_only() } else { cloud }, context))
}

/// Whether `--stack` names a stack marked `production = true` in the config file.
fn named_production(global: &GlobalArgs, config: &Config) -> bool {
    global
        .stack
        .as_ref()
        .and_then(|name| config.stacks.get(name))
        .is_some_and(|named| named.production)
}

fn load_config(global: &GlobalArgs) -> color_eyre::Result<Config> {
    match &global.config {
        Some(path) => Config::load(path),
        None => Config::load_default_location(),
    }
    .map_err(|e| eyre!("config: {e}"))
}

fn load_keymap(global: &GlobalArgs) -> color_eyre::Result<Keymap> {
    match &global.keymap {
        Some(path) => Keymap::load(Some(path)),
        None => Keymap::load_default_location(),
    }
    .map_err(|e| eyre!("keymap: {e}"))
}

fn sandbox_stack(global: &GlobalArgs) -> StackRef {
    StackRef {
        name: global.stack.clone().unwrap_or_else(|| "umami".into()),
        region: "eu-west-2".into(),
        cluster: global.cluster.clone().unwrap_or_else(|| "umami".into()),
        service: global.service.clone().unwrap_or_else(|| "umami".into()),
    }
}

async fn backend(global: &GlobalArgs, config: &Config) -> color_eyre::Result<(Cloud, StackRef)> {
    if !global.use_sandbox() {
        return aws_backend(global, config).await;
    }
    if !(global.speed.is_finite() && global.speed > 0.0) {
        return Err(eyre!(
            "--speed must be a positive number, got {}",
            global.speed
        ));
    }
    let sandbox = Sandbox::new(
        global.scenario.unwrap_or_default(),
        global.seed,
        ClockMode::Scaled {
            start: opsdeck::model::wall_clock_ms(),
            speed: global.speed,
        },
    );
    Ok((sandbox.cloud(), sandbox_stack(global)))
}

/// The AWS account named by the flags, the environment and `--stack`; flags win over the file.
async fn aws_backend(
    global: &GlobalArgs,
    config: &Config,
) -> color_eyre::Result<(Cloud, StackRef)> {
    let (cloud, named) = aws_connect(global, config).await?;
    let stack = opsdeck::ops::discover::resolve_stack(
        &cloud,
        global.stack.clone(),
        global.cluster.clone().or(named.cluster),
        global.service.clone().or(named.service),
    )
    .await?;
    Ok((cloud, stack))
}

/// The AWS account, with the named stack's settings (if `--stack` was given).
async fn aws_connect(
    global: &GlobalArgs,
    config: &Config,
) -> color_eyre::Result<(Cloud, config::StackConfig)> {
    let named = match &global.stack {
        Some(name) => config.stacks.get(name).cloned().ok_or_else(|| {
            let file = global
                .config
                .clone()
                .or_else(config::default_config_path)
                .map_or_else(
                    || "the config file".to_string(),
                    |p| p.display().to_string(),
                );
            let known: Vec<&str> = config.stacks.keys().map(String::as_str).collect();
            if known.is_empty() {
                eyre!("no stack named {name}: {file} defines none; add a [stacks.{name}] table")
            } else {
                eyre!(
                    "no stack named {name} in {file}: it defines {}",
                    known.join(", ")
                )
            }
        })?,
        None => Default::default(),
    };
    let cloud = aws::connect(aws::ConnectOptions {
        profile: global.profile.clone().or(named.profile.clone()),
        region: global.region.clone().or(named.region.clone()),
        endpoint_url: global.endpoint_url.clone(),
        calls: None,
        call_timeout: Some(Duration::from_millis(config.call_timeout_ms)),
    })
    .await?;
    Ok((cloud, named))
}

/// The dashboard's backend and stack; on AWS, when no service was named and the account
/// has several, the services to pick from in the TUI instead. The TUI opens as soon as two
/// are known; a big account's other clusters are listed behind the open picker.
async fn dashboard_backend(
    global: &GlobalArgs,
    config: &Config,
) -> color_eyre::Result<(Cloud, StackRef, Option<Choosing>)> {
    let named = global.stack.as_ref().and_then(|n| config.stacks.get(n));
    let service_known =
        global.service.is_some() || named.is_some_and(|stack| stack.service.is_some());
    if global.use_sandbox() || service_known {
        let (cloud, stack) = backend(global, config).await?;
        return Ok((cloud, stack, None));
    }
    let (cloud, named) = aws_connect(global, config).await?;
    let region = match &cloud.kind {
        BackendKind::Aws { region, .. } => region.clone(),
        BackendKind::Sandbox { .. } => String::new(),
    };
    let cluster = global.cluster.clone().or(named.cluster);
    let mut more = discover::services_by_cluster(cloud.clone(), region.clone(), cluster.clone());
    let mut found = Vec::new();
    // One service alone opens its dashboard, none is an error: both need the whole listing.
    while found.len() < 2 {
        match more.next().await {
            Some(batch) => found.extend(batch?),
            None => break,
        }
    }
    if found.len() >= 2 {
        let placeholder = StackRef {
            name: String::new(),
            region,
            cluster: String::new(),
            service: String::new(),
        };
        return Ok((cloud, placeholder, Some(Choosing { found, more })));
    }
    match found.pop() {
        Some(stack) => Ok((cloud, stack, None)),
        None => Err(eyre!(
            "no ECS services in {} ({region}): check --profile, --region and --cluster, or try --sandbox",
            cluster.as_deref().unwrap_or("any cluster")
        )),
    }
}

async fn status_command(
    global: &GlobalArgs,
    config: &Config,
    args: &StatusArgs,
) -> color_eyre::Result<ExitCode> {
    let (cloud, stack) = backend(global, config).await?;
    let hint = opsdeck::ops::site::discover::SiteHint {
        stack: stack.name.clone(),
        site: config.stacks.get(&stack.name).and_then(|s| s.site.clone()),
    };
    let report = status::collect_with(&cloud, &stack, &hint).await?;
    if args.json {
        print!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::from(report.exit_code()))
}

async fn screenshot_command(
    global: &GlobalArgs,
    config: &Config,
    args: &ScreenshotArgs,
) -> color_eyre::Result<()> {
    let keymap = load_keymap(global)?;
    let sandbox = Sandbox::new(
        global.scenario.unwrap_or_default(),
        global.seed,
        ClockMode::Manual {
            start: SANDBOX_EPOCH,
        },
    );
    sandbox.advance(i64::from(args.at) * 1000);
    let stack = sandbox_stack(global);
    let state = load_dashboard(
        &sandbox.cloud(),
        &stack,
        config.log_buffer_lines,
        sandbox.now(),
        10 * 60 * 1000,
    )
    .await?;
    let backend = ratatui::backend::TestBackend::new(args.width, args.height);
    let mut terminal = ratatui::Terminal::new(backend)?;
    let mut state = state;
    state.width = args.width;
    state.height = args.height;
    terminal.draw(|frame| ui::render(frame, &state, &keymap, &Theme::default()))?;
    let buffer = terminal.backend().buffer();
    let picture = if args.text {
        screenshot::buffer_to_text(buffer)
    } else {
        screenshot::buffer_to_svg(buffer)
    };
    if args.out.as_os_str() == "-" {
        print!("{picture}");
    } else {
        std::fs::write(&args.out, picture)
            .wrap_err_with(|| format!("cannot write {}", args.out.display()))?;
    }
    Ok(())
}
