//! Makes a long run out of a short one, for benchmarks of what reads stored runs (reports,
//! comparisons): `stretch_run STORE RUN SECONDS` copies run RUN of STORE into a new run of
//! SECONDS seconds, its one-second windows and samples repeated in order, its summary's
//! duration set to match, and prints the new run's id. The figures are the short run's, so
//! the long run is as realistic per second as the run it was made from.

use std::path::PathBuf;

use rigor_store::{NewRun, RunEnd, Sample, StoredWindow};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store, run, seconds] = args.as_slice() else {
        return Err("usage: stretch_run STORE RUN SECONDS".into());
    };
    let (run, seconds): (i64, u32) = (run.parse()?, seconds.parse()?);
    let mut store = rigor_store::open(&PathBuf::from(store))?;
    let template = store.run(run)?;
    let windows = store.windows(run)?;
    let samples = store.samples(run)?;
    let histograms = store.histograms(run)?;
    let length = windows
        .iter()
        .map(|w| w.second)
        .max()
        .ok_or("the run has no windows")?
        + 1;

    let id = store.begin_run(&NewRun {
        kind: template.kind,
        scenario: format!("{}-stretched", template.scenario),
        plan: template.plan.clone(),
        started_at_ns: template.started_at_ns,
        environment: template.environment.clone(),
        git_commit: template.git_commit.clone(),
        owner: None,
    })?;
    // A minute at a time, as the recorder writes a few seconds at a time.
    for start in (0..seconds).step_by(60) {
        let end = (start + 60).min(seconds);
        let mut batch: Vec<StoredWindow> = Vec::new();
        let mut sampled: Vec<Sample> = Vec::new();
        for second in start..end {
            let from = second % length;
            batch.extend(
                windows
                    .iter()
                    .filter(|w| w.second == from)
                    .map(|w| StoredWindow {
                        second,
                        ..w.clone()
                    }),
            );
            sampled.extend(samples.iter().filter(|s| s.second == from).map(|s| Sample {
                second,
                ..s.clone()
            }));
        }
        store.append_windows(id, &batch)?;
        store.append_samples(id, &sampled)?;
    }
    store.save_histograms(id, &histograms)?;
    let mut summary: serde_json::Value = serde_json::from_str(
        template
            .summary
            .as_deref()
            .ok_or("the run has no summary")?,
    )?;
    let duration_ns = u64::from(seconds) * 1_000_000_000;
    summary["run_id"] = id.into();
    summary["duration_ns"] = duration_ns.into();
    summary["scenario"] = format!("{}-stretched", template.scenario).into();
    store.finish_run(
        id,
        &RunEnd {
            status: template.status,
            reason: template.status_reason.as_deref(),
            ended_at_ns: template.started_at_ns + duration_ns as i64,
            summary: &summary.to_string(),
            headline: template.headline,
        },
    )?;
    // The id is this tool's output, for the benchmark script to read.
    #[allow(clippy::print_stdout)]
    {
        println!("{id}");
    }
    Ok(())
}
