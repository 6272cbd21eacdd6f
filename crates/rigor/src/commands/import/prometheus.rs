//! `rigor import prometheus`: a range of a real Prometheus server's series as one run of
//! kind `telemetry` — production's figures (a latency quantile, a request rate, an error
//! ratio) over a window, each named query one figure, usable as a baseline and in `compare`,
//! `history` and reports. The queries are kept with the run, so the baseline says how it was
//! measured.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use rigor_import::prometheus::{self as prom, Query, Range};
use rigor_import::{parse_time, RunOrigin, TimeUnit};
use rigor_model::metric::Direction;
use rigor_model::units::HumanDuration;
use rigor_report::Writer;
use rigor_store::RunKind;

use super::{store_rows, tell, StoreFlag};
use crate::exit;

/// The most points Prometheus returns per series.
const MAX_POINTS: f64 = 11_000.0;

#[derive(clap::Args, Debug)]
pub struct PrometheusArgs {
    /// The Prometheus server, e.g. http://127.0.0.1:9090.
    #[arg(long)]
    pub url: String,

    /// A PromQL query, `NAME=QUERY` to name its figure (`p95=histogram_quantile(0.95, …)`);
    /// repeat for several. Each must come back as one series.
    #[arg(
        long = "query",
        short = 'q',
        required = true,
        value_name = "[NAME=]PROMQL"
    )]
    pub queries: Vec<String>,

    /// The figure's name for a query given without one [default: value].
    #[arg(long = "as", value_name = "NAME")]
    pub as_name: Option<String>,

    /// How far back the range goes from --end: 7d, 2w, 6h, 30m.
    #[arg(long, value_name = "DURATION")]
    pub window: String,

    /// The end of the range (RFC 3339, a day, or a Unix time) [default: now].
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,

    /// The resolution: one point per step.
    #[arg(long, default_value = "1m", value_name = "DURATION", value_parser = crate::flags::step)]
    pub step: HumanDuration,

    /// A figure's unit, `NAME=UNIT` (or UNIT for every figure): s, ms, %, ratio, bytes, /s,
    /// number [default: seconds for a `_seconds` histogram's quantile, per second for a rate
    /// of a counter, else a plain number].
    #[arg(long, value_name = "[NAME=]UNIT")]
    pub unit: Vec<String>,

    /// A figure for which more is better (a rate, an availability); repeatable [default:
    /// guessed from the name: throughput, rate, success, availability … are more-is-better].
    #[arg(long, value_name = "NAME")]
    pub higher_is_better: Vec<String>,

    /// The name the run is stored under.
    #[arg(long, short = 's', default_value = "production")]
    pub scenario: String,

    /// The commit production ran, when known.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,

    /// How long each query may take.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = crate::flags::wait_limit)]
    pub timeout: HumanDuration,

    #[command(flatten)]
    pub store: StoreFlag,
}

