//! Seeks asked from the consumer's thread ([`crate::Frames::seek`]), which
//! the grab's run loop applies: it plays the input again from the seek's
//! start point. Seeking the running player would not do: VLC 3's transcode
//! has no flush, so frames decoded before the seek would still come out
//! after it, and smem could not tell them apart. Items queued before a
//! seek applied are stale: each carries the epoch it was sent in. A seek
//! refused (a live stream) leaves them fresh: nothing is lost.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
enum Request {
    #[default]
    None,
    /// Asked, in seconds; the run loop has not applied it yet.
    Asked(f64),
    Answered(Result<(), String>),
}

#[derive(Debug, Default)]
pub(crate) struct Seeks {
    request: Mutex<Request>,
    answered: Condvar,
    /// Counts seeks applied (or given up on, see `wait_answer`).
    epoch: AtomicU32,
    /// The seek the running player plays from: its items carry it, and
    /// only those of the latest seek asked are fresh.
    playing: AtomicU32,
    /// The grab is over: no seek will be applied.
    ended: AtomicBool,
}

impl Seeks {
    /// The consumer asks for media time `seconds`; once the seek is
    /// applied, what was queued before is stale. `false` once the grab is over.
    pub(crate) fn ask(&self, seconds: f64) -> bool {
        let mut request = locked(&self.request);
        if self.ended.load(Ordering::Acquire) {
            return false;
        }
        *request = Request::Asked(seconds);
        true
    }

    /// The grab is over: a seek asked is refused, and later ones too.
    pub(crate) fn end(&self) {
        let _request = locked(&self.request);
        self.ended.store(true, Ordering::Release);
        drop(_request);
        self.answer(Err("the grab has ended: cannot seek".into()));
    }

    /// The run loop takes the seek to apply, if one was asked: its time,
    /// and the epoch to give [`Seeks::playing_from`] (the one it opens).
    pub(crate) fn take(&self) -> Option<(f64, u32)> {
        match *locked(&self.request) {
            Request::Asked(seconds) => Some((seconds, self.epoch() + 1)),
            _ => None,
        }
    }

    /// The player of seek `epoch` is about to start (the one before it has
    /// stopped: none of its frames can come any more).
    pub(crate) fn playing_from(&self, epoch: u32) {
        self.playing.store(epoch, Ordering::Release);
    }

    /// A seek was not applied: the running player's items are fresh again.
    fn keep_playing(&self) {
        self.playing.store(self.epoch(), Ordering::Release);
    }

    /// What the running player's items carry.
    pub(crate) fn playing(&self) -> u32 {
        self.playing.load(Ordering::Acquire)
    }

    /// The run loop applied the seek taken (or could not: what was queued
    /// stays fresh).
    pub(crate) fn answer(&self, result: Result<(), String>) {
        let mut request = locked(&self.request);
        if matches!(*request, Request::Asked(_)) {
            if result.is_ok() {
                self.epoch.fetch_add(1, Ordering::AcqRel);
            }
            *request = Request::Answered(result);
            self.answered.notify_all();
        }
    }

    /// Waits for the run loop's answer to the seek asked.
    pub(crate) fn wait_answer(&self, at_most: Duration) -> Result<(), String> {
        let request = locked(&self.request);
        let (mut request, _) = self
            .answered
            .wait_timeout_while(request, at_most, |r| matches!(r, Request::Asked(_)))
            .unwrap_or_else(PoisonError::into_inner);
        match std::mem::take(&mut *request) {
            Request::Answered(result) => result,
            Request::Asked(_) => {
                // Given up, though the run loop may have begun it: what was
                // queued is stale, and whichever player goes on is fresh.
                self.epoch.fetch_add(1, Ordering::AcqRel);
                self.keep_playing();
                Err(format!("VLC did not start playing within {} s: cannot seek", at_most.as_secs()))
            }
            Request::None => Ok(()),
        }
    }

    pub(crate) fn epoch(&self) -> u32 {
        self.epoch.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seek_is_taken_answered_and_makes_what_came_before_stale() {
        let s = Seeks::default();
        assert_eq!((s.take(), s.epoch()), (None, 0));
        assert!(s.ask(2.0));
        assert_eq!((s.take(), s.epoch(), s.playing()), (Some((2.0, 1)), 0, 0), "stale once applied");
        s.answer(Ok(()));
        assert_eq!(s.epoch(), 1);
        assert_eq!(s.wait_answer(Duration::ZERO), Ok(()));
        assert_eq!(s.take(), None, "applied once");
        s.playing_from(1);
        assert_eq!(s.playing(), s.epoch(), "the new player's items are fresh");
    }

    #[test]
    fn a_seek_not_applied_is_an_error() {
        let s = Seeks::default();
        s.ask(1.0);
        assert!(s.wait_answer(Duration::from_millis(10)).is_err(), "VLC never played");
        assert_eq!(s.take(), None, "given up: not applied later");
        assert_eq!(s.playing(), s.epoch(), "the player goes on: its items are fresh");
        let epoch = s.epoch();
        s.ask(1.0);
        s.answer(Err("not seekable".into()));
        assert_eq!(s.wait_answer(Duration::ZERO), Err("not seekable".into()));
        assert_eq!((s.epoch(), s.playing()), (epoch, epoch), "refused: what was queued stays fresh");
        s.ask(3.0);
        s.end();
        assert!(s.wait_answer(Duration::ZERO).is_err(), "the grab ended first");
        assert!(!s.ask(1.0), "the grab is over");
    }
}
