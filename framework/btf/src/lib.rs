//! BTF for modless: read it, query it, turn it into C headers.
//!
//! ```text
//! /sys/kernel/btf/vmlinux ─┐                 ┌─ find_struct / find_func / kfuncs / type_names
//! vmlinux (ELF)          ──┼─ Btf::open ─ Btf ┤
//! module.ko + vmlinux    ──┘  (split,         └─ c_header / vmlinux_h ─ vmlinux.h (+ kfunc externs)
//!  (.BTF.base relocated)       Arc<base>)
//! ```
//!
//! libbpf (vendored 1.7) is reached through modless-sys, the one home of
//! modless's raw FFI; the public API is safe and returns owned values.
#![deny(missing_docs, missing_debug_implementations)]

mod btf;
mod dump;
mod error;
mod flavor;
mod header;
mod query;
mod raw;

pub use btf::{Btf, SYSFS_BTF_DIR};
pub use error::{BtfError, Result};
pub use flavor::essential_name;
pub use header::{c_header, vmlinux_h, write_atomically, write_vmlinux_h, HeaderOptions};
pub use query::{
    EnumValue, FuncInfo, Linkage, Member, Param, StructInfo, TypeKind, TypeName, TypeScope,
    KFUNC_DECL_TAG,
};
