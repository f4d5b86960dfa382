//! The names the hook emitter defines, one rule each; the declaration's
//! symbol table (modless-decl) lists them through these same functions.

/// `<HOOK>_RET_MIN` / `<HOOK>_RET_MAX` (C macros and Rust constants); two
/// hooks whose names differ only in case share them, which the symbol
/// table reports.
pub fn bound(hook: &str, which: Bound) -> String {
    format!("{}_RET_{}", hook.to_ascii_uppercase(), which.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Min,
    Max,
}

impl Bound {
    pub const BOTH: [Bound; 2] = [Bound::Min, Bound::Max];

    pub fn as_str(self) -> &'static str {
        match self {
            Bound::Min => "MIN",
            Bound::Max => "MAX",
        }
    }
}

/// The clamping call wrapper `<SUB>_HOOK(hook, ...)` expands to.
pub fn wrapper(hook: &str) -> String {
    format!("{hook}_hook")
}

/// The fmodret BTF set.
pub fn fmodret_set(sub: &str) -> String {
    format!("{sub}_fmodret_ids")
}

/// The `struct btf_kfunc_id_set` registered as the fmodret set.
pub fn fmodret_id_set(sub: &str) -> String {
    format!("{sub}_fmodret_set")
}

/// `<SUB>_HOOK(hook, ...)`, the subsystem's call-site macro.
pub fn call_macro(sub: &str) -> String {
    format!("{}_HOOK", sub.to_ascii_uppercase())
}

/// The static key a hook site tests before it reads its function's entry.
pub fn entries_key(sub: &str) -> String {
    format!("{sub}_hook_entries")
}

/// The inline test a hook site calls: is its function traced?
pub fn traced_fn(sub: &str) -> String {
    format!("{sub}_hook_traced")
}

/// A hook function's ftrace site: its entry, after ENDBR64.
pub fn site_fn(sub: &str) -> String {
    format!("{sub}_hook_site")
}

/// The hook functions whose entries the init step checks.
pub fn fns_array(sub: &str) -> String {
    format!("{sub}_hook_fns")
}

/// The init step that checks every hook's entry and turns the key on.
pub fn check_entries_fn(sub: &str) -> String {
    format!("{sub}_hook_check_entries")
}

/// The first byte of the 5-byte nop ftrace leaves at an untraced entry.
pub fn nop_opcode_macro(sub: &str) -> String {
    format!("{}_HOOK_NOP5_OPCODE", sub.to_ascii_uppercase())
}

/// The BPF-side program macros: `<SUB>_FENTRY`, `<SUB>_FEXIT`, `<SUB>_FMOD_RET`.
pub fn prog_macro(sub: &str, kind: &str) -> String {
    format!("{}_{kind}", sub.to_ascii_uppercase())
}

/// Program kinds [`prog_macro`] is called with (FMOD_RET only when a hook
/// is fmod_ret).
pub const PROG_KINDS: [&str; 3] = ["FENTRY", "FEXIT", "FMOD_RET"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_twins_share_bound_macros() {
        assert_eq!(bound("h", Bound::Min), bound("H", Bound::Min));
        assert_eq!(bound("jobd_admit", Bound::Max), "JOBD_ADMIT_RET_MAX");
        assert_eq!(wrapper("jobd_admit"), "jobd_admit_hook");
        assert_eq!(prog_macro("jobd", "FMOD_RET"), "JOBD_FMOD_RET");
    }
}
