//! Ctrl-C and SIGTERM: the first asks every executor to stop gracefully (nothing new starts;
//! what is in flight finishes), the second to stop at once. Both keep what was measured.

use std::io::Write;
use std::sync::OnceLock;

use rigor_model::{StopHandle, StopState};

/// The process's one stop signal, with its handler installed on first use.
pub fn stop_handle() -> StopHandle {
    static HANDLE: OnceLock<StopHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = StopHandle::new();
            let signals = handle.clone();
            let _ = std::thread::Builder::new()
                .name("rigor-signals".into())
                .spawn(move || listen_for_signals(signals));
            handle
        })
        .clone()
}

fn listen_for_signals(stop: StopHandle) {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut interrupt), Ok(mut terminate)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return;
        };
        loop {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            let state = stop.escalate();
            let mut stderr = std::io::stderr().lock();
            let _ = match state {
                StopState::Graceful => writeln!(stderr, "\nstopping: nothing new starts; waiting for what is in flight (Ctrl-C again to stop now)"),
                _ => writeln!(stderr, "\nstopping now; saving what was measured"),
            };
        }
    });
}
