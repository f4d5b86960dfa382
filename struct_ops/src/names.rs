//! The one naming rule for everything generated around an ops table (and
//! the subsystem-wide names: init, eject, header guards, Rust types).
//!
//! `bpf_<type>`, `__bpf_ops_<type>` and `<type>__<member>` follow the
//! in-tree convention (bpf_qdisc.c, ext.c); everything else is prefixed with
//! the subsystem name. The emitters format no name themselves; the
//! declaration's symbol table (modless-decl) lists every name through these
//! same methods, so the collision check sees exactly what is emitted.

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
    /// Reads a name member of the attached instance.
    pub fn policy_member(&self, member: &str) -> String {
        format!("{}_policy_{member}", self.sub)
    }
    /// The SRCU domain sleepable ops run under.
    pub fn srcu(&self) -> String {
        format!("{}_bpf_srcu", self.sub)
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

    /// `enum <sub>_exit_kind`.
    pub fn exit_kind_enum(&self) -> String {
        format!("{}_exit_kind", self.sub)
    }
    pub fn is_valid_access(&self) -> String {
        format!("{}_is_valid_access", self.sub)
    }
    pub fn btf_struct_access(&self) -> String {
        format!("{}_btf_struct_access", self.sub)
    }
    /// Looks a `btf_ids` entry up in a prog's BTF.
    pub fn btf_type_fn(&self) -> String {
        format!("{}_btf_type", self.sub)
    }
    /// Records the BTF id shift from a prog.
    pub fn btf_shift_note(&self) -> String {
        format!("{}_note", self.btf_shift())
    }
    /// The attached instance's link (`instances = "one"`).
    pub fn link_var(&self) -> String {
        format!("{}_bpf_link", self.sub)
    }
    /// The link [`Names::eject_fn`] detached, and what it said.
    pub fn ejected_var(&self) -> String {
        format!("{}_bpf_ejected", self.sub)
    }
    pub fn eject_info_var(&self) -> String {
        format!("{}_bpf_eject_info", self.sub)
    }
    /// `void <sub>_bpf_eject(s64 code, const char *fmt, ...)`.
    pub fn eject_fn(&self) -> String {
        format!("{}_bpf_eject", self.sub)
    }
    /// The static call of a hot op: named after its call function, whose
    /// name is already unique (the static call's own symbols are that name
    /// behind `__SCK__` and `__SCT__`).
    pub fn static_call(&self, member: &str) -> String {
        self.call_fn(member)
    }
    /// Points every hot op's static call at an instance or the defaults.
    pub fn patch_fn(&self) -> String {
        format!("{}_bpf_patch", self.sub)
    }
    /// Finds an attached instance (`instances = "many"`).
    pub fn find_fn(&self) -> String {
        format!("{}_bpf_find", self.sub)
    }
    /// `int __init <sub>_bpf_init(void)`.
    pub fn init_fn(&self) -> String {
        format!("{}_bpf_init", self.sub)
    }
    /// Include guard of `<sub>_bpf.h`.
    pub fn kernel_h_guard(&self) -> String {
        format!("_{}_BPF_H", self.upper())
    }
    /// Include guard of `include/linux/<sub>.h` (in-tree emission).
    pub fn linux_h_guard(&self) -> String {
        format!("_LINUX_{}_H", self.upper())
    }
    /// Include guard of `<sub>.bpf.h`.
    pub fn bpf_h_guard(&self) -> String {
        format!("__{}_BPF_PROG_H", self.upper())
    }
    /// Defined by BPF programs when the subsystem is built in.
    pub fn types_in_vmlinux(&self) -> String {
        format!("{}_TYPES_IN_VMLINUX", self.upper())
    }
    /// A C name in Rust type case: `jobd_job` -> `JobdJob`.
    pub fn rust_struct(c_name: &str) -> String {
        c_name
            .split('_')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let mut c = p.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }
    /// The Rust view of the ops table's data members.
    pub fn rust_ops_data(&self) -> String {
        format!("{}Data", Self::rust_struct(&self.ops))
    }
    /// What the view's setters return for a value the kernel would refuse.
    pub fn rust_ops_data_error(&self) -> String {
        format!("{}Error", self.rust_ops_data())
    }
    /// The macro that connects a skeleton's ops struct to the view.
    pub fn rust_ops_data_macro(&self) -> String {
        format!("{}_data", self.ops)
    }
}

/// Names the generated code defines whatever the declaration says: the
/// Rust constants of `<sub>_bpf.rs` and the BPF header's exit record.
pub const RUST_FIXED: [&str; 9] = [
    "OPS_TYPE",
    "OPS_VALUE_TYPE",
    "OPS_CALLBACKS",
    "OPS_REQUIRED",
    "OPS_ZERO_IF_MISSING",
    "OPS_EXIT",
    "KFUNCS",
    "FENTRY_HOOKS",
    "FMOD_RET_HOOKS",
];

/// The BPF header's exit record: `struct modless_exit_record`, its
/// variable and macros.
pub const EXIT_RECORD_TAG: &str = "modless_exit_record";
pub const EXIT_RECORD_VAR: &str = "modless_exit";
pub const EXIT_RECORD_MACROS: [&str; 2] = ["MODLESS_EXIT_RECORD_DEFINE", "MODLESS_EXIT_RECORD"];

/// The BPF header's counter macro and the decl tag it puts on a global:
/// modless-loader reads tagged globals as the object's declared counters.
pub const COUNTER_MACRO: &str = "MODLESS_COUNTER";
pub const COUNTER_TAG: &str = "modless:counter";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_names_camel_case_and_collapse_underscores() {
        assert_eq!(Names::rust_struct("jobd_job"), "JobdJob");
        assert_eq!(Names::rust_struct("jobd__job"), "JobdJob");
        assert_eq!(Names::rust_struct("_"), "");
        assert_eq!(
            Names::new("jobd", "jobd_ops").rust_ops_data(),
            "JobdOpsData"
        );
    }

    #[test]
    fn prefixes_follow_the_kernel_convention() {
        let n = Names::new("jobd", "jobd_ops");
        assert_eq!(n.stub("pick"), "jobd_ops__pick");
        assert_eq!(n.value_type(), "bpf_struct_ops_jobd_ops");
        assert_eq!(n.st_cb("reg"), "jobd_st_reg");
        assert_eq!(n.flags_all("flags"), "JOBD_OPS_FLAGS_ALL");
        assert_eq!(n.btf_idx(Some("jobd_job")), "JOBD_BTF_JOBD_JOB");
        assert_eq!(n.eject_fn(), "jobd_bpf_eject");
    }
}
