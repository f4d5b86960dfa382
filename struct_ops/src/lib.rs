//! struct_ops tables: the model of an ops type, the rules the kernel
//! enforces on it, and the C it turns into.
//!
//! ```text
//! OpsTable --validate--> [(Span, OpsError)]
//!          --emit_kernel--> ops struct, call path, bpf_struct_ops + callbacks
//!          --emit_bpf-->    BPF-side struct and definition macros
//! ```

pub mod emit_bpf;
pub mod emit_kernel;
mod model;
pub mod names;
mod validate;

pub use model::{
    Callback, DataKind, DataMember, FlagBit, IfMissing, Instances, OpsTable, Verdict, WriteRule,
};
pub use names::Names;
pub use validate::{
    plain_arg_name, stub_suffix, validate, OpsError, MAX_ARGS, MAX_ARRAY_LEN, MAX_MEMBERS,
    MAX_OPS_NAME_LEN, RESERVED_MEMBERS, STUB_SUFFIXES,
};
