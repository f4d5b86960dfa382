//! Compiles the loader's test objects (bpf/*.bpf.c against the target
//! kernel, bpf/jobd/*.bpf.c also against jobd's generated header,
//! bpf/jobd_next/*.bpf.c against the header modless-gen makes here from a
//! newer jobd declaration) with modless's own BPF build; tests and the guest
//! binary read them from OUT_DIR. Without clang or a built kernel they are
//! left as placeholders (see `modless_bpf_build::write_placeholders`).

use modless_bpf_build::{build_script_vmlinux, write_placeholders, BpfBuild};
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

/// `<dir>/jobd.bpf.h` from the declaration at `decl`, as `modless gen`
/// writes it: only files whose content changed, since the objects built from
/// the header report it as an input (rewriting it would keep this script stale).
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
    println!("cargo:rerun-if-changed=bpf");
    println!("cargo:rerun-if-changed=../../examples/jobd/generated/jobd.bpf.h");
    let jobd_include = PathBuf::from("../../examples/jobd/generated");
    let next_include = out.join("jobd_next");
    let dirs = [
        ("bpf", None),
        ("bpf/jobd", Some(jobd_include)),
        ("bpf/jobd_next", Some(next_include.clone())),
    ];
    let objects: Vec<(PathBuf, Option<PathBuf>, PathBuf)> = dirs
        .into_iter()
        .flat_map(|(dir, include)| {
            let out = &out;
            sources(dir).into_iter().map(move |src| {
                let name = src.file_name().unwrap().to_string_lossy();
                let object = out.join(name.replace(".bpf.c", ".bpf.o"));
                (src, include.clone(), object)
            })
        })
        .collect();
    // sched_ext's and jobd's types come from the target kernel's BTF.
    let vmlinux = match build_script_vmlinux() {
        Ok(v) => v,
        Err(why) => {
            let paths: Vec<PathBuf> = objects.iter().map(|(_, _, o)| o.clone()).collect();
            return write_placeholders(&paths, &why);
        }
    };
    next_header(Path::new("bpf/jobd_next/jobd.toml"), &next_include);
    for (src, include, object) in &objects {
        let mut b = BpfBuild::new().source(src).cache_dir(&out);
        let text = std::fs::read_to_string(src).unwrap_or_default();
        if text.contains("modless-build: no-vmlinux") {
            // <linux/bpf.h> includes <asm/types.h>, kept per architecture.
            b = b.no_vmlinux().include("/usr/include/x86_64-linux-gnu");
        } else {
            b = b.vmlinux_btf(&vmlinux);
        }
        if let Some(i) = include {
            b = b.include(i);
        }
        b.compile(object)
            .unwrap_or_else(|e| panic!("building {}: {e}", src.display()))
            .emit_rerun_if_changed();
    }
}
