//! `queue=N`: Send hands each frame to a bounded queue and returns; one
//! thread per smem instance delivers every track's frames in the order VLC
//! sent them, so every callback of the instance runs on that one thread,
//! never two at once (as under stock's sout lock).
//!
//! Each track may have up to N frames waiting (besides the one being
//! delivered): a slow video callback cannot cost the audio track its
//! blocks, nor the reverse. What a full track does is its [`DropPolicy`],
//! as GStreamer's appsink does with `max-buffers` and `drop`.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::options::DropPolicy;

/// Which track a queued frame belongs to.
pub type TrackId = u64;

/// What [`Backlog::offer`] did with a frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer<T> {
    Queued,
    /// Queued only by dropping this one: the track's oldest queued frame
    /// (`oldest`) or the offered frame itself (`newest`).
    Dropped(T),
    /// The track is full and its policy is `none`: offer it again once
    /// there is room.
    Full(T),
}

/// The frames waiting, in the order they were sent, at most `bound` per
/// track. Pure: the thread and its locks are [`DeliveryThread`]'s.
#[derive(Debug)]
pub struct Backlog<T> {
    items: VecDeque<(TrackId, T)>,
    bound: usize,
    policy: DropPolicy,
}

impl<T> Backlog<T> {
    pub fn new(bound: usize, policy: DropPolicy) -> Self {
        assert!(bound > 0, "a queue holds at least one frame per track");
        Backlog { items: VecDeque::with_capacity(bound * 2), bound, policy }
    }

    pub fn queued(&self, track: TrackId) -> usize {
        self.items.iter().filter(|(t, _)| *t == track).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn offer(&mut self, track: TrackId, item: T) -> Offer<T> {
        if self.queued(track) < self.bound {
            self.items.push_back((track, item));
            return Offer::Queued;
        }
        match self.policy {
            DropPolicy::None => Offer::Full(item),
            DropPolicy::Newest => Offer::Dropped(item),
            DropPolicy::Oldest => {
                let oldest = self.items.iter().position(|(t, _)| *t == track).expect("a full track has frames");
                let (_, dropped) = self.items.remove(oldest).expect("the position is in range");
                self.items.push_back((track, item));
                Offer::Dropped(dropped)
            }
        }
    }

    /// The next frame to deliver, whatever its track.
    pub fn take(&mut self) -> Option<(TrackId, T)> {
        self.items.pop_front()
    }

    /// Removes every frame of `track` (a flush), and returns them.
    pub fn discard(&mut self, track: TrackId) -> Vec<T> {
        let mut discarded = Vec::new();
        let mut kept = VecDeque::with_capacity(self.items.capacity());
        for (t, item) in self.items.drain(..) {
            if t == track {
                discarded.push(item);
            } else {
                kept.push_back((t, item));
            }
        }
        self.items = kept;
        discarded
    }
}

/// The work the delivery thread does with each frame.
pub trait Consumer: Send + 'static {
    type Item: Send + 'static;
    /// Must not unwind: nothing would be left to deliver the next frame.
    fn consume(&mut self, item: Self::Item);
}

struct State<T> {
    backlog: Backlog<T>,
    /// The track whose frame the thread is delivering.
    delivering: Option<TrackId>,
    stopping: bool,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// A frame was queued, or the thread must stop.
    work: Condvar,
    /// The thread took a frame (room in its track) or finished one.
    progress: Condvar,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while holding the lock; never let poisoning wedge VLC.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
    fn wait<'a>(&self, on: &Condvar, guard: MutexGuard<'a, State<T>>) -> MutexGuard<'a, State<T>> {
        on.wait(guard).unwrap_or_else(PoisonError::into_inner)
    }
    /// Waits until nothing of `track` is queued or being delivered.
    fn wait_done<'a>(&'a self, mut state: MutexGuard<'a, State<T>>, track: TrackId) -> MutexGuard<'a, State<T>> {
        while state.delivering == Some(track) || state.backlog.queued(track) > 0 {
            state = self.wait(&self.progress, state);
        }
        state
    }
}

pub struct DeliveryThread<C: Consumer> {
    shared: Arc<Shared<C::Item>>,
    thread: Option<JoinHandle<()>>,
}

