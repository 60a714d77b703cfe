//! Frame buffers that go back where they came from. With smem-rs's frame
//! ABI, the pull iterator's item holds VLC's own block, and dropping it
//! releases the block. With the legacy callbacks, smem fills a buffer the
//! sink lent it, the item owns that very buffer (no second copy), and
//! dropping the item returns it to the sink's pool for a later frame. No
//! allocation per frame in steady state either way.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, PoisonError};

use crate::abi::HeldFrame;

/// Spare buffers of one sink, at most `keep` of them.
#[derive(Debug)]
pub(crate) struct Pool {
    free: Mutex<Vec<Vec<u8>>>,
    keep: usize,
}

impl Pool {
    pub(crate) fn new(keep: usize) -> Arc<Pool> {
        Arc::new(Pool { free: Mutex::new(Vec::with_capacity(keep)), keep })
    }

    /// A buffer of at least `size` bytes: a spare one if there is one.
    pub(crate) fn take(&self, size: usize) -> Vec<u8> {
        let mut buffer = self.free.lock().unwrap_or_else(PoisonError::into_inner).pop().unwrap_or_default();
        if buffer.len() < size {
            buffer.resize(size, 0);
        }
        buffer
    }

    /// Keeps `buffer` for a later frame, unless `keep` are spare already.
    pub(crate) fn put(&self, buffer: Vec<u8>) {
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
    bytes: Vec<u8>,
    len: usize,
    pool: Option<Arc<Pool>>,
    /// VLC's block itself (the frame ABI), released on drop.
    held: Option<HeldFrame>,
}

impl Buffer {
    pub(crate) fn pooled(bytes: Vec<u8>, len: usize, pool: Arc<Pool>) -> Buffer {
        let len = len.min(bytes.len());
        Buffer { bytes, len, pool: Some(pool), held: None }
    }

    pub(crate) fn held(frame: HeldFrame) -> Buffer {
        Buffer { bytes: Vec::new(), len: 0, pool: None, held: Some(frame) }
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
        Buffer { len: bytes.len(), bytes, pool: None, held: None }
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
        Buffer::from(self.to_vec())
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
