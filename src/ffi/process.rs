//! Process-wide knobs and counters of the C library: glibc's malloc tuning
//! (`mallopt`) and the process's minor page faults (`getrusage`).

use std::ffi::c_int;

/// The `mallopt` parameters smem's `tune-allocator` sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MallocParam {
    /// Free memory at the top of the heap above this is given back to the OS.
    TrimThreshold,
    /// Allocations from this size on get a mapping of their own.
    MmapThreshold,
    /// How many such mappings at most (0: none, everything from the heap).
    MmapMax,
    /// How many malloc arenas threads may spread over.
    ArenaMax,
}

impl MallocParam {
    fn raw(self) -> c_int {
        match self {
            MallocParam::TrimThreshold => libc::M_TRIM_THRESHOLD,
            MallocParam::MmapThreshold => libc::M_MMAP_THRESHOLD,
            MallocParam::MmapMax => libc::M_MMAP_MAX,
            MallocParam::ArenaMax => libc::M_ARENA_MAX,
        }
    }
}

/// `mallopt(param, value)`: false if glibc refused the value.
pub fn mallopt(param: MallocParam, value: i32) -> bool {
    // SAFETY: mallopt takes any parameter and value and reports what it refuses.
    unsafe { libc::mallopt(param.raw(), value) == 1 }
}

/// Minor page faults of the whole process so far.
pub fn minor_faults() -> u64 {
    // SAFETY: getrusage fills the struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0;
    }
    usage.ru_minflt.max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_fresh_pages_counts_faults() {
        let before = minor_faults();
        let mut pages = vec![0u8; 64 << 20];
        for i in (0..pages.len()).step_by(4096) {
            pages[i] = 1;
        }
        std::hint::black_box(&pages);
        assert!(minor_faults() - before >= 1000, "{} faults", minor_faults() - before);
    }

    #[test]
    fn glibc_takes_the_settings() {
        // The current values (as glibc starts), so the test changes nothing.
        assert!(mallopt(MallocParam::MmapMax, 65536));
        assert!(mallopt(MallocParam::ArenaMax, 8 * std::thread::available_parallelism().map_or(1, |n| n.get() as i32)));
    }
}
