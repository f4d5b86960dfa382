//! Generates everything a subsystem needs to be BPF-extensible from a
//! validated [`Declaration`]:
//!
//! ```text
//! Declaration --generate--> Generated
//!   <sub>_bpf.h      ops struct, shared types, call path, kfunc/hook prototypes
//!   <sub>_bpf.c      struct_ops registration, verifier ops, kfunc sets + filter,
//!                    hook sites, <sub>_bpf_init()
//!   <sub>_bpf.kbuild / <sub>_bpf.kconfig   build snippets
//!   <sub>.bpf.h      for BPF programs: types, ksym externs, definition macros
//!   <sub>_bpf.rs     for Rust loaders: names, typed ops data over a skeleton
//! ```
//!
//! With `[subsystem.in_tree]` the kernel source is built in: the `.c` goes
//! to `<dir>/<sub>.c` and registers from a `late_initcall`, the header to
//! `include/linux/<sub>.h`, the snippets are `<dir>`'s Kconfig entry and
//! Makefile line, and [`in_tree_patch`] turns it all into one patch.
//!
//! Output depends only on the declaration (and its file name), so it is
//! byte-for-byte reproducible.

mod banner;
mod bpf_compat;
mod bpf_header;
mod kbuild;
mod kernel_c;
mod kernel_h;
mod patch;
mod rust;

pub use patch::{in_tree_patch, Author, TreeFiles};

use std::path::{Path, PathBuf};

use modless_decl::{DeclErrors, Declaration};
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GenError {
    #[error("{0}")]
    Invalid(#[from] DeclErrors),
    #[error("a patch against a kernel tree needs in-tree emission; add a [subsystem.in_tree] table (dir, config) to the declaration")]
    NotInTree,
    #[error("{path} already has {what}; generate the patch against a tree without it (e.g. before an earlier patch of this declaration was applied)")]
    TreeHas { path: String, what: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One generated file, path relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub contents: String,
}

/// All files generated from one declaration, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub files: Vec<Artifact>,
}

impl Generated {
    pub fn get(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|a| a.path == path)
            .map(|a| a.contents.as_str())
    }

    /// Writes every file under `dir` (created if missing) whose content
    /// differs from what is there, and returns the paths it wrote. Unchanged
    /// files keep their mtime, so builds that track them (cargo, make) stay
    /// fresh.
    pub fn write_to(&self, dir: &Path) -> Result<Vec<PathBuf>, GenError> {
        std::fs::create_dir_all(dir).map_err(|source| GenError::Io {
            path: dir.into(),
            source,
        })?;
        let mut written = Vec::new();
        for a in &self.files {
            let path = dir.join(&a.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| GenError::Io {
                    path: parent.into(),
                    source,
                })?;
            }
            match write_if_changed(&path, a.contents.as_bytes()) {
                Ok(true) => written.push(path),
                Ok(false) => {}
                Err(source) => return Err(GenError::Io { path, source }),
            }
        }
        Ok(written)
    }
}

/// Writes `contents` to `path` unless it already holds exactly that;
/// returns whether it wrote.
fn write_if_changed(path: &Path, contents: &[u8]) -> std::io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    std::fs::write(path, contents)?;
    Ok(true)
}

/// The file names generated for subsystem `sub`.
pub fn file_names(sub: &str) -> [String; 6] {
    [
        format!("{sub}_bpf.h"),
        format!("{sub}_bpf.c"),
        format!("{sub}_bpf.kbuild"),
        format!("{sub}_bpf.kconfig"),
        format!("{sub}.bpf.h"),
        format!("{sub}_bpf.rs"),
    ]
}

/// The file names generated for a declaration: [`file_names`], or with
/// `[subsystem.in_tree]` the kernel source at its place in the tree
/// (`<dir>/<sub>.c`, `include/linux/<sub>.h`) and the rest as before.
pub fn files_of(decl: &Declaration) -> [String; 6] {
    let sub = &decl.subsystem.name;
    let mut names = file_names(sub);
    if let Some(t) = decl.in_tree() {
        names[0] = format!("include/linux/{sub}.h");
        names[1] = format!("{}/{sub}.c", t.dir);
    }
    names
}

/// Validates `decl` and generates its artifacts.
pub fn generate(decl: &Declaration) -> Result<Generated, GenError> {
    decl.validate()?;
    Ok(generate_unchecked(decl))
}

/// Generates without validating; output for an invalid declaration is
/// unspecified (but this never panics).
pub fn generate_unchecked(decl: &Declaration) -> Generated {
    let [h, c, kb, kc, bh, rs] = files_of(decl);
    let files = vec![
        Artifact {
            path: h,
            contents: kernel_h::emit(decl),
        },
        Artifact {
            path: c,
            contents: kernel_c::emit(decl),
        },
        Artifact {
            path: kb,
            contents: kbuild::kbuild(decl),
        },
        Artifact {
            path: kc,
            contents: kbuild::kconfig(decl),
        },
        Artifact {
            path: bh,
            contents: bpf_header::emit(decl),
        },
        Artifact {
            path: rs,
            contents: rust::emit(decl),
        },
    ];
    Generated { files }
}
