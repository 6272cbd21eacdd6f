//! One file per command; each is a small function that returns an exit code.

pub mod baseline;
pub mod bench;
pub mod capacity;
pub mod compare;
pub mod demo;
pub mod gate;
pub mod history;
pub mod import;
pub mod init;
pub mod load;
pub mod profile;
pub mod report;
pub mod run;
pub mod runs;
pub mod show;
pub mod slo;
pub mod target;
pub mod tune;

use std::path::PathBuf;

use rigor_model::units::HumanDuration;

/// Scraping the target's own metrics, for the commands that run load.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct MetricsArgs {
    /// Scrape the target's own metrics (a Prometheus or OpenMetrics endpoint, http://) once a
    /// second while the run goes: gauges as read, counters as rates, histograms as quantiles,
    /// stored with the run and usable as `target.metric.NAME` in thresholds and rules
    /// (overrides the plan's [target.metrics] url).
    #[arg(long, value_name = "URL")]
    pub target_metrics: Option<String>,

    /// Keep only the target's series matching this (`jvm_gc_*`, `requests_total{status="5*"}`);
    /// repeatable (overrides the plan's [target.metrics] select).
    #[arg(
        long = "target-metrics-select",
        value_name = "SELECTOR",
        requires = "target_metrics"
    )]
    pub select: Vec<String>,
}

impl MetricsArgs {
    /// What to scrape: the flags over the plan's `[target.metrics]`; a bad URL or selector is
    /// bad input.
    pub fn spec(
        &self,
        plan: Option<&rigor_model::plan::MetricsSpec>,
    ) -> anyhow::Result<Option<rigor_probe::scrape::ScrapeSpec>> {
        let mut spec = match (&self.target_metrics, plan) {
            (None, None) => return Ok(None),
            (None, Some(plan)) => plan.clone(),
            (Some(url), plan) => rigor_model::plan::MetricsSpec {
                url: url.clone(),
                ..plan.cloned().unwrap_or_default()
            },
        };
        if !self.select.is_empty() {
            spec.select.clone_from(&self.select);
        }
        spec.check()
            .map_err(|e| crate::exit::bad_input(anyhow::anyhow!("--target-metrics: {e}")))?;
        rigor_probe::scrape::ScrapeSpec::from_plan(&spec)
            .map(Some)
            .map_err(|e| crate::exit::bad_input(anyhow::anyhow!("{e}")))
    }
}

/// Options every command that records runs shares.
#[derive(clap::Args, Debug, Clone)]
pub struct RecordArgs {
    /// The run store: a SQLite file (default .rigor/rigor.db in the project directory).
    #[arg(long, env = "RIGOR_STORE", value_name = "PATH")]
    pub store: Option<PathBuf>,

    /// Print the run summary as versioned JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,

    /// No progress line.
    #[arg(long, short)]
    pub quiet: bool,

    /// Also write each run's reports (Markdown, HTML, CSV, the per-second CSV, JSON) to this
    /// directory, as `rigor report` does: for CI to keep as artifacts.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,

    /// Load generator threads; 0 uses one per available core.
    #[arg(long, default_value_t = 0, value_parser = crate::flags::threads)]
    pub threads: usize,

    /// A header whose value is a credential, never stored or printed as written (beside
    /// Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key and X-Auth-Token);
    /// repeatable.
    #[arg(long = "secret-header", value_name = "NAME", value_parser = crate::flags::header_name)]
    pub secret_headers: Vec<String>,

    /// Mark the run invalid when the generator's p99 scheduling lag exceeds this.
    #[arg(long, default_value = "10ms", value_name = "DURATION", value_parser = crate::flags::lag_limit)]
    pub max_lag: HumanDuration,
}
