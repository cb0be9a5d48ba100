//! The shipped keymaps, user-file merging, and the errors a user sees for a bad keymap file.

use std::fs;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use opsdeck::app::action::Command;
use opsdeck::config::keymap::{KeyChord, Keymap, KeymapError, Layer, Lookup};
use tempfile::TempDir;

fn keys(text: &str) -> Vec<KeyChord> {
    text.split(' ').map(|key| key.parse().unwrap()).collect()
}

fn global(keymap: &Keymap, text: &str) -> Lookup {
    keymap.lookup(&[Layer::Global], &keys(text))
}

/// Writes `text` as a user keymap file and loads it over the embedded default.
fn load_user(text: &str) -> (TempDir, PathBuf, Result<Keymap, KeymapError>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keymap.toml");
    fs::write(&path, text).unwrap();
    let loaded = Keymap::load(Some(&path));
    (dir, path, loaded)
}

/// Loads a bad file and checks the error points at `path:line`; returns the message.
fn error_at_line(text: &str, line: usize) -> KeymapError {
    let (_dir, path, loaded) = load_user(text);
    let err = loaded.expect_err("the file should be rejected");
    assert_eq!(err.file, path);
    assert_eq!(err.line, line, "wrong line for: {err}");
    assert!(err.column >= 1, "{err}");
    err
}

fn assert_mentions(err: &KeymapError, words: &[&str]) {
    for word in words {
        assert!(err.message.contains(word), "{word:?} missing from: {err}");
    }
}