impl<C: Consumer> DeliveryThread<C> {
    /// Starts a thread named `name` that delivers through `consumer`.
    pub fn spawn(name: &str, bound: usize, policy: DropPolicy, consumer: C) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State { backlog: Backlog::new(bound, policy), delivering: None, stopping: false }),
            work: Condvar::new(),
            progress: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name(name.to_owned()).spawn(move || run(&theirs, consumer))?;
        Ok(DeliveryThread { shared, thread: Some(thread) })
    }

    /// Queues a frame of `track`; with policy `none`, first waits for room.
    /// Returns the frame dropped to make room, if any (released by the
    /// caller, outside the lock).
    pub fn push(&self, track: TrackId, mut item: C::Item) -> Option<C::Item> {
        let mut state = self.shared.lock();
        loop {
            match state.backlog.offer(track, item) {
                Offer::Queued => break,
                Offer::Dropped(dropped) => {
                    drop(state);
                    self.shared.work.notify_one();
                    return Some(dropped);
                }
                Offer::Full(back) => {
                    item = back;
                    state = self.shared.wait(&self.shared.progress, state);
                }
            }
        }
        drop(state);
        self.shared.work.notify_one();
        None
    }

    /// Discards what is queued for `track` and waits for the frame of it
    /// being delivered, if any. Returns the frames discarded.
    pub fn flush(&self, track: TrackId) -> Vec<C::Item> {
        let mut state = self.shared.lock();
        let discarded = state.backlog.discard(track);
        drop(self.shared.wait_done(state, track));
        discarded
    }

    /// Waits until every frame of `track` queued so far is delivered.
    pub fn drain(&self, track: TrackId) {
        drop(self.shared.wait_done(self.shared.lock(), track));
    }

    /// Delivers what is left, stops the thread and joins it.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(thread) = self.thread.take() else { return };
        self.shared.lock().stopping = true;
        self.shared.work.notify_one();
        let _ = thread.join();
    }
}

