//! A user file's text and path: parsing it into spanned TOML and turning byte offsets into
//! the 1-based line and column an editor jumps to.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

/// The text of one file and where it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceFile<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

/// A mistake at a place in a file, before it becomes the caller's error type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub span: Range<usize>,
    pub message: String,
}

impl Located {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Located {
        Located {
            span,
            message: message.into(),
        }
    }
}

impl<'a> SourceFile<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> SourceFile<'a> {
        SourceFile { path, text }
    }

    /// Parses the whole document, keeping the span of every key and value so later checks
    /// can point at the exact entry.
    pub fn parse(&self) -> Result<Spanned<DeTable<'a>>, Located> {
        DeTable::parse(self.text).map_err(|err| {
            let span = err.span().unwrap_or(0..0);
            Located::new(span, format!("invalid TOML: {}", err.message()))
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line_start = before.rfind('\n').map_or(0, |nl| nl + 1);
        let line = before.matches('\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A table's entries in file order. Tables are keyed alphabetically; checking them in file
/// order reports the first mistake in the file first.
pub(crate) fn in_file_order<'a, 'i>(
    table: &'a DeTable<'i>,
) -> Vec<(&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// How a value's type is named in messages: "expected a string, found an integer".
pub(crate) fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// A key of a TOML table, with where it stands in the file.
pub(crate) type Key<'i> = Spanned<DeString<'i>>;
/// A TOML value, with where it stands in the file.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;

// Typed readers shared by the config file and the bootstrap's answer file: each names the
// field and says what would be valid, so every file opsdeck reads errs the same way.

pub(crate) fn unknown_field(key: &Key<'_>, prefix: &str, expected: &[&str]) -> Located {
    Located::new(
        key.span(),
        format!(
            "{prefix}{}: unknown field; check the spelling, expected one of: {}",
            key.get_ref(),
            expected.join(", ")
        ),
    )
}

pub(crate) fn wrong_type(
    field: &str,
    span: Range<usize>,
    expected: &str,
    found: &DeValue<'_>,
) -> Located {
    Located::new(
        span,
        format!("{field}: must be {expected}; found {}", type_name(found)),
    )
}

pub(crate) fn sub_table<'a, 'i>(
    field: &str,
    value: &'a Value<'i>,
) -> Result<&'a DeTable<'i>, Located> {
    value
        .get_ref()
        .as_table()
        .ok_or_else(|| wrong_type(field, value.span(), "a table", value.get_ref()))
}

pub(crate) fn boolean(field: &str, value: &Value<'_>) -> Result<bool, Located> {
    value
        .get_ref()
        .as_bool()
        .ok_or_else(|| wrong_type(field, value.span(), "true or false", value.get_ref()))
}

pub(crate) fn non_empty_string(field: &str, value: &Value<'_>) -> Result<String, Located> {
    let text = value
        .get_ref()
        .as_str()
        .ok_or_else(|| wrong_type(field, value.span(), "a string", value.get_ref()))?;
    if text.trim().is_empty() {
        return Err(Located::new(
            value.span(),
            format!("{field}: empty; give a value or remove the line"),
        ));
    }
    Ok(text.to_owned())
}

pub(crate) fn integer(field: &str, value: &Value<'_>) -> Result<i64, Located> {
    let not_integer = || wrong_type(field, value.span(), "a whole number", value.get_ref());
    let DeValue::Integer(int) = value.get_ref() else {
        return Err(not_integer());
    };
    i64::from_str_radix(int.as_str(), int.radix()).map_err(|_| not_integer())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_is_one_based_and_counts_characters() {
        let file = SourceFile::new(Path::new("x.toml"), "a = 1\nü = \"é\"\n");
        assert_eq!(file.line_column(0), (1, 1));
        assert_eq!(file.line_column(4), (1, 5));
        assert_eq!(file.line_column(6), (2, 1));
        // 'ü' is two bytes: the '=' after it is the third character on the line.
        assert_eq!(file.line_column(9), (2, 3));
        assert_eq!(file.line_column(10_000), (3, 1));
    }
}
