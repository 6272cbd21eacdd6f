//! Precise delays for injected latency and stalls.
//!
//! tokio's timer rounds every sleep up to the next millisecond (and the poller's timeout up
//! again), so `sleep(20ms)` answers in 20–22 ms: too coarse for the server that rigor's own
//! latency tests are checked against. One thread keeps the pending deadlines in a heap and
//! waits on a condition variable, whose timeout has nanosecond resolution (with the thread's
//! timer slack set to 1 ns), then wakes each request's task through a oneshot channel.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

struct Pending {
    deadline: Instant,
    id: u64,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.id) == (other.deadline, other.id)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deadline, self.id).cmp(&(other.deadline, other.id))
    }
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<Pending>>,
    next_id: u64,
}

struct Timer {
    queue: Mutex<Queue>,
    changed: Condvar,
}

fn timer() -> Option<&'static Arc<Timer>> {
    static TIMER: OnceLock<Option<Arc<Timer>>> = OnceLock::new();
    TIMER
        .get_or_init(|| {
            let timer = Arc::new(Timer {
                queue: Mutex::new(Queue::default()),
                changed: Condvar::new(),
            });
            let worker = timer.clone();
            std::thread::Builder::new()
                .name("rigor-target-timer".into())
                .spawn(move || run(&worker))
                .ok()
                .map(|_| timer)
        })
        .as_ref()
}

fn run(timer: &Timer) {
    precise_sleeps();
    let mut queue = timer.queue.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let now = Instant::now();
        while queue
            .heap
            .peek()
            .is_some_and(|Reverse(p)| p.deadline <= now)
        {
            if let Some(Reverse(p)) = queue.heap.pop() {
                let _ = p.wake.send(());
            }
        }
        queue = match queue.heap.peek() {
            None => timer.changed.wait(queue).unwrap_or_else(|p| p.into_inner()),
            Some(Reverse(p)) => {
                let wait = p.deadline.saturating_duration_since(now);
                timer
                    .changed
                    .wait_timeout(queue, wait)
                    .map(|(q, _)| q)
                    .unwrap_or_else(|p| p.into_inner().0)
            }
        };
    }
}

/// Asks the kernel not to round this thread's timeouts up (the default slack is 50 µs).
#[allow(unsafe_code)]
fn precise_sleeps() {
    // SAFETY: prctl(PR_SET_TIMERSLACK) takes a plain integer and only affects this thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
    }
}

/// Waits `duration` to within tens of microseconds.
pub async fn sleep(duration: Duration) {
    if duration.is_zero() {
        return;
    }
    let deadline = Instant::now() + duration;
    let Some(timer) = timer() else {
        tokio::time::sleep(duration).await;
        return;
    };
    let (wake, woken) = oneshot::channel();
    {
        let mut queue = timer.queue.lock().unwrap_or_else(|p| p.into_inner());
        let id = queue.next_id;
        queue.next_id += 1;
        let earliest = queue
            .heap
            .peek()
            .is_none_or(|Reverse(p)| deadline < p.deadline);
        queue.heap.push(Reverse(Pending { deadline, id, wake }));
        if earliest {
            timer.changed.notify_one();
        }
    }
    let _ = woken.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sleeps_are_accurate_and_ordered() {
        let started = Instant::now();
        let (a, b) = tokio::join!(
            async {
                sleep(Duration::from_millis(20)).await;
                started.elapsed()
            },
            async {
                sleep(Duration::from_millis(5)).await;
                started.elapsed()
            }
        );
        assert!(a >= Duration::from_millis(20), "{a:?}");
        assert!(b >= Duration::from_millis(5) && b < a, "{b:?}");
    }
}
