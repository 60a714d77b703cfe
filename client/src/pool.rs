//! Frame buffers that go back where they came from. With smem-rs's frame
//! ABI, the pull iterator's item holds VLC's own block, and dropping it
//! releases the block. With the legacy callbacks, smem fills a buffer the
//! sink lent it, the item owns that very buffer (no second copy), and
//! dropping the item returns it to the sink's pool for a later frame. No
//! allocation per frame in steady state either way.
//!
//! A pool keeps a few spare buffers, never more: those the consumer holds
//! besides are its own, and go back to the system when it drops them
//! (large ones are [`Pages`] of their own, whatever malloc's state).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, PoisonError};

use crate::abi::HeldFrame;
use crate::pages::{Pages, OWN_PAGES_FROM};

/// A buffer's memory: pages of its own when large, else the heap's.
#[derive(Debug, Default)]
pub(crate) enum Storage {
    #[default]
    None,
    Heap(Vec<u8>),
    Pages(Pages),
}

impl Storage {
    /// `size` zeroed bytes.
    pub(crate) fn of(size: usize) -> Storage {
        let pages = (size >= OWN_PAGES_FROM).then(|| Pages::new(size)).flatten();
        pages.map_or_else(|| Storage::Heap(vec![0; size]), Storage::Pages)
    }

    fn copy_of(bytes: &[u8]) -> Storage {
        let mut storage = Storage::of(bytes.len());
        storage.copy_from_slice(bytes);
        storage
    }
}

impl Deref for Storage {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Storage::None => &[],
            Storage::Heap(bytes) => bytes,
            Storage::Pages(pages) => pages.bytes(),
        }
    }
}

impl DerefMut for Storage {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            Storage::None => &mut [],
            Storage::Heap(bytes) => bytes,
            Storage::Pages(pages) => pages.bytes_mut(),
        }
    }
}

/// Spare buffers of one sink, at most `keep` of them.
#[derive(Debug)]
pub(crate) struct Pool {
    free: Mutex<Vec<Storage>>,
    keep: usize,
}

impl Pool {
    pub(crate) fn new(keep: usize) -> Arc<Pool> {
        Arc::new(Pool { free: Mutex::new(Vec::with_capacity(keep)), keep })
    }

    /// A buffer of at least `size` bytes: a spare one if there is one large
    /// enough (a smaller spare is given back to the system).
    pub(crate) fn take(&self, size: usize) -> Storage {
        let spare = self.free.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match spare {
            Some(buffer) if buffer.len() >= size => buffer,
            _ => Storage::of(size),
        }
    }

    /// Keeps `buffer` for a later frame, unless `keep` are spare already:
    /// then it is dropped, and its memory goes back.
    pub(crate) fn put(&self, buffer: Storage) {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.len() < self.keep {
            free.push(buffer);
        }
    }

    #[cfg(test)]
    fn spare(&self) -> usize {
        self.free.lock().unwrap().len()
    }
}

/// The bytes of one frame or block, owned. Reads as a `[u8]`; dropping it
/// hands its memory back to where it came from (VLC, or the grab's pool).
pub struct Buffer {
    bytes: Storage,
    len: usize,
    pool: Option<Arc<Pool>>,
    /// VLC's block itself (the frame ABI), released on drop.
    held: Option<HeldFrame>,
}

impl Buffer {
    pub(crate) fn pooled(bytes: Storage, len: usize, pool: Arc<Pool>) -> Buffer {
        let len = len.min(bytes.len());
        Buffer { bytes, len, pool: Some(pool), held: None }
    }

    pub(crate) fn held(frame: HeldFrame) -> Buffer {
        Buffer { bytes: Storage::None, len: 0, pool: None, held: Some(frame) }
    }

