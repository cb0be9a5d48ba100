//! A bootstrap or teardown being followed: CloudFormation's resources as they change, and
//! how it ended. Like a release watch it lives on when hidden.

use crate::model::StackRef;
use crate::ops::bootstrap::provision::{ApplyOutcome, ApplyProgress, Board, TeardownOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProvisionKind {
    /// A change set executed by the wizard.
    Create,
    /// An operation CloudFormation was already running when the wizard planned.
    Reattach,
    Teardown,
}

impl ProvisionKind {
    pub fn name(self) -> &'static str {
        match self {
            ProvisionKind::Create => "Bootstrap",
            ProvisionKind::Reattach => "Bootstrap (re-attached)",
            ProvisionKind::Teardown => "Teardown",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProvisionEnd {
    Applied(Box<ApplyOutcome>),
    TornDown(Box<TeardownOutcome>),
    /// It could not run (refused, read-only, the stack is not opsdeck's).
    Refused(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionView {
    pub kind: ProvisionKind,
    /// The stack it is about; a bootstrap's dashboard opens on it at the end.
    pub stack: StackRef,
    /// One row per resource, folded from the progress reports; its times are the
    /// backend's (the sandbox's clock is virtual), so the view's clock comes from it.
    pub board: Board,
    /// The last poll that failed, until one succeeds again.
    pub unseen: Option<String>,
    pub end: Option<ProvisionEnd>,
    /// After a bootstrap that succeeded: where the stack was remembered, or why it was not.
    pub remembered: Option<Result<String, String>>,
    pub shown: bool,
    pub scroll: usize,
}

impl ProvisionView {
    pub fn new(kind: ProvisionKind, stack: StackRef) -> ProvisionView {
        ProvisionView {
            kind,
            stack,
            board: Board::default(),
            unseen: None,
            end: None,
            remembered: None,
            shown: true,
            scroll: 0,
        }
    }

    pub fn is_running(&self) -> bool {
        self.end.is_none()
    }

    pub fn progress(&mut self, progress: ApplyProgress) {
        match progress {
            ApplyProgress::Started { status, .. } => {
                self.board.stack_status = Some(status.to_string());
            }
            ApplyProgress::Event { line } => {
                self.board.fold(line);
                self.unseen = None;
            }
            ApplyProgress::Unseen { reason } => self.unseen = Some(reason),
        }
    }

    /// The end; the outcome's board is the whole story, so it replaces the folded one.
    pub fn ended(&mut self, end: ProvisionEnd) {
        match &end {
            ProvisionEnd::Applied(outcome) if !outcome.board.rows.is_empty() => {
                self.board = outcome.board.clone();
            }
            ProvisionEnd::TornDown(outcome) if !outcome.board.rows.is_empty() => {
                self.board = outcome.board.clone();
            }
            _ => {}
        }
        self.unseen = None;
        self.end = Some(end);
    }
}
