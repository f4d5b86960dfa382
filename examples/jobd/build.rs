//! Builds every BPF program in bpf/ against the target kernel and jobd's
//! generated BPF header, through modless's own BPF build. Without clang or
//! a built kernel the objects are left as placeholders (see
//! `modless_bpf_build::write_placeholders`).

use modless_bpf_build::{build_script_vmlinux, write_placeholders, BpfBuild};
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=bpf");
    let mut sources: Vec<PathBuf> = std::fs::read_dir("bpf")
        .expect("bpf/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".bpf.c"))
        .collect();
    sources.sort();
    let objects: Vec<PathBuf> = sources
        .iter()
        .map(|src| {
            let name = src.file_name().unwrap().to_string_lossy();
            out.join(name.replace(".bpf.c", ".bpf.o"))
        })
        .collect();
    let vmlinux = match build_script_vmlinux() {
        Ok(v) => v,
        Err(why) => return write_placeholders(&objects, &why),
    };
    for (src, object) in sources.iter().zip(&objects) {
        BpfBuild::new()
            .source(src)
            .vmlinux_btf(&vmlinux)
            .include("generated")
            .cache_dir(&out)
            .compile(object)
            .unwrap_or_else(|e| panic!("{e}"))
            .emit_rerun_if_changed();
    }
}
