//! libvlccore's format tables, read at Add: the plane layout of a chroma
//! (`vlc_fourcc_GetChromaDescription`) and the sample size of a PCM format
//! (`aout_BitsPerSample`), as this VLC point release knows them.

use super::sys;
use crate::fourcc::Fourcc;

/// One plane as libvlccore describes it: its size relative to the picture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlaneRatio {
    pub w: (u32, u32),
    pub h: (u32, u32),
}

/// `vlc_chroma_description_t`, copied out of libvlccore's static table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChromaDescription {
    pub plane_count: usize,
    pub planes: [PlaneRatio; 4],
    /// Bytes per sample, the same for every plane.
    pub pixel_size: u32,
    /// Bits of those a sample uses (10 for I0AL, 24 for RV24).
    pub pixel_bits: u32,
}

/// Whether VLC's module bank has a module of that name (`module_exists`).
pub fn module_exists(name: &std::ffi::CStr) -> bool {
    // SAFETY: a NUL-terminated name; VLC only reads it.
    unsafe { super::sys::module_exists(name.as_ptr()) }
}

/// `None` when this libvlccore does not know `fourcc` as a chroma.
pub fn chroma_description(fourcc: Fourcc) -> Option<ChromaDescription> {
    // SAFETY: a lookup in libvlccore's static table: a pointer into it, or null.
    let desc = unsafe { sys::vlc_fourcc_GetChromaDescription(fourcc.0).as_ref()? };
    let mut planes = [PlaneRatio::default(); 4];
    let plane_count = (desc.plane_count as usize).min(planes.len());
    for (out, p) in planes.iter_mut().zip(&desc.p[..plane_count]) {
        *out = PlaneRatio { w: (p.w.num, p.w.den), h: (p.h.num, p.h.den) };
    }
    Some(ChromaDescription { plane_count, planes, pixel_size: desc.pixel_size, pixel_bits: desc.pixel_bits })
}

/// Bits per sample of a PCM format; 0 for anything else.
pub fn audio_bits_per_sample(fourcc: Fourcc) -> u32 {
    // SAFETY: a pure function of its argument in libvlccore.
    unsafe { sys::aout_BitsPerSample(fourcc.0) }
}

/// VLC's clock now, in µs (`mdate`): the dates of the blocks a sout gets.
pub fn now() -> i64 {
    // SAFETY: reads the monotonic clock; no argument.
    unsafe { sys::mdate() }
}
