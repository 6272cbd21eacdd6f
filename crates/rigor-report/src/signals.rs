//! The target's signals as every format words them: one list of (figure, value) lines, so the
//! terminal, Markdown and HTML say the same things in the same order.

use rigor_model::metric::{Scraped, Unit};
use rigor_model::output::{ScrapeSummary, TargetFigures, TargetSummary};
use rigor_model::units::{three_figures, Bytes};

/// The figures of the target over the run, as (label, value) lines; figures not measured are
/// left out (the summary's notes say why).
pub(crate) fn lines(t: &TargetSummary) -> Vec<(&'static str, String)> {
    let f = &t.figures;
    let pct = |v: f64| format!("{}%", three_figures(v * 100.0));
    let mut out = Vec::new();
    let mut cpu = format!("mean {}", pct(f.cpu_mean));
    if let (Some(u), Some(s)) = (f.cpu_user_mean, f.cpu_system_mean) {
        cpu.push_str(&format!(" (user {}, system {})", pct(u), pct(s)));
    }
    if let Some(p95) = f.cpu_p95 {
        cpu.push_str(&format!(" · p95 {}", pct(p95)));
    }
    cpu.push_str(&format!(
        " · max {} of the machine · {} cores busy on average",
        pct(f.cpu_max),
        three_figures(f.cpu_cores_mean)
    ));
    out.push(("CPU", cpu));
    out.push((
        "memory",
        format!(
            "RSS {} → {} (peak {})",
            Bytes(f.rss_start_bytes),
            Bytes(f.rss_end_bytes),
            Bytes(f.rss_max_bytes)
        ),
    ));
    let processes = match f.processes_max {
        Some(n) if n > 1 => format!("{n} processes at most · "),
        _ => String::new(),
    };
    out.push((
        "tasks",
        format!(
            "{processes}{} threads · {} open files at most",
            f.threads_max, f.fds_max
        ),
    ));
    if let Some(all) = f.ctx_switches_per_s {
        let preempted = f
            .involuntary_switches_per_s
            .map(|i| format!(" ({}/s preempted)", three_figures(i)))
            .unwrap_or_default();
        out.push((
            "scheduling",
            format!("{}/s context switches{preempted}", three_figures(all)),
        ));
    }
    if f.read_bytes_per_s.is_some() || f.write_bytes_per_s.is_some() {
        let rate = |v: Option<f64>| {
            v.map_or("not measured".to_string(), |v| {
                format!("{}/s", Bytes(v.max(0.0) as u64))
            })
        };
        out.push((
            "storage",
            format!(
                "read {} · written {}",
                rate(f.read_bytes_per_s),
                rate(f.write_bytes_per_s)
            ),
        ));
    }
    if let (Some(minor), Some(major)) = (f.minor_faults_per_s, f.major_faults_per_s) {
        out.push((
            "page faults",
            format!(
                "{}/s minor · {}/s major",
                three_figures(minor),
                three_figures(major)
            ),
        ));
    }
    if let Some(p) = pressure(f) {
        out.push(("host pressure", p));
    }
    for trend in &t.trends {
        let label = match trend.series.as_str() {
            "target.rss" => "memory trend",
            "target.fds" => "files trend",
            _ => "threads trend",
        };
        // A flat count says nothing worth a line; memory's verdict is always said.
        if trend.leaking || label == "memory trend" {
            out.push((label, trend.verdict.clone()));
        }
    }
    if let Some(exit) = &t.exit {
        out.push((
            "ended",
            format!("{} at second {} of the run", exit.status, exit.second),
        ));
    }
    out
}

/// `cpu 19% · memory 0% · io 39% of the time some task waited`.
fn pressure(f: &TargetFigures) -> Option<String> {
    let p = f.host_pressure.as_ref()?;
    let parts: Vec<String> = [("cpu", p.cpu), ("memory", p.memory), ("io", p.io)]
        .into_iter()
        .filter_map(|(name, v)| v.map(|v| format!("{name} {}%", three_figures(v * 100.0))))
        .collect();
    (!parts.is_empty()).then(|| {
        format!(
            "{} of the time some task on the machine waited",
            parts.join(" · ")
        )
    })
}

