//! Rules for one kfunc (btf.c:7614-7676, 8832-8929; verifier.c:11370-14200)
//! and for a set of them.

use modless_ctypes::{check_ident, CType, IdentError, Scalar, Span};
use thiserror::Error;

use crate::model::{Deny, KfFlag, Kfunc, OpScope};

/// `MAX_BPF_FUNC_ARGS`.
pub const MAX_ARGS: usize = 12;

/// Parameter-name suffixes the 7.3 verifier reads for kfunc arguments.
pub const ARG_SUFFIXES: &[&str] = &[
    "__arena__nullable",
    "__nonown_allowed",
    "__refcounted_kptr",
    "__const_map",
    "__irq_flag",
    "__nullable",
    "__uninit",
    "__alloc",
    "__arena",
    "__iter",
    "__szk",
    "__map",
    "__ign",
    "__str",
    "__sz",
    "__k",
];

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KfuncError {
    #[error("kfunc name `{name}`: {err}")]
    Name { name: String, err: IdentError },
    #[error("kfunc `{name}` contains `___`, which libbpf strips as a flavor suffix; rename it")]
    TripleUnderscore { name: String },
    #[error("kfunc `{name}` is declared twice; kfunc names must be unique")]
    Duplicate { name: String },
    #[error("kfunc `{name}` takes {count} arguments; at most {MAX_ARGS} are allowed")]
    TooManyArgs { name: String, count: usize },
    #[error("kfunc `{name}` passes or returns a struct by value (`{what}`); use a pointer")]
    StructByValue { name: String, what: String },
    #[error(
        "kfunc `{name}` has KF_RET_NULL but returns `{ty}`; KF_RET_NULL needs a pointer return"
    )]
    RetNullNotPointer { name: String, ty: String },
    #[error("kfunc `{name}` has KF_ACQUIRE but returns `{ty}`; an acquiring kfunc must return `struct X *`")]
    AcquireNotStructPtr { name: String, ty: String },
    #[error("kfunc `{name}` has KF_RELEASE but its first argument is not `struct X *`; the verifier releases argument 1")]
    ReleaseNeedsStructArg { name: String },
    #[error("kfunc `{name}` acquires `struct {strukt}` but no KF_RELEASE kfunc takes `struct {strukt} *` as its first argument; declare one")]
    AcquireWithoutRelease { name: String, strukt: String },
    #[error(
        "kfunc `{name}` has KF_IMPLICIT_ARGS but its last argument is not `struct bpf_prog_aux *`"
    )]
    ImplicitArgsShape { name: String },
    #[error("kfunc `{name}` lists flag {flag} twice")]
    DuplicateFlag { name: String, flag: &'static str },
    #[error("kfunc `{name}` lists no program types; add `prog_types = [\"struct_ops\"]` (or syscall, tracing)")]
    NoProgTypes { name: String },
    #[error("kfunc `{name}` lists program type `{prog_type}` twice")]
    DuplicateProgType {
        name: String,
        prog_type: &'static str,
    },
    #[error("kfunc `{name}` is limited to ops but `prog_types` lacks \"struct_ops\"; add it or drop `ops`")]
    OpsWithoutStructOps { name: String },
    #[error("kfunc `{name}` has both `ops` and `deny_ops`; say where it is allowed (`ops`) or where it is not (`deny_ops`), not both")]
    OpsAndDeny { name: String },
    #[error("kfunc `{name}` has `deny_ops` but `prog_types` lacks \"struct_ops\"; add it (programs of other struct_ops types may call it) or drop `deny_ops`")]
    DenyWithoutStructOps { name: String },
    #[error("kfunc `{name}` has an empty `deny_ops` list; name the ops that may not call it, or \"*\" for all")]
    EmptyDeny { name: String },
    #[error(
        "kfunc `{name}` has an empty `ops` list; name the ops that may call it or drop the key"
    )]
    EmptyOps { name: String },
    #[error("kfunc `{name}` argument `{arg}` has suffix `{suffix}` the verifier does not know; rename the argument")]
    UnknownSuffix {
        name: String,
        arg: String,
        suffix: String,
    },
    #[error("kfunc `{name}` argument `{arg}`: {why}")]
    SuffixMisuse {
        name: String,
        arg: String,
        why: &'static str,
    },
    #[error("kfunc `{name}` doc does not describe argument `{arg}`; add `doc_args.{arg}`")]
    UndocumentedArg { name: String, arg: String },
    #[error("kfunc `{name}` doc describes `{arg}`, which is not a parameter; remove it")]
    UnknownDocArg { name: String, arg: String },
}

/// The annotation suffix of a kfunc parameter name, if any.
pub fn arg_suffix(arg: &str) -> Option<&'static str> {
    ARG_SUFFIXES
        .iter()
        .copied()
        .find(|s| arg.len() > s.len() && arg.ends_with(s))
}

fn is_scalar(ty: &CType) -> bool {
    matches!(ty, CType::Scalar(_))
}

