//! The event loop: terminal in, actions through `update`, frames out when something changed.

use std::io::{self, Stdout};
use std::path::PathBuf;
use std::time::Duration;

use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyCode, KeyEvent, KeyEventKind,
    KeyModifiers, MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::StreamExt;
use futures::stream::BoxStream;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::app::action::{Action, Command, StackListing};
use crate::app::jobs::Jobs;
use crate::app::state::{AppState, Popup, StackChoices, VisibleLogs};
use crate::app::update::{Effect, update};
use crate::app::view;
use crate::app::workers::Workers;
use crate::cloud::{Cloud, CloudResult};
use crate::config::Config;
use crate::config::keymap::{KeyChord, Keymap, Layer, Lookup};
use crate::model::{StackRef, wall_clock_ms};
use crate::ops::audit::Audit;
use crate::ops::logs;
use crate::ui::{self, Theme};

/// At most this often a frame is drawn for what the feeds send, however fast it arrives. A
/// key, a click or a resize is drawn at once: the user is waiting for it.
const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// Ages in the status bar count seconds, so the screen is refreshed once a second.
const TICK_INTERVAL: Duration = Duration::from_secs(1);

/// Everything the TUI needs, built by `main` (or a test) and passed in.
pub struct Session {
    pub cloud: Cloud,
    /// The stack to show; ignored when `choices` asks the user to pick one.
    pub stack: StackRef,
    /// Services to choose from at start, when the flags and config named none.
    pub choices: Option<Choosing>,
    pub config: Config,
    pub keymap: Keymap,
    pub theme: Theme,
    pub read_only: bool,
    /// The stack is marked `production = true`: confirmations want its service name typed.
    pub production: bool,
    /// Where every mutation (and every refused one) is recorded.
    pub audit: Audit,
}

/// The services the stack picker offers: those listed before the dashboard opened, and
/// the rest of a big account's listing, which goes on behind the open picker.
pub struct Choosing {
    pub found: Vec<StackRef>,
    /// One cluster's services an item; a failure ends it.
    pub more: BoxStream<'static, CloudResult<Vec<StackRef>>>,
}

type Term = Terminal<CrosstermBackend<Stdout>>;

/// How the dashboard ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The user quit.
    Quit,
    /// A signal asked it to stop (SIGTERM, SIGHUP, or SIGINT from outside: inside, Ctrl-C is
    /// a key). The exit code is 128 + the signal's number, as a shell reports it.
    Signal { name: &'static str, number: i32 },
}

impl Ended {
    pub fn exit_code(self) -> u8 {
        match self {
            Ended::Quit => 0,
            Ended::Signal { number, .. } => u8::try_from(128 + number).unwrap_or(u8::MAX),
        }
    }
}

/// Runs the dashboard until the user quits or a signal stops it. The terminal is restored on
/// every exit path: a quit, an error, a signal, and a panic (whose details go to a file).
pub async fn run(session: Session) -> color_eyre::Result<Ended> {
    install_panic_restore();
    let mut terminal = enter_terminal()?;
    let _restore = RestoreOnDrop;
    event_loop(&mut terminal, session).await
}

/// The signals that stop the dashboard, each turned into a clean exit.
struct StopSignals {
    #[cfg(unix)]
    streams: Vec<(tokio::signal::unix::Signal, &'static str, i32)>,
}

impl StopSignals {
    #[cfg(unix)]
    fn install() -> io::Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        let wanted = [
            (SignalKind::terminate(), "SIGTERM", libc_number::SIGTERM),
            (SignalKind::hangup(), "SIGHUP", libc_number::SIGHUP),
            (SignalKind::interrupt(), "SIGINT", libc_number::SIGINT),
        ];
        let mut streams = Vec::new();
        for (kind, name, number) in wanted {
            streams.push((signal(kind)?, name, number));
        }
        Ok(StopSignals { streams })
    }

    #[cfg(not(unix))]
    fn install() -> io::Result<StopSignals> {
        Ok(StopSignals {})
    }

