//! The application's C callbacks, with the signatures of VLC 3.0's smem
//! (the ABI existing clients compile against), and the one place they are
//! called.

use std::ffi::{c_int, c_uint, c_void};
use std::ptr;

use super::exec_maps::CodeAddress;

pub type PrerenderFn = unsafe extern "C" fn(data: *mut c_void, buffer: *mut *mut u8, size: usize);
pub type VideoPostrenderFn = unsafe extern "C" fn(
    data: *mut c_void,
    buffer: *mut u8,
    width: c_int,
    height: c_int,
    pixel_pitch: c_int,
    size: usize,
    pts: i64,
);
pub type AudioPostrenderFn = unsafe extern "C" fn(
    data: *mut c_void,
    buffer: *mut u8,
    channels: c_uint,
    rate: c_uint,
    nb_samples: c_uint,
    bits_per_sample: c_uint,
    size: usize,
    pts: i64,
);

/// What the video postrender callback is told about a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VideoFrameInfo {
    pub width: u32,
    pub height: u32,
    pub pixel_pitch: u32,
    pub pts: i64,
}

/// What the audio postrender callback is told about a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudioBlockInfo {
    pub channels: u32,
    pub rate: u32,
    pub nb_samples: u32,
    pub bits_per_sample: u32,
    pub pts: i64,
}

/// The prerender callback handed back no buffer: the frame was not delivered.
#[derive(Debug, PartialEq, Eq)]
pub struct NoBuffer;

/// A prerender/postrender pair and the application's opaque data pointer.
#[derive(Clone, Copy)]
pub struct Callbacks<Post> {
    prerender: PrerenderFn,
    postrender: Post,
    data: *mut c_void,
}

// SAFETY: the pointers are plain addresses the application gave us; smem's
// contract has always been that they may be called from VLC's threads.
unsafe impl<Post: Send> Send for Callbacks<Post> {}
unsafe impl<Post: Sync> Sync for Callbacks<Post> {}

pub type VideoCallbacks = Callbacks<VideoPostrenderFn>;
pub type AudioCallbacks = Callbacks<AudioPostrenderFn>;

impl<Post: Copy> Callbacks<Post> {
    /// Asks the application for `size` bytes, lets `fill` write them, and
    /// returns the buffer for the postrender call.
    fn fill_buffer(&self, size: usize, fill: impl FnOnce(&mut [u8])) -> Result<*mut u8, NoBuffer> {
        let mut buffer: *mut u8 = ptr::null_mut();
        // SAFETY: `prerender` is a function of this signature (executable:
        // a CodeAddress; the signature is the application's contract).
        unsafe { (self.prerender)(self.data, &mut buffer, size) };
        if buffer.is_null() {
            return Err(NoBuffer);
        }
        if size > 0 {
            // SAFETY: smem's contract: prerender returns a writable buffer of
            // at least `size` bytes, exclusively ours until postrender.
            fill(unsafe { std::slice::from_raw_parts_mut(buffer, size) });
        }
        Ok(buffer)
    }
}

impl VideoCallbacks {
    /// The application's video pair; `data` is passed through untouched.
    pub fn new(prerender: CodeAddress, postrender: CodeAddress, data: usize) -> Self {
        // SAFETY: both addresses lie in executable memory (CodeAddress);
        // that they are functions of the smem video signatures is the
        // contract every smem client has with VLC.
        Callbacks {
            prerender: unsafe { std::mem::transmute::<usize, PrerenderFn>(prerender.get()) },
            postrender: unsafe { std::mem::transmute::<usize, VideoPostrenderFn>(postrender.get()) },
            data: data as *mut c_void,
        }
    }

    pub fn deliver(&self, size: usize, info: VideoFrameInfo, fill: impl FnOnce(&mut [u8])) -> Result<(), NoBuffer> {
        let buffer = self.fill_buffer(size, fill)?;
        // SAFETY: as in `new`.
        unsafe {
            (self.postrender)(
                self.data,
                buffer,
                info.width as c_int,
                info.height as c_int,
                info.pixel_pitch as c_int,
                size,
                info.pts,
            )
        };
        Ok(())
    }
}

impl AudioCallbacks {
    /// The application's audio pair; `data` is passed through untouched.
    pub fn new(prerender: CodeAddress, postrender: CodeAddress, data: usize) -> Self {
        // SAFETY: as in VideoCallbacks::new, with the audio signatures.
        Callbacks {
            prerender: unsafe { std::mem::transmute::<usize, PrerenderFn>(prerender.get()) },
            postrender: unsafe { std::mem::transmute::<usize, AudioPostrenderFn>(postrender.get()) },
            data: data as *mut c_void,
        }
    }

    pub fn deliver(&self, size: usize, info: AudioBlockInfo, fill: impl FnOnce(&mut [u8])) -> Result<(), NoBuffer> {
        let buffer = self.fill_buffer(size, fill)?;
        // SAFETY: as in `new`.
        unsafe {
            (self.postrender)(
                self.data,
                buffer,
                info.channels,
                info.rate,
                info.nb_samples,
                info.bits_per_sample,
                size,
                info.pts,
            )
        };
        Ok(())
    }
}
