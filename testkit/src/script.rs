//! Test scripting over the client library's libvlc bindings: play until the
//! end while seeking, switching the video track off and on, or stopping at
//! given times; and a playlist's items (libvlc's media parsing).

use std::ffi::{c_int, c_void};
use std::time::{Duration, Instant};

use smem_client::vlc::{Media, Player, State};

/// What to do while a player plays, at given times after it starts playing.
#[derive(Clone, Debug, Default)]
pub struct Script {
    /// Jump to this time (ms) once playback has started.
    pub seek_ms: Option<i64>,
    /// Stop this many ms after playback started.
    pub stop_after_ms: Option<u64>,
    /// Disable the video track at the first time, enable it again at the second.
    pub video_off_on_ms: Option<(u64, u64)>,
}

/// Plays `player`'s current media until it ends, fails, `timeout` passes or
/// the script says stop; returns the state then and the time it took.
pub fn play_to_end(player: &Player, timeout: Duration, script: &Script) -> Result<(State, Duration), String> {
    let start = Instant::now();
    player.play()?;
    let mut playing_since: Option<Instant> = None;
    let (mut seeked, mut video_off, mut video_on) = (false, false, false);
    let mut video_track = -1;
    let state = loop {
        let state = player.state();
        if state.is_over() {
            break state;
        }
        if state == State::Playing && playing_since.is_none() {
            playing_since = Some(Instant::now());
        }
        if let Some(since) = playing_since {
            let ms = since.elapsed().as_millis() as u64;
            if let (Some(to), false) = (script.seek_ms, seeked) {
                if ms >= 50 {
                    player.set_time(to);
                    seeked = true;
                }
            }
            if let Some((off, on)) = script.video_off_on_ms {
                if ms >= off && !video_off {
                    video_track = player.video_track();
                    player.set_video_track(-1);
                    video_off = true;
                }
                if ms >= on && video_off && !video_on {
                    player.set_video_track(video_track);
                    video_on = true;
                }
            }
            if script.stop_after_ms.is_some_and(|stop| ms >= stop) {
                break state;
            }
        }
        if start.elapsed() > timeout {
            break state;
        }
        // The script acts at given times; the end wakes this at once.
        player.wait_over(Duration::from_millis(2));
    };
    // Not stopped here: a stop would also close a stream output kept for
    // the next media (:sout-keep). Dropping the player stops it.
    Ok((state, start.elapsed()))
}

/// Plays `media` on a player of its own (see [`play_to_end`]).
pub fn play_media(media: &Media, timeout: Duration, script: &Script) -> Result<(State, Duration), String> {
    let player = Player::new(media)?;
    let result = play_to_end(&player, timeout, script);
    drop(player);
    result
}

#[link(name = "vlc")]
extern "C" {
    fn libvlc_media_parse_with_options(media: *mut c_void, flags: c_int, timeout_ms: c_int) -> c_int;
    fn libvlc_media_get_parsed_status(media: *mut c_void) -> c_int;
}

/// Parses `media` (a playlist: M3U, XSPF...) and returns its items, each
/// with the options the playlist gave it.
pub fn subitems(media: &Media, timeout: Duration) -> Result<Vec<Media>, String> {
    let raw = media.as_raw();
    // libvlc_media_parse_flag_t: local files only.
    const PARSE_LOCAL: c_int = 0;
    // SAFETY: a live media.
    if unsafe { libvlc_media_parse_with_options(raw, PARSE_LOCAL, timeout.as_millis() as c_int) } != 0 {
        return Err("libvlc_media_parse_with_options failed".into());
    }
    // libvlc_media_parsed_status_t (libvlc_media.h).
    const SKIPPED: c_int = 1;
    const FAILED: c_int = 2;
    const TIMEOUT: c_int = 3;
    const DONE: c_int = 4;
    let start = Instant::now();
    loop {
        // SAFETY: a live media.
        match unsafe { libvlc_media_get_parsed_status(raw) } {
            DONE => break,
            s @ (SKIPPED | FAILED | TIMEOUT) => return Err(format!("parsing failed (libvlc_media_parsed_status {s})")),
            _ if start.elapsed() > timeout + Duration::from_secs(1) => return Err("parsing timed out".into()),
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    Ok(media.subitems())
}
