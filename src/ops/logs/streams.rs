//! Which log streams hold a service's logs, from its task definition's awslogs options.
//!
//! The awslogs driver names a task's stream `<stream-prefix>/<container>/<task-id>`, so a
//! service's logs are every stream under `<stream-prefix>/<container>/` of each of its
//! containers, stopped tasks' included: that is where a crash is explained. Streams are
//! picked by that name, never by "the latest stream in the group".

use std::collections::BTreeMap;

use crate::model::{AwsLogsConfig, LogQuery, TaskDefinition};

/// What the user narrowed the logs to (`--task`, `--container`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Narrowing {
    /// A task id, or a task ARN (its last segment is the id).
    pub task: Option<String>,
    pub container: Option<String>,
}

impl Narrowing {
    /// Whether a buffered line from `stream` (`<prefix>/<container>/<task-id>`) is kept:
    /// the same narrowing the tail applies server-side, applied to lines already held.
    pub fn keeps(&self, stream: &str) -> bool {
        use super::buffer::{stream_container, stream_task_id};
        self.task
            .as_deref()
            .is_none_or(|task| stream_task_id(stream) == task_id(task))
            && self
                .container
                .as_deref()
                .is_none_or(|container| stream_container(stream) == container)
    }

    /// Whether it keeps every line.
    pub fn is_everything(&self) -> bool {
        self.task.is_none() && self.container.is_none()
    }
}

/// The streams of one log group that a tail reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStreams {
    pub group: String,
    pub region: String,
    pub streams: StreamSet,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamSet {
    /// Every stream whose name starts with one of these (`<prefix>/<container>/`).
    Prefixes(Vec<String>),
    /// Exactly these streams (one task's).
    Names(Vec<String>),
}

/// Every group and stream a tail reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSelection {
    pub groups: Vec<GroupStreams>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error(
        "task definition {family} sends no container's logs to CloudWatch (no awslogs log driver)"
    )]
    NoAwsLogs { family: String },
    #[error("task definition {family} has no container named {name}; its containers: {known}")]
    UnknownContainer {
        family: String,
        name: String,
        known: String,
    },
    #[error("container {name} does not send its logs to CloudWatch (no awslogs log driver)")]
    ContainerWithoutLogs { name: String },
}

/// The streams of a service's containers, narrowed to one task or container if asked.
pub fn service_streams(
    definition: &TaskDefinition,
    narrowing: &Narrowing,
) -> Result<StreamSelection, SelectionError> {
    let containers = chosen_containers(definition, narrowing.container.as_deref())?;
    let task = narrowing.task.as_deref().map(task_id);
    let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (name, logs) in containers {
        let base = container_prefix(logs, name);
        let wanted = match task {
            Some(task) => format!("{base}{task}"),
            None => base,
        };
        groups
            .entry((logs.group.clone(), logs.region.clone()))
            .or_default()
            .push(wanted);
    }
    Ok(StreamSelection {
        groups: groups
            .into_iter()
            .map(|((group, region), names)| GroupStreams {
                group,
                region,
                streams: if task.is_some() {
                    StreamSet::Names(names)
                } else {
                    StreamSet::Prefixes(names)
                },
            })
            .collect(),
    })
}

