//! Probes of the machine and of the system under test: what rigor observes beside its own
//! measurements.
//!
//! - [`target`]: the target's lifecycle — start the plan's `[target] command` in its own
//!   process group (dying with rigor), wait until it is ready, notice when it dies, stop it.
//! - [`sampler`]: the target's saturation from `/proc`, once a second, summed over the
//!   process tree under it ([`process`]), with the host's stall pressure ([`pressure`]).
//! - [`environment`]: the fingerprint stored with every run (machine, kernel, git state).
//! - [`host`]: the machine's CPU over a run, to tell what other processes used beside it.
//! - [`owner`]: the identity of the process recording a run, so a run whose process died can
//!   be told from one still going.
//!
//! This crate never prints and knows nothing of the load engine or the store.

pub mod environment;
pub mod exposition;
pub mod host;
pub mod owner;
pub mod pressure;
pub mod probes;
pub mod process;
pub mod sampler;
pub mod scrape;
pub mod target;

pub use environment::fingerprint;
pub use sampler::{peak_rss, ProbeError, ProcessSample, Sampled, Sampler, SecondSample};
pub use target::{describe_exit, Target, TargetCommand, TargetError, TargetHandle};

/// Sleeps until `next`, waking every 20 ms to look at `stop`; false when told to stop.
///
/// The scraper's and the probes' threads tick on a fixed schedule from their start, so a slow
/// scrape or command does not drift the later ones.
pub(crate) fn wait_until(next: std::time::Instant, stop: &std::sync::atomic::AtomicBool) -> bool {
    use std::sync::atomic::Ordering;
    loop {
        if stop.load(Ordering::Acquire) {
            return false;
        }
        let now = std::time::Instant::now();
        if now >= next {
            return true;
        }
        std::thread::sleep((next - now).min(std::time::Duration::from_millis(20)));
    }
}
