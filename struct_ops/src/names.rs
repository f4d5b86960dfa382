//! The one naming rule for everything generated around an ops table.
//!
//! `bpf_<type>`, `__bpf_ops_<type>` and `<type>__<member>` follow the
//! in-tree convention (bpf_qdisc.c, ext.c); everything else is prefixed with
//! the subsystem name.

/// Names derived from the subsystem prefix and the ops type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// Lower-case subsystem prefix, e.g. `jobd`.
    pub sub: String,
    /// The ops struct tag, e.g. `jobd_ops`.
    pub ops: String,
}

impl Names {
    pub fn new(sub: &str, ops: &str) -> Self {
        Names {
            sub: sub.to_string(),
            ops: ops.to_string(),
        }
    }

    pub fn upper(&self) -> String {
        self.sub.to_ascii_uppercase()
    }
    /// The `struct bpf_struct_ops` instance.
    pub fn st_ops_var(&self) -> String {
        format!("bpf_{}", self.ops)
    }
    /// The map value type `register_bpf_struct_ops` defines.
    pub fn value_type(&self) -> String {
        format!("bpf_struct_ops_{}", self.ops)
    }
    pub fn stubs_table(&self) -> String {
        format!("__bpf_ops_{}", self.ops)
    }
    pub fn stub(&self, member: &str) -> String {
        format!("{}__{member}", self.ops)
    }
    /// The RCU pointer to the attached instance (`instances = "one"`).
    pub fn live(&self) -> String {
        format!("{}_bpf_ops", self.sub)
    }
    /// The RCU list of attached instances (`instances = "many"`).
    pub fn live_list(&self) -> String {
        format!("{}_bpf_list", self.sub)
    }
    /// The kernel-private list node member (`instances = "many"`).
    pub fn list_node(&self) -> &'static str {
        "bpf_node"
    }
    /// Checks a `kind = "name"` data member.
    pub fn name_valid(&self) -> String {
        format!("{}_bpf_name_valid", self.sub)
    }
    /// The BTF that holds the ops type (recorded by init).
    pub fn btf_var(&self) -> String {
        format!("{}_bpf_btf", self.sub)
    }
    /// Whether a prog attaches to this ops type.
    pub fn prog_is_ours(&self) -> String {
        format!("{}_bpf_prog_is_ours", self.sub)
    }
    /// What the exit op receives.
    pub fn exit_info(&self) -> String {
        format!("{}_exit_info", self.sub)
    }
    /// Prefix of the exit kinds, e.g. `JOBD_EXIT_`.
    pub fn exit_kind(&self, kind: &str) -> String {
        format!("{}_EXIT_{kind}", self.upper())
    }
    pub fn static_key(&self) -> String {
        format!("{}_bpf_attached", self.sub)
    }
    pub fn lock(&self) -> String {
        format!("{}_bpf_lock", self.sub)
    }
    pub fn enabled_macro(&self) -> String {
        format!("{}_BPF_ENABLED", self.upper())
    }
    pub fn op_idx(&self) -> String {
        format!("{}_OP_IDX", self.upper())
    }
    pub fn moff_idx(&self) -> String {
        format!("{}_MOFF_IDX", self.upper())
    }
    /// A `struct bpf_struct_ops` callback (`init`, `reg`, ...).
    pub fn st_cb(&self, cb: &str) -> String {
        format!("{}_st_{cb}", self.sub)
    }
    pub fn call_fn(&self, member: &str) -> String {
        format!("{}_call_{member}", self.sub)
    }
    pub fn call_macro(&self) -> String {
        format!("{}_CALL", self.upper())
    }
    pub fn verifier_ops(&self) -> String {
        format!("{}_verifier_ops", self.sub)
    }
    pub fn btf_ids(&self) -> String {
        format!("{}_btf_ids", self.sub)
    }
    /// Index of a struct in `btf_ids`; the ops type itself is `OPS`.
    pub fn btf_idx(&self, strukt: Option<&str>) -> String {
        match strukt {
            None => format!("{}_BTF_OPS", self.upper()),
            Some(s) => format!("{}_BTF_{}", self.upper(), s.to_ascii_uppercase()),
        }
    }
    pub fn btf_shift(&self) -> String {
        format!("{}_btf_shift", self.sub)
    }
    /// Maps a runtime BTF id of this BTF object to the build-time one.
    pub fn btf_local_id(&self) -> String {
        format!("{}_btf_local_id", self.sub)
    }
    pub fn struct_access(&self, strukt: &str) -> String {
        format!("{}_{strukt}_access", self.sub)
    }
    pub fn flags_all(&self, member: &str) -> String {
        format!(
            "{}_{}_ALL",
            self.ops.to_ascii_uppercase(),
            member.to_ascii_uppercase()
        )
    }
    /// The BPF-side `SEC(".struct_ops.link")` definition macro.
    pub fn ops_define_macro(&self) -> String {
        format!("{}_OPS_DEFINE", self.upper())
    }
    /// The BPF-side program definition macro.
    pub fn op_prog_macro(&self, sleepable: bool) -> String {
        if sleepable {
            format!("{}_OP_SLEEPABLE", self.upper())
        } else {
            format!("{}_OP", self.upper())
        }
    }
}
