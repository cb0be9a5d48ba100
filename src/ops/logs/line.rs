//! What a log line says beyond its text: severity, JSON structure, and its plain-text form.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::buffer::LogLine;
use super::sanitize::sanitize;
use crate::model::Millis;

/// How serious a line is, as its level word or JSON level field says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Debug,
    Info,
    Warn,
    Error,
}

/// The severity of a message: a JSON object's `level` or `severity` field when it has
/// one, else the first level word in the text (`ERROR`, `warn`, `[info]`, `prisma:error`).
pub fn severity(message: &str) -> Option<Severity> {
    json_severity(message).or_else(|| word_severity(message))
}

#[derive(Deserialize)]
struct LevelFields {
    level: Option<Value>,
    severity: Option<Value>,
}

fn json_severity(message: &str) -> Option<Severity> {
    let object = message.trim();
    if !object.starts_with('{') {
        return None;
    }
    let fields: LevelFields = serde_json::from_str(object).ok()?;
    [fields.level, fields.severity]
        .into_iter()
        .flatten()
        .find_map(|value| match value {
            Value::String(word) => level_word(&word),
            Value::Number(n) => n.as_f64().map(numeric_level),
            _ => None,
        })
}

/// pino and bunyan number their levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
fn numeric_level(level: f64) -> Severity {
    match level {
        l if l >= 50.0 => Severity::Error,
        l if l >= 40.0 => Severity::Warn,
        l if l >= 30.0 => Severity::Info,
        _ => Severity::Debug,
    }
}

fn word_severity(message: &str) -> Option<Severity> {
    message
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|word| (3..=8).contains(&word.len()))
        .find_map(level_word)
}

fn level_word(word: &str) -> Option<Severity> {
    const WORDS: &[(&str, Severity)] = &[
        ("error", Severity::Error),
        ("err", Severity::Error),
        ("fatal", Severity::Error),
        ("panic", Severity::Error),
        ("critical", Severity::Error),
        ("crit", Severity::Error),
        ("emerg", Severity::Error),
        ("alert", Severity::Error),
        ("warn", Severity::Warn),
        ("warning", Severity::Warn),
        ("info", Severity::Info),
        ("notice", Severity::Info),
        ("debug", Severity::Debug),
        ("trace", Severity::Debug),
    ];
    WORDS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(word))
        .map(|(_, s)| *s)
}

/// The message with its JSON part (from the first `{` or `[` to the end) pretty-printed,
/// keys in their original order; None when the line holds no valid JSON.
pub fn pretty_json(message: &str) -> Option<String> {
    let start = message.find(['{', '['])?;
    let (prefix, json) = message.split_at(start);
    let json = json.trim_end();
    serde_json::from_str::<serde::de::IgnoredAny>(json).ok()?;
    let mut out = String::with_capacity(prefix.len() + json.len() * 2);
    out.push_str(prefix);
    reindent(json, &mut out);
    Some(out)
}

/// Re-lays out valid JSON two spaces per level without parsing it into a map, which would
/// sort its keys.
fn reindent(json: &str, out: &mut String) {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                skip_whitespace(&mut chars);
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
}

fn skip_whitespace(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
}

/// `2026-11-22T09:00:00.123Z`.
pub fn iso_timestamp(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at).map_or_else(
        || at.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// A line as `opsdeck logs` prints it and the pane exports it:
/// `TIMESTAMP TASK/CONTAINER MESSAGE`.
pub fn plain_line(line: &LogLine<'_>) -> String {
    // The buffer sanitizes messages but keeps stream names as CloudWatch has them, and those
    // may hold escape sequences (found by tests/hostile_input.rs): an exported file is often
    // `cat` to a terminal later.
    format!(
        "{} {}/{} {}",
        iso_timestamp(line.timestamp),
        sanitize(line.task_id()),
        sanitize(line.container()),
        line.message
    )
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct ExportError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Writes lines to a file (replacing it), one plain line each; returns how many.
pub fn export_lines<'a>(
    path: &Path,
    lines: impl IntoIterator<Item = LogLine<'a>>,
) -> Result<usize, ExportError> {
    let failed = |source| ExportError {
        path: path.to_path_buf(),
        source,
    };
    let mut out = BufWriter::new(File::create(path).map_err(failed)?);
    let mut count = 0;
    for line in lines {
        writeln!(out, "{}", plain_line(&line)).map_err(failed)?;
        count += 1;
    }
    out.flush().map_err(failed)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_from_words() {
        assert_eq!(severity("prisma:error Timed out"), Some(Severity::Error));
        assert_eq!(severity("[WARN] disk at 91%"), Some(Severity::Warn));
        assert_eq!(severity("level=info msg=ok"), Some(Severity::Info));
        assert_eq!(severity("GET /api/heartbeat 200 3ms"), None);
        assert_eq!(
            severity("    at Kn.handleRequestError (/app/x.js:1:2)"),
            None,
            "identifiers containing a level word are not levels"
        );
    }

    #[test]
    fn severity_from_json_fields() {
        assert_eq!(
            severity(r#"{"level":"warn","msg":"an error happened"}"#),
            Some(Severity::Warn)
        );
        assert_eq!(severity(r#"{"level":50,"msg":"x"}"#), Some(Severity::Error));
        assert_eq!(
            severity(r#"{"severity":"DEBUG","msg":"x"}"#),
            Some(Severity::Debug)
        );
    }

    #[test]
    fn pretty_json_keeps_key_order_and_prefix() {
        let pretty = pretty_json(r#"ts=1 {"z":1,"a":[1,2],"e":{},"s":"a,b:{c}"}"#);
        assert_eq!(
            pretty.as_deref(),
            Some(
                "ts=1 {\n  \"z\": 1,\n  \"a\": [\n    1,\n    2\n  ],\n  \"e\": {},\n  \"s\": \"a,b:{c}\"\n}"
            )
        );
        assert_eq!(pretty_json("not {json"), None);
    }

    #[test]
    fn iso_timestamps_are_utc_with_millis() {
        assert_eq!(iso_timestamp(1_795_338_000_123), "2026-11-22T09:00:00.123Z");
    }
}
