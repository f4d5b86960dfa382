//! Compiles the loader's test objects (bpf/*.bpf.c against the target
//! kernel, bpf/jobd/*.bpf.c also against jobd's generated header,
//! bpf/jobd_next/*.bpf.c against the header modless-gen makes here from a
//! newer jobd declaration) with modless's own BPF build; tests and the guest
//! binary embed them from OUT_DIR.

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

/// `<dir>/jobd.bpf.h` from the declaration at `decl`, as `modless gen` writes it.
fn next_header(decl: &Path, dir: &Path) {
    println!("cargo:rerun-if-changed={}", decl.display());
    let d = modless_decl::load(decl).unwrap_or_else(|e| panic!("{}: {e}", decl.display()));
    let generated = modless_gen::generate(&d).unwrap_or_else(|e| panic!("{}: {e}", decl.display()));
    std::fs::create_dir_all(dir).unwrap();
    let header = generated.get("jobd.bpf.h").expect("a BPF header");
    std::fs::write(dir.join("jobd.bpf.h"), header).unwrap();
}

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-env-changed={KERNEL_TREE_ENV}");
    println!("cargo:rerun-if-changed=bpf");
    println!("cargo:rerun-if-changed=../../examples/jobd/generated/jobd.bpf.h");
    // The harness kernel's BTF when it is built; else the running kernel's.
    let vmlinux = target_vmlinux();
    let jobd_include = PathBuf::from("../../examples/jobd/generated");
    let next_include = out.join("jobd_next");
    next_header(Path::new("bpf/jobd_next/jobd.toml"), &next_include);
    for (dir, include) in [
        ("bpf", None),
        ("bpf/jobd", Some(jobd_include)),
        ("bpf/jobd_next", Some(next_include)),
    ] {
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
            if let Some(i) = &include {
                b = b.include(i);
            }
            b.compile(out.join(&name))
                .unwrap_or_else(|e| panic!("building {}: {e}", src.display()))
                .emit_rerun_if_changed();
        }
    }
}
