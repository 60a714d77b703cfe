//! VLC 3.0 `smem` stream output, in Rust. `libsmem_rs_plugin.so` registers
//! `smem_rs`, the `sout stream` answering to the `smem` shortcut, and its
//! helpers: `smem_mark` (goes first in a chain to mark where a start is),
//! `smem_preroll` (a demux filter) and `smem_raw` (an encoder).
//!
//! * `ffi`: the `unsafe` lines that bind VLC and libc (bindings, safe
//!   wrappers, the C edges, the frame ABI's hold/release);
//! * `copy`: the AVX2 row copy behind one bounds-checked function;
//! * `smem`: the module in plain safe Rust (options, formats, geometry,
//!   queue), `#![forbid(unsafe_code)]`;
//! * `mark`: the `smem_mark` module, `#![forbid(unsafe_code)]` too;
//! * `raw`: the `smem_raw` encoder (transcode's pictures to smem without
//!   a copy), `#![forbid(unsafe_code)]` too;
//! * `rtsp`: the `smem_rtsp` input (`rtsp://` on retina, feature `rtsp`),
//!   `#![forbid(unsafe_code)]` too;
//! * `fault`: fault injection for the tests (debug builds only).
#![deny(unsafe_op_in_unsafe_fn)]

pub mod camera_clock;
pub mod copy;
pub mod fault;
pub mod ffi;
pub mod fourcc;
pub mod mark;
pub mod raw;
#[cfg(feature = "rtsp")]
pub mod rtsp;
pub mod smem;

const PLUGIN_LICENSE: &std::ffi::CStr =
    c"Licensed under the terms of the GNU Lesser General Public License, version 2.1 or later.";
const PLUGIN_COPYRIGHT: &std::ffi::CStr = c"Copyright (C) the smem-rs authors";

#[cfg(feature = "rtsp")]
export_vlc_plugin!(
    [crate::smem::MODULE, crate::mark::MODULE, crate::mark::PREROLL_MODULE, crate::raw::MODULE, crate::rtsp::MODULE],
    license: PLUGIN_LICENSE,
    copyright: PLUGIN_COPYRIGHT
);
#[cfg(not(feature = "rtsp"))]
export_vlc_plugin!(
    [crate::smem::MODULE, crate::mark::MODULE, crate::mark::PREROLL_MODULE, crate::raw::MODULE],
    license: PLUGIN_LICENSE,
    copyright: PLUGIN_COPYRIGHT
);
