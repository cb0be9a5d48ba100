//! One keymap file read into per-layer patches, every mistake reported at its line with the
//! key and layer it concerns.

use std::ops::Range;

use serde::Deserialize;
use serde::de::IntoDeserializer;
use serde::de::value::{Error as NameError, StrDeserializer};
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::{Binding, KeyChord, Layer};
use crate::app::action::Command;
use crate::config::source::{Located, SourceFile, in_file_order, type_name};

/// What one file says about one layer, applied as `prepend ++ (replace or base) ++ append`.
#[derive(Debug, Default)]
pub(super) struct LayerPatch {
    pub replace: Option<Vec<Binding>>,
    pub prepend: Vec<Binding>,
    pub append: Vec<Binding>,
}

impl LayerPatch {
    pub fn apply(self, base: Vec<Binding>) -> Vec<Binding> {
        let mut merged = self.prepend;
        merged.extend(self.replace.unwrap_or(base));
        merged.extend(self.append);
        merged
    }
}

/// The three lists a layer table may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Replace,
    Prepend,
    Append,
}

impl Section {
    const FIELDS: [(&'static str, Section); 3] = [
        ("keymap", Section::Replace),
        ("prepend_keymap", Section::Prepend),
        ("append_keymap", Section::Append),
    ];

    fn from_field(name: &str) -> Option<Section> {
        Section::FIELDS
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, section)| *section)
    }
}

/// A parsed entry with what error messages need to point back at it.
struct Entry {
    section: Section,
    binding: Binding,
    /// The `on` value as the user wrote it, e.g. `g g`.
    label: String,
    span: Range<usize>,
}

const ENTRY_FIELDS: [&str; 3] = ["on", "run", "desc"];

/// Reads every layer of one file; layers are returned in file order.
pub(super) fn parse_file(source: SourceFile<'_>) -> Result<Vec<(Layer, LayerPatch)>, Located> {
    let document = source.parse()?;
    in_file_order(document.get_ref())
        .into_iter()
        .map(|(name, value)| {
            let layer = parse_layer_name(name)?;
            let table = value.get_ref().as_table().ok_or_else(|| {
                Located::new(
                    name.span(),
                    format!(
                        "[{layer}] must be a table holding keymap, prepend_keymap or \
                         append_keymap; found {}",
                        type_name(value.get_ref())
                    ),
                )
            })?;
            Ok((layer, parse_layer(source, layer, table)?))
        })
        .collect()
}

fn parse_layer_name(name: &Spanned<DeString<'_>>) -> Result<Layer, Located> {
    Layer::from_name(name.get_ref()).ok_or_else(|| {
        let known: Vec<String> = Layer::ALL.iter().map(|l| format!("[{l}]")).collect();
        Located::new(
            name.span(),
            format!(
                "unknown layer [{}]; expected one of: {}",
                name.get_ref(),
                known.join(", ")
            ),
        )
    })
}

fn parse_layer(
    source: SourceFile<'_>,
    layer: Layer,
    table: &DeTable<'_>,
) -> Result<LayerPatch, Located> {
    let mut entries = Vec::new();
    let mut replaces = false;
    for (name, value) in in_file_order(table) {
        let section = Section::from_field(name.get_ref()).ok_or_else(|| {
            Located::new(
                name.span(),
                format!(
                    "unknown field `{}` in [{layer}]; expected keymap, prepend_keymap or \
                     append_keymap",
                    name.get_ref()
                ),
            )
        })?;
        let items = value.get_ref().as_array().ok_or_else(|| {
            Located::new(
                value.span(),
                format!(
                    "`{}` in [{layer}] must be an array of entries like \
                     {{ on = \"q\", run = \"quit\", desc = \"Quit\" }}; found {}",
                    name.get_ref(),
                    type_name(value.get_ref())
                ),
            )
        })?;
        replaces |= section == Section::Replace;
        for item in items.iter() {
            entries.push(parse_entry(layer, section, item)?);
        }
    }
    check_conflicts(source, layer, &entries)?;
    Ok(build_patch(entries, replaces))
}

/// `replaces` is whether the layer has a `keymap` list at all: `keymap = []` empties a layer.
fn build_patch(entries: Vec<Entry>, replaces: bool) -> LayerPatch {
    let mut patch = LayerPatch {
        replace: replaces.then(Vec::new),
        ..LayerPatch::default()
    };
    for entry in entries {
        match entry.section {
            Section::Replace => patch.replace.get_or_insert_default().push(entry.binding),
            Section::Prepend => patch.prepend.push(entry.binding),
            Section::Append => patch.append.push(entry.binding),
        }
    }
    patch
}

fn parse_entry(
    layer: Layer,
    section: Section,
    item: &Spanned<DeValue<'_>>,
) -> Result<Entry, Located> {
    let table = item.get_ref().as_table().ok_or_else(|| {
        Located::new(
            item.span(),
            format!(
                "entries in [{layer}] must be tables like {{ on = \"q\", run = \"quit\", \
                 desc = \"Quit\" }}; found {}",
                type_name(item.get_ref())
            ),
        )
    })?;
    let on = table.get("on").ok_or_else(|| {
        Located::new(
            item.span(),
            format!("an entry in [{layer}] has no `on`; add the key to bind, e.g. on = \"q\""),
        )
    })?;
    let (keys, label) = parse_on(layer, on)?;
    reject_unknown_fields(layer, &label, table)?;
    let run = parse_run(layer, &label, item.span(), table.get("run"))?;
    let desc = parse_desc(layer, &label, run, table.get("desc"))?;
    Ok(Entry {
        section,
        binding: Binding {
            on: keys,
            run,
            desc,
        },
        label,
        span: on.span(),
    })
}

