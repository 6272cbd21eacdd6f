//! The gate as JUnit XML: one test case per check, failures with their reason, warnings and
//! pending breaches as output, so CI test views show each budget and rule.

use std::io::Write;

use rigor_model::output::analysis::{CheckOutcome, GateReport};

use crate::{Exporter, Format, Report, ReportError};

pub struct Junit;

impl Exporter for Junit {
    fn export(&self, report: &Report<'_>, out: &mut dyn Write) -> Result<(), ReportError> {
        match report {
            Report::Gate { report, .. } => Ok(out.write_all(junit(report).as_bytes())?),
            other => Err(ReportError::unsupported(Format::Junit, other)),
        }
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One test case per check; failures (and warnings, as skipped-with-message) carry the why.
fn junit(report: &GateReport) -> String {
    let failures = report
        .checks
        .iter()
        .filter(|c| c.outcome == CheckOutcome::Fail)
        .count();
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rigor gate\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"rigor gate\" tests=\"{}\" failures=\"{failures}\">\n",
        report.checks.len(),
        report.checks.len()
    );
    for c in &report.checks {
        s.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{} {}\">\n",
            xml(&c.scenario),
            xml(c.kind.as_str()),
            xml(&c.description)
        ));
        match c.outcome {
            CheckOutcome::Fail => s.push_str(&format!(
                "      <failure message=\"{}\">run {}: {}</failure>\n",
                xml(&c.message),
                c.run_id,
                xml(&c.value_text)
            )),
            CheckOutcome::Warn | CheckOutcome::Pending | CheckOutcome::NotJudged => {
                s.push_str(&format!(
                    "      <system-out>{}: {}</system-out>\n",
                    c.outcome.as_str(),
                    xml(&c.message)
                ))
            }
            CheckOutcome::Pass => {}
        }
        s.push_str("    </testcase>\n");
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}
