//! Which sched_ext operations the running kernel has, as the generated
//! compat layer will bind them (modless-import's resolver over the embedded
//! object and /sys/kernel/btf/vmlinux), and what dombal does where one is
//! missing.

use modless_btf::Btf;
use modless_import::Call;

use crate::error::DombalError;
use crate::sched::{OBJECT, OBJECT_NAME};

/// The declaration the object was built from: its `[compat]` groups the
/// flavoured externs into operations.
const DECL: &str = include_str!("../sched_ext.toml");

/// dombal's fallback for each operation some declared kernel lacks (in
/// bpf/dombal.bpf.c, under SCHED_EXT_HAS()); tests/features.rs checks that
/// every operation a kernel lacks is one of these.
pub const FALLBACKS: [(&str, &str); 2] = [
    (
        "scx_bpf_now",
        "bpf_ktime_get_ns() (the clock scx_bpf_now() refines)",
    ),
    (
        "__scx_bpf_select_cpu_and",
        "scx_bpf_select_cpu_dfl(), direct dispatch only when its pick is idle and in the task's domain",
    ),
];

/// One operation dombal calls, on this kernel.
#[derive(Debug, Clone)]
pub struct Feature {
    pub call: Call,
    /// What dombal does instead, when the kernel lacks the operation.
    pub fallback: Option<&'static str>,
}

impl std::fmt::Display for Feature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.call.via, self.fallback) {
            (None, Some(fb)) => write!(f, "{}: not in this kernel; uses {fb}", self.call.name),
            _ => write!(f, "{}", self.call),
        }
    }
}

/// The `[compat]` operations the object calls, on the running kernel.
pub fn detect() -> Result<Vec<Feature>, DombalError> {
    let decl = modless_decl::parse(DECL, "sched_ext.toml")
        .map_err(|e| DombalError::Features(e.to_string()))?;
    let kernel = Btf::running_vmlinux().map_err(|e| DombalError::Features(e.to_string()))?;
    let calls = modless_import::resolve(OBJECT, OBJECT_NAME, &kernel, decl.compat.as_ref())
        .map_err(|e| DombalError::Features(e.to_string()))?;
    Ok(calls
        .into_iter()
        .filter(|c| c.operation)
        .map(|call| {
            let fallback = FALLBACKS
                .iter()
                .find(|(op, _)| *op == call.name && call.via.is_none())
                .map(|(_, fb)| *fb);
            Feature { call, fallback }
        })
        .collect())
}
