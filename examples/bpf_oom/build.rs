//! Builds every policy in bpf/ through modless's own BPF build against the
//! target kernel and the generated BPF header. The kernel may be the patched
//! one (bpf_oom_ops in its BTF, so in vmlinux.h) or a plain 7.3 (the header
//! brings the types; CO-RE matches them at load): the BTF says which.
//! Without clang or a built kernel the objects are left as placeholders
//! (see `modless_bpf_build::write_placeholders`).

use modless_bpf_build::{build_script_vmlinux, write_placeholders, BpfBuild};
use modless_btf::Btf;
use std::path::{Path, PathBuf};

fn patched(vmlinux: &Path) -> bool {
    Btf::from_file(vmlinux)
        .unwrap_or_else(|e| panic!("{}: {e}", vmlinux.display()))
        .find_struct("bpf_oom_ops")
        .is_ok()
}

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=bpf");
    println!("cargo:rerun-if-changed=generated");
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
    let in_vmlinux = patched(&vmlinux);
    for (src, object) in sources.iter().zip(&objects) {
        let mut build = BpfBuild::new()
            .source(src)
            .vmlinux_btf(&vmlinux)
            .include("generated")
            .cache_dir(&out);
        if in_vmlinux {
            build = build.define("BPF_OOM_TYPES_IN_VMLINUX", None);
        }
        build
            .compile(object)
            .unwrap_or_else(|e| panic!("{e}"))
            .emit_rerun_if_changed();
    }
}
