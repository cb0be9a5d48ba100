//! Keymaps as data: the embedded default merged with the user's file, validated at start-up.
//!
//! OWNED BY THE KEYMAP HELPER: the signatures below are the contract the rest of the app uses.

use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::action::Command;

/// A keymap section: the global layer, one per pane, one per popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Global,
    Network,
    Ecs,
    Targets,
    Rds,
    Logs,
    Help,
    Detail,
}

/// One key press with modifiers, e.g. `<C-c>`, `g`, `<S-Tab>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyChord {
    /// Normalises a crossterm key event (e.g. drops SHIFT on printable characters).
    pub fn from_event(event: &KeyEvent) -> KeyChord {
        unimplemented!("{event:?}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub on: Vec<KeyChord>,
    pub run: Command,
    pub desc: String,
}

/// Result of looking up the keys pressed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Run(Command),
    /// The keys are the start of a longer sequence: wait for more.
    Prefix,
    NoMatch,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct KeymapError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    _todo: (),
}

impl Keymap {
    /// The keymap compiled into the binary (`keymaps/default.toml`).
    pub fn embedded() -> Result<Keymap, KeymapError> {
        unimplemented!()
    }

    /// The embedded keymap with the user's file (if any) merged over it.
    pub fn load(user_file: Option<&Path>) -> Result<Keymap, KeymapError> {
        unimplemented!("{user_file:?}")
    }

    pub fn bindings(&self, layer: Layer) -> &[Binding] {
        unimplemented!("{layer:?}")
    }

    /// Looks `keys` up in `layers`, first layer first.
    pub fn lookup(&self, layers: &[Layer], keys: &[KeyChord]) -> Lookup {
        unimplemented!("{layers:?} {keys:?}")
    }
}

impl std::fmt::Display for KeyChord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.code)
    }
}
