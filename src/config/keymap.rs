//! Keymaps as data: the embedded default merged with the user's file, validated at start-up.

mod chord;
mod file;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use chord::{KeyChord, KeyParseError, format_keys};

use self::file::parse_file;
use crate::app::action::Command;
use crate::config::config_dir;
use crate::config::source::{Located, SourceFile};

/// The default keymap, compiled in so opsdeck works with no files at all.
const DEFAULT_KEYMAP: &str = include_str!("../../keymaps/default.toml");
/// The name errors in the embedded keymap are reported under.
const DEFAULT_KEYMAP_PATH: &str = "<embedded>/keymaps/default.toml";

/// A keymap section: the global layer, one per pane, one per popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Global,
    Network,
    Ecs,
    Targets,
    Rds,
    Logs,
    Site,
    Help,
    Detail,
    /// The logs pane's task and container picker.
    Picker,
    /// The deploy wizard and the rollback picker.
    Wizard,
    /// A confirmation dialog.
    Confirm,
    /// The live view of a release being watched, and of a bootstrap or teardown.
    Watch,
    /// The bootstrap wizard's questions and its plan.
    Bootstrap,
}

impl Layer {
    pub const ALL: [Layer; 14] = [
        Layer::Global,
        Layer::Network,
        Layer::Ecs,
        Layer::Targets,
        Layer::Rds,
        Layer::Logs,
        Layer::Site,
        Layer::Help,
        Layer::Detail,
        Layer::Picker,
        Layer::Wizard,
        Layer::Confirm,
        Layer::Watch,
        Layer::Bootstrap,
    ];

    /// The table name in keymap files, e.g. `ecs` for `[ecs]`.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Global => "global",
            Layer::Network => "network",
            Layer::Ecs => "ecs",
            Layer::Targets => "targets",
            Layer::Rds => "rds",
            Layer::Logs => "logs",
            Layer::Site => "site",
            Layer::Help => "help",
            Layer::Detail => "detail",
            Layer::Picker => "picker",
            Layer::Wizard => "wizard",
            Layer::Confirm => "confirm",
            Layer::Watch => "watch",
            Layer::Bootstrap => "bootstrap",
        }
    }

    pub fn from_name(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|layer| layer.name() == name)
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub on: Vec<KeyChord>,
    pub run: Command,
    pub desc: String,
}

impl Binding {
    /// The keys as the help popup shows them: `q`, `<C-c>`, `g g`.
    pub fn keys_label(&self) -> String {
        format_keys(&self.on)
    }
}

/// Result of looking up the keys pressed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Run(Command),
    /// The keys are the start of a longer sequence: wait for more.
    Prefix,
    NoMatch,
}

/// A problem in a keymap file. `line` and `column` are 1-based; both are 0 when the error is
/// about the file as a whole (it could not be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct KeymapError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl KeymapError {
    fn at(source: SourceFile<'_>, located: Located) -> KeymapError {
        let (line, column) = source.line_column(located.span.start);
        KeymapError {
            file: source.path.to_path_buf(),
            line,
            column,
            message: located.message,
        }
    }

    fn unreadable(path: &Path, err: &io::Error) -> KeymapError {
        KeymapError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read keymap file: {err}"),
        }
    }
}

/// Every layer's bindings, in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keymap {
    layers: BTreeMap<Layer, Vec<Binding>>,
}

impl Keymap {
    /// The keymap compiled into the binary (`keymaps/default.toml`).
    pub fn embedded() -> Result<Keymap, KeymapError> {
        Keymap::default().merged_with(DEFAULT_KEYMAP, Path::new(DEFAULT_KEYMAP_PATH))
    }

    /// The embedded keymap with the user's file (if any) merged over it.
    pub fn load(user_file: Option<&Path>) -> Result<Keymap, KeymapError> {
        let keymap = Keymap::embedded()?;
        let Some(path) = user_file else {
            return Ok(keymap);
        };
        let text =
            std::fs::read_to_string(path).map_err(|err| KeymapError::unreadable(path, &err))?;
        keymap.merged_with(&text, path)
    }

    /// Like [`Keymap::load`] with [`default_keymap_path`], where a missing file just means
    /// the user has not customised anything.
    pub fn load_default_location() -> Result<Keymap, KeymapError> {
        match default_keymap_path() {
            Some(path) if path.exists() => Keymap::load(Some(&path)),
            _ => Keymap::load(None),
        }
    }

    /// Merges one keymap file's `text` over this keymap, layer by layer: `keymap` replaces the
    /// layer, `prepend_keymap` goes before it (and so wins), `append_keymap` after it.
    /// `file` is only used to name the file in errors.
    pub fn merged_with(mut self, text: &str, file: &Path) -> Result<Keymap, KeymapError> {
        let source = SourceFile::new(file, text);
        let patches = parse_file(source).map_err(|located| KeymapError::at(source, located))?;
        for (layer, patch) in patches {
            let base = self.layers.remove(&layer).unwrap_or_default();
            self.layers.insert(layer, patch.apply(base));
        }
        Ok(self)
    }

    pub fn bindings(&self, layer: Layer) -> &[Binding] {
        self.layers.get(&layer).map_or(&[], Vec::as_slice)
    }

    /// Looks `keys` up in `layers`, first layer first.
    ///
    /// The first layer with a binding that starts with `keys` decides, and within it the first
    /// such binding: an exact match runs, a longer one means "wait for more keys". So a user's
    /// prepended `g` runs at once even though the default also has `g g`.
    pub fn lookup(&self, layers: &[Layer], keys: &[KeyChord]) -> Lookup {
        if keys.is_empty() {
            return Lookup::NoMatch;
        }
        layers
            .iter()
            .flat_map(|layer| {
                self.bindings(*layer)
                    .iter()
                    .find(|b| b.on.starts_with(keys))
            })
            .next()
            .map_or(Lookup::NoMatch, |binding| {
                if binding.on.len() == keys.len() {
                    Lookup::Run(binding.run)
                } else {
                    Lookup::Prefix
                }
            })
    }
}

/// `keymap.toml` in [`config_dir`].
pub fn default_keymap_path() -> Option<PathBuf> {
    config_dir().map(|dir| dir.join("keymap.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<KeyChord> {
        text.split(' ').map(|k| k.parse().unwrap()).collect()
    }

    #[test]
    fn embedded_keymap_loads_with_every_layer() {
        let keymap = Keymap::embedded().unwrap();
        for layer in [Layer::Global, Layer::Logs, Layer::Help, Layer::Detail] {
            assert!(!keymap.bindings(layer).is_empty(), "{layer}");
        }
    }

    #[test]
    fn earlier_layer_decides() {
        let keymap = Keymap::embedded().unwrap();
        let help_then_global = [Layer::Help, Layer::Global];
        assert_eq!(
            keymap.lookup(&help_then_global, &keys("q")),
            Lookup::Run(Command::Back)
        );
        assert_eq!(
            keymap.lookup(&[Layer::Logs, Layer::Global], &keys("q")),
            Lookup::Run(Command::Quit)
        );
        assert_eq!(keymap.lookup(&[Layer::Global], &[]), Lookup::NoMatch);
    }
}
