//! One measurement as a row of the benchmark table, and the table every bench prints.
//!
//! A bench declares `#[path = "table.rs"] mod table;` and names the type as
//! `crate::table::Row`, so that when the suite includes the bench file as a module the rows
//! are the suite's own type.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// What was measured, against what it should be.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub value: Value,
    pub unit: String,
    /// `<= 2`, `>= 500000` (in the row's unit), or empty for a row with no target.
    pub target: String,
    /// Printed under the table: the spread, a breakdown, how to install what is missing.
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Value {
    Measured(f64),
    /// Why there is no number: `not installed`, `failed`.
    Missing(String),
}

impl Row {
    pub fn new(name: impl Into<String>, value: f64, unit: &str, target: &str) -> Row {
        Row {
            name: name.into(),
            value: Value::Measured(value),
            unit: unit.into(),
            target: target.into(),
            note: None,
        }
    }

    pub fn missing(name: impl Into<String>, why: &str, unit: &str, target: &str) -> Row {
        Row {
            value: Value::Missing(why.into()),
            ..Row::new(name, 0.0, unit, target)
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> Row {
        self.note = Some(note.into());
        self
    }

    /// `ok`; `over` a `<=` target or `under` a `>=` one; `-` with no target or no value.
    pub fn verdict(&self) -> &'static str {
        let Value::Measured(value) = self.value else {
            return "-";
        };
        match parse_target(&self.target) {
            Some((Bound::AtMost, limit)) if value <= limit => "ok",
            Some((Bound::AtMost, _)) => "over",
            Some((Bound::AtLeast, limit)) if value >= limit => "ok",
            Some((Bound::AtLeast, _)) => "under",
            None => "-",
        }
    }
}

/// The picker bench's rows: (name, value, unit, target).
impl From<(String, f64, String, String)> for Row {
    fn from((name, value, unit, target): (String, f64, String, String)) -> Row {
        Row::new(name, value, &unit, &target)
    }
}

enum Bound {
    AtMost,
    AtLeast,
}

/// `<= 2`, `< 2`, `≤ 2 ms`, `>= 500,000`: the bound and its number; anything else is none.
fn parse_target(target: &str) -> Option<(Bound, f64)> {
    let target = target.trim();
    let (at_most, rest) = [
        ("<=", true),
        ("≤", true),
        ("<", true),
        (">=", false),
        ("≥", false),
        (">", false),
    ]
    .into_iter()
    .find_map(|(op, at_most)| target.strip_prefix(op).map(|rest| (at_most, rest)))?;
    let bound = if at_most {
        Bound::AtMost
    } else {
        Bound::AtLeast
    };
    let number: String = rest
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .filter(|c| *c != ',')
        .collect();
    number.parse().ok().map(|n| (bound, n))
}

/// A number as the table shows it: integers whole, the rest to three significant figures.
pub fn format_value(value: f64) -> String {
    let magnitude = value.abs();
    let text = if value.fract() == 0.0 || magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    };
    group_thousands(&text)
}

fn group_thousands(text: &str) -> String {
    let (sign, rest) = text.strip_prefix('-').map_or(("", text), |r| ("-", r));
    let (whole, fraction) = rest
        .split_once('.')
        .map_or((rest, None), |(w, f)| (w, Some(f)));
    if whole.len() <= 4 {
        return text.to_string();
    }
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// The table, then the notes of the rows that have one.
pub fn print(rows: &[Row]) {
    let header = ["measurement", "value", "unit", "target", "ok/over"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|row| {
            [
                row.name.clone(),
                match &row.value {
                    Value::Measured(v) => format_value(*v),
                    Value::Missing(why) => why.clone(),
                },
                row.unit.clone(),
                if row.target.is_empty() {
                    "-".into()
                } else {
                    row.target.clone()
                },
                row.verdict().into(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let pad = width - cell.chars().count();
            // Numbers line up on the right, words on the left.
            if i == 1 {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            }
            text.push_str("  ");
        }
        println!("{}", text.trim_end());
    };
    println!();
    line(header);
    line(widths.map(|w| "-".repeat(w)).each_ref().map(String::as_str));
    for row in &cells {
        line(row.each_ref().map(String::as_str));
    }
    let notes: Vec<(&str, &str)> = rows
        .iter()
        .filter_map(|r| r.note.as_deref().map(|n| (r.name.as_str(), n)))
        .collect();
    if !notes.is_empty() {
        println!();
        for (name, note) in notes {
            println!("- {name}: {note}");
        }
    }
}

/// How many times a plain timing loop runs: fewer in a debug build, whose numbers only say
/// that the bench works.
pub fn iterations(release: usize) -> usize {
    if cfg!(debug_assertions) {
        (release / 20).max(3)
    } else {
        release
    }
}

/// The median wall time of `run`, over `samples` runs after a few to warm up.
pub fn median_time(samples: usize, mut run: impl FnMut()) -> Duration {
    for _ in 0..samples.min(3) {
        run();
    }
    let mut times: Vec<Duration> = (0..samples.max(1))
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
