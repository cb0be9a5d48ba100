//! The screens that change the stack: the deploy wizard, the rollback picker, the
//! bootstrap wizard, the confirmation every mutation asks for, the live view of a release
//! being watched and that of a bootstrap or teardown. Each has its own state here, its own
//! update in `app/update` and its own draw in `ui`.

pub mod bootstrap;
pub mod confirm;
pub mod deploy;
pub mod provision;
pub mod rollback;
pub mod watch;

pub use bootstrap::{BootstrapStep, BootstrapWizard};
pub use confirm::{Confirm, Job};
pub use deploy::{DeployStep, DeployWizard};
pub use provision::{ProvisionEnd, ProvisionKind, ProvisionView};
pub use rollback::RollbackPicker;
pub use watch::{ReleaseKind, ReleaseWatch};

/// Something a worker is fetching for a screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Loading<T> {
    #[default]
    Waiting,
    Ready(T),
    /// Why it could not be had, as the user should read it.
    Failed(String),
}

impl<T> Loading<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loading::Ready(value) => Some(value),
            _ => None,
        }
    }
}

impl<T> From<Result<T, String>> for Loading<T> {
    fn from(result: Result<T, String>) -> Self {
        match result {
            Ok(value) => Loading::Ready(value),
            Err(error) => Loading::Failed(error),
        }
    }
}

/// The wizard open over the dashboard, if any.
#[derive(Debug, Clone, PartialEq)]
pub enum Wizard {
    // The two wizards are boxed: they are far larger than the picker.
    Deploy(Box<DeployWizard>),
    Rollback(RollbackPicker),
    Bootstrap(Box<BootstrapWizard>),
}
