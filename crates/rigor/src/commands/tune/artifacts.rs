//! Writing a session's evidence under `.artifacts/performance/` (or `--out DIR`): the intake
//! report, the baseline's metrics, the hypothesis log, the plan, the diagnosis, the runs, the
//! validation report, one report per phase and the whole report, and the manifest that lists
//! each with its SHA-256, size and the runs it comes from. Written again whole each time, so
//! the manifest always matches the files beside it.

use std::path::{Path, PathBuf};

use rigor_model::metric::{Metric, Scope};
use rigor_model::slo::SloUpdateRecord;
use rigor_model::tune::artifacts::{
    ArtifactEntry, IntakeReport, LoadTestResults, Manifest, OptimizationPlan, SessionRun,
    ValidationReport,
};
use rigor_model::tune::TuneStatus;
use rigor_store::Store;

/// The default directory, from the plan's.
pub const DEFAULT_DIR: &str = ".artifacts/performance";

/// Writes every artifact of `status` into `dir`; returns the manifest written.
pub fn write(status: &TuneStatus, store: &dyn Store, dir: &Path) -> anyhow::Result<Manifest> {
    let s = &status.session;
    std::fs::create_dir_all(dir).map_err(|e| {
        crate::exit::not_completed(anyhow::anyhow!(
            "cannot create the artifacts' directory {}: {e}",
            dir.display()
        ))
    })?;
    let baseline: Vec<i64> = s.baseline_run.into_iter().collect();
    let all_runs = status.session.runs();
    let json = |v: &dyn erased::Json| v.pretty();
    let mut files: Vec<(&str, String, Vec<i64>)> = vec![
        (
            "performance-intake-report.json",
            json(&IntakeReport {
                session: s.name.clone(),
                goal: s.goal.clone(),
                expected_peak: s.expected_peak.clone(),
                baseline_run: s.baseline_run,
                scope: s.scope.clone(),
                reproducer: s.reproducer.clone(),
                tests: s.tests.clone(),
                approved: s.approved.clone(),
                missing: status.missing.clone(),
            }),
            baseline.clone(),
        ),
        (
            "baseline-metrics.csv",
            baseline_csv(status, store),
            baseline.clone(),
        ),
        (
            "hypothesis-log.md",
            rigor_report::tune::hypothesis_log(status),
            Vec::new(),
        ),
        (
            "optimization-plan.json",
            json(&plan(status)),
            baseline.clone(),
        ),
        (
            "profiling-report.md",
            rigor_report::tune::profiling_report(status),
            s.diagnosis.iter().map(|d| d.run_id).collect(),
        ),
        (
            "load-test-results.json",
            json(&LoadTestResults {
                session: s.name.clone(),
                runs: all_runs
                    .iter()
                    .map(|(id, role)| session_run(store, *id, role))
                    .collect(),
            }),
            all_runs.iter().map(|(id, _)| *id).collect(),
        ),
        (
            "optimization-validation-report.json",
            json(&ValidationReport {
                session: s.name.clone(),
                goal: s.goal.clone(),
                baseline_run: s.baseline_run,
                iterations: s.iterations.clone(),
                diagnosis: s.diagnosis.clone(),
            }),
            s.iterations
                .iter()
                .map(|i| i.run_id)
                .chain(baseline.clone())
                .collect(),
        ),
    ];
    let phases = [
        "phase1_performance_baseline.md",
        "phase2_performance_profiling.md",
        "phase3_performance_optimization.md",
        "phase4_performance_capacity.md",
        "phase5_performance_operations.md",
    ];
    for (i, name) in phases.iter().enumerate() {
        files.push((
            name,
            rigor_report::tune::phase_report(status, i as u8 + 1),
            Vec::new(),
        ));
    }
    let slo_runs: Vec<i64> = s
        .monitoring
        .iter()
        .flat_map(|m| m.updates.iter().flat_map(|u| u.evidence.clone()))
        .collect();
    files.push((
        "slo-update-record.json",
        json(&SloUpdateRecord {
            schema_version: rigor_model::slo::SLO_RECORD_VERSION,
            session: Some(s.name.clone()),
            updates: s
                .monitoring
                .iter()
                .flat_map(|m| m.updates.clone())
                .collect(),
        }),
        slo_runs,
    ));
    files.push((
        "instrumentation-update-log.md",
        rigor_report::tune::instrumentation_log(status, &signals(store, &all_runs)),
        all_runs.iter().map(|(id, _)| *id).collect(),
    ));
    files.push((
        "continuous-improvement-notes.md",
        rigor_report::tune::improvement_notes(status),
        Vec::new(),
    ));
    files.push((
        "tune-session.log",
        s.events.iter().map(|e| format!("{e}\n")).collect(),
        Vec::new(),
    ));
    files.push((
        "PERFORMANCE-REPORT.md",
        rigor_report::tune::performance_report(status),
        all_runs.iter().map(|(id, _)| *id).collect(),
    ));
    let mut artifacts = Vec::with_capacity(files.len());
    for (name, text, runs) in files {
        let path = dir.join(name);
        std::fs::write(&path, &text).map_err(|e| {
            crate::exit::not_completed(anyhow::anyhow!("cannot write {}: {e}", path.display()))
        })?;
        artifacts.push(ArtifactEntry {
            path: name.to_string(),
            sha256: sha256(text.as_bytes()),
            bytes: text.len() as u64,
            runs,
        });
    }
    let manifest = Manifest {
        session: s.name.clone(),
        state: s.state.as_str().to_string(),
        written_at: rigor_model::units::rfc3339(std::time::SystemTime::now()),
        artifacts,
    };
    let path = dir.join("performance-report-manifest.json");
    std::fs::write(&path, serde_json::to_string_pretty(&manifest)?).map_err(|e| {
        crate::exit::not_completed(anyhow::anyhow!("cannot write {}: {e}", path.display()))
    })?;
    Ok(manifest)
}

