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

/// The live endpoint, for the commands that run load.
#[derive(clap::Args, Debug, Clone)]
pub struct LiveArgs {
    /// Serve the run's figures live at http://ADDR/metrics in the Prometheus exposition
    /// format (OpenMetrics, with the slowest requests' trace ids as exemplars, when the
    /// scraper asks for it): requests by outcome, errors by kind, responses by status, the
    /// latency of responses as a histogram (with a bucket at each SLO threshold of the plan),
    /// the generator's send lag and the target's samples. E.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<String>,

    /// After the run, keep the endpoint up until it has been scraped once more (so the
    /// scraper has the final counts), at most this long; Ctrl-C ends the wait.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = crate::flags::pause, requires = "metrics_addr")]
    pub metrics_linger: HumanDuration,
}

impl LiveArgs {
    /// Binds the endpoint before anything runs: an address that does not read is bad input
    /// (exit 2), one that cannot be bound could not run (exit 3). `thresholds` are the plan's
    /// latency SLO bounds, each given a bucket.
    pub fn start(
        &self,
        thresholds: &[std::time::Duration],
        w: &mut rigor_report::Writer,
    ) -> anyhow::Result<Option<rigor_live::Exporter>> {
        let Some(text) = &self.metrics_addr else {
            return Ok(None);
        };
        use std::net::ToSocketAddrs;
        let addr = text
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| {
                let hint = if text.starts_with(':') {
                    format!("give the host too: 127.0.0.1{text} for this machine only, 0.0.0.0{text} for every interface")
                } else {
                    "give HOST:PORT, such as 127.0.0.1:9464".to_string()
                };
                crate::exit::bad_input(anyhow::anyhow!(
                    "--metrics-addr `{text}`: not an address to listen on; {hint}"
                ))
            })?;
        let exporter = rigor_live::Exporter::bind(addr, rigor_live::Feed::new(thresholds))
            .map_err(|e| {
                let what = match e.kind() {
                    std::io::ErrorKind::AddrNotAvailable => format!(
                        "{} is not an address of this machine; give one of its own (127.0.0.1, or 0.0.0.0 for every interface)",
                        addr.ip()
                    ),
                    std::io::ErrorKind::PermissionDenied => format!(
                        "port {} needs privileges; pick one above 1023",
                        addr.port()
                    ),
                    _ => "pick a free port (or 127.0.0.1:0 for any) or stop what holds it".to_string(),
                };
                crate::exit::not_completed(anyhow::anyhow!(
                    "--metrics-addr {addr}: cannot listen there: {e}; {what}"
                ))
            })?;
        w.note(format_args!(
            "live metrics at http://{}/metrics",
            exporter.addr()
        ));
        Ok(Some(exporter))
    }

    /// After the run: waits for the endpoint's last scrape (see --metrics-linger).
    pub fn linger(&self, exporter: Option<rigor_live::Exporter>, w: &mut rigor_report::Writer) {
        let Some(exporter) = exporter else {
            return;
        };
        if self.metrics_linger.0.is_zero() {
            w.note(format_args!(
                "live metrics at http://{}/metrics end with the run (--metrics-linger 0s): a scraper has the counts of its last scrape",
                exporter.addr()
            ));
            return;
        }
        w.note(format_args!(
            "live metrics stay at http://{}/metrics until scraped once more (at most {}; Ctrl-C ends it)",
            exporter.addr(),
            self.metrics_linger
        ));
        let stop = crate::signals::stop_handle();
        if !exporter.linger(self.metrics_linger.0, &stop) {
            w.note(format_args!(
                "the endpoint was not scraped after the run ended; a scraper has the counts of its last scrape"
            ));
        }
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
