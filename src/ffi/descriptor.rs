//! The module descriptor: a plain static description of a VLC module
//! (`ModuleInfo`), and `describe`, which hands it to VLC through the
//! `vlc_set` callback in the same order as VLC's `vlc_module_begin` ...
//! `vlc_module_end` C macros do.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;

use super::sys;
use super::sys::vlc_module_properties as P;

/// A `const char *` that may live in a `static` (VLC keeps these pointers).
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct StaticCStr(*const c_char);

// SAFETY: points at an immutable 'static C string literal.
unsafe impl Sync for StaticCStr {}
unsafe impl Send for StaticCStr {}

impl StaticCStr {
    pub const fn new(s: &'static CStr) -> Self {
        StaticCStr(s.as_ptr())
    }
    pub fn as_cstr(&self) -> &'static CStr {
        // SAFETY: built from a &'static CStr in `new`.
        unsafe { CStr::from_ptr(self.0) }
    }
}

/// How a config option may be changed and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// `change_private()`: saved, hidden from the preferences.
    Private,
    /// `change_volatile()`: hidden and never saved (addresses are per run).
    Volatile,
}

#[derive(Clone, Copy)]
pub enum OptionDefault {
    String(&'static CStr),
    /// A string VLC's preferences hide (`add_password`).
    Password(&'static CStr),
    Bool(bool),
    Integer(i64),
}

/// One `add_string`/`add_bool`/`add_integer` entry. None is ever marked `safe`, so options
/// coming from untrusted input items (playlists) are ignored by VLC.
pub struct ConfigOption {
    pub name: &'static CStr,
    pub default: OptionDefault,
    pub text: &'static CStr,
    pub longtext: &'static CStr,
    pub advanced: bool,
    pub visibility: Visibility,
}

pub type OpenFn = unsafe extern "C" fn(*mut sys::vlc_object_t) -> c_int;
pub type CloseFn = unsafe extern "C" fn(*mut sys::vlc_object_t);

pub struct ModuleInfo {
    pub name: &'static CStr,
    pub shortname: &'static CStr,
    pub description: &'static CStr,
    pub capability: &'static CStr,
    pub score: i32,
    pub shortcuts: &'static [StaticCStr],
    pub category: i64,
    pub subcategory: i64,
    pub options: &'static [ConfigOption],
    pub open: (&'static CStr, OpenFn),
    pub close: (&'static CStr, CloseFn),
}

/// Calls `vlc_set` for every property of the plugin's `modules`: the first
/// with the plugin's options, the others as its submodules (VLC's
/// `add_submodule`). Returns 0, or -1 as soon as VLC refuses one (the
/// contract of `vlc_entry`).
///
/// # Safety
/// `set` and `opaque` must be the pair VLC passed to `vlc_entry`.
pub unsafe fn describe(modules: &[&ModuleInfo], set: sys::vlc_set_cb, opaque: *mut c_void) -> c_int {
    for (index, module) in modules.iter().enumerate() {
        if unsafe { describe_one(module, index == 0, set, opaque) } != 0 {
            return -1;
        }
    }
    0
}

/// # Safety
/// As [`describe`].
unsafe fn describe_one(module: &ModuleInfo, first: bool, set: sys::vlc_set_cb, opaque: *mut c_void) -> c_int {
    let Some(set) = set else { return -1 };
    // Each `vlc_set` call returns non-zero on failure.
    macro_rules! try_set {
        ($target:expr, $prop:expr $(, $arg:expr)*) => {
            if unsafe { set(opaque, $target, $prop as c_int $(, $arg)*) } != 0 {
                return -1;
            }
        };
    }
    let mut plugin: *mut c_void = ptr::null_mut();
    try_set!(ptr::null_mut(), P::VLC_MODULE_CREATE, &mut plugin as *mut *mut c_void);
    // A submodule inherits the plugin's object name (VLC's module bank
    // gives it the first module's as its first shortcut, as C plugins'
    // add_submodule does); it is told apart by its own shortcuts. Naming it
    // again would leak the inherited list.
    if first {
        try_set!(plugin, P::VLC_MODULE_NAME, module.name.as_ptr());
    }
    try_set!(plugin, P::VLC_MODULE_SHORTNAME, module.shortname.as_ptr());
    try_set!(plugin, P::VLC_MODULE_DESCRIPTION, module.description.as_ptr());
    try_set!(plugin, P::VLC_MODULE_CAPABILITY, module.capability.as_ptr());
    try_set!(plugin, P::VLC_MODULE_SCORE, module.score as c_int);
    try_set!(plugin, P::VLC_MODULE_SHORTCUT, module.shortcuts.len(), module.shortcuts.as_ptr() as *const *const c_char);

    let mut config: *mut c_void = ptr::null_mut();
    // The plugin's category, once (its options all belong to the plugin).
    if first {
        for (kind, value) in [(sys::CONFIG_CATEGORY, module.category), (sys::CONFIG_SUBCATEGORY, module.subcategory)] {
            try_set!(ptr::null_mut(), P::VLC_CONFIG_CREATE, kind as c_int, &mut config as *mut *mut c_void);
            try_set!(config, P::VLC_CONFIG_VALUE, value);
        }
    }
    for option in module.options {
        let kind = match option.default {
            OptionDefault::String(_) => sys::CONFIG_ITEM_STRING,
            OptionDefault::Password(_) => sys::CONFIG_ITEM_PASSWORD,
            OptionDefault::Bool(_) => sys::CONFIG_ITEM_BOOL,
            OptionDefault::Integer(_) => sys::CONFIG_ITEM_INTEGER,
        };
        try_set!(ptr::null_mut(), P::VLC_CONFIG_CREATE, kind as c_int, &mut config as *mut *mut c_void);
        try_set!(config, P::VLC_CONFIG_DESC, option.text.as_ptr(), option.longtext.as_ptr());
        if option.advanced {
            try_set!(config, P::VLC_CONFIG_ADVANCED);
        }
        try_set!(config, P::VLC_CONFIG_NAME, option.name.as_ptr());
        match option.default {
            OptionDefault::String(value) | OptionDefault::Password(value) => {
                try_set!(config, P::VLC_CONFIG_VALUE, value.as_ptr())
            }
            // add_bool only sets a value when it is true (false is the default).
            OptionDefault::Bool(true) => try_set!(config, P::VLC_CONFIG_VALUE, 1i64),
            OptionDefault::Bool(false) => {}
            OptionDefault::Integer(value) => try_set!(config, P::VLC_CONFIG_VALUE, value),
        }
        try_set!(config, P::VLC_CONFIG_PRIVATE);
        if option.visibility == Visibility::Volatile {
            try_set!(config, P::VLC_CONFIG_VOLATILE);
        }
    }
    try_set!(plugin, P::VLC_MODULE_CB_OPEN, module.open.0.as_ptr(), module.open.1 as *mut c_void);
    try_set!(plugin, P::VLC_MODULE_CB_CLOSE, module.close.0.as_ptr(), module.close.1 as *mut c_void);
    0
}

/// Exports `vlc_entry<MODULE_SUFFIX>`, `vlc_entry_license<MODULE_SUFFIX>` and
/// `vlc_entry_copyright<MODULE_SUFFIX>` for static [`ModuleInfo`]s (the
/// first carries the plugin's options). The
/// suffix comes from the installed `vlc_plugin.h` (build.rs).
#[macro_export]
macro_rules! export_vlc_plugin {
    ([$($module:path),+], license: $license:expr, copyright: $copyright:expr) => {
        /// The module bank's entry point.
        ///
        /// # Safety
        /// `set` and `opaque` must be the pair VLC's module bank passes.
        #[export_name = concat!("vlc_entry", env!("VLC_MODULE_SUFFIX"))]
        pub unsafe extern "C" fn vlc_entry(
            set: $crate::ffi::sys::vlc_set_cb,
            opaque: *mut ::std::ffi::c_void,
        ) -> ::std::ffi::c_int {
            // A panic must never unwind into VLC.
            ::std::panic::catch_unwind(|| unsafe { $crate::ffi::descriptor::describe(&[$(&$module),+], set, opaque) })
                .unwrap_or(-1)
        }

        #[export_name = concat!("vlc_entry_license", env!("VLC_MODULE_SUFFIX"))]
        pub extern "C" fn vlc_entry_license() -> *const ::std::ffi::c_char {
            const LICENSE: &::std::ffi::CStr = $license;
            LICENSE.as_ptr()
        }

        #[export_name = concat!("vlc_entry_copyright", env!("VLC_MODULE_SUFFIX"))]
        pub extern "C" fn vlc_entry_copyright() -> *const ::std::ffi::c_char {
            const COPYRIGHT: &::std::ffi::CStr = $copyright;
            COPYRIGHT.as_ptr()
        }

        /// The same entry points under the ABI's other name (build.rs,
        /// `twin_suffix`): Debian 13's VLC looks for `vlc_entry__3_0_0ft64`.
        ///
        /// # Safety
        /// As `vlc_entry`.
        #[cfg(vlc_twin_abi)]
        #[export_name = concat!("vlc_entry", env!("VLC_MODULE_SUFFIX_TWIN"))]
        pub unsafe extern "C" fn vlc_entry_twin(
            set: $crate::ffi::sys::vlc_set_cb,
            opaque: *mut ::std::ffi::c_void,
        ) -> ::std::ffi::c_int {
            unsafe { vlc_entry(set, opaque) }
        }

        #[cfg(vlc_twin_abi)]
        #[export_name = concat!("vlc_entry_license", env!("VLC_MODULE_SUFFIX_TWIN"))]
        pub extern "C" fn vlc_entry_license_twin() -> *const ::std::ffi::c_char {
            vlc_entry_license()
        }

        #[cfg(vlc_twin_abi)]
        #[export_name = concat!("vlc_entry_copyright", env!("VLC_MODULE_SUFFIX_TWIN"))]
        pub extern "C" fn vlc_entry_copyright_twin() -> *const ::std::ffi::c_char {
            vlc_entry_copyright()
        }
    };
}