/// The optimisation plan: the steps, the goal and baseline, the hypotheses by return on
/// effort, how each change is measured, the risks, and who approved and reviewed it.
pub fn plan(status: &TuneStatus) -> OptimizationPlan {
    let s = &status.session;
    let reproducer = s
        .reproducer
        .as_ref()
        .map_or("the reproducer".into(), ToString::to_string);
    let repeats = s.baseline_runs.len().max(1);
    let mut measurement = format!(
        "{reproducer} run by `rigor run`: the baseline ({repeats} run{} of the unchanged system), the diagnosis, and each change, compared with the baseline metric by metric with 95% intervals (block bootstrap over one-second windows; the spread between earlier runs of the same measurement when there are 5 or more; with --before/--after, interleaved rounds judged by the paired Student-t)",
        if repeats == 1 { "" } else { "s" }
    );
    if let Some(peak) = &s.expected_peak {
        measurement +=
            &format!("; each again at the expected peak, {peak} (every phase's rate scaled to it)");
    }
    measurement += &format!(
        "; the functional tests ({}) after each change",
        s.tests.as_deref().unwrap_or("none given")
    );
    let steps = [
        "1. Baseline: `rigor tune baseline [--repeat N]`, the goal's gap stated; gate `baseline`",
        "2. Profile and find the bottleneck: `rigor tune diagnose [--profile]`; gate `diagnosis`",
        "3. Optimise the hypotheses in the order below, each change validated: `rigor tune validate --note … --hypothesis N`; gate `optimisation`",
        "4. Load testing and capacity: `rigor capacity SCENARIO --slo …` on the tuned system, then `rigor tune capacity --search latest` (its headroom over the expected peak), or a recorded skip",
        "5. Monitoring: `rigor tune monitor` writes the goal into the plan as a budget; gate `governance`; `rigor tune close --promote`",
    ]
    .map(String::from)
    .to_vec();
    OptimizationPlan {
        session: s.name.clone(),
        goal: s.goal.clone(),
        baseline_run: s.baseline_run,
        hypotheses: s.ordered_hypotheses().into_iter().cloned().collect(),
        steps,
        measurement,
        risks: status.risks.clone(),
        approved: s.approved.clone(),
        reviewed: s.answer(rigor_model::tune::Gate::Plan).cloned(),
    }
}

/// The artifacts' directory: `out`, else `.artifacts/performance` in the plan's directory.
pub fn dir(out: Option<&Path>, plan_dir: &Path) -> PathBuf {
    out.map_or_else(|| plan_dir.join(DEFAULT_DIR), Path::to_path_buf)
}

/// What each run captured beside its latency: the target's process, its own metrics, a
/// profile, probes — for the instrumentation log.
fn signals(store: &dyn Store, runs: &[(i64, String)]) -> Vec<rigor_report::tune::Signals> {
    runs.iter()
        .map(|(id, role)| {
            let summary = store.run(*id).ok().and_then(|r| {
                match rigor_model::output::StoredSummary::parse(r.kind, r.summary.as_deref()) {
                    Ok(Some(rigor_model::output::StoredSummary::Load(s))) => Some(*s),
                    _ => None,
                }
            });
            rigor_report::tune::Signals {
                run_id: *id,
                role: role.clone(),
                load: summary.is_some(),
                target: summary.as_ref().is_some_and(|s| s.target.is_some()),
                scraped: summary
                    .as_ref()
                    .and_then(|s| s.target_metrics.as_ref())
                    .map_or(0, |m| m.series.len()),
                probes: summary
                    .as_ref()
                    .and_then(|s| s.target_metrics.as_ref())
                    .map_or(0, |m| m.probes.len()),
                profiled: store.profiles(*id).is_ok_and(|p| !p.is_empty()),
            }
        })
        .collect()
}

