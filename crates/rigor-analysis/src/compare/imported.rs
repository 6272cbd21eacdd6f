//! Comparing two imported runs, figure by figure. A figure the source kept samples of
//! (criterion's time per iteration) is compared as a benchmark's runs are: a bootstrap of
//! the mean with a Mann–Whitney p-value. A figure without samples is a value without an
//! interval: its change is set against the noise band only, and its method says so; with
//! enough earlier runs the spread between them judges it instead (`between`).

use rigor_model::metric::{Metric, Scope};
use rigor_model::output::imported::ImportedValue;
use rigor_stats::{
    compare as bootstrap, mann_whitney_u, Alternative, Interval, MannWhitneyMethod, Sample,
    Statistic,
};

use super::{noise_for, CompareSettings, Pending};
use crate::data::RunData;
use crate::metrics::stats_direction;
use crate::output::ChangeKind;

/// Every figure both runs have.
pub(super) fn compare_imported(
    a: &RunData,
    b: &RunData,
    s: &CompareSettings,
    out: &mut Vec<Pending>,
    warnings: &mut Vec<String>,
) {
    let (Some(ia), Some(ib)) = (&a.imported, &b.imported) else {
        return;
    };
    for va in &ia.values {
        let Some(vb) = ib.get(&va.metric) else {
            warnings.push(format!("`{}` is only in run {}", va.metric, a.id()));
            continue;
        };
        if (va.unit, va.better) != (vb.unit, vb.better) {
            warnings.push(format!(
                "`{}` is not compared: run {} has it in {} ({} is better), run {} in {} ({} is better)",
                va.metric,
                a.id(),
                va.unit.as_str(),
                better(va),
                b.id(),
                vb.unit.as_str(),
                better(vb)
            ));
            continue;
        }
        let compared = if va.samples.len() >= 2 && vb.samples.len() >= 2 {
            on_samples(va, vb, s).ok_or_else(|| {
                format!(
                    "`{}` is not compared: its samples ({} and {}) allow no bootstrap",
                    va.metric,
                    va.samples.len(),
                    vb.samples.len()
                )
            })
        } else {
            point(va, vb, s)
        };
        match compared {
            Ok(p) => out.push(p),
            Err(why) => warnings.push(why),
        }
    }
    for vb in &ib.values {
        if ia.get(&vb.metric).is_none() {
            warnings.push(format!("`{}` is only in run {}", vb.metric, b.id()));
        }
    }
}

/// What the reader must know of the changes still judged as points once the spread between
/// runs has judged what it could: they had no test.
pub(super) fn untested_warning(a: &RunData, pending: &[Pending]) -> Option<String> {
    let names: Vec<&str> = pending
        .iter()
        .filter(|p| p.untested)
        .map(|p| p.metric.as_str())
        .collect();
    let source = a
        .imported
        .as_ref()
        .map_or("another tool", |i| i.source.as_str());
    (!names.is_empty()).then(|| {
        format!(
            "{} {} values without an interval (imported from {source}): a change is set against the noise band only, with no test of its significance; with five runs or more up to the baseline, the spread between runs judges it",
            names.join(", "),
            if names.len() == 1 { "is a" } else { "are" },
        )
    })
}

fn better(v: &ImportedValue) -> &'static str {
    match v.better {
        rigor_model::metric::Direction::LowerIsBetter => "lower",
        rigor_model::metric::Direction::HigherIsBetter => "higher",
    }
}

fn pending(va: &ImportedValue, s: &CompareSettings) -> Pending {
    Pending {
        history_only: false,
        untested: false,
        by_overlap: false,
        noise: noise_for(s, &va.metric),
        metric: va.metric.clone(),
        measure: Metric::Column(va.column()),
        scope: Scope::Run,
        unit: va.unit,
        direction: stats_direction(va.better),
        baseline: va.value,
        candidate: f64::NAN,
        change_kind: ChangeKind::Relative,
        change: Interval {
            estimate: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
        },
        p_value: f64::NAN,
        method: String::new(),
    }
}

/// Two values without intervals: the change, as a point, against the noise band — in points
/// for a share (`error_rate` 0 % → 7.5 % is +7.5 points), relative for anything else, which a
/// baseline of zero leaves undefined (said, not dropped silently).
fn point(va: &ImportedValue, vb: &ImportedValue, s: &CompareSettings) -> Result<Pending, String> {
    if !(va.value.is_finite() && vb.value.is_finite()) {
        return Err(format!(
            "`{}` is not compared: a value is not finite",
            va.metric
        ));
    }
    let absolute = va.unit == rigor_model::metric::Unit::Fraction;
    if !absolute && va.value == 0.0 {
        return Err(format!(
            "`{}` is not compared: its baseline value is 0, so a change to {} has no relative size; gate it with an absolute limit",
            va.metric,
            va.unit.format(vb.value)
        ));
    }
    let (change, change_kind, noise, band) = if absolute {
        let noise = s.rate_noise;
        (
            vb.value - va.value,
            ChangeKind::Absolute,
            noise,
            format!(
                "±{} points",
                rigor_model::units::three_figures(noise * 100.0)
            ),
        )
    } else {
        let noise = noise_for(s, &va.metric);
        (
            (vb.value - va.value) / va.value.abs(),
            ChangeKind::Relative,
            noise,
            format!("±{}", rigor_model::metric::Unit::Fraction.format(noise)),
        )
    };
    Ok(Pending {
        change_kind,
        noise,
        candidate: vb.value,
        change: Interval {
            estimate: change,
            lower: change,
            upper: change,
        },
        // No test: the point is taken as it is, and the method says so.
        p_value: 0.0,
        untested: true,
        by_overlap: false,
        method: format!(
            "a value without an interval: the change against the noise band ({band}) only, no test of significance"
        ),
        ..pending(va, s)
    })
}

/// Two sets of the source's samples: a bootstrap of the mean, the Mann–Whitney p-value.
fn on_samples(va: &ImportedValue, vb: &ImportedValue, s: &CompareSettings) -> Option<Pending> {
    let c = bootstrap(
        &Sample::Values(&va.samples),
        &Sample::Values(&vb.samples),
        Statistic::Mean,
        &s.bootstrap,
    )
    .ok()?;
    let change = c.relative_change?;
    let p_value = mann_whitney_u(
        &va.samples,
        &vb.samples,
        Alternative::TwoSided,
        MannWhitneyMethod::Auto,
    )
    .map_or(c.p_value, |m| m.p_value);
    Some(Pending {
        baseline: c.baseline.estimate,
        candidate: c.candidate.estimate,
        change,
        p_value,
        method: format!(
            "bootstrap of the mean of the source's samples, Mann–Whitney U p-value ({} and {} samples)",
            va.samples.len(),
            vb.samples.len()
        ),
        ..pending(va, s)
    })
}
