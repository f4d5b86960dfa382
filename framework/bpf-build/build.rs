//! Embeds libbpf's BPF-side headers from libbpf-sys's vendored copy.
//!
//! libbpf-sys declares `links = "bpf"` and prints `cargo:include=<OUT_DIR>/include`
//! after `make install`-ing libbpf's headers there, so Cargo hands every
//! direct dependent's build script `DEP_BPF_INCLUDE`. The headers are copied
//! into our OUT_DIR and `include_bytes!`-ed by `src/libbpf_headers.rs`, so
//! nothing under `~/.cargo` is needed at run time.

use std::env;
use std::fs;
use std::path::PathBuf;

/// Must match `src/libbpf_headers.rs`.
const HEADERS: [&str; 5] = [
    "bpf_helpers.h",
    "bpf_helper_defs.h",
    "bpf_tracing.h",
    "bpf_core_read.h",
    "bpf_endian.h",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEP_BPF_INCLUDE");
    let Some(include) = env::var_os("DEP_BPF_INCLUDE") else {
        panic!(
            "DEP_BPF_INCLUDE is not set: modless-bpf-build needs libbpf-sys as a direct \
             dependency with its (default) vendored-libbpf feature, which installs libbpf's headers"
        );
    };
    let src_dir = PathBuf::from(include).join("bpf");
    let out_dir =
        PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("libbpf-headers");
    fs::create_dir_all(&out_dir).expect("create OUT_DIR/libbpf-headers");
    for h in HEADERS {
        let from = src_dir.join(h);
        println!("cargo:rerun-if-changed={}", from.display());
        if let Err(e) = fs::copy(&from, out_dir.join(h)) {
            panic!(
                "cannot copy {} (from libbpf-sys's DEP_BPF_INCLUDE): {e}; is libbpf-sys built \
                 with vendored-libbpf?",
                from.display()
            );
        }
    }
}
