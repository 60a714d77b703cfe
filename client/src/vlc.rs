//! The few libvlc calls the client library needs, with a safe face: the
//! library's unsafe code is here, in its trampolines and in `abi`.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::ptr;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

#[allow(non_camel_case_types)]
type libvlc_instance_t = c_void;
#[allow(non_camel_case_types)]
type libvlc_media_t = c_void;
#[allow(non_camel_case_types)]
type libvlc_media_player_t = c_void;
#[allow(non_camel_case_types)]
type libvlc_log_t = c_void;
#[allow(non_camel_case_types)]
type libvlc_event_manager_t = c_void;
#[allow(non_camel_case_types)]
type libvlc_media_list_t = c_void;

/// The head of `libvlc_event_t`, all an end-of-playback callback reads.
#[repr(C)]
struct EventHead {
    kind: c_int,
    object: *mut c_void,
}

type EventCb = unsafe extern "C" fn(event: *const EventHead, data: *mut c_void);

/// libvlc_event_e (libvlc_events.h): the player events after which it does
/// not go on by itself.
const MEDIA_PLAYER_STOPPED: c_int = 0x106;
const MEDIA_PLAYER_END_REACHED: c_int = 0x109;
const MEDIA_PLAYER_ENCOUNTERED_ERROR: c_int = 0x10A;
const OVER_EVENTS: [c_int; 3] = [MEDIA_PLAYER_STOPPED, MEDIA_PLAYER_END_REACHED, MEDIA_PLAYER_ENCOUNTERED_ERROR];

/// C's `va_list` as a log callback receives it and `vsnprintf` takes it: a
/// pointer on x86-64 (an array type, decayed), on i386 and 32-bit ARM (a
/// pointer or a one-pointer struct), and on AArch64 (a 32-byte struct,
/// passed by reference because it is larger than 16 bytes).
#[cfg(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64", target_arch = "arm"))]
type VaList = *mut c_void;
#[cfg(not(any(target_arch = "x86_64", target_arch = "x86", target_arch = "aarch64", target_arch = "arm")))]
compile_error!("how this architecture passes a va_list is not known here: see VaList in client/src/vlc.rs");

type LogCb =
    unsafe extern "C" fn(data: *mut c_void, level: c_int, ctx: *const libvlc_log_t, fmt: *const c_char, args: VaList);

