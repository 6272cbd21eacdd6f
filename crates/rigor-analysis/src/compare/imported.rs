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
    let mut pointwise = Vec::new();
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
            on_samples(va, vb, s)
        } else {
            pointwise.push(va.metric.clone());
            point(va, vb, s)
        };
        out.extend(compared);
    }
    for vb in &ib.values {
        if ia.get(&vb.metric).is_none() {
            warnings.push(format!("`{}` is only in run {}", vb.metric, b.id()));
        }
    }
    if !pointwise.is_empty() {
        warnings.push(format!(
            "{} {} values without an interval (imported from {}): a change is set against the noise band only, with no test of its significance; record five runs or more before the baseline and the spread between runs judges it",
            pointwise.join(", "),
            if pointwise.len() == 1 { "is a" } else { "are" },
            ia.source
        ));
    }
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

/// Two values without intervals: the change, as a point, against the noise band.
fn point(va: &ImportedValue, vb: &ImportedValue, s: &CompareSettings) -> Option<Pending> {
    if !(va.value.is_finite() && vb.value.is_finite()) || va.value == 0.0 {
        return None;
    }
    let change = vb.value / va.value - 1.0;
    Some(Pending {
        candidate: vb.value,
        change: Interval {
            estimate: change,
            lower: change,
            upper: change,
        },
        // No test: the point is taken as it is, and the method says so.
        p_value: 0.0,
        untested: true,
        method: format!(
            "a value without an interval: the change against the noise band (±{}) only, no test of significance",
            rigor_model::metric::Unit::Fraction.format(noise_for(s, &va.metric))
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
