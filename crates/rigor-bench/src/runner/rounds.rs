//! Which runs the next batches hold: rounds queued ahead of the executor, in each round's
//! order, for the commands that can still get a run.

use std::collections::VecDeque;

use crate::batch::PlannedRun;
use crate::spec::Order;

use super::stop_rule::StopRule;
use super::{Runner, Tally};

impl Runner<'_> {
    /// Queues warm-up rounds until the queue holds `size` runs or every round is queued.
    pub(super) fn queue_warmup_rounds(
        &mut self,
        queue: &mut VecDeque<PlannedRun>,
        rounds: &mut u64,
        size: usize,
    ) {
        while *rounds < self.plan.warmup && queue.len() < size {
            self.push_round(queue, *rounds, |_| true);
            *rounds += 1;
        }
    }

    /// Drops queued runs of commands whose stop rule now holds, then queues timed rounds
    /// until the queue holds `size` runs or no command has room for one more.
    pub(super) fn queue_timed_rounds(
        &mut self,
        queue: &mut VecDeque<PlannedRun>,
        rounds: &mut u64,
        size: usize,
        tallies: &[Tally],
    ) {
        let plan = self.plan;
        queue.retain(|p| !plan.runs.finished(tallies[p.command].done()));
        let mut queued = vec![0u64; tallies.len()];
        for p in queue.iter() {
            queued[p.command] += 1;
        }
        while queue.len() < size {
            // Only runs a command can still get: one that has all it can have
            // queued leaves the rounds.
            let room: Vec<bool> = tallies
                .iter()
                .zip(&queued)
                .map(|(t, &q)| {
                    !plan.runs.finished(t.done()) && q < plan.runs.most_runs_left(t.done())
                })
                .collect();
            if !room.contains(&true) {
                break;
            }
            for (q, _) in queued.iter_mut().zip(&room).filter(|(_, &r)| r) {
                *q += 1;
            }
            self.push_round(queue, *rounds, |i| room[i]);
            *rounds += 1;
        }
    }

    /// Queues round `round`: every command `include` lets in, in the round's order.
    fn push_round(
        &mut self,
        queue: &mut VecDeque<PlannedRun>,
        round: u64,
        include: impl Fn(usize) -> bool,
    ) {
        let order = self.round_order();
        queue.extend(
            order
                .into_iter()
                .filter(|&i| include(i))
                .map(|command| PlannedRun { round, command }),
        );
    }

    /// The order of the next round, over all commands.
    fn round_order(&mut self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.plan.commands.len()).collect();
        if let Order::Random { .. } = self.plan.order {
            self.rng.shuffle(&mut order);
        }
        order
    }
}