impl<C: Consumer> Drop for DeliveryThread<C> {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run<C: Consumer>(shared: &Shared<C::Item>, mut consumer: C) {
    let mut state = shared.lock();
    loop {
        // Queued frames go before stopping: finish delivers them.
        if let Some((track, item)) = state.backlog.take() {
            state.delivering = Some(track);
            drop(state);
            shared.progress.notify_all();
            consumer.consume(item);
            state = shared.lock();
            state.delivering = None;
            shared.progress.notify_all();
        } else if state.stopping {
            return;
        } else {
            state = shared.wait(&shared.work, state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    fn ids<T: Copy>(b: &Backlog<T>) -> Vec<(TrackId, T)> {
        b.items.iter().copied().collect()
    }

    #[test]
    fn tracks_are_bounded_separately_in_one_order() {
        let mut b = Backlog::new(2, DropPolicy::None);
        assert_eq!(b.offer(1, 'a'), Offer::Queued);
        assert_eq!(b.offer(2, 'x'), Offer::Queued);
        assert_eq!(b.offer(1, 'b'), Offer::Queued);
        // Track 1 is full; track 2 still has room.
        assert_eq!(b.offer(1, 'c'), Offer::Full('c'));
        assert_eq!(b.offer(2, 'y'), Offer::Queued);
        assert_eq!(ids(&b), [(1, 'a'), (2, 'x'), (1, 'b'), (2, 'y')]);
        assert_eq!(b.take(), Some((1, 'a')));
        assert_eq!(b.offer(1, 'c'), Offer::Queued);
        assert_eq!(ids(&b), [(2, 'x'), (1, 'b'), (2, 'y'), (1, 'c')]);
    }

    #[test]
    fn oldest_makes_room_newest_is_refused() {
        let mut b = Backlog::new(2, DropPolicy::Oldest);
        for (t, c) in [(1, 'a'), (2, 'x'), (1, 'b')] {
            assert_eq!(b.offer(t, c), Offer::Queued);
        }
        assert_eq!(b.offer(1, 'c'), Offer::Dropped('a'));
        assert_eq!(ids(&b), [(2, 'x'), (1, 'b'), (1, 'c')]);

        let mut b = Backlog::new(1, DropPolicy::Newest);
        assert_eq!(b.offer(1, 'a'), Offer::Queued);
        assert_eq!(b.offer(1, 'b'), Offer::Dropped('b'));
        assert_eq!(b.offer(2, 'x'), Offer::Queued);
        assert_eq!(ids(&b), [(1, 'a'), (2, 'x')]);
    }

    #[test]
    fn discard_takes_one_track_and_keeps_the_order_of_the_rest() {
        let mut b = Backlog::new(3, DropPolicy::None);
        for (t, c) in [(1, 'a'), (2, 'x'), (1, 'b'), (2, 'y'), (3, 'p')] {
            b.offer(t, c);
        }
        assert_eq!(b.discard(1), ['a', 'b']);
        assert_eq!(ids(&b), [(2, 'x'), (2, 'y'), (3, 'p')]);
        assert_eq!(b.discard(1), Vec::<char>::new());
        assert_eq!(b.queued(2), 2);
    }

    /// Reports each frame it delivers (and on which thread), after `delay`.
    struct Reporter {
        delay: Duration,
        to_test: mpsc::Sender<(u32, Option<String>)>,
    }

    impl Consumer for Reporter {
        type Item = u32;
        fn consume(&mut self, item: u32) {
            std::thread::sleep(self.delay);
            let _ = self.to_test.send((item, std::thread::current().name().map(str::to_owned)));
        }
    }

    fn spawn(
        bound: usize,
        policy: DropPolicy,
        delay_ms: u64,
    ) -> (DeliveryThread<Reporter>, mpsc::Receiver<(u32, Option<String>)>) {
        let (to_test, rx) = mpsc::channel();
        let reporter = Reporter { delay: Duration::from_millis(delay_ms), to_test };
        (DeliveryThread::spawn("smem-test", bound, policy, reporter).unwrap(), rx)
    }

    #[test]
    fn everything_is_delivered_in_order_on_the_named_thread() {
        let (thread, rx) = spawn(4, DropPolicy::None, 0);
        for i in 0..1000 {
            assert_eq!(thread.push(u64::from(i % 3), i), None);
        }
        thread.finish();
        let got: Vec<_> = rx.try_iter().collect();
        assert_eq!(got.iter().map(|(i, _)| *i).collect::<Vec<_>>(), (0..1000).collect::<Vec<_>>());
        assert!(got.iter().all(|(_, name)| name.as_deref() == Some("smem-test")));
    }

    #[test]
    fn a_full_track_with_drop_none_holds_the_sender_back() {
        // 1 frame being delivered (100 ms) + 1 queued: the third push waits.
        let (thread, rx) = spawn(1, DropPolicy::None, 100);
        let start = std::time::Instant::now();
        for i in 0..3 {
            assert_eq!(thread.push(7, i), None);
        }
        assert!(start.elapsed() >= Duration::from_millis(90), "{:?}", start.elapsed());
        thread.finish();
        assert_eq!(rx.try_iter().map(|(i, _)| i).collect::<Vec<_>>(), [0, 1, 2]);
    }

    #[test]
    fn drop_oldest_never_waits_and_delivers_the_newest() {
        let (thread, rx) = spawn(1, DropPolicy::Oldest, 50);
        let start = std::time::Instant::now();
        let dropped: Vec<u32> = (0..20).filter_map(|i| thread.push(1, i)).collect();
        assert!(start.elapsed() < Duration::from_millis(45), "a push waited: {:?}", start.elapsed());
        thread.finish();
        let delivered: Vec<u32> = rx.try_iter().map(|(i, _)| i).collect();
        assert_eq!(delivered.last(), Some(&19), "the newest frame is delivered");
        assert_eq!(delivered.len() + dropped.len(), 20, "{delivered:?} {dropped:?}");
        assert!(delivered.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn flush_discards_the_track_and_drain_waits_for_it() {
        let (thread, rx) = spawn(8, DropPolicy::None, 30);
        for i in 0..4 {
            thread.push(1, i);
        }
        thread.push(2, 100);
        let discarded = thread.flush(1);
        // At most the frame being delivered escaped the flush.
        assert!(discarded.len() >= 3, "{discarded:?}");
        let before_flush_returned: Vec<u32> = rx.try_iter().map(|(i, _)| i).collect();
        assert!(before_flush_returned.iter().all(|i| *i < 100 && !discarded.contains(i)));
        thread.push(1, 5);
        thread.drain(1);
        let after: Vec<u32> = rx.try_iter().map(|(i, _)| i).collect();
        assert_eq!(after, [100, 5], "track 2's frame, then the new one of track 1");
        thread.finish();
    }

    #[test]
    fn pushes_from_two_threads_and_drains_never_lose_a_wake_up() {
        let (done_tx, done_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let (thread, rx) = spawn(2, DropPolicy::None, 0);
            let thread = Arc::new(thread);
            let other = {
                let thread = Arc::clone(&thread);
                std::thread::spawn(move || {
                    for i in 0..10_000 {
                        thread.push(2, 100_000 + i);
                        if i % 500 == 0 {
                            thread.drain(2);
                        }
                    }
                })
            };
            for i in 0..10_000 {
                thread.push(1, i);
            }
            other.join().unwrap();
            Arc::into_inner(thread).expect("the other pusher is done").finish();
            done_tx.send(rx.try_iter().map(|(i, _)| i).collect::<Vec<_>>()).unwrap();
        });
        let got = done_rx.recv_timeout(Duration::from_secs(60)).expect("push/drain hung");
        let ones: Vec<u32> = got.iter().copied().filter(|i| *i < 100_000).collect();
        assert_eq!(ones, (0..10_000).collect::<Vec<_>>());
        assert_eq!(got.len(), 20_000);
    }
}
