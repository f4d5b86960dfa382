//! Builds every BPF program in bpf/ against the target kernel and jobd's
//! generated BPF header, and trace.bpf.o's typed skeleton, through
//! modless's own BPF build (placeholders where this machine cannot: see
//! `modless_bpf_build::BpfObjects`).

fn main() {
    modless_bpf_build::BpfObjects::dir("bpf")
        .skeleton("trace")
        .skeleton("policy")
        .skeleton("race")
        .skeleton("bench")
        .skeleton("idle")
        .build(|b, _, _| b.include("generated"));
}
