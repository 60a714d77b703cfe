//! Safe access to the parts of a VLC object we use: its logger, its
//! variables, and config-chain parsing.

use std::ffi::{c_char, c_int, CStr, CString};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use super::sys;

/// A string variable's value: a malloc'd copy VLC gave us (or null),
/// copied and freed.
///
/// # Safety
/// `raw` must be null or a malloc'd C string nobody else frees.
unsafe fn take_string(raw: *mut c_char) -> Option<String> {
    // SAFETY: as the caller says; free(NULL) does nothing.
    unsafe {
        let text = c_string(raw);
        libc::free(raw.cast());
        text
    }
}

/// A C string VLC owns, copied; None for null.
///
/// # Safety
/// `raw` must be null or a NUL-terminated string alive during the call.
pub unsafe fn c_string(raw: *const c_char) -> Option<String> {
    (!raw.is_null()).then(|| unsafe { CStr::from_ptr(raw) }.to_string_lossy().into_owned())
}

/// Message levels of VLC's logger (`VLC_MSG_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Info,
    Debug,
}

/// A borrowed VLC object (any `vlc_object_t`), valid for `'a`.
#[derive(Clone, Copy)]
pub struct Object<'a> {
    raw: *mut sys::vlc_object_t,
    module: &'static CStr,
    _life: PhantomData<&'a ()>,
}

impl<'a> Object<'a> {
    /// # Safety
    /// `raw` must be a live VLC object for `'a`.
    pub unsafe fn from_raw(raw: *mut sys::vlc_object_t, module: &'static CStr) -> Self {
        Object { raw, module, _life: PhantomData }
    }

    /// Logs `msg` through VLC's logger, tagged with our module name. The text
    /// goes through a "%s" format so it can never be read as a format string.
    pub fn log(&self, level: Level, msg: &str) {
        let text = CString::new(msg.replace('\0', "\\0")).unwrap_or_default();
        self.log_cstr(level, &text);
    }

    /// Holds a reference on the object, for use on another thread.
    pub fn hold(&self) -> HeldObject {
        // SAFETY: live object; the reference is released when the HeldObject drops.
        unsafe { sys::vlc_object_hold(self.raw) };
        HeldObject { raw: NonNull::new(self.raw).expect("a live VLC object is not null"), module: self.module }
    }

    /// Logs a message that is already a C string, without allocating (for
    /// the per-frame path).
    pub fn log_cstr(&self, level: Level, msg: &CStr) {
        let prio = match level {
            Level::Error => sys::vlc_log_type_VLC_MSG_ERR,
            Level::Warning => sys::vlc_log_type_VLC_MSG_WARN,
            Level::Info => sys::vlc_log_type_VLC_MSG_INFO,
            Level::Debug => sys::vlc_log_type_VLC_MSG_DBG,
        } as c_int;
        // SAFETY: live object; all strings are NUL-terminated and outlive the call.
        unsafe {
            sys::vlc_Log(
                self.raw,
                prio,
                self.module.as_ptr(),
                c"smem-rs".as_ptr(),
                line!(),
                c"".as_ptr(),
                c"%s".as_ptr(),
                msg.as_ptr(),
            );
        }
    }

    pub fn error(&self, msg: &str) {
        self.log(Level::Error, msg)
    }
    pub fn warn(&self, msg: &str) {
        self.log(Level::Warning, msg)
    }
    pub fn info(&self, msg: &str) {
        self.log(Level::Info, msg)
    }
    pub fn debug(&self, msg: &str) {
        self.log(Level::Debug, msg)
    }

    /// `config_ChainParse`: creates the variables `prefix + option` for each
    /// option and fills them from the chain `cfg` (or inherited defaults).
    ///
    /// # Safety
    /// `cfg` must be this object's config chain (or null).
    pub unsafe fn parse_config_chain(&self, prefix: &CStr, options: &[&CStr], cfg: *mut sys::config_chain_t) {
        let mut names: Vec<*const c_char> = options.iter().map(|o| o.as_ptr()).collect();
        names.push(ptr::null());
        // SAFETY: live object, NULL-terminated option list, caller-checked chain.
        unsafe { sys::config_ChainParse(self.raw, prefix.as_ptr(), names.as_ptr(), cfg) };
    }

