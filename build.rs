//! Generates the VLC bindings from `wrapper.h` and derives the plugin ABI
//! suffix (`MODULE_SUFFIX`, e.g. `__3_0_0f`) from the installed `vlc_plugin.h`,
//! so the exported `vlc_entry*` symbols always match the VLC we build against.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn pkg_config(args: &[&str]) -> String {
    let out = Command::new("pkg-config")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run pkg-config ({e}); run `make deps` first"));
    if !out.status.success() {
        panic!(
            "pkg-config {} failed: {}\nThe VLC plugin headers are missing: run `make deps` \
             (installs Debian's libvlccore-dev).",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).expect("pkg-config printed non UTF-8")
}

/// Reads `# define MODULE_SUFFIX "__3_0_0f"` out of vlc_plugin.h.
/// The same plugin ABI under its other name. Debian 13's VLC 3.0 names its
/// ABI `3_0_0ft64` (the 64-bit time_t transition), Debian 12's `3_0_0f`;
/// where time_t was 64 bits already (64-bit architectures) the two are one
/// ABI, so the plugin answers to both and one build serves both releases.
/// Elsewhere the twin is the suffix itself (no second name).
fn twin_suffix(suffix: &str) -> String {
    let wide_time = env::var("CARGO_CFG_TARGET_POINTER_WIDTH").is_ok_and(|w| w == "64");
    match suffix.strip_suffix("t64") {
        _ if !wide_time => suffix.to_owned(),
        Some(base) => base.to_owned(),
        None => format!("{suffix}t64"),
    }
}

fn module_suffix(header: &Path) -> String {
    let text = std::fs::read_to_string(header).unwrap_or_else(|e| panic!("cannot read {}: {e}", header.display()));
    for line in text.lines() {
        let words: Vec<&str> = line.trim_start_matches(['#', ' ', '\t']).split_whitespace().collect();
        if let ["define", "MODULE_SUFFIX", value] = words.as_slice() {
            let suffix = value.trim_matches('"');
            assert!(
                suffix.starts_with("__") && suffix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "unexpected MODULE_SUFFIX {value:?} in {}",
                header.display()
            );
            return suffix.to_owned();
        }
    }
    panic!("no MODULE_SUFFIX in {}", header.display());
}

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=include/smem.h");
    // Held frames carry pointers to our hold/release functions: the library
    // must stay mapped after VLC unloads its plugins (libvlc_release).
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let cflags = pkg_config(&["--cflags", "vlc-plugin"]);
    let includes: Vec<PathBuf> =
        cflags.split_whitespace().filter_map(|f| f.strip_prefix("-I")).map(PathBuf::from).collect();
    let header = includes
        .iter()
        .map(|dir| dir.join("vlc_plugin.h"))
        .find(|p| p.exists())
        .expect("vlc_plugin.h not found in `pkg-config --cflags vlc-plugin`");
    println!("cargo:rerun-if-changed={}", header.display());

    let suffix = module_suffix(&header);
    println!("cargo:rustc-env=VLC_MODULE_SUFFIX={suffix}");
    let twin = twin_suffix(&suffix);
    println!("cargo:rustc-env=VLC_MODULE_SUFFIX_TWIN={twin}");
    println!("cargo::rustc-check-cfg=cfg(vlc_twin_abi)");
    if twin != suffix {
        println!("cargo:rustc-cfg=vlc_twin_abi");
    }

    for flag in pkg_config(&["--libs", "vlc-plugin"]).split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    }

    // A control's va_list read by the C compiler (see src/ffi/va_arg.h).
    cc::Build::new().file("src/ffi/va_arg.c").warnings(true).compile("smem_va_arg");
    println!("cargo:rerun-if-changed=src/ffi/va_arg.c");
    println!("cargo:rerun-if-changed=src/ffi/va_arg.h");

    let bindings = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(cflags.split_whitespace())
        .allowlist_type("vlc_set_cb")
        .allowlist_type("sout_stream_t")
        .allowlist_type("sout_instance_t")
        .allowlist_type("es_format_t")
        .allowlist_type("block_t")
        .allowlist_type("vlc_value_t")
        .allowlist_type("vlc_chroma_description_t")
        .allowlist_type("vlc_module_properties")
        .allowlist_type("es_format_category_e")
        .allowlist_type("vlc_log_type")
        .allowlist_type("demux_t")
        .allowlist_type("encoder_t")
        .allowlist_type("picture_t")
        .allowlist_function("picture_(NewFromFormat|Hold|Release)")
        .allowlist_function("block_(Init|Alloc)")
        .allowlist_type("input_thread_t")
        .allowlist_type("es_out_t")
        .allowlist_type("es_out_query_e")
        .allowlist_type("demux_query_e")
        .allowlist_function("demux_vaControl")
        .allowlist_function("module_(get_object|exists)")
        .allowlist_function("smem_rs_va_next_(i64|ptr)")
        .allowlist_function("smem_rs_control_(i64|none)")
        .allowlist_function("es_format_(Init|Clean)")
        .allowlist_type("smem_control_fn")
        .allowlist_function("vlc_Log")
        .allowlist_function("vlc_object_(hold|release)")
        .allowlist_function("var_Create")
        .allowlist_function("var_Destroy")
        .allowlist_function("var_GetChecked")
        .allowlist_function("var_SetChecked")
        .allowlist_function("var_Inherit")
        .allowlist_function("config_ChainParse")
        .allowlist_function("vlc_fourcc_GetChromaDescription")
        .allowlist_function("aout_BitsPerSample")
        .allowlist_function("mdate")
        .allowlist_var("VLC_(SUCCESS|EGENERIC|ENOMEM|ETIMEOUT)")
        .allowlist_var("VLC_VAR_(STRING|BOOL|INTEGER|FLOAT|DOINHERIT)")
        .allowlist_var("CONFIG_ITEM_(STRING|BOOL|INTEGER|PASSWORD)|CONFIG_(CATEGORY|SUBCATEGORY)")
        .allowlist_var("CAT_SOUT|SUBCAT_SOUT_STREAM|CAT_INPUT|SUBCAT_INPUT_DEMUX|SUBCAT_INPUT_VCODEC")
        .allowlist_var("BLOCK_FLAG_(TYPE_I|DISCONTINUITY|CORRUPTED|PREROLL|TOP_FIELD_FIRST|BOTTOM_FIELD_FIRST)")
        .allowlist_var("SUBCAT_INPUT_ACCESS")
        .allowlist_type("smem_.*")
        .allowlist_var("SMEM_.*")
        .rustified_enum("vlc_module_properties")
        .derive_debug(false)
        .layout_tests(true)
        .generate_comments(false)
        .generate()
        .expect("bindgen failed on wrapper.h");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("vlc_bindings.rs");
    bindings.write_to_file(&out).expect("cannot write bindings");
}
