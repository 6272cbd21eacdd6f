//! The knee of a curve: Kneedle (Satopää, Albrecht, Irwin and Raghavan, "Finding a 'Kneedle'
//! in a Haystack: Detecting Knee Points in System Behavior", ICDCS workshops 2011), for the
//! point where a latency–load curve turns from flat to steep (convex) or a throughput–
//! concurrency curve stops rising (concave).
//!
//! Both axes are scaled to [0, 1]; the difference curve (`y − x` for a concave curve, `x − y`
//! for a convex one) has its local maxima at knee candidates; a candidate is the knee once the
//! difference falls below `dᵢ − S · mean(Δx)` after it before rising above it again (the
//! sensitivity `S`, 1 in the paper). The tests use the paper's Figure 2 curve and the reference
//! implementation's (`kneed`) convex test curve with their published knees.

/// Which way the curve bends (both increasing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bend {
    /// Rising ever faster: latency against load.
    Convex,
    /// Rising ever slower: throughput against concurrency.
    Concave,
}

/// The index of the knee of the increasing curve `(x[i], y[i])` (`x` ascending), or `None`
/// when there is none (fewer than three points, a straight line, or no candidate confirmed).
pub fn kneedle(x: &[f64], y: &[f64], bend: Bend, sensitivity: f64) -> Option<usize> {
    let n = x.len();
    if n < 3 || y.len() != n || x.iter().chain(y).any(|v| !v.is_finite()) {
        return None;
    }
    let scale = |v: &[f64]| -> Option<Vec<f64>> {
        let (lo, hi) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                (l.min(x), h.max(x))
            });
        (hi > lo).then(|| v.iter().map(|x| (x - lo) / (hi - lo)).collect())
    };
    let (xs, ys) = (scale(x)?, scale(y)?);
    let d: Vec<f64> = xs
        .iter()
        .zip(&ys)
        .map(|(x, y)| match bend {
            Bend::Concave => y - x,
            Bend::Convex => x - y,
        })
        .collect();
    let step = xs.windows(2).map(|w| w[1] - w[0]).sum::<f64>() / (n - 1) as f64;
    let maxima: Vec<usize> = (1..n - 1)
        .filter(|&i| d[i] >= d[i - 1] && d[i] > d[i + 1])
        .collect();
    for &i in &maxima {
        let threshold = d[i] - sensitivity * step;
        for &v in &d[i + 1..] {
            if v > d[i] {
                break;
            }
            if v < threshold {
                return Some(i);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_papers_knee() {
        // Figure 2 of the paper: y = −1/(x + 0.1) + 5 on ten points from 0 to 1; its knee is at
        // x = 0.2222 (y = 1.8966), as the paper and kneed's test of it give.
        let x: Vec<f64> = (0..10).map(|i| f64::from(i) / 9.0).collect();
        let y: Vec<f64> = x.iter().map(|x| -1.0 / (x + 0.1) + 5.0).collect();
        let i = kneedle(&x, &y, Bend::Concave, 1.0).unwrap();
        assert!((x[i] - 0.222_222).abs() < 1e-6, "{}", x[i]);
        assert!((y[i] - 1.896_551_724).abs() < 1e-6, "{}", y[i]);
    }

    #[test]
    fn finds_the_knee_of_a_convex_curve_and_none_of_a_line() {
        // kneed's convex increasing test curve: its knee is at x = 7.
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let y = [1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 15.0, 20.0, 40.0, 100.0];
        assert_eq!(kneedle(&x, &y, Bend::Convex, 1.0), Some(7));
        let line: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
        assert_eq!(kneedle(&x, &line, Bend::Convex, 1.0), None);
        assert_eq!(kneedle(&x[..2], &y[..2], Bend::Convex, 1.0), None);
    }
}
