//! Compiles the loader's test objects (bpf/*.bpf.c against the target
//! kernel, bpf/jobd/*.bpf.c also against jobd's generated header,
//! bpf/jobd_next/*.bpf.c against the header modless-gen makes here from a
//! newer jobd declaration) with modless's own BPF build; tests and the guest
//! binary read them from OUT_DIR. Without clang or a built kernel they are
//! left as placeholders (see `modless_bpf_build::write_placeholders`).

use std::path::{Path, PathBuf};

/// `<dir>/jobd.bpf.h` from the declaration at `decl`, as `modless gen`
/// writes it: only files whose content changed. The header is generated, so
/// the objects built from it watch the declaration, not the header.
fn next_header(decl: &Path, dir: &Path) {
    println!("cargo:rerun-if-changed={}", decl.display());
    let d = modless_decl::load(decl).unwrap_or_else(|e| panic!("{}: {e}", decl.display()));
    let generated = modless_gen::generate(&d).unwrap_or_else(|e| panic!("{}: {e}", decl.display()));
    generated
        .write_to(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", decl.display()));
}

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=../../examples/jobd/generated/jobd.bpf.h");
    let next_include = out.join("jobd_next");
    next_header(Path::new("bpf/jobd_next/jobd.toml"), &next_include);
    // sched_ext's and jobd's types come from the target kernel's BTF.
    modless_bpf_build::BpfObjects::dir("bpf")
        .and_dir("bpf/jobd")
        .and_dir("bpf/jobd_next")
        .skeleton("kernel_enums")
        .build(|mut b, src, _| {
            let text = std::fs::read_to_string(src).unwrap_or_default();
            if text.contains("modless-build: no-vmlinux") {
                // <linux/bpf.h> includes <asm/types.h>, kept per architecture.
                b = b.no_vmlinux().include("/usr/include/x86_64-linux-gnu");
            }
            match src.parent().and_then(Path::file_name) {
                Some(d) if d == "jobd" => b.include("../../examples/jobd/generated"),
                Some(d) if d == "jobd_next" => b.include(&next_include),
                _ => b,
            }
        });
}
