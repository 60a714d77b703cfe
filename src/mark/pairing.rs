//! Each block on both clocks: smem_preroll logs the blocks the demuxer
//! sends (stream time), smem_mark pairs each block it sees (VLC's clock)
//! with one of them. VLC's clock moves apart from the stream's whenever the
//! player pauses, seeks, changes rate, or a live clock drifts; a block's
//! pair says its stream time whatever the player did. Plain logic,
//! unit-tested without VLC.

use std::collections::VecDeque;

/// A block as the demuxer sent it, in stream time: its time (pts, or dts
/// without) and its dts (0 if none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentBlock {
    pub time: i64,
    pub dts: i64,
}

/// A block smem_mark sees, on VLC's clock: its time (pts, or dts
/// without), its dts (0 if none), and for audio its length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    pub time: i64,
    pub dts: i64,
    pub audio_length: Option<i64>,
}

impl Observed {
    pub fn video(time: i64) -> Observed {
        Observed { time, dts: time, audio_length: None }
    }
}

/// A block the demuxer sent, and how many seeks and discontinuities came
/// before it (after one, VLC's decoders drop what was still on its way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    epoch: u64,
    block: SentBlock,
}

/// What one demuxer sent of each track that smem_mark has not paired yet,
/// oldest first.
#[derive(Debug, Default)]
pub struct SentLog {
    epoch: u64,
    tracks: Vec<(i32, VecDeque<Entry>)>,
}

/// Blocks of a track the demuxer sent that smem_mark has not seen yet: the
/// decoder's fifo holds far fewer.
const SENT_BLOCKS: usize = 4096;

impl SentLog {
    pub fn push(&mut self, es_id: i32, block: SentBlock) {
        let at = match self.tracks.iter().position(|(id, _)| *id == es_id) {
            Some(at) => at,
            None => {
                self.tracks.push((es_id, VecDeque::new()));
                self.tracks.len() - 1
            }
        };
        let entries = &mut self.tracks[at].1;
        if entries.len() == SENT_BLOCKS {
            entries.pop_front(); // a track nobody pairs (not streamed out)
        }
        entries.push_back(Entry { epoch: self.epoch, block });
    }

    /// A seek or a discontinuity: what was sent before it may never come.
    pub fn restart(&mut self) {
        self.epoch += 1;
    }

    pub fn sends(&self, es_id: i32) -> bool {
        self.tracks.iter().any(|(id, _)| *id == es_id)
    }

    /// Pairs `seen`, a block of track `es_id` (see [`Pairing`]): its stream
    /// times.
    pub fn pair(&mut self, es_id: i32, pairing: &mut Pairing, seen: Observed) -> Option<SentBlock> {
        let epoch = self.epoch;
        match self.tracks.iter_mut().find(|(id, _)| *id == es_id) {
            Some((_, entries)) => pairing.pair(entries, epoch, seen),
            None => pairing.anchor.map(|a| a.place(seen)),
        }
    }

    /// Blocks of track `es_id` given back by [`Pairing::flushed`].
    pub fn give_back(&mut self, es_id: i32, given: Vec<Entry>) {
        let Some((_, entries)) = self.tracks.iter_mut().find(|(id, _)| *id == es_id) else { return };
        let Some(epoch) = given.first().map(|e| e.epoch) else { return };
        let at = entries.iter().take_while(|e| e.epoch < epoch).count();
        for (n, entry) in given.into_iter().enumerate() {
            entries.insert(at + n, entry);
        }
    }
}

/// The last block seen on both clocks: VLC's clock runs on from there as
/// the stream's until it moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    vlc: i64,
    stream: i64,
    /// The seeks before the block it was paired with.
    epoch: u64,
}

impl Anchor {
    /// A block's stream times, were the clocks still as at the anchor.
    pub fn place(&self, seen: Observed) -> SentBlock {
        let at = |vlc: i64| self.stream.saturating_add(vlc.saturating_sub(self.vlc));
        SentBlock { time: at(seen.time), dts: if seen.dts > 0 { at(seen.dts) } else { 0 } }
    }
}

/// Two times this close are one block's: VLC converts exactly at the normal
/// rate; other rates round, and a live clock drifts a little.
const SAME_BLOCK_US: u64 = 1_000;
/// How many of the blocks sent next may be the one seen (a packetizer
/// drops a damaged block or one it cannot use yet).
const PAIR_WINDOW: usize = 16;

