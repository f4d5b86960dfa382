//! Builds dombal.bpf.o and its deliberately broken twin (DOMBAL_BROKEN) for
//! the target kernel through modless's own BPF build, with the BPF header
//! `modless gen` made from sched_ext.toml (generated/) on the include path.
//! Without clang or a built kernel both are left as placeholders (see
//! `modless_bpf_build::write_placeholders`).

use modless_bpf_build::{build_script_vmlinux, write_placeholders, BpfBuild};
use std::path::PathBuf;

const OBJECTS: [(&str, Option<&str>); 2] = [
    ("dombal.bpf.o", None),
    ("dombal_broken.bpf.o", Some("DOMBAL_BROKEN")),
];

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=bpf");
    // generated/sched_ext.bpf.h: `modless gen sched_ext.toml` (tests/generated.rs
    // keeps it equal to the generator's output).
    println!("cargo:rerun-if-changed=generated/sched_ext.bpf.h");
    let vmlinux = match build_script_vmlinux() {
        Ok(v) => v,
        Err(why) => {
            let paths: Vec<PathBuf> = OBJECTS.iter().map(|(o, _)| out.join(o)).collect();
            return write_placeholders(&paths, &why);
        }
    };
    for (object, define) in OBJECTS {
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
