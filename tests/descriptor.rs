//! The module descriptor, read from the built plugin file itself: dlopen it,
//! call its `vlc_entry<suffix>` with a recording `vlc_set` (as VLC's module
//! bank does), and compare what it registers with modules.txt and with the
//! stock smem option set.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::process::Command;

use smem_rs_plugin::ffi::sys;
use smem_rs_plugin::ffi::sys::vlc_module_properties as P;

#[derive(Debug, Default, PartialEq)]
struct Module {
    name: String,
    shortname: String,
    description: String,
    capability: String,
    score: i32,
    shortcuts: Vec<String>,
    open: bool,
    close: bool,
    /// The callbacks' names: VLC maps a cached plugin's callbacks back by
    /// them (plugins.dat), so each must be the plugin's only one.
    callback_names: Vec<String>,
}

#[derive(Debug, Default, PartialEq, Clone)]
struct Config {
    kind: i32,
    name: String,
    value: String,
    text: String,
    advanced: bool,
    private: bool,
    volatile: bool,
    safe: bool,
}

#[derive(Default)]
struct Recording {
    modules: Vec<Module>,
    configs: Vec<Config>,
    unknown: Vec<i32>,
}

unsafe fn text(p: usize) -> String {
    unsafe { CStr::from_ptr(p as *const c_char) }.to_string_lossy().into_owned()
}

/// A `vlc_set_cb`. It is variadic in C; on the x86-64 SysV ABI the first
/// integer/pointer variadic arguments arrive in the same registers as fixed
/// ones, so a fixed signature reads them (what VLC master's Rust tests do
/// through a shim). Floating-point values are never passed by smem.
unsafe extern "C" fn record(
    opaque: *mut c_void,
    target: *mut c_void,
    prop: c_int,
    a: usize,
    b: usize,
    c: usize,
) -> c_int {
    let _ = c;
    let rec = unsafe { &mut *(opaque as *mut Recording) };
    let is = |p: P| prop == p as c_int;
    unsafe {
        if is(P::VLC_MODULE_CREATE) {
            rec.modules.push(Module::default());
            *(a as *mut *mut c_void) = 0x1000 as *mut c_void;
        } else if is(P::VLC_CONFIG_CREATE) {
            rec.configs.push(Config { kind: a as c_int, ..Default::default() });
            *(b as *mut *mut c_void) = 0x2000 as *mut c_void;
        } else if !target.is_null() && target as usize == 0x1000 {
            let m = rec.modules.last_mut().unwrap();
            match prop {
                _ if is(P::VLC_MODULE_NAME) => m.name = text(a),
                _ if is(P::VLC_MODULE_SHORTNAME) => m.shortname = text(a),
                _ if is(P::VLC_MODULE_DESCRIPTION) => m.description = text(a),
                _ if is(P::VLC_MODULE_CAPABILITY) => m.capability = text(a),
                _ if is(P::VLC_MODULE_SCORE) => m.score = a as c_int,
                _ if is(P::VLC_MODULE_SHORTCUT) => {
                    let list = b as *const usize;
                    m.shortcuts = (0..a).map(|i| text(*list.add(i))).collect();
                }
                _ if is(P::VLC_MODULE_CB_OPEN) => {
                    m.open = b != 0 && text(a).starts_with("Open");
                    m.callback_names.push(text(a));
                }
                _ if is(P::VLC_MODULE_CB_CLOSE) => {
                    m.close = b != 0 && text(a).starts_with("Close");
                    m.callback_names.push(text(a));
                }
                _ => rec.unknown.push(prop),
            }
        } else if target as usize == 0x2000 {
            let c = rec.configs.last_mut().unwrap();
            match prop {
                _ if is(P::VLC_CONFIG_NAME) => c.name = text(a),
                _ if is(P::VLC_CONFIG_DESC) => c.text = text(a),
                _ if is(P::VLC_CONFIG_VALUE) => {
                    let string = [sys::CONFIG_ITEM_STRING, sys::CONFIG_ITEM_PASSWORD].contains(&(c.kind as u32));
                    c.value = if string { text(a) } else { (a as i64).to_string() }
                }
                _ if is(P::VLC_CONFIG_ADVANCED) => c.advanced = true,
                _ if is(P::VLC_CONFIG_PRIVATE) => c.private = true,
                _ if is(P::VLC_CONFIG_VOLATILE) => c.volatile = true,
                _ if is(P::VLC_CONFIG_SAFE) => c.safe = true,
                _ => rec.unknown.push(prop),
            }
        } else {
            rec.unknown.push(prop);
        }
    }
    0
}

