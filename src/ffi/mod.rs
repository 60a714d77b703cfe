//! The FFI layer: the only place with `unsafe` code. Generated bindings,
//! thin safe wrappers for the VLC objects the module touches, and the
//! `extern "C"` edges (each one catches unwinding).

pub mod block;
pub mod callbacks;
pub mod descriptor;
pub mod es;
pub mod fault;
pub mod object;
pub mod stream;
pub mod sys;