/// Reads `on = "q"` or `on = ["g", "g"]` into chords and the text to name it by.
fn parse_on(layer: Layer, on: &Spanned<DeValue<'_>>) -> Result<(Vec<KeyChord>, String), Located> {
    let parts: Vec<(&str, Range<usize>)> = match on.get_ref() {
        DeValue::String(key) => vec![(key.as_ref(), on.span())],
        DeValue::Array(keys) => keys
            .iter()
            .map(|key| match key.get_ref() {
                DeValue::String(text) => Ok((text.as_ref(), key.span())),
                other => Err(Located::new(
                    key.span(),
                    format!(
                        "every key in an `on` sequence in [{layer}] must be a string; found {}",
                        type_name(other)
                    ),
                )),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(Located::new(
                on.span(),
                format!(
                    "`on` in [{layer}] must be a key like \"q\" or a sequence like \
                     [\"g\", \"g\"]; found {}",
                    type_name(other)
                ),
            ));
        }
    };
    if parts.is_empty() {
        return Err(Located::new(
            on.span(),
            format!("`on` in [{layer}] is an empty sequence; give at least one key"),
        ));
    }
    let label = parts
        .iter()
        .map(|(text, _)| *text)
        .collect::<Vec<_>>()
        .join(" ");
    let keys = parts
        .into_iter()
        .map(|(text, span)| {
            text.parse::<KeyChord>().map_err(|err| {
                Located::new(span, format!("invalid key \"{text}\" in [{layer}]: {err}"))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok((keys, label))
}

fn reject_unknown_fields(layer: Layer, label: &str, table: &DeTable<'_>) -> Result<(), Located> {
    match table
        .keys()
        .find(|name| !ENTRY_FIELDS.contains(&name.get_ref().as_ref()))
    {
        Some(name) => Err(Located::new(
            name.span(),
            format!(
                "unknown field `{}` in the entry for key \"{label}\" in [{layer}]; an entry \
                 has only on, run and desc",
                name.get_ref()
            ),
        )),
        None => Ok(()),
    }
}

fn parse_run(
    layer: Layer,
    label: &str,
    entry_span: Range<usize>,
    run: Option<&Spanned<DeValue<'_>>>,
) -> Result<Command, Located> {
    let run = run.ok_or_else(|| {
        Located::new(
            entry_span,
            format!(
                "the entry for key \"{label}\" in [{layer}] has no `run`; add the action to \
                 run, e.g. run = \"quit\""
            ),
        )
    })?;
    let name = run.get_ref().as_str().ok_or_else(|| {
        Located::new(
            run.span(),
            format!(
                "`run` for key \"{label}\" in [{layer}] must be an action name like \"quit\"; \
                 found {}",
                type_name(run.get_ref())
            ),
        )
    })?;
    command_named(name).ok_or_else(|| {
        let known: Vec<&str> = Command::ALL.iter().map(|c| c.name()).collect();
        Located::new(
            run.span(),
            format!(
                "unknown action \"{name}\" for key \"{label}\" in [{layer}]; expected one of: {}",
                known.join(", ")
            ),
        )
    })
}

/// Goes through `Command`'s own `Deserialize`, so keymap names can never drift from serde's.
fn command_named(name: &str) -> Option<Command> {
    let name: StrDeserializer<'_, NameError> = name.into_deserializer();
    Command::deserialize(name).ok()
}

/// An entry without `desc` is still listed in the help popup, under its action's name.
fn parse_desc(
    layer: Layer,
    label: &str,
    run: Command,
    desc: Option<&Spanned<DeValue<'_>>>,
) -> Result<String, Located> {
    let Some(desc) = desc else {
        return Ok(run.name().to_owned());
    };
    desc.get_ref().as_str().map(str::to_owned).ok_or_else(|| {
        Located::new(
            desc.span(),
            format!(
                "`desc` for key \"{label}\" in [{layer}] must be a string; found {}",
                type_name(desc.get_ref())
            ),
        )
    })
}

/// Within one file and layer a key may be bound once, and never as the start of a longer
/// sequence: whichever came first would silently hide the other.
fn check_conflicts(source: SourceFile<'_>, layer: Layer, entries: &[Entry]) -> Result<(), Located> {
    for (index, later) in entries.iter().enumerate() {
        for earlier in &entries[..index] {
            if let Some(message) = conflict(source, layer, earlier, later) {
                return Err(Located::new(later.span.clone(), message));
            }
        }
    }
    Ok(())
}

fn conflict(
    source: SourceFile<'_>,
    layer: Layer,
    earlier: &Entry,
    later: &Entry,
) -> Option<String> {
    let line = |entry: &Entry| source.line_column(entry.span.start).0;
    let (a, b) = (&earlier.binding.on, &later.binding.on);
    if a == b {
        return Some(format!(
            "key \"{}\" is bound twice in [{layer}], on line {} and line {}; remove one of them",
            later.label,
            line(earlier),
            line(later)
        ));
    }
    let (short, long) = if a.len() < b.len() {
        (earlier, later)
    } else {
        (later, earlier)
    };
    long.binding.on.starts_with(&short.binding.on).then(|| {
        format!(
            "key \"{}\" (line {}) is the start of \"{}\" (line {}) in [{layer}], so one of them \
             could never run; remove one or bind a different key",
            short.label,
            line(short),
            long.label,
            line(long)
        )
    })
}
