//! The deploy wizard: pick a tag (filterable), the container when there are several, the
//! options, then a summary to confirm.

use super::Loading;
use crate::model::TaskDefinition;
use crate::ops::release::{DeployPlan, ImageList, ImageRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeployStep {
    #[default]
    Tag,
    /// Only when the task definition has more than one container.
    Container,
    /// Old and new image, digest, options; Enter asks for confirmation.
    Summary,
}

/// What the wizard needs before the first choice: the repository's images and the
/// service's current task definition (its containers).
#[derive(Debug, Clone, PartialEq)]
pub struct DeployChoices {
    pub images: ImageList,
    pub current: TaskDefinition,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeployWizard {
    pub step: DeployStep,
    pub choices: Loading<DeployChoices>,
    /// Typed with `/`: narrows the tags by substring.
    pub filter: String,
    /// Index into [`DeployWizard::shown_images`].
    pub selected: usize,
    /// Index into the current task definition's containers.
    pub container: usize,
    pub rollback_on_failure: bool,
    pub snapshot: bool,
    /// The resolved plan for the summary; asked for when the summary opens and again
    /// whenever a choice that changes it does.
    pub plan: Option<Loading<DeployPlan>>,
}

impl DeployWizard {
    /// The images the tag list shows, filter applied, newest first.
    pub fn shown_images(&self) -> Vec<&ImageRow> {
        let Some(choices) = self.choices.ready() else {
            return Vec::new();
        };
        let filter = self.filter.to_lowercase();
        choices
            .images
            .images
            .iter()
            .filter(|row| {
                filter.is_empty()
                    || row
                        .image
                        .tags
                        .iter()
                        .any(|t| t.to_lowercase().contains(&filter))
                    || row.image.digest.contains(&filter)
            })
            .collect()
    }

    pub fn selected_image(&self) -> Option<&ImageRow> {
        self.shown_images().get(self.selected).copied()
    }

    /// What to ask `plan_deploy` for: a tag when the image has one, else its digest.
    pub fn image_reference(&self) -> Option<String> {
        let row = self.selected_image()?;
        Some(
            row.image
                .tags
                .first()
                .cloned()
                .unwrap_or_else(|| row.image.digest.clone()),
        )
    }

    pub fn containers(&self) -> Vec<&str> {
        self.choices.ready().map_or_else(Vec::new, |c| {
            c.current
                .containers
                .iter()
                .map(|c| c.name.as_str())
                .collect()
        })
    }

    pub fn container_name(&self) -> Option<String> {
        self.containers()
            .get(self.container)
            .map(|name| (*name).to_string())
    }
}
