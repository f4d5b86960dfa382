use modless_ctypes::{Decl, FuncProto, Span};

/// How many instances of the ops table may be attached at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Instances {
    /// `reg` returns -EBUSY while one is attached.
    #[default]
    One,
    /// Attached instances sit on an RCU list; void ops run on each, a
    /// non-void op is answered by the first instance implementing it.
    Many,
}

/// What a loader does with a member the running kernel's ops type lacks
/// (a program built against a newer declaration than the kernel's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IfMissing {
    /// Refuse to load a program that sets it (libbpf's own behaviour).
    #[default]
    Fail,
    /// Leave it out: the program works without it (its op is not loaded).
    Zero,
}

impl IfMissing {
    /// The BTF decl tag the BPF-side header puts on a `Zero` member; the
    /// loader reads it from the object.
    pub const ZERO_TAG: &'static str = "modless:zero_if_missing";

    pub fn as_str(self) -> &'static str {
        match self {
            IfMissing::Fail => "fail",
            IfMissing::Zero => "zero",
        }
    }
}

/// A struct_ops type the subsystem exposes (e.g. `struct jobd_ops`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OpsTable {
    /// The C struct tag; also `bpf_struct_ops.name`.
    pub name: String,
    pub doc: Option<String>,
    pub instances: Instances,
    /// Function-pointer members, first in the struct, in this order.
    pub callbacks: Vec<Callback>,
    /// Data members after the callbacks, in this order.
    pub data: Vec<DataMember>,
    /// Fields of shared structs BPF programs of this type may write.
    pub writes: Vec<WriteRule>,
    pub span: Span,
}

/// A function-pointer member.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Callback {
    /// Member name and prototype; parameter names keep the verifier's
    /// `__ref` / `__nullable` / `__arena` suffixes.
    pub proto: FuncProto,
    /// `validate` rejects an instance that leaves it out.
    pub required: bool,
    /// C function the call path runs when no BPF implementation is there.
    pub default: Option<String>,
    /// BPF may implement it with a sleepable (`struct_ops.s`) program.
    pub sleepable: bool,
    /// On a hot path: `<SUB>_CALL` goes through a static call, patched to
    /// the attached op on reg/update and back to the default on unreg.
    pub hot: bool,
    /// The exit op: the glue calls it once when the instance stops, with
    /// who stopped it and why (`struct <sub>_exit_info`).
    pub exit: bool,
    pub if_missing: IfMissing,
    /// The named values the op answers with (an integer op).
    pub verdict: Option<Verdict>,
    pub doc: Option<String>,
    pub span: Span,
    /// Where the prototype string is, for parse errors with a column.
    pub proto_span: Span,
}

impl Callback {
    pub fn name(&self) -> &str {
        &self.proto.name
    }
}

/// An op's explicit verdict: `enum <name> { values... }` numbered from 0,
/// in both headers. `<SUB>_CALL` returns it; an out-of-range answer, no
/// instance, or an instance without the op is `fallback` (or the op's
/// declared default, which then returns the enum).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Verdict {
    /// The enum tag, e.g. `bpf_oom_verdict`.
    pub name: String,
    pub values: Vec<String>,
    /// One of `values`.
    pub fallback: String,
}

impl Verdict {
    /// The greatest value (the range check's bound).
    pub fn last(&self) -> &str {
        self.values.last().map(String::as_str).unwrap_or_default()
    }
}

/// A non-function member, copied in `init_member`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DataMember {
    pub decl: Decl,
    pub kind: DataKind,
    /// `kind = "name"`: what `init_member` stores when the policy leaves
    /// the member empty; the subsystem reads it back with
    /// `<sub>_policy_<member>()`.
    pub default: Option<String>,
    pub if_missing: IfMissing,
    pub doc: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// `char name[N]`, checked like `bpf_obj_name_cpy` (non-empty,
    /// alphanumerics, `_` and `.`).
    Name,
    /// An unsigned integer whose set bits must be among these flags.
    Flags(Vec<FlagBit>),
    /// An integer copied as is, optionally bounded.
    Value { max: Option<u64> },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlagBit {
    /// The C macro name, e.g. `JOBD_OPS_F_STRICT`.
    pub name: String,
    pub bit: u32,
    pub doc: Option<String>,
}

/// `struct <strukt>.<field>` is writable by BPF programs of this type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WriteRule {
    pub strukt: String,
    pub field: String,
    pub span: Span,
}

impl OpsTable {
    pub fn member_count(&self) -> usize {
        self.callbacks.len() + self.data.len() + usize::from(self.instances == Instances::Many)
    }

    pub fn callback(&self, name: &str) -> Option<&Callback> {
        self.callbacks.iter().find(|c| c.name() == name)
    }

    /// The exit op, if the table has one.
    pub fn exit_op(&self) -> Option<&Callback> {
        self.callbacks.iter().find(|c| c.exit)
    }

    /// Name members the subsystem can read back (`<sub>_policy_<member>()`):
    /// those with a declared default, on a one-instance table.
    pub fn reported_names(&self) -> impl Iterator<Item = &DataMember> {
        let one = self.instances == Instances::One;
        self.data
            .iter()
            .filter(move |d| one && d.kind == DataKind::Name && d.default.is_some())
    }

    /// Whether any op may sleep (the glue then has an SRCU domain).
    pub fn has_sleepable(&self) -> bool {
        self.callbacks.iter().any(|c| c.sleepable)
    }

    /// Ops `<SUB>_CALL` runs through a static call.
    pub fn hot(&self) -> impl Iterator<Item = &Callback> {
        self.callbacks.iter().filter(|c| c.hot)
    }

    /// Callbacks the subsystem calls through `<SUB>_CALL` (all but exit).
    pub fn called(&self) -> impl Iterator<Item = &Callback> {
        self.callbacks.iter().filter(|c| !c.exit)
    }

    /// The shared structs named by the write allowlist, first use first.
    pub fn written_structs(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for w in &self.writes {
            if !out.contains(&w.strukt.as_str()) {
                out.push(&w.strukt);
            }
        }
        out
    }
}
