use modless_ctypes::{FuncProto, Span};

/// `KF_*` flags (include/linux/btf.h). `KF_TRUSTED_ARGS` exists before 7.0
/// only ([`KfFlag::removed_in`]); `modless check --btf` says so for a newer
/// kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KfFlag {
    Acquire,
    Release,
    RetNull,
    Sleepable,
    Destructive,
    Rcu,
    RcuProtected,
    /// Trailing `struct bpf_prog_aux *` filled in by the verifier.
    ImplicitArgs,
    /// Pointer arguments must be trusted; 7.0 removed it (trusted is the
    /// default there), so it builds only against older kernels.
    TrustedArgs,
}

impl KfFlag {
    pub const ALL: [KfFlag; 9] = [
        KfFlag::Acquire,
        KfFlag::Release,
        KfFlag::RetNull,
        KfFlag::Sleepable,
        KfFlag::Destructive,
        KfFlag::Rcu,
        KfFlag::RcuProtected,
        KfFlag::ImplicitArgs,
        KfFlag::TrustedArgs,
    ];

    pub fn c_name(self) -> &'static str {
        match self {
            KfFlag::Acquire => "KF_ACQUIRE",
            KfFlag::Release => "KF_RELEASE",
            KfFlag::RetNull => "KF_RET_NULL",
            KfFlag::Sleepable => "KF_SLEEPABLE",
            KfFlag::Destructive => "KF_DESTRUCTIVE",
            KfFlag::Rcu => "KF_RCU",
            KfFlag::RcuProtected => "KF_RCU_PROTECTED",
            KfFlag::ImplicitArgs => "KF_IMPLICIT_ARGS",
            KfFlag::TrustedArgs => "KF_TRUSTED_ARGS",
        }
    }

    /// The kernel release (major, minor) that removed the flag, and what
    /// a kernel from then on does instead.
    pub fn removed_in(self) -> Option<((u32, u32), &'static str)> {
        match self {
            KfFlag::TrustedArgs => Some(((7, 0), "pointer arguments are trusted by default")),
            _ => None,
        }
    }

    /// Accepts `KF_ACQUIRE` as well as `acquire`.
    pub fn parse(s: &str) -> Option<KfFlag> {
        let up = s.to_ascii_uppercase();
        let up = up.strip_prefix("KF_").unwrap_or(&up);
        KfFlag::ALL.into_iter().find(|f| &f.c_name()[3..] == up)
    }
}

/// Program types a kfunc set is registered for. Each maps to one kfunc
/// hook; TRACING also covers tracepoint, raw_tp, perf_event and LSM progs,
/// which share that hook (btf.c:9117-9162).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProgType {
    StructOps,
    Syscall,
    Tracing,
}

impl ProgType {
    pub const ALL: [ProgType; 3] = [ProgType::StructOps, ProgType::Syscall, ProgType::Tracing];

    pub fn key(self) -> &'static str {
        match self {
            ProgType::StructOps => "struct_ops",
            ProgType::Syscall => "syscall",
            ProgType::Tracing => "tracing",
        }
    }

    pub fn c_enum(self) -> &'static str {
        match self {
            ProgType::StructOps => "BPF_PROG_TYPE_STRUCT_OPS",
            ProgType::Syscall => "BPF_PROG_TYPE_SYSCALL",
            ProgType::Tracing => "BPF_PROG_TYPE_TRACING",
        }
    }

    pub fn parse(s: &str) -> Option<ProgType> {
        ProgType::ALL.into_iter().find(|p| p.key() == s)
    }
}

/// Which ops of the subsystem's struct_ops type may call the kfunc.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum OpScope {
    #[default]
    AnyOp,
    Ops(Vec<String>),
}

/// Ops of the subsystem's struct_ops type whose programs may not call the
/// kfunc, although programs of other struct_ops types (and the other
/// program types it lists) may: e.g. one that would re-enter the caller.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Deny {
    #[default]
    None,
    /// `deny_ops = "*"`: no op of the type.
    AllOps,
    /// `deny_ops = [...]`: these ops; the others may.
    Ops(Vec<String>),
}

impl Deny {
    pub fn denies(&self, op: &str) -> bool {
        match self {
            Deny::None => false,
            Deny::AllOps => true,
            Deny::Ops(ops) => ops.iter().any(|o| o == op),
        }
    }
}

/// Kernel-doc for the prototype.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KfuncDoc {
    pub summary: String,
    /// `(parameter, description)` for every BPF-visible parameter.
    pub args: Vec<(String, String)>,
    pub ret: Option<String>,
}

/// A kfunc the subsystem implements (with `__bpf_kfunc`) and BPF calls.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Kfunc {
    pub proto: FuncProto,
    pub flags: Vec<KfFlag>,
    pub prog_types: Vec<ProgType>,
    pub scope: OpScope,
    /// `deny_ops`: refused inside these ops of the type (kept apart from
    /// `scope`, which says where it is allowed).
    pub deny: Deny,
    pub doc: Option<KfuncDoc>,
    pub span: Span,
    pub proto_span: Span,
}

impl Kfunc {
    pub fn name(&self) -> &str {
        &self.proto.name
    }

    pub fn has(&self, f: KfFlag) -> bool {
        self.flags.contains(&f)
    }

    /// The flags in `BTF_ID_FLAGS` order (declaration order, deduplicated).
    pub fn flags_c(&self) -> Option<String> {
        let mut seen = Vec::new();
        for f in &self.flags {
            if !seen.contains(f) {
                seen.push(*f);
            }
        }
        (!seen.is_empty()).then(|| {
            seen.iter()
                .map(|f| f.c_name())
                .collect::<Vec<_>>()
                .join(" | ")
        })
    }

    /// The prototype BPF programs declare: implicit arguments dropped.
    pub fn bpf_proto(&self) -> FuncProto {
        let mut p = self.proto.clone();
        if self.has(KfFlag::ImplicitArgs) {
            p.params
                .retain(|a| a.ty.struct_ptr_tag() != Some("bpf_prog_aux"));
        }
        p
    }

    /// Whether struct_ops programs of *another* ops type may call it: the
    /// generated filter refuses them everything of this set except the
    /// `deny_ops` kfuncs (what a linter of other types' programs checks).
    pub fn callable_from_other_ops_types(&self) -> bool {
        self.prog_types.contains(&ProgType::StructOps) && self.deny != Deny::None
    }

    pub fn allowed_in_op(&self, op: &str) -> bool {
        if self.deny.denies(op) {
            return false;
        }
        match &self.scope {
            OpScope::AnyOp => true,
            OpScope::Ops(ops) => ops.iter().any(|o| o == op),
        }
    }
}
