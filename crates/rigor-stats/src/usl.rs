//! The Universal Scalability Law (Gunther, *Guerrilla Capacity Planning*, 2007): throughput at
//! concurrency `N` is
//!
//! ```text
//! X(N) = λN / (1 + σ(N − 1) + κN(N − 1))
//! ```
//!
//! where `λ` is the throughput of one unit of concurrency, `σ` the contention (the serialised
//! share: queueing for a lock, a single thread) and `κ` the coherency delay (the cost of keeping
//! shared state consistent, which makes throughput fall past a peak). Fitted here by
//! non-linear least squares (Levenberg–Marquardt, Marquardt 1963, from the linearised fit as a
//! start), with each coefficient's standard error from the fit's covariance `s²(JᵀJ)⁻¹`.
//!
//! Throughput peaks at `N* = √((1 − σ) / κ)`; with no coherency delay it rises towards the
//! Amdahl ceiling `λ / σ`. The tests reproduce the published fit of the 32-point Cisco
//! benchmark (Schwartz, *Practical Scalability Analysis with the Universal Scalability Law*,
//! 2015, the dataset the USL's libraries test against).

/// A fitted model, with how well it fits.
#[derive(Debug, Clone, PartialEq)]
pub struct Usl {
    pub sigma: f64,
    pub kappa: f64,
    pub lambda: f64,
    /// Standard errors of `sigma`, `kappa` and `lambda`; `None` with fewer than four points
    /// (no degrees of freedom left) or a singular fit.
    pub sigma_se: Option<f64>,
    pub kappa_se: Option<f64>,
    pub lambda_se: Option<f64>,
    /// Coefficient of determination of the fitted throughputs.
    pub r_squared: f64,
    /// Measured minus fitted throughput, point by point, in the order given.
    pub residuals: Vec<f64>,
}

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UslError {
    #[error(
        "a scalability fit needs at least 3 measurements at different concurrencies; it has {0}"
    )]
    TooFew(usize),
    #[error("every concurrency and throughput must be a finite number above zero")]
    NotPositive,
}

impl Usl {
    /// Throughput at concurrency `n`.
    pub fn throughput(&self, n: f64) -> f64 {
        self.lambda * n / (1.0 + self.sigma * (n - 1.0) + self.kappa * n * (n - 1.0))
    }

    /// The concurrency at which throughput peaks, `√((1 − σ)/κ)`; `None` without coherency
    /// delay (throughput then only approaches its ceiling).
    pub fn peak_concurrency(&self) -> Option<f64> {
        (self.kappa > 0.0 && self.sigma < 1.0).then(|| ((1.0 - self.sigma) / self.kappa).sqrt())
    }

    /// The throughput at the peak, for a whole number of units of concurrency (⌊N*⌋, at least
    /// one), as the USL's libraries report it.
    pub fn peak_throughput(&self) -> Option<f64> {
        self.peak_concurrency()
            .map(|n| self.throughput(n.floor().max(1.0)))
    }

    /// The Amdahl ceiling `λ / σ`: what throughput tends to with no coherency delay.
    pub fn amdahl_ceiling(&self) -> Option<f64> {
        (self.sigma > 0.0).then(|| self.lambda / self.sigma)
    }

    /// Whether contention limits the system more than coherency does (σ > κ).
    pub fn contention_bound(&self) -> bool {
        self.sigma > self.kappa
    }
}

