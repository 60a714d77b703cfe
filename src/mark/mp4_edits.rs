//! The true times of an MP4's first samples, where VLC 3's MP4 demuxer
//! stamps them late.
//!
//! VLC 3.0's `MP4_TrackGetDTS` (`modules/demux/mp4/mp4.c`) takes a sample's
//! decoding time less the first edit's `media_time` and clamps it at 0; the
//! block's pts is that dts plus the sample's composition offset (`ctts`).
//! An x264 MP4 with B-frames (ffmpeg's defaults) has an edit list whose
//! `media_time` is the first picture's offset, so its first samples' dts are
//! negative: clamped, the 1st picture reads the 3rd's time (0.08 s at
//! 25 fps), the 2nd 0.04 s late. Their true time is the unclamped dts plus
//! the offset, which only the file's tables tell (the durations of the
//! samples whose dts were clamped away). This reads those tables and, for
//! each block the demuxer sends with the clamped dts, finds which sample it
//! is and its true time.
//!
//! Plain logic over the file's bytes, unit-tested without VLC.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// The largest `moov` read (a long file's tables run to a few MB).
const MAX_MOOV: u64 = 64 << 20;
/// The most samples looked at for a clamped dts (an edit skips less than
/// a few seconds of a track).
const MAX_PREFIX: usize = 4096;
/// VLC's time of a block whose time is 0 (`VLC_TS_0`).
const VLC_TS_0: i64 = 1;

/// One sample whose dts VLC 3 clamps to 0 (or whose dts is 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Clamped {
    /// Its composition offset as VLC rescales it (µs): the block's pts less
    /// its dts.
    offset: i64,
    /// Its true pts in the stream (µs): the unclamped dts plus the offset.
    true_pts: i64,
    /// A sync sample (where a seek lands).
    sync: bool,
}

/// A track whose first samples VLC 3 stamps with a clamped dts.
#[derive(Clone, Debug, PartialEq, Eq)]
struct EditedTrack {
    /// Its first samples, in decoding order, while their dts is <= 0.
    clamped: Vec<Clamped>,
    /// The ES VLC made of it, once a block told (VLC 3's MP4 demuxer gives
    /// its ES no id of the track's: VLC numbers them as they come).
    es_id: Option<i32>,
    /// The next clamped sample the demuxer sends (it reads in decoding
    /// order); none until it has sent one since it started or sought.
    next: Option<usize>,
}

impl EditedTrack {
    /// The clamped sample a block with composition offset `offset` is: the
    /// next one with that offset (the first sync sample with it after a
    /// seek).
    fn sample_of(&self, offset: i64) -> Option<usize> {
        let restarted = self.next.is_none();
        let from = self.next.unwrap_or(0);
        let mut candidates = self.clamped.iter().enumerate().skip(from);
        candidates.find(|(_, s)| s.offset == offset && (s.sync || !restarted)).map(|(index, _)| index)
    }
}

/// The tracks of an MP4 file whose first samples VLC 3 stamps late.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mp4Edits {
    tracks: Vec<EditedTrack>,
    /// The ESs whose first clamped block matched no track, or more than one.
    unknown: Vec<i32>,
}

impl Mp4Edits {
    /// Reads a local MP4 file's tables. A file without edits to correct
    /// (no edit list, no negative dts, a fragmented file) gives none.
    pub fn read(path: &Path) -> io::Result<Mp4Edits> {
        let mut file = BufReader::new(File::open(path)?);
        let Some(moov) = read_moov(&mut file)? else { return Ok(Mp4Edits::default()) };
        Ok(Mp4Edits::from_moov(&moov))
    }

    /// From the body of a `moov` box.
    fn from_moov(moov: &[u8]) -> Mp4Edits {
        let tracks = boxes(moov).filter(|(kind, _)| kind == b"trak").filter_map(|(_, trak)| edited_track(trak));
        Mp4Edits { tracks: tracks.collect(), unknown: Vec::new() }
    }

    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    /// The demuxer sought (or starts anew): the next clamped block may be
    /// any sync sample.
    pub fn restart(&mut self) {
        for track in &mut self.tracks {
            track.next = None;
        }
    }

