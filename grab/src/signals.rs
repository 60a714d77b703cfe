//! SIGINT and SIGTERM: the first stops the grab, which then ends normally
//! (files complete); the second exits at once.

use std::sync::atomic::{AtomicI32, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use smem_client::StopHandle;

/// The signal that interrupted the grab (SIGINT or SIGTERM), 0 if none.
pub static INTERRUPTED_BY: AtomicI32 = AtomicI32::new(0);

/// On the first SIGINT or SIGTERM, stops the grab (it then ends normally,
/// files complete); on a second, exits at once. Runs on a thread of its own,
/// never in the signal handler, so libvlc is never called from one.
pub fn stop_on_signals(stop: StopHandle) -> Result<(), String> {
    let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(|e| format!("cannot catch signals: {e}"))?;
    std::thread::Builder::new()
        .name("smem-grab-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if INTERRUPTED_BY.swap(signal, Ordering::SeqCst) != 0 {
                    // The second one: the user does not want to wait.
                    signal_hook::low_level::exit(128 + signal);
                }
                stop.stop();
            }
        })
        .map_err(|e| format!("cannot start the signal thread: {e}"))?;
    Ok(())
}
