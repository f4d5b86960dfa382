//! dombal: a sched_ext domain load balancer (see README.md).
//!
//! ```text
//! Topology::detect ─ Loaded::load (modless-loader: open_skel, typed .rodata, load_skel)
//!                     ─ Loaded::attach ─> OpsLink ─ Loaded::detach(link) / exit_record
//!                     └ dom_stats, exit_record, extension().program_stats()
//! ```

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
