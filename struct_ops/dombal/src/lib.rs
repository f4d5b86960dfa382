//! dombal: a sched_ext domain load balancer (see README.md).
//!
//! ```text
//! Topology::detect ─ Loaded::load (verifier) ─ Loaded::attach ─ Attached ─ detach / ejected
//!                                                   └ dom_stats, exit_info, verified_insns
//! ```

pub mod abi;
pub mod bench;
pub mod error;
pub mod exit;
pub mod sched;
pub mod stats;
pub mod sysfs;
pub mod topology;
pub mod workload;

pub use error::DombalError;
pub use exit::ExitInfo;
pub use sched::{check_free, Attached, Loaded, Tunables, Variant};
pub use topology::Topology;
