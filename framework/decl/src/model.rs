use std::collections::BTreeSet;

use modless_ctypes::{Span, StructDef};
use modless_hooks::Hook;
use modless_kfuncs::{Kfunc, LintKfunc};
use modless_struct_ops::OpsTable;

use crate::location::Origin;

/// The subsystem the declaration makes BPF-extensible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subsystem {
    /// Lower-case prefix of every generated name, e.g. `jobd`.
    pub name: String,
    pub doc: Option<String>,
    pub span: Span,
}

/// A struct the subsystem and BPF programs share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedStruct {
    pub def: StructDef,
    pub doc: Option<String>,
    pub span: Span,
    /// Span of each field string, parallel to `def.fields`.
    pub field_spans: Vec<Span>,
}

/// A whole declaration: one subsystem, its shared structs, one ops table,
/// kfuncs and hook sites. Build it from TOML with [`crate::parse`] or
/// directly from Rust; both go through [`Declaration::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub origin: Origin,
    pub subsystem: Subsystem,
    pub structs: Vec<SharedStruct>,
    pub ops: OpsTable,
    pub kfuncs: Vec<Kfunc>,
    pub hooks: Vec<Hook>,
    /// Kernel kfuncs declared by name only: lint checks their callers,
    /// nothing is generated for them.
    pub lint_kfuncs: Vec<LintKfunc>,
}

/// Names that already exist in the target kernel (vmlinux and loaded
/// modules), e.g. read from BTF; a module's kfuncs, hooks, stubs and ops
/// type must not reuse them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelNames {
    pub funcs: BTreeSet<String>,
    pub structs: BTreeSet<String>,
}

impl Declaration {
    /// A declaration with just a subsystem and an ops table, for building
    /// from Rust.
    pub fn new(file: &str, subsystem: &str, ops: OpsTable) -> Self {
        Declaration {
            origin: Origin::new(file, ""),
            subsystem: Subsystem {
                name: subsystem.to_string(),
                doc: None,
                span: Span::UNKNOWN,
            },
            structs: Vec::new(),
            ops,
            kfuncs: Vec::new(),
            hooks: Vec::new(),
            lint_kfuncs: Vec::new(),
        }
    }

    pub fn shared_struct(&self, name: &str) -> Option<&SharedStruct> {
        self.structs.iter().find(|s| s.def.name == name)
    }
}
