//! Builds bpf/brutal.bpf.c against the target kernel through modless's own
//! BPF build; the guest tests hand the object to `modless load`.

use modless_bpf_build::{target_vmlinux, BpfBuild, KERNEL_TREE_ENV};
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let vmlinux = target_vmlinux().unwrap_or_else(|| {
        panic!("no target kernel: run scripts/run-qemu.sh once (it builds the kernel) or set {KERNEL_TREE_ENV}")
    });
    println!("cargo:rerun-if-env-changed={KERNEL_TREE_ENV}");
    println!("cargo:rerun-if-changed=bpf");
    BpfBuild::new()
        .source("bpf/brutal.bpf.c")
        .vmlinux_btf(&vmlinux)
        .cache_dir(&out)
        .compile(out.join("brutal.bpf.o"))
        .unwrap_or_else(|e| panic!("{e}"))
        .emit_rerun_if_changed();
}