#[link(name = "vlc")]
extern "C" {
    fn libvlc_new(argc: c_int, argv: *const *const c_char) -> *mut libvlc_instance_t;
    fn libvlc_release(inst: *mut libvlc_instance_t);
    fn libvlc_errmsg() -> *const c_char;
    fn libvlc_log_set(inst: *mut libvlc_instance_t, cb: LogCb, data: *mut c_void);
    fn libvlc_log_unset(inst: *mut libvlc_instance_t);
    fn libvlc_log_get_context(
        ctx: *const libvlc_log_t,
        module: *mut *const c_char,
        file: *mut *const c_char,
        line: *mut c_uint,
    );
    fn libvlc_media_new_path(inst: *mut libvlc_instance_t, path: *const c_char) -> *mut libvlc_media_t;
    fn libvlc_media_new_location(inst: *mut libvlc_instance_t, mrl: *const c_char) -> *mut libvlc_media_t;
    fn libvlc_media_add_option(media: *mut libvlc_media_t, option: *const c_char);
    fn libvlc_media_release(media: *mut libvlc_media_t);
    fn libvlc_media_tracks_get(media: *mut libvlc_media_t, tracks: *mut *mut *mut MediaTrackHead) -> c_uint;
    fn libvlc_media_tracks_release(tracks: *mut *mut MediaTrackHead, count: c_uint);
    fn libvlc_media_subitems(media: *mut libvlc_media_t) -> *mut libvlc_media_list_t;
    fn libvlc_media_list_lock(list: *mut libvlc_media_list_t);
    fn libvlc_media_list_unlock(list: *mut libvlc_media_list_t);
    fn libvlc_media_list_count(list: *mut libvlc_media_list_t) -> c_int;
    fn libvlc_media_list_item_at_index(list: *mut libvlc_media_list_t, i: c_int) -> *mut libvlc_media_t;
    fn libvlc_media_list_release(list: *mut libvlc_media_list_t);
    fn libvlc_media_get_mrl(media: *mut libvlc_media_t) -> *mut c_char;
    fn free(p: *mut c_void);
    fn libvlc_video_get_track(mp: *mut libvlc_media_player_t) -> c_int;
    fn libvlc_video_set_track(mp: *mut libvlc_media_player_t, id: c_int) -> c_int;
    fn libvlc_media_player_new_from_media(media: *mut libvlc_media_t) -> *mut libvlc_media_player_t;
    fn libvlc_media_player_retain(mp: *mut libvlc_media_player_t);
    fn libvlc_media_player_get_media(mp: *mut libvlc_media_player_t) -> *mut libvlc_media_t;
    fn libvlc_media_duplicate(media: *mut libvlc_media_t) -> *mut libvlc_media_t;
    fn libvlc_media_player_play(mp: *mut libvlc_media_player_t) -> c_int;
    fn libvlc_media_player_stop(mp: *mut libvlc_media_player_t);
    fn libvlc_media_player_event_manager(mp: *mut libvlc_media_player_t) -> *mut libvlc_event_manager_t;
    fn libvlc_event_attach(em: *mut libvlc_event_manager_t, kind: c_int, cb: EventCb, data: *mut c_void) -> c_int;
    fn libvlc_event_detach(em: *mut libvlc_event_manager_t, kind: c_int, cb: EventCb, data: *mut c_void);
    fn libvlc_media_player_set_media(mp: *mut libvlc_media_player_t, media: *mut libvlc_media_t);
    fn libvlc_media_player_release(mp: *mut libvlc_media_player_t);
    fn libvlc_media_player_get_state(mp: *mut libvlc_media_player_t) -> c_int;
    fn libvlc_media_player_set_time(mp: *mut libvlc_media_player_t, ms: i64);
    fn libvlc_media_player_set_pause(mp: *mut libvlc_media_player_t, pause: c_int);
    fn libvlc_media_player_set_rate(mp: *mut libvlc_media_player_t, rate: f32) -> c_int;
    fn libvlc_media_player_is_seekable(mp: *mut libvlc_media_player_t) -> c_int;
    fn libvlc_media_player_get_time(mp: *mut libvlc_media_player_t) -> i64;
    fn libvlc_media_player_get_length(mp: *mut libvlc_media_player_t) -> i64;
    fn libvlc_media_player_get_position(mp: *mut libvlc_media_player_t) -> f32;
    fn vsnprintf(buf: *mut c_char, size: usize, fmt: *const c_char, args: VaList) -> c_int;
}

/// libvlc_state_t
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Idle,
    Opening,
    Buffering,
    Playing,
    Paused,
    Stopped,
    Ended,
    Error,
}

impl State {
    /// Ended, failed or stopped: the player will not go on by itself.
    pub fn is_over(self) -> bool {
        matches!(self, State::Ended | State::Error | State::Stopped)
    }

    /// From libvlc_state_t's values (libvlc_media.h).
    fn from_raw(raw: c_int) -> State {
        const OPENING: c_int = 1;
        const BUFFERING: c_int = 2;
        const PLAYING: c_int = 3;
        const PAUSED: c_int = 4;
        const STOPPED: c_int = 5;
        const ENDED: c_int = 6;
        const ERROR: c_int = 7;
        match raw {
            OPENING => State::Opening,
            BUFFERING => State::Buffering,
            PLAYING => State::Playing,
            PAUSED => State::Paused,
            STOPPED => State::Stopped,
            ENDED => State::Ended,
            ERROR => State::Error,
            _ => State::Idle, // libvlc_NothingSpecial (0)
        }
    }
}

/// libvlc_log_level (libvlc.h): the levels of VLC's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(i32)]
pub enum LogLevel {
    Debug = 0,
    Notice = 2,
    Warning = 3,
    Error = 4,
}

impl LogLevel {
    fn name(level: c_int) -> &'static str {
        match level {
            l if l == LogLevel::Debug as c_int => "debug",
            l if l == LogLevel::Notice as c_int => "info",
            l if l == LogLevel::Warning as c_int => "warning",
            l if l == LogLevel::Error as c_int => "error",
            _ => "?",
        }
    }
}

