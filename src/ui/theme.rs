//! Colours and styles of every drawn thing, passed in so a test or a user file can swap them.

use ratatui::style::{Color, Modifier, Style};

use crate::model::Health;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub ok: Style,
    pub pending: Style,
    pub warning: Style,
    pub failed: Style,
    pub unknown: Style,
    pub border: Style,
    pub focused_border: Style,
    pub title: Style,
    pub focused_title: Style,
    /// Column headers and section captions inside panes.
    pub header: Style,
    pub selection: Style,
    pub dim: Style,
    pub error: Style,
    pub filter: Style,
    pub filter_match: Style,
    pub badge: Style,
    pub log_error: Style,
    pub log_warn: Style,
    pub log_info: Style,
    pub log_debug: Style,
    pub log_time: Style,
    /// Colours for task ids in the logs pane; a task keeps its colour for its whole life.
    pub task_palette: Vec<Color>,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            ok: Style::new().fg(Color::Green),
            pending: Style::new().fg(Color::Cyan),
            warning: Style::new().fg(Color::Yellow),
            failed: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            unknown: Style::new().fg(Color::Gray),
            border: Style::new().fg(Color::DarkGray),
            focused_border: Style::new().fg(Color::LightCyan),
            title: Style::new().fg(Color::Gray),
            focused_title: Style::new()
                .fg(Color::LightCyan)
                .add_modifier(Modifier::BOLD),
            header: Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selection: Style::new().bg(Color::Rgb(40, 60, 90)),
            dim: Style::new().fg(Color::DarkGray),
            error: Style::new().fg(Color::Red),
            filter: Style::new().fg(Color::LightYellow),
            filter_match: Style::new().fg(Color::Black).bg(Color::LightYellow),
            badge: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            log_error: Style::new().fg(Color::Red),
            log_warn: Style::new().fg(Color::Yellow),
            log_info: Style::new().fg(Color::Reset),
            log_debug: Style::new().fg(Color::DarkGray),
            log_time: Style::new().fg(Color::DarkGray),
            task_palette: vec![
                Color::LightBlue,
                Color::LightMagenta,
                Color::LightGreen,
                Color::LightCyan,
                Color::Magenta,
                Color::Blue,
                Color::LightYellow,
                Color::Cyan,
            ],
        }
    }
}

impl Theme {
    pub fn health(&self, health: Health) -> Style {
        match health {
            Health::Ok => self.ok,
            Health::Pending => self.pending,
            Health::Warning => self.warning,
            Health::Failed => self.failed,
            Health::Unknown => self.unknown,
        }
    }

    /// A stable colour for a task id: the same task is the same colour on every frame.
    pub fn task_colour(&self, task_id: &str) -> Style {
        // FNV-1a: stable across runs and builds, unlike std's randomly seeded hasher.
        let hash = task_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        match self.task_palette.len() {
            0 => Style::new(),
            n => Style::new().fg(self.task_palette[(hash % n as u64) as usize]),
        }
    }
}
