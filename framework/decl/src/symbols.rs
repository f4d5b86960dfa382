//! The symbol table: every name `modless gen` defines for one declaration,
//! listed through the same naming functions the emitters call
//! (`struct_ops::names`, `kfuncs::names`, `hooks::names`). The collision
//! check runs on it, and modless-gen's tests check that generated code
//! defines nothing that is not in it.

use modless_ctypes::Span;
use modless_hooks::names as hook_names;
use modless_hooks::names::Bound;
use modless_kfuncs::{names as kfunc_names, Deny, KfFlag, OpScope, ProgType};
use modless_struct_ops::emit_kernel::{EXIT_KINDS, ZERO_TAG_MACRO};
use modless_struct_ops::names::{
    COUNTER_MACRO, EXIT_RECORD_MACROS, EXIT_RECORD_TAG, EXIT_RECORD_VAR, RUST_FIXED,
};
use modless_struct_ops::{DataKind, IfMissing, Instances, Names};

use crate::model::Declaration;

/// Where a generated name lives; names clash within a namespace, and a
/// macro clashes with everything in C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ns {
    /// Functions, variables and enumerators at file scope of the C output.
    C,
    /// `struct` and `enum` tags.
    Tag,
    /// Preprocessor macros.
    Macro,
    /// Items of `<sub>_bpf.rs`.
    Rust,
}

/// What the target kernel already has that a name must not repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelUnique {
    Kfunc,
    Function,
    Struct,
}

/// One generated name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub ns: Ns,
    /// What defines it, for error messages ("the CFI stub of `pick`").
    pub what: String,
    /// The declaration item it comes from.
    pub span: Span,
    pub kernel_unique: Option<KernelUnique>,
    /// Spelled out in the declaration (a kfunc's name), not derived from
    /// one (its call function): a clash is reported at the spelled-out one.
    pub declared: bool,
}

struct Table {
    syms: Vec<Symbol>,
}

impl Table {
    fn add(&mut self, ns: Ns, name: String, what: impl Into<String>, span: Span) {
        self.syms.push(Symbol {
            name,
            ns,
            what: what.into(),
            span,
            kernel_unique: None,
            declared: false,
        });
    }

    fn unique(&mut self, k: KernelUnique, ns: Ns, name: String, what: String, span: Span) {
        self.add(ns, name, what, span);
        if let Some(s) = self.syms.last_mut() {
            s.kernel_unique = Some(k);
            s.declared = true;
        }
    }

    fn derived(&mut self) {
        if let Some(s) = self.syms.last_mut() {
            s.declared = false;
        }
    }

    /// Marks the last symbol as spelled out in the declaration.
    fn declared(&mut self) {
        if let Some(s) = self.syms.last_mut() {
            s.declared = true;
        }
    }
}

