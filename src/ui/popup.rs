//! Centered popups drawn over the dashboard: key help, the detail of a selected row, the
//! logs pane's stream picker and its jump-to-time input.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Widget};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{Theme, text};
use crate::app::state::{FilterInput, StackChoices, StreamChoice};
use crate::config::keymap::Binding;
use crate::model::StackRef;

/// The Help popup: the bindings of what is in front (a pane, a wizard), then the global
/// ones, scrolled by `scroll`.
pub fn help_popup(
    buf: &mut Buffer,
    screen: Rect,
    about: &str,
    pane_bindings: &[Binding],
    global_bindings: &[Binding],
    scroll: usize,
    theme: &Theme,
) {
    let keys_width = pane_bindings
        .iter()
        .chain(global_bindings)
        .map(|b| b.keys_label().width())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut lines = vec![Line::styled(about.to_string(), theme.header)];
    lines.extend(binding_lines(pane_bindings, keys_width, theme));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Global", theme.header));
    lines.extend(binding_lines(global_bindings, keys_width, theme));
    let title = format!(" Keys: {about} ");
    framed(buf, screen, &title, lines, scroll, theme, 64);
}

fn binding_lines<'a>(bindings: &'a [Binding], keys_width: usize, theme: &Theme) -> Vec<Line<'a>> {
    if bindings.is_empty() {
        return vec![Line::styled("  (none)", theme.dim)];
    }
    bindings
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(
                    format!("  {}  ", text::cell(&b.keys_label(), keys_width)),
                    theme.filter,
                ),
                Span::raw(b.desc.as_str()),
            ])
        })
        .collect()
}

/// The Detail popup of a selected row.
pub fn detail_popup(
    buf: &mut Buffer,
    screen: Rect,
    title: &str,
    lines: &[String],
    scroll: usize,
    theme: &Theme,
) {
    // Long lines (stopped reasons, ARNs) wrap rather than hide their end: it is the answer.
    let room = screen.width.saturating_sub(8).clamp(10, 96);
    let lines = lines
        .iter()
        .flat_map(|l| wrap(l, room as usize))
        .map(Line::raw)
        .collect();
    framed(
        buf,
        screen,
        &format!(" {title} "),
        lines,
        scroll,
        theme,
        100,
    );
}

/// The stream picker: every stream, then each task and container with lines in the buffer.
pub fn stream_picker(
    buf: &mut Buffer,
    screen: Rect,
    choices: &[StreamChoice],
    selected: usize,
    theme: &Theme,
) {
    let labels: Vec<String> = choices
        .iter()
        .map(|c| super::logs::narrowing_label(&c.narrowing))
        .collect();
    let width = labels.iter().map(|l| l.width()).max().unwrap_or(0);
    let lines = choices
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (choice, label))| {
            let marker = if i == selected { "▶ " } else { "  " };
            let line = Line::from(vec![
                Span::raw(format!("{marker}{}  ", text::cell(label, width))),
                Span::styled(format!("{:>7} lines", text::count(choice.lines)), theme.dim),
            ]);
            if i == selected {
                line.style(theme.selection)
            } else {
                line
            }
        })
        .collect::<Vec<_>>();
    // Keep the selection on screen when there are more tasks than rows.
    let rows = screen.height.saturating_sub(4) as usize;
    let scroll = selected.saturating_sub(rows.saturating_sub(1));
    framed(buf, screen, " Show logs of ", lines, scroll, theme, 72);
}

/// The stack picker: the account's services as `cluster / service`, those the filter keeps,
/// while the listing goes on. Only the rows on screen are built (an account may have
/// thousands), and names longer than the popup are cut with `…`.
pub fn stack_picker(
    buf: &mut Buffer,
    screen: Rect,
    choices: &StackChoices,
    selected: usize,
    typing: Option<&FilterInput>,
    theme: &Theme,
) {
    let title = stack_picker_title(choices);
    let filter_line = match typing {
        Some(input) => Some(Line::from(vec![
            Span::styled(format!("/{}", input.text), theme.filter),
            Span::styled("▏", theme.filter),
        ])),
        None if !choices.filter().is_empty() => {
            Some(Line::styled(format!("/{}", choices.filter()), theme.filter))
        }
        None => None,
    };
    let notes: Vec<Line> = match (&choices.error, choices.is_empty()) {
        (Some(error), _) => vec![Line::styled(
            format!("listing stopped: {error}"),
            theme.error,
        )],
        (None, true) if choices.listing => vec![Line::styled("listing…", theme.dim)],
        (None, true) => vec![Line::styled("no service matches", theme.dim)],
        (None, false) => Vec::new(),
    };
    let header = usize::from(filter_line.is_some()) + notes.len();

    let max_width = PICKER_WIDTH.min(screen.width.saturating_sub(4));
    // Border and padding take two columns each side.
    let inner = usize::from(max_width.saturating_sub(4));
    let height = (choices.len() + header + 2).min(usize::from(screen.height.saturating_sub(2)));
    let rows = height.saturating_sub(2 + header);
    let scroll = selected.saturating_sub(rows.saturating_sub(1));
    let window: Vec<&StackRef> = choices.shown().skip(scroll).take(rows).collect();

    // The cluster column is as wide as its widest name on screen, up to two fifths of the
    // row, so a long cluster name does not push every service out of view.
    let marker = "▶ ".width();
    let cluster_width = window
        .iter()
        .map(|c| c.cluster.width())
        .max()
        .unwrap_or(0)
        .min(inner.saturating_sub(marker) * 2 / 5);
    let service_width = inner.saturating_sub(marker + cluster_width + " / ".width());
    let mut lines: Vec<Line> = filter_line.into_iter().chain(notes).collect();
    lines.extend(window.iter().enumerate().map(|(i, choice)| {
        let row = scroll + i;
        let line = Line::from(vec![
            Span::raw(if row == selected { "▶ " } else { "  " }),
            Span::styled(
                format!("{} / ", text::cell(&choice.cluster, cluster_width)),
                theme.dim,
            ),
            Span::raw(text::fit(&choice.service, service_width)),
        ]);
        if row == selected {
            line.style(theme.selection)
        } else {
            line
        }
    }));

    let content_width = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
    let width = (content_width + 4)
        .max(title.width() as u16 + 4)
        .min(max_width);
    let area = screen.centered(Constraint::Length(width), Constraint::Length(height as u16));
    let mut block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.focused_border)
        .padding(Padding::horizontal(1))
        .title_top(Line::styled(title, theme.focused_title));
    if choices.len() > rows {
        let position = format!(" {}/{} ", (scroll + rows).min(choices.len()), choices.len());
        block = block.title_bottom(Line::styled(position, theme.dim).right_aligned());
    }
    Clear.render(area, buf);
    Paragraph::new(lines).block(block).render(area, buf);
}

