//! Large frame buffers in pages of their own (mmap), given back to the
//! system the moment they are dropped (munmap). Through malloc they would
//! not always be: glibc serves a large block with mmap only until the first
//! such block is freed, then raises its mmap threshold to that size and
//! serves the next ones from its heaps, where freed memory stays whenever
//! anything small was allocated after it. A consumer that held a burst of
//! 1080p frames would keep the burst's memory. Pages do not depend on
//! what malloc did before, nor change what it does next.

use std::ptr::NonNull;

/// From this size on a buffer gets pages of its own: glibc's own default
/// mmap threshold (128 KiB). Below it (audio blocks, small pictures), the
/// heap serves, and the kernel's map count is spared.
pub(crate) const OWN_PAGES_FROM: usize = 128 * 1024;

/// `len` zeroed bytes mapped for this buffer alone, unmapped on drop.
pub(crate) struct Pages {
    at: NonNull<u8>,
    len: usize,
}

// SAFETY: Pages owns its mapping alone, as a Vec<u8> owns its memory.
unsafe impl Send for Pages {}
// SAFETY: shared, it is only read.
unsafe impl Sync for Pages {}

impl Pages {
    /// `None` when the system refuses (no memory, no mappings left).
    pub(crate) fn new(len: usize) -> Option<Pages> {
        if len == 0 {
            return None;
        }
        // SAFETY: an anonymous private mapping of fresh pages, at an address
        // the kernel chooses; nothing else refers to it.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if at == libc::MAP_FAILED {
            return None;
        }
        NonNull::new(at.cast()).map(|at| Pages { at, len })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `len` mapped bytes, readable (zeroed when mapped), alive
        // as long as self.
        unsafe { std::slice::from_raw_parts(self.at.as_ptr(), self.len) }
    }

    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as bytes(), and borrowed mutably from the only owner.
        unsafe { std::slice::from_raw_parts_mut(self.at.as_ptr(), self.len) }
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        // SAFETY: the mapping Pages::new made, unmapped once; no slice of
        // it outlives self.
        unsafe { libc::munmap(self.at.as_ptr().cast(), self.len) };
    }
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pages({} bytes)", self.len)
    }
}
