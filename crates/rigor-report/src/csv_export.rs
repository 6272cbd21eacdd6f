//! Reports as CSV (load runs, comparisons and gates in `csv_run`). A benchmark: one summary row per command (times in nanoseconds, sizes in bytes),
//! then one `parameter_<name>` column per parameter.

use std::io::Write;

use rigor_model::output::bench::{BenchResult, CommandResult, Summary};

use crate::{csv_run, Exporter, Format, Report, ReportError};

pub struct Csv;

impl Exporter for Csv {
    fn export(&self, report: &Report<'_>, out: &mut dyn Write) -> Result<(), ReportError> {
        match report {
            Report::Bench { result, .. } => Ok(out.write_all(to_csv(result)?.as_bytes())?),
            Report::LoadReport(r) => Ok(out.write_all(csv_run::load_metrics(r)?.as_bytes())?),
            Report::Comparison { comparison, .. } => {
                Ok(out.write_all(csv_run::comparison(comparison)?.as_bytes())?)
            }
            Report::Gate { report, .. } => Ok(out.write_all(csv_run::gate(report)?.as_bytes())?),
            Report::Imported { run_id, name, run } => {
                Ok(out.write_all(csv_run::imported_metrics(*run_id, name, run)?.as_bytes())?)
            }
            other => Err(ReportError::unsupported(Format::Csv, other)),
        }
    }
}

/// A load run second by second.
pub struct Series;

impl Exporter for Series {
    fn export(&self, report: &Report<'_>, out: &mut dyn Write) -> Result<(), ReportError> {
        match report {
            Report::LoadReport(r) => Ok(out.write_all(csv_run::load_series(r)?.as_bytes())?),
            other => Err(ReportError::unsupported(Format::SeriesCsv, other)),
        }
    }
}

/// The columns before the parameter columns, in the order the rows fill them.
const SUMMARY_COLUMNS: [&str; 17] = [
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
];

/// The statistics columns, left empty for a command without finished runs.
const STATS_COLUMNS: usize = 11;

/// One row per command with its summary statistics (times in nanoseconds, sizes in bytes),
/// then one `parameter_<name>` column per parameter.
pub fn to_csv(result: &BenchResult) -> Result<String, ReportError> {
    let parameter_names = parameter_names(result);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = SUMMARY_COLUMNS.map(String::from).to_vec();
    header.extend(
        parameter_names
            .iter()
            .map(|name| format!("parameter_{name}")),
    );
    writer.write_record(&header)?;
    for command in &result.commands {
        writer.write_record(command_row(command, &parameter_names))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ReportError::Io(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Every parameter any command has, in the order they first appear.
fn parameter_names(result: &BenchResult) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for command in &result.commands {
        for parameter in &command.parameters {
            if !names.contains(&parameter.name.as_str()) {
                names.push(&parameter.name);
            }
        }
    }
    names
}

/// One command's row; a parameter it does not have is an empty cell.
fn command_row(command: &CommandResult, parameter_names: &[&str]) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mut row = vec![
        command.name.clone(),
        command.command.clone(),
        command.runs.len().to_string(),
    ];
    match &command.stats {
        Some(s) => row.extend(stats_cells(s)),
        None => row.extend(std::iter::repeat_n(String::new(), STATS_COLUMNS)),
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
    for name in parameter_names {
        let value = command.parameters.iter().find(|p| p.name == *name);
        row.push(opt(value.map(|p| p.value.clone())));
    }
    row
}

/// A command's statistics, `mean_ns` to `peak_rss_median_bytes`.
fn stats_cells(s: &Summary) -> [String; STATS_COLUMNS] {
    let opt = |v: Option<String>| v.unwrap_or_default();
    [
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
    ]
}
