use modless_bpf_build::BpfBuild;
use std::path::PathBuf;

fn main() {
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("smoke.bpf.o");
    let built = BpfBuild::new()
        .source("bpf/smoke.bpf.c")
        .no_vmlinux()
        // <linux/bpf.h> includes <asm/types.h>, which Debian keeps per architecture.
        .include("/usr/include/x86_64-linux-gnu")
        .compile(&out)
        .unwrap_or_else(|e| panic!("building bpf/smoke.bpf.c: {e}"));
    built.emit_rerun_if_changed();
}
