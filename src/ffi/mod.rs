//! The FFI layer: the only place with `unsafe` code. Generated bindings,
//! thin safe wrappers for the VLC objects the module touches, the
//! `extern "C"` edges (each one catches unwinding), and the one SIMD loop
//! of the frame copy, behind a bounds-checked function (`copy`).

pub mod block;
pub mod callbacks;
pub mod copy;
pub mod descriptor;
pub mod es;
pub mod fault;
pub mod frame;
pub mod object;
pub mod process;
pub mod stream;
pub mod sys;
