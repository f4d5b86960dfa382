//! Builds every policy in bpf/ through modless's own BPF build against the
//! target kernel and the generated BPF header. The kernel may be the patched
//! one (bpf_oom_ops in its BTF, so in vmlinux.h) or a plain 7.3 (the header
//! brings the types; CO-RE matches them at load): the BTF says which.
//! Placeholders where this machine cannot build (see
//! `modless_bpf_build::BpfObjects`).

use modless_btf::Btf;
use std::path::Path;

fn patched(vmlinux: &Path) -> bool {
    Btf::from_file(vmlinux)
        .unwrap_or_else(|e| panic!("{}: {e}", vmlinux.display()))
        .find_struct("bpf_oom_ops")
        .is_ok()
}

fn main() {
    println!("cargo:rerun-if-changed=generated");
    let mut in_vmlinux = None;
    modless_bpf_build::BpfObjects::dir("bpf").build(|b, _, vmlinux| {
        let b = b.include("generated");
        if *in_vmlinux.get_or_insert_with(|| patched(vmlinux)) {
            b.define("BPF_OOM_TYPES_IN_VMLINUX", None)
        } else {
            b
        }
    });
}
