//! Builds every BPF program in bpf/ against the target kernel and jobd's
//! generated BPF header, through modless's own BPF build.

use modless_bpf_build::{target_vmlinux, BpfBuild};
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let vmlinux = target_vmlinux().unwrap_or_else(|| {
        panic!(
            "no target kernel: run scripts/run-qemu.sh once (it builds the kernel) or set {}",
            modless_bpf_build::KERNEL_TREE_ENV
        )
    });
    println!(
        "cargo:rerun-if-env-changed={}",
        modless_bpf_build::KERNEL_TREE_ENV
    );
    println!("cargo:rerun-if-changed=bpf");
    let mut sources: Vec<PathBuf> = std::fs::read_dir("bpf")
        .expect("bpf/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".bpf.c"))
        .collect();
    sources.sort();
    for src in sources {
        let name = src
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".bpf.c", ".bpf.o");
        BpfBuild::new()
            .source(&src)
            .vmlinux_btf(&vmlinux)
            .include("generated")
            .cache_dir(&out)
            .compile(out.join(&name))
            .unwrap_or_else(|e| panic!("{e}"))
            .emit_rerun_if_changed();
    }
}
