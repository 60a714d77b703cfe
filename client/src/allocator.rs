//! Opt-in ([`crate::Grab::tune_allocator`]): VLC 3's transcodes fault their
//! own per-frame picture buffers in again every frame when glibc hands them
//! back to the kernel (2-3x slower at 1080p, 4x at 4K), where pictures are
//! still copied per frame: the stock smem, the legacy ABI. With smem-rs's
//! `smem_raw` they are not (about 10 faults a frame untuned), and a grab
//! leaves malloc alone by default. Set before VLC starts its threads, these
//! settings keep the buffers in the process: every allocation from the
//! heap, nothing trimmed back, one arena. The same values as the plugin's
//! `tune-allocator`. The cost is the whole process's: from then on nothing
//! it allocates is given back to the system, and memory once used (a burst
//! of frames held) stays resident until it exits.

use std::sync::Once;

/// What a grab sets when asked to, for its documentation and the tests.
pub const SETTINGS: &str = "M_MMAP_MAX=0, M_TRIM_THRESHOLD=2147483647, M_ARENA_MAX=1";

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() {
    use std::ffi::c_int;
    extern "C" {
        fn mallopt(param: c_int, value: c_int) -> c_int;
    }
    // glibc's malloc.h: M_TRIM_THRESHOLD -1, M_MMAP_MAX -4, M_ARENA_MAX -8.
    for (param, value) in [(-4, 0), (-1, c_int::MAX), (-8, 1)] {
        // SAFETY: mallopt takes any parameter and value; it returns 0 for
        // one it refuses, which leaves glibc as it was.
        unsafe { mallopt(param, value) };
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() {}

/// Applies the settings, once per process.
pub(crate) fn tune() {
    static ONCE: Once = Once::new();
    ONCE.call_once(apply);
}
