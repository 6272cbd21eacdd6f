//! The versioned JSON contract: each report's own serde type, pretty-printed, then a newline.

use std::io::Write;

use serde::Serialize;

use crate::{Exporter, Report, ReportError};

pub struct Json;

impl Exporter for Json {
    fn export(&self, report: &Report<'_>, out: &mut dyn Write) -> Result<(), ReportError> {
        match report {
            Report::Run(summary) => write(out, summary),
            Report::LoadReport(r) => write(out, r),
            Report::Bench { result, .. } => write(out, result),
            Report::Comparison { comparison, .. } => write(out, comparison),
            Report::Gate { report, .. } => write(out, report),
            Report::RunList { runs, .. } => write(out, runs),
            Report::PlanRun(output) => write(out, output),
            Report::Profile(r) => write(out, r),
            Report::ProfileDiff(d) => write(out, d),
            Report::Capacity(r) => write(out, r),
            Report::Imported { run, .. } => write(out, run),
            Report::History { report, .. } => write(out, report),
        }
    }
}

fn write(out: &mut dyn Write, value: &impl Serialize) -> Result<(), ReportError> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
}
