//! libvlc's media and media player, owned: a reference each, released on drop.

use super::*;

/// `libvlc_media_track_t` (libvlc_media.h, 3.0).
#[repr(C)]
pub(super) struct MediaTrackHead {
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
    pub(super) raw: *mut libvlc_media_t,
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
    /// Set by libvlc's end, error and stop events (on the heap: libvlc
    /// keeps its address).
    over: Arc<Over>,
}

/// Whether playback is over, and a condition variable to wait for it.
#[derive(Default)]
struct Over {
    done: Mutex<bool>,
    changed: Condvar,
    /// Someone wants the waiter to look again (a stop asked).
    rung: AtomicBool,
    /// libvlc's error event came: libvlc 3 sets the player's state to Ended
    /// as soon as the failed input is gone, so the state alone may hide it.
    failed: AtomicBool,
}

/// Wakes whoever waits on a player ([`Player::wait_over`]) at once.
#[derive(Clone)]
pub struct Wake(Arc<Over>);

impl Wake {
    pub fn ring(&self) {
        let _done = self.0.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.0.rung.store(true, Ordering::Release);
        self.0.changed.notify_all();
    }
}

impl std::fmt::Debug for Wake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wake")
    }
}

/// libvlc's event callback for [`OVER_EVENTS`], on one of VLC's threads.
unsafe extern "C" fn on_over(event: *const EventHead, data: *mut c_void) {
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: `data` is the player's boxed Over, attached in Player::new
        // and detached in Drop before the box goes; `event` is libvlc's.
        let over = unsafe { &*(data as *const Over) };
        if unsafe { event.as_ref() }.is_some_and(|e| e.kind == MEDIA_PLAYER_ENCOUNTERED_ERROR) {
            over.failed.store(true, Ordering::Relaxed);
        }
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
        let player = Player { raw, over: Arc::default() };
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
        Arc::as_ptr(&self.over) as *mut c_void
    }

    /// What wakes [`Player::wait_over`] before its time.
    pub fn wake(&self) -> Wake {
        Wake(Arc::clone(&self.over))
    }

    /// Waits until playback is over (end, error or stop, from libvlc's
    /// events), `at_most` has passed or a [`Wake`] rang; returns whether it
    /// is over.
    pub fn wait_over(&self, at_most: Duration) -> bool {
        let done = self.over.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let over = &self.over;
        let (done, _) = over
            .changed
            .wait_timeout_while(done, at_most, |done| !*done && !over.rung.swap(false, Ordering::AcqRel))
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
        self.over.failed.store(false, Ordering::Relaxed);
        // SAFETY: live player (likewise below).
        if unsafe { libvlc_media_player_play(self.raw) } != 0 {
            return Err("libvlc_media_player_play failed".into());
        }
        Ok(())
    }
    /// The player's state; Error, not Ended, once an input has failed.
    pub fn state(&self) -> State {
        match State::from_raw(unsafe { libvlc_media_player_get_state(self.raw) }) {
            State::Ended if self.over.failed.load(Ordering::Relaxed) => State::Error,
            state => state,
        }
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
