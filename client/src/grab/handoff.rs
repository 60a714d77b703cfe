//! How items pass from VLC's threads to the pull iterator: a bounded queue
//! that makes VLC wait when it is full (every item, in order), or, for a
//! live source ([`super::Grab::latest`]), a slot that keeps the newest item
//! of each kind and drops the one it replaces, so that a consumer slower
//! than the source is handed the newest frame, never one that waited.

use std::collections::VecDeque;
use std::sync::mpsc::{sync_channel, Receiver as QueueReceiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A hand-over: `bound` items in order, or (`newest`) the newest of each
/// kind, two items being of one kind when `same_kind` says so.
pub fn handoff<T>(bound: usize, newest: Option<fn(&T, &T) -> bool>) -> (Sender<T>, Receiver<T>) {
    match newest {
        None => {
            let (tx, rx) = sync_channel(bound);
            (Sender::Queue(tx), Receiver::Queue(rx))
        }
        Some(same_kind) => {
            let shared = Arc::new(Shared {
                state: Mutex::new(State { items: VecDeque::new(), senders: 1, receiving: true }),
                changed: Condvar::new(),
                same_kind,
            });
            (Sender::Newest(Arc::clone(&shared)), Receiver::Newest(shared))
        }
    }
}

pub enum Sender<T> {
    Queue(SyncSender<T>),
    Newest(Arc<Shared<T>>),
}

pub enum Receiver<T> {
    Queue(QueueReceiver<T>),
    Newest(Arc<Shared<T>>),
}

pub struct Shared<T> {
    state: Mutex<State<T>>,
    changed: Condvar,
    same_kind: fn(&T, &T) -> bool,
}

struct State<T> {
    items: VecDeque<T>,
    senders: usize,
    receiving: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Sender<T> {
    /// Hands `item` over; a queue waits while it is full. The item is
    /// dropped once the receiver is gone.
    pub fn send(&self, item: T) {
        match self {
            Sender::Queue(tx) => drop(tx.send(item)),
            Sender::Newest(shared) => {
                let mut state = shared.lock();
                if !state.receiving {
                    return;
                }
                // The replaced item is dropped after the lock is let go.
                let replaced = match state.items.iter().position(|queued| (shared.same_kind)(queued, &item)) {
                    Some(at) => state.items.remove(at),
                    None => None,
                };
                state.items.push_back(item);
                drop(state);
                shared.changed.notify_one();
                drop(replaced);
            }
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        match self {
            Sender::Queue(tx) => Sender::Queue(tx.clone()),
            Sender::Newest(shared) => {
                shared.lock().senders += 1;
                Sender::Newest(Arc::clone(shared))
            }
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Sender::Newest(shared) = self {
            shared.lock().senders -= 1;
            shared.changed.notify_all();
        }
    }
}

impl<T> Receiver<T> {
    /// The next item, waiting at most `timeout` (`None`: until one comes or
    /// every sender is gone).
    pub fn recv_timeout(&self, timeout: Option<Duration>) -> Result<T, RecvTimeoutError> {
        match self {
            Receiver::Queue(rx) => match timeout {
                Some(timeout) => rx.recv_timeout(timeout),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            },
            Receiver::Newest(shared) => {
                let until = timeout.map(|t| Instant::now() + t);
                let mut state = shared.lock();
                loop {
                    if let Some(item) = state.items.pop_front() {
                        return Ok(item);
                    }
                    if state.senders == 0 {
                        return Err(RecvTimeoutError::Disconnected);
                    }
                    state = match until {
                        None => shared.changed.wait(state).unwrap_or_else(PoisonError::into_inner),
                        Some(until) => {
                            let left = until.saturating_duration_since(Instant::now());
                            if left.is_zero() {
                                return Err(RecvTimeoutError::Timeout);
                            }
                            shared.changed.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0
                        }
                    };
                }
            }
        }
    }
}

impl<T> Drop for Receiver<T> {
    /// The items waiting go at once (a frame holds one of VLC's buffers),
    /// and what is sent from now on is dropped.
    fn drop(&mut self) {
        if let Receiver::Newest(shared) = self {
            let mut state = shared.lock();
            state.receiving = false;
            let waiting = std::mem::take(&mut state.items);
            drop(state);
            drop(waiting);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_parity(a: &u32, b: &u32) -> bool {
        a % 2 == b % 2
    }

    #[test]
    fn newest_keeps_the_newest_of_each_kind() {
        let (tx, rx) = handoff(4, Some(same_parity as fn(&u32, &u32) -> bool));
        for n in 0..7 {
            tx.send(n);
        }
        // 5 and 6 replaced the older odd and even items, in arrival order.
        assert_eq!(rx.recv_timeout(Some(Duration::ZERO)), Ok(5));
        assert_eq!(rx.recv_timeout(Some(Duration::ZERO)), Ok(6));
        assert_eq!(rx.recv_timeout(Some(Duration::from_millis(10))), Err(RecvTimeoutError::Timeout));
        let other = tx.clone();
        drop(tx);
        other.send(8);
        drop(other);
        assert_eq!(rx.recv_timeout(None), Ok(8));
        assert_eq!(rx.recv_timeout(None), Err(RecvTimeoutError::Disconnected));
    }

    #[test]
    fn a_waiting_receiver_is_woken_by_an_item_or_the_last_sender() {
        let (tx, rx) = handoff(1, Some(same_parity as fn(&u32, &u32) -> bool));
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send(1);
        });
        assert_eq!(rx.recv_timeout(Some(Duration::from_secs(10))), Ok(1));
        sender.join().unwrap();
        assert_eq!(rx.recv_timeout(Some(Duration::from_secs(10))), Err(RecvTimeoutError::Disconnected));
    }

    #[test]
    fn items_go_with_the_receiver() {
        let item = Arc::new(());
        let (tx, rx) = handoff(1, Some((|_, _| true) as fn(&Arc<()>, &Arc<()>) -> bool));
        tx.send(Arc::clone(&item));
        drop(rx);
        assert_eq!(Arc::strong_count(&item), 1, "the waiting item was dropped with the receiver");
        tx.send(Arc::clone(&item));
        assert_eq!(Arc::strong_count(&item), 1, "sent to nobody: dropped");
    }

    #[test]
    fn a_queue_keeps_every_item_in_order() {
        let (tx, rx) = handoff(3, None::<fn(&u32, &u32) -> bool>);
        for n in 0..3 {
            tx.send(n);
        }
        drop(tx);
        let got: Vec<u32> = std::iter::from_fn(|| rx.recv_timeout(None).ok()).collect();
        assert_eq!(got, [0, 1, 2]);
    }
}