    /// `var_GetChecked(name, kind)`: the variable's value, `None` if it has
    /// none of that type.
    fn var_value(&self, name: &CStr, kind: u32) -> Option<sys::vlc_value_t> {
        // SAFETY: an all-zero vlc_value_t is a valid (empty) union value.
        let mut value: sys::vlc_value_t = unsafe { std::mem::zeroed() };
        // SAFETY: live object, NUL-terminated name; VLC fills the union
        // member of `kind`.
        let found = unsafe { sys::var_GetChecked(self.raw, name.as_ptr(), kind as c_int, &mut value) };
        (found == sys::VLC_SUCCESS as c_int).then_some(value)
    }

    /// The string value of variable `name`, `None` if it has none.
    pub fn var_string(&self, name: &CStr) -> Option<String> {
        // SAFETY: a string variable fills `psz_string`.
        self.var_value(name, sys::VLC_VAR_STRING).and_then(|v| unsafe { take_string(v.psz_string) })
    }

    /// The integer value of variable `name`, `None` if it has none.
    pub fn var_integer(&self, name: &CStr) -> Option<i64> {
        // SAFETY: an integer variable fills `i_int`.
        self.var_value(name, sys::VLC_VAR_INTEGER).map(|v| unsafe { v.i_int })
    }

    /// `var_Inherit(name, kind)`: the variable here or on a parent object
    /// (a media option sets it on the input), else its configured value.
    fn var_inherit_value(&self, name: &CStr, kind: u32) -> Option<sys::vlc_value_t> {
        // SAFETY: an all-zero vlc_value_t is a valid union value; live
        // object, NUL-terminated name; VLC fills the member `kind` selects.
        unsafe {
            let mut value: sys::vlc_value_t = std::mem::zeroed();
            let found = sys::var_Inherit(self.raw, name.as_ptr(), kind as c_int, &mut value);
            (found == sys::VLC_SUCCESS as c_int).then_some(value)
        }
    }

    /// The integer value of variable `name` here or on a parent object, else
    /// its configured value.
    pub fn var_inherit_integer(&self, name: &CStr) -> Option<i64> {
        // SAFETY: an integer fills `i_int`.
        self.var_inherit_value(name, sys::VLC_VAR_INTEGER).map(|v| unsafe { v.i_int })
    }

    /// The float value of variable `name` here or on a parent object, else
    /// its configured value.
    pub fn var_inherit_float(&self, name: &CStr) -> Option<f32> {
        // SAFETY: a float fills `f_float`.
        self.var_inherit_value(name, sys::VLC_VAR_FLOAT).map(|v| unsafe { v.f_float })
    }

    /// The boolean value of variable `name` here or on a parent object, else
    /// its configured value.
    pub fn var_inherit_bool(&self, name: &CStr) -> Option<bool> {
        // SAFETY: a bool fills `b_bool`.
        self.var_inherit_value(name, sys::VLC_VAR_BOOL).map(|v| unsafe { v.b_bool })
    }

    /// The string value of variable `name` here or on a parent object, else
    /// its configured value; `None` for none or an empty one.
    pub fn var_inherit_string(&self, name: &CStr) -> Option<String> {
        // SAFETY: a string fills `psz_string`.
        let text = self.var_inherit_value(name, sys::VLC_VAR_STRING).and_then(|v| unsafe { take_string(v.psz_string) });
        text.filter(|t| !t.is_empty())
    }

    /// The boolean value of variable `name`, `None` if it has none.
    pub fn var_bool(&self, name: &CStr) -> Option<bool> {
        // SAFETY: a bool variable fills `b_bool`.
        self.var_value(name, sys::VLC_VAR_BOOL).map(|v| unsafe { v.b_bool })
    }
}

/// A VLC object we hold a reference on (`vlc_object_hold`): it stays alive,
/// and can be logged to from any thread, for as long as this value lives.
/// The delivery thread logs through one of these.
pub struct HeldObject {
    raw: NonNull<sys::vlc_object_t>,
    module: &'static CStr,
}

// SAFETY: VLC objects are reference-counted atomically, and their logger and
// variables are thread-safe (every VLC thread logs through its objects).
unsafe impl Send for HeldObject {}
unsafe impl Sync for HeldObject {}

impl HeldObject {
    pub fn object(&self) -> Object<'_> {
        // SAFETY: our reference keeps the object alive while `self` lives.
        unsafe { Object::from_raw(self.raw.as_ptr(), self.module) }
    }
}

impl Drop for HeldObject {
    fn drop(&mut self) {
        // SAFETY: releases the reference taken in `Object::hold`, once.
        unsafe { sys::vlc_object_release(self.raw.as_ptr()) }
    }
}
