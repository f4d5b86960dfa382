//! Errors of the harness itself (not of the tests it runs: those are results).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "kernel source {tarball} is missing; install it with `{install}` \
         (scripts/run-qemu.sh does this when run as root)"
    )]
    SourceMissing { tarball: PathBuf, install: String },

    #[error("kernel build step `{step}` failed (full log: {log}):\n{tail}")]
    BuildFailed {
        step: String,
        log: PathBuf,
        tail: String,
    },

    #[error(
        "the kernel config lacks options modless needs: {missing}\n\
         (fragment: {fragment}; the {version} tree may not have them)"
    )]
    ConfigMissing {
        missing: String,
        fragment: PathBuf,
        version: String,
    },

    #[error("no kernel image at {0}: build the tree first (`make bzImage`)")]
    NoImage(PathBuf),

    #[error(
        "{what} {path} contains a space or control character, which modless cannot \
         hand to the guest (kernel command line, path list); use a path without one"
    )]
    BadPath { what: &'static str, path: PathBuf },

    #[error("bad topology: {0}")]
    Topology(String),

    #[error("`{0}` not found on PATH; install it with `{1}`")]
    ToolMissing(String, String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T> = std::result::Result<T, Error>;

/// Attaches what was being done to an I/O error.
pub trait IoContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            context: context(),
            source,
        })
    }
}