/// Fits the USL to `(concurrency, throughput)` points.
pub fn fit_usl(points: &[(f64, f64)]) -> Result<Usl, UslError> {
    let mut distinct: Vec<f64> = points.iter().map(|p| p.0).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() < 3 {
        return Err(UslError::TooFew(distinct.len()));
    }
    if points
        .iter()
        .any(|&(n, x)| !(n.is_finite() && x.is_finite() && n > 0.0 && x > 0.0))
    {
        return Err(UslError::NotPositive);
    }
    let mut p = start(points);
    let rss =
        |p: &[f64; 3]| -> f64 { points.iter().map(|&(n, x)| (x - model(p, n)).powi(2)).sum() };
    let mut current = rss(&p);
    let mut mu = 1e-3;
    for _ in 0..500 {
        let (jtj, jtr) = normal_equations(points, &p);
        let mut improved = false;
        for _ in 0..30 {
            let mut a = jtj;
            for (i, row) in a.iter_mut().enumerate() {
                row[i] += mu * jtj[i][i].max(f64::MIN_POSITIVE);
            }
            let Some(step) = solve3(a, jtr) else {
                mu *= 10.0;
                continue;
            };
            let trial = [
                (p[0] + step[0]).max(0.0),
                (p[1] + step[1]).max(0.0),
                (p[2] + step[2]).max(f64::MIN_POSITIVE),
            ];
            let r = rss(&trial);
            if r < current {
                let gain = (current - r) / current.max(f64::MIN_POSITIVE);
                p = trial;
                current = r;
                mu = (mu / 10.0).max(1e-12);
                improved = gain > 1e-15;
                break;
            }
            mu *= 10.0;
        }
        if !improved {
            break;
        }
    }
    let residuals: Vec<f64> = points.iter().map(|&(n, x)| x - model(&p, n)).collect();
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let total: f64 = points.iter().map(|p| (p.1 - mean).powi(2)).sum();
    let dof = points.len() as f64 - 3.0;
    let covariance = (dof > 0.0)
        .then(|| inverse3(normal_equations(points, &p).0))
        .flatten()
        .map(|inv| {
            let s2 = current / dof;
            [inv[0][0] * s2, inv[1][1] * s2, inv[2][2] * s2]
        });
    let se = |i: usize| covariance.map(|c| c[i].max(0.0).sqrt());
    Ok(Usl {
        sigma: p[0],
        kappa: p[1],
        lambda: p[2],
        sigma_se: se(0),
        kappa_se: se(1),
        lambda_se: se(2),
        r_squared: if total > 0.0 {
            1.0 - current / total
        } else {
            1.0
        },
        residuals,
    })
}

/// `X(N)` for parameters `[σ, κ, λ]`.
fn model(p: &[f64; 3], n: f64) -> f64 {
    p[2] * n / (1.0 + p[0] * (n - 1.0) + p[1] * n * (n - 1.0))
}

/// The linearised start: `λ` from the lowest concurrency's throughput per unit, then
/// `Nλ/X − 1 = (σ + κ)(N − 1) + κ(N − 1)²` by least squares through the origin.
fn start(points: &[(f64, f64)]) -> [f64; 3] {
    let lowest = points
        .iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .copied()
        .unwrap_or((1.0, 1.0));
    let lambda = lowest.1 / lowest.0;
    let (mut s11, mut s12, mut s22, mut t1, mut t2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(n, x) in points {
        let (a, b) = (n - 1.0, (n - 1.0) * (n - 1.0));
        let y = n * lambda / x - 1.0;
        s11 += a * a;
        s12 += a * b;
        s22 += b * b;
        t1 += a * y;
        t2 += b * y;
    }
    let det = s11 * s22 - s12 * s12;
    let (slope, curve) = if det.abs() > f64::MIN_POSITIVE {
        ((t1 * s22 - t2 * s12) / det, (s11 * t2 - s12 * t1) / det)
    } else {
        (0.01, 1e-4)
    };
    let kappa = curve.max(1e-9);
    let sigma = (slope - kappa).clamp(0.0, 1.0);
    [sigma, kappa, lambda]
}

/// `JᵀJ` and `Jᵀr` at `p`, with the analytic Jacobian of `X(N)` in `[σ, κ, λ]`.
fn normal_equations(points: &[(f64, f64)], p: &[f64; 3]) -> ([[f64; 3]; 3], [f64; 3]) {
    let mut jtj = [[0.0; 3]; 3];
    let mut jtr = [0.0; 3];
    for &(n, x) in points {
        let d = 1.0 + p[0] * (n - 1.0) + p[1] * n * (n - 1.0);
        let j = [
            -p[2] * n * (n - 1.0) / (d * d),
            -p[2] * n * n * (n - 1.0) / (d * d),
            n / d,
        ];
        let r = x - p[2] * n / d;
        for a in 0..3 {
            jtr[a] += j[a] * r;
            for b in 0..3 {
                jtj[a][b] += j[a] * j[b];
            }
        }
    }
    (jtj, jtr)
}

fn det3(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

fn inverse3(m: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let det = det3(&m);
    if det.abs() < f64::MIN_POSITIVE || !det.is_finite() {
        return None;
    }
    let c =
        |r0: usize, c0: usize, r1: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    let adj = [
        [c(1, 1, 2, 2), -c(0, 1, 2, 2), c(0, 1, 1, 2)],
        [-c(1, 0, 2, 2), c(0, 0, 2, 2), -c(0, 0, 1, 2)],
        [c(1, 0, 2, 1), -c(0, 0, 2, 1), c(0, 0, 1, 1)],
    ];
    let mut out = [[0.0; 3]; 3];
    for (i, row) in adj.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            out[i][j] = v / det;
        }
    }
    Some(out)
}

