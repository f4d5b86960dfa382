//! Load, attach, hot-swap and check BPF extensions.
//!
//! ```text
//! OpenExtension::file / ::bytes ─ set_rodata ─ load ─> Extension ─┬─ attach_ops ──> OpsLink (swap, wait_detached, pin)
//!   (libbpf open: no kernel)          (verifier)                  ├─ attach_program / attach_cgroup > HookLink
//!                                                                 ├─ attach_all(_in) ──> Attached
//!                                                                 ├─ map_* / global / events / program_stats
//!                                                                 └─ supervise(policy) -> [ExitInfo]
//! lint(obj, decl)        object vs declaration, no kernel
//! check_kernel(btf, decl) declaration vs a kernel's BTF
//! ```
//!
//! Every failure is a [`LoadError`] naming the object, the map, program or
//! kfunc, and carrying libbpf's log (the verifier's among it). Links are
//! RAII: dropping one detaches it.
#![deny(missing_debug_implementations)]

mod check;
mod error;
mod events;
mod exit;
mod extension;
mod flavor;
mod globals;
mod kernel_enums;
mod link;
mod log;
mod members;
mod obj_btf;
mod open;
mod ops_table;
mod stats;
mod sys;
mod watch;

pub mod kmod;
pub mod lint;

pub use check::{check_kernel, KernelDifference, KernelReport};
pub use error::{verifier_log, LoadError, Result, NEEDED_CAPS};
pub use events::EventStream;
pub use exit::{supervise, ExitInfo, ExitKind, ExitRecord, RestartPolicy, EXIT_RECORD_VARS};
pub use extension::{Extension, ProgramInfo, ProgramKind, ROOT_CGROUP};
pub use flavor::essential_name;
pub use kernel_enums::{KernelEnum, KERNEL_ENUM_TAG};
pub use link::{Attached, HookLink, LinkIds, OpsLink, Stopped};
pub use members::SkippedMember;
pub use open::{OpenExtension, SetVar};
pub use stats::{enable_run_stats, stats_table, ProgramStats};
