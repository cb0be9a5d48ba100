//! Pictures of the dashboard: a rendered buffer as SVG (for the README) or plain text.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 17.0;
const FONT_SIZE: f32 = 14.0;
const BACKGROUND: &str = "#1e1e2e";
const FOREGROUND: &str = "#cdd6f4";

/// The buffer's symbols, one line per row, trailing spaces trimmed.
pub fn buffer_to_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        for x in area.left()..area.right() {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// An SVG image of the buffer with its colours, in a dark terminal palette.
pub fn buffer_to_svg(buffer: &Buffer) -> String {
    let area = buffer.area;
    let width = f32::from(area.width) * CELL_W;
    let height = f32::from(area.height) * CELL_H;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="'DejaVu Sans Mono','Menlo','Consolas',monospace" font-size="{FONT_SIZE}">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="100%" height="100%" fill="{BACKGROUND}"/>"#
    );
    for y in area.top()..area.bottom() {
        let top = f32::from(y - area.top()) * CELL_H;
        for (x, len, color) in runs(buffer, y, |cell| cell.bg, Color::Reset) {
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{CELL_H}" fill="{}"/>"#,
                f32::from(x - area.left()) * CELL_W,
                f32::from(len) * CELL_W,
                hex(color, BACKGROUND)
            );
        }
        let baseline = top + CELL_H * 0.78;
        let mut x = area.left();
        while x < area.right() {
            let cell = &buffer[(x, y)];
            let symbol = cell.symbol();
            if !symbol.trim().is_empty() {
                let bold = cell.modifier.contains(Modifier::BOLD);
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{baseline:.1}" fill="{}"{}>{}</text>"#,
                    f32::from(x - area.left()) * CELL_W,
                    hex(cell.fg, FOREGROUND),
                    if bold { r#" font-weight="bold""# } else { "" },
                    escape(symbol)
                );
            }
            x += 1;
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Runs of cells in row `y` whose `colour` is set (not `skip`): (start x, length, colour).
fn runs(
    buffer: &Buffer,
    y: u16,
    colour: impl Fn(&ratatui::buffer::Cell) -> Color,
    skip: Color,
) -> Vec<(u16, u16, Color)> {
    let area = buffer.area;
    let mut out: Vec<(u16, u16, Color)> = Vec::new();
    for x in area.left()..area.right() {
        let c = colour(&buffer[(x, y)]);
        if c == skip {
            continue;
        }
        match out.last_mut() {
            Some((start, len, last)) if *last == c && *start + *len == x => *len += 1,
            _ => out.push((x, 1, c)),
        }
    }
    out
}

fn hex(color: Color, default: &str) -> String {
    let named = match color {
        Color::Reset => return default.to_string(),
        Color::Rgb(r, g, b) => return format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => return indexed(i),
        Color::Black => "#45475a",
        Color::Red => "#f38ba8",
        Color::Green => "#a6e3a1",
        Color::Yellow => "#f9e2af",
        Color::Blue => "#89b4fa",
        Color::Magenta => "#f5c2e7",
        Color::Cyan => "#94e2d5",
        Color::Gray => "#bac2de",
        Color::DarkGray => "#6c7086",
        Color::LightRed => "#f38ba8",
        Color::LightGreen => "#a6e3a1",
        Color::LightYellow => "#f9e2af",
        Color::LightBlue => "#89b4fa",
        Color::LightMagenta => "#f5c2e7",
        Color::LightCyan => "#94e2d5",
        Color::White => "#ffffff",
    };
    named.to_string()
}

/// The xterm 256-colour palette.
fn indexed(i: u8) -> String {
    match i {
        0..=15 => hex(
            [
                Color::Black,
                Color::Red,
                Color::Green,
                Color::Yellow,
                Color::Blue,
                Color::Magenta,
                Color::Cyan,
                Color::Gray,
                Color::DarkGray,
                Color::LightRed,
                Color::LightGreen,
                Color::LightYellow,
                Color::LightBlue,
                Color::LightMagenta,
                Color::LightCyan,
                Color::White,
            ][usize::from(i)],
            FOREGROUND,
        ),
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            format!(
                "#{:02x}{:02x}{:02x}",
                level(i / 36),
                level((i / 6) % 6),
                level(i % 6)
            )
        }
        _ => {
            let v = 8 + (i - 232) * 10;
            format!("#{v:02x}{v:02x}{v:02x}")
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn svg_carries_text_and_colours() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 6, 1));
        buffer.set_string(0, 0, "ok <1>", Style::default().fg(Color::Green));
        let svg = buffer_to_svg(&buffer);
        assert!(svg.contains(r##"fill="#a6e3a1">o</text>"##));
        assert!(svg.contains("&lt;"));
        assert_eq!(buffer_to_text(&buffer), "ok <1>\n");
    }
}
