//! `BpfObjects`: the build script of a crate that embeds its BPF programs.
//! Every `<dir>/*.bpf.c` becomes `OUT_DIR/<name>.bpf.o` against the target
//! kernel (placeholders where this machine cannot build them), and the
//! objects asked for get a typed skeleton, `OUT_DIR/<name>.skel.rs`.

use std::path::{Path, PathBuf};

use crate::build_script::{build_script_vmlinux, write_placeholders};
use crate::compile::BpfBuild;

/// The cfg set when the objects (and skeletons) were really built: code
/// that includes a skeleton is `#[cfg(modless_bpf_objects)]`, so the crate
/// still builds where clang or the kernel is missing.
pub const OBJECTS_CFG: &str = "modless_bpf_objects";

/// The BPF programs of a crate, built from its build script.
///
/// ```no_run
/// // build.rs (with feature `skeleton`, `.skeleton("trace")` before
/// // `.build` also writes OUT_DIR/trace.skel.rs)
/// modless_bpf_build::BpfObjects::dir("bpf").build(|b, _src, _vmlinux| b.include("generated"));
/// ```
#[derive(Debug, Clone)]
pub struct BpfObjects {
    sources: Vec<PathBuf>,
    skeletons: Vec<String>,
    out: PathBuf,
}

/// The `.bpf.c` files of `dir`, sorted.
pub fn bpf_sources(dir: impl AsRef<Path>) -> Vec<PathBuf> {
    let dir = dir.as_ref();
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".bpf.c"))
        .collect();
    v.sort();
    v
}

/// `prog` of `dir/prog.bpf.c`.
fn stem(src: &Path) -> String {
    let name = src.file_name().unwrap_or_default().to_string_lossy();
    name.strip_suffix(".bpf.c").unwrap_or(&name).to_string()
}

impl BpfObjects {
    /// Every `.bpf.c` of `dir`; cargo reruns the script when `dir` changes.
    pub fn dir(dir: impl AsRef<Path>) -> Self {
        let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        println!("cargo::rustc-check-cfg=cfg({OBJECTS_CFG})");
        Self {
            sources: Vec::new(),
            skeletons: Vec::new(),
            out,
        }
        .and_dir(dir)
    }

    /// Adds every `.bpf.c` of another directory.
    pub fn and_dir(mut self, dir: impl AsRef<Path>) -> Self {
        println!("cargo:rerun-if-changed={}", dir.as_ref().display());
        self.sources.extend(bpf_sources(dir));
        self
    }

    /// Generates a typed skeleton for `name` (`bpf/<name>.bpf.c`) with
    /// libbpf-cargo: `include!(concat!(env!("OUT_DIR"), "/<name>.skel.rs"))`.
    #[cfg(feature = "skeleton")]
    pub fn skeleton(mut self, name: &str) -> Self {
        self.skeletons.push(name.to_string());
        self
    }

    /// `OUT_DIR/<name>.bpf.o` for each source, in source order.
    pub fn objects(&self) -> Vec<PathBuf> {
        self.sources.iter().map(|s| self.object(s)).collect()
    }

    fn object(&self, src: &Path) -> PathBuf {
        self.out.join(format!("{}.bpf.o", stem(src)))
    }

    /// Compiles every source with `configure(build, source, vmlinux)` on top
    /// of the target kernel's vmlinux.h and OUT_DIR as cache; returns whether
    /// the objects are real (else placeholders, and [`OBJECTS_CFG`] unset).
    pub fn build(self, mut configure: impl FnMut(BpfBuild, &Path, &Path) -> BpfBuild) -> bool {
        if let Some(missing) = self
            .skeletons
            .iter()
            .find(|n| !self.sources.iter().any(|s| stem(s) == **n))
        {
            panic!("skeleton {missing:?}: no {missing}.bpf.c among the sources");
        }
        let vmlinux = match build_script_vmlinux() {
            Ok(v) => v,
            Err(why) => {
                write_placeholders(&self.objects(), &why);
                return false;
            }
        };
        for src in &self.sources {
            let object = self.object(src);
            let build = BpfBuild::new()
                .source(src)
                .vmlinux_btf(&vmlinux)
                .cache_dir(&self.out);
            configure(build, src, &vmlinux)
                .compile(&object)
                .unwrap_or_else(|e| panic!("building {}: {e}", src.display()))
                .emit_rerun_if_changed();
        }
        self.generate_skeletons();
        println!("cargo::rustc-cfg={OBJECTS_CFG}");
        true
    }

    #[cfg(feature = "skeleton")]
    fn generate_skeletons(&self) {
        for name in &self.skeletons {
            let object = self.out.join(format!("{name}.bpf.o"));
            let skel = self.out.join(format!("{name}.skel.rs"));
            libbpf_cargo::SkeletonBuilder::new()
                .obj(&object)
                .reference_obj(true)
                .generate(&skel)
                .unwrap_or_else(|e| panic!("skeleton of {}: {e:#}", object.display()));
        }
    }

    #[cfg(not(feature = "skeleton"))]
    fn generate_skeletons(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_the_sorted_bpf_c_files() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["b.bpf.c", "a.bpf.c", "c.c", "d.bpf.h"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let names: Vec<String> = bpf_sources(dir.path()).iter().map(|p| stem(p)).collect();
        assert_eq!(names, ["a", "b"]);
    }
}