/// One track's side of the pairing (smem_mark's).
///
/// VLC's packetizer hands blocks on in the demuxer's order, one for one,
/// except that it may drop some and may cut an audio block into several
/// (MPEG-TS), which it stamps by counting samples. So a block is:
/// * the one sent at the time the anchor puts it at, while the clocks still
///   run together (the ones before it were dropped);
/// * an audio block the anchor puts before the next one sent by more than
///   half its length: cut from the previous, at that time;
/// * else the next one sent: VLC's clock moved apart from the stream's.
///
/// Around a seek, VLC asks its decoders to flush, then the demuxer seeks:
/// what was sent before the seek is dropped, but the block a decoder was
/// busy with still comes, and then the flush. While the anchor is from
/// before the latest seek, a block that is one sent then is such a block.
/// A track's first block is taken to be from after the latest seek, unless
/// a flush follows it: then it was from before, and its pair goes back.
#[derive(Debug, Default)]
pub struct Pairing {
    anchor: Option<Anchor>,
    /// The first block's pair, taken while blocks sent before a seek were
    /// still unseen.
    unsure: Vec<Entry>,
}

impl Pairing {
    /// VLC flushed the track's decoder: the next block is from after the
    /// latest seek. Returns the pair of a first block that was not (for
    /// [`SentLog::give_back`]).
    pub fn flushed(&mut self) -> Vec<Entry> {
        self.anchor = None;
        std::mem::take(&mut self.unsure)
    }

    pub fn anchor(&self) -> Option<Anchor> {
        self.anchor
    }

    fn pair(&mut self, entries: &mut VecDeque<Entry>, epoch: u64, seen: Observed) -> Option<SentBlock> {
        let before_seek = entries.iter().take_while(|e| e.epoch < epoch).count();
        match self.anchor {
            Some(anchor) if anchor.epoch < epoch => {
                let sent_then = entries.iter().take_while(|e| e.epoch <= anchor.epoch).count();
                let mut then = entries.split_off(sent_then);
                std::mem::swap(entries, &mut then);
                let paired = self.pair_within(&mut then, seen, false, false);
                then.append(entries);
                *entries = then;
                if let Some((block, _)) = paired {
                    return Some(block);
                }
                // From after the seek: what was sent before it never came.
                entries.retain(|e| e.epoch >= epoch);
                self.anchor = None;
                self.unsure.clear();
                self.pair_within(entries, seen, true, false).map(|(block, _)| block)
            }
            Some(_) => {
                if before_seek > 0 {
                    entries.retain(|e| e.epoch >= epoch);
                }
                self.unsure.clear();
                self.pair_within(entries, seen, true, false).map(|(block, _)| block)
            }
            None => {
                let mut after = entries.split_off(before_seek);
                let paired = self.pair_within(&mut after, seen, true, before_seek > 0);
                entries.append(&mut after);
                let (block, taken) = paired?;
                if before_seek > 0 {
                    self.unsure = taken;
                }
                Some(block)
            }
        }
    }

    /// Pairs `seen` among `entries`; with `or_next`, with the next one when
    /// the clocks moved apart (else nothing). Returns its stream times, and
    /// with `keep`, the entries it took (none are allocated without).
    fn pair_within(
        &mut self,
        entries: &mut VecDeque<Entry>,
        seen: Observed,
        or_next: bool,
        keep: bool,
    ) -> Option<(SentBlock, Vec<Entry>)> {
        let placed = self.anchor.map(|anchor| anchor.place(seen));
        let same = placed.and_then(|at| {
            let window = entries.iter().take(PAIR_WINDOW).enumerate();
            window.filter(|(_, e)| is_same(e.block, at)).min_by_key(|(_, e)| e.block.time.abs_diff(at.time))
        });
        let (index, entry) = match (same, entries.front(), placed) {
            (Some((index, &entry)), _, _) => (index, entry),
            (None, Some(next), Some(at)) if seen.audio_length.is_some_and(|l| at.time + l / 2 < next.block.time) => {
                return Some((at, Vec::new()));
            }
            (None, Some(&next), _) if or_next => (0, next),
            (None, None, Some(at)) if or_next => return Some((at, Vec::new())),
            _ => return None,
        };
        let taken = match keep {
            true => entries.drain(..=index).collect(),
            false => {
                entries.drain(..=index);
                Vec::new()
            }
        };
        self.anchor = Some(Anchor { vlc: seen.time, stream: entry.block.time, epoch: entry.epoch });
        Some((entry.block, taken))
    }
}