/// One line of VLC's log.
#[derive(Clone, Debug)]
pub struct LogLine {
    pub level: &'static str,
    pub module: String,
    pub text: String,
}

/// VLC's messages kept by an instance, from `min_level` on.
#[derive(Default)]
pub struct LogSink {
    min_level: c_int,
    lines: Mutex<Vec<LogLine>>,
}

unsafe extern "C" fn log_cb(
    data: *mut c_void,
    level: c_int,
    ctx: *const libvlc_log_t,
    fmt: *const c_char,
    args: VaList,
) {
    let _ = std::panic::catch_unwind(|| unsafe {
        let sink = &*(data as *const LogSink);
        // Below the level kept: nothing formatted, nothing allocated.
        if level < sink.min_level {
            return;
        }
        let mut buf = [0 as c_char; 4096];
        vsnprintf(buf.as_mut_ptr(), buf.len(), fmt, args);
        let text = CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned();
        let (mut module, mut file, mut line) = (ptr::null(), ptr::null(), 0);
        libvlc_log_get_context(ctx, &mut module, &mut file, &mut line);
        let module =
            if module.is_null() { String::new() } else { CStr::from_ptr(module).to_string_lossy().into_owned() };
        let level = LogLevel::name(level);
        if let Ok(mut lines) = sink.lines.lock() {
            lines.push(LogLine { level, module, text });
        }
    });
}

pub struct Instance {
    raw: *mut libvlc_instance_t,
    log: Box<LogSink>,
}

impl Instance {
    /// An instance that keeps every message VLC logs.
    pub fn new(args: &[&str]) -> Result<Instance, String> {
        Instance::keeping_log_from(args, LogLevel::Debug)
    }

    /// An instance that keeps VLC's messages from `min_level` on (`Error`: errors
    /// only), and ignores the others without formatting them.
    pub fn keeping_log_from(args: &[&str], min_level: LogLevel) -> Result<Instance, String> {
        let args: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
        let argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
        // SAFETY: argv outlives the call; libvlc copies what it keeps.
        let raw = unsafe { libvlc_new(argv.len() as c_int, argv.as_ptr()) };
        if raw.is_null() {
            // SAFETY: libvlc_errmsg returns a thread-local string or null.
            let msg = unsafe { libvlc_errmsg() };
            let msg = if msg.is_null() {
                "unknown error".into()
            } else {
                unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned()
            };
            return Err(format!("libvlc_new failed: {msg}"));
        }
        let log = Box::new(LogSink { min_level: min_level as c_int, lines: Mutex::default() });
        // SAFETY: the sink is boxed and outlives the instance (unset in Drop).
        unsafe { libvlc_log_set(raw, log_cb, &*log as *const LogSink as *mut c_void) };
        Ok(Instance { raw, log })
    }

    pub fn take_log(&self) -> Vec<LogLine> {
        std::mem::take(&mut *self.log.lines.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// A media for `mrl`: a path, or a URL when it has "://".
    pub fn media(&self, mrl: &str) -> Result<Media, String> {
        let c_mrl = CString::new(mrl).map_err(|_| "NUL in media path")?;
        // SAFETY: live instance, NUL-terminated string.
        let raw = unsafe {
            if mrl.contains("://") {
                libvlc_media_new_location(self.raw, c_mrl.as_ptr())
            } else {
                libvlc_media_new_path(self.raw, c_mrl.as_ptr())
            }
        };
        if raw.is_null() {
            return Err(format!("cannot create a media for {mrl}"));
        }
        Ok(Media { raw })
    }
}

/// `libvlc_media_track_t` (libvlc_media.h, 3.0).
#[repr(C)]
struct MediaTrackHead {
    codec: u32,
    original_fourcc: u32,
    id: c_int,
    kind: c_int, // libvlc_track_type_t
    profile: c_int,
    level: c_int,
    details: *mut c_void, // the audio, video or subtitle union
    bitrate: c_uint,
    language: *mut c_char,
    description: *mut c_char,
}

/// libvlc_track_type_t (libvlc_media.h).
const TRACK_AUDIO: c_int = 0;
const TRACK_VIDEO: c_int = 1;
const TRACK_TEXT: c_int = 2;

/// What kind of elementary stream a track is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackKind {
    Audio,
    Video,
    Text,
    Other,
}

/// A track VLC found in a media.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Track {
    /// VLC's ES id: the frame ABI's `es_id` of the track's frames.
    pub id: i32,
    pub kind: TrackKind,
    /// The codec's fourcc as text, e.g. "mp4a", "h264".
    pub codec: String,
    /// The language the media gives it (e.g. "eng"), if any.
    pub language: Option<String>,
    pub description: Option<String>,
}

