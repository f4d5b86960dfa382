//! The names the kfunc emitter defines, one rule each; the declaration's
//! symbol table (modless-decl) lists them through these same functions.

use crate::model::ProgType;

/// `BTF_KFUNCS_START` set of one program type.
pub fn set8(sub: &str, t: ProgType) -> String {
    match t {
        ProgType::StructOps => format!("{sub}_kfunc_ids"),
        _ => format!("{sub}_{}_kfunc_ids", t.key()),
    }
}

/// The `struct btf_kfunc_id_set` registered for one program type.
pub fn id_set(sub: &str, t: ProgType) -> String {
    match t {
        ProgType::StructOps => format!("{sub}_kfunc_set"),
        _ => format!("{sub}_{}_kfunc_set", t.key()),
    }
}

/// The BTF set of kfuncs only op `op` may call.
pub fn op_set(sub: &str, op: &str) -> String {
    format!("{sub}_{op}_kfunc_set")
}

/// The BTF set of kfuncs every op may call.
pub fn any_op_set(sub: &str) -> String {
    format!("{sub}_any_op_kfunc_set")
}

/// The BTF set of kfuncs denied inside the type, which other struct_ops
/// types may call.
pub fn outside_set(sub: &str) -> String {
    format!("{sub}_outside_kfunc_set")
}

/// The per-op table of [`op_set`]s the filter indexes.
pub fn op_sets_table(sub: &str) -> String {
    format!("{sub}_op_kfunc_sets")
}

/// The struct_ops kfunc filter.
pub fn filter(sub: &str) -> String {
    format!("{sub}_kfunc_filter")
}

/// The kernel's own name for a `KF_IMPLICIT_ARGS` kfunc's implementation
/// (resolve_btfids adds it; kernel/bpf/btf.c looks it up).
pub const IMPL_SUFFIX: &str = "_impl";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_ops_sets_keep_the_short_names() {
        assert_eq!(set8("jobd", ProgType::StructOps), "jobd_kfunc_ids");
        assert_eq!(set8("jobd", ProgType::Syscall), "jobd_syscall_kfunc_ids");
        assert_eq!(id_set("jobd", ProgType::Tracing), "jobd_tracing_kfunc_set");
        assert_eq!(op_set("jobd", "pick"), "jobd_pick_kfunc_set");
        assert_eq!(filter("jobd"), "jobd_kfunc_filter");
    }
}
