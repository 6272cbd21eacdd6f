//! `rigor import csv FILE --scenario S`: a CSV history in Apache Otava's layout, each row a
//! run of kind `imported`.

use std::path::PathBuf;
use std::process::ExitCode;

use rigor_import::csv::{import_csv, CsvOptions};
use rigor_import::TimeUnit;
use rigor_report::Writer;

use super::{file_name, open_file, store_rows, tell, StoreFlag};
use crate::exit;

#[derive(clap::Args, Debug)]
pub struct CsvArgs {
    /// The CSV file: a header, then one row per run.
    pub file: PathBuf,

    /// The name the runs are stored under (what `rigor history --scenario` follows).
    #[arg(long, short = 's')]
    pub scenario: String,

    /// The column holding each run's time (RFC 3339, `2024-03-01 12:00:00 +0000`, a day, or
    /// a Unix time).
    #[arg(long, default_value = "time", value_name = "COLUMN")]
    pub time_column: String,

    /// The unit of a numeric time column.
    #[arg(long, default_value = "s", value_parser = parse_time_unit, value_name = "s|ms|us|ns")]
    pub time_unit: TimeUnit,

    /// Columns kept as attributes, not metrics (commit, branch, version and columns of text
    /// are already).
    #[arg(long = "attribute", value_delimiter = ',', value_name = "COLUMN")]
    pub attributes: Vec<String>,

    /// The metric columns [default: every column that is not the time or an attribute].
    #[arg(long = "metric", value_delimiter = ',', value_name = "COLUMN")]
    pub metrics: Vec<String>,

    /// Metrics where more is better (throughput …); the rest are lower-is-better, but for
    /// names that count work done (`throughput`, `ops`, `rps` …), which the import reports.
    #[arg(long, value_delimiter = ',', value_name = "COLUMN")]
    pub higher_is_better: Vec<String>,

    /// Metrics where less is better, whatever their names say.
    #[arg(long, value_delimiter = ',', value_name = "COLUMN")]
    pub lower_is_better: Vec<String>,

    /// The unit a metric's values are written in: `--unit p95=ms`, `--unit errors=%`
    /// (ns, us, ms, s, %, fraction, bytes, KiB, MiB, GiB, /s, count, number).
    #[arg(long = "unit", value_parser = parse_unit_pair, value_name = "COLUMN=UNIT")]
    pub units: Vec<(String, String)>,

    /// The column with each run's commit [default: commit, git_commit, sha, hash or
    /// revision, when present].
    #[arg(long, value_name = "COLUMN")]
    pub commit_column: Option<String>,

    /// The column with each run's branch [default: branch or git_branch, when present].
    #[arg(long, value_name = "COLUMN")]
    pub branch_column: Option<String>,

    /// The field delimiter (one character; `tab` for tabs).
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,

    #[command(flatten)]
    pub store: StoreFlag,
}

fn parse_time_unit(text: &str) -> Result<TimeUnit, String> {
    TimeUnit::parse(text).ok_or_else(|| format!("`{text}`: a time unit is s, ms, us or ns"))
}

fn parse_unit_pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .filter(|(c, u)| !c.is_empty() && !u.is_empty())
        .map(|(c, u)| (c.to_string(), u.to_string()))
        .ok_or_else(|| format!("`{text}`: give COLUMN=UNIT (`p95=ms`)"))
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        t if t.len() == 1 && t.is_ascii() && t != "\"" && t != "\n" && t != "\r" => {
            Ok(t.as_bytes()[0])
        }
        _ => Err(format!(
            "`{text}`: the delimiter is one ASCII character (`,`, `;`, `|`, or `tab`)"
        )),
    }
}

pub fn run(args: &CsvArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    if args.scenario.trim().is_empty() {
        return Err(exit::bad_input(anyhow::anyhow!(
            "--scenario names the imported runs; it cannot be empty"
        )));
    }
    let file = open_file(&args.file)?;
    let options = CsvOptions {
        time_column: args.time_column.clone(),
        time_unit: args.time_unit,
        attributes: args.attributes.clone(),
        metrics: args.metrics.clone(),
        higher_is_better: args.higher_is_better.clone(),
        lower_is_better: args.lower_is_better.clone(),
        units: args.units.clone(),
        commit_column: args.commit_column.clone(),
        branch_column: args.branch_column.clone(),
        delimiter: args.delimiter,
        file: file_name(&args.file),
    };
    if let Some(c) = args
        .higher_is_better
        .iter()
        .find(|c| args.lower_is_better.contains(c))
    {
        return Err(exit::bad_input(anyhow::anyhow!(
            "`{c}` is named both higher- and lower-is-better"
        )));
    }
    let import = import_csv(file, &options)
        .map_err(|e| exit::bad_input(anyhow::anyhow!("{}: {e}", args.file.display())))?;
    let stored = store_rows(
        args.store.store.as_deref(),
        &args.scenario,
        &import,
        rigor_store::RunKind::Imported,
    )?;
    tell(w, &args.file, &args.scenario, &import, &stored)?;
    Ok(ExitCode::SUCCESS)
}