/// Whether a block sent is the one placed at `at`: its time, and its dts
/// as far from it, when both have one (a stream's pattern of frame types
/// repeats, its pattern of reordering less so).
fn is_same(sent: SentBlock, at: SentBlock) -> bool {
    let near = |a: i64, b: i64| a.abs_diff(b) <= SAME_BLOCK_US;
    near(sent.time, at.time) && (sent.dts <= 0 || at.dts <= 0 || near(sent.dts, at.dts))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOCK: i64 = 5_000_123;

    fn log(times: &[i64]) -> SentLog {
        let mut log = SentLog::default();
        for &t in times {
            log.push(0, SentBlock { time: t, dts: t });
        }
        log
    }

    fn times(log: &mut SentLog, pairing: &mut Pairing, vlc: &[i64]) -> Vec<Option<i64>> {
        vlc.iter().map(|&v| log.pair(0, pairing, Observed::video(v)).map(|b| b.time)).collect()
    }

    #[test]
    fn blocks_pair_in_order_through_a_pause_and_a_dropped_block() {
        let stream = [1, 40_001, 80_001, 120_001, 160_001];
        let mut log = log(&stream);
        let mut p = Pairing::default();
        // The 2nd block dropped by the packetizer; a 1 s pause before the 4th.
        let vlc = [CLOCK + 1, CLOCK + 80_001, CLOCK + 1_120_001, CLOCK + 1_160_001];
        assert_eq!(times(&mut log, &mut p, &vlc), [Some(1), Some(80_001), Some(120_001), Some(160_001)]);
    }

    #[test]
    fn a_block_from_before_a_seek_comes_before_the_flush() {
        // The decoder was busy with the 2nd block when the player sought to
        // 5 s: it comes after the demuxer sent the first blocks from there.
        let mut log = log(&[1, 40_001, 80_001]);
        let mut p = Pairing::default();
        assert_eq!(times(&mut log, &mut p, &[CLOCK + 1]), [Some(1)]);
        log.restart();
        push(&mut log, &[5_000_001, 5_040_001]);
        assert_eq!(times(&mut log, &mut p, &[CLOCK + 40_001]), [Some(40_001)], "from before the seek");
        assert!(p.flushed().is_empty());
        let later = 9_000_000;
        assert_eq!(times(&mut log, &mut p, &[later, later + 40_000]), [Some(5_000_001), Some(5_040_001)]);
        // No flush comes (the decoder had none of the blocks sent before):
        // a block that is none of them is from after the seek.
        log.restart();
        push(&mut log, &[7_000_001, 7_040_001]);
        let again = 12_000_000;
        assert_eq!(times(&mut log, &mut p, &[again, again + 40_000]), [Some(7_000_001), Some(7_040_001)]);
    }

    fn push(log: &mut SentLog, times: &[i64]) {
        for &t in times {
            log.push(0, SentBlock { time: t, dts: t });
        }
    }

    #[test]
    fn the_first_block_is_from_after_the_seek_to_the_start_unless_a_flush_follows() {
        // The demuxer sent blocks before the input sought to its start time.
        // VLC dropped them, and the first block seen is from after...
        let sent_then = [80_001, 200_001, 40_001];
        let after = [480_001, 600_001, 520_001];
        let (mut log, mut p) = (log(&sent_then), Pairing::default());
        log.restart();
        push(&mut log, &after);
        let later = 7_000_000;
        assert_eq!(times(&mut log, &mut p, &[later, later + 120_000]), [Some(480_001), Some(600_001)]);
        // ... or one of them, which a flush follows: its pair goes back.
        let (mut log, mut p) = (self::log(&sent_then), Pairing::default());
        log.restart();
        push(&mut log, &after);
        assert_eq!(times(&mut log, &mut p, &[CLOCK]), [Some(480_001)], "taken to be from after");
        let given = p.flushed();
        log.give_back(0, given);
        assert_eq!(
            times(&mut log, &mut p, &[later, later + 120_000, later + 40_000]),
            [Some(480_001), Some(600_001), Some(520_001)]
        );
    }

    #[test]
    fn a_repeating_pattern_of_times_is_told_apart_by_the_dts() {
        // The same frame types every 400 ms: a block placed on the wrong
        // anchor could fall on a time sent, but not with its dts.
        let mut log = SentLog::default();
        for (pts, dts) in [(80_001, 1), (200_001, 40_001)] {
            log.push(0, SentBlock { time: pts, dts });
        }
        let mut p = Pairing::default();
        assert_eq!(
            log.pair(0, &mut p, Observed { time: CLOCK, dts: CLOCK - 80_000, audio_length: None }).map(|b| b.time),
            Some(80_001)
        );
        log.restart();
        for (pts, dts) in [(480_001, 400_001), (600_001, 440_001)] {
            log.push(0, SentBlock { time: pts, dts });
        }
        // A block from after the seek, 120 ms on, whose dts is 80 ms before
        // its pts: the 200 ms block sent before has its dts 160 ms before.
        let seen = Observed { time: CLOCK + 120_000, dts: CLOCK + 40_000, audio_length: None };
        assert_eq!(log.pair(0, &mut p, seen).map(|b| b.time), Some(480_001), "not the 200 ms block sent before");
    }

    #[test]
    fn audio_cut_by_the_packetizer_is_placed_between_the_blocks_sent() {
        // MPEG-TS: each block sent holds 3 frames of 24 ms.
        let mut log = log(&[1, 72_001, 144_001]);
        let mut p = Pairing::default();
        for n in 0..9 {
            let time = CLOCK + n * 24_000;
            let seen = Observed { time, dts: time, audio_length: Some(24_000) };
            assert_eq!(log.pair(0, &mut p, seen).map(|b| b.time), Some(n * 24_000 + 1), "frame {n}");
        }
    }
}
