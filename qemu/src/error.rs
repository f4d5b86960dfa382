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

    #[error("{0} holds no *.patch file; give a patch file or a directory of a `git format-patch` series")]
    NoPatches(PathBuf),

    #[error(
        "kernel patch {patch} does not apply (nothing was built):\n{hunks}\n\
         `patch -p1 --fuzz=0` said:\n{output}\n\
         rebase the patch onto the kernel source the harness builds (Debian's linux-source)"
    )]
    PatchFailed {
        patch: PathBuf,
        /// The hunks that failed, one per line: `FILE: @@ ... @@ HEADER`.
        hunks: String,
        output: String,
    },

    #[error(
        "bad kernel config line `{0}`: write `CONFIG_NAME=value` or `# CONFIG_NAME is not set`"
    )]
    BadConfigLine(String),

    #[error(
        "the patched kernel's config lacks what was asked for it: {missing} (see {config}); \
         enable the options they depend on too (`--kernel-config`, a suite's [kernel] config)"
    )]
    ConfigAsked { missing: String, config: PathBuf },

    #[error("no kernel image at {0}: build the tree first (`make bzImage`)")]
    NoImage(PathBuf),

    #[error(
        "{what} {path} contains a space or control character, which modless cannot \
         hand to the guest (kernel command line, path list); use a path without one"
    )]
    BadPath { what: &'static str, path: PathBuf },

    #[error("{}: error: {msg}", file.display())]
    Matrix { file: PathBuf, msg: String },

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
