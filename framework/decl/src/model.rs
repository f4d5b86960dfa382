use std::collections::BTreeSet;

use modless_ctypes::{Span, StructDef};
use modless_hooks::Hook;
use modless_kfuncs::{Kfunc, LintKfunc};
use modless_struct_ops::OpsTable;

use crate::compat::Compat;
use crate::location::Origin;

/// The subsystem the declaration makes BPF-extensible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subsystem {
    /// Lower-case prefix of every generated name, e.g. `jobd`.
    pub name: String,
    pub doc: Option<String>,
    pub span: Span,
    /// Built into the kernel tree instead of an out-of-tree module.
    pub in_tree: Option<InTree>,
}

/// `[subsystem.in_tree]`: where the glue goes in a kernel tree and what
/// builds it. Without it the glue is an out-of-tree module's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InTree {
    /// Directory of the `.c`, relative to the tree root, e.g. `mm`.
    pub dir: String,
    /// Kconfig symbol without `CONFIG_`, e.g. `BPF_OOM`.
    pub config: String,
    /// Kconfig symbols it depends on besides BPF's own.
    pub depends_on: Vec<String>,
    /// Kernel headers the declared prototypes need, e.g. `linux/oom.h`.
    pub includes: Vec<String>,
    pub span: Span,
    /// Span of each `depends_on` / `includes` entry, parallel to them.
    pub depends_spans: Vec<Span>,
    pub include_spans: Vec<Span>,
    pub dir_span: Span,
    pub config_span: Span,
}

impl InTree {
    /// Kconfig symbols BPF struct_ops needs: the syscall, the JIT
    /// (trampolines) and vmlinux BTF (registration looks types up in it).
    pub const BPF_DEPENDS: [&'static str; 3] = ["BPF_SYSCALL", "BPF_JIT", "DEBUG_INFO_BTF"];
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
    /// `[compat]`: the kernels it spans and what differs between them.
    pub compat: Option<Compat>,
}

/// Names that already exist in the target kernel (vmlinux and loaded
/// modules), e.g. read from BTF; a module's kfuncs, hooks, stubs and ops
/// type must not reuse them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelNames {
    pub funcs: BTreeSet<String>,
    pub structs: BTreeSet<String>,
}

/// The release of the kernel a declaration is checked against, e.g. from
/// the `Linux version 7.3.4 ...` banner of its vmlinux.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelRelease {
    /// As the kernel prints it, e.g. `7.3.4`.
    pub text: String,
    pub major: u32,
    pub minor: u32,
}

impl KernelRelease {
    /// Reads `7.3.4`, `6.12.0-rc1`, `7.3.4-amd64`; `None` without a
    /// `major.minor` at the start.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '.');
        let major = parts.next()?.parse().ok()?;
        let minor_digits: String = parts
            .next()?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        Some(KernelRelease {
            text: text.to_string(),
            major,
            minor: minor_digits.parse().ok()?,
        })
    }

    /// The release in `Linux version <release> ...` within `bytes` (a
    /// vmlinux image), if there is one.
    pub fn from_banner(bytes: &[u8]) -> Option<Self> {
        const BANNER: &[u8] = b"Linux version ";
        let mut rest = bytes;
        while let Some(at) = rest.windows(BANNER.len()).position(|w| w == BANNER) {
            let after = &rest[at + BANNER.len()..];
            let end = after
                .iter()
                .position(|b| b.is_ascii_whitespace() || *b == 0)
                .unwrap_or(after.len());
            if let Some(r) = std::str::from_utf8(&after[..end])
                .ok()
                .and_then(KernelRelease::parse)
            {
                return Some(r);
            }
            rest = after;
        }
        None
    }

    pub fn at_least(&self, (major, minor): (u32, u32)) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
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
                in_tree: None,
            },
            structs: Vec::new(),
            ops,
            kfuncs: Vec::new(),
            hooks: Vec::new(),
            lint_kfuncs: Vec::new(),
            compat: None,
        }
    }

    pub fn in_tree(&self) -> Option<&InTree> {
        self.subsystem.in_tree.as_ref()
    }

    pub fn shared_struct(&self, name: &str) -> Option<&SharedStruct> {
        self.structs.iter().find(|s| s.def.name == name)
    }
}
