//! One file per command; each is a small function that returns an exit code.

pub mod baseline;
pub mod bench;
pub mod compare;
pub mod demo;
pub mod gate;
pub mod import;
pub mod init;
pub mod load;
pub mod profile;
pub mod report;
pub mod run;
pub mod runs;
pub mod show;
pub mod target;

use std::path::PathBuf;

use rigor_model::units::HumanDuration;

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