    /// A copy of `bytes`, outside any pool; large ones in pages of their
    /// own, given back to the system when the buffer is dropped.
    pub(crate) fn copy_of(bytes: &[u8]) -> Buffer {
        Buffer { len: bytes.len(), bytes: Storage::copy_of(bytes), pool: None, held: None }
    }

    /// `storage` as one buffer, outside any pool.
    pub(crate) fn owning(storage: Storage) -> Buffer {
        Buffer { len: storage.len(), bytes: storage, pool: None, held: None }
    }

    /// Whether these are VLC's own bytes (held through smem-rs's frame ABI)
    /// rather than a copy.
    pub fn is_vlc_block(&self) -> bool {
        self.held.is_some()
    }

    /// The bytes as a `Vec` of their own (a copy: the buffer goes back to
    /// its pool).
    pub fn to_vec(&self) -> Vec<u8> {
        self[..].to_vec()
    }
}

impl From<Vec<u8>> for Buffer {
    fn from(bytes: Vec<u8>) -> Buffer {
        Buffer::owning(Storage::Heap(bytes))
    }
}

impl Deref for Buffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.held {
            Some(frame) => frame.bytes(),
            None => &self.bytes[..self.len],
        }
    }
}

impl AsRef<[u8]> for Buffer {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let Some(pool) = &self.pool {
            pool.put(std::mem::take(&mut self.bytes));
        }
    }
}

/// A copy of its own, outside any pool.
impl Clone for Buffer {
    fn clone(&self) -> Buffer {
        Buffer::copy_of(self)
    }
}

impl PartialEq for Buffer {
    fn eq(&self, other: &Buffer) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Buffer {}

impl PartialEq<[u8]> for Buffer {
    fn eq(&self, other: &[u8]) -> bool {
        self[..] == *other
    }
}

impl PartialEq<Vec<u8>> for Buffer {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self[..] == other[..]
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Buffer({} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_serves_the_next_frame_without_allocating() {
        let pool = Pool::new(2);
        let first = pool.take(1000);
        let at = first.as_ptr();
        let item = Buffer::pooled(first, 600, Arc::clone(&pool));
        assert_eq!(item.len(), 600);
        drop(item);
        assert_eq!(pool.spare(), 1);
        let again = pool.take(800);
        assert_eq!(again.as_ptr(), at, "the same memory came back");
        assert!(again.len() >= 800);
    }

    #[test]
    fn the_pool_keeps_no_more_than_it_was_told() {
        let pool = Pool::new(1);
        let items: Vec<Buffer> = (0..3).map(|_| Buffer::pooled(pool.take(10), 10, Arc::clone(&pool))).collect();
        drop(items);
        assert_eq!(pool.spare(), 1);
    }

    #[test]
    fn large_buffers_have_pages_of_their_own_and_small_ones_the_heap() {
        let frame = 1920 * 1080 * 3;
        assert!(matches!(Storage::of(frame), Storage::Pages(_)));
        assert!(matches!(Storage::of(4096), Storage::Heap(_)));
        let copy = Buffer::copy_of(&vec![7u8; frame]);
        assert!(matches!(copy.bytes, Storage::Pages(_)));
        assert!(copy.iter().all(|&b| b == 7) && copy.len() == frame);
    }

    #[test]
    fn a_spare_too_small_is_let_go_for_a_buffer_of_the_size() {
        let pool = Pool::new(1);
        pool.put(Storage::of(10));
        let bigger = pool.take(200_000);
        assert!(bigger.len() >= 200_000);
        assert_eq!(pool.spare(), 0);
    }

    #[test]
    fn clones_and_comparisons_see_the_bytes() {
        let pool = Pool::new(1);
        let mut bytes = pool.take(4);
        bytes[..4].copy_from_slice(b"abcd");
        let a = Buffer::pooled(bytes, 3, pool);
        let b = a.clone();
        assert_eq!(&b[..], b"abc");
        assert_eq!(a, b);
        assert_eq!(Buffer::from(b"abc".to_vec()), a);
    }
}