/// The stack picker is at most this wide: room for a cluster and a service name.
const PICKER_WIDTH: u16 = 90;

/// `Choose a service: 2000 in this account`, with how many the filter keeps and whether
/// the listing is still going on.
fn stack_picker_title(choices: &StackChoices) -> String {
    let total = choices.total();
    let found = if choices.listing {
        format!("{total} so far, listing…")
    } else {
        format!("{total} in this account")
    };
    if choices.filter().is_empty() {
        format!(" Choose a service: {found} ")
    } else {
        format!(" Choose a service: {} of {found} ", choices.len())
    }
}

/// A one-line input (a time to jump to, a desired count, a reason): what is typed, what it
/// may be, and why it was refused.
pub fn text_input(
    buf: &mut Buffer,
    screen: Rect,
    title: &str,
    hint: &str,
    input: &FilterInput,
    theme: &Theme,
) {
    let mut lines = vec![
        Line::from(vec![
            Span::styled(input.text.clone(), theme.filter),
            Span::styled("▏", theme.filter),
        ]),
        Line::styled(hint.to_string(), theme.dim),
    ];
    if let Some(error) = &input.error {
        lines.extend(
            wrap(error, 56)
                .into_iter()
                .map(|piece| Line::styled(piece, theme.error)),
        );
    }
    framed(buf, screen, title, lines, 0, theme, 80);
}

/// Splits a line into pieces of at most `width` columns; continuations are indented.
fn wrap(line: &str, width: usize) -> Vec<String> {
    let line: String = line.chars().filter(|c| !c.is_control()).collect();
    if line.width() <= width {
        return vec![line];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    for c in line.chars() {
        let limit = if pieces.is_empty() { width } else { width - 2 };
        if current.width() + c.width().unwrap_or(0) > limit {
            // Break after the last space when there is one near the end, else mid-word.
            match current
                .rfind(' ')
                .filter(|&i| current.len() - i < 16 && i > 0)
            {
                Some(i) => {
                    let rest = current.split_off(i + 1);
                    pieces.push(std::mem::replace(&mut current, rest));
                }
                None => pieces.push(std::mem::take(&mut current)),
            }
        }
        current.push(c);
    }
    pieces.push(current);
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, p)| if i == 0 { p } else { format!("  {p}") })
        .collect()
}

fn framed(
    buf: &mut Buffer,
    screen: Rect,
    title: &str,
    lines: Vec<Line>,
    scroll: usize,
    theme: &Theme,
    max_width: u16,
) {
    let content_width = lines.iter().map(Line::width).max().unwrap_or(0) as u16;
    let width = (content_width + 4)
        .max(title.width() as u16 + 4)
        .min(max_width)
        .min(screen.width.saturating_sub(4));
    let height = (lines.len() as u16 + 2).min(screen.height.saturating_sub(2));
    let area = screen.centered(Constraint::Length(width), Constraint::Length(height));
    let inner_rows = height.saturating_sub(2) as usize;
    let scroll = scroll.min(lines.len().saturating_sub(inner_rows));
    let more = lines.len() > inner_rows + scroll;
    let mut block = Block::bordered()
        .border_type(BorderType::Double)
        .border_style(theme.focused_border)
        .padding(Padding::horizontal(1))
        .title_top(Line::styled(title.to_string(), theme.focused_title));
    if more || scroll > 0 {
        let position = format!(" {}/{} ", scroll + inner_rows.min(lines.len()), lines.len());
        block = block.title_bottom(Line::styled(position, theme.dim).right_aligned());
    }
    Clear.render(area, buf);
    Paragraph::new(lines)
        .block(block)
        .scroll((scroll as u16, 0))
        .render(area, buf);
}
