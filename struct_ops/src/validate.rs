//! Rules the kernel enforces on a struct_ops type (bpf_struct_ops.c:358-509,
//! bpf_struct_ops.c:148-318) and rules the generated call path needs.

use modless_ctypes::{check_ident, CType, IdentError, Span};
use thiserror::Error;

use crate::model::{Callback, DataKind, DataMember, IfMissing, Instances, OpsTable, Verdict};

/// `strlen(name) + strlen("bpf_struct_ops_") < 128`.
pub const MAX_OPS_NAME_LEN: usize = 112;
/// `BPF_STRUCT_OPS_MAX_NR_MEMBERS`, data members included.
pub const MAX_MEMBERS: usize = 64;
/// `MAX_BPF_FUNC_ARGS`.
pub const MAX_ARGS: usize = 12;
/// Stub parameter-name suffixes `prepare_arg_info()` understands.
pub const STUB_SUFFIXES: &[&str] = &["__arena__nullable", "__nullable", "__ref", "__arena"];
/// Member names the generated C uses: the any-op kfunc set and the
/// private list node of `instances = "many"`.
pub const RESERVED_MEMBERS: &[&str] = &["any_op", "bpf_node"];
/// Most elements of an array member (the ops table is copied whole).
pub const MAX_ARRAY_LEN: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OpsError {
    #[error("ops type name `{name}`: {err}")]
    Name { name: String, err: IdentError },
    #[error("ops type name `{name}` is {len} characters; the kernel allows at most {MAX_OPS_NAME_LEN} (value type `bpf_struct_ops_<name>` must stay under 128)")]
    NameTooLong { name: String, len: usize },
    #[error("ops `{ops}` has {count} members; the kernel allows at most {MAX_MEMBERS} (data members and the private list node of `instances = \"many\"` count)")]
    TooManyMembers { ops: String, count: usize },
    #[error("ops `{ops}` has no callbacks; declare at least one `[[ops.callback]]`")]
    NoCallbacks { ops: String },
    #[error("ops member `{member}`: {err}")]
    MemberName { member: String, err: IdentError },
    #[error("ops member `{member}` is declared twice; member names must be unique")]
    DuplicateMember { member: String },
    #[error("ops member name `{member}` is reserved by the generated code; rename it")]
    ReservedMember { member: String },
    #[error("ops callback `{member}` takes {count} arguments; at most {MAX_ARGS} are allowed")]
    TooManyArgs { member: String, count: usize },
    #[error("ops callback `{member}` returns `{ty}`; struct_ops returns must be at most 8 bytes and not a struct by value")]
    BadReturn { member: String, ty: String },
    #[error("ops callback `{member}` returns `{ty}`; a pointer return must point to a struct")]
    ReturnPtrNotStruct { member: String, ty: String },
    #[error("ops callback `{member}` argument `{arg}` passes a struct by value; pass a pointer")]
    StructByValue { member: String, arg: String },
    #[error("ops callback `{member}` argument `{arg}` has suffix `{suffix}` the verifier does not know for struct_ops; use one of __nullable, __ref, __arena, __arena__nullable or rename it")]
    UnknownSuffix {
        member: String,
        arg: String,
        suffix: String,
    },
    #[error("ops callback `{member}` argument `{arg}` is annotated `{suffix}` but is not a pointer to a struct; annotate only `struct X *` arguments")]
    SuffixNeedsStructPtr {
        member: String,
        arg: String,
        suffix: String,
    },
    #[error("ops callback `{member}` returns `{ty}` but has no `default`; the subsystem needs a C function to call when no BPF program implements it")]
    MissingDefault { member: String, ty: String },
    #[error("ops callback `{member}` default `{default}`: {err}")]
    DefaultName {
        member: String,
        default: String,
        err: IdentError,
    },
    #[error("ops callback `{member}` is sleepable but `instances = \"many\"`; sleepable ops need `instances = \"one\"`")]
    SleepableMany { member: String },
    #[error("ops callback `{member}` is hot but `instances = \"many\"`; a static call reaches one instance: drop `hot` or use `instances = \"one\"`")]
    HotMany { member: String },
    #[error("ops callback `{member}` is hot and has a verdict; a static call needs one function type for the op and its default, and a verdict's default returns the enum: drop `hot` or `verdict`")]
    HotVerdict { member: String },
    #[error("ops callback `{member}` is hot and returns `{ty}` without a `default`; the static call needs a C function to call while no op is attached: add `default`")]
    HotNoDefault { member: String, ty: String },
    #[error("ops callback `{member}` is required and `if_missing = \"zero\"`; a required op cannot be left out: use `if_missing = \"fail\"` (the default) or make it optional")]
    RequiredZeroIfMissing { member: String },
    #[error("ops `{ops}` has more than one exit op (`{member}` is the second); mark one callback `exit = true`")]
    SecondExitOp { ops: String, member: String },
    #[error("exit op `{member}` must be `void (*{member})(struct <subsystem>_exit_info *info)`, not `{proto}`")]
    ExitOpShape { member: String, proto: String },
    #[error("exit op `{member}` cannot be {what}: the glue calls it once, from unreg, with its lock held")]
    ExitOpFlag { member: String, what: &'static str },
    #[error("ops data member `{member}` has kind `name` but type `{ty}`; declare it as `char {member}[N]`")]
    NameNotCharArray { member: String, ty: String },
    #[error(
        "ops data member `{member}` has type `{ty}`; flags and values must be integer scalars"
    )]
    NotInteger { member: String, ty: String },
    #[error("ops data member `{member}` holds flags but `{ty}` is signed; use an unsigned type")]
    SignedFlags { member: String, ty: String },
    #[error("flag `{flag}` of `{member}` uses bit {bit}, outside the {width}-bit type")]
    FlagBitRange {
        member: String,
        flag: String,
        bit: u32,
        width: u32,
    },
    #[error("flag `{flag}` of `{member}` reuses a name or bit of another flag; give each flag its own name and bit")]
    DuplicateFlag { member: String, flag: String },
    #[error("flag name `{flag}`: {err}")]
    FlagName { flag: String, err: IdentError },
    #[error("ops data member `{member}` is `char {member}[{len}]`; a name needs room for at least one character and the NUL, declare at least `char {member}[2]`")]
    NameTooShort { member: String, len: usize },
    #[error("ops data member `{member}` is an array of {len} elements; at most {MAX_ARRAY_LEN} are allowed")]
    ArrayTooLarge { member: String, len: usize },
    #[error("ops callback `{member}` returns `{ty}`; a verdict needs an integer return (e.g. `int`), change it or drop `verdict`")]
    VerdictNotInteger { member: String, ty: String },
    #[error("the verdict of ops callback `{member}` has no values; list them, e.g. values = [\"X_PASS\", \"X_HANDLED\"]")]
    VerdictEmpty { member: String },
    #[error("the verdict of ops callback `{member}` lists verdict `{value}` twice; give each value once")]
    VerdictDuplicate { member: String, value: String },
    #[error("the verdict of ops callback `{member}`: {what} `{name}`: {err}")]
    VerdictName {
        member: String,
        what: &'static str,
        name: String,
        err: IdentError,
    },
    #[error("the verdict of ops callback `{member}`: fallback `{fallback}` is not one of its values; name one of: {values}")]
    VerdictFallback {
        member: String,
        fallback: String,
        values: String,
    },
    #[error("ops data member `{member}` has a `default` but kind `{kind}`; only `kind = \"name\"` members take one, remove it")]
    DefaultNotName { member: String, kind: &'static str },
    #[error("ops data member `{member}` has default `{default}`, which is not a name for `char {member}[{len}]`: give 1 to {} of [A-Za-z0-9_.]", len - 1)]
    BadNameDefault {
        member: String,
        default: String,
        len: usize,
    },
    #[error("ops data member `{member}` has max {max}, which `{ty}` cannot hold")]
    MaxOutOfRange {
        member: String,
        max: u64,
        ty: String,
    },
}

