//! Builds dombal.bpf.o for the target kernel through modless's own BPF
//! build, with the BPF header `modless gen` made from sched_ext.toml
//! (generated/) on the include path, and its typed skeleton. Without clang
//! or a built kernel the object is a placeholder and the crate builds
//! without the skeleton (see `modless_bpf_build::BpfObjects`).

fn main() {
    // generated/sched_ext.bpf.h: `modless gen sched_ext.toml` (tests/generated.rs
    // keeps it equal to the generator's output).
    println!("cargo:rerun-if-changed=generated/sched_ext.bpf.h");
    modless_bpf_build::BpfObjects::dir("bpf")
        .skeleton("dombal")
        .build(|b, _, _| {
            b.include("bpf")
                .include("generated")
                .warnings_as_errors(true)
        });
}
