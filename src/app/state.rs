//! The whole state of the TUI. Changed only by `update`; read by the render functions.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::app::action::{Feed, PaneId};
use crate::cloud::BackendKind;
use crate::model::{
    DbInstance, EcsSnapshot, Identity, MetricsSnapshot, Millis, NetGraph, SiteSnapshot, StackRef,
    TargetGroupHealth, Topology,
};

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
use crate::ops::logs::{FilteredLines, LineFilter, Narrowing};

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
    /// Lines of the view scrolled up from the newest, when not following.
    pub scroll: usize,
    pub wrap: bool,
    pub timestamps: bool,
    /// Draw JSON lines pretty-printed over several rows.
    pub pretty_json: bool,
    /// Read the filter as a regular expression instead of a substring.
    pub regex: bool,
    pub case_sensitive: bool,
    /// The task and container the pane is narrowed to; the default keeps every stream.
    pub narrowing: Narrowing,
    /// The lines shown while filtered or narrowed, kept up to date by `update` so a frame
    /// never filters the buffer; `None` shows the whole buffer.
    pub shown: Option<FilteredLines>,
    /// Why the typed filter is not applied (a regex that does not compile).
    pub filter_error: Option<String>,
    /// AWS is sending a sample, not every line (live tail above 500 lines a second).
    pub sampled: bool,
}

impl Default for LogsPane {
    fn default() -> Self {
        LogsPane {
            follow: true,
            scroll: 0,
            wrap: false,
            timestamps: true,
            pretty_json: false,
            regex: false,
            case_sensitive: false,
            narrowing: Narrowing::default(),
            sampled: false,
            shown: None,
            filter_error: None,
        }
    }
}

/// One entry of the stream picker: a task's container as found in the buffer, or every stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamChoice {
    pub narrowing: Narrowing,
    /// Buffered lines of this choice.
    pub lines: usize,
}

/// The lines the logs pane shows, copied so a file can be written off the UI task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisibleLogs {
    pub buffer: LogBuffer,
    pub shown: Option<FilteredLines>,
}

impl VisibleLogs {
    /// The lines, oldest first.
    pub fn lines(&self) -> Box<dyn Iterator<Item = LogLine<'_>> + '_> {
        match &self.shown {
            Some(shown) => Box::new(shown.iter(&self.buffer)),
            None => Box::new(self.buffer.iter()),
        }
    }

    pub fn len(&self) -> usize {
        self.shown
            .as_ref()
            .map_or(self.buffer.len(), FilteredLines::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    /// The services of the account, to choose the dashboard's stack from; `selected` is a
    /// row of those the filter shows.
    StackPicker {
        choices: StackChoices,
        selected: usize,
    },
    /// The logs pane's choice of task and container; the first choice is every stream.
    StreamPicker {
        choices: Vec<StreamChoice>,
        selected: usize,
    },
}

/// The stack picker's services: every one listed so far, sorted by cluster and service,
/// and those the typed filter keeps. A big account is listed cluster by cluster while the
/// picker is already open, so more arrive (`listing`) and the count grows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackChoices {
    all: Vec<StackRef>,
    /// `all` in lowercase `cluster / service` form, matched against the filter.
    keys: Vec<String>,
    /// Indices into `all` of the services the filter keeps, in order.
    shown: Vec<usize>,
    filter: String,
    /// More clusters may still answer.
    pub listing: bool,
    /// Why the listing stopped before the end; the services found before it stay.
    pub error: Option<String>,
}

impl StackChoices {
    /// `found` so far; `listing` when more may come.
    pub fn new(found: Vec<StackRef>, listing: bool) -> StackChoices {
        let mut choices = StackChoices {
            listing,
            ..StackChoices::default()
        };
        choices.add(found);
        choices
    }

    /// Adds services (one cluster's, say) in their sorted places.
    pub fn add(&mut self, found: Vec<StackRef>) {
        if found.is_empty() {
            return;
        }
        self.all.extend(found);
        self.all
            .sort_by(|a, b| (&a.cluster, &a.service).cmp(&(&b.cluster, &b.service)));
        self.all.dedup();
        self.keys = self.all.iter().map(choice_key).collect();
        self.refilter();
    }

