//! For build scripts that embed BPF objects: build them when this machine
//! can, and otherwise leave empty placeholders, so that the crate and its
//! pure tests build anywhere (`cargo test` without a kernel or clang) and
//! whatever needs an object says so when it runs (an empty object is a
//! placeholder).

use std::path::PathBuf;

use crate::clang::Clang;
use crate::target_kernel::{target_vmlinux, KERNEL_TREE_ENV};

/// The target kernel's `vmlinux` to build against, once clang is known to
/// be there; `Err` says what is missing and how to get it.
pub fn build_script_vmlinux() -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed={KERNEL_TREE_ENV}");
    if let Err(e) = Clang::find(None) {
        return Err(format!("{e}"));
    }
    target_vmlinux().ok_or_else(|| {
        format!(
            "no built target kernel: scripts/run-qemu.sh builds it (or set {KERNEL_TREE_ENV} \
             to a built tree)"
        )
    })
}

/// Writes an empty placeholder at each of `objects`, says why once as a
/// cargo warning, and makes cargo run the build script again on the next
/// build (its rerun path does not exist), so that the real objects are
/// built as soon as the machine can.
pub fn write_placeholders(objects: &[PathBuf], why: &str) {
    println!(
        "cargo:warning=BPF objects left empty ({why}); what loads them fails until they are \
         built, and tests that need them are left for scripts/test.sh"
    );
    for o in objects {
        if let Some(dir) = o.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(o, b"").unwrap_or_else(|e| panic!("{}: {e}", o.display()));
    }
    let out = std::env::var_os("OUT_DIR").map_or_else(PathBuf::new, PathBuf::from);
    println!(
        "cargo:rerun-if-changed={}",
        out.join("no-bpf-objects-yet").display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_paths_are_written_empty() {
        let dir = tempfile::tempdir().unwrap();
        let o = dir.path().join("sub/x.bpf.o");
        write_placeholders(std::slice::from_ref(&o), "test");
        assert_eq!(std::fs::read(&o).unwrap(), b"");
    }
}