/// A C string libvlc owns, as text (None for null or empty).
fn text_of(p: *const c_char) -> Option<String> {
    // SAFETY: libvlc's strings are NUL-terminated or null.
    let text = (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())?;
    (!text.is_empty()).then_some(text)
}

/// One reference to a libvlc media.
pub struct Media {
    raw: *mut libvlc_media_t,
}

// SAFETY: libvlc media objects are reference counted and thread-safe.
unsafe impl Send for Media {}

impl Media {
    /// Adds a trusted option, as an application does.
    pub fn add_option(&self, option: &str) -> Result<(), String> {
        let c = CString::new(option).map_err(|_| "NUL in option")?;
        // SAFETY: live media; libvlc copies the option.
        unsafe { libvlc_media_add_option(self.raw, c.as_ptr()) };
        Ok(())
    }

    /// How many (audio, video) tracks VLC found in the media (known once it
    /// has been played or parsed).
    pub fn track_counts(&self) -> (usize, usize) {
        let tracks = self.tracks();
        let count = |kind| tracks.iter().filter(|t| t.kind == kind).count();
        (count(TrackKind::Audio), count(TrackKind::Video))
    }

    /// The tracks VLC found in the media (known once it has been played or
    /// parsed), in VLC's order.
    pub fn tracks(&self) -> Vec<Track> {
        let mut tracks: *mut *mut MediaTrackHead = ptr::null_mut();
        // SAFETY: live media; the array is released below with its count,
        // after its strings were copied.
        unsafe {
            let count = libvlc_media_tracks_get(self.raw, &mut tracks);
            if tracks.is_null() {
                return Vec::new();
            }
            let found = (0..count as usize)
                .filter_map(|i| (*tracks.add(i)).as_ref())
                .map(|t| Track {
                    id: t.id,
                    kind: match t.kind {
                        TRACK_AUDIO => TrackKind::Audio,
                        TRACK_VIDEO => TrackKind::Video,
                        TRACK_TEXT => TrackKind::Text,
                        _ => TrackKind::Other,
                    },
                    codec: String::from_utf8_lossy(&t.codec.to_le_bytes()).trim_end_matches(['\0', ' ']).to_owned(),
                    language: text_of(t.language),
                    description: text_of(t.description),
                })
                .collect();
            libvlc_media_tracks_release(tracks, count);
            found
        }
    }

    /// The items of a playlist media, once VLC has opened (played or
    /// parsed) it: each a media of its own with the options the playlist
    /// gave it (VLC ignores the unsafe ones, such as `:sout`). Empty for
    /// anything but a playlist.
    pub fn subitems(&self) -> Vec<Media> {
        let mut items = Vec::new();
        // SAFETY: the list is ours to release; items come retained, and
        // each reference goes to one Media.
        unsafe {
            let list = libvlc_media_subitems(self.raw);
            if list.is_null() {
                return items;
            }
            libvlc_media_list_lock(list);
            for i in 0..libvlc_media_list_count(list) {
                let item = libvlc_media_list_item_at_index(list, i);
                if !item.is_null() {
                    items.push(Media { raw: item });
                }
            }
            libvlc_media_list_unlock(list);
            libvlc_media_list_release(list);
        }
        items
    }

    /// The media's location as VLC writes it (`file:///...`).
    pub fn mrl(&self) -> String {
        // SAFETY: live media; the string is ours to free.
        unsafe {
            let p = libvlc_media_get_mrl(self.raw);
            let mrl = text_of(p).unwrap_or_default();
            if !p.is_null() {
                free(p.cast());
            }
            mrl
        }
    }

