//! Small text formatting shared by the panes: ages, clock times, short ids, key chords, fitting.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::model::Millis;

/// `3s ago`-style age without the suffix: `3s`, `4m`, `2h`, `5d`.
pub fn age(now: Millis, then: Millis) -> String {
    let secs = (now - then).max(0) / 1000;
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Times are shown in UTC: the same instant reads the same in CloudWatch and in every test.
pub fn clock(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_else(|| "--:--:--".into())
}

pub fn clock_millis(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.format("%H:%M:%S%.3f").to_string())
        .unwrap_or_else(|| "--:--:--.---".into())
}

pub fn date_time(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

/// The first 8 characters of an id, as the ECS console shows task ids.
pub fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// Cuts `text` to `width` columns, ending in `…` when something was cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// Pads or cuts `text` to exactly `width` columns.
pub fn cell(text: &str, width: usize) -> String {
    let fitted = fit(text, width);
    let pad = width.saturating_sub(fitted.width());
    format!("{fitted}{}", " ".repeat(pad))
}

/// `1.2k`, `34`, `1.0M`: a count that stays short.
pub fn count(n: usize) -> String {
    match n {
        n if n < 1000 => n.to_string(),
        n if n < 1_000_000 => format!("{:.1}k", n as f64 / 1000.0),
        n => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}

pub fn bytes(n: usize) -> String {
    match n {
        n if n < 1024 => format!("{n} B"),
        n if n < 1024 * 1024 => format!("{} KiB", n / 1024),
        n => format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0)),
    }
}

/// Case-insensitive substring test; `needle` must already be lowercase.
pub fn matches(haystack: &str, needle_lower: &str) -> bool {
    needle_lower.is_empty() || haystack.to_lowercase().contains(needle_lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_marks_cut_text() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }

    #[test]
    fn ages_stay_short() {
        assert_eq!(age(65_000, 0), "1m");
        assert_eq!(age(3_000, 0), "3s");
    }
}
