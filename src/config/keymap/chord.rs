//! One key press with modifiers: parsed from keymap syntax (`<C-c>`, `g`), normalised from
//! crossterm events, and written back in the same syntax.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key press with modifiers, e.g. `<C-c>`, `g`, `<S-Tab>`.
///
/// Always normalised, so a parsed chord and one built from a terminal event compare equal:
/// printable characters never carry SHIFT (`G` is `Char('G')`), and shift-tab is `BackTab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

/// Why a key in a keymap file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("a key cannot be empty; write a character like \"q\" or a name like \"<Esc>\"")]
    Empty,
    #[error(
        "\"{0}\" is more than one key; write a sequence as an array like on = [\"g\", \"g\"], \
         or a named key in angle brackets like \"<Esc>\""
    )]
    NotOneKey(String),
    #[error("\"{0}\" has no closing '>'")]
    Unclosed(String),
    #[error(
        "unknown key \"{name}\" in \"{key}\"; inside <...> use C-, A- or S- followed by one \
         character or one of: {}, F1..F12",
        NAMED_KEYS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
    )]
    UnknownName { key: String, name: String },
}

/// Named keys as written inside `<...>`; F1..F12 are handled separately.
const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("Esc", KeyCode::Esc),
    ("Enter", KeyCode::Enter),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Space", KeyCode::Char(' ')),
    ("Backspace", KeyCode::Backspace),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
];

const MODIFIER_PREFIXES: [(&str, KeyModifiers); 3] = [
    ("C-", KeyModifiers::CONTROL),
    ("A-", KeyModifiers::ALT),
    ("S-", KeyModifiers::SHIFT),
];

impl KeyChord {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyChord {
        KeyChord { code, modifiers }.normalised()
    }

    /// Normalises a crossterm key event (e.g. drops SHIFT on printable characters).
    pub fn from_event(event: &KeyEvent) -> KeyChord {
        KeyChord::new(event.code, event.modifiers)
    }