    /// The true pts of a block of the ES `es_id` VLC's MP4 demuxer sends
    /// with `pts` and `dts` (VLC's times, from `VLC_TS_0`), when it differs.
    /// Only blocks with the clamped dts (`VLC_TS_0`) can: each is matched to
    /// the next of its track's clamped samples with its composition offset
    /// (the demuxer reads in decoding order, from a sync sample after a
    /// seek). An ES's first such block tells its track, when exactly one
    /// track can send it; an ES no track (or more than one) could send is
    /// left as it is.
    pub fn true_pts(&mut self, es_id: i32, pts: i64, dts: i64) -> Option<i64> {
        if dts != VLC_TS_0 || pts < dts || self.unknown.contains(&es_id) {
            return None;
        }
        let offset = pts - dts;
        let track = match self.tracks.iter().position(|t| t.es_id == Some(es_id)) {
            Some(track) => track,
            None => {
                let mut unbound = self.tracks.iter().enumerate().filter(|(_, t)| t.es_id.is_none());
                let mut could = unbound.by_ref().filter(|(_, t)| t.sample_of(offset).is_some()).map(|(i, _)| i);
                match (could.next(), could.next()) {
                    (Some(track), None) => {
                        self.tracks[track].es_id = Some(es_id);
                        track
                    }
                    _ => {
                        self.unknown.push(es_id);
                        return None;
                    }
                }
            }
        };
        let track = &mut self.tracks[track];
        let index = track.sample_of(offset)?;
        track.next = Some(index + 1);
        let sample = track.clamped[index];
        let true_pts = VLC_TS_0 + sample.true_pts;
        (true_pts != pts).then_some(true_pts)
    }
}

/// Walks the top-level boxes to `moov` and reads its body.
fn read_moov<R: Read + Seek>(file: &mut R) -> io::Result<Option<Vec<u8>>> {
    let end = file.seek(SeekFrom::End(0))?;
    let mut at = file.seek(SeekFrom::Start(0))?;
    while at + 8 <= end {
        let mut header = [0u8; 8];
        file.read_exact(&mut header)?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as u64;
        let (size, header_len) = match size32 {
            0 => (end - at, 8),
            1 => {
                let mut large = [0u8; 8];
                file.read_exact(&mut large)?;
                (u64::from_be_bytes(large), 16)
            }
            size => (size, 8),
        };
        if size < header_len || at + size > end {
            return Ok(None);
        }
        if &header[4..8] == b"moov" {
            if size - header_len > MAX_MOOV {
                return Ok(None);
            }
            let mut body = vec![0u8; (size - header_len) as usize];
            file.read_exact(&mut body)?;
            return Ok(Some(body));
        }
        at = file.seek(SeekFrom::Start(at + size))?;
    }
    Ok(None)
}

/// The boxes in `data`, as (type, body); stops at the first malformed one.
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let size32 = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as u64;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (size, header) = match size32 {
            0 => (rest.len() as u64, 8),
            1 => (u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?), 16),
            size => (size, 8),
        };
        let size = usize::try_from(size).ok().filter(|s| *s >= header && *s <= rest.len())?;
        let body = &rest[header..size];
        rest = &rest[size..];
        Some((kind, body))
    })
}

/// The body of the first box of type `kind` along `path` under `data`.
fn child<'a>(data: &'a [u8], path: &[&[u8; 4]]) -> Option<&'a [u8]> {
    let (first, rest) = path.split_first()?;
    let (_, body) = boxes(data).find(|(kind, _)| kind == *first)?;
    if rest.is_empty() {
        Some(body)
    } else {
        child(body, rest)
    }
}

/// A big-endian reader over a full box's body.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_be_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_be_bytes)
    }
    fn i16(&mut self) -> Option<i16> {
        self.take().map(i16::from_be_bytes)
    }
    /// A full box's version (its flags skipped).
    fn version(&mut self) -> Option<u8> {
        Some(self.u32()?.to_be_bytes()[0])
    }
    /// A field 64 bits wide in version 1, 32 in version 0.
    fn wide(&mut self, version: u8) -> Option<u64> {
        if version == 1 {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }
    /// A table of `entries` pairs of 32-bit numbers.
    fn pairs(&mut self) -> Option<Vec<(u32, u32)>> {
        let entries = self.u32()? as usize;
        if entries > self.0.len() / 8 {
            return None;
        }
        (0..entries).map(|_| Some((self.u32()?, self.u32()?))).collect()
    }
}

