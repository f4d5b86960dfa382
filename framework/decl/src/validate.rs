//! Rules across concepts, plus running each concept's own rules.

use modless_ctypes::{check_ident, Span};
use modless_kfuncs::{KfFlag, OpScope};
use modless_struct_ops::Names;

use crate::error::{DeclError, DeclErrorKind, DeclErrors};
use crate::model::{Declaration, KernelNames};

impl Declaration {
    /// Checks every rule; `Ok` means generation will produce loadable glue.
    pub fn validate(&self) -> Result<(), DeclErrors> {
        self.validate_against(&KernelNames::default())
    }

    /// [`Declaration::validate`], plus: no kfunc, hook, CFI stub or type
    /// name may already exist in the target kernel (module kfunc names are
    /// checked for global uniqueness at registration, btf.c:8898-8929).
    pub fn validate_against(&self, kernel: &KernelNames) -> Result<(), DeclErrors> {
        let mut errs = Vec::new();
        let mut at =
            |span: Span, kind: DeclErrorKind| errs.push(DeclError::at(&self.origin, span, kind));

        let sub = &self.subsystem;
        if let Err(err) = check_ident(&sub.name) {
            at(
                sub.span,
                DeclErrorKind::SubsystemName {
                    name: sub.name.clone(),
                    err,
                },
            );
        } else if sub.name != sub.name.to_ascii_lowercase() {
            at(
                sub.span,
                DeclErrorKind::SubsystemCase {
                    name: sub.name.clone(),
                },
            );
        }

        for s in &self.structs {
            for e in s.def.validate() {
                at(s.span, e.into());
            }
        }
        for (span, e) in modless_struct_ops::validate(&self.ops) {
            at(span, e.into());
        }
        for k in &self.kfuncs {
            for (span, e) in modless_kfuncs::validate(k) {
                at(span, e.into());
            }
        }
        for (span, e) in modless_kfuncs::validate_set(&self.kfuncs) {
            at(span, e.into());
        }
        for h in &self.hooks {
            for (span, e) in modless_hooks::validate(h) {
                at(span, e.into());
            }
        }
        for (span, e) in modless_hooks::validate_set(&self.hooks) {
            at(span, e.into());
        }

        // kfunc scope vs the ops table
        for k in &self.kfuncs {
            let sleepable = k.has(KfFlag::Sleepable);
            match &k.scope {
                OpScope::Ops(ops) => {
                    for op in ops {
                        match self.ops.callback(op) {
                            None => at(
                                k.span,
                                DeclErrorKind::UnknownOp {
                                    kfunc: k.name().into(),
                                    op: op.clone(),
                                    ops: self.ops.name.clone(),
                                },
                            ),
                            Some(cb) if sleepable && !cb.sleepable => at(
                                k.span,
                                DeclErrorKind::SleepableKfuncInAtomicOp {
                                    kfunc: k.name().into(),
                                    op: op.clone(),
                                },
                            ),
                            Some(_) => {}
                        }
                    }
                }
                OpScope::AnyOp => {
                    let for_struct_ops =
                        k.prog_types.contains(&modless_kfuncs::ProgType::StructOps);
                    if sleepable
                        && for_struct_ops
                        && !self.ops.callbacks.iter().any(|c| c.sleepable)
                    {
                        at(
                            k.span,
                            DeclErrorKind::SleepableKfuncNoSleepableOp {
                                kfunc: k.name().into(),
                            },
                        );
                    }
                }
            }
        }

        // the exit op receives the struct the glue defines
        let names = Names::new(&sub.name, &self.ops.name);
        if let Some(op) = self.ops.exit_op() {
            let given = op.proto.params.first().and_then(|p| p.ty.struct_ptr_tag());
            if let Some(given) = given.filter(|g| *g != names.exit_info()) {
                at(
                    op.span,
                    DeclErrorKind::ExitInfoType {
                        op: op.name().into(),
                        given: given.into(),
                        want: names.exit_info(),
                    },
                );
            }
        }

        // write allowlist
        for w in &self.ops.writes {
            let rule = format!("{}.{}", w.strukt, w.field);
            if w.field.is_empty() || w.strukt.is_empty() {
                at(w.span, DeclErrorKind::WriteSyntax { rule });
                continue;
            }
            match self.shared_struct(&w.strukt) {
                None => at(
                    w.span,
                    DeclErrorKind::WriteUnknownStruct {
                        rule,
                        strukt: w.strukt.clone(),
                    },
                ),
                Some(s) if s.def.field(&w.field).is_none() => at(
                    w.span,
                    DeclErrorKind::WriteUnknownField {
                        rule,
                        strukt: w.strukt.clone(),
                        field: w.field.clone(),
                    },
                ),
                Some(_) => {}
            }
        }

        // one C namespace for everything the generated code defines
        let mut funcs: Vec<(String, String, Span)> = Vec::new();
        for k in &self.kfuncs {
            funcs.push((k.name().into(), format!("kfunc `{}`", k.name()), k.span));
        }
        for h in &self.hooks {
            funcs.push((h.name().into(), format!("hook `{}`", h.name()), h.span));
        }
        for cb in &self.ops.callbacks {
            funcs.push((
                names.stub(cb.name()),
                format!("the CFI stub of `{}`", cb.name()),
                cb.span,
            ));
            funcs.push((
                names.call_fn(cb.name()),
                format!("the call function of `{}`", cb.name()),
                cb.span,
            ));
            if let Some(d) = &cb.default {
                let prev = funcs.iter().position(|(n, _, _)| n == d);
                let is_shared_default = prev.is_some_and(|i| funcs[i].1.starts_with("the default"));
                if !is_shared_default {
                    funcs.push((
                        d.clone(),
                        format!("the default of `{}`", cb.name()),
                        cb.span,
                    ));
                }
            }
        }
        let init = format!("{}_bpf_init", sub.name);
        funcs.push((init, "the generated init function".into(), sub.span));
        for (i, (name, what, span)) in funcs.iter().enumerate() {
            if let Some((_, first, _)) = funcs[..i].iter().find(|(n, _, _)| n == name) {
                at(
                    *span,
                    DeclErrorKind::NameCollision {
                        name: name.clone(),
                        first: first.clone(),
                        second: what.clone(),
                    },
                );
            }
        }
        let mut types: Vec<(String, String, Span)> =
            vec![(self.ops.name.clone(), "the ops type".into(), self.ops.span)];
        if let Some(op) = self.ops.exit_op() {
            types.push((
                names.exit_info(),
                format!("the info struct of exit op `{}`", op.name()),
                op.span,
            ));
        }
        for s in &self.structs {
            types.push((
                s.def.name.clone(),
                format!("struct `{}`", s.def.name),
                s.span,
            ));
        }
        for (i, (name, what, span)) in types.iter().enumerate() {
            if let Some((_, first, _)) = types[..i].iter().find(|(n, _, _)| n == name) {
                at(
                    *span,
                    DeclErrorKind::NameCollision {
                        name: name.clone(),
                        first: first.clone(),
                        second: what.clone(),
                    },
                );
            }
        }

        // global uniqueness against the target kernel
        for (name, what, span) in &funcs {
            if kernel.funcs.contains(name) && !what.starts_with("the call function") {
                let what = if what.starts_with("kfunc") {
                    "kfunc"
                } else {
                    "function"
                };
                at(
                    *span,
                    DeclErrorKind::KernelNameClash {
                        what,
                        name: name.clone(),
                    },
                );
            }
        }
        for (name, _, span) in &types {
            if kernel.structs.contains(name) {
                at(
                    *span,
                    DeclErrorKind::KernelNameClash {
                        what: "struct",
                        name: name.clone(),
                    },
                );
            }
        }

        if errs.is_empty() {
            Ok(())
        } else {
            Err(DeclErrors(errs))
        }
    }
}
