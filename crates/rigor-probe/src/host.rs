//! The machine's CPU over a run, from `/proc/stat`: how many cores were busy, so that what
//! other processes used beside the run can be told. Two runs compared where one had a much
//! busier machine than the other differ by the machine, perhaps, not by the code; the
//! comparison says so rather than leave it to be guessed.

use std::time::Instant;

/// The machine's CPU counters at one moment.
#[derive(Debug, Clone, Copy)]
pub struct HostCpu {
    busy_ticks: u64,
    total_ticks: u64,
    cpus: u32,
    at: Instant,
}

impl HostCpu {
    /// Reads `/proc/stat` now; `None` where it cannot be read (not Linux, no /proc).
    pub fn now() -> Option<HostCpu> {
        let text = std::fs::read_to_string("/proc/stat").ok()?;
        parse(&text, Instant::now())
    }

    /// Cores busy on average (all processes, kernel included) since `earlier`, and the
    /// seconds between the readings.
    pub fn busy_cores_since(&self, earlier: &HostCpu) -> Option<(f64, f64)> {
        let total = self.total_ticks.checked_sub(earlier.total_ticks)?;
        let busy = self.busy_ticks.checked_sub(earlier.busy_ticks)?;
        let seconds = self.at.saturating_duration_since(earlier.at).as_secs_f64();
        (total > 0 && seconds > 0.0)
            .then(|| (busy as f64 / total as f64 * f64::from(self.cpus), seconds))
    }
}

/// The aggregate `cpu` line: user nice system idle iowait irq softirq steal (guest time is
/// already in user). Busy is all but idle and iowait.
fn parse(text: &str, at: Instant) -> Option<HostCpu> {
    let mut lines = text.lines();
    let first = lines.next()?;
    let mut fields = first.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let values: Vec<u64> = fields
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    if values.len() < 5 {
        return None;
    }
    let idle = values[3] + values[4];
    let total: u64 = values.iter().sum();
    let cpus = lines
        .filter(|l| {
            l.strip_prefix("cpu")
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count() as u32;
    Some(HostCpu {
        busy_ticks: total - idle,
        total_ticks: total,
        cpus: cpus.max(1),
        at,
    })
}

/// Cores that other processes kept busy on average during a run: the machine's busy cores
/// less what the run itself used (`own_cpu_seconds`: the generator and the probed target, or
/// the benchmarked commands). Never below zero.
pub fn other_cores(busy_cores: f64, seconds: f64, own_cpu_seconds: f64) -> f64 {
    if seconds <= 0.0 {
        return 0.0;
    }
    (busy_cores - own_cpu_seconds / seconds).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn busy_cores_come_from_the_aggregate_line_and_the_cpu_count() {
        let t0 = Instant::now();
        let a = parse(
            "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 50 0 50 350 50 0 0 0 0 0\ncpu1 50 0 50 350 50 0 0 0 0 0\nintr 1\n",
            t0,
        )
        .unwrap();
        // 1000 more ticks, 500 of them busy: half of two cores = one core.
        let b = parse(
            "cpu  350 0 350 1100 200 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\ncpu1 1 0 0 0 0 0 0 0 0 0\n",
            t0 + Duration::from_secs(5),
        )
        .unwrap();
        let (cores, seconds) = b.busy_cores_since(&a).unwrap();
        assert!((cores - 1.0).abs() < 1e-9, "{cores}");
        assert!((seconds - 5.0).abs() < 1e-9);
        // The run itself used 2 CPU-seconds of those 5 s: 0.4 cores; others 0.6.
        assert!((other_cores(cores, seconds, 2.0) - 0.6).abs() < 1e-9);
        assert_eq!(other_cores(0.1, 5.0, 2.0), 0.0, "never below zero");
        assert!(parse("intr 1\n", t0).is_none());
        assert!(b.busy_cores_since(&b).is_none(), "no time passed");
    }

    #[test]
    fn reads_this_machine() {
        let a = HostCpu::now().expect("/proc/stat on Linux");
        assert!(a.cpus >= 1);
    }
}
