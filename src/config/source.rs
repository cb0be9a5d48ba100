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