fn chosen_containers<'a>(
    definition: &'a TaskDefinition,
    container: Option<&str>,
) -> Result<Vec<(&'a str, &'a AwsLogsConfig)>, SelectionError> {
    if let Some(wanted) = container {
        let found = definition
            .containers
            .iter()
            .find(|c| c.name == wanted)
            .ok_or_else(|| SelectionError::UnknownContainer {
                family: definition.family.clone(),
                name: wanted.to_string(),
                known: definition
                    .containers
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let logs = found
            .logs
            .as_ref()
            .ok_or_else(|| SelectionError::ContainerWithoutLogs {
                name: wanted.to_string(),
            })?;
        return Ok(vec![(found.name.as_str(), logs)]);
    }
    let all: Vec<_> = definition
        .containers
        .iter()
        .filter_map(|c| c.logs.as_ref().map(|logs| (c.name.as_str(), logs)))
        .collect();
    if all.is_empty() {
        return Err(SelectionError::NoAwsLogs {
            family: definition.family.clone(),
        });
    }
    Ok(all)
}

/// `<prefix>/<container>/`; without a prefix (EC2 tasks) streams are not named by container.
fn container_prefix(logs: &AwsLogsConfig, container: &str) -> String {
    if logs.stream_prefix.is_empty() {
        String::new()
    } else {
        format!("{}/{container}/", logs.stream_prefix)
    }
}

/// The id in a task id or ARN (`arn:aws:ecs:…:task/<cluster>/<id>`).
pub fn task_id(task: &str) -> &str {
    task.rsplit('/').next().unwrap_or(task)
}

impl GroupStreams {
    /// The FilterLogEvents query that reads these streams, from `start`. With several
    /// containers in one group it reads their common prefix; [`GroupStreams::contains`]
    /// then drops what is not theirs, so one call per poll covers the group.
    pub fn query(&self, start: Option<i64>, filter_pattern: Option<&str>) -> LogQuery {
        let (stream_prefix, streams) = match &self.streams {
            StreamSet::Names(names) => (None, names.clone()),
            StreamSet::Prefixes(prefixes) => {
                let common = common_prefix(prefixes);
                (Some(common).filter(|p| !p.is_empty()), Vec::new())
            }
        };
        LogQuery {
            group: self.group.clone(),
            stream_prefix,
            streams,
            start,
            filter_pattern: filter_pattern.map(str::to_string),
            ..LogQuery::default()
        }
    }

    /// Whether an event of `stream` belongs to this selection.
    pub fn contains(&self, stream: &str) -> bool {
        match &self.streams {
            StreamSet::Names(names) => names.iter().any(|n| n == stream),
            StreamSet::Prefixes(prefixes) => prefixes.iter().any(|p| stream.starts_with(p)),
        }
    }
}

fn common_prefix(prefixes: &[String]) -> String {
    let Some(first) = prefixes.first() else {
        return String::new();
    };
    let mut len = first.len();
    for other in &prefixes[1..] {
        len = first
            .bytes()
            .zip(other.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    // Stay on a char boundary: the prefix is cut where the names differ.
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    first[..len].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContainerDefinition, TaskDefinitionStatus};

    fn container(name: &str, group: Option<&str>) -> ContainerDefinition {
        ContainerDefinition {
            name: name.into(),
            image: "img".into(),
            essential: true,
            port: None,
            environment: Vec::new(),
            secrets: Vec::new(),
            logs: group.map(|g| AwsLogsConfig {
                group: g.into(),
                region: "eu-west-2".into(),
                stream_prefix: "ecs".into(),
            }),
            health_check: None,
        }
    }

    fn definition(containers: Vec<ContainerDefinition>) -> TaskDefinition {
        TaskDefinition {
            arn: "arn:td/web:3".into(),
            family: "web".into(),
            revision: 3,
            status: TaskDefinitionStatus::Active,
            cpu: "256".into(),
            memory: "512".into(),
            containers,
            registered_at: 0,
            tags: Vec::new(),
            task_role_arn: None,
            execution_role_arn: None,
        }
    }

    #[test]
    fn a_service_reads_every_container_prefix_in_one_query_per_group() {
        let def = definition(vec![
            container("app", Some("/ecs/web")),
            container("proxy", Some("/ecs/web")),
            container("init", None),
        ]);
        let selection = service_streams(&def, &Narrowing::default()).expect("selection");
        let [group] = selection.groups.as_slice() else {
            panic!("one group: {selection:?}")
        };
        let query = group.query(Some(5), None);
        assert_eq!(query.stream_prefix.as_deref(), Some("ecs/"));
        assert!(group.contains("ecs/app/t1") && group.contains("ecs/proxy/t1"));
        assert!(!group.contains("ecs/other-service/t1"));
    }

    #[test]
    fn task_and_container_narrow_to_exact_streams() {
        let def = definition(vec![
            container("app", Some("/ecs/web")),
            container("proxy", Some("/ecs/web")),
        ]);
        let narrowing = Narrowing {
            task: Some("arn:aws:ecs:eu-west-2:1:task/web/abc".into()),
            container: Some("proxy".into()),
        };
        let selection = service_streams(&def, &narrowing).expect("selection");
        assert_eq!(
            selection.groups[0].streams,
            StreamSet::Names(vec!["ecs/proxy/abc".into()])
        );
        let unknown = Narrowing {
            container: Some("db".into()),
            ..Narrowing::default()
        };
        assert!(matches!(
            service_streams(&def, &unknown),
            Err(SelectionError::UnknownContainer { .. })
        ));
    }
}