/// The processes worth a table: more than the target alone.
pub(crate) fn process_rows(t: &TargetSummary) -> Vec<[String; 6]> {
    if t.processes.len() < 2 {
        return Vec::new();
    }
    t.processes
        .iter()
        .map(|p| {
            [
                p.pid.to_string(),
                p.ppid.to_string(),
                p.command.clone(),
                three_figures(p.cpu_cores_mean),
                Bytes(p.rss_max_bytes).to_string(),
                p.threads_max.to_string(),
            ]
        })
        .collect()
}

/// The headers of [`process_rows`].
pub(crate) const PROCESS_HEADERS: [&str; 6] = [
    "pid",
    "parent",
    "command",
    "cores busy",
    "RSS peak",
    "threads",
];

/// How the scraping of the target's own metrics and its probes went, a line each:
/// `http://…/metrics every 1s: 9 scrapes, 0 failed`, `probe plan (text, every 5s): 12 runs,
/// 0 failed; its output changed once: at second 31, …`.
pub(crate) fn scrape_heading(s: &ScrapeSummary) -> Vec<String> {
    let every = |ns: u64| rigor_model::units::format_duration(std::time::Duration::from_nanos(ns));
    let mut lines = Vec::new();
    if let Some(url) = &s.url {
        let mut text = format!(
            "{url} every {}: {} scrapes, {} failed",
            every(s.every_ns),
            s.scrapes,
            s.failed
        );
        if let Some(why) = s.last_error.as_ref().filter(|_| s.failed > 0) {
            text.push_str(&format!(" (last: {why})"));
        }
        lines.push(text);
    }
    for p in &s.probes {
        let mut text = format!(
            "probe {} ({}, every {}): {} runs, {} failed",
            p.name,
            p.kind,
            every(p.every_ns),
            p.runs,
            p.failed
        );
        if let Some(why) = p.last_error.as_ref().filter(|_| p.failed > 0) {
            text.push_str(&format!(" (last: {why})"));
        }
        match p.texts.len() {
            0 | 1 if p.kind == "text" => text.push_str("; its output did not change"),
            0 | 1 => {}
            n => {
                let changes: Vec<String> = p.texts[1..]
                    .iter()
                    .map(|t| format!("at second {}: `{}` ({})", t.second, t.first_line, t.hash))
                    .collect();
                text.push_str(&format!(
                    "; its output CHANGED {} time{} ({})",
                    n - 1,
                    if n == 2 { "" } else { "s" },
                    changes.join("; ")
                ));
            }
        }
        lines.push(text);
    }
    lines
}

/// One row per scraped series: the name a threshold or rule gives it, then its mean, least,
/// most and last value over the scrapes, in its unit.
pub(crate) fn scrape_rows(s: &ScrapeSummary) -> Vec<[String; 6]> {
    s.series
        .iter()
        .map(|f| {
            let path = &f.series[..f.series.find('{').unwrap_or(f.series.len())];
            let (unit, scale) =
                Scraped::parse(path).map_or((Unit::Number, 1.0), |m| (m.unit(), m.scale()));
            let show = |v: f64| unit.format(v * scale);
            [
                Scraped::sample_name(&f.series),
                f.samples.to_string(),
                show(f.mean),
                show(f.min),
                show(f.max),
                show(f.last),
            ]
        })
        .collect()
}

/// The headers of [`scrape_rows`].
pub(crate) const SCRAPE_HEADERS: [&str; 6] = ["series", "scrapes", "mean", "min", "max", "last"];

/// The series a table shows before it says how many more the JSON holds.
pub(crate) const SCRAPE_ROWS_SHOWN: usize = 40;
