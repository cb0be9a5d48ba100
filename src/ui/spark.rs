//! One-line sparklines of CloudWatch series, with the latest value in the user's units.

use crate::model::{MetricSeries, MetricUnit};

const VALUE_WIDTH: usize = 9;
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The newest `width` points as bars scaled between the shown minimum and maximum, so a
/// flat series reads as flat whatever its level.
pub fn bars(series: &MetricSeries, width: usize) -> String {
    let values: Vec<f64> = series.values().collect();
    let shown = &values[values.len().saturating_sub(width)..];
    let (low, high) = shown
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    let span = high - low;
    shown
        .iter()
        .map(|v| {
            let level = if span > 0.0 { (v - low) / span } else { 0.0 };
            BARS[((level * 7.0).round() as usize).min(7)]
        })
        .collect()
}

/// The latest value as the console shows it: `23.4%`, `12`, `18.2 GB`, `45 ms`.
pub fn latest(series: &MetricSeries) -> String {
    let Some(value) = series.latest() else {
        return "no data".to_string();
    };
    match series.unit {
        MetricUnit::Percent => format!("{value:.1}%"),
        MetricUnit::Count => format!("{value:.0}"),
        MetricUnit::Bytes => format!("{:.1} GB", value / 1e9),
        MetricUnit::Seconds => format!("{:.0} ms", value * 1000.0),
    }
}

/// `latest  bars` fitted to `width` columns: the value always, bars as room allows.
pub fn value_and_bars(series: &MetricSeries, width: usize) -> String {
    let value = latest(series);
    // Values line up in a column of this width so the bars start together.
    let room = width.saturating_sub(VALUE_WIDTH + 1);
    if room < 4 || series.points.is_empty() {
        return value;
    }
    format!("{value:<VALUE_WIDTH$} {}", bars(series, room))
}

/// `label value bars` in at most `width` columns: `cpu 23.4% ▁▂▃▅`. A series with no
/// datapoints reads `cpu no data`.
pub fn labelled(label: &str, series: &MetricSeries, width: usize) -> String {
    let head = format!("{label} {}", latest(series));
    let used = head.chars().count();
    let room = width.saturating_sub(used + 1);
    if room < 3 || series.points.is_empty() {
        return head.chars().take(width).collect();
    }
    format!("{head} {}", bars(series, room.min(MAX_BARS)))
}

/// Several labelled sparklines on one line, sharing `width` evenly with two spaces between.
/// Series that are absent (not asked for, or not returned) are left out.
pub fn row(items: &[(&str, Option<&MetricSeries>)], width: usize) -> String {
    let items: Vec<(&str, &MetricSeries)> = items
        .iter()
        .filter_map(|(label, series)| Some((*label, (*series)?)))
        .collect();
    if items.is_empty() {
        return String::new();
    }
    let gap = 2;
    let each = (width.saturating_sub(gap * (items.len() - 1))) / items.len();
    let cells: Vec<String> = items
        .iter()
        .map(|(label, series)| {
            let cell = labelled(label, series, each);
            let pad = each.saturating_sub(cell.chars().count());
            format!("{cell}{}", " ".repeat(pad))
        })
        .collect();
    cells.join(&" ".repeat(gap)).trim_end().to_string()
}

/// Bars beyond an hour of one-minute points would repeat nothing new.
const MAX_BARS: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MetricQuery;

    fn cpu(values: &[f64]) -> MetricSeries {
        MetricSeries {
            query: MetricQuery::DbCpu {
                instance: "db".into(),
            },
            unit: MetricUnit::Percent,
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| (i as i64, *v))
                .collect(),
        }
    }

    #[test]
    fn bars_scale_between_min_and_max_and_keep_the_newest() {
        assert_eq!(bars(&cpu(&[0.0, 50.0, 100.0]), 3), "▁▅█");
        assert_eq!(bars(&cpu(&[100.0, 0.0, 100.0]), 2), "▁█");
        assert_eq!(bars(&cpu(&[7.0, 7.0]), 5), "▁▁");
    }

    #[test]
    fn the_latest_value_is_in_the_series_unit() {
        assert_eq!(latest(&cpu(&[1.0, 23.44])), "23.4%");
        assert_eq!(latest(&cpu(&[])), "no data");
        assert_eq!(value_and_bars(&cpu(&[1.0, 2.0]), 30), "2.0%      ▁█");
    }

    #[test]
    fn labelled_sparklines_share_a_line() {
        let a = cpu(&[10.0, 20.0, 30.0]);
        let b = cpu(&[5.0, 5.0]);
        assert_eq!(labelled("cpu", &a, 20), "cpu 30.0% ▁▅█");
        assert_eq!(labelled("cpu", &cpu(&[]), 20), "cpu no data");
        assert_eq!(labelled("cpu", &a, 6), "cpu 30");
        assert_eq!(
            row(&[("cpu", Some(&a)), ("mem", Some(&b))], 30),
            "cpu 30.0% ▁▅█   mem 5.0% ▁▁"
        );
        assert_eq!(row(&[("cpu", None), ("mem", Some(&b))], 30), "mem 5.0% ▁▁");
    }
}