/// Every rule violation with the span of the item it concerns.
pub fn validate(ops: &OpsTable) -> Vec<(Span, OpsError)> {
    let mut errs = Vec::new();
    let mut push = |span: Span, e: OpsError| errs.push((span, e));

    if let Err(err) = check_ident(&ops.name) {
        push(
            ops.span,
            OpsError::Name {
                name: ops.name.clone(),
                err,
            },
        );
    }
    if ops.name.len() > MAX_OPS_NAME_LEN {
        push(
            ops.span,
            OpsError::NameTooLong {
                name: ops.name.clone(),
                len: ops.name.len(),
            },
        );
    }
    if ops.member_count() > MAX_MEMBERS {
        push(
            ops.span,
            OpsError::TooManyMembers {
                ops: ops.name.clone(),
                count: ops.member_count(),
            },
        );
    }
    if ops.callbacks.is_empty() {
        push(
            ops.span,
            OpsError::NoCallbacks {
                ops: ops.name.clone(),
            },
        );
    }

    let names: Vec<(&str, Span)> = ops
        .callbacks
        .iter()
        .map(|c| (c.name(), c.span))
        .chain(ops.data.iter().map(|d| (d.decl.name.as_str(), d.span)))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (name, span) in &names {
        if let Err(err) = check_ident(name) {
            push(
                *span,
                OpsError::MemberName {
                    member: name.to_string(),
                    err,
                },
            );
        }
        if !seen.insert(*name) {
            push(
                *span,
                OpsError::DuplicateMember {
                    member: name.to_string(),
                },
            );
        }
        if RESERVED_MEMBERS.contains(name) {
            push(
                *span,
                OpsError::ReservedMember {
                    member: name.to_string(),
                },
            );
        }
    }

    for cb in &ops.callbacks {
        let member = cb.name().to_string();
        let p = &cb.proto;
        if p.params.len() > MAX_ARGS {
            push(
                cb.span,
                OpsError::TooManyArgs {
                    member: member.clone(),
                    count: p.params.len(),
                },
            );
        }
        match &p.ret {
            CType::Void | CType::Scalar(_) => {}
            CType::Ptr { .. } if p.ret.struct_ptr_tag().is_some() => {}
            CType::Ptr { .. } => push(
                cb.span,
                OpsError::ReturnPtrNotStruct {
                    member: member.clone(),
                    ty: p.ret.to_string(),
                },
            ),
            _ => push(
                cb.span,
                OpsError::BadReturn {
                    member: member.clone(),
                    ty: p.ret.to_string(),
                },
            ),
        }
        for arg in &p.params {
            if matches!(arg.ty, CType::Struct(_)) {
                push(
                    cb.span,
                    OpsError::StructByValue {
                        member: member.clone(),
                        arg: arg.name.clone(),
                    },
                );
            }
            if let Some(e) = check_stub_suffix(&member, &arg.name, &arg.ty) {
                push(cb.span, e);
            }
        }
        match &cb.default {
            None if !p.ret.is_void() && cb.verdict.is_none() => push(
                cb.span,
                OpsError::MissingDefault {
                    member: member.clone(),
                    ty: p.ret.to_string(),
                },
            ),
            Some(d) => {
                if let Err(err) = check_ident(d) {
                    push(
                        cb.span,
                        OpsError::DefaultName {
                            member: member.clone(),
                            default: d.clone(),
                            err,
                        },
                    );
                }
            }
            None => {}
        }
        if cb.required && cb.if_missing == IfMissing::Zero {
            push(
                cb.span,
                OpsError::RequiredZeroIfMissing {
                    member: member.clone(),
                },
            );
        }
        if cb.exit {
            check_exit_op(ops, cb, &mut push);
        }
        if let Some(v) = &cb.verdict {
            check_verdict(cb, v, &mut push);
        }
        if cb.hot {
            check_hot(ops, cb, &mut push);
        }
        if cb.sleepable && ops.instances == Instances::Many {
            push(cb.span, OpsError::SleepableMany { member });
        }
    }

    for d in &ops.data {
        let member = d.decl.name.clone();
        let ty = d.decl.ty.to_string();
        if let CType::Array { len, .. } = d.decl.ty {
            if len > MAX_ARRAY_LEN {
                let member = member.clone();
                push(d.span, OpsError::ArrayTooLarge { member, len });
            } else if len < 2 && d.kind == DataKind::Name {
                let member = member.clone();
                push(d.span, OpsError::NameTooShort { member, len });
            }
        }
        if let Some(def) = &d.default {
            check_data_default(d, def, &mut push);
        }
        match &d.kind {
            DataKind::Name => {
                let is_char_array = matches!(&d.decl.ty, CType::Array { of, .. }
                    if **of == CType::Scalar(modless_ctypes::Scalar::Char));
                if !is_char_array {
                    push(d.span, OpsError::NameNotCharArray { member, ty });
                }
            }
            DataKind::Flags(flags) => {
                let Some(s) = d.decl.ty.scalar().filter(|s| s.is_integer()) else {
                    push(d.span, OpsError::NotInteger { member, ty });
                    continue;
                };
                if s.is_signed() {
                    push(
                        d.span,
                        OpsError::SignedFlags {
                            member: member.clone(),
                            ty: ty.clone(),
                        },
                    );
                }
                let width = s.size() as u32 * 8;
                for (i, f) in flags.iter().enumerate() {
                    if let Err(err) = check_ident(&f.name) {
                        push(
                            d.span,
                            OpsError::FlagName {
                                flag: f.name.clone(),
                                err,
                            },
                        );
                    }
                    if f.bit >= width {
                        push(
                            d.span,
                            OpsError::FlagBitRange {
                                member: member.clone(),
                                flag: f.name.clone(),
                                bit: f.bit,
                                width,
                            },
                        );
                    }
                    if flags[..i]
                        .iter()
                        .any(|g| g.name == f.name || g.bit == f.bit)
                    {
                        push(
                            d.span,
                            OpsError::DuplicateFlag {
                                member: member.clone(),
                                flag: f.name.clone(),
                            },
                        );
                    }
                }
            }
            DataKind::Value { max } => {
                let Some(s) = d.decl.ty.scalar().filter(|s| s.is_integer()) else {
                    push(d.span, OpsError::NotInteger { member, ty });
                    continue;
                };
                if let Some(m) = max {
                    if i128::from(*m) > s.range().1 {
                        push(
                            d.span,
                            OpsError::MaxOutOfRange {
                                member,
                                max: *m,
                                ty,
                            },
                        );
                    }
                }
            }
        }
    }
    errs
}

