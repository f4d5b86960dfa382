//! Compiles the loader's test objects (bpf/*.bpf.c against the target
//! kernel, bpf/jobd/*.bpf.c also against jobd's generated header) with
//! modless's own BPF build; tests and the guest binary embed them from OUT_DIR.

use modless_bpf_build::{target_vmlinux, BpfBuild, KERNEL_TREE_ENV};
use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".bpf.c"))
        .collect();
    v.sort();
    v
}

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-env-changed={KERNEL_TREE_ENV}");
    println!("cargo:rerun-if-changed=bpf");
    println!("cargo:rerun-if-changed=../../examples/jobd/generated/jobd.bpf.h");
    // The harness kernel's BTF when it is built; else the running kernel's.
    let vmlinux = target_vmlinux();
    let jobd_include = Path::new("../../examples/jobd/generated");
    for (dir, include) in [("bpf", None), ("bpf/jobd", Some(jobd_include))] {
        for src in sources(dir) {
            let name = src
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(".bpf.c", ".bpf.o");
            let mut b = BpfBuild::new().source(&src).cache_dir(&out);
            let text = std::fs::read_to_string(&src).unwrap_or_default();
            if text.contains("modless-build: no-vmlinux") {
                // <linux/bpf.h> includes <asm/types.h>, kept per architecture.
                b = b.no_vmlinux().include("/usr/include/x86_64-linux-gnu");
            } else if let Some(v) = &vmlinux {
                b = b.vmlinux_btf(v);
            }
            if let Some(i) = include {
                b = b.include(i);
            }
            b.compile(out.join(&name))
                .unwrap_or_else(|e| panic!("building {}: {e}", src.display()))
                .emit_rerun_if_changed();
        }
    }
}
