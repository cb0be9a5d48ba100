//! A small table drawer: fixed columns that drop out by importance when the pane is narrow.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::{Theme, text};

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    /// Columns; 0 takes whatever is left (at most one such column, drawn last).
    pub width: u16,
    /// Least width of a fill column before other columns make room for it.
    pub min: u16,
    /// Lower is dropped first when the columns do not fit.
    pub keep: u8,
}

pub const fn col(header: &'static str, width: u16, keep: u8) -> Column {
    Column {
        header,
        width,
        min: 0,
        keep,
    }
}

/// A column that takes the rest of the row but needs at least `min` to be worth showing.
pub const fn fill(header: &'static str, min: u16, keep: u8) -> Column {
    Column {
        header,
        width: 0,
        min,
        keep,
    }
}

/// One cell: its text and style.
pub type Cell = (String, Style);

/// Below this width a fill column settles for less room rather than vanish.
const NARROW: u16 = 60;

/// Indices of the columns that fit in `width`, in display order.
pub fn fit_columns(columns: &[Column], width: u16) -> Vec<usize> {
    let mut kept: Vec<usize> = (0..columns.len()).collect();
    let fill_min = |min: u16| if width < NARROW { min.min(10) } else { min };
    let needed = |kept: &[usize]| -> u16 {
        kept.iter()
            .map(|&i| match columns[i].width {
                0 => fill_min(columns[i].min),
                w => w + 1,
            })
            .sum()
    };
    while needed(&kept) > width && kept.len() > 1 {
        if let Some(pos) = kept
            .iter()
            .enumerate()
            .min_by_key(|(_, i)| columns[**i].keep)
            .map(|(pos, _)| pos)
        {
            kept.remove(pos);
        }
    }
    kept
}

/// Draws one row of cells at `y`; `cells[i]` belongs to `columns[i]`.
pub fn draw_row(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    columns: &[Column],
    kept: &[usize],
    cells: &[Cell],
    row_style: Style,
) {
    buf.set_style(Rect::new(area.x, y, area.width, 1), row_style);
    let mut x = area.x;
    let right = area.right();
    for &i in kept {
        if x >= right {
            break;
        }
        let room = right - x;
        let width = match columns[i].width {
            0 => room,
            w => w.min(room),
        };
        if let Some((content, style)) = cells.get(i) {
            let shown = text::fit(content, width as usize);
            buf.set_stringn(x, y, shown, width as usize, style.patch(row_style));
        }
        x = x.saturating_add(width + 1);
    }
}

pub fn draw_header(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    columns: &[Column],
    kept: &[usize],
    style: Style,
) {
    let cells: Vec<Cell> = columns
        .iter()
        .map(|c| (c.header.to_string(), Style::new()))
        .collect();
    draw_row(buf, area, y, columns, kept, &cells, style);
}

pub fn selected_style(is_selected: bool, theme: &Theme) -> Style {
    if is_selected {
        theme.selection
    } else {
        Style::new()
    }
}
