//! A Matroska file's largest codec delay, read from its track headers.
//!
//! VLC 3's Matroska demuxer takes each track's `CodecDelay` (an Opus
//! track's pre-skip, 6.5 ms from ffmpeg) off that track's times and runs the
//! whole file late by the largest (see [`super::start::StartPoint::codec_delay`]).
//! smem_mark learns an Opus track's delay when its first block reaches the
//! stream output; with no input caching a video track's first pictures can
//! be placed before that, 6.5 ms late. Read here from the file when
//! smem_preroll opens, the shift is known before the demuxer sends a block.
//!
//! Plain logic over the file's bytes, unit-tested without VLC.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

const EBML_HEADER: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const CODEC_DELAY: u32 = 0x56AA;
const CLUSTER: u32 = 0x1F43_B675;
/// The largest `Tracks` element read (a few kB in real files).
const MAX_TRACKS: u64 = 4 << 20;
/// Segment children looked at before the tracks (SeekHead, Info, Void...).
const MAX_CHILDREN: usize = 64;

/// The largest `CodecDelay` of the file's tracks in µs (0 when none has
/// one), or `None` when the file is not Matroska or its tracks do not come
/// before its first cluster.
pub fn read(path: &Path) -> io::Result<Option<i64>> {
    let mut file = BufReader::new(File::open(path)?);
    let Some(tracks) = find_tracks(&mut file)? else { return Ok(None) };
    Ok(Some(largest_delay(&tracks)))
}

/// The body of the first segment's `Tracks`.
fn find_tracks(file: &mut (impl Read + Seek)) -> io::Result<Option<Vec<u8>>> {
    let Some((EBML_HEADER, Some(size))) = header(file)? else { return Ok(None) };
    file.seek(SeekFrom::Current(to_i64(size)?))?;
    let Some((SEGMENT, _)) = header(file)? else { return Ok(None) };
    for _ in 0..MAX_CHILDREN {
        match header(file)? {
            Some((TRACKS, Some(size))) if size <= MAX_TRACKS => {
                let mut body = vec![0; size as usize];
                file.read_exact(&mut body)?;
                return Ok(Some(body));
            }
            Some((CLUSTER, _)) | Some((_, None)) | None => return Ok(None),
            Some((_, Some(size))) => {
                file.seek(SeekFrom::Current(to_i64(size)?))?;
            }
        }
    }
    Ok(None)
}

fn to_i64(size: u64) -> io::Result<i64> {
    i64::try_from(size).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "an element larger than a file"))
}

/// An element's id and size (`None`: unknown), or `None` at the end.
fn header(file: &mut impl Read) -> io::Result<Option<(u32, Option<u64>)>> {
    let mut first = [0u8];
    if file.read(&mut first)? == 0 {
        return Ok(None);
    }
    let Some(id) = vint(first[0], file, 4, true)? else { return Ok(None) };
    let mut first = [0u8];
    file.read_exact(&mut first)?;
    let Some(size) = vint(first[0], file, 8, false)? else { return Ok(None) };
    let width = first[0].leading_zeros() + 1;
    let unknown = size == (1u64 << (7 * width)) - 1;
    Ok(Some((id as u32, (!unknown).then_some(size))))
}

/// An EBML variable-length integer that starts with `first`; an id keeps
/// its length marker, a size does not. `None` if longer than `max` bytes.
fn vint(first: u8, rest: &mut impl Read, max: u32, keep_marker: bool) -> io::Result<Option<u64>> {
    let width = first.leading_zeros() + 1;
    if width > max {
        return Ok(None);
    }
    let mut value = match keep_marker {
        true => u64::from(first),
        false => u64::from(first) & (0xFF >> width),
    };
    for _ in 1..width {
        let mut byte = [0u8];
        rest.read_exact(&mut byte)?;
        value = value << 8 | u64::from(byte[0]);
    }
    Ok(Some(value))
}

/// The children of an element's body: id and body, while well formed.
fn children(mut body: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    std::iter::from_fn(move || {
        let (id, size) = header(&mut body).ok()??;
        let size = usize::try_from(size?).ok().filter(|s| *s <= body.len())?;
        let (child, rest) = body.split_at(size);
        body = rest;
        Some((id, child))
    })
}

