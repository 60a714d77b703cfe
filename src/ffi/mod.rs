//! The FFI layer: bindings to VLC and libc, thin safe wrappers for the
//! VLC objects the module touches, and the `extern "C"` edges (each one
//! catches unwinding). With the SIMD row loop of `crate::copy`, the only
//! place with `unsafe` code.

pub mod access_demux;
pub mod block;
pub mod callbacks;
pub mod demux_filter;
pub mod descriptor;
pub mod encoder;
pub mod es;
pub mod exec_maps;
pub mod filter;
pub mod frame;
pub mod object;
pub mod process;
pub mod stream;
pub mod sys;
pub mod vlccore;
