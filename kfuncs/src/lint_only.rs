//! A kfunc the kernel provides whose prototype a declaration cannot state
//! (a function-pointer argument, an acquire with no release in the set, a
//! `___` name): declared by name so lint checks where it is called from;
//! nothing is generated for it.

use modless_ctypes::{check_ident, Span};

use crate::model::{KfFlag, OpScope, ProgType};
use crate::validate::KfuncError;

/// `[[lint_kfunc]]`: name, flags and where it may be called from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LintKfunc {
    pub name: String,
    pub flags: Vec<KfFlag>,
    pub prog_types: Vec<ProgType>,
    /// `Ops(vec![])`: no op of the struct may call it.
    pub scope: OpScope,
    pub span: Span,
}

impl LintKfunc {
    pub fn allowed_in_op(&self, op: &str) -> bool {
        match &self.scope {
            OpScope::AnyOp => true,
            OpScope::Ops(ops) => ops.iter().any(|o| o == op),
        }
    }
}

/// Rules local to one lint-only kfunc: the name may carry `___` (the
/// kernel's own `name___v2` kfuncs), and an empty `ops` says no op may call it.
pub fn validate_lint_only(k: &LintKfunc) -> Vec<(Span, KfuncError)> {
    let mut errs = Vec::new();
    let name = &k.name;
    let mut push = |e: KfuncError| errs.push((k.span, e));
    if let Err(err) = check_ident(name) {
        push(KfuncError::Name {
            name: name.clone(),
            err,
        });
    }
    for (i, f) in k.flags.iter().enumerate() {
        if k.flags[..i].contains(f) {
            push(KfuncError::DuplicateFlag {
                name: name.clone(),
                flag: f.c_name(),
            });
        }
    }
    if k.prog_types.is_empty() {
        push(KfuncError::NoProgTypes { name: name.clone() });
    }
    for (i, t) in k.prog_types.iter().enumerate() {
        if k.prog_types[..i].contains(t) {
            push(KfuncError::DuplicateProgType {
                name: name.clone(),
                prog_type: t.key(),
            });
        }
    }
    if matches!(k.scope, OpScope::Ops(_)) && !k.prog_types.contains(&ProgType::StructOps) {
        push(KfuncError::OpsWithoutStructOps { name: name.clone() });
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(name: &str, prog_types: Vec<ProgType>, scope: OpScope) -> LintKfunc {
        LintKfunc {
            name: name.into(),
            flags: vec![KfFlag::ImplicitArgs],
            prog_types,
            scope,
            span: Span::UNKNOWN,
        }
    }

    #[test]
    fn a_flavoured_name_and_an_empty_scope_are_lint_only_forms() {
        let v2 = k(
            "scx_bpf_dsq_insert___v2",
            vec![ProgType::StructOps],
            OpScope::Ops(vec![]),
        );
        assert_eq!(validate_lint_only(&v2), vec![]);
        assert!(!v2.allowed_in_op("enqueue"));
        let any = k("bpf_x", vec![ProgType::StructOps], OpScope::AnyOp);
        assert!(any.allowed_in_op("enqueue"));
    }

    #[test]
    fn what_a_full_kfunc_may_not_say_a_lint_only_one_may_not_either() {
        let bad = k("2x", vec![], OpScope::Ops(vec!["a".into()]));
        let errs: Vec<String> = validate_lint_only(&bad)
            .into_iter()
            .map(|(_, e)| e.to_string())
            .collect();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].starts_with("kfunc name `2x`"), "{errs:?}");
        assert!(errs[1].contains("lists no program types"), "{errs:?}");
        assert!(errs[2].contains("lacks \"struct_ops\""), "{errs:?}");
    }
}