fn shipped_keymap_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("keymaps");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("examples")] {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn every_shipped_keymap_file_loads() {
    let files = shipped_keymap_files();
    assert!(
        files.len() >= 3,
        "expected default.toml and two examples: {files:?}"
    );
    for file in files {
        Keymap::load(Some(&file)).unwrap_or_else(|err| panic!("{err}"));
    }
}

#[test]
fn embedded_default_has_the_documented_global_bindings() {
    let keymap = Keymap::embedded().unwrap();
    let expected = [
        ("q", Command::Quit),
        ("<C-c>", Command::Quit),
        ("?", Command::Help),
        ("<Tab>", Command::FocusNext),
        ("<BackTab>", Command::FocusPrev),
        ("1", Command::FocusNetwork),
        ("2", Command::FocusEcs),
        ("3", Command::FocusTargets),
        ("4", Command::FocusRds),
        ("5", Command::FocusLogs),
        ("z", Command::Zoom),
        ("/", Command::Filter),
        ("<Esc>", Command::Back),
        ("<Enter>", Command::Enter),
        ("j", Command::Down),
        ("<Down>", Command::Down),
        ("k", Command::Up),
        ("<Up>", Command::Up),
        ("<C-d>", Command::PageDown),
        ("<PageDown>", Command::PageDown),
        ("<C-u>", Command::PageUp),
        ("<PageUp>", Command::PageUp),
        ("g g", Command::Top),
        ("<Home>", Command::Top),
        ("G", Command::Bottom),
        ("<End>", Command::Bottom),
        ("<C-r>", Command::Refresh),
    ];
    for (key, command) in expected {
        assert_eq!(global(&keymap, key), Lookup::Run(command), "{key}");
    }
    assert_eq!(global(&keymap, "g"), Lookup::Prefix);
    assert_eq!(global(&keymap, "x"), Lookup::NoMatch);
    assert_eq!(global(&keymap, "g x"), Lookup::NoMatch);
}

#[test]
fn embedded_default_popups_and_logs() {
    let keymap = Keymap::embedded().unwrap();
    let logs = [Layer::Logs, Layer::Global];
    assert_eq!(
        keymap.lookup(&logs, &keys("f")),
        Lookup::Run(Command::ToggleFollow)
    );
    assert_eq!(
        keymap.lookup(&logs, &keys("w")),
        Lookup::Run(Command::ToggleWrap)
    );
    assert_eq!(
        keymap.lookup(&logs, &keys("t")),
        Lookup::Run(Command::ToggleTimestamps)
    );
    for popup in [Layer::Help, Layer::Detail] {
        for key in ["<Esc>", "q"] {
            assert_eq!(
                keymap.lookup(&[popup], &keys(key)),
                Lookup::Run(Command::Back)
            );
        }
        assert_eq!(
            keymap.lookup(&[popup], &keys("j")),
            Lookup::Run(Command::Down)
        );
        assert_eq!(
            keymap.lookup(&[popup], &keys("<PageUp>")),
            Lookup::Run(Command::PageUp)
        );
    }
    assert_eq!(
        keymap.lookup(&[Layer::Help], &keys("?")),
        Lookup::Run(Command::Back)
    );
    assert_eq!(keymap.lookup(&[Layer::Detail], &keys("?")), Lookup::NoMatch);
}

#[test]
fn every_default_binding_has_a_description() {
    let keymap = Keymap::embedded().unwrap();
    for layer in Layer::ALL {
        for binding in keymap.bindings(layer) {
            assert!(
                !binding.desc.is_empty() && binding.desc != binding.run.name(),
                "[{layer}] {} has no real desc",
                binding.keys_label()
            );
        }
    }
    let top = keymap
        .bindings(Layer::Global)
        .iter()
        .find(|b| b.run == Command::Top)
        .unwrap();
    assert_eq!(top.keys_label(), "g g");
}

#[test]
fn terminal_events_match_parsed_keys() {
    let keymap = Keymap::embedded().unwrap();
    let press = |code, modifiers| vec![KeyChord::from_event(&KeyEvent::new(code, modifiers))];
    let shifted_g = press(KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert_eq!(
        keymap.lookup(&[Layer::Global], &shifted_g),
        Lookup::Run(Command::Bottom)
    );
    let back_tab = press(KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(
        keymap.lookup(&[Layer::Global], &back_tab),
        Lookup::Run(Command::FocusPrev)
    );
    let ctrl_c = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(
        keymap.lookup(&[Layer::Global], &ctrl_c),
        Lookup::Run(Command::Quit)
    );
}

#[test]
fn chords_display_in_keymap_syntax() {
    for key in [
        "q",
        "G",
        "<C-c>",
        "<Tab>",
        "<BackTab>",
        "<A-x>",
        "<F5>",
        "<Space>",
    ] {
        assert_eq!(key.parse::<KeyChord>().unwrap().to_string(), key);
    }
    assert_eq!(
        "<S-Tab>".parse::<KeyChord>().unwrap().to_string(),
        "<BackTab>"
    );
}

#[test]
fn prepend_beats_the_default() {
    let (_dir, _path, loaded) = load_user(
        "[global]\nprepend_keymap = [ { on = \"q\", run = \"back\", desc = \"Go back\" } ]\n",
    );
    let keymap = loaded.unwrap();
    assert_eq!(global(&keymap, "q"), Lookup::Run(Command::Back));
    assert_eq!(global(&keymap, "<C-c>"), Lookup::Run(Command::Quit));
    assert_eq!(keymap.bindings(Layer::Global)[0].desc, "Go back");
}

#[test]
fn prepended_single_key_runs_before_a_default_sequence() {
    let (_dir, _path, loaded) =
        load_user("[global]\nprepend_keymap = [ { on = \"g\", run = \"refresh\" } ]\n");
    let keymap = loaded.unwrap();
    assert_eq!(global(&keymap, "g"), Lookup::Run(Command::Refresh));
}

#[test]
fn append_does_not_override_the_default() {
    let (_dir, _path, loaded) = load_user(
        "[global]\nappend_keymap = [\n  { on = \"q\", run = \"back\" },\n  \
         { on = \"x\", run = \"zoom\" },\n]\n",
    );
    let keymap = loaded.unwrap();
    assert_eq!(global(&keymap, "q"), Lookup::Run(Command::Quit));
    assert_eq!(global(&keymap, "x"), Lookup::Run(Command::Zoom));
    let last = keymap.bindings(Layer::Global).last().unwrap();
    assert_eq!(
        last.desc, "zoom",
        "a missing desc falls back to the action name"
    );
}

#[test]
fn keymap_replaces_the_layer() {
    let (_dir, _path, loaded) = load_user(
        "[logs]\nkeymap = [ { on = \"p\", run = \"toggle-follow\", desc = \"Pause\" } ]\n",
    );
    let keymap = loaded.unwrap();
    assert_eq!(keymap.bindings(Layer::Logs).len(), 1);
    assert_eq!(
        keymap.lookup(&[Layer::Logs], &keys("p")),
        Lookup::Run(Command::ToggleFollow)
    );
    assert_eq!(keymap.lookup(&[Layer::Logs], &keys("f")), Lookup::NoMatch);
    // Layers the file does not mention keep their defaults.
    assert_eq!(global(&keymap, "q"), Lookup::Run(Command::Quit));
}

#[test]
fn empty_keymap_empties_the_layer() {
    let (_dir, _path, loaded) = load_user("[logs]\nkeymap = []\n");
    let keymap = loaded.unwrap();
    assert!(keymap.bindings(Layer::Logs).is_empty());
    assert_eq!(keymap.lookup(&[Layer::Logs], &keys("f")), Lookup::NoMatch);
}

#[test]
fn no_user_file_is_the_embedded_default() {
    assert_eq!(Keymap::load(None).unwrap(), Keymap::embedded().unwrap());
}

#[test]
fn missing_user_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.toml");
    let err = Keymap::load(Some(&path)).unwrap_err();
    assert_eq!(err.file, path);
    assert!(err.to_string().contains("nope.toml"), "{err}");
}

#[test]
fn toml_syntax_error() {
    let err = error_at_line(
        "[global]\nprepend_keymap = [\n  { on = \"q\" run = \"quit\" },\n]\n",
        3,
    );
    assert_mentions(&err, &["invalid TOML"]);
}

#[test]
fn unknown_layer() {
    let err = error_at_line("# mine\n[ecss]\nkeymap = []\n", 2);
    assert_mentions(&err, &["[ecss]", "[ecs]", "[global]"]);
}

#[test]
fn unknown_layer_field() {
    let err = error_at_line("[ecs]\nkeymaps = []\n", 2);
    assert_mentions(&err, &["keymaps", "[ecs]", "prepend_keymap"]);
}

#[test]
fn unknown_action() {
    let err = error_at_line(
        "# Roll back with r\n[ecs]\nprepend_keymap = [\n  { on = \"r\", run = \"rollbak\", desc = \"Roll back\" },\n]\n",
        4,
    );
    assert_eq!(err.column, 21, "points at the run value: {err}");
    assert_mentions(
        &err,
        &[
            "unknown action \"rollbak\"",
            "\"r\"",
            "[ecs]",
            "expected one of: quit, help",
        ],
    );
}

#[test]
fn unparsable_keys() {
    for bad in ["<C-ü-x>", "<Foo>", "", "<C-c"] {
        let text =
            format!("[global]\nprepend_keymap = [\n  {{ on = \"{bad}\", run = \"quit\" }},\n]\n");
        let err = error_at_line(&text, 3);
        assert_eq!(err.column, 10, "points at the key: {err}");
        assert_mentions(&err, &[&format!("\"{bad}\""), "[global]"]);
    }
}

#[test]
fn unparsable_key_inside_a_sequence() {
    let err = error_at_line(
        "[logs]\nkeymap = [\n  { on = [\"g\", \"<Foo>\"], run = \"top\" },\n]\n",
        3,
    );
    assert_eq!(err.column, 16, "points at the bad element: {err}");
    assert_mentions(&err, &["\"<Foo>\"", "[logs]", "Foo"]);
}

#[test]
fn empty_sequence() {
    let err = error_at_line("[logs]\nkeymap = [\n  { on = [], run = \"top\" },\n]\n", 3);
    assert_mentions(&err, &["[logs]", "empty"]);
}

#[test]
fn duplicate_key_names_both_lines() {
    let err = error_at_line(
        "[global]\nprepend_keymap = [\n  { on = \"q\", run = \"back\" },\n]\nappend_keymap = [\n  { on = \"q\", run = \"quit\" },\n]\n",
        6,
    );
    assert_mentions(&err, &["\"q\"", "[global]", "line 3", "line 6"]);
}

#[test]
fn duplicate_after_normalisation() {
    let err = error_at_line(
        "[global]\nkeymap = [\n  { on = \"<S-Tab>\", run = \"focus-prev\" },\n  { on = \"<BackTab>\", run = \"focus-next\" },\n]\n",
        4,
    );
    assert_mentions(&err, &["\"<BackTab>\"", "line 3", "line 4"]);
}

#[test]
fn prefix_of_a_sequence_in_the_same_file() {
    let err = error_at_line(
        "[global]\nprepend_keymap = [\n  { on = \"g\", run = \"refresh\" },\n  { on = [\"g\", \"g\"], run = \"top\" },\n]\n",
        4,
    );
    assert_mentions(&err, &["\"g\" (line 3)", "\"g g\" (line 4)", "[global]"]);
}

#[test]
fn unknown_entry_field() {
    let err = error_at_line(
        "[rds]\nkeymap = [\n  { on = \"r\", run = \"refresh\", rn = \"refresh\" },\n]\n",
        3,
    );
    assert_mentions(&err, &["`rn`", "\"r\"", "[rds]", "on, run and desc"]);
}

#[test]
fn missing_run() {
    let err = error_at_line(
        "[rds]\nkeymap = [\n  { on = \"r\", desc = \"Reload\" },\n]\n",
        3,
    );
    assert_mentions(&err, &["no `run`", "\"r\"", "[rds]"]);
}

#[test]
fn error_display_is_file_line_column() {
    let err = error_at_line("[ecs]\nkeymap = [ { on = \"r\", run = \"rollbak\" } ]\n", 2);
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("{}:2:", err.file.display())),
        "{shown}"
    );
}
