//! A CSV history in the layout Apache Otava reads: a header, then one row per run with a time
//! column, attribute columns (commit, branch, version …) and one column per metric.
//!
//! Which column is which follows Otava's defaults, each overridable: the time is `time`;
//! the attributes are the columns named as such, the well-known names (`commit`, `branch`,
//! `version` …) and any column that holds text; the metrics are the columns asked for, or
//! every other one. The commit of a run comes from `commit` (or `git_commit`, `sha`,
//! `revision`), its branch from `branch`. A metric is lower-is-better unless named
//! higher-is-better (or its name says it counts work done: `throughput`, `ops`, `rps` …,
//! which the import reports); its values are plain numbers unless a unit is given (`ms`
//! makes them durations, `%` shares).
//!
//! An empty cell is a figure the run does not have (Otava skips it likewise); any other value
//! that is no finite number is an error naming its row and column, as is a row with too few
//! or too many fields. Rows come back oldest first (ties in the file's order).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use rigor_model::metric::{Direction, Unit};
use rigor_model::output::imported::{ImportedRun, ImportedValue, IMPORTED_SCHEMA_VERSION};

use crate::timestamp::{parse_time, TimeUnit};
use crate::units::{parse_unit, UNITS};
use crate::{Import, ImportError, ImportedRow};

/// How to read the CSV.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub time_column: String,
    pub time_unit: TimeUnit,
    /// Columns to keep as attributes, besides the well-known ones and those holding text.
    pub attributes: Vec<String>,
    /// The metric columns; empty: every column that is not the time or an attribute.
    pub metrics: Vec<String>,
    pub higher_is_better: Vec<String>,
    pub lower_is_better: Vec<String>,
    /// `(column, unit)`: the unit its values are written in (`ms`, `%`).
    pub units: Vec<(String, String)>,
    /// The column with the run's commit; `None`: the first of the usual names present.
    pub commit_column: Option<String>,
    /// The column with the run's branch; `None`: `branch` when present.
    pub branch_column: Option<String>,
    pub delimiter: u8,
    /// The file's name, as the runs record it.
    pub file: String,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            time_column: "time".into(),
            time_unit: TimeUnit::Seconds,
            attributes: Vec::new(),
            metrics: Vec::new(),
            higher_is_better: Vec::new(),
            lower_is_better: Vec::new(),
            units: Vec::new(),
            commit_column: None,
            branch_column: None,
            delimiter: b',',
            file: String::new(),
        }
    }
}

/// Columns that describe a run rather than measure it, by their usual names.
const ATTRIBUTE_NAMES: &[&str] = &[
    "commit",
    "git_commit",
    "sha",
    "hash",
    "revision",
    "branch",
    "git_branch",
    "version",
    "tag",
    "build",
    "build_id",
    "job",
    "host",
    "machine",
];

const COMMIT_NAMES: &[&str] = &["commit", "git_commit", "sha", "hash", "revision"];
const BRANCH_NAMES: &[&str] = &["branch", "git_branch"];

/// Words in a metric's name that say it counts work done, so more is better.
const MORE_IS_BETTER: &[&str] = &[
    "throughput",
    "ops",
    "qps",
    "rps",
    "tps",
    "per_s",
    "per_sec",
    "persec",
    "bandwidth",
    "score",
];

/// Whether a metric's name says higher is better (`throughput`, `ops_per_sec`, `rps`).
pub fn sounds_higher_is_better(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| MORE_IS_BETTER.contains(&word))
        || MORE_IS_BETTER
            .iter()
            .any(|w| w.contains('_') && lower.contains(w))
}

/// One metric column, as the import reads it.
struct MetricColumn {
    index: usize,
    name: String,
    unit: Unit,
    factor: f64,
    better: Direction,
}

