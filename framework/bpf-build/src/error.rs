//! The crate's one error type.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Everything that can go wrong while compiling BPF C.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No clang binary could be run.
    #[error(
        "no usable clang found (tried: {}); BPF needs clang >= {min}: install the apt package \
         `clang-19`, or set {env} to a clang binary",
        tried.join(", "),
        min = crate::clang::MIN_CLANG_MAJOR,
        env = crate::clang::CLANG_ENV
    )]
    ClangNotFound {
        /// Candidates tried, with why each was rejected.
        tried: Vec<String>,
    },
    /// clang ran but failed to compile; `stderr` is clang's full output.
    #[error("clang failed to compile {source_file} ({status}):\n{stderr}\ncommand: {command}")]
    Compile {
        /// The BPF C source.
        source_file: PathBuf,
        /// clang's exit status.
        status: ExitStatus,
        /// clang's complete stderr (errors and warnings).
        stderr: String,
        /// The command line, shell-quoted.
        command: String,
    },
    /// No source file was given to the builder.
    #[error("no BPF C source given (call BpfBuild::source)")]
    NoSource,
    /// The source file does not exist.
    #[error("BPF C source {path} does not exist")]
    SourceMissing {
        /// The missing file.
        path: PathBuf,
    },
    /// Reading BTF or generating vmlinux.h failed.
    #[error(transparent)]
    Btf(#[from] modless_btf::BtfError),
    /// Reading or writing a cache or output file failed.
    #[error("cannot access {path}: {source}")]
    Cache {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A BPF object file could not be read as ELF.
    #[error(
        "cannot read BPF object {path}: {source} (rebuild it: is it a clang -target bpf output?)"
    )]
    ObjectOpen {
        /// The object file.
        path: PathBuf,
        /// Why it could not be read (I/O or not an ELF file).
        source: io::Error,
    },
}

/// Result alias for this crate.
pub type Result<T, E = BuildError> = std::result::Result<T, E>;
