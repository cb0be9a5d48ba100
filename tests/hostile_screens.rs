//! Every screen through a terminal shrunk to 1x1 and grown back: no panic, the "terminal too
//! small" notice and nothing else while it is too small, and the same screen as before once
//! it is 120x40 again.

#[path = "common/handmade.rs"]
mod handmade;

use opsdeck::app::action::{Action, Command, PaneId};
use opsdeck::app::screenshot::buffer_to_text;
use opsdeck::app::state::AppState;
use opsdeck::app::update::update;
use opsdeck::config::keymap::Keymap;
use opsdeck::ui::{self, Theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Sizes below the 60x16 minimum, then the normal one.
const SHRUNK: [(u16, u16); 4] = [(1, 1), (2, 2), (10, 3), (59, 15)];
const NORMAL: (u16, u16) = (120, 40);

fn screen(state: &AppState, keymap: &Keymap) -> String {
    let mut terminal =
        Terminal::new(TestBackend::new(state.width, state.height)).expect("terminal");
    terminal
        .draw(|frame| ui::render(frame, state, keymap, &Theme::default()))
        .expect("draw");
    buffer_to_text(terminal.backend().buffer())
}

fn resize(state: &mut AppState, (width, height): (u16, u16)) {
    update(state, Action::Resize { width, height });
    assert_eq!((state.width, state.height), (width, height));
}

fn without_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Every screen a user can reach from the dashboard, by the commands they would press.
fn screens() -> Vec<(String, AppState)> {
    let dashboard = handmade::dashboard_state();
    let mut screens = vec![("dashboard".to_string(), dashboard.clone())];
    for pane in PaneId::ALL {
        if pane == PaneId::Site && !dashboard.has_site() {
            continue;
        }
        let mut state = dashboard.clone();
        state.focus = pane;
        update(&mut state, Action::Run(Command::Zoom));
        screens.push((format!("{pane:?} zoomed"), state));
    }
    let opened = |commands: &[Command]| {
        let mut state = dashboard.clone();
        state.focus = PaneId::Ecs;
        for command in commands {
            update(&mut state, Action::Run(*command));
        }
        state
    };
    screens.push(("help popup".into(), opened(&[Command::Help])));
    screens.push(("deploy wizard".into(), opened(&[Command::Deploy])));
    screens.push(("rollback picker".into(), opened(&[Command::Rollback])));
    screens.push(("bootstrap wizard".into(), opened(&[Command::Bootstrap])));
    screens.push(("confirm dialog".into(), opened(&[Command::Restart])));
    screens
}

#[test]
fn every_screen_survives_a_terminal_shrunk_to_one_cell_and_grown_back() {
    let keymap = Keymap::embedded().expect("keymap");
    let mut plain = handmade::dashboard_state();
    resize(&mut plain, NORMAL);
    let dashboard = screen(&plain, &keymap);
    let screens = screens();
    assert!(screens.len() >= 11, "{} screens", screens.len());
    assert!(screens.iter().any(|(_, s)| s.wizard.is_some()));
    assert!(screens.iter().any(|(_, s)| s.confirm.is_some()));
    for (name, mut state) in screens {
        resize(&mut state, NORMAL);
        let before = screen(&state, &keymap);
        assert!(!before.contains("terminal too small"), "{name}:\n{before}");
        if name != "dashboard" {
            assert_ne!(before, dashboard, "{name} looks like the plain dashboard");
        }
        for size in SHRUNK {
            resize(&mut state, size);
            let shrunk = screen(&state, &keymap);
            let notice = format!(
                "terminal too small: {}x{} (need at least 60x16)",
                size.0, size.1
            );
            let shown = without_whitespace(&shrunk);
            assert!(
                !shown.is_empty() && without_whitespace(&notice).starts_with(&shown),
                "{name} at {}x{} shows more than the notice:\n{shrunk}",
                size.0,
                size.1
            );
            if size.0 >= 10 {
                assert!(shrunk.contains("terminal"), "{name}:\n{shrunk}");
            }
            if size == (59, 15) {
                assert!(shrunk.contains(&notice), "{name}:\n{shrunk}");
            }
        }
        resize(&mut state, NORMAL);
        let after = screen(&state, &keymap);
        assert_eq!(
            after, before,
            "{name} is not the same screen after the resize"
        );
    }
}

#[test]
fn the_minimum_size_draws_every_screen_not_the_notice() {
    let keymap = Keymap::embedded().expect("keymap");
    for (name, mut state) in screens() {
        resize(&mut state, (60, 16));
        let text = screen(&state, &keymap);
        assert!(!text.contains("terminal too small"), "{name}:\n{text}");
    }
}
