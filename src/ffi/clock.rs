//! The CPU time of the calling thread, for deciding where frames are copied.

use std::time::Duration;

/// CPU time the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`); zero
/// if the clock cannot be read, which makes the thread look idle.
pub fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for the call to fill.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } == 0;
    if !ok || now.tv_sec < 0 || now.tv_nsec < 0 {
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_work_and_not_with_sleep() {
        // Work until the clock has counted 20 ms (however long that takes on
        // a loaded machine), then sleep: sleeping must add next to nothing.
        let start = thread_cpu_time();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut x = 0u64;
        while thread_cpu_time() - start < Duration::from_millis(20) {
            assert!(std::time::Instant::now() < deadline, "the thread's CPU clock does not grow with its work");
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
        }
        let after_work = thread_cpu_time();
        std::thread::sleep(Duration::from_millis(50));
        assert!(thread_cpu_time() - after_work < Duration::from_millis(20));
    }
}
