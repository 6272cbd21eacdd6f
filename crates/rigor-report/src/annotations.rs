//! The gate as GitHub workflow commands: an `::error` or `::warning` annotation per breached
//! check, pointing at the plan. They belong on stderr (GitHub reads both streams), so stdout
//! keeps only the data asked for.

use std::io::Write;
use std::path::Path;

use rigor_model::output::analysis::{CheckOutcome, GateReport};

use crate::{Exporter, Format, Report, ReportError};

pub struct Annotations;

impl Exporter for Annotations {
    fn export(&self, report: &Report<'_>, out: &mut dyn Write) -> Result<(), ReportError> {
        match report {
            Report::Gate { report, plan } => Ok(github_annotations(out, report, plan)?),
            other => Err(ReportError::unsupported(Format::GithubAnnotations, other)),
        }
    }
}

/// GitHub workflow commands: an error or warning annotation per breached check, written to
/// `out` (the caller passes stderr, so they never mix with the data on stdout).
fn github_annotations(
    out: &mut dyn Write,
    report: &GateReport,
    plan: &Path,
) -> std::io::Result<()> {
    let escape = |t: &str| {
        t.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    for c in &report.checks {
        let level = match c.outcome {
            CheckOutcome::Fail => "error",
            CheckOutcome::Warn => "warning",
            _ => continue,
        };
        writeln!(
            out,
            "::{level} file={},title={}::{}",
            plan.display(),
            escape(&format!("rigor gate: {} {}", c.scenario, c.description))
                .replace(',', "%2C")
                .replace(':', "%3A"),
            escape(&c.message)
        )?;
    }
    Ok(())
}
