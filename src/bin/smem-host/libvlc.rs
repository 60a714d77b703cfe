//! The few libvlc calls the host needs, with a safe face. All of the host's
//! `unsafe` code is here.

use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::ptr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[allow(non_camel_case_types)]
type libvlc_instance_t = c_void;
#[allow(non_camel_case_types)]
type libvlc_media_t = c_void;
#[allow(non_camel_case_types)]
type libvlc_media_player_t = c_void;
#[allow(non_camel_case_types)]
type libvlc_log_t = c_void;

type LogCb = unsafe extern "C" fn(data: *mut c_void, level: c_int, ctx: *const libvlc_log_t, fmt: *const c_char, args: *mut c_void);

#[link(name = "vlc")]
extern "C" {
    fn libvlc_new(argc: c_int, argv: *const *const c_char) -> *mut libvlc_instance_t;
    fn libvlc_release(inst: *mut libvlc_instance_t);
    fn libvlc_errmsg() -> *const c_char;
    fn libvlc_log_set(inst: *mut libvlc_instance_t, cb: LogCb, data: *mut c_void);
    fn libvlc_log_unset(inst: *mut libvlc_instance_t);
    fn libvlc_log_get_context(ctx: *const libvlc_log_t, module: *mut *const c_char, file: *mut *const c_char, line: *mut c_uint);
    fn libvlc_media_new_path(inst: *mut libvlc_instance_t, path: *const c_char) -> *mut libvlc_media_t;
    fn libvlc_media_new_location(inst: *mut libvlc_instance_t, mrl: *const c_char) -> *mut libvlc_media_t;
    fn libvlc_media_add_option(media: *mut libvlc_media_t, option: *const c_char);
    fn libvlc_media_release(media: *mut libvlc_media_t);
    fn libvlc_media_player_new_from_media(media: *mut libvlc_media_t) -> *mut libvlc_media_player_t;
    fn libvlc_media_player_play(mp: *mut libvlc_media_player_t) -> c_int;
    fn libvlc_media_player_stop(mp: *mut libvlc_media_player_t);
    fn libvlc_media_player_release(mp: *mut libvlc_media_player_t);
    fn libvlc_media_player_get_state(mp: *mut libvlc_media_player_t) -> c_int;
    fn libvlc_media_player_set_time(mp: *mut libvlc_media_player_t, ms: i64);
    fn vsnprintf(buf: *mut c_char, size: usize, fmt: *const c_char, args: *mut c_void) -> c_int;
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
    fn from_raw(raw: c_int) -> State {
        match raw {
            1 => State::Opening,
            2 => State::Buffering,
            3 => State::Playing,
            4 => State::Paused,
            5 => State::Stopped,
            6 => State::Ended,
            7 => State::Error,
            _ => State::Idle,
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

pub type LogSink = Mutex<Vec<LogLine>>;

unsafe extern "C" fn log_cb(data: *mut c_void, level: c_int, ctx: *const libvlc_log_t, fmt: *const c_char, args: *mut c_void) {
    let _ = std::panic::catch_unwind(|| unsafe {
        let sink = &*(data as *const LogSink);
        let mut buf = [0 as c_char; 4096];
        vsnprintf(buf.as_mut_ptr(), buf.len(), fmt, args);
        let text = CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned();
        let (mut module, mut file, mut line) = (ptr::null(), ptr::null(), 0);
        libvlc_log_get_context(ctx, &mut module, &mut file, &mut line);
        let module = if module.is_null() { String::new() } else { CStr::from_ptr(module).to_string_lossy().into_owned() };
        let level = match level {
            0 => "debug",
            2 => "info",
            3 => "warning",
            4 => "error",
            _ => "?",
        };
        if let Ok(mut lines) = sink.lock() {
            lines.push(LogLine { level, module, text });
        }
    });
}

pub struct Instance {
    raw: *mut libvlc_instance_t,
    log: Box<LogSink>,
}

impl Instance {
    pub fn new(args: &[&str]) -> Result<Instance, String> {
        let args: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
        let argv: Vec<*const c_char> = args.iter().map(|a| a.as_ptr()).collect();
        // SAFETY: argv outlives the call; libvlc copies what it keeps.
        let raw = unsafe { libvlc_new(argv.len() as c_int, argv.as_ptr()) };
        if raw.is_null() {
            // SAFETY: libvlc_errmsg returns a thread-local string or null.
            let msg = unsafe { libvlc_errmsg() };
            let msg = if msg.is_null() { "unknown error".into() } else { unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned() };
            return Err(format!("libvlc_new failed: {msg}"));
        }
        let log: Box<LogSink> = Box::default();
        // SAFETY: the sink is boxed and outlives the instance (unset in Drop).
        unsafe { libvlc_log_set(raw, log_cb, &*log as *const LogSink as *mut c_void) };
        Ok(Instance { raw, log })
    }

    pub fn take_log(&self) -> Vec<LogLine> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }

    /// Plays `mrl` (a path, or a URL with "://") with `options` (":sout=..."
    /// etc.) until it ends, fails, or `timeout` passes. `seek_ms` jumps once
    /// playback has started.
    pub fn play(&self, mrl: &str, options: &[String], timeout: Duration, seek_ms: Option<i64>) -> Result<(State, Duration), String> {
        let c_mrl = CString::new(mrl).map_err(|_| "NUL in media path")?;
        // SAFETY: live instance, NUL-terminated strings.
        let media = unsafe {
            if mrl.contains("://") { libvlc_media_new_location(self.raw, c_mrl.as_ptr()) } else { libvlc_media_new_path(self.raw, c_mrl.as_ptr()) }
        };
        if media.is_null() {
            return Err(format!("cannot create a media for {mrl}"));
        }
        for option in options {
            let c = CString::new(option.as_str()).map_err(|_| "NUL in option")?;
            // SAFETY: live media; libvlc copies the option.
            unsafe { libvlc_media_add_option(media, c.as_ptr()) };
        }
        // SAFETY: live media; the player holds its own reference.
        let player = unsafe { libvlc_media_player_new_from_media(media) };
        unsafe { libvlc_media_release(media) };
        if player.is_null() {
            return Err("cannot create a media player".into());
        }
        let start = Instant::now();
        // SAFETY: live player until released below.
        if unsafe { libvlc_media_player_play(player) } != 0 {
            unsafe { libvlc_media_player_release(player) };
            return Err("libvlc_media_player_play failed".into());
        }
        let mut seeked = false;
        let state = loop {
            let state = State::from_raw(unsafe { libvlc_media_player_get_state(player) });
            if matches!(state, State::Ended | State::Error | State::Stopped) {
                break state;
            }
            if let (Some(ms), false, State::Playing) = (seek_ms, seeked, state) {
                std::thread::sleep(Duration::from_millis(50));
                unsafe { libvlc_media_player_set_time(player, ms) };
                seeked = true;
            }
            if start.elapsed() > timeout {
                break state;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let elapsed = start.elapsed();
        // SAFETY: stop joins the input thread: no callback runs after this.
        unsafe {
            libvlc_media_player_stop(player);
            libvlc_media_player_release(player);
        }
        Ok((state, elapsed))
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