/// VLC's `MP4_rescale`: `value` in `from` units a second, in µs.
fn to_us(value: i64, from: u32) -> i64 {
    if from == 0 {
        return 0;
    }
    (i128::from(value) * 1_000_000 / i128::from(from)) as i64
}

/// A track whose first edit makes its first samples' dts negative, and
/// those samples; none for any other track, nor for one whose samples VLC
/// stamps late are all shown before 0.
fn edited_track(trak: &[u8]) -> Option<EditedTrack> {
    // VLC subtracts the first edit's media time when its rate is positive
    // and the time is (an empty edit, -1, is not).
    let mut elst = Fields(child(trak, &[b"edts", b"elst"])?);
    let version = elst.version()?;
    if elst.u32()? == 0 {
        return None;
    }
    elst.wide(version)?; // segment duration
    let media_time = match version {
        1 => elst.u64()? as i64,
        _ => i64::from(elst.u32()? as i32),
    };
    let (rate, fraction) = (elst.i16()?, elst.i16()?);
    if media_time <= 0 || (rate <= 0 && fraction <= 0) {
        return None;
    }

    let mut mdhd = Fields(child(trak, &[b"mdia", b"mdhd"])?);
    let version = mdhd.version()?;
    mdhd.wide(version)?;
    mdhd.wide(version)?;
    let timescale = mdhd.u32()?;
    let stbl = child(trak, &[b"mdia", b"minf", b"stbl"])?;
    let stts = table(stbl, b"stts")?;
    let ctts = table(stbl, b"ctts").unwrap_or_default();
    let sync = child(stbl, &[b"stss"]).and_then(|stss| {
        let mut stss = Fields(stss);
        stss.version()?;
        let entries = stss.u32()? as usize;
        (entries <= stss.0.len() / 4).then(|| (0..entries).filter_map(|_| stss.u32()).collect::<Vec<u32>>())
    });

    let mut clamped = clamped_samples(&stts, &ctts, sync.as_deref(), to_us(media_time, timescale), timescale);
    // A sample shown before the edit (a negative time: an audio track's
    // priming) keeps VLC's time: VLC has none before 0.
    for sample in clamped.iter_mut().filter(|s| s.true_pts < 0) {
        sample.true_pts = sample.offset;
    }
    clamped.iter().any(|s| s.true_pts != s.offset).then_some(EditedTrack { clamped, es_id: None, next: None })
}

/// A table of (count, value) pairs in `stbl`'s box `kind`.
fn table(stbl: &[u8], kind: &[u8; 4]) -> Option<Vec<(u32, u32)>> {
    let mut fields = Fields(child(stbl, &[kind])?);
    fields.version()?;
    fields.pairs()
}