/// Rules local to one kfunc.
pub fn validate(k: &Kfunc) -> Vec<(Span, KfuncError)> {
    let mut errs = Vec::new();
    let name = k.name().to_string();
    let mut push = |e: KfuncError| errs.push((k.span, e));
    let p = &k.proto;

    if let Err(err) = check_ident(&name) {
        push(KfuncError::Name {
            name: name.clone(),
            err,
        });
    }
    if name.contains("___") {
        push(KfuncError::TripleUnderscore { name: name.clone() });
    }
    if p.params.len() > MAX_ARGS {
        push(KfuncError::TooManyArgs {
            name: name.clone(),
            count: p.params.len(),
        });
    }
    if matches!(p.ret, CType::Struct(_)) {
        push(KfuncError::StructByValue {
            name: name.clone(),
            what: p.ret.to_string(),
        });
    }
    for a in &p.params {
        if matches!(a.ty, CType::Struct(_)) {
            push(KfuncError::StructByValue {
                name: name.clone(),
                what: a.to_string(),
            });
        }
    }
    for (i, f) in k.flags.iter().enumerate() {
        if k.flags[..i].contains(f) {
            push(KfuncError::DuplicateFlag {
                name: name.clone(),
                flag: f.c_name(),
            });
        }
    }
    if k.has(KfFlag::RetNull) && !p.ret.is_pointer() {
        push(KfuncError::RetNullNotPointer {
            name: name.clone(),
            ty: p.ret.to_string(),
        });
    }
    if k.has(KfFlag::Acquire) && p.ret.struct_ptr_tag().is_none() {
        push(KfuncError::AcquireNotStructPtr {
            name: name.clone(),
            ty: p.ret.to_string(),
        });
    }
    if k.has(KfFlag::Release)
        && p.params
            .first()
            .and_then(|a| a.ty.struct_ptr_tag())
            .is_none()
    {
        push(KfuncError::ReleaseNeedsStructArg { name: name.clone() });
    }
    if k.has(KfFlag::ImplicitArgs)
        && p.params.last().and_then(|a| a.ty.struct_ptr_tag()) != Some("bpf_prog_aux")
    {
        push(KfuncError::ImplicitArgsShape { name: name.clone() });
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
    if let OpScope::Ops(ops) = &k.scope {
        if ops.is_empty() {
            push(KfuncError::EmptyOps { name: name.clone() });
        }
        if !k.prog_types.contains(&crate::model::ProgType::StructOps) {
            push(KfuncError::OpsWithoutStructOps { name: name.clone() });
        }
    }
    if k.deny != Deny::None {
        if matches!(k.scope, OpScope::Ops(_)) {
            push(KfuncError::OpsAndDeny { name: name.clone() });
        }
        if !k.prog_types.contains(&crate::model::ProgType::StructOps) {
            push(KfuncError::DenyWithoutStructOps { name: name.clone() });
        }
        if k.deny == Deny::Ops(Vec::new()) {
            push(KfuncError::EmptyDeny { name: name.clone() });
        }
    }
    for (i, a) in p.params.iter().enumerate() {
        let suffix = arg_suffix(&a.name);
        let misuse = |why| KfuncError::SuffixMisuse {
            name: name.clone(),
            arg: a.name.clone(),
            why,
        };
        match suffix {
            Some("__sz") | Some("__szk") => {
                let after_ptr = i > 0 && p.params[i - 1].ty.is_pointer();
                if !is_scalar(&a.ty) || !after_ptr {
                    push(misuse(
                        "a size (`__sz`/`__szk`) must be a scalar right after a pointer argument",
                    ));
                }
            }
            Some("__k") if !is_scalar(&a.ty) => push(misuse(
                "`__k` marks a constant scalar; the type is not a scalar",
            )),
            Some("__nullable") if !a.ty.is_pointer() => {
                push(misuse("`__nullable` needs a pointer argument"))
            }
            Some("__str") => {
                let ok = matches!(&a.ty, CType::Ptr { to, is_const: true } if **to == CType::Scalar(Scalar::Char));
                if !ok {
                    push(misuse("`__str` needs a `const char *` argument"));
                }
            }
            Some(_) => {}
            None => {
                if let Some(idx) = a.name.get(1..).and_then(|r| r.find("__")).map(|x| x + 1) {
                    push(KfuncError::UnknownSuffix {
                        name: name.clone(),
                        arg: a.name.clone(),
                        suffix: a.name[idx..].to_string(),
                    });
                }
            }
        }
    }
    if let Some(doc) = &k.doc {
        let visible = k.bpf_proto();
        for a in &visible.params {
            if !doc.args.iter().any(|(n, _)| n == &a.name) {
                push(KfuncError::UndocumentedArg {
                    name: name.clone(),
                    arg: a.name.clone(),
                });
            }
        }
        for (n, _) in &doc.args {
            if !p.params.iter().any(|a| &a.name == n) {
                push(KfuncError::UnknownDocArg {
                    name: name.clone(),
                    arg: n.clone(),
                });
            }
        }
    }
    errs
}

/// Rules across the kfuncs of one declaration.
pub fn validate_set(kfuncs: &[Kfunc]) -> Vec<(Span, KfuncError)> {
    let mut errs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // struct tags some KF_RELEASE kfunc releases
    let released: std::collections::HashSet<&str> = kfuncs
        .iter()
        .filter(|r| r.has(KfFlag::Release))
        .filter_map(|r| r.proto.params.first().and_then(|a| a.ty.struct_ptr_tag()))
        .collect();
    for k in kfuncs {
        if !seen.insert(k.name()) {
            errs.push((
                k.span,
                KfuncError::Duplicate {
                    name: k.name().into(),
                },
            ));
        }
        if k.has(KfFlag::Acquire) {
            if let Some(tag) = k.proto.ret.struct_ptr_tag() {
                if !released.contains(tag) {
                    errs.push((
                        k.span,
                        KfuncError::AcquireWithoutRelease {
                            name: k.name().into(),
                            strukt: tag.into(),
                        },
                    ));
                }
            }
        }
    }
    errs
}