pub fn run(args: &PrometheusArgs, w: &mut Writer) -> anyhow::Result<ExitCode> {
    let bad = |m: String| exit::bad_input(anyhow::anyhow!("{m}"));
    if args.scenario.trim().is_empty() {
        return Err(bad(
            "--scenario names the imported run; it cannot be empty".into()
        ));
    }
    let window = window(&args.window).map_err(|e| bad(format!("--window: {e}")))?;
    let end_s = match &args.end {
        Some(t) => {
            let at = parse_time(t, TimeUnit::Seconds).map_err(|e| bad(format!("--end: {e}")))?;
            if at.zoneless {
                w.note(format_args!("--end `{t}` has no zone: read as UTC"));
            }
            at.unix_ns as f64 / 1e9
        }
        None => SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64()),
    };
    let step = args.step.0;
    let points = window.as_secs_f64() / step.as_secs_f64();
    if points > MAX_POINTS {
        return Err(bad(format!(
            "--window {} at --step {} is {} points; Prometheus answers at most 11,000 per series: give a --step of {} or more",
            args.window,
            args.step,
            points.round(),
            step_text((window.as_secs_f64() / MAX_POINTS).ceil() as u64)
        )));
    }
    let queries = queries(args).map_err(bad)?;
    for q in &queries {
        let (unit, _, guessed) = prom::guess_unit(&q.promql);
        let given = args
            .unit
            .iter()
            .any(|u| u.split_once('=').is_none_or(|(n, _)| n.trim() == q.name));
        if guessed && !given && unit == q.unit {
            use rigor_model::metric::Unit;
            let what = match unit {
                Unit::Nanos => "a time (its query's series are in seconds)",
                Unit::PerSecond => "a rate per second",
                Unit::Bytes => "bytes",
                Unit::BytesPerSecond => "bytes per second",
                Unit::Fraction => "a share",
                Unit::Count => "a count",
                Unit::Number => "a plain number",
            };
            w.note(format_args!(
                "`{}` is read as {what} from its query's names; give --unit {}=UNIT if it is not",
                q.name, q.name
            ));
        }
    }
    let range = Range {
        start_s: end_s - window.as_secs_f64(),
        end_s,
        step,
    };
    let series = prom::fetch(&args.url, &queries, range, args.timeout.0).map_err(|e| {
        if e.is_bad_input() {
            exit::bad_input(anyhow::anyhow!("{e}"))
        } else {
            exit::not_completed(anyhow::anyhow!("{e}"))
        }
    })?;
    let origin = RunOrigin {
        started_at_ns: (range.start_s * 1e9) as i64,
        git_commit: args.commit.clone(),
        git_branch: None,
        file: args.url.clone(),
    };
    let import = prom::to_run(&args.url, &queries, &series, range, &origin);
    let stored = store_rows(
        args.store.store.as_deref(),
        &args.scenario,
        &import,
        RunKind::Telemetry,
    )?;
    tell(w, Path::new(&args.url), &args.scenario, &import, &stored)?;
    for row in &import.rows {
        for note in &row.run.notes {
            w.note(format_args!("{note}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A step of at least `seconds` in a form --step reads: seconds, or whole minutes rounded up.
fn step_text(seconds: u64) -> String {
    if seconds <= 60 {
        format!("{seconds}s")
    } else {
        format!("{}m", seconds.div_ceil(60))
    }
}

/// The longest window: 11,000 points at the largest step, a day, is some thirty years; ten
/// is more than any retention.
const MAX_WINDOW_DAYS: u64 = 3660;

/// `7d`, `2w`, or a duration (`6h`, `30m`), longer than zero and at most
/// [`MAX_WINDOW_DAYS`].
fn window(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let days = |n: &str, per: u64| {
        n.trim()
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(per * 86_400))
            .map(Duration::from_secs)
    };
    let d = if let Some(n) = t.strip_suffix('d') {
        days(n, 1)
    } else if let Some(n) = t.strip_suffix('w') {
        days(n, 7)
    } else {
        rigor_model::units::parse_duration(t).ok()
    }
    .ok_or_else(|| format!("`{text}` is not a window: write 7d, 2w, 6h or 30m"))?;
    if d.is_zero() {
        return Err(format!("`{text}` is no time at all"));
    }
    if d > Duration::from_secs(MAX_WINDOW_DAYS * 86_400) {
        return Err(format!(
            "`{text}` is longer than {MAX_WINDOW_DAYS} days, which no Prometheus keeps at a step it can answer (11,000 points of a day at most); import it in parts with --end"
        ));
    }
    Ok(d)
}

/// The queries with their names, units and directions; names must differ.
fn queries(args: &PrometheusArgs) -> Result<Vec<Query>, String> {
    let default = args.as_name.as_deref().unwrap_or("value");
    let mut out: Vec<Query> = Vec::new();
    for text in &args.queries {
        let (name, promql) = prom::split_named(text, default);
        if promql.is_empty() {
            return Err(format!("--query `{text}`: the query is empty"));
        }
        if out.iter().any(|q| q.name == name) {
            return Err(format!(
                "two queries are named `{name}`: name each, `--query NAME=PROMQL`"
            ));
        }
        let (unit, factor, _) = prom::guess_unit(&promql);
        let better = if args.higher_is_better.contains(&name)
            || rigor_import::csv::sounds_higher_is_better(&name)
        {
            Direction::HigherIsBetter
        } else {
            Direction::LowerIsBetter
        };
        out.push(Query {
            name,
            promql,
            unit,
            factor,
            better,
        });
    }
    for text in &args.unit {
        let (name, unit) = match text.split_once('=') {
            Some((n, u)) => (Some(n.trim()), u),
            None => (None, text.as_str()),
        };
        let (unit, factor) = rigor_import::units::parse_unit(unit).ok_or_else(|| {
            format!(
                "--unit `{text}`: not a unit; one of {}",
                rigor_import::units::UNITS
            )
        })?;
        let mut found = false;
        for q in out.iter_mut().filter(|q| name.is_none_or(|n| n == q.name)) {
            (q.unit, q.factor) = (unit, factor);
            found = true;
        }
        if !found {
            return Err(format!("--unit `{text}`: no query is named so"));
        }
    }
    for name in &args.higher_is_better {
        if !out.iter().any(|q| q.name == *name) {
            return Err(format!("--higher-is-better `{name}`: no query is named so"));
        }
    }
    Ok(out)
}
