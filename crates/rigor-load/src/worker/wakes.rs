//! Precise wake-ups for many tasks on one `timerfd`: the think times of a worker's walks.
//!
//! tokio's timer wakes on its millisecond tick, up to a millisecond after the deadline, and a
//! step's latency runs from its intended start (the answer before it plus its think time), so
//! that lag would be charged to the server. One timer per walk would cost a descriptor each;
//! instead the walks' deadlines wait in a heap, and one task sleeps on the worker's second
//! timerfd until the earliest, to within tens of microseconds.

use std::cell::{Cell, RefCell};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::time::Instant;

use tokio::sync::{oneshot, Notify};

use crate::timer::PreciseTimer;

/// A worker's wake-ups; `drive` must run on the worker's event loop for them to fire.
pub(super) struct Wakes {
    /// Whether the driver runs on its timerfd; until it does (or where no timerfd could be
    /// made), tokio's timer is used instead.
    driven: Cell<bool>,
    due: RefCell<BinaryHeap<Reverse<Due>>>,
    next: Cell<u64>,
    /// Signalled when a deadline earlier than all the others comes in.
    earlier: Notify,
}

struct Due {
    at: Instant,
    id: u64,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.id) == (other.at, other.id)
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.id).cmp(&(other.at, other.id))
    }
}

impl Wakes {
    pub(super) fn new() -> Wakes {
        Wakes {
            driven: Cell::new(false),
            due: RefCell::new(BinaryHeap::new()),
            next: Cell::new(0),
            earlier: Notify::new(),
        }
    }

    /// Waits until `when`.
    pub(super) async fn sleep_until(&self, when: Instant) {
        if !self.driven.get() {
            tokio::time::sleep_until(tokio::time::Instant::from_std(when)).await;
            return;
        }
        let (wake, woken) = oneshot::channel();
        let id = self.next.get();
        self.next.set(id + 1);
        let first = self
            .due
            .borrow()
            .peek()
            .is_none_or(|Reverse(d)| when < d.at);
        self.due
            .borrow_mut()
            .push(Reverse(Due { at: when, id, wake }));
        if first {
            self.earlier.notify_one();
        }
        // The driver is gone only when the worker's loop is: then so is this task.
        let _ = woken.await;
    }

    /// Fires each deadline as it comes, for as long as the worker runs (on its event loop:
    /// the timerfd is registered with it).
    pub(super) async fn drive(&self) {
        let Ok(timer) = PreciseTimer::new() else {
            return;
        };
        self.driven.set(true);
        loop {
            let now = Instant::now();
            let next = loop {
                let mut due = self.due.borrow_mut();
                match due.peek() {
                    Some(Reverse(d)) if d.at <= now => {
                        if let Some(Reverse(d)) = due.pop() {
                            // A walk dropped meanwhile no longer listens.
                            let _ = d.wake.send(());
                        }
                    }
                    Some(Reverse(d)) => break Some(d.at),
                    None => break None,
                }
            };
            match next {
                None => self.earlier.notified().await,
                Some(at) => {
                    tokio::select! {
                        slept = timer.sleep_until(at) => {
                            if slept.is_err() {
                                // The timerfd failed: fall back to tokio's tick.
                                tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
                            }
                        }
                        () = self.earlier.notified() => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;
    use std::time::Duration;

    #[test]
    fn each_sleeper_wakes_at_or_after_its_own_deadline_in_order() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&runtime, async {
            let wakes = Rc::new(Wakes::new());
            let driver = {
                let wakes = wakes.clone();
                tokio::task::spawn_local(async move { wakes.drive().await })
            };
            tokio::task::yield_now().await;
            let start = Instant::now();
            let woke = Rc::new(RefCell::new(Vec::new()));
            let mut sleepers = Vec::new();
            // Later deadlines first, so each new one is earlier than all before it.
            for i in (0..20u64).rev() {
                let (wakes, woke) = (wakes.clone(), woke.clone());
                let when = start + Duration::from_micros(2_000 + 300 * i);
                sleepers.push(tokio::task::spawn_local(async move {
                    wakes.sleep_until(when).await;
                    assert!(Instant::now() >= when, "woke early");
                    woke.borrow_mut().push(i);
                }));
            }
            for s in sleepers {
                s.await.unwrap();
            }
            assert_eq!(*woke.borrow(), (0..20).collect::<Vec<_>>());
            driver.abort();
        });
    }
}
