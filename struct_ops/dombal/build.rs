//! Builds dombal.bpf.o and its deliberately broken twin (DOMBAL_BROKEN) for
//! the target kernel through modless's own BPF build, with the BPF header
//! `modless gen` made from sched_ext.toml (generated/) on the include path.

use modless_bpf_build::{target_vmlinux, BpfBuild, KERNEL_TREE_ENV};
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let vmlinux = target_vmlinux().unwrap_or_else(|| {
        panic!(
            "no target kernel to build dombal.bpf.c against: run scripts/run-qemu.sh once \
             (it builds the 7.3 kernel) or set {KERNEL_TREE_ENV} to a built tree"
        )
    });
    println!("cargo:rerun-if-env-changed={KERNEL_TREE_ENV}");
    println!("cargo:rerun-if-changed=bpf");
    // generated/sched_ext.bpf.h: `modless gen sched_ext.toml` (tests/generated.rs
    // keeps it equal to the generator's output).
    println!("cargo:rerun-if-changed=generated/sched_ext.bpf.h");
    for (object, define) in [
        ("dombal.bpf.o", None),
        ("dombal_broken.bpf.o", Some("DOMBAL_BROKEN")),
    ] {
        let mut build = BpfBuild::new()
            .source("bpf/dombal.bpf.c")
            .include("bpf")
            .include("generated")
            .vmlinux_btf(&vmlinux)
            .cache_dir(&out)
            .warnings_as_errors(true);
        if let Some(name) = define {
            build = build.define(name, None);
        }
        build
            .compile(out.join(object))
            .unwrap_or_else(|e| panic!("building {object}: {e}"))
            .emit_rerun_if_changed();
    }
}
