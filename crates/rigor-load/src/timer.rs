//! A precise one-shot timer on tokio's poller: a `timerfd` armed with an absolute
//! CLOCK_MONOTONIC deadline, read through `AsyncFd`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

use tokio::io::unix::AsyncFd;

pub struct PreciseTimer {
    fd: AsyncFd<OwnedFd>,
    /// An `Instant` and the CLOCK_MONOTONIC reading taken with it, to convert deadlines.
    origin: Instant,
    origin_ns: i128,
}

impl PreciseTimer {
    #[allow(unsafe_code)]
    pub fn new() -> io::Result<PreciseTimer> {
        // SAFETY: timerfd_create has no memory arguments; a valid fd is owned from here on.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let origin = Instant::now();
        let origin_ns = monotonic_ns()?;
        // Ask the kernel not to round this thread's timers up (the default slack is 50 µs).
        // SAFETY: prctl(PR_SET_TIMERSLACK) takes a plain integer and affects this thread only.
        unsafe {
            libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
        }
        // SAFETY: the descriptor is owned by the AsyncFd for its whole life and closed only
        // when it is dropped, after deregistration.
        let fd = unsafe { AsyncFd::register(fd)? };
        Ok(PreciseTimer {
            fd,
            origin,
            origin_ns,
        })
    }

    /// Waits until `when`.
    #[allow(unsafe_code)]
    pub async fn sleep_until(&self, when: Instant) -> io::Result<()> {
        let offset = when.saturating_duration_since(self.origin).as_nanos() as i128;
        let deadline = self.origin_ns + offset;
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: (deadline / 1_000_000_000) as libc::time_t,
                tv_nsec: (deadline % 1_000_000_000) as libc::c_long,
            },
        };
        // SAFETY: `spec` is a valid itimerspec; the old value is not requested.
        let armed = unsafe {
            libc::timerfd_settime(
                self.fd.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        };
        if armed < 0 {
            return Err(io::Error::last_os_error());
        }
        loop {
            let mut guard = self.fd.readable().await?;
            let mut expirations = [0u8; 8];
            // SAFETY: reading 8 bytes into an 8-byte buffer from our own descriptor.
            let n = unsafe { libc::read(self.fd.as_raw_fd(), expirations.as_mut_ptr().cast(), 8) };
            if n == 8 {
                return Ok(());
            }
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::WouldBlock {
                guard.clear_ready();
                continue;
            }
            return Err(error);
        }
    }
}

#[allow(unsafe_code)]
fn monotonic_ns() -> io::Result<i128> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into `now`.
    if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(now.tv_sec as i128 * 1_000_000_000 + now.tv_nsec as i128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn never_wakes_before_the_deadline() {
        // How soon after the deadline it wakes is the machine's to say (a shared CI runner can
        // be late by milliseconds): benchmarks/load-vs-peers.sh reports the scheduler lag. A
        // test checks only what must always hold.
        let timer = PreciseTimer::new().unwrap();
        for _ in 0..20 {
            let when = Instant::now() + Duration::from_micros(1_300);
            timer.sleep_until(when).await.unwrap();
            assert!(Instant::now() >= when, "woke early");
        }
    }
}