    /// A copy of this media, with its options, to add more to without
    /// changing this one.
    pub fn duplicate(&self) -> Result<Media, String> {
        // SAFETY: live media; duplicate returns a new media (or NULL).
        let raw = unsafe { libvlc_media_duplicate(self.raw) };
        if raw.is_null() {
            return Err("libvlc_media_duplicate failed".into());
        }
        Ok(Media { raw })
    }

    /// The `libvlc_media_t`, for libvlc calls this crate does not wrap
    /// (the reference stays this `Media`'s).
    pub fn as_raw(&self) -> *mut c_void {
        self.raw
    }

    /// Takes over one reference to a `libvlc_media_t`.
    ///
    /// # Safety
    /// `raw` must be a live libvlc media holding a reference nobody else
    /// releases.
    pub unsafe fn from_raw(raw: *mut c_void) -> Media {
        Media { raw }
    }
}

impl Player {
    /// Makes `media` the player's next media (the player keeps its own reference).
    pub fn set_media(&self, media: &Media) {
        // SAFETY: live player and media.
        unsafe { libvlc_media_player_set_media(self.raw, media.raw) };
    }
}

impl Drop for Media {
    fn drop(&mut self) {
        // SAFETY: we own one reference.
        unsafe { libvlc_media_release(self.raw) };
    }
}

/// A media player; dropping it stops playback (joining VLC's input thread,
/// so no callback runs afterwards) and releases it.
pub struct Player {
    raw: *mut libvlc_media_player_t,
    /// Set by libvlc's end, error and stop events (boxed: libvlc keeps its address).
    over: Box<Over>,
}

/// Whether playback is over, and a condition variable to wait for it.
#[derive(Default)]
struct Over {
    done: Mutex<bool>,
    changed: Condvar,
}

/// libvlc's event callback for [`OVER_EVENTS`], on one of VLC's threads.
unsafe extern "C" fn on_over(_event: *const EventHead, data: *mut c_void) {
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: `data` is the player's boxed Over, attached in Player::new
        // and detached in Drop before the box goes.
        let over = unsafe { &*(data as *const Over) };
        *over.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        over.changed.notify_all();
    });
}

impl Player {
    pub fn new(media: &Media) -> Result<Player, String> {
        // SAFETY: live media; the player takes its own reference.
        let raw = unsafe { libvlc_media_player_new_from_media(media.raw) };
        if raw.is_null() {
            return Err("cannot create a media player".into());
        }
        Player::watching(raw)
    }

    /// An application's own player, with a reference of ours: dropping
    /// this stops it (as any [`Player`]) and gives the reference back.
    ///
    /// # Safety
    /// `raw` must be a live `libvlc_media_player_t`.
    pub unsafe fn retained(raw: *mut c_void) -> Result<Player, String> {
        if raw.is_null() {
            return Err("no media player (a null pointer)".into());
        }
        // SAFETY: the caller's live player.
        unsafe { libvlc_media_player_retain(raw) };
        Player::watching(raw)
    }

    /// The `libvlc_media_player_t` (the reference stays this `Player`'s).
    pub fn as_raw(&self) -> *mut c_void {
        self.raw
    }

    /// The player's media, if it has one.
    pub fn media(&self) -> Option<Media> {
        // SAFETY: live player; get_media returns a new reference (or NULL).
        let raw = unsafe { libvlc_media_player_get_media(self.raw) };
        (!raw.is_null()).then_some(Media { raw })
    }

    /// Takes over one reference to `raw` and watches for the end of playback.
    fn watching(raw: *mut libvlc_media_player_t) -> Result<Player, String> {
        let player = Player { raw, over: Box::default() };
        // SAFETY: live player; its event manager lives as long as it does,
        // and the callbacks are detached in Drop before `over` is freed.
        unsafe {
            let events = libvlc_media_player_event_manager(raw);
            for kind in OVER_EVENTS {
                if libvlc_event_attach(events, kind, on_over, player.over_data()) != 0 {
                    return Err("libvlc_event_attach failed".into());
                }
            }
        }
        Ok(player)
    }

    fn over_data(&self) -> *mut c_void {
        &*self.over as *const Over as *mut c_void
    }

