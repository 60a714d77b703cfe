//! The freshly built plugin in a folder of its own, for VLC_PLUGIN_PATH
//! (VLC loads only `*_plugin.so`, and scans folders recursively). Shared by
//! the plugin's tests and the client library's.

use std::path::{Path, PathBuf};

/// Copies `<profile_dir>/libsmem_rs_plugin.so` into `<profile_dir>/<folder>`
/// and returns that folder.
pub fn copy_plugin(profile_dir: &Path, folder: &str) -> PathBuf {
    let built = profile_dir.join("libsmem_rs_plugin.so");
    assert!(built.exists(), "{} is not built: run `cargo build --workspace` (or `make test`) first", built.display());
    let dir = profile_dir.join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    // Copy then rename: test binaries running at once never see half a file.
    let tmp = dir.join(format!("libsmem_rs_plugin.so.tmp{}", std::process::id()));
    std::fs::copy(&built, &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("libsmem_rs_plugin.so")).unwrap();
    dir
}
