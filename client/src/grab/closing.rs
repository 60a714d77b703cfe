//! Grabs whose player is still stopping after the caller was told how they
//! ended ([`crate::Frames::finish_in_background`]): their threads, joined
//! later, never more than a few at a time.

use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::outcome::{EndOfStream, Error};

type GrabThread = JoinHandle<Result<EndOfStream, Error>>;

/// Grabs stopping in the background, oldest first.
static CLOSING: Mutex<Vec<GrabThread>> = Mutex::new(Vec::new());

/// At most this many grabs stop in the background: the next waits for the
/// oldest, so a caller that opens faster than VLC stops keeps threads and
/// memory bounded.
const MAX_CLOSING: usize = 2;

/// A grab's thread, which is stopping its player: joined once more than
/// [`MAX_CLOSING`] are, or by [`wait_closed`].
pub(super) fn hand_over(thread: GrabThread) {
    let oldest = {
        let mut closing = CLOSING.lock().unwrap_or_else(PoisonError::into_inner);
        // A finished thread is joined at once (its result was told already).
        let (done, going): (Vec<_>, Vec<_>) = closing.drain(..).partition(|t| t.is_finished());
        *closing = going;
        closing.push(thread);
        let excess = closing.len().saturating_sub(MAX_CLOSING);
        done.into_iter().chain(closing.drain(..excess)).collect::<Vec<_>>()
    };
    for thread in oldest {
        let _ = thread.join();
    }
}

/// Waits until every grab closed with [`crate::Frames::finish_in_background`]
/// has stopped VLC: before the process exits (VLC's threads must not run
/// into its end), or before counting threads and memory.
pub fn wait_closed() {
    let closing = std::mem::take(&mut *CLOSING.lock().unwrap_or_else(PoisonError::into_inner));
    for thread in closing {
        let _ = thread.join();
    }
}
