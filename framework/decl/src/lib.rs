//! The modless declaration: what a subsystem exposes to BPF.
//!
//! ```text
//! jobd.toml --parse/load--> Declaration --validate(_against)--> Ok / DeclErrors
//!                           (or build a Declaration in Rust)
//! ```
//!
//! Concept models (ops tables, kfuncs, hook sites) come from their own
//! crates; this crate owns the file format, spans, and the rules that
//! span concepts (kfunc scopes vs ops, write allowlist vs shared structs,
//! one C namespace, names already in the target kernel).

pub mod compat;
mod error;
mod load;
mod location;
mod model;
mod raw;
pub mod reserved;
mod symbols;
mod validate;

pub use error::{DeclError, DeclErrorKind, DeclErrors};
pub use load::{load, parse};
pub use location::Origin;
pub use model::{Declaration, InTree, KernelNames, KernelRelease, SharedStruct, Subsystem};
pub use symbols::{symbols, KernelUnique, Ns, Symbol};

pub use modless_ctypes as ctypes;
pub use modless_hooks as hooks;
pub use modless_kfuncs as kfuncs;
pub use modless_struct_ops as struct_ops;
