//! The delivery thread of an smem instance: Send hands each block chain to
//! it and returns, and the thread calls the application's callbacks and
//! copies, for every track, one chain at a time in the order VLC sent them
//! (stock smem's callbacks ran under VLC's sout lock, never two at once).
//!
//! Why a thread: at end of stream VLC's input asks whether its decoders'
//! fifos are empty and, if one is not, sleeps 100 ms (`INPUT_IDLE_SLEEP`)
//! before it asks again. A Send that copies a frame on VLC's decoder thread
//! is usually still copying at that moment; one that only hands the frame
//! over is not. Which frames are handed over is `placement`'s decision (a
//! transcode's are copied in Send).
//!
//! What stays as it was: a push waits until the previous item has been
//! consumed, so one chain at most is in our hands (stock held the one it was
//! copying), a slow application still holds VLC's decoder back, and memory
//! stays as it was; `drain` (Flush) and `finish` (Del) return only once
//! everything handed over has been delivered.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// The work a delivery thread does with each item.
pub trait Consumer: Send + 'static {
    type Item: Send + 'static;
    /// Must not unwind: nothing would be left to take the next item.
    fn consume(&mut self, item: Self::Item);
}

struct Slot<T> {
    pending: Option<T>,
    /// The thread is consuming an item it took from `pending`.
    busy: bool,
    stopping: bool,
    /// The thread waits on `work`: a push must wake it.
    idle: bool,
    /// Callers (a push or a drain) waiting on `progress` for the thread to be idle.
    waiters: u32,
}

impl<T> Slot<T> {
    /// Nothing pending and nothing being consumed.
    fn idle(&self) -> bool {
        self.pending.is_none() && !self.busy
    }
}

struct Handoff<T> {
    slot: Mutex<Slot<T>>,
    /// An item is pending, or the thread must stop.
    work: Condvar,
    /// The thread finished an item.
    progress: Condvar,
}

impl<T> Handoff<T> {
    fn lock(&self) -> MutexGuard<'_, Slot<T>> {
        // Nothing panics while holding the lock; never let poisoning wedge VLC.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
    fn wait<'a>(&self, on: &Condvar, guard: MutexGuard<'a, Slot<T>>) -> MutexGuard<'a, Slot<T>> {
        on.wait(guard).unwrap_or_else(PoisonError::into_inner)
    }
    /// Waits on `progress` until the thread is idle.
    fn wait_idle(&self) -> MutexGuard<'_, Slot<T>> {
        let mut slot = self.lock();
        while !slot.idle() {
            slot.waiters += 1;
            slot = self.wait(&self.progress, slot);
            slot.waiters -= 1;
        }
        slot
    }
}

pub struct Worker<C: Consumer> {
    handoff: Arc<Handoff<C::Item>>,
    thread: Option<JoinHandle<C>>,
}

impl<C: Consumer> Worker<C> {
    /// Starts a thread named `name` that feeds `consumer`.
    pub fn spawn(name: &str, consumer: C) -> std::io::Result<Self> {
        let handoff = Arc::new(Handoff {
            slot: Mutex::new(Slot { pending: None, busy: false, stopping: false, idle: false, waiters: 0 }),
            work: Condvar::new(),
            progress: Condvar::new(),
        });
        let theirs = Arc::clone(&handoff);
        let thread = std::thread::Builder::new().name(name.to_owned()).spawn(move || run(&theirs, consumer))?;
        Ok(Worker { handoff, thread: Some(thread) })
    }

    /// Hands `item` over; first waits until the previous one is consumed.
    pub fn push(&self, item: C::Item) {
        let mut slot = self.handoff.wait_idle();
        slot.pending = Some(item);
        let wake = slot.idle;
        drop(slot);
        if wake {
            self.handoff.work.notify_one();
        }
    }

    /// Waits until every item handed over so far has been consumed.
    pub fn drain(&self) {
        drop(self.handoff.wait_idle());
    }

    /// Consumes what is left, stops the thread and returns the consumer.
    pub fn finish(mut self) -> C {
        self.stop().expect("the delivery thread does not unwind")
    }

    fn stop(&mut self) -> Option<C> {
        let thread = self.thread.take()?;
        self.handoff.lock().stopping = true;
        self.handoff.work.notify_one();
        thread.join().ok()
    }
}