fn solve3(a: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let inv = inverse3(a)?;
    Some([
        inv[0][0] * b[0] + inv[0][1] * b[1] + inv[0][2] * b[2],
        inv[1][0] * b[0] + inv[1][1] * b[1] + inv[1][2] * b[2],
        inv[2][0] * b[0] + inv[2][1] * b[1] + inv[2][2] * b[2],
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Cisco benchmark (Schwartz 2015): concurrency and throughput.
    const CISCO: [(f64, f64); 32] = [
        (1.0, 955.16),
        (2.0, 1878.91),
        (3.0, 2688.01),
        (4.0, 3548.68),
        (5.0, 4315.54),
        (6.0, 5130.43),
        (7.0, 5931.37),
        (8.0, 6531.08),
        (9.0, 7219.8),
        (10.0, 7867.61),
        (11.0, 8278.71),
        (12.0, 8646.7),
        (13.0, 9047.84),
        (14.0, 9426.55),
        (15.0, 9645.37),
        (16.0, 9897.24),
        (17.0, 10097.6),
        (18.0, 10240.5),
        (19.0, 10532.39),
        (20.0, 10798.52),
        (21.0, 11151.43),
        (22.0, 11518.63),
        (23.0, 11806.0),
        (24.0, 12089.37),
        (25.0, 12075.41),
        (26.0, 12177.29),
        (27.0, 12211.41),
        (28.0, 12158.93),
        (29.0, 12155.27),
        (30.0, 12118.04),
        (31.0, 12140.4),
        (32.0, 12074.39),
    ];

    fn close(a: f64, b: f64, relative: f64) -> bool {
        ((a - b) / b).abs() <= relative
    }

    #[test]
    fn reproduces_the_published_fit_of_the_cisco_benchmark() {
        // The published coefficients (Schwartz 2015; R's `usl` package, usl4j and usl-rs
        // reproduce them): σ = 0.02671591, κ = 7.690945e-4, λ = 995.6486, X at N = 35 =
        // 12341.7454.
        let m = fit_usl(&CISCO).unwrap();
        assert!(close(m.sigma, 0.026_715_91, 1e-4), "{m:?}");
        assert!(close(m.kappa, 7.690_945e-4, 1e-4), "{m:?}");
        assert!(close(m.lambda, 995.648_6, 1e-4), "{m:?}");
        let n = m.peak_concurrency().unwrap();
        assert!(close(n, 35.573_775, 1e-4), "{n}");
        assert!(close(m.peak_throughput().unwrap(), 12_341.745_4, 1e-4));
        assert!(m.contention_bound());
        assert!(close(
            m.amdahl_ceiling().unwrap(),
            995.648_6 / 0.026_715_91,
            1e-3
        ));
        assert!(m.r_squared > 0.99 && m.r_squared < 1.0, "{}", m.r_squared);
        assert_eq!(m.residuals.len(), 32);
        let (s, k, l) = (
            m.sigma_se.unwrap(),
            m.kappa_se.unwrap(),
            m.lambda_se.unwrap(),
        );
        assert!(s > 0.0 && s < m.sigma && k > 0.0 && k < m.kappa && l > 0.0 && l < 50.0);
    }

    #[test]
    fn a_linear_system_has_no_contention_and_bad_input_is_refused() {
        let linear: Vec<(f64, f64)> = (1..=8)
            .map(|n| (f64::from(n), 100.0 * f64::from(n)))
            .collect();
        let m = fit_usl(&linear).unwrap();
        assert!(m.sigma < 1e-6 && m.kappa < 1e-6, "{m:?}");
        assert!(close(m.lambda, 100.0, 1e-6));
        assert_eq!(fit_usl(&[(1.0, 5.0), (2.0, 9.0)]), Err(UslError::TooFew(2)));
        assert_eq!(
            fit_usl(&[(1.0, 5.0), (2.0, 0.0), (3.0, 9.0)]),
            Err(UslError::NotPositive)
        );
    }
}