fn check_verdict(cb: &Callback, v: &Verdict, push: &mut impl FnMut(Span, OpsError)) {
    let member = cb.name().to_string();
    if !cb.proto.ret.scalar().is_some_and(|s| s.is_integer()) {
        let ty = cb.proto.ret.to_string();
        push(
            cb.span,
            OpsError::VerdictNotInteger {
                member: member.clone(),
                ty,
            },
        );
    }
    if v.values.is_empty() {
        push(cb.span, OpsError::VerdictEmpty { member });
        return;
    }
    let names = std::iter::once(("enum", &v.name)).chain(v.values.iter().map(|x| ("value", x)));
    for (what, name) in names {
        if let Err(err) = check_ident(name) {
            let (member, name) = (member.clone(), name.clone());
            push(
                cb.span,
                OpsError::VerdictName {
                    member,
                    what,
                    name,
                    err,
                },
            );
        }
    }
    for (i, value) in v.values.iter().enumerate() {
        if v.values[..i].contains(value) {
            let (member, value) = (member.clone(), value.clone());
            push(cb.span, OpsError::VerdictDuplicate { member, value });
        }
    }
    if !v.values.contains(&v.fallback) {
        push(
            cb.span,
            OpsError::VerdictFallback {
                member,
                fallback: v.fallback.clone(),
                values: v.values.join(", "),
            },
        );
    }
}