    /// Waits for the first of them.
    async fn next(&mut self) -> Ended {
        #[cfg(unix)]
        {
            let waits = self.streams.iter_mut().map(|(stream, name, number)| {
                Box::pin(async move {
                    stream.recv().await;
                    Ended::Signal {
                        name,
                        number: *number,
                    }
                })
            });
            futures::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
}

/// The POSIX numbers, the same on every Unix opsdeck runs on.
#[cfg(unix)]
mod libc_number {
    pub const SIGHUP: i32 = 1;
    pub const SIGINT: i32 = 2;
    pub const SIGTERM: i32 = 15;
}

async fn event_loop(terminal: &mut Term, session: Session) -> color_eyre::Result<Ended> {
    let Session {
        cloud,
        stack,
        choices,
        config,
        keymap,
        theme,
        read_only,
        production,
        audit,
    } = session;
    let size = terminal.size()?;
    let mut state = AppState::new(
        cloud.kind.clone(),
        stack.clone(),
        read_only,
        config.log_buffer_lines,
    );
    update(
        &mut state,
        Action::Resize {
            width: size.width,
            height: size.height,
        },
    );
    update(&mut state, Action::Tick(wall_clock_ms()));
    state.production = production;
    state.config_path = config.path.clone();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let picking = choices.is_some();
    // The listing behind the picker; stopped once a stack is chosen.
    let mut listing = None;
    if let Some(Choosing { found, more }) = choices {
        state.popup = Some(Popup::StackPicker {
            choices: StackChoices::new(found, true),
            selected: 0,
        });
        listing = Some(tokio::spawn(list_choices(more, tx.clone())));
    }
    terminal.draw(|frame| ui::render(frame, &state, &keymap, &theme))?;

    let spawn = |stack: StackRef| {
        let site = config.stacks.get(&stack.name).and_then(|s| s.site.clone());
        Workers::spawn(
            cloud.clone(),
            stack,
            site,
            config.refresh.clone(),
            tx.clone(),
        )
    };
    let mut workers = (!picking).then(|| spawn(stack));
    let mut jobs = Jobs::new(cloud.clone(), audit, tx.clone());
    // File writes asked for by the user; awaited at the end so an export is never cut short.
    let mut exports = JoinSet::new();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut keys = KeySequence::default();
    let mut dirty = false;
    let mut next_frame = Instant::now();
    let mut signals = StopSignals::install()?;
    let mut ended = Ended::Quit;
    // A crash report can be tried out: the first frame is followed by a panic.
    let crash_test = std::env::var_os("OPSDECK_CRASH_TEST").is_some();

    while !state.should_quit {
        if crash_test && !dirty {
            panic!("OPSDECK_CRASH_TEST is set: a deliberate crash after the first frame");
        }
        let mut from_user = false;
        let actions = tokio::select! {
            stop = signals.next() => {
                ended = stop;
                break;
            }
            event = events.next() => match event {
                Some(Ok(event)) => {
                    from_user = true;
                    keys.actions_for(&state, &keymap, event)
                }
                Some(Err(error)) => return Err(error.into()),
                None => break,
            },
            Some(action) = rx.recv() => vec![action],
            Some(_) = exports.join_next(), if !exports.is_empty() => continue,
            _ = tick.tick() => vec![Action::Tick(wall_clock_ms())],
            () = tokio::time::sleep_until(next_frame), if dirty => {
                terminal.draw(|frame| ui::render(frame, &state, &keymap, &theme))?;
                dirty = false;
                next_frame = Instant::now() + FRAME_INTERVAL;
                continue;
            }
        };
        for action in actions {
            match update(&mut state, action) {
                Some(Effect::RefreshAll) => {
                    if let Some(workers) = &workers {
                        workers.refresh_all();
                    }
                }
                Some(Effect::OpenStack(stack)) => {
                    if let Some(listing) = listing.take() {
                        listing.abort();
                    }
                    if let Some(old) = workers.take() {
                        old.shutdown().await;
                        // What the old stack's feeds sent before they stopped is stale now.
                        while rx.try_recv().is_ok() {}
                    }
                    workers = Some(spawn(stack));
                }
                Some(Effect::ExportLogs { path, lines }) => {
                    let done = tx.clone();
                    exports.spawn_blocking(move || export_logs(path, &lines, &done));
                }
                Some(release) => {
                    jobs.reap();
                    jobs.start(&state.stack, release);
                }
                None => {}
            }
            dirty = true;
        }
        if from_user && dirty {
            next_frame = Instant::now();
        }
    }
    if let Some(listing) = listing {
        listing.abort();
    }
    if let Some(workers) = workers {
        workers.shutdown().await;
    }
    jobs.shutdown().await;
    while exports.join_next().await.is_some() {}
    Ok(ended)
}

/// Passes the picker's listing on to `update`, one cluster's services at a time.
async fn list_choices(
    mut more: BoxStream<'static, CloudResult<Vec<StackRef>>>,
    tx: mpsc::UnboundedSender<Action>,
) {
    while let Some(found) = more.next().await {
        let listing = match found {
            Ok(found) => StackListing::Found(found),
            Err(error) => {
                let _ = tx.send(Action::StackChoices(StackListing::Failed(
                    error.to_string(),
                )));
                return;
            }
        };
        // The receiver is gone only when the app is quitting.
        if tx.send(Action::StackChoices(listing)).is_err() {
            return;
        }
    }
    let _ = tx.send(Action::StackChoices(StackListing::Done));
}

/// Writes the lines (a blocking file write, so off the UI task) and reports how it went.
fn export_logs(path: PathBuf, lines: &VisibleLogs, done: &mpsc::UnboundedSender<Action>) {
    let result = logs::export_lines(&path, lines.lines()).map_err(|e| e.to_string());
    // The receiver is gone only when the app is quitting; the file is written regardless.
    let _ = done.send(Action::LogsExported { path, result });
}

/// Turns terminal events into actions: keys through the keymap (with sequences), text
/// while a filter is being typed, mouse and resize directly.
#[derive(Default)]
pub struct KeySequence {
    pending: Vec<KeyChord>,
}

impl KeySequence {
    pub fn actions_for(&mut self, state: &AppState, keymap: &Keymap, event: Event) -> Vec<Action> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.key(state, keymap, key),
            Event::Mouse(mouse) => match mouse.kind {
                MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                    vec![Action::MouseScroll {
                        column: mouse.column,
                        row: mouse.row,
                        down: mouse.kind == MouseEventKind::ScrollDown,
                    }]
                }
                MouseEventKind::Down(_) => vec![Action::MouseClick {
                    column: mouse.column,
                    row: mouse.row,
                }],
                _ => Vec::new(),
            },
            Event::Resize(width, height) => vec![Action::Resize { width, height }],
            _ => Vec::new(),
        }
    }

    fn key(&mut self, state: &AppState, keymap: &Keymap, key: KeyEvent) -> Vec<Action> {
        // A production confirmation wants the service name typed: letters are text there.
        if state.confirm.as_ref().is_some_and(|c| c.is_typing()) {
            return typing(key);
        }
        if let Some(input) = &state.input {
            let switch = KeyChord::from_event(&key);
            if let Some(command) = switch_while_typing(keymap, view::layer_of(input.pane), switch) {
                return vec![Action::Run(command)];
            }
            return typing(key);
        }
        let layers = active_layers(state);
        self.pending.push(KeyChord::from_event(&key));
        let mut lookup = keymap.lookup(&layers, &self.pending);
        if lookup == Lookup::NoMatch && self.pending.len() > 1 {
            // An abandoned sequence: the last key may start something on its own.
            self.pending = vec![KeyChord::from_event(&key)];
            lookup = keymap.lookup(&layers, &self.pending);
        }
        match lookup {
            Lookup::Run(command) => {
                self.pending.clear();
                vec![Action::PendingKeys(String::new()), Action::Run(command)]
            }
            Lookup::Prefix => vec![Action::PendingKeys(crate::config::keymap::format_keys(
                &self.pending,
            ))],
            Lookup::NoMatch => {
                let had_pending = !self.pending.is_empty();
                self.pending.clear();
                if had_pending {
                    vec![Action::PendingKeys(String::new())]
                } else {
                    Vec::new()
                }
            }
        }
    }
}

