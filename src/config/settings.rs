//! `config.toml` read into a [`Config`]: every value checked, every error naming its field.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use toml::de::{DeTable, DeValue};

use super::source::{
    Located, SourceFile, Value, boolean, in_file_order, integer, non_empty_string, sub_table,
    unknown_field, wrong_type,
};
use super::{Config, RefreshIntervals, SiteConfig, StackConfig};

/// Faster than this would hammer the AWS APIs; slower than this is not "live" any more.
const REFRESH_SECONDS: RangeInclusive<f64> = 0.1..=3600.0;
/// Shorter than a second fails slow but healthy calls; longer than five minutes is a hang.
const CALL_TIMEOUT_SECONDS: RangeInclusive<f64> = 1.0..=300.0;
/// Below this the logs pane is useless; above it the buffer alone could use gigabytes.
const LOG_BUFFER_LINES: RangeInclusive<i64> = 100..=10_000_000;

const TOP_FIELDS: &[&str] = &[
    "theme",
    "read_only",
    "log_buffer_lines",
    "call_timeout",
    "refresh",
    "stacks",
];
const REFRESH_FIELDS: &[&str] = &[
    "ecs", "targets", "rds", "topology", "logs", "metrics", "site",
];
const STACK_FIELDS: &[&str] = &[
    "profile",
    "region",
    "cluster",
    "service",
    "production",
    "site",
];
const SITE_FIELDS: &[&str] = &["bucket", "distribution"];

pub(super) fn parse_config(source: SourceFile<'_>) -> Result<Config, Located> {
    let document = source.parse()?;
    let mut config = Config::default();
    for (key, value) in in_file_order(document.get_ref()) {
        match key.get_ref().as_ref() {
            "theme" => config.theme = non_empty_string("theme", value)?,
            "read_only" => config.read_only = boolean("read_only", value)?,
            "log_buffer_lines" => config.log_buffer_lines = log_buffer_lines(value)?,
            "refresh" => config.refresh = refresh(sub_table("refresh", value)?)?,
            "call_timeout" => config.call_timeout_ms = call_timeout(value)?,
            "stacks" => config.stacks = stacks(sub_table("stacks", value)?)?,
            _ => return Err(unknown_field(key, "", TOP_FIELDS)),
        }
    }
    Ok(config)
}

fn refresh(table: &DeTable<'_>) -> Result<RefreshIntervals, Located> {
    let mut refresh = RefreshIntervals::default();
    for (key, value) in in_file_order(table) {
        let name = key.get_ref().as_ref();
        let slot = match name {
            "ecs" => &mut refresh.ecs_ms,
            "targets" => &mut refresh.targets_ms,
            "rds" => &mut refresh.rds_ms,
            "topology" => &mut refresh.topology_ms,
            "logs" => &mut refresh.logs_ms,
            "metrics" => &mut refresh.metrics_ms,
            "site" => &mut refresh.site_ms,
            _ => return Err(unknown_field(key, "refresh.", REFRESH_FIELDS)),
        };
        *slot = refresh_millis(&format!("refresh.{name}"), value)?;
    }
    Ok(refresh)
}

fn refresh_millis(field: &str, value: &Value<'_>) -> Result<u64, Located> {
    let seconds = number(field, value)?;
    if !REFRESH_SECONDS.contains(&seconds) {
        return Err(Located::new(
            value.span(),
            format!(
                "{field} = {seconds} is out of range; give a number of seconds between {} and {}",
                REFRESH_SECONDS.start(),
                REFRESH_SECONDS.end()
            ),
        ));
    }
    // In range, so the product is a small positive number and the cast cannot truncate.
    Ok((seconds * 1000.0).round() as u64)
}

