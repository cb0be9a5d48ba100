//! The whole state of the TUI. Changed only by `update`; read by the render functions.

use std::collections::HashMap;

use crate::app::action::{EcsSnapshot, Feed, PaneId};
use crate::cloud::BackendKind;
use crate::model::{DbInstance, Identity, Millis, NetGraph, StackRef, TargetGroupHealth, Topology};

/// One feed's latest data and how fresh it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    pub data: Option<T>,
    /// Wall-clock time of the last successful load.
    pub at: Option<Millis>,
    /// The last failure, cleared by the next success.
    pub error: Option<String>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            data: None,
            at: None,
            error: None,
        }
    }
}

/// The logs pane's store; it lives with the tail engine in `ops::logs`.
pub use crate::ops::logs::buffer::{LogBuffer, LogLine};

/// Which part of the ECS pane the selection is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EcsLevel {
    #[default]
    Services,
    /// Drilled into the selected service: its tasks.
    Tasks,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EcsPane {
    pub level: EcsLevel,
    pub service: usize,
    pub task: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsPane {
    pub follow: bool,
    /// Lines scrolled up from the newest, when not following.
    pub scroll: usize,
    pub wrap: bool,
    pub timestamps: bool,
}

impl Default for LogsPane {
    fn default() -> Self {
        LogsPane {
            follow: true,
            scroll: 0,
            wrap: false,
            timestamps: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// Key help for the layer that was focused when it opened.
    Help { scroll: usize },
    /// Details of a selected row (task, target, node).
    Detail {
        title: String,
        lines: Vec<String>,
        scroll: usize,
    },
}

/// A filter being typed into the focused pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterInput {
    pub pane: PaneId,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub backend: BackendKind,
    pub stack: StackRef,
    pub read_only: bool,
    pub identity: Option<Identity>,

    pub topology: Loaded<Topology>,
    pub ecs: Loaded<EcsSnapshot>,
    pub targets: Loaded<Vec<TargetGroupHealth>>,
    pub rds: Loaded<Vec<DbInstance>>,
    pub logs: LogBuffer,
    pub logs_at: Option<Millis>,
    pub logs_error: Option<String>,
    /// Derived from the feeds above whenever one of them changes.
    pub graph: NetGraph,

    pub focus: PaneId,
    pub zoomed: bool,
    pub popup: Option<Popup>,
    pub input: Option<FilterInput>,
    /// Committed filters per pane (substring, case-insensitive).
    pub filters: HashMap<PaneId, String>,
    pub network_selected: usize,
    pub ecs_pane: EcsPane,
    pub targets_selected: usize,
    pub rds_selected: usize,
    pub logs_pane: LogsPane,

    /// Keys of an unfinished sequence, e.g. `g` while waiting for `gg`.
    pub pending_keys: String,
    pub last_error: Option<String>,
    /// Wall-clock now, from the last tick.
    pub now: Millis,
    pub width: u16,
    pub height: u16,
    pub should_quit: bool,
}

impl AppState {
    pub fn new(
        backend: BackendKind,
        stack: StackRef,
        read_only: bool,
        log_capacity: usize,
    ) -> Self {
        AppState {
            backend,
            stack,
            read_only,
            identity: None,
            topology: Loaded::default(),
            ecs: Loaded::default(),
            targets: Loaded::default(),
            rds: Loaded::default(),
            logs: LogBuffer::new(log_capacity),
            logs_at: None,
            logs_error: None,
            graph: NetGraph::default(),
            focus: PaneId::Network,
            zoomed: false,
            popup: None,
            input: None,
            filters: HashMap::new(),
            network_selected: 0,
            ecs_pane: EcsPane::default(),
            targets_selected: 0,
            rds_selected: 0,
            logs_pane: LogsPane::default(),
            pending_keys: String::new(),
            last_error: None,
            now: 0,
            width: 0,
            height: 0,
            should_quit: false,
        }
    }

    /// When a feed last loaded successfully.
    pub fn feed_at(&self, feed: Feed) -> Option<Millis> {
        match feed {
            Feed::Topology => self.topology.at,
            Feed::Ecs => self.ecs.at,
            Feed::Targets => self.targets.at,
            Feed::Rds => self.rds.at,
            Feed::Logs => self.logs_at,
        }
    }

    /// The filter applied to a pane: the one being typed, else the committed one.
    pub fn filter_for(&self, pane: PaneId) -> Option<&str> {
        match &self.input {
            Some(input) if input.pane == pane => Some(input.text.as_str()),
            _ => self.filters.get(&pane).map(String::as_str),
        }
        .filter(|f| !f.is_empty())
    }

    /// The ECS service the dashboard is about, if loaded.
    pub fn stack_service(&self) -> Option<&crate::model::Service> {
        self.ecs
            .data
            .as_ref()?
            .services
            .iter()
            .find(|s| s.name == self.stack.service)
    }
}