    /// Waits until playback is over (end, error or stop, from libvlc's
    /// events) or `at_most` has passed; returns whether it is over.
    pub fn wait_over(&self, at_most: Duration) -> bool {
        let done = self.over.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (done, _) = self
            .over
            .changed
            .wait_timeout_while(done, at_most, |done| !*done)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // An event of an earlier media (a stop before set_media) is stale.
        let mut done = done;
        if *done && !self.state().is_over() {
            *done = false;
        }
        *done
    }

    pub fn play(&self) -> Result<(), String> {
        *self.over.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = false;
        // SAFETY: live player (likewise below).
        if unsafe { libvlc_media_player_play(self.raw) } != 0 {
            return Err("libvlc_media_player_play failed".into());
        }
        Ok(())
    }
    pub fn state(&self) -> State {
        State::from_raw(unsafe { libvlc_media_player_get_state(self.raw) })
    }
    /// 0.0 to 1.0.
    pub fn position(&self) -> f32 {
        unsafe { libvlc_media_player_get_position(self.raw) }
    }
    pub fn time_ms(&self) -> i64 {
        unsafe { libvlc_media_player_get_time(self.raw) }
    }
    pub fn length_ms(&self) -> i64 {
        unsafe { libvlc_media_player_get_length(self.raw) }
    }
    pub fn set_time(&self, ms: i64) {
        unsafe { libvlc_media_player_set_time(self.raw, ms) }
    }
    /// Pauses (true) or resumes (false) the player.
    pub fn set_pause(&self, pause: bool) {
        unsafe { libvlc_media_player_set_pause(self.raw, c_int::from(pause)) }
    }
    /// Plays at `rate` times the normal speed (VLC refuses it while smem
    /// paces the stream, `time-sync`).
    pub fn set_rate(&self, rate: f32) -> Result<(), String> {
        match unsafe { libvlc_media_player_set_rate(self.raw, rate) } {
            0 => Ok(()),
            _ => Err(format!("libvlc_media_player_set_rate({rate}) failed")),
        }
    }
    pub fn is_seekable(&self) -> bool {
        unsafe { libvlc_media_player_is_seekable(self.raw) != 0 }
    }
    pub fn video_track(&self) -> c_int {
        unsafe { libvlc_video_get_track(self.raw) }
    }
    pub fn set_video_track(&self, id: c_int) {
        unsafe { libvlc_video_set_track(self.raw, id) };
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        // SAFETY: live player, released once; the event callbacks go first,
        // so none runs once `over` is freed.
        unsafe {
            let events = libvlc_media_player_event_manager(self.raw);
            for kind in OVER_EVENTS {
                libvlc_event_detach(events, kind, on_over, self.over_data());
            }
            libvlc_media_player_stop(self.raw);
            libvlc_media_player_release(self.raw);
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SAFETY: live instance; after unset no log callback uses the sink.
        unsafe {
            libvlc_log_unset(self.raw);
            libvlc_release(self.raw);
        }
    }
}

/// The file name of smem-rs's plugin.
pub const SMEM_RS_PLUGIN: &str = "libsmem_rs_plugin.so";

/// Whether VLC will load smem-rs: its plugin is in a folder VLC scans, one
/// of `VLC_PLUGIN_PATH` or the plugin folder beside the libvlccore this
/// process has loaded (call it after [`Instance::new`]). VLC searches those
/// folders recursively; so does this, a few levels deep.
pub fn smem_rs_available() -> bool {
    let mut folders: Vec<std::path::PathBuf> =
        std::env::var_os("VLC_PLUGIN_PATH").map(|paths| std::env::split_paths(&paths).collect()).unwrap_or_default();
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    if let Some(core) = maps.lines().filter_map(|l| l.split_whitespace().nth(5)).find(|p| p.contains("/libvlccore.so"))
    {
        if let Some(lib) = std::path::Path::new(core).parent() {
            folders.push(lib.join("vlc/plugins"));
        }
    }
    folders.iter().any(|folder| contains_file(folder, SMEM_RS_PLUGIN, 4))
}

fn contains_file(folder: &std::path::Path, name: &str, depth: usize) -> bool {
    let Ok(entries) = std::fs::read_dir(folder) else { return false };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if entry.file_name() == name {
            return true;
        }
        depth > 0 && path.is_dir() && contains_file(&path, name, depth - 1)
    })
}
