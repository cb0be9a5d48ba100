//! What differs between two task-definition revisions, as the rollback picker and the CLI
//! show it. Secret values are never read; a secret shows only whether it is set.

use std::collections::BTreeSet;

use super::Change;
use crate::model::{ContainerDefinition, ContainerHealthCheck, TaskDefinition};

const ABSENT: &str = "-";

/// Every difference from `from` (running) to `to` (the chosen revision): per container its
/// image, environment names and values, secret names, port and health check; the task's cpu
/// and memory. Containers come in `to`'s order, then those only `from` has.
pub fn changes(from: &TaskDefinition, to: &TaskDefinition) -> Vec<Change> {
    let mut out = Vec::new();
    push(&mut out, "cpu".into(), &from.cpu, &to.cpu);
    push(&mut out, "memory".into(), &from.memory, &to.memory);
    let mut names: Vec<&str> = to.containers.iter().map(|c| c.name.as_str()).collect();
    for c in &from.containers {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    for name in names {
        let before = from.containers.iter().find(|c| c.name == name);
        let after = to.containers.iter().find(|c| c.name == name);
        container_changes(&mut out, name, before, after);
    }
    out
}

fn container_changes(
    out: &mut Vec<Change>,
    name: &str,
    before: Option<&ContainerDefinition>,
    after: Option<&ContainerDefinition>,
) {
    if before.is_none() || after.is_none() {
        push(
            out,
            format!("container {name}"),
            if before.is_some() { "present" } else { ABSENT },
            if after.is_some() { "present" } else { ABSENT },
        );
    }
    let image = |c: Option<&ContainerDefinition>| c.map_or(ABSENT.to_string(), |c| c.image.clone());
    push(out, format!("image {name}"), &image(before), &image(after));
    let env_names: BTreeSet<&str> = [before, after]
        .into_iter()
        .flatten()
        .flat_map(|c| c.environment.iter().map(|(k, _)| k.as_str()))
        .collect();
    for key in env_names {
        let value = |c: Option<&ContainerDefinition>| {
            c.and_then(|c| c.environment.iter().find(|(k, _)| k == key))
                .map_or(ABSENT.to_string(), |(_, v)| v.clone())
        };
        push(out, format!("env {key}"), &value(before), &value(after));
    }
    let secret_names: BTreeSet<&str> = [before, after]
        .into_iter()
        .flatten()
        .flat_map(|c| c.secrets.iter().map(|(k, _)| k.as_str()))
        .collect();
    for key in secret_names {
        let source = |c: Option<&ContainerDefinition>| {
            c.and_then(|c| c.secrets.iter().find(|(k, _)| k == key))
                .map(|(_, from)| from.clone())
        };
        let (b, a) = (source(before), source(after));
        // The valueFrom is an ARN, not the secret, but showing only set/- keeps the rule simple:
        // a changed source is still worth a line.
        let (b_text, a_text) = match (b, a) {
            (Some(x), Some(y)) if x != y => ("set", "set (another source)"),
            (b, a) => (
                if b.is_some() { "set" } else { ABSENT },
                if a.is_some() { "set" } else { ABSENT },
            ),
        };
        push(out, format!("secret {key}"), b_text, a_text);
    }
    let port = |c: Option<&ContainerDefinition>| {
        c.and_then(|c| c.port)
            .map_or(ABSENT.to_string(), |p| p.to_string())
    };
    push(out, format!("port {name}"), &port(before), &port(after));
    let check = |c: Option<&ContainerDefinition>| {
        c.and_then(|c| c.health_check.as_ref())
            .map_or(ABSENT.to_string(), health_check_text)
    };
    push(
        out,
        format!("health check {name}"),
        &check(before),
        &check(after),
    );
}

fn health_check_text(check: &ContainerHealthCheck) -> String {
    format!(
        "{} (every {}s, timeout {}s, {} retries, start {}s)",
        check.command.join(" "),
        check.interval_s,
        check.timeout_s,
        check.retries,
        check.start_period_s
    )
}

fn push(out: &mut Vec<Change>, field: String, before: &str, after: &str) {
    if before != after {
        out.push(Change {
            field,
            before: before.to_string(),
            after: after.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskDefinitionStatus;

    fn definition(image: &str, env: &[(&str, &str)], secret: Option<&str>) -> TaskDefinition {
        TaskDefinition {
            arn: "arn:aws:ecs:eu-west-2:1:task-definition/umami:1".into(),
            family: "umami".into(),
            revision: 1,
            status: TaskDefinitionStatus::Active,
            cpu: "256".into(),
            memory: "512".into(),
            containers: vec![ContainerDefinition {
                name: "umami".into(),
                image: image.into(),
                essential: true,
                port: Some(3000),
                environment: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                secrets: secret
                    .map(|s| vec![("DATABASE_URL".to_string(), s.to_string())])
                    .unwrap_or_default(),
                logs: None,
                health_check: None,
            }],
            registered_at: 0,
            tags: Vec::new(),
            task_role_arn: None,
            execution_role_arn: None,
        }
    }

    #[test]
    fn lists_image_env_and_secret_names_but_never_secret_values() {
        let from = definition("repo:v2", &[("A", "1"), ("B", "2")], Some("arn:secret:one"));
        let mut to = definition("repo:v1", &[("A", "1"), ("C", "3")], None);
        to.memory = "1024".into();
        let changes = changes(&from, &to);
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "memory",
                "image umami",
                "env B",
                "env C",
                "secret DATABASE_URL"
            ]
        );
        let secret = &changes[4];
        assert_eq!(
            (secret.before.as_str(), secret.after.as_str()),
            ("set", "-")
        );
        assert!(
            changes
                .iter()
                .all(|c| !c.before.contains("arn:secret") && !c.after.contains("arn:secret"))
        );
    }

    #[test]
    fn the_same_revision_has_no_changes() {
        let one = definition("repo:v2", &[("A", "1")], Some("s"));
        assert!(changes(&one, &one.clone()).is_empty());
    }
}