/// Every name generated for `decl`, in a fixed order (declaration items
/// before the glue they imply).
pub fn symbols(decl: &Declaration) -> Vec<Symbol> {
    let mut t = Table { syms: Vec::new() };
    let n = Names::new(&decl.subsystem.name, &decl.ops.name);
    let sub = &decl.subsystem.name;
    let at = decl.subsystem.span;
    let ops = &decl.ops;

    // declared types
    t.unique(
        KernelUnique::Struct,
        Ns::Tag,
        ops.name.clone(),
        "the ops type".into(),
        ops.span,
    );
    for s in &decl.structs {
        let what = format!("struct `{}`", s.def.name);
        t.unique(
            KernelUnique::Struct,
            Ns::Tag,
            s.def.name.clone(),
            what,
            s.span,
        );
    }
    t.unique(
        KernelUnique::Struct,
        Ns::Tag,
        n.value_type(),
        "the struct_ops map value type".into(),
        ops.span,
    );
    t.derived();

    // declared functions
    for k in &decl.kfuncs {
        let what = format!("kfunc `{}`", k.name());
        t.unique(KernelUnique::Kfunc, Ns::C, k.name().into(), what, k.span);
        if k.has(KfFlag::ImplicitArgs) {
            t.add(
                Ns::C,
                format!("{}{}", k.name(), kfunc_names::IMPL_SUFFIX),
                format!("the implementation name of kfunc `{}`", k.name()),
                k.span,
            );
        }
    }
    for h in &decl.hooks {
        let what = format!("hook `{}`", h.name());
        t.unique(KernelUnique::Function, Ns::C, h.name().into(), what, h.span);
        t.add(
            Ns::C,
            hook_names::wrapper(h.name()),
            format!("the call wrapper of hook `{}`", h.name()),
            h.span,
        );
        if h.is_fmod_ret() {
            for b in Bound::BOTH {
                let what = format!("the return bound of hook `{}`", h.name());
                t.add(Ns::Macro, hook_names::bound(h.name(), b), &what, h.span);
                t.add(Ns::Rust, hook_names::bound(h.name(), b), what, h.span);
            }
        }
    }
    let mut defaults = std::collections::HashSet::new();
    for cb in &ops.callbacks {
        t.unique(
            KernelUnique::Function,
            Ns::C,
            n.stub(cb.name()),
            format!("the CFI stub of `{}`", cb.name()),
            cb.span,
        );
        t.derived();
        if !cb.exit {
            t.add(
                Ns::C,
                n.call_fn(cb.name()),
                format!("the call function of `{}`", cb.name()),
                cb.span,
            );
        }
        if let Some(v) = &cb.verdict {
            let what = format!("the verdict of `{}`", cb.name());
            t.add(Ns::Tag, v.name.clone(), &what, cb.span);
            t.declared();
            for value in &v.values {
                t.add(Ns::C, value.clone(), &what, cb.span);
                t.declared();
            }
        }
        if let Some(d) = &cb.default {
            if defaults.insert(d.as_str()) {
                t.unique(
                    KernelUnique::Function,
                    Ns::C,
                    d.clone(),
                    format!("the default of `{}`", cb.name()),
                    cb.span,
                );
            }
        }
    }
    for d in &ops.data {
        if let DataKind::Flags(flags) = &d.kind {
            let member = &d.decl.name;
            for f in flags {
                let what = format!("flag `{}` of `{member}`", f.name);
                t.add(Ns::Macro, f.name.clone(), &what, d.span);
                t.declared();
                t.add(Ns::Rust, f.name.clone(), what, d.span);
                t.declared();
            }
            let what = format!("the flag mask of `{member}`");
            t.add(Ns::Macro, n.flags_all(member), &what, d.span);
            t.add(Ns::Rust, n.flags_all(member), what, d.span);
        }
    }
    for d in ops.reported_names() {
        let what = format!("the reader of `{}`", d.decl.name);
        t.unique(
            KernelUnique::Function,
            Ns::C,
            n.policy_member(&d.decl.name),
            what,
            d.span,
        );
        t.derived();
    }
    if !ops.data.is_empty() {
        t.add(
            Ns::Rust,
            n.rust_ops_data(),
            "the Rust type of the ops data members",
            ops.span,
        );
        t.add(
            Ns::Rust,
            n.rust_ops_data_error(),
            "the error of the ops data setters",
            ops.span,
        );
        t.add(
            Ns::Rust,
            n.rust_ops_data_macro(),
            "the macro connecting skeletons to the ops data",
            ops.span,
        );
    }

    // the exit op's types
    if let Some(op) = ops.exit_op() {
        let what = format!("the info struct of exit op `{}`", op.name());
        t.unique(KernelUnique::Struct, Ns::Tag, n.exit_info(), what, op.span);
        t.derived();
        t.add(Ns::Tag, n.exit_kind_enum(), "the exit kinds", op.span);
        for (k, _) in EXIT_KINDS {
            t.add(Ns::C, n.exit_kind(k), "an exit kind", op.span);
            t.add(Ns::Rust, n.exit_kind(k), "an exit kind", op.span);
        }
        t.add(
            Ns::Tag,
            EXIT_RECORD_TAG.into(),
            "the BPF exit record",
            op.span,
        );
        t.add(
            Ns::C,
            EXIT_RECORD_VAR.into(),
            "the BPF exit record",
            op.span,
        );
        for m in EXIT_RECORD_MACROS {
            t.add(Ns::Macro, m.into(), "the BPF exit record", op.span);
        }
    }

    // the BPF header's counter tag
    t.add(Ns::Macro, COUNTER_MACRO.into(), "the BPF counter tag", at);

    // the struct_ops glue
    let glue = "the generated glue";
    t.unique(
        KernelUnique::Function,
        Ns::C,
        n.init_fn(),
        "the generated init function".into(),
        at,
    );
    t.derived();
    for name in [
        n.st_ops_var(),
        n.stubs_table(),
        n.static_key(),
        n.lock(),
        n.verifier_ops(),
        n.btf_ids(),
        n.btf_shift(),
        n.btf_shift_note(),
        n.btf_var(),
        n.is_valid_access(),
        n.btf_idx(None),
    ] {
        t.add(Ns::C, name, glue, at);
    }
    for cb in [
        "init",
        "check_member",
        "init_member",
        "validate",
        "reg",
        "unreg",
        "update",
    ] {
        t.add(Ns::C, n.st_cb(cb), glue, at);
    }
    match ops.instances {
        Instances::One => {
            for name in [n.live(), n.link_var(), n.eject_fn()] {
                t.add(Ns::C, name, glue, at);
            }
            if ops.exit_op().is_some() {
                t.add(Ns::C, n.ejected_var(), glue, at);
                t.add(Ns::C, n.eject_info_var(), glue, at);
            }
        }
        Instances::Many => {
            t.add(Ns::C, n.live_list(), glue, at);
            t.add(Ns::C, n.find_fn(), glue, at);
        }
    }
    if ops.data.iter().any(|d| d.kind == DataKind::Name) {
        t.add(Ns::C, n.name_valid(), glue, at);
    }
    let written = ops.written_structs();
    if !written.is_empty() {
        t.add(Ns::C, n.btf_type_fn(), glue, at);
        t.add(Ns::C, n.btf_struct_access(), glue, at);
    }
    for st in written {
        let span = ops
            .writes
            .iter()
            .find(|w| w.strukt == st)
            .map_or(ops.span, |w| w.span);
        let what = format!("the write check of struct `{st}`");
        t.add(Ns::C, n.struct_access(st), &what, span);
        t.add(Ns::C, n.btf_idx(Some(st)), what, span);
    }
    for name in [
        n.enabled_macro(),
        n.op_idx(),
        n.moff_idx(),
        n.call_macro(),
        n.kernel_h_guard(),
        n.bpf_h_guard(),
        n.types_in_vmlinux(),
        n.ops_define_macro(),
        n.op_prog_macro(false),
    ] {
        t.add(Ns::Macro, name, glue, at);
    }
    if ops.callbacks.iter().any(|c| c.sleepable) {
        t.add(Ns::Macro, n.op_prog_macro(true), glue, at);
    }
    if decl.in_tree().is_some() {
        t.add(Ns::Macro, n.linux_h_guard(), glue, at);
    }
    if ops.has_sleepable() {
        t.add(Ns::C, n.srcu(), glue, at);
    }
    if ops.hot().next().is_some() {
        t.add(Ns::C, n.patch_fn(), glue, at);
    }
    let zero = ops.callbacks.iter().map(|c| c.if_missing);
    if zero
        .chain(ops.data.iter().map(|d| d.if_missing))
        .any(|m| m == IfMissing::Zero)
    {
        t.add(Ns::Macro, ZERO_TAG_MACRO.into(), glue, at);
    }
    for c in RUST_FIXED {
        if c != "OPS_EXIT" || ops.exit_op().is_some() {
            t.add(Ns::Rust, c.into(), glue, at);
        }
    }

    // kfunc sets
    let used: Vec<ProgType> = ProgType::ALL
        .into_iter()
        .filter(|p| decl.kfuncs.iter().any(|k| k.prog_types.contains(p)))
        .collect();
    for p in &used {
        t.add(Ns::C, kfunc_names::set8(sub, *p), "a kfunc set", at);
        t.add(Ns::C, kfunc_names::id_set(sub, *p), "a kfunc set", at);
    }
    if used.contains(&ProgType::StructOps) {
        t.add(Ns::C, kfunc_names::filter(sub), "the kfunc filter", at);
        t.add(Ns::C, n.btf_local_id(), glue, at);
        t.add(Ns::C, n.prog_is_ours(), glue, at);
        let st = || {
            decl.kfuncs
                .iter()
                .filter(|k| k.prog_types.contains(&ProgType::StructOps))
        };
        if st().any(|k| k.scope == OpScope::AnyOp && k.deny == Deny::None) {
            t.add(Ns::C, kfunc_names::any_op_set(sub), "a kfunc set", at);
        }
        if st().any(|k| k.deny != Deny::None) {
            t.add(Ns::C, kfunc_names::outside_set(sub), "a kfunc set", at);
        }
        let mut any_op_set = false;
        for cb in &ops.callbacks {
            let op = cb.name();
            if st().any(|k| match (&k.scope, &k.deny) {
                (OpScope::Ops(o), _) => o.iter().any(|o| o == op),
                (OpScope::AnyOp, Deny::Ops(d)) => !d.iter().any(|o| o == op),
                _ => false,
            }) {
                let what = format!("the kfunc set of op `{}`", cb.name());
                t.add(Ns::C, kfunc_names::op_set(sub, cb.name()), what, at);
                any_op_set = true;
            }
        }
        if any_op_set {
            t.add(Ns::C, kfunc_names::op_sets_table(sub), "a kfunc set", at);
        }
    }

    // hook glue
    if !decl.hooks.is_empty() {
        t.add(Ns::Macro, hook_names::call_macro(sub), glue, at);
        t.add(Ns::Macro, hook_names::nop_opcode_macro(sub), glue, at);
        t.add(Ns::C, hook_names::entries_key(sub), glue, at);
        t.add(Ns::C, hook_names::traced_fn(sub), glue, at);
        t.add(Ns::C, hook_names::site_fn(sub), glue, at);
        t.add(Ns::C, hook_names::fns_array(sub), glue, at);
        t.add(Ns::C, hook_names::check_entries_fn(sub), glue, at);
        let fmod = decl.hooks.iter().any(|h| h.is_fmod_ret());
        for kind in hook_names::PROG_KINDS {
            if kind != "FMOD_RET" || fmod {
                t.add(Ns::Macro, hook_names::prog_macro(sub, kind), glue, at);
            }
        }
        if fmod {
            t.add(Ns::C, hook_names::fmodret_set(sub), glue, at);
            t.add(Ns::C, hook_names::fmodret_id_set(sub), glue, at);
        }
    }
    // the glue first, so a clash is reported at the declared item
    t.syms.sort_by_key(|s| s.span != at);
    t.syms
}