    /// Terminals disagree on how they report shift: the shifted character already says it,
    /// and some send shift-tab as `Tab`+SHIFT, others as `BackTab` with or without SHIFT.
    fn normalised(self) -> KeyChord {
        let KeyChord {
            code,
            mut modifiers,
        } = self;
        let code = match code {
            KeyCode::Char(c) if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::Char(uppercase(c))
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        KeyChord { code, modifiers }
    }
}

/// `S-a` means `A`; characters without a single-character uppercase form stay as they are.
fn uppercase(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

impl FromStr for KeyChord {
    type Err = KeyParseError;

    fn from_str(key: &str) -> Result<KeyChord, KeyParseError> {
        if key.is_empty() {
            return Err(KeyParseError::Empty);
        }
        if let Some(c) = single_char(key) {
            return Ok(KeyChord::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let inner = key
            .strip_prefix('<')
            .ok_or_else(|| KeyParseError::NotOneKey(key.to_owned()))?
            .strip_suffix('>')
            .ok_or_else(|| KeyParseError::Unclosed(key.to_owned()))?;
        parse_bracketed(key, inner)
    }
}

/// Parses the inside of `<...>`: modifier prefixes, then one character or a key name.
fn parse_bracketed(key: &str, inner: &str) -> Result<KeyChord, KeyParseError> {
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = inner;
    // The length guard keeps `<C-->` (ctrl and minus) from reading "-" as a modifier.
    while rest.chars().count() > 1 {
        let Some((prefix, modifier)) = MODIFIER_PREFIXES
            .iter()
            .find(|(prefix, _)| starts_with_ignore_case(rest, prefix))
        else {
            break;
        };
        modifiers |= *modifier;
        rest = &rest[prefix.len()..];
    }
    let code = key_code(rest).ok_or_else(|| KeyParseError::UnknownName {
        key: key.to_owned(),
        name: rest.to_owned(),
    })?;
    Ok(KeyChord::new(code, modifiers))
}

fn key_code(name: &str) -> Option<KeyCode> {
    if let Some(c) = single_char(name) {
        return Some(KeyCode::Char(c));
    }
    if let Some((_, code)) = NAMED_KEYS
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
    {
        return Some(*code);
    }
    let number = name.strip_prefix(['F', 'f'])?.parse::<u8>().ok()?;
    (1..=12).contains(&number).then_some(KeyCode::F(number))
}

fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

impl fmt::Display for KeyChord {
    /// Writes the chord in keymap syntax, so the help popup shows what the file says.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = code_name(self.code);
        let plain_char = matches!(self.code, KeyCode::Char(c) if c != ' ');
        if self.modifiers.is_empty() && plain_char {
            return f.write_str(&name);
        }
        f.write_str("<")?;
        for (prefix, modifier) in MODIFIER_PREFIXES {
            if self.modifiers.contains(modifier) {
                f.write_str(prefix)?;
            }
        }
        write!(f, "{name}>")
    }
}

fn code_name(code: KeyCode) -> String {
    if let Some((name, _)) = NAMED_KEYS.iter().find(|(_, known)| *known == code) {
        return (*name).to_owned();
    }
    match code {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        // Keys a keymap cannot name still need a readable label (e.g. pending keys).
        other => other.to_string().replace(' ', ""),
    }
}

/// Writes a key sequence the way the help popup and status bar show it: `g g`, `<C-w> j`.
pub fn format_keys(keys: &[KeyChord]) -> String {
    keys.iter()
        .map(KeyChord::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord(key: &str) -> KeyChord {
        key.parse().unwrap()
    }

    #[test]
    fn parses_plain_and_named_keys() {
        assert_eq!(
            chord("q"),
            KeyChord::new(KeyCode::Char('q'), KeyModifiers::NONE)
        );
        assert_eq!(chord("<Esc>").code, KeyCode::Esc);
        assert_eq!(chord("<pagedown>").code, KeyCode::PageDown);
        assert_eq!(chord("<F12>").code, KeyCode::F(12));
        assert_eq!(chord("<Space>"), chord(" "));
        assert_eq!(
            chord("<"),
            KeyChord::new(KeyCode::Char('<'), KeyModifiers::NONE)
        );
    }

    #[test]
    fn parses_modifiers() {
        assert_eq!(
            chord("<C-c>"),
            KeyChord::new(KeyCode::Char('c'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            chord("<C-A-x>").modifiers,
            KeyModifiers::CONTROL | KeyModifiers::ALT
        );
        assert_eq!(
            chord("<C-->"),
            KeyChord::new(KeyCode::Char('-'), KeyModifiers::CONTROL)
        );
        assert_eq!(chord("<S-Tab>"), chord("<BackTab>"));
        assert_eq!(chord("<S-g>"), chord("G"));
        assert_eq!(chord("<S-Up>").modifiers, KeyModifiers::SHIFT);
    }

    #[test]
    fn rejects_bad_keys() {
        assert_eq!("".parse::<KeyChord>(), Err(KeyParseError::Empty));
        assert!(matches!(
            "gg".parse::<KeyChord>(),
            Err(KeyParseError::NotOneKey(_))
        ));
        assert!(matches!(
            "<C-c".parse::<KeyChord>(),
            Err(KeyParseError::Unclosed(_))
        ));
        for bad in ["<Foo>", "<C-ü-x>", "<>", "<F13>", "<C->"] {
            assert!(
                matches!(
                    bad.parse::<KeyChord>(),
                    Err(KeyParseError::UnknownName { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn normalises_terminal_events() {
        let shifted_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&shifted_g), chord("G"));
        let back_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&back_tab), chord("<BackTab>"));
        let shift_tab = KeyEvent::new(KeyCode::Tab, KeyModifiers::SHIFT);
        assert_eq!(KeyChord::from_event(&shift_tab), chord("<S-Tab>"));
        let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(KeyChord::from_event(&ctrl_r), chord("<C-r>"));
    }

    #[test]
    fn display_round_trips() {
        for key in [
            "q",
            "G",
            "/",
            "<",
            "<C-c>",
            "<A-x>",
            "<C-A-Up>",
            "<S-Up>",
            "<Tab>",
            "<BackTab>",
            "<Space>",
            "<C-Space>",
            "<F5>",
            "<C-->",
            "<PageDown>",
        ] {
            let parsed = chord(key);
            assert_eq!(parsed.to_string(), key);
            assert_eq!(chord(&parsed.to_string()), parsed);
        }
        assert_eq!(format_keys(&[chord("g"), chord("g")]), "g g");
    }
}