type Entry = unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int;

fn symbol(lib: *mut c_void, name: &str) -> *mut c_void {
    let cname = std::ffi::CString::new(name).unwrap();
    let sym = unsafe { libc::dlsym(lib, cname.as_ptr()) };
    assert!(!sym.is_null(), "the plugin does not export {name}");
    sym
}

fn installed_suffix() -> String {
    let out = std::process::Command::new("pkg-config").args(["--variable=includedir", "vlc-plugin"]).output().unwrap();
    let dir = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let header = std::fs::read_to_string(format!("{dir}/vlc/plugins/vlc_plugin.h")).unwrap();
    let line = header.lines().find(|l| l.contains("define MODULE_SUFFIX")).unwrap();
    line.split('"').nth(1).unwrap().to_owned()
}

#[cfg(target_os = "linux")]
#[test]
fn the_built_plugin_registers_what_modules_txt_says() {
    let so = smem_testkit::plugin_dir().join("libsmem_rs_plugin.so");
    let cpath = std::ffi::CString::new(so.to_str().unwrap()).unwrap();
    let lib = unsafe { libc::dlopen(cpath.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    assert!(!lib.is_null(), "dlopen {} failed", so.display());

    let suffix = installed_suffix();
    assert_eq!(suffix, env!("VLC_MODULE_SUFFIX"));
    // The ABI's other name (Debian 13's VLC looks for ...t64) leads to the
    // same entry point.
    let twin = env!("VLC_MODULE_SUFFIX_TWIN");
    assert_eq!(twin.strip_suffix("t64").unwrap_or(&format!("{twin}t64")) == suffix, cfg!(target_pointer_width = "64"));
    for entry in ["vlc_entry", "vlc_entry_license", "vlc_entry_copyright"] {
        symbol(lib, &format!("{entry}{twin}"));
    }
    for meta in ["vlc_entry_license", "vlc_entry_copyright"] {
        let f: extern "C" fn() -> *const c_char =
            unsafe { std::mem::transmute(symbol(lib, &format!("{meta}{suffix}"))) };
        assert!(!unsafe { CStr::from_ptr(f()) }.to_bytes().is_empty());
    }
    let entry: Entry = unsafe { std::mem::transmute(symbol(lib, &format!("vlc_entry{suffix}"))) };
    let mut rec = Recording::default();
    let set: unsafe extern "C" fn(*mut c_void, *mut c_void, c_int, usize, usize, usize) -> c_int = record;
    assert_eq!(unsafe { entry(set as *mut c_void, &mut rec as *mut Recording as *mut c_void) }, 0);
    assert!(rec.unknown.is_empty(), "unexpected properties {:?}", rec.unknown);

    let listed: Vec<Vec<String>> = include_str!("../modules.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect();
    assert_eq!(rec.modules.len(), listed.len());
    for (n, (m, l)) in rec.modules.iter().zip(&listed).enumerate() {
        // Submodules keep the plugin's object name (VLC's add_submodule):
        // their own name is their shortcut.
        assert_eq!(if n == 0 { &m.name } else { &m.shortcuts[0] }, &l[0]);
        assert_eq!(m.capability, l[1]);
        assert_eq!(m.score.to_string(), l[2]);
        assert_eq!(m.shortcuts.join(","), l[3]);
        assert_eq!(m.description, l[4]);
        assert!(m.open && m.close, "Open/Close callbacks missing");
    }
    assert!(rec.modules[0].score > 0, "smem_rs must outrank the stock smem (0)");
    // An installed smem_mark once opened as smem: all three were "Open".
    let mut names: Vec<&String> = rec.modules.iter().flat_map(|m| &m.callback_names).collect();
    let count = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count, "two modules' callbacks share a name: {names:?}");

    // Category and subcategory first, then the stock module's seven options,
    // then ours.
    let kinds: Vec<i32> = rec.configs.iter().map(|c| c.kind).collect();
    assert_eq!(&kinds[..2], &[sys::CONFIG_CATEGORY as i32, sys::CONFIG_SUBCATEGORY as i32]);
    let options: Vec<(String, i32, String, bool, bool, bool)> = rec.configs[2..]
        .iter()
        .map(|c| (c.name.clone(), c.kind, c.value.clone(), c.private, c.volatile, c.safe))
        .collect();
    let string = sys::CONFIG_ITEM_STRING as i32;
    let volatile = |name: &str| (format!("sout-smem-{name}"), string, "0".to_owned(), true, true, false);
    let expected = vec![
        volatile("video-prerender-callback"),
        volatile("audio-prerender-callback"),
        volatile("video-postrender-callback"),
        volatile("audio-postrender-callback"),
        volatile("video-data"),
        volatile("audio-data"),
        ("sout-smem-time-sync".to_owned(), sys::CONFIG_ITEM_BOOL as i32, "1".to_owned(), true, false, false),
        ("sout-smem-queue".to_owned(), sys::CONFIG_ITEM_INTEGER as i32, "0".to_owned(), true, false, false),
        ("sout-smem-drop".to_owned(), string, "none".to_owned(), true, false, false),
        // add_bool sets no value for false.
        ("sout-smem-tune-allocator".to_owned(), sys::CONFIG_ITEM_BOOL as i32, String::new(), true, false, false),
        volatile("video-frame-callback"),
        volatile("audio-frame-callback"),
        ("sout-smem-max-held".to_owned(), sys::CONFIG_ITEM_INTEGER as i32, "16".to_owned(), true, false, false),
        ("sout-smem-realtime".to_owned(), sys::CONFIG_ITEM_BOOL as i32, String::new(), true, false, false),
        // smem_preroll's (media options an application sets with :start-time).
        ("smem-preroll-lead".to_owned(), sys::CONFIG_ITEM_INTEGER as i32, "0".to_owned(), true, true, false),
        ("smem-preroll-length".to_owned(), sys::CONFIG_ITEM_INTEGER as i32, "0".to_owned(), true, true, false),
    ];
    // smem_rtsp's, with live555's names where it had them (media options).
    let rtsp = vec![
        ("rtsp-tcp".to_owned(), sys::CONFIG_ITEM_BOOL as i32, "1".to_owned(), true, false, false),
        ("rtsp-user".to_owned(), string, String::new(), true, false, false),
        ("rtsp-pwd".to_owned(), sys::CONFIG_ITEM_PASSWORD as i32, String::new(), true, false, false),
        ("rtsp-connect-timeout".to_owned(), sys::CONFIG_ITEM_INTEGER as i32, "5000".to_owned(), true, false, false),
        ("rtsp-idle-timeout".to_owned(), sys::CONFIG_ITEM_INTEGER as i32, "10000".to_owned(), true, false, false),
        ("rtsp-reconnect".to_owned(), sys::CONFIG_ITEM_INTEGER as i32, "60000".to_owned(), true, false, false),
    ];
    let expected = if cfg!(feature = "rtsp") { [expected, rtsp].concat() } else { expected };
    assert_eq!(options, expected);

    // VLC finds an option's default by its name among every module's
    // options: a name another installed module declares too (stream_out_rtp
    // has an `rtsp-timeout` in seconds) gives either's, by load order. Only
    // the stock smem's names (with its defaults) and live555's are shared on
    // purpose (the Qt interface reads `rtsp-tcp` too).
    let shared_on_purpose = ["rtsp-tcp", "rtsp-user", "rtsp-pwd"];
    let twins = ["libstream_out_smem_plugin.so", "liblive555_plugin.so"];
    let dir = Command::new("pkg-config").args(["--variable=pluginsdir", "vlc-plugin"]).output().unwrap();
    let dir = String::from_utf8(dir.stdout).unwrap();
    let plugins = walk(std::path::Path::new(dir.trim()));
    assert!(plugins.len() > 100, "VLC's plugins not found in {dir}");
    let mut rtp_seen = false;
    for plugin in plugins.iter().filter(|p| {
        let name = p.file_name().unwrap().to_string_lossy();
        name.ends_with("_plugin.so") && !name.contains("smem_rs") && !twins.contains(&&*name)
    }) {
        let bytes = std::fs::read(plugin).unwrap();
        let strings: std::collections::HashSet<&[u8]> = bytes.split(|b| *b == 0).collect();
        rtp_seen |= strings.contains(&b"rtsp-timeout"[..]);
        for (name, ..) in options.iter().filter(|(name, ..)| !shared_on_purpose.contains(&name.as_str())) {
            assert!(!strings.contains(name.as_bytes()), "{} names an option `{name}` too", plugin.display());
        }
    }
    // The search finds a name a module declares.
    assert!(rtp_seen, "stream_out_rtp's rtsp-timeout not found in {dir}");
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