    /// Keeps only the services whose `cluster / service` holds `text` (any case).
    pub fn set_filter(&mut self, text: &str) {
        self.filter = text.to_string();
        self.refilter();
    }

    fn refilter(&mut self) {
        let needle = self.filter.to_lowercase();
        self.shown = self
            .keys
            .iter()
            .enumerate()
            .filter(|(_, key)| key.contains(&needle))
            .map(|(i, _)| i)
            .collect();
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Services listed so far, whatever the filter.
    pub fn total(&self) -> usize {
        self.all.len()
    }

    /// Services the filter keeps.
    pub fn len(&self) -> usize {
        self.shown.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// The `row`th service the filter keeps.
    pub fn get(&self, row: usize) -> Option<&StackRef> {
        self.shown.get(row).map(|&i| &self.all[i])
    }

    /// The row where `stack` is shown, if the filter keeps it.
    pub fn row_of(&self, stack: &StackRef) -> Option<usize> {
        self.shown.iter().position(|&i| &self.all[i] == stack)
    }

    /// The services the filter keeps, in order.
    pub fn shown(&self) -> impl ExactSizeIterator<Item = &StackRef> + '_ {
        self.shown.iter().map(|&i| &self.all[i])
    }
}

fn choice_key(stack: &StackRef) -> String {
    format!("{} / {}", stack.cluster, stack.service).to_lowercase()
}

/// What a line of typed text is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InputKind {
    /// The pane's filter, applied as it is typed.
    #[default]
    Filter,
    /// A time for the logs pane to jump to, applied on Enter.
    JumpToTime,
    /// The deploy wizard's tag filter, applied as it is typed.
    WizardFilter,
    /// The stack picker's filter, applied as it is typed.
    StackFilter,
    /// The desired count to scale the service to, checked on Enter.
    ScaleCount,
    /// Why a task is being stopped (ECS records it as the stopped reason).
    StopReason,
    /// The answer to the bootstrap wizard's selected question, checked on Enter.
    BootstrapAnswer,
    /// The build directory to deploy to the site, checked on Enter.
    SiteDir,
}

/// Text being typed into the focused pane: a filter, or a time to jump to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterInput {
    pub pane: PaneId,
    pub text: String,
    pub kind: InputKind,
    /// Why the text was refused on Enter; the text stays so it can be corrected.
    pub error: Option<String>,
}

impl FilterInput {
    pub fn filter(pane: PaneId, text: impl Into<String>) -> FilterInput {
        FilterInput {
            pane,
            text: text.into(),
            kind: InputKind::Filter,
            error: None,
        }
    }

    pub fn jump_to_time() -> FilterInput {
        FilterInput {
            pane: PaneId::Logs,
            text: String::new(),
            kind: InputKind::JumpToTime,
            error: None,
        }
    }
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
    pub site: Loaded<SiteSnapshot>,
    /// CloudWatch series for the sparklines; panes draw without them until they arrive.
    pub metrics: Loaded<MetricsSnapshot>,
    pub logs: LogBuffer,
    pub logs_at: Option<Millis>,
    pub logs_error: Option<String>,
    /// Derived from the feeds above whenever one of them changes.
    pub graph: NetGraph,
    /// Risks in how the stack is wired, most severe first; derived like the graph.
    pub findings: Vec<crate::ops::findings::Finding>,

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
    pub site_selected: usize,
    pub logs_pane: LogsPane,

    /// The deploy wizard or rollback picker, over the dashboard.
    pub wizard: Option<crate::app::screens::Wizard>,
    /// A mutation waiting for the user's yes, over everything.
    pub confirm: Option<crate::app::screens::Confirm>,
    /// The release being (or last) watched; shown over the dashboard unless hidden.
    pub release: Option<crate::app::screens::ReleaseWatch>,
    /// The stack is marked `production = true`: confirmations want the service name typed.
    pub production: bool,
    /// A bootstrap or teardown being (or last) followed; shown over the dashboard unless
    /// hidden.
    pub provision: Option<crate::app::screens::ProvisionView>,
    /// The ECS feed says the stack's cluster or service is not there: the screen offers to
    /// bootstrap one.
    pub stack_absent: bool,
    /// The config file a bootstrapped stack is remembered in.
    pub config_path: Option<PathBuf>,

