//! Puts the VLC plugin (smem-rs, built from this repository) into the
//! Python package, `smem_rs/plugins/`, where the package points VLC before
//! libvlc starts: `pip install ./python` alone is then enough, with no
//! `make install` and no root. `make wheel` hands it the plugin it built
//! (`SMEM_RS_PLUGIN`); otherwise it is built here.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = here.join("..");
    let plugins = here.join("smem_rs").join("plugins");
    for watched in ["src", "include", "build.rs", "wrapper.h", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    if !workspace.join("wrapper.h").exists() {
        // Not in the repository (an sdist): the plugin was put there already.
        assert!(plugins.join("libsmem_rs_plugin.so").exists(), "no VLC plugin in {}", plugins.display());
        return;
    }
    println!("cargo:rerun-if-env-changed=SMEM_RS_PLUGIN");
    if let Some(built) = std::env::var_os("SMEM_RS_PLUGIN") {
        // `make wheel`: the plugin `make build` made.
        std::fs::create_dir_all(&plugins).unwrap();
        copy(Path::new(&built), &plugins.join("libsmem_rs_plugin.so"));
        return;
    }
    let target = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("plugin");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--lib", "-p", "smem-rs", "--manifest-path"])
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cannot run cargo to build the VLC plugin");
    assert!(status.success(), "building the VLC plugin (smem-rs) failed");
    std::fs::create_dir_all(&plugins).unwrap();
    copy(&target.join("release").join("libsmem_rs_plugin.so"), &plugins.join("libsmem_rs_plugin.so"));
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{} -> {}: {e}", from.display(), to.display()));
}
