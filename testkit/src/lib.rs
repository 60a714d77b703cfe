//! smem-testkit: what the tests and the benchmarks of smem-rs share.
//!
//! * `smem-host` (the binary): a libvlc application that plays media through
//!   a chain ending in smem with callbacks of its own and reports what came;
//! * [`report`]: that report, typed (JSON for tests, `key: value` lines for
//!   people and `make bench`);
//! * [`run`]: running smem-host (with our plugin or stock VLC only) and the
//!   plain C host, scratch folders, generated clips;
//! * [`media`]: y4m and WAV files with known bytes; [`plugin`]: the built
//!   plugin in a folder of its own for `VLC_PLUGIN_PATH`;
//! * [`script`]: seek, stop and track switches at given times, and a
//!   playlist's items, over the client library's libvlc bindings;
//! * [`rtsp`]: GStreamer's RTSP server on 127.0.0.1, for the RTSP input.

pub mod media;
pub mod plugin;
pub mod report;
pub mod rtsp;
pub mod run;
pub mod script;

pub use report::{Call, FrameAbiReport, FrameCall, Report, TrackReport};
pub use run::*;
