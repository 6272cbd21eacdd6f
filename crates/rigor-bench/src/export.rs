//! A [`BenchResult`] as JSON (the full versioned record), CSV (one summary row per command)
//! or a Markdown table in hyperfine's layout. Exporters return strings; the caller decides
//! where they go.

use std::fmt::Write as _;

use crate::result::BenchResult;

/// The formats a benchmark can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Json,
    Csv,
    Markdown,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write the JSON export: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write the CSV export: {0}")]
    Csv(#[from] csv::Error),
    #[error("cannot write the CSV export: {0}")]
    CsvText(#[from] std::string::FromUtf8Error),
}

/// Exports `result` in `format`.
pub fn export(result: &BenchResult, format: ExportFormat) -> Result<String, ExportError> {
    match format {
        ExportFormat::Json => to_json(result),
        ExportFormat::Csv => to_csv(result),
        ExportFormat::Markdown => Ok(to_markdown(result)),
    }
}

/// The whole result, every run included, as pretty-printed JSON with its `schema_version`.
pub fn to_json(result: &BenchResult) -> Result<String, ExportError> {
    let mut text = serde_json::to_string_pretty(result)?;
    text.push('\n');
    Ok(text)
}

/// One row per command with its summary statistics (times in nanoseconds, sizes in bytes),
/// then one `parameter_<name>` column per parameter.
pub fn to_csv(result: &BenchResult) -> Result<String, ExportError> {
    let mut parameter_names: Vec<&str> = Vec::new();
    for command in &result.commands {
        for parameter in &command.parameters {
            if !parameter_names.contains(&parameter.name.as_str()) {
                parameter_names.push(&parameter.name);
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "name",
        "command",
        "runs",
        "mean_ns",
        "stddev_ns",
        "median_ns",
        "median_ci_lower_ns",
        "median_ci_upper_ns",
        "min_ns",
        "max_ns",
        "user_mean_ns",
        "system_mean_ns",
        "peak_rss_max_bytes",
        "peak_rss_median_bytes",
        "outliers",
        "relative",
        "relative_stddev",
    ]
    .map(String::from)
    .to_vec();
    header.extend(
        parameter_names
            .iter()
            .map(|name| format!("parameter_{name}")),
    );
    writer.write_record(&header)?;

    let opt = |v: Option<String>| v.unwrap_or_default();
    for command in &result.commands {
        let mut row = vec![
            command.name.clone(),
            command.command.clone(),
            command.runs.len().to_string(),
        ];
        match &command.stats {
            Some(s) => row.extend([
                s.mean.as_nanos().to_string(),
                opt(s.stddev.map(|d| d.as_nanos().to_string())),
                s.median.as_nanos().to_string(),
                opt(s
                    .median_ci
                    .as_ref()
                    .map(|ci| ci.lower.as_nanos().to_string())),
                opt(s
                    .median_ci
                    .as_ref()
                    .map(|ci| ci.upper.as_nanos().to_string())),
                s.min.as_nanos().to_string(),
                s.max.as_nanos().to_string(),
                s.user_mean.as_nanos().to_string(),
                s.system_mean.as_nanos().to_string(),
                s.peak_rss_max_bytes.to_string(),
                s.peak_rss_median_bytes.to_string(),
            ]),
            None => row.extend(std::iter::repeat_n(String::new(), 11)),
        }
        row.push(command.outliers.len().to_string());
        row.push(opt(command
            .relative
            .as_ref()
            .map(|r| format!("{:.6}", r.ratio))));
        row.push(opt(command
            .relative
            .as_ref()
            .and_then(|r| r.stddev)
            .map(|sd| format!("{sd:.6}"))));
        for name in &parameter_names {
            let value = command.parameters.iter().find(|p| p.name == *name);
            row.push(opt(value.map(|p| p.value.clone())));
        }
        writer.write_record(&row)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ExportError::Csv(e.into_error().into()))?;
    Ok(String::from_utf8(bytes)?)
}

/// hyperfine's Markdown table: `Command | Mean [ms] | Min [ms] | Max [ms] | Relative`, in
/// one unit chosen from the fastest mean (µs below a millisecond, s from a second).
pub fn to_markdown(result: &BenchResult) -> String {
    let fastest = result
        .fastest()
        .and_then(|i| result.commands[i].stats.as_ref())
        .map_or(0.0, |s| s.mean.as_secs_f64());
    let (unit, per_second) = if fastest >= 1.0 {
        ("s", 1.0)
    } else if fastest >= 1e-3 || fastest == 0.0 {
        ("ms", 1e3)
    } else {
        ("µs", 1e6)
    };
    let mut out = format!(
        "| Command | Mean [{unit}] | Min [{unit}] | Max [{unit}] | Relative |\n\
         |:---|---:|---:|---:|---:|\n"
    );
    for command in &result.commands {
        let cell = code_cell(&command.name);
        let Some(stats) = &command.stats else {
            let _ = writeln!(out, "| {cell} | n/a | n/a | n/a | n/a |");
            continue;
        };
        let v = |d: std::time::Duration| d.as_secs_f64() * per_second;
        let mean = match stats.stddev {
            Some(sd) => format!("{:.1} ± {:.1}", v(stats.mean), v(sd)),
            None => format!("{:.1}", v(stats.mean)),
        };
        let relative = match &command.relative {
            Some(r) => match r.stddev {
                Some(sd) => format!("{:.2} ± {:.2}", r.ratio, sd),
                None => format!("{:.2}", r.ratio),
            },
            None => "1.00".to_string(),
        };
        let _ = writeln!(
            out,
            "| {cell} | {mean} | {:.1} | {:.1} | {relative} |",
            v(stats.min),
            v(stats.max)
        );
    }
    out
}

/// A command as inline code in a table cell: pipes escaped, and double backticks when the
/// command has a backtick of its own.
fn code_cell(text: &str) -> String {
    let escaped = text.replace('|', "\\|");
    if escaped.contains('`') {
        format!("`` {escaped} ``")
    } else {
        format!("`{escaped}`")
    }
}