impl<C: Consumer> Drop for Worker<C> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The delivery thread. One lock round per item: the lock that marks an
/// item done also takes the next one, and only callers that wait are woken
/// (they wait for idleness, so not when an item is taken).
fn run<C: Consumer>(handoff: &Handoff<C::Item>, mut consumer: C) -> C {
    let mut slot = handoff.lock();
    loop {
        // A pending item goes before stopping: finish delivers it.
        if let Some(item) = slot.pending.take() {
            slot.busy = true;
            drop(slot);
            consumer.consume(item);
            slot = handoff.lock();
            slot.busy = false;
            if slot.waiters > 0 {
                handoff.progress.notify_all();
            }
        } else if slot.stopping {
            return consumer;
        } else {
            slot.idle = true;
            slot = handoff.wait(&handoff.work, slot);
            slot.idle = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// Records what it consumed, taking `delay` for each item.
    struct Recorder {
        seen: Vec<u32>,
        delay: Duration,
        thread: Option<String>,
    }

    impl Consumer for Recorder {
        type Item = u32;
        fn consume(&mut self, item: u32) {
            std::thread::sleep(self.delay);
            self.thread = std::thread::current().name().map(str::to_owned);
            self.seen.push(item);
        }
    }

    fn recorder(delay_ms: u64) -> Recorder {
        Recorder { seen: Vec::new(), delay: Duration::from_millis(delay_ms), thread: None }
    }

    /// Sends each item it consumed to the test, after `delay`, so the test
    /// sees what was consumed while the worker still lives.
    struct Reporter {
        delay: Duration,
        to_test: mpsc::Sender<u32>,
    }

    impl Consumer for Reporter {
        type Item = u32;
        fn consume(&mut self, item: u32) {
            std::thread::sleep(self.delay);
            self.to_test.send(item).unwrap();
        }
    }

    fn reporter(delay_ms: u64) -> (Reporter, mpsc::Receiver<u32>) {
        let (to_test, rx) = mpsc::channel();
        (Reporter { delay: Duration::from_millis(delay_ms), to_test }, rx)
    }

    #[test]
    fn items_are_consumed_in_order_on_the_named_thread() {
        let worker = Worker::spawn("smem-test", recorder(0)).unwrap();
        for i in 0..1000 {
            worker.push(i);
        }
        let done = worker.finish();
        assert_eq!(done.seen, (0..1000).collect::<Vec<_>>());
        assert_eq!(done.thread.as_deref(), Some("smem-test"));
    }

    #[test]
    fn push_returns_while_the_item_is_still_being_consumed() {
        // The consumer waits behind a gate the test holds shut: a push that
        // waited for it would never return (the watchdog turns that into a
        // failure).
        struct Gated(mpsc::Receiver<()>);
        impl Consumer for Gated {
            type Item = u32;
            fn consume(&mut self, _: u32) {
                self.0.recv().unwrap();
            }
        }
        let (open_gate, gate) = mpsc::channel();
        let worker = Worker::spawn("smem-test", Gated(gate)).unwrap();
        let (pushed_tx, pushed) = mpsc::channel();
        let pusher = std::thread::spawn(move || {
            worker.push(1);
            pushed_tx.send(()).unwrap();
            worker
        });
        pushed.recv_timeout(Duration::from_secs(30)).expect("push waited for the consumer");
        open_gate.send(()).unwrap();
        pusher.join().unwrap().finish();
    }

    #[test]
    fn a_slow_consumer_holds_the_pusher_back() {
        // One item at a time: the third push waits for the first two to be
        // consumed (about 200 ms).
        let worker = Worker::spawn("smem-test", recorder(100)).unwrap();
        let start = Instant::now();
        for i in 0..3 {
            worker.push(i);
        }
        assert!(start.elapsed() >= Duration::from_millis(190), "{:?}", start.elapsed());
        assert_eq!(worker.finish().seen, [0, 1, 2]);
    }

    #[test]
    fn drain_and_finish_wait_for_everything_handed_over() {
        let (reporter, rx) = reporter(30);
        let worker = Worker::spawn("smem-test", reporter).unwrap();
        worker.push(1);
        worker.push(2);
        worker.drain();
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [1, 2], "drain returned before delivery");
        worker.push(3);
        drop(worker.finish());
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [3], "finish returned before delivery");
    }

    #[test]
    fn dropping_a_worker_delivers_and_joins() {
        let (reporter, rx) = reporter(0);
        let worker = Worker::spawn("smem-test", reporter).unwrap();
        worker.push(7);
        drop(worker);
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(7));
        // The thread ended, so its Sender is gone too.
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_err());
    }

    #[test]
    fn pushes_and_drains_from_two_threads_never_lose_a_wake_up() {
        // Items are consumed at once, so the thread keeps going idle and
        // waking; a lost wake-up would hang, which the watchdog turns into
        // a failure.
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let worker = Arc::new(Worker::spawn("smem-test", recorder(0)).unwrap());
            let drainer = {
                let worker = Arc::clone(&worker);
                std::thread::spawn(move || {
                    for _ in 0..2_000 {
                        worker.drain();
                    }
                })
            };
            for i in 0..20_000 {
                worker.push(i);
                if i % 1000 == 0 {
                    worker.drain();
                }
            }
            drainer.join().unwrap();
            let worker = Arc::into_inner(worker).expect("the drainer is done");
            done_tx.send(worker.finish().seen).unwrap();
        });
        let seen = done_rx.recv_timeout(Duration::from_secs(60)).expect("push/drain hung");
        assert_eq!(seen, (0..20_000).collect::<Vec<_>>());
    }
}