fn call_timeout(value: &Value<'_>) -> Result<u64, Located> {
    let seconds = number("call_timeout", value)?;
    if !CALL_TIMEOUT_SECONDS.contains(&seconds) {
        return Err(Located::new(
            value.span(),
            format!(
                "call_timeout = {seconds} is out of range; give a number of seconds between {} \
                 and {}",
                CALL_TIMEOUT_SECONDS.start(),
                CALL_TIMEOUT_SECONDS.end()
            ),
        ));
    }
    // In range, so the product is a small positive number and the cast cannot truncate.
    Ok((seconds * 1000.0).round() as u64)
}

fn log_buffer_lines(value: &Value<'_>) -> Result<usize, Located> {
    let lines = integer("log_buffer_lines", value)?;
    if !LOG_BUFFER_LINES.contains(&lines) {
        return Err(Located::new(
            value.span(),
            format!(
                "log_buffer_lines = {lines} is out of range; give a number of lines between {} \
                 and {}",
                LOG_BUFFER_LINES.start(),
                LOG_BUFFER_LINES.end()
            ),
        ));
    }
    usize::try_from(lines).map_err(|_| {
        Located::new(
            value.span(),
            "log_buffer_lines is too large for this machine; give a smaller number",
        )
    })
}

fn stacks(table: &DeTable<'_>) -> Result<BTreeMap<String, StackConfig>, Located> {
    in_file_order(table)
        .into_iter()
        .map(|(name, value)| {
            let name = name.get_ref().to_string();
            let stack = stack(&name, sub_table(&format!("stacks.{name}"), value)?)?;
            Ok((name, stack))
        })
        .collect()
}

fn stack(name: &str, table: &DeTable<'_>) -> Result<StackConfig, Located> {
    let mut stack = StackConfig::default();
    for (key, value) in in_file_order(table) {
        let field = key.get_ref().as_ref();
        if field == "production" {
            stack.production = boolean(&format!("stacks.{name}.production"), value)?;
            continue;
        }
        if field == "site" {
            stack.site = Some(site(
                name,
                sub_table(&format!("stacks.{name}.site"), value)?,
            )?);
            continue;
        }
        let slot = match field {
            "profile" => &mut stack.profile,
            "region" => &mut stack.region,
            "cluster" => &mut stack.cluster,
            "service" => &mut stack.service,
            _ => return Err(unknown_field(key, &format!("stacks.{name}."), STACK_FIELDS)),
        };
        *slot = Some(non_empty_string(&format!("stacks.{name}.{field}"), value)?);
    }
    Ok(stack)
}

/// `site = { bucket = "...", distribution = "E..." }`: the stack's static site.
fn site(name: &str, table: &DeTable<'_>) -> Result<SiteConfig, Located> {
    let mut bucket = None;
    let mut distribution = None;
    for (key, value) in in_file_order(table) {
        let field = key.get_ref().as_ref();
        let slot = match field {
            "bucket" => &mut bucket,
            "distribution" => &mut distribution,
            _ => {
                return Err(unknown_field(
                    key,
                    &format!("stacks.{name}.site."),
                    SITE_FIELDS,
                ));
            }
        };
        *slot = Some(non_empty_string(
            &format!("stacks.{name}.site.{field}"),
            value,
        )?);
    }
    let bucket = bucket.ok_or_else(|| {
        Located::new(
            0..0,
            format!(
                "stacks.{name}.site.bucket: missing; name the S3 bucket the site is served from"
            ),
        )
    })?;
    Ok(SiteConfig {
        bucket,
        distribution,
    })
}

/// Integers are accepted too: `ecs = 2` means two seconds.
fn number(field: &str, value: &Value<'_>) -> Result<f64, Located> {
    let not_number = || wrong_type(field, value.span(), "a number of seconds", value.get_ref());
    let parsed = match value.get_ref() {
        DeValue::Integer(int) => i64::from_str_radix(int.as_str(), int.radix())
            .ok()
            .map(|n| n as f64),
        DeValue::Float(float) => float.as_str().parse::<f64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(not_number)
}
