//! Neutralising attacker-controllable log text before it reaches a terminal.
//!
//! Request paths and user agents end up in log lines, so a line can carry escape sequences
//! that move the cursor, retitle the window or recolour the screen. Control characters (ESC
//! included) are shown in caret notation (`^[`), so the attempt stays visible as what it is.

/// The sanitized form of `message`, with its trailing newline dropped.
pub fn sanitize(message: &str) -> String {
    let mut out = String::with_capacity(sanitized_len(message));
    sanitize_into(message, &mut out);
    out
}

/// Appends the sanitized form of `message` to `out`: the buffer writes straight into its
/// text arena this way, with no allocation per line.
pub fn sanitize_into(message: &str, out: &mut String) {
    let message = trim_newline(message);
    if is_clean(message) {
        out.push_str(message);
        return;
    }
    for c in message.chars() {
        match c {
            '\t' => out.push_str("    "),
            '\n' => out.push_str(" ⏎ "),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7f}' => out.push_str("^?"),
            c if needs_escape(c) => {
                use std::fmt::Write;
                // Writing into a String cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// How many bytes `sanitize` would produce, computed without allocating.
pub fn sanitized_len(message: &str) -> usize {
    let message = trim_newline(message);
    if is_clean(message) {
        return message.len();
    }
    message
        .chars()
        .map(|c| match c {
            '\t' => 4,
            '\n' => " ⏎ ".len(),
            c if (c as u32) < 0x20 || c == '\u{7f}' => 2,
            // `\u{` + hex digits + `}`
            c if needs_escape(c) => 4 + hex_digits(c as u32),
            c => c.len_utf8(),
        })
        .sum()
}

fn trim_newline(message: &str) -> &str {
    message.trim_end_matches(['\n', '\r'])
}

/// Printable ASCII needs no work; this is nearly every line, so it is checked bytewise.
fn is_clean(message: &str) -> bool {
    let bytes = message.as_bytes();
    if bytes.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return true;
    }
    !message.chars().any(needs_escape)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides reorder what the reader sees (CVE-2021-42574 style).
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether a character would be neutralised by [`sanitize`].
pub fn is_unsafe_char(c: char) -> bool {
    needs_escape(c)
}

fn hex_digits(value: u32) -> usize {
    (32 - value.max(1).leading_zeros()).div_ceil(4) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(
            sanitize("GET /\x1b[2J\x1b]0;pwned\x07 200"),
            "GET /^[[2J^[]0;pwned^G 200"
        );
    }

    #[test]
    fn plain_text_is_unchanged_and_trailing_newline_dropped() {
        assert_eq!(sanitize("✓ Ready in 1.2s\n"), "✓ Ready in 1.2s");
    }

    #[test]
    fn tabs_newlines_c1_and_bidi_are_neutralised() {
        assert_eq!(sanitize("a\tb\nc"), "a    b ⏎ c");
        assert_eq!(sanitize("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(sanitize("ab\u{202e}cd"), "ab\\u{202e}cd");
    }

    #[test]
    fn predicted_length_matches_the_output() {
        for hostile in [
            "plain",
            "a\tb\nc\r\n",
            "\u{1b}[31m\u{7f}\u{0}",
            "x\u{9b}\u{85}\u{202e}\u{2069}é✓",
        ] {
            assert_eq!(
                sanitized_len(hostile),
                sanitize(hostile).len(),
                "{hostile:?}"
            );
        }
    }
}