/// A key bound in the typed-into pane's layer to one of the filter's switches (regex, case),
/// which apply while typing. Only chords with Ctrl or Alt qualify, so letters stay text.
fn switch_while_typing(keymap: &Keymap, layer: Layer, chord: KeyChord) -> Option<Command> {
    if !chord
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    match keymap.lookup(&[layer], &[chord]) {
        Lookup::Run(command) if command.works_while_typing() => Some(command),
        _ => None,
    }
}

/// Keys while a filter is typed edit the text; Enter keeps it, Esc drops it.
fn typing(key: KeyEvent) -> Vec<Action> {
    match key.code {
        KeyCode::Esc => vec![Action::InputCancel],
        KeyCode::Enter => vec![Action::InputCommit],
        KeyCode::Backspace => vec![Action::InputBackspace],
        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            vec![Action::InputCancel]
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            vec![Action::Input(c)]
        }
        _ => Vec::new(),
    }
}

/// The keymap layers that apply now, innermost first.
pub fn active_layers(state: &AppState) -> Vec<Layer> {
    let inner = match &state.popup {
        Some(Popup::Help { .. }) => Layer::Help,
        Some(Popup::Detail { .. }) => Layer::Detail,
        Some(Popup::StreamPicker { .. } | Popup::StackPicker { .. }) => Layer::Picker,
        None => view::screen_layer(state),
    };
    vec![inner, Layer::Global]
}

fn enter_terminal() -> io::Result<Term> {
    enable_raw_mode()?;
    let mut stdout = io::stdout();
    if let Err(error) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture) {
        restore_terminal();
        return Err(error);
    }
    Terminal::new(CrosstermBackend::new(stdout))
}

/// Leaves the alternate screen and raw mode. Safe to call more than once.
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic restores the terminal before the report is printed, so it is readable, and
/// writes the report (message, place, backtrace) to a file whose path it prints last.
fn install_panic_restore() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
        match write_crash_report(info) {
            Some(path) => eprintln!(
                "opsdeck crashed; the details are in {} (please attach it to a bug report)",
                path.display()
            ),
            None => eprintln!("opsdeck crashed; the details above could not be written to a file"),
        }
    }));
}

/// `<state dir>/crash-<UTC time>.log`: what panicked, where, and the backtrace.
fn write_crash_report(info: &std::panic::PanicHookInfo<'_>) -> Option<PathBuf> {
    let dir = crate::config::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let at = chrono::Utc::now();
    let path = dir.join(format!("crash-{}.log", at.format("%Y%m%dT%H%M%S%.3fZ")));
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into());
    let place = info.location().map_or_else(
        || "unknown".into(),
        |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
    );
    let report = format!(
        "opsdeck {} crashed at {}\nmessage: {message}\nat: {place}\nthread: {}\n\nbacktrace:\n{}\n",
        env!("CARGO_PKG_VERSION"),
        at.to_rfc3339(),
        std::thread::current().name().unwrap_or("unnamed"),
        std::backtrace::Backtrace::force_capture()
    );
    std::fs::write(&path, report).ok()?;
    Some(path)
}
