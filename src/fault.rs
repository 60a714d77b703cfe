//! Fault injection for the tests, compiled into debug builds only: the
//! plugin `make install` ships (release) contains none of it.
//!
//! `SMEM_RS_FAULT` holds comma-separated faults:
//! - `panic:<Hook>` makes that hook (`Open`, `Add`, `Send`, `Flush`, `Del`,
//!   `Close`, or `Deliver` around each frame's delivery, in Send or on the
//!   queue's delivery thread) panic inside its `catch_unwind` edge, so a
//!   test under real libvlc proves no panic crosses into C or ends a thread;
//! - `leak` loses one allocation at Open, so the memory check proves it can
//!   see a leak in our code.

#[cfg(debug_assertions)]
fn wanted(fault: &str) -> bool {
    std::env::var("SMEM_RS_FAULT").is_ok_and(|spec| spec.split(',').any(|f| f.trim() == fault))
}

/// Panics if `panic:<hook>` is asked for.
#[cfg(debug_assertions)]
pub fn at_hook(hook: &str) {
    if wanted(&format!("panic:{hook}")) {
        panic!("fault injected in {hook} (SMEM_RS_FAULT)");
    }
    if hook == "Open" && wanted("leak") {
        std::mem::forget(vec![0x5Au8; 4096]);
    }
}

#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn at_hook(_hook: &str) {}