    /// Keys of an unfinished sequence, e.g. `g` while waiting for `gg`.
    pub pending_keys: String,
    pub last_error: Option<String>,
    /// The outcome of the last thing the user asked for, e.g. where logs were exported.
    pub notice: Option<String>,
    /// The build directory the last site deploy came from, offered again.
    pub site_dir: Option<std::path::PathBuf>,
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
            site: Loaded::default(),
            metrics: Loaded::default(),
            logs: LogBuffer::new(log_capacity),
            logs_at: None,
            logs_error: None,
            graph: NetGraph::default(),
            findings: Vec::new(),
            focus: PaneId::Network,
            zoomed: false,
            popup: None,
            input: None,
            filters: HashMap::new(),
            network_selected: 0,
            ecs_pane: EcsPane::default(),
            targets_selected: 0,
            rds_selected: 0,
            site_selected: 0,
            logs_pane: LogsPane::default(),
            wizard: None,
            confirm: None,
            release: None,
            production: false,
            provision: None,
            stack_absent: false,
            config_path: None,
            pending_keys: String::new(),
            last_error: None,
            site_dir: None,
            notice: None,
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
            Feed::Metrics => self.metrics.at,
            Feed::Site => self.site.at,
        }
    }

    /// Whether the stack has an edge to show: CloudFront or a site bucket.
    pub fn has_site(&self) -> bool {
        self.topology
            .data
            .as_ref()
            .is_some_and(|t| !t.edge.is_empty())
    }

    /// The filter applied to a pane: the one being typed, else the committed one.
    pub fn filter_for(&self, pane: PaneId) -> Option<&str> {
        match &self.input {
            Some(input) if input.pane == pane && input.kind == InputKind::Filter => {
                Some(input.text.as_str())
            }
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

    /// How many lines the logs pane shows (filtered and narrowed).
    pub fn log_view_len(&self) -> usize {
        self.logs_pane
            .shown
            .as_ref()
            .map_or(self.logs.len(), FilteredLines::len)
    }

    /// The `n`-th line the logs pane shows, counting back from the newest.
    pub fn log_line_back(&self, n: usize) -> Option<LogLine<'_>> {
        match &self.logs_pane.shown {
            Some(shown) => shown.get_back(n, &self.logs),
            None => self.logs.get_back(n),
        }
    }

    /// The logs filter whose matches are highlighted: a typed, valid, non-empty one.
    pub fn log_filter(&self) -> Option<&LineFilter> {
        self.logs_pane
            .shown
            .as_ref()
            .map(FilteredLines::filter)
            .filter(|f| !f.spec().pattern.is_empty())
    }

    /// A copy of the lines the logs pane shows, for writing to a file.
    pub fn visible_logs(&self) -> VisibleLogs {
        VisibleLogs {
            buffer: self.logs.clone(),
            shown: self.logs_pane.shown.clone(),
        }
    }

    /// Where the logs pane exports to by default: the working directory, named by stack
    /// and UTC time so exports never overwrite each other.
    pub fn default_export_path(&self) -> PathBuf {
        let at = chrono::DateTime::from_timestamp_millis(self.now)
            .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
            .unwrap_or_else(|| self.now.to_string());
        PathBuf::from(format!("./opsdeck-logs-{}-{at}.log", self.stack.name))
    }
}

#[cfg(test)]
impl AppState {
    /// The sandbox's "umami" stack with nothing loaded yet, for unit tests.
    pub(crate) fn for_tests() -> AppState {
        AppState::new(
            BackendKind::Sandbox {
                scenario: "healthy".into(),
            },
            StackRef {
                name: "umami".into(),
                region: "eu-west-2".into(),
                cluster: "umami".into(),
                service: "umami".into(),
            },
            false,
            100,
        )
    }
}
