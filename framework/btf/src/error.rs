//! The crate's one error type.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong while reading, querying or dumping BTF.
///
/// Each variant names the BTF source it is about, and carries libbpf's
/// error (libbpf reports failures through `errno`) where libbpf failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BtfError {
    /// libbpf could not parse the file as BTF (raw or ELF).
    #[error("cannot read BTF from {path}: {source}")]
    Parse {
        /// The BTF file (raw BTF, vmlinux or a `.ko`).
        path: PathBuf,
        /// libbpf's error (from errno).
        source: io::Error,
    },
    /// The path cannot be passed to C (it contains a NUL byte).
    #[error("path {path:?} contains a NUL byte")]
    PathHasNul {
        /// The offending path.
        path: PathBuf,
    },
    /// A name cannot be passed to C (it contains a NUL byte).
    #[error("name {name:?} contains a NUL byte")]
    NameHasNul {
        /// The offending name.
        name: String,
    },
    /// No type of the wanted kind has this name.
    #[error("no {kind} named `{name}` in BTF {path}")]
    NotFound {
        /// What was looked for, e.g. "struct" or "func".
        kind: &'static str,
        /// The name looked for.
        name: String,
        /// The BTF searched.
        path: PathBuf,
    },
    /// libbpf's `btf_dump` failed.
    #[error("btf_dump of {path} failed ({what}): {source}")]
    Dump {
        /// The BTF being dumped.
        path: PathBuf,
        /// Which step failed.
        what: String,
        /// libbpf's error.
        source: io::Error,
    },
    /// Writing a generated header failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T, E = BtfError> = std::result::Result<T, E>;
