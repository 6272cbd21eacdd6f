//! The counted phase: after the timed runs, each command's deterministic costs on runs of
//! their own (see [`crate::count`]), with its prepare and conclude hooks around each. A
//! failure here ends that command's counting, never the benchmark: its timed runs are
//! already measured.

use rigor_model::output::bench::{CountSeries, CountSource, Counts};

use super::{HookKind, Phase, Runner, Step};
use crate::count;
use crate::spec::{CommandSpec, Counting, PlannedCommand};
use crate::BenchError;

impl Runner<'_> {
    /// The counted runs, when the plan asks for counts: `runs` rounds of every command in
    /// turn (its prepare and conclude hooks around each), under perf for instructions where
    /// the CPU's counters can be read, under cachegrind for the cycle estimate (and for
    /// instructions where perf cannot). What cannot be counted is said in the command's
    /// counts, and the benchmark goes on.
    pub(super) fn count(&mut self, counts: &mut [Option<Counts>]) -> Result<Step, BenchError> {
        let Some(counting) = self.plan.counting else {
            return Ok(Step::Ran);
        };
        let tools = self.tools.clone().unwrap_or_else(count::Tools::find);
        let mut missing = Vec::new();
        let perf = tools.perf.clone().filter(|_| counting.instructions);
        let cachegrind = tools
            .valgrind
            .clone()
            .filter(|_| counting.cycles_estimate || (counting.instructions && perf.is_none()));
        if counting.instructions && perf.is_none() {
            if let Some(why) = &tools.perf_missing {
                missing.push(format!(
                    "instructions are not read from the CPU's counters: {why}"
                ));
            }
        }
        if tools.valgrind.is_none() && (counting.cycles_estimate || perf.is_none()) {
            missing.push(
                "Valgrind is not installed, so nothing simulates the CPU: install it (Debian: `apt-get install valgrind`) for instructions and the cycle estimate"
                    .to_string(),
            );
        }
        let mut jobs: Vec<(CountSource, std::path::PathBuf)> = Vec::new();
        jobs.extend(perf.map(|p| (CountSource::Perf, p)));
        jobs.extend(cachegrind.map(|v| (CountSource::Cachegrind, v)));
        for c in counts.iter_mut() {
            *c = Some(Counts {
                unavailable: missing.clone(),
                ..Counts::default()
            });
        }
        if jobs.is_empty() {
            return Ok(Step::Ran);
        }
        // A directory of its own, named at random and private to this user, removed when
        // counting ends however it ends: another process's files can neither be summed nor
        // planted.
        let scratch = tempfile::Builder::new()
            .prefix("rigor-count-")
            .tempdir()
            .map_err(|e| {
                BenchError::Count(format!(
                    "cannot make a scratch directory for the counts in {}: {e}",
                    std::env::temp_dir().display()
                ))
            })?;
        let mut failed = vec![false; counts.len()];
        let plan = self.plan;
        let phase_start = self.clock.now();
        let total = counting.runs * plan.commands.len() as u64 * jobs.len() as u64;
        let mut done = 0;
        for (source, tool) in &jobs {
            for round in 0..counting.runs {
                for (index, planned) in plan.commands.iter().enumerate() {
                    if self.stopped() {
                        return Ok(Step::Interrupted);
                    }
                    if failed[index] {
                        continue;
                    }
                    // A hook that fails here ends this command's counting, not the bench:
                    // its timed runs are already measured.
                    let counted = self
                        .hook_around(planned.prepare.as_ref(), HookKind::Prepare, planned)
                        .map_err(|e| e.to_string())
                        .and_then(|()| {
                            let ignore = plan.ignore_failure;
                            count::count(*source, tool, &planned.command, scratch.path(), ignore)
                                .map_err(|e| e.to_string())
                        })
                        .and_then(|c| {
                            self.hook_around(planned.conclude.as_ref(), HookKind::Conclude, planned)
                                .map(|()| c)
                                .map_err(|e| e.to_string())
                        });
                    if counted.is_err() && self.stopped() {
                        // Ctrl-C reached the counted command too: a stop, not a failure.
                        return Ok(Step::Interrupted);
                    }
                    let entry = counts[index].get_or_insert_with(Counts::default);
                    match counted {
                        Ok(c) => record_count(entry, *source, &c, counting),
                        Err(e) => {
                            failed[index] = true;
                            entry.unavailable.push(format!(
                                "{} stopped counting after {round} of {} counted run{}: {e}",
                                source.as_str(),
                                counting.runs,
                                if counting.runs == 1 { "" } else { "s" }
                            ));
                        }
                    }
                    done += 1;
                    self.report(
                        Phase::Counted,
                        index,
                        (round + 1, counting.runs),
                        false,
                        (done, total),
                        phase_start,
                    );
                }
            }
        }
        Ok(Step::Ran)
    }

    /// Runs a prepare or conclude hook, when there is one.
    fn hook_around(
        &mut self,
        hook: Option<&CommandSpec>,
        kind: HookKind,
        planned: &PlannedCommand,
    ) -> Result<(), BenchError> {
        match hook {
            Some(hook) => self.hook(kind, hook, &planned.command),
            None => Ok(()),
        }
    }
}

/// Adds one counted run to a command's counts: perf's instructions, or cachegrind's
/// instructions (where perf does not count them) and its cycle estimate.
fn record_count(entry: &mut Counts, source: CountSource, c: &count::Counted, counting: Counting) {
    let series = |slot: &mut Option<CountSeries>, value: u64| {
        slot.get_or_insert_with(|| CountSeries {
            source,
            settings: match source {
                CountSource::Cachegrind => count::CACHES.join(" "),
                CountSource::Perf => "instructions:u".into(),
            },
            values: Vec::new(),
        })
        .values
        .push(value);
    };
    let perf_counts_instructions = entry
        .instructions
        .as_ref()
        .is_some_and(|s| s.source == CountSource::Perf);
    if counting.instructions && (source == CountSource::Perf || !perf_counts_instructions) {
        series(&mut entry.instructions, c.instructions);
    }
    if counting.cycles_estimate {
        if let Some(cycles) = c.cycles_estimate {
            series(&mut entry.cycles_estimate, cycles);
        }
    }
    entry.wall_ns.push(c.wall.as_nanos() as u64);
}
