//! dombal: a sched_ext domain load balancer (see README.md).
//!
//! ```text
//! Topology::detect ─ Loaded::load (modless-loader: open_skel, typed .rodata, load_skel)
//!                     ─ Loaded::attach ─> OpsLink ─ Loaded::detach(link) / exit_record
//!                     └ dom_stats, exit_record, extension().program_stats()
//! ```

/// What `modless gen` wrote from sched_ext.toml for Rust, byte for byte:
/// names, and [`decl::SchedExtOpsData`], the typed data members of an ops map.
#[rustfmt::skip]
#[macro_use]
#[allow(clippy::too_many_arguments)] // from_members: one per data member (ten in sched_ext_ops)
#[path = "../generated/sched_ext_bpf.rs"]
pub mod decl;

pub mod abi;
pub mod bench;
pub mod error;
pub mod exit;
pub mod features;
pub mod sched;
pub mod stats;
pub mod sysfs;
pub mod topology;
pub mod workload;

pub use error::DombalError;
pub use sched::{check_free, Loaded, Tunables, Variant};
pub use topology::Topology;