fn largest_delay(tracks: &[u8]) -> i64 {
    let entries = children(tracks).filter(|(id, _)| *id == TRACK_ENTRY);
    let delays = entries.flat_map(|(_, entry)| children(entry).filter(|(id, _)| *id == CODEC_DELAY));
    // Nanoseconds, as VLC reads them (VLC_TICK_FROM_NS).
    let ns = delays.map(|(_, value)| value.iter().take(8).fold(0u64, |n, b| n << 8 | u64::from(*b)));
    ns.map(|ns| i64::try_from(ns / 1000).unwrap_or(i64::MAX)).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn element(id: u32, body: &[u8]) -> Vec<u8> {
        let mut out: Vec<u8> = id.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        assert!(body.len() < 1 << 14);
        out.extend([0x40 | (body.len() >> 8) as u8, body.len() as u8]);
        out.extend(body);
        out
    }

    fn file(segment_children: &[Vec<u8>], segment_size_known: bool) -> Vec<u8> {
        let mut out = element(EBML_HEADER, &element(0x4282, b"webm"));
        let body = segment_children.concat();
        match segment_size_known {
            true => out.extend(element(SEGMENT, &body)),
            false => {
                out.extend([0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
                out.extend(body);
            }
        }
        out
    }

    fn track(codec: &[u8], delay_ns: Option<u64>) -> Vec<u8> {
        let mut body = element(0x86, codec);
        if let Some(ns) = delay_ns {
            body.extend(element(CODEC_DELAY, &ns.to_be_bytes()[4..]));
        }
        element(TRACK_ENTRY, &body)
    }

    fn delay(bytes: Vec<u8>) -> Option<i64> {
        let tracks = find_tracks(&mut Cursor::new(bytes)).unwrap()?;
        Some(largest_delay(&tracks))
    }

    #[test]
    fn the_largest_codec_delay_of_the_tracks() {
        let tracks = element(TRACKS, &[track(b"V_VP9", None), track(b"A_OPUS", Some(6_500_000))].concat());
        let info = element(0x1549_A966, &[0; 20]);
        assert_eq!(delay(file(&[info.clone(), tracks.clone()], true)), Some(6_500));
        assert_eq!(delay(file(&[info, tracks], false)), Some(6_500), "a segment of unknown size");
        let two = element(TRACKS, &[track(b"A_OPUS", Some(3_250_000)), track(b"A_OPUS", Some(6_500_000))].concat());
        assert_eq!(delay(file(&[two], true)), Some(6_500));
        let none = element(TRACKS, &[track(b"V_MPEG4/ISO/AVC", None), track(b"A_AAC", None)].concat());
        assert_eq!(delay(file(&[none], true)), Some(0));
    }

    #[test]
    fn tracks_after_a_cluster_or_no_matroska_tell_nothing() {
        let tracks = element(TRACKS, &track(b"A_OPUS", Some(6_500_000)));
        assert_eq!(delay(file(&[element(CLUSTER, &[0; 8]), tracks], true)), None);
        assert_eq!(delay(b"\0\0\0\x20ftypisom".to_vec()), None);
        assert_eq!(delay(Vec::new()), None);
        // Cut short: an error, which smem_preroll logs.
        let cut = file(&[element(TRACKS, &track(b"A_OPUS", Some(6_500_000)))], true);
        assert!(find_tracks(&mut Cursor::new(&cut[..cut.len() - 4])).is_err());
    }

    #[test]
    fn vints_as_ebml_writes_them() {
        assert_eq!(vint(0x81, &mut Cursor::new([]), 8, false).unwrap(), Some(1));
        assert_eq!(vint(0x40, &mut Cursor::new([0x02]), 8, false).unwrap(), Some(2));
        assert_eq!(vint(0x1A, &mut Cursor::new([0x45, 0xDF, 0xA3]), 4, true).unwrap(), Some(0x1A45_DFA3));
        assert_eq!(vint(0x00, &mut Cursor::new([]), 8, false).unwrap(), None, "longer than 8 bytes");
    }
}