/// Reads a CSV history.
pub fn import_csv(reader: impl Read, options: &CsvOptions) -> Result<Import, ImportError> {
    let mut csv = ::csv::ReaderBuilder::new()
        .delimiter(options.delimiter)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(reader);
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| ImportError::format(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(ImportError::format("the CSV is empty: it needs a header row naming its columns (time, attributes, metrics), then a row per run"));
    }
    let mut seen = BTreeSet::new();
    for h in &headers {
        if !seen.insert(h.as_str()) {
            return Err(ImportError::format(format!(
                "the header names `{h}` twice: each column needs a name of its own"
            )));
        }
    }
    let find = |name: &str, what: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            ImportError::format(format!(
                "{what} `{name}` is not in the header; its columns are {}",
                headers.join(", ")
            ))
        })
    };
    let time_index = find(&options.time_column, "the time column").map_err(|e| {
        ImportError::format(format!("{e} (name the time column with --time-column)"))
    })?;
    for a in &options.attributes {
        find(a, "the attribute")?;
    }
    for m in &options.metrics {
        find(m, "the metric")?;
    }
    for (c, _) in &options.units {
        find(c, "the column given a unit")?;
    }
    for c in options
        .higher_is_better
        .iter()
        .chain(&options.lower_is_better)
    {
        find(c, "the column given a direction")?;
    }
    let records: Vec<::csv::StringRecord> = csv
        .records()
        .enumerate()
        .map(|(i, r)| r.map_err(|e| ImportError::format(format!("row {}: {e}", i + 1))))
        .collect::<Result<_, _>>()?;
    if records.is_empty() {
        return Err(ImportError::format(
            "the CSV has a header but no rows: there is no run to import",
        ));
    }
    for (i, r) in records.iter().enumerate() {
        if r.len() != headers.len() {
            return Err(ImportError::format(format!(
                "row {} has {} fields; the header has {} ({})",
                i + 1,
                r.len(),
                headers.len(),
                headers.join(", ")
            )));
        }
    }
    let commit_index = match &options.commit_column {
        Some(c) => Some(find(c, "the commit column")?),
        None => COMMIT_NAMES
            .iter()
            .find_map(|n| headers.iter().position(|h| h == n)),
    };
    let branch_index = match &options.branch_column {
        Some(c) => Some(find(c, "the branch column")?),
        None => BRANCH_NAMES
            .iter()
            .find_map(|n| headers.iter().position(|h| h == n)),
    };
    let mut notes = Vec::new();
    let is_number = |s: &str| s.is_empty() || s.parse::<f64>().is_ok();
    let mut attributes: Vec<usize> = Vec::new();
    let mut metric_indexes: Vec<usize> = Vec::new();
    let mut texts = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if i == time_index {
            continue;
        }
        let named_metric = options.metrics.contains(h);
        let named_attribute = options.attributes.contains(h)
            || (!named_metric && ATTRIBUTE_NAMES.contains(&h.as_str()))
            || Some(i) == commit_index
            || Some(i) == branch_index;
        if named_attribute {
            attributes.push(i);
        } else if named_metric {
            metric_indexes.push(i);
        } else if options.metrics.is_empty() {
            if records.iter().all(|r| is_number(&r[i])) {
                metric_indexes.push(i);
            } else {
                texts.push(h.clone());
                attributes.push(i);
            }
        }
    }
    if !texts.is_empty() {
        notes.push(format!(
            "{} hold{} text, so {} kept as attribute{}, not metrics",
            texts.join(", "),
            if texts.len() == 1 { "s" } else { "" },
            if texts.len() == 1 {
                "it is"
            } else {
                "they are"
            },
            if texts.len() == 1 { "" } else { "s" },
        ));
    }
    if metric_indexes.is_empty() {
        return Err(ImportError::format(format!(
            "the CSV has no metric column: its columns are {} (the time is `{}`; name metrics with --metric)",
            headers.join(", "),
            options.time_column
        )));
    }
    let mut by_name = Vec::new();
    let columns: Vec<MetricColumn> = metric_indexes
        .iter()
        .map(|&index| {
            let name = headers[index].clone();
            let (unit, factor) = match options.units.iter().find(|(c, _)| *c == name) {
                Some((_, u)) => parse_unit(u).ok_or_else(|| {
                    ImportError::format(format!(
                        "`{u}` (the unit of `{name}`) is not a unit rigor reads: {UNITS}"
                    ))
                })?,
                None => (Unit::Number, 1.0),
            };
            let better = if options.higher_is_better.contains(&name) {
                Direction::HigherIsBetter
            } else if options.lower_is_better.contains(&name) {
                Direction::LowerIsBetter
            } else if sounds_higher_is_better(&name) {
                by_name.push(name.clone());
                Direction::HigherIsBetter
            } else {
                Direction::LowerIsBetter
            };
            Ok(MetricColumn {
                index,
                name,
                unit,
                factor,
                better,
            })
        })
        .collect::<Result<_, ImportError>>()?;
    if !by_name.is_empty() {
        notes.push(format!(
            "{} taken as higher-is-better by {} name (--lower-is-better says otherwise); every other metric is lower-is-better unless --higher-is-better names it",
            by_name.join(", "),
            if by_name.len() == 1 { "its" } else { "their" }
        ));
    }
    let mut rows = Vec::with_capacity(records.len());
    let mut zoneless = 0usize;
    for (i, r) in records.iter().enumerate() {
        let row = i + 1;
        let at = parse_time(&r[time_index], options.time_unit).map_err(|e| {
            ImportError::format(format!("row {row}, column `{}`: {e}", options.time_column))
        })?;
        zoneless += usize::from(at.zoneless);
        let mut values = Vec::with_capacity(columns.len());
        for c in &columns {
            let text = &r[c.index];
            if text.is_empty() {
                continue;
            }
            let value = text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    ImportError::format(format!(
                        "row {row}, column `{}`: `{text}` is not a number (a metric's cells hold numbers, or nothing where the run has no value; --attribute {} keeps the column as text)",
                        c.name, c.name
                    ))
                })?;
            values.push(ImportedValue {
                metric: c.name.clone(),
                value: value * c.factor,
                unit: c.unit,
                better: c.better,
                interval: None,
                samples: Vec::new(),
            });
        }
        let cell = |index: Option<usize>| index.map(|i| r[i].to_string()).filter(|s| !s.is_empty());
        let attributes: BTreeMap<String, String> = attributes
            .iter()
            .map(|&a| (headers[a].clone(), r[a].to_string()))
            .collect();
        rows.push(ImportedRow {
            started_at_ns: at.unix_ns,
            git_commit: cell(commit_index),
            run: ImportedRun {
                schema_version: IMPORTED_SCHEMA_VERSION,
                source: "csv".into(),
                file: options.file.clone(),
                row: Some(row as u64),
                git_branch: cell(branch_index),
                attributes,
                values,
                notes: Vec::new(),
            },
        });
    }
    if zoneless > 0 {
        notes.push(format!(
            "{zoneless} time{} had no zone and {} read as UTC",
            if zoneless == 1 { "" } else { "s" },
            if zoneless == 1 { "was" } else { "were" }
        ));
    }
    rows.sort_by_key(|r| r.started_at_ns);
    Ok(Import { rows, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, options: &CsvOptions) -> Result<Import, ImportError> {
        import_csv(text.as_bytes(), options)
    }

    #[test]
    fn otavas_layout_reads_with_its_defaults() {
        let text = "time,commit,branch,metric1,throughput,note\n\
                    2024-01-02 00:00:00 +0000,bbb,main,0.5,,slow\n\
                    2024-01-01 00:00:00 +0000,aaa,main,0.25,1000,\n";
        let import = read(
            text,
            &CsvOptions {
                units: vec![("metric1".into(), "s".into())],
                ..CsvOptions::default()
            },
        )
        .unwrap();
        assert_eq!(import.rows.len(), 2);
        let first = &import.rows[0];
        // Oldest first, whatever the file's order.
        assert_eq!(first.git_commit.as_deref(), Some("aaa"));
        assert_eq!(first.run.git_branch.as_deref(), Some("main"));
        assert_eq!(first.run.row, Some(2));
        let m = first.run.get("metric1").unwrap();
        assert_eq!(
            (m.value, m.unit, m.better),
            (0.25e9, Unit::Nanos, Direction::LowerIsBetter)
        );
        let t = first.run.get("throughput").unwrap();
        assert_eq!(t.better, Direction::HigherIsBetter);
        // An empty cell is a value the run does not have.
        assert!(import.rows[1].run.get("throughput").is_none());
        // A column of text is an attribute, and the user is told.
        assert_eq!(import.rows[1].run.attributes["note"], "slow");
        assert!(
            import.notes.iter().any(|n| n.contains("note holds text")),
            "{:?}",
            import.notes
        );
        assert!(import
            .notes
            .iter()
            .any(|n| n.contains("throughput taken as higher-is-better")));
    }

    #[test]
    fn bad_cells_name_their_row_and_column() {
        let o = CsvOptions::default();
        let e = read(
            "time,a\n2024-01-01,1\n2024-01-02,x\n",
            &CsvOptions {
                metrics: vec!["a".into()],
                ..o.clone()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("row 2, column `a`: `x` is not a number"), "{e}");
        let e = read("when,a\n2024-01-01,1\n", &o).unwrap_err().to_string();
        assert!(
            e.contains("the time column `time` is not in the header; its columns are when, a"),
            "{e}"
        );
        let e = read("time,a\n2024-01-01,1,2\n", &o)
            .unwrap_err()
            .to_string();
        assert!(e.contains("row 1 has 3 fields; the header has 2"), "{e}");
        let e = read("time,a\nnot a time,1\n", &o).unwrap_err().to_string();
        assert!(e.contains("row 1, column `time`"), "{e}");
        let e = read("time,a\n", &o).unwrap_err().to_string();
        assert!(e.contains("no rows"), "{e}");
        let e = read("time,a,a\n2024-01-01,1,2\n", &o)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`a` twice"), "{e}");
        let e = read(
            "time,a\n2024-01-01,inf\n",
            &CsvOptions {
                metrics: vec!["a".into()],
                ..o.clone()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not a number"), "{e}");
        let e = read(
            "time,a\n2024-01-01,1\n",
            &CsvOptions {
                units: vec![("a".into(), "furlongs".into())],
                ..o.clone()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not a unit rigor reads"), "{e}");
        let e = read("time,commit\n2024-01-01,abc\n", &o)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no metric column"), "{e}");
    }

    #[test]
    fn names_that_count_work_are_higher_is_better() {
        for yes in ["throughput", "ops_per_sec", "rps", "write.ops", "req_per_s"] {
            assert!(sounds_higher_is_better(yes), "{yes}");
        }
        for no in ["latency_p99", "response_time", "stops", "error_rate"] {
            assert!(!sounds_higher_is_better(no), "{no}");
        }
    }
}
