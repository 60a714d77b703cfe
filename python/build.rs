//! Puts the VLC plugin (smem-rs, built from this repository) into the
//! Python package, `smem_rs/plugins/`, where the package points VLC before
//! libvlc starts: `pip install ./python` alone is then enough, with no
//! `make install` and no root. `make wheel` hands it the plugin it built
//! (`SMEM_RS_PLUGIN`); otherwise it is built here: from the repository, or
//! in an sdist from the plugin's sources `make wheels` put in `plugin/`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = here.join("..");
    // The Python package: beside this crate in the repository, at the
    // sdist's top in an sdist (maturin moves pyproject.toml there).
    let package = [here.join("smem_rs"), workspace.join("smem_rs")]
        .into_iter()
        .find(|p| p.join("__init__.py").exists())
        .expect("the smem_rs Python package beside the crate or above it");
    let plugins = package.join("plugins");
    for watched in ["src", "include", "build.rs", "wrapper.h", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=SMEM_RS_PLUGIN");
    // Built for another target since (`make wheels` builds aarch64 too):
    // the package's copy is made again for this one.
    println!("cargo:rerun-if-changed={}", plugins.join("libsmem_rs_plugin.so").display());
    if let Some(built) = std::env::var_os("SMEM_RS_PLUGIN") {
        // `make wheel`: the plugin `make build` made.
        println!("cargo:rerun-if-changed={}", Path::new(&built).display());
        std::fs::create_dir_all(&plugins).unwrap();
        copy(Path::new(&built), &plugins.join("libsmem_rs_plugin.so"));
        return;
    }
    // The repository's plugin crate, or the copy an sdist carries.
    let manifest = if workspace.join("wrapper.h").exists() {
        workspace.join("Cargo.toml")
    } else if workspace.join("plugin").join("wrapper.h").exists() {
        // An sdist: maturin puts the staged plugin/ at its top, beside python/.
        workspace.join("plugin").join("Cargo.toml")
    } else {
        assert!(plugins.join("libsmem_rs_plugin.so").exists(), "no VLC plugin in {}", plugins.display());
        return;
    };
    let target = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("plugin");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--lib", "-p", "smem-rs", "--manifest-path"])
        .arg(&manifest)
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