fn session_run(store: &dyn Store, id: i64, role: &str) -> SessionRun {
    let record = store.run(id).ok();
    let summary = record.as_ref().and_then(|r| {
        match rigor_model::output::StoredSummary::parse(r.kind, r.summary.as_deref()) {
            Ok(Some(rigor_model::output::StoredSummary::Load(s))) => Some(*s),
            _ => None,
        }
    });
    let total = summary.as_ref().map(|s| &s.total);
    SessionRun {
        run_id: id,
        role: role.to_string(),
        scenario: record
            .as_ref()
            .map(|r| r.scenario.clone())
            .unwrap_or_default(),
        status: record
            .as_ref()
            .map(|r| r.status.as_str().to_string())
            .unwrap_or_else(|| "missing".into()),
        requests: total.map(|t| t.requests),
        throughput_per_s: total.map(|t| t.throughput_per_s),
        p50_ns: total
            .filter(|t| t.latency.count > 0)
            .map(|t| t.latency.p50_ns),
        p95_ns: total
            .filter(|t| t.latency.count > 0)
            .map(|t| t.latency.p95_ns),
        p99_ns: total
            .filter(|t| t.latency.count > 0)
            .map(|t| t.latency.p99_ns),
        error_rate: total.map(|t| t.error_rate),
    }
}

/// `baseline-metrics.csv`: the baseline's key figures, with the method that measured them.
fn baseline_csv(status: &TuneStatus, store: &dyn Store) -> String {
    let mut out = String::from("metric,value,unit,run_id,method\n");
    let Some(run) = status.session.baseline_run else {
        return out;
    };
    let Ok(record) = store.run(run) else {
        return out;
    };
    let method = format!("rigor run {} (stored run {run})", record.scenario);
    let Ok(data) = super::super::compare::load(store, record) else {
        return out;
    };
    let names: &[&str] = match data.kind {
        rigor_store::RunKind::Load => &[
            "latency.p50",
            "latency.p95",
            "latency.p99",
            "latency.max",
            "throughput",
            "error_rate",
            "target.cpu",
            "target.rss",
        ],
        rigor_store::RunKind::Bench => &[
            "wall.median",
            "wall.mean",
            "user.mean",
            "system.mean",
            "peak_rss",
        ],
        // A session's baseline is rigor's own run.
        rigor_store::RunKind::Imported | rigor_store::RunKind::Telemetry => &[],
    };
    for name in names {
        let Ok(metric) = name.parse::<Metric>() else {
            continue;
        };
        if let Ok(Some(v)) = rigor_analysis::metrics::value(&data, metric, &Scope::Run) {
            out.push_str(&format!(
                "{name},{v},{},{run},{method}\n",
                metric.unit().as_str()
            ));
        }
    }
    production_rows(&mut out, store);
    out
}

/// The latest production telemetry in the store (`rigor import prometheus`), beside rigor's
/// own baseline: each figure with its query as the method, so the two can be read together.
fn production_rows(out: &mut String, store: &dyn Store) {
    let filter = rigor_store::RunFilter {
        kind: Some(rigor_store::RunKind::Telemetry),
        ..Default::default()
    };
    let Ok(Some(latest)) = store.latest_run(&filter) else {
        return;
    };
    let Ok(Some(rigor_model::output::StoredSummary::Imported(run))) =
        rigor_model::output::StoredSummary::parse(latest.kind, latest.summary.as_deref())
    else {
        return;
    };
    let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    for v in &run.values {
        let query = run
            .attributes
            .get(&format!("query.{}", v.metric))
            .cloned()
            .unwrap_or_default();
        let method = format!(
            "production telemetry: PromQL `{query}` at {}, from {} to {} every {}, mean",
            run.file,
            run.attributes.get("start").cloned().unwrap_or_default(),
            run.attributes.get("end").cloned().unwrap_or_default(),
            run.attributes.get("step").cloned().unwrap_or_default()
        );
        out.push_str(&format!(
            "{}.{},{},{},{},{}\n",
            latest.scenario,
            v.metric,
            v.value,
            v.unit.as_str(),
            latest.id,
            quote(&method)
        ));
    }
}

fn sha256(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Pretty JSON of any artifact type, for the table of files above.
mod erased {
    pub trait Json {
        fn pretty(&self) -> String;
    }

    impl<T: serde::Serialize> Json for T {
        fn pretty(&self) -> String {
            serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
        }
    }
}