/// The samples from the first while their dts, less the edit's media time
/// (`media_time_us`), is not positive: VLC stamps them all with dts 0.
fn clamped_samples(
    stts: &[(u32, u32)],
    ctts: &[(u32, u32)],
    sync: Option<&[u32]>,
    media_time_us: i64,
    timescale: u32,
) -> Vec<Clamped> {
    let deltas = stts.iter().flat_map(|&(count, delta)| std::iter::repeat_n(delta, count as usize));
    // VLC reads a composition offset as signed (version 1's), whatever the version.
    let offsets = ctts.iter().flat_map(|&(count, offset)| std::iter::repeat_n(offset as i32, count as usize));
    let mut offsets = offsets.map(Some).chain(std::iter::repeat(None));
    let mut dts: i64 = 0;
    let mut clamped = Vec::new();
    for (index, delta) in deltas.enumerate().take(MAX_PREFIX) {
        let unclamped = to_us(dts, timescale) - media_time_us;
        if unclamped > 0 {
            break;
        }
        let offset = offsets.next().flatten().map_or(0, |o| to_us(i64::from(o), timescale));
        let number = index as u32 + 1;
        let sync = sync.is_none_or(|s| s.contains(&number));
        clamped.push(Clamped { offset, true_pts: unclamped + offset, sync });
        dts += i64::from(delta);
    }
    clamped
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A box of type `kind` around `body`.
    fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn full(kind: &[u8; 4], words: &[u32]) -> Vec<u8> {
        let body: Vec<u8> = std::iter::once(0u32).chain(words.iter().copied()).flat_map(u32::to_be_bytes).collect();
        mp4_box(kind, &body)
    }

    /// ffmpeg's x264 at 25 fps (timescale 12800, 512 a frame), its
    /// composition offsets 2, 5, 2, 0 frames (shown at 0, 4, 2, 1), the
    /// first offset (1024) the edit's media time.
    fn x264_trak(media_time: u32) -> Vec<u8> {
        let tkhd = full(b"tkhd", &[0, 0, 1, 0, 0]);
        let elst = full(b"elst", &[1, 25 * 512, media_time, 0x0001_0000]);
        let mdhd = full(b"mdhd", &[0, 0, 12800, 25 * 512, 0]);
        let stts = full(b"stts", &[1, 25, 512]);
        // Offsets in frames: 2, 5, 2, 0, 2, 5, 2, 0...
        let ctts = full(b"ctts", &[4, 1, 1024, 1, 2560, 1, 1024, 1, 0]);
        let stss = full(b"stss", &[1, 1]);
        let stbl = mp4_box(b"stbl", &[stts, ctts, stss].concat());
        let mdia = mp4_box(b"mdia", &[mdhd, mp4_box(b"minf", &stbl)].concat());
        mp4_box(b"trak", &[tkhd, mp4_box(b"edts", &elst), mdia].concat())
    }

    /// ffmpeg's AAC at 48 kHz: 1024 samples of priming cut by the edit.
    fn aac_trak() -> Vec<u8> {
        let elst = full(b"elst", &[1, 48_000, 1024, 0x0001_0000]);
        let mdhd = full(b"mdhd", &[0, 0, 48_000, 48_000, 0]);
        let stbl = mp4_box(b"stbl", &full(b"stts", &[1, 48, 1024]));
        let mdia = mp4_box(b"mdia", &[mdhd, mp4_box(b"minf", &stbl)].concat());
        mp4_box(b"trak", &[full(b"tkhd", &[0, 0, 2, 0, 0]), mp4_box(b"edts", &elst), mdia].concat())
    }

    #[test]
    fn an_x264_file_s_first_pictures_get_their_own_times() {
        let moov = [full(b"mvhd", &[0; 20]), aac_trak(), x264_trak(1024)].concat();
        let mut edits = Mp4Edits::from_moov(&moov);
        assert_eq!(edits.tracks.len(), 1, "the audio's priming is before 0: nothing to correct");
        // An audio block first (ES 0), with VLC's dts 0.
        assert_eq!(edits.true_pts(0, 1, 1), None);
        // VLC's blocks (dts, pts, from VLC_TS_0): 0.08, 0.20, 0.08 with dts 0;
        // then 0.04 with dts 0.04. True: 0.00, 0.16, 0.08, then VLC's.
        assert_eq!(edits.true_pts(1, 80_001, 1), Some(1));
        assert_eq!(edits.true_pts(1, 200_001, 1), Some(160_001));
        assert_eq!(edits.true_pts(1, 80_001, 1), None, "the 3rd sample's dts is 0: its time is right");
        assert_eq!(edits.true_pts(1, 40_001, 40_001), None);
        assert_eq!(edits.true_pts(0, 1, 1), None, "the audio's ES is none of the video's");
        // A seek back to the start: the first block is the sync sample again.
        edits.restart();
        assert_eq!(edits.true_pts(1, 80_001, 1), Some(1));
        assert_eq!(edits.true_pts(1, 200_001, 1), Some(160_001));
    }

    #[test]
    fn a_file_without_negative_dts_has_nothing_to_correct() {
        let no_edit = [full(b"mvhd", &[0; 20]), x264_trak(0)].concat();
        assert!(Mp4Edits::from_moov(&no_edit).is_empty());
        assert!(Mp4Edits::from_moov(b"junk").is_empty());
        assert!(Mp4Edits::from_moov(&mp4_box(b"trak", &full(b"tkhd", &[0]))).is_empty());
    }

    #[test]
    fn the_moov_is_found_after_the_media_data() {
        let moov = mp4_box(b"moov", &x264_trak(1024));
        let file = [mp4_box(b"ftyp", b"isom"), mp4_box(b"mdat", &[0; 100]), moov].concat();
        let body = read_moov(&mut io::Cursor::new(&file)).unwrap().unwrap();
        assert!(!Mp4Edits::from_moov(&body).is_empty());
        assert_eq!(read_moov(&mut io::Cursor::new(&file[..120])).unwrap(), None, "a truncated file");
    }
}
