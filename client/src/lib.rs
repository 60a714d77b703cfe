//! smem-client: typed video frames and audio blocks from VLC 3.0's `smem`
//! stream output, for Rust applications on libvlc, with no unsafe code in
//! their hands.
//!
//! The library builds the `:sout=#transcode{...}:smem{...}` option itself,
//! with its own C trampolines and a context that lives exactly as long as the
//! media player may call them, and hands each closure a borrowed frame:
//!
//! ```no_run
//! use smem_client::{Grab, VideoChroma, AudioSample};
//! let mut frames = 0;
//! let end = Grab::new("clip.mkv")
//!     .video(VideoChroma::Rgba, |frame| { frames += 1; assert_eq!(frame.planes.len(), 1); })
//!     .audio(AudioSample::S16l, |block| println!("{} samples at {} Hz", block.samples, block.rate))
//!     .run()
//!     .unwrap();
//! println!("{frames} frames, ended: {:?}", end.reason);
//! ```
//!
//! or pulls owned items from a bounded queue ([`Grab::frames`]): a slow
//! consumer makes VLC wait instead of growing memory.
//!
//! With smem-rs loaded, it uses smem-rs's frame ABI ([`abi`], the header
//! `include/smem.h`): closures see VLC's own block with its plane layout
//! and [`FrameInfo`]/[`VideoInfo`], and each pull item holds the block
//! itself, released when the item drops: no copy, no allocation. With the
//! stock smem ([`Abi::Legacy`]), smem copies each frame into a buffer of a
//! pool, and the item owns that very buffer (no second copy, no allocation
//! per frame either). [`SmemChain`] writes the `:sout` chain.
//!
//! It talks to libvlc through its own small bindings ([`vlc`]) rather than
//! the `vlc-rs` crate: it needs a dozen functions, wants the log callback
//! (variadic) to report VLC's errors, and carries no dependency at all.

pub mod abi;
pub mod allocator;
pub mod chain;
pub mod colour;
mod format;
pub mod frame;
mod grab;
mod outcome;
mod pages;
mod pool;
#[cfg(feature = "rgb")]
pub mod rgb;
mod seek;
mod segment;
mod timeline;
mod trampolines;
pub mod vlc;

pub use abi::{held_frames, FrameInfo, VideoInfo};
pub use chain::{Callbacks, SmemChain};
pub use format::{rgb_channels, AudioSample, PlaneLayout, VideoChroma};
pub use frame::{AudioBlock, Item, OwnedAudioBlock, OwnedVideoFrame, VideoFrame};
pub use grab::{wait_closed, Abi, DropPolicy, Frames, Grab, Next, SeekHandle, StopHandle};
pub use outcome::{EndOfStream, EndReason, Error, ItemEnd, Progress};
pub use pool::Buffer;
/// A name that is none of the values it could be (parsing [`Abi`],
/// [`DropPolicy`], [`EndReason`], formats...).
pub use smem_names::{redact_url, UnknownName};