fn check_data_default(d: &DataMember, def: &str, push: &mut impl FnMut(Span, OpsError)) {
    let member = d.decl.name.clone();
    let kind = match d.kind {
        DataKind::Name => None,
        DataKind::Flags(_) => Some("flags"),
        DataKind::Value { .. } => Some("value"),
    };
    if let Some(kind) = kind {
        push(d.span, OpsError::DefaultNotName { member, kind });
        return;
    }
    let CType::Array { len, .. } = d.decl.ty else {
        return; // NameNotCharArray says it
    };
    let ok = !def.is_empty()
        && def.len() < len
        && def
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !ok {
        let default = def.to_string();
        push(
            d.span,
            OpsError::BadNameDefault {
                member,
                default,
                len,
            },
        );
    }
}

fn check_exit_op(ops: &OpsTable, cb: &Callback, push: &mut impl FnMut(Span, OpsError)) {
    let member = cb.name().to_string();
    if ops.exit_op().is_some_and(|first| !std::ptr::eq(first, cb)) {
        push(
            cb.span,
            OpsError::SecondExitOp {
                ops: ops.name.clone(),
                member: member.clone(),
            },
        );
    }
    let p = &cb.proto;
    let shaped = p.ret.is_void()
        && p.params.len() == 1
        && p.params[0]
            .ty
            .struct_ptr_tag()
            .is_some_and(|t| t.ends_with("_exit_info"));
    if !shaped {
        push(
            cb.span,
            OpsError::ExitOpShape {
                member: member.clone(),
                proto: p.render_fn_ptr(),
            },
        );
    }
    for (bad, what) in [
        (cb.required, "required"),
        (cb.sleepable, "sleepable"),
        (cb.hot, "hot"),
        (cb.default.is_some(), "given a default"),
        (cb.verdict.is_some(), "given a verdict"),
    ] {
        if bad {
            push(
                cb.span,
                OpsError::ExitOpFlag {
                    member: member.clone(),
                    what,
                },
            );
        }
    }
}

