//! An owned `block_t` chain: iterate its blocks as byte slices, and release
//! the whole chain exactly once when dropped (also while unwinding).

use super::sys;

pub struct BlockChain {
    head: *mut sys::block_t,
}

// SAFETY: the chain is ours alone (VLC handed it over in Send), and a
// block_t has no thread affinity: VLC's own stream outputs release blocks
// on their mux threads.
unsafe impl Send for BlockChain {}

/// One block of a chain, borrowed from it.
#[derive(Clone, Copy)]
pub struct Block<'a> {
    raw: &'a sys::block_t,
}

impl BlockChain {
    /// Takes ownership of a chain VLC handed us.
    ///
    /// # Safety
    /// `head` must be a valid block chain (or null) that nobody else releases.
    pub unsafe fn from_raw(head: *mut sys::block_t) -> Self {
        BlockChain { head }
    }

    /// Unlinks the first block and returns it as a chain of its own (the
    /// queue holds frames one by one); `None` once the chain is empty.
    pub fn pop_front(&mut self) -> Option<BlockChain> {
        // SAFETY: we own the chain: the head block is unlinked before it is
        // handed out, so each block is released exactly once.
        let head = unsafe { self.head.as_mut()? };
        self.head = std::mem::replace(&mut head.p_next, std::ptr::null_mut());
        Some(BlockChain { head })
    }

    /// The address of the head block's release function (which library
    /// must stay loaded for as long as the block is kept).
    pub fn release_address(&self) -> usize {
        // SAFETY: the head of a valid chain is a valid block, or null.
        unsafe { self.head.as_ref() }.and_then(|b| b.pf_release).map_or(0, |f| f as usize)
    }

    /// Keeps the blocks `keep` says yes to, in order, and releases the
    /// others; returns how many went.
    pub fn retain(&mut self, mut keep: impl FnMut(Block<'_>) -> bool) -> usize {
        let mut kept = BlockChain { head: std::ptr::null_mut() };
        let mut tail: *mut *mut sys::block_t = &mut kept.head;
        let mut gone = 0;
        while let Some(one) = self.pop_front() {
            let wanted = one.iter().next().is_some_and(&mut keep);
            if wanted {
                // SAFETY: `tail` points at the last p_next of `kept` (or its
                // head), and `one` is a single block we own.
                unsafe {
                    *tail = one.into_raw();
                    tail = &mut (**tail).p_next;
                }
            } else {
                gone += 1; // `one` is released here
            }
        }
        *self = kept;
        gone
    }

    /// The head block, ours to change before the chain goes on.
    pub(super) fn head_mut(&mut self) -> Option<&mut sys::block_t> {
        // SAFETY: we own the chain: its head is a valid block (or null).
        unsafe { self.head.as_mut() }
    }

    /// Hands the chain over (to the next module of a stream chain).
    pub fn into_raw(self) -> *mut sys::block_t {
        let head = self.head;
        std::mem::forget(self);
        head
    }

    pub fn iter(&self) -> impl Iterator<Item = Block<'_>> {
        let mut next = self.head;
        std::iter::from_fn(move || {
            // SAFETY: every p_next of a valid chain is a valid block or null.
            let raw = unsafe { next.as_ref()? };
            next = raw.p_next;
            Some(Block { raw })
        })
    }
}

impl Drop for BlockChain {
    fn drop(&mut self) {
        let mut next = self.head;
        while !next.is_null() {
            // SAFETY: we own the chain; read p_next before releasing (block_ChainRelease).
            unsafe {
                let block = next;
                next = (*block).p_next;
                if let Some(release) = (*block).pf_release {
                    release(block);
                }
            }
        }
    }
}

impl<'a> Block<'a> {
    pub fn data(&self) -> &'a [u8] {
        if self.raw.p_buffer.is_null() || self.raw.i_buffer == 0 {
            return &[];
        }
        // SAFETY: p_buffer holds i_buffer readable bytes for the block's life.
        unsafe { std::slice::from_raw_parts(self.raw.p_buffer, self.raw.i_buffer) }
    }
    pub fn pts(&self) -> i64 {
        self.raw.i_pts
    }
    pub fn dts(&self) -> i64 {
        self.raw.i_dts
    }
    /// Duration in microseconds (0 if unknown).
    pub fn length(&self) -> i64 {
        self.raw.i_length
    }
    /// VLC decodes this block only to reach a start point (`BLOCK_FLAG_PREROLL`).
    pub fn is_preroll(&self) -> bool {
        self.raw.i_flags & sys::BLOCK_FLAG_PREROLL != 0
    }
    /// `BLOCK_FLAG_*`.
    pub fn flags(&self) -> u32 {
        self.raw.i_flags
    }
}
