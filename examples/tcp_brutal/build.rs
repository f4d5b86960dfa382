//! Builds bpf/brutal.bpf.c against the target kernel through modless's own
//! BPF build; the guest tests hand the object to `modless load`. Without
//! clang or a built kernel it is left as a placeholder (see
//! `modless_bpf_build::write_placeholders`).

use modless_bpf_build::{build_script_vmlinux, write_placeholders, BpfBuild};
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let object = out.join("brutal.bpf.o");
    println!("cargo:rerun-if-changed=bpf");
    let vmlinux = match build_script_vmlinux() {
        Ok(v) => v,
        Err(why) => return write_placeholders(&[object], &why),
    };
    BpfBuild::new()
        .source("bpf/brutal.bpf.c")
        .vmlinux_btf(&vmlinux)
        .cache_dir(&out)
        .compile(&object)
        .unwrap_or_else(|e| panic!("{e}"))
        .emit_rerun_if_changed();
}
