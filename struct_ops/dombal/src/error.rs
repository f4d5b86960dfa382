//! dombal's errors; each says what to do about it.

use std::path::PathBuf;

use modless_loader::{ExitRecord, LoadError};

use crate::exit::describe;

/// Everything the dombal library can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DombalError {
    #[error(transparent)]
    OpsData(#[from] crate::decl::SchedExtOpsDataError),
    #[error("reading {path}: {source} (is sysfs mounted?)")]
    Sysfs {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: `{text}` is not a CPU list")]
    CpuList { path: PathBuf, text: String },
    #[error("{found} scheduling domains but dombal supports {max}; raise DOMBAL_MAX_DOMS in bpf/dombal.h and src/abi.rs")]
    TooManyDomains { found: usize, max: usize },
    #[error("CPU {cpu} is beyond the {max} CPUs dombal supports; raise DOMBAL_MAX_CPUS in bpf/dombal.h and src/abi.rs")]
    TooManyCpus { cpu: u32, max: usize },
    #[error("this kernel has no sched_ext (/sys/kernel/sched_ext is missing): boot one with CONFIG_SCHED_CLASS_EXT=y")]
    NoSchedExt,
    #[error("another sched_ext scheduler (`{ops}`) is attached (state: {state}); stop its loader, wait for /sys/kernel/sched_ext/state to read `disabled`, then retry")]
    AlreadyAttached { ops: String, state: String },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("the BPF object lacks {kind} `{name}`; it does not match this loader, rebuild the dombal crate")]
    Missing { kind: &'static str, name: String },
    #[error("{0} is an empty placeholder: the dombal crate was built without clang or a target kernel; run scripts/run-qemu.sh once (it builds the kernel), then build again")]
    NotBuilt(&'static str),
    #[error("cannot tell which sched_ext kfuncs this kernel has: {0}")]
    Features(String),
    #[error("the kernel accepted dombal but ejected it while enabling: {}", describe(.0))]
    EnableFailed(Box<ExitRecord>),
}
