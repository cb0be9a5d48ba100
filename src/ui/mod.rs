//! Drawing: the dashboard panes, popups and status bar. Render functions only draw.

mod bootstrap;
mod chrome;
mod confirm;
mod deploy;
mod ecs;
mod logs;
mod network;
mod popup;
mod provision;
mod rds;
mod rollback;
mod screen;
mod site;
pub mod spark;
mod status;
mod table;
mod targets;
pub mod theme;
mod watch;

use crate::app::screens::Wizard;
use crate::app::view::{layout, rows, screen_layer, text};

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::app::action::{Command, PaneId};
use crate::app::state::{AppState, InputKind, Popup};
use crate::config::keymap::{Binding, Keymap, Layer};
pub use popup::help_popup;
pub use theme::Theme;

/// The key bindings the Help popup lists: the focused pane's layer, then the global one
/// (whose keys the screens also name: "press b to bootstrap one").
#[derive(Debug, Clone, Copy, Default)]
pub struct HelpKeys<'a> {
    pub pane: &'a [Binding],
    pub global: &'a [Binding],
}

impl HelpKeys<'_> {
    /// The global key that runs `command`, as a screen names it; its keymap name in
    /// brackets when the user's keymap left it unbound.
    fn key_for(&self, command: Command) -> String {
        self.global
            .iter()
            .find(|b| b.run == command)
            .map_or_else(|| format!("<{}>", command.name()), Binding::keys_label)
    }
}

/// Draws the whole screen for `state`.
pub fn render(frame: &mut Frame, state: &AppState, keymap: &Keymap, theme: &Theme) {
    // Only the help popup lists the screen's own layer; the global one is named in hints.
    let pane = match state.popup {
        Some(Popup::Help { .. }) => keymap.bindings(screen_layer(state)),
        _ => &[],
    };
    let keys = HelpKeys {
        pane,
        global: keymap.bindings(Layer::Global),
    };
    render_with_keys(frame, state, keys, theme);
}

/// `render` with the help bindings given directly, so it can be tested without a keymap.
pub fn render_with_keys(frame: &mut Frame, state: &AppState, keys: HelpKeys, theme: &Theme) {
    let area = frame.area();
    draw(frame.buffer_mut(), area, state, keys, theme);
}

/// Draws the whole screen into a buffer area.
pub fn draw(buf: &mut Buffer, area: Rect, state: &AppState, keys: HelpKeys, theme: &Theme) {
    let Some(dashboard) =
        layout::dashboard(area, crate::app::view::zoomed(state), state.has_site())
    else {
        too_small_notice(buf, area, theme);
        return;
    };
    for (pane, rect) in &dashboard.panes {
        draw_pane(buf, *rect, state, *pane, theme);
    }
    status::draw(buf, dashboard.status, state, theme);
    let provision = state.provision.as_ref().filter(|p| p.shown);
    if state.stack_absent && state.wizard.is_none() && provision.is_none() {
        bootstrap::absent_notice(buf, area, state, &keys.key_for(Command::Bootstrap), theme);
    }
    // The dashboard stays live behind the release screens; popups and the confirmation
    // go over them.
    if let Some(release) = state.release.as_ref().filter(|r| r.shown) {
        watch::draw(buf, area, state, release, theme);
    }
    if let Some(view) = provision {
        provision::draw(buf, area, view, &keys.key_for(Command::Teardown), theme);
    }
    match &state.wizard {
        Some(Wizard::Deploy(wizard)) => deploy::draw(buf, area, state, wizard, theme),
        Some(Wizard::Rollback(picker)) => rollback::draw(buf, area, state, picker, theme),
        Some(Wizard::Bootstrap(wizard)) => bootstrap::draw(buf, area, state, wizard, theme),
        None => {}
    }
    if let Some(confirm) = &state.confirm {
        confirm::draw(buf, area, state, confirm, theme);
    }
    match &state.popup {
        Some(Popup::Help { scroll }) => help_popup(
            buf,
            area,
            &layer_title(state),
            keys.pane,
            keys.global,
            *scroll,
            theme,
        ),
        Some(Popup::Detail {
            title,
            lines,
            scroll,
        }) => popup::detail_popup(buf, area, title, lines, *scroll, theme),
        Some(Popup::StreamPicker { choices, selected }) => {
            popup::stream_picker(buf, area, choices, *selected, theme);
        }
        Some(Popup::StackPicker { choices, selected }) => {
            let typing = state
                .input
                .as_ref()
                .filter(|i| i.kind == InputKind::StackFilter);
            popup::stack_picker(buf, area, choices, *selected, typing, theme);
        }
        None => {}
    }
    if let Some(input) = &state.input {
        let prompt = match input.kind {
            InputKind::JumpToTime => Some((
                " Jump to time ",
                "HH:MM or HH:MM:SS (UTC), or -30s, -5m, -2h",
            )),
            InputKind::ScaleCount => Some((
                " Scale: desired count ",
                "a whole number of tasks; 0 stops them all · Enter go on · Esc cancel",
            )),
            InputKind::StopReason => Some((
                " Stop task: reason ",
                "ECS keeps it as the task's stopped reason · Enter go on · Esc cancel",
            )),
            InputKind::SiteDir => Some((
                " Site deploy: build directory ",
                "the directory with index.html (e.g. dist) · Enter see the plan · Esc cancel",
            )),
            InputKind::Filter
            | InputKind::WizardFilter
            | InputKind::StackFilter
            | InputKind::BootstrapAnswer => None,
        };
        if let Some((title, hint)) = prompt {
            popup::text_input(buf, area, title, hint, input, theme);
        }
    }
}

/// What the help popup is about: the innermost screen, else the focused pane.
fn layer_title(state: &AppState) -> String {
    match screen_layer(state) {
        Layer::Confirm => "Confirmation".into(),
        Layer::Wizard => match state.wizard {
            Some(Wizard::Rollback(_)) => "Rollback".into(),
            _ => "Deploy".into(),
        },
        Layer::Bootstrap => "Bootstrap".into(),
        Layer::Watch => match state.provision.as_ref().filter(|p| p.shown) {
            Some(view) => view.kind.name().into(),
            None => "Release".into(),
        },
        _ => state.focus.title().into(),
    }
}

fn draw_pane(buf: &mut Buffer, area: Rect, state: &AppState, pane: PaneId, theme: &Theme) {
    match pane {
        PaneId::Network => network::draw(buf, area, state, theme),
        PaneId::Ecs => ecs::draw(buf, area, state, theme),
        PaneId::Targets => targets::draw(buf, area, state, theme),
        PaneId::Rds => rds::draw(buf, area, state, theme),
        PaneId::Logs => logs::draw(buf, area, state, theme),
        PaneId::Site => site::draw(buf, area, state, theme),
    }
}

fn too_small_notice(buf: &mut Buffer, area: Rect, theme: &Theme) {
    let message = format!(
        "terminal too small: {}x{} (need at least {}x{})",
        area.width,
        area.height,
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT
    );
    let lines = (message.len() as u16).div_ceil(area.width.max(1));
    let notice = area.centered_vertically(Constraint::Length(lines));
    Paragraph::new(Line::styled(message, theme.warning))
        .centered()
        .wrap(Wrap { trim: true })
        .render(notice, buf);
}