/// `hot = true`: one instance, and a function of the op's own type to call
/// while none is attached.
fn check_hot(ops: &OpsTable, cb: &Callback, push: &mut impl FnMut(Span, OpsError)) {
    let member = cb.name().to_string();
    if ops.instances == Instances::Many {
        push(
            cb.span,
            OpsError::HotMany {
                member: member.clone(),
            },
        );
    }
    if cb.verdict.is_some() {
        push(
            cb.span,
            OpsError::HotVerdict {
                member: member.clone(),
            },
        );
    } else if cb.default.is_none() && !cb.proto.ret.is_void() {
        let ty = cb.proto.ret.to_string();
        push(cb.span, OpsError::HotNoDefault { member, ty });
    }
}

/// The annotation suffix of a parameter name, if it has one the verifier
/// reads (`job__ref` -> `__ref`).
pub fn stub_suffix(arg: &str) -> Option<&'static str> {
    STUB_SUFFIXES
        .iter()
        .copied()
        .find(|s| arg.len() > s.len() && arg.ends_with(s))
}

/// The parameter name without its annotation, for the subsystem-facing API.
pub fn plain_arg_name(arg: &str) -> &str {
    match stub_suffix(arg) {
        Some(s) => &arg[..arg.len() - s.len()],
        None => arg,
    }
}

fn check_stub_suffix(member: &str, arg: &str, ty: &CType) -> Option<OpsError> {
    match stub_suffix(arg) {
        Some(suffix) => {
            let ok = if suffix.starts_with("__arena") {
                ty.is_pointer()
            } else {
                ty.struct_ptr_tag().is_some()
            };
            (!ok).then(|| OpsError::SuffixNeedsStructPtr {
                member: member.into(),
                arg: arg.into(),
                suffix: suffix.into(),
            })
        }
        None => {
            let idx = arg
                .get(1..)
                .and_then(|rest| rest.find("__"))
                .map(|i| i + 1)?;
            Some(OpsError::UnknownSuffix {
                member: member.into(),
                arg: arg.into(),
                suffix: arg[idx..].into(),
            })
        }
    }
}
