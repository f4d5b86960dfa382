//! Import errors; each says what to do.

use std::path::PathBuf;

/// Everything `modless import` can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("reading BTF from {path}: {source}; pass a vmlinux ELF with .BTF or a raw BTF file such as /sys/kernel/btf/vmlinux")]
    Btf {
        path: PathBuf,
        source: modless_btf::BtfError,
    },
    #[error("struct {ops} is not in {path}'s BTF; check the name (e.g. sched_ext_ops) and that the kernel was built with the subsystem")]
    NoOps {
        ops: String,
        path: PathBuf,
        source: modless_btf::BtfError,
    },
    #[error("reading BTF id sets from {path}: {msg}")]
    Elf { path: PathBuf, msg: String },
    #[error("reading BPF object {path}: {msg}")]
    Object { path: PathBuf, msg: String },
    #[error("the imported declaration still fails validation after dropping {dropped} entries:\n{errors}\nthis is a modless bug; please report it with the BTF file")]
    Invalid { dropped: usize, errors: String },
}
