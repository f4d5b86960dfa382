//! Properties over random declarations: valid ones generate
//! deterministically and never panic; each mutation that breaks one rule is
//! rejected with that rule's error.

mod common;

use common::ValidDecl;
use modless_decl::ctypes::CType;
use modless_decl::hooks::{HookError, HookKind, RetValue};
use modless_decl::kfuncs::{KfFlag, KfuncError, OpScope};
use modless_decl::struct_ops::OpsError;
use modless_decl::{DeclErrorKind, Declaration};
use quickcheck::{Arbitrary, Gen};
use quickcheck_macros::quickcheck;

#[quickcheck]
fn valid_declarations_validate(d: ValidDecl) -> bool {
    match d.0.validate() {
        Ok(()) => true,
        Err(e) => panic!("{e}"),
    }
}

#[quickcheck]
fn generation_is_deterministic_and_complete(d: ValidDecl) -> bool {
    let a = modless_gen::generate(&d.0).unwrap();
    let b = modless_gen::generate(&d.0.clone()).unwrap();
    let c = a.get(&format!("{}_bpf.c", d.0.subsystem.name)).unwrap();
    let h = a.get(&format!("{}_bpf.h", d.0.subsystem.name)).unwrap();
    let names_present =
        d.0.ops
            .callbacks
            .iter()
            .all(|cb| c.contains(&format!("{}__{}", d.0.ops.name, cb.name())))
            && d.0.kfuncs.iter().all(|k| {
                c.contains(&format!("BTF_ID_FLAGS(func, {}", k.name())) && h.contains(k.name())
            })
            && d.0.hooks.iter().all(|hk| {
                c.contains(&format!("noinline {}", hk.proto.ret.declare(hk.name())))
                    || c.contains(hk.name())
            });
    a == b && names_present
}

#[quickcheck]
fn generated_c_is_balanced(d: ValidDecl) -> bool {
    let g = modless_gen::generate(&d.0).unwrap();
    g.files
        .iter()
        .filter(|a| a.path.ends_with(".c") || a.path.ends_with(".h"))
        .all(|a| {
            let text = &a.contents;
            let count = |c: char| text.chars().filter(|&x| x == c).count();
            let ifs = text.lines().filter(|l| l.starts_with("#if")).count();
            let endifs = text.lines().filter(|l| l.starts_with("#endif")).count();
            count('{') == count('}')
                && count('(') == count(')')
                && ifs == endifs
                && text.ends_with('\n')
        })
}

/// One rule-breaking change and the error it must produce.
#[derive(Debug, Clone, Copy)]
enum Mutation {
    UnknownOpInScope,
    DropRelease,
    RetNullOnScalar,
    LongOpsName,
    TooManyKfuncArgs,
    MissingDefault,
    DuplicateCallback,
    EmptyHookRange,
    BadSubsystemName,
    TooManyMembers,
}

const ALL: [Mutation; 10] = [
    Mutation::UnknownOpInScope,
    Mutation::DropRelease,
    Mutation::RetNullOnScalar,
    Mutation::LongOpsName,
    Mutation::TooManyKfuncArgs,
    Mutation::MissingDefault,
    Mutation::DuplicateCallback,
    Mutation::EmptyHookRange,
    Mutation::BadSubsystemName,
    Mutation::TooManyMembers,
];

impl Arbitrary for Mutation {
    fn arbitrary(g: &mut Gen) -> Self {
        *g.choose(&ALL).unwrap()
    }
}

fn kfunc_like(d: &Declaration) -> modless_decl::kfuncs::Kfunc {
    let proto =
        modless_decl::ctypes::parse_prototype(&format!("u64 bpf_{}_mut(u32 a)", d.subsystem.name))
            .unwrap();
    modless_decl::kfuncs::Kfunc {
        proto,
        flags: vec![],
        prog_types: vec![modless_decl::kfuncs::ProgType::StructOps],
        scope: OpScope::AnyOp,
        deny: Default::default(),
        doc: None,
        span: Default::default(),
        proto_span: Default::default(),
    }
}

/// Applies `m` and returns whether `kind` is the error it must cause.
fn apply(d: &mut Declaration, m: Mutation) -> fn(&DeclErrorKind) -> bool {
    match m {
        Mutation::UnknownOpInScope => {
            let mut k = kfunc_like(d);
            k.scope = OpScope::Ops(vec!["no_such_op".into()]);
            d.kfuncs.push(k);
            |e| matches!(e, DeclErrorKind::UnknownOp { op, .. } if op == "no_such_op")
        }
        Mutation::DropRelease => {
            let mut k = kfunc_like(d);
            k.proto.ret = CType::struct_ptr("mutant_obj");
            k.flags = vec![KfFlag::Acquire];
            d.kfuncs.push(k);
            |e| matches!(e, DeclErrorKind::Kfunc(KfuncError::AcquireWithoutRelease { strukt, .. }) if strukt == "mutant_obj")
        }
        Mutation::RetNullOnScalar => {
            let mut k = kfunc_like(d);
            k.flags = vec![KfFlag::RetNull];
            d.kfuncs.push(k);
            |e| {
                matches!(
                    e,
                    DeclErrorKind::Kfunc(KfuncError::RetNullNotPointer { .. })
                )
            }
        }
        Mutation::LongOpsName => {
            d.ops.name = "o".repeat(113);
            |e| {
                matches!(
                    e,
                    DeclErrorKind::Ops(OpsError::NameTooLong { len: 113, .. })
                )
            }
        }
        Mutation::TooManyKfuncArgs => {
            let mut k = kfunc_like(d);
            k.proto.params = (0..13)
                .map(|i| {
                    modless_decl::ctypes::Decl::new(
                        CType::Scalar(modless_decl::ctypes::Scalar::U64),
                        &format!("a{i}"),
                    )
                })
                .collect();
            d.kfuncs.push(k);
            |e| {
                matches!(
                    e,
                    DeclErrorKind::Kfunc(KfuncError::TooManyArgs { count: 13, .. })
                )
            }
        }
        Mutation::MissingDefault => {
            let cb = &mut d.ops.callbacks[0];
            cb.proto.ret = CType::Scalar(modless_decl::ctypes::Scalar::Int);
            cb.default = None;
            |e| matches!(e, DeclErrorKind::Ops(OpsError::MissingDefault { member, .. }) if member == "op0")
        }
        Mutation::DuplicateCallback => {
            let cb = d.ops.callbacks[0].clone();
            d.ops.callbacks.push(cb);
            |e| matches!(e, DeclErrorKind::Ops(OpsError::DuplicateMember { .. }))
        }
        Mutation::EmptyHookRange => {
            let proto = modless_decl::ctypes::parse_prototype(&format!(
                "int {}_mut_hook(void)",
                d.subsystem.name
            ))
            .unwrap();
            d.hooks.push(modless_decl::hooks::Hook {
                proto,
                kind: HookKind::FmodRet {
                    min: RetValue::int(5),
                    max: RetValue::int(1),
                    default: RetValue::int(1),
                    sleepable: false,
                    error_injection: false,
                },
                doc: None,
                span: Default::default(),
                proto_span: Default::default(),
            });
            |e| {
                matches!(
                    e,
                    DeclErrorKind::Hook(HookError::EmptyRange { min: 5, max: 1, .. })
                )
            }
        }
        Mutation::BadSubsystemName => {
            d.subsystem.name = format!("9{}", d.subsystem.name);
            |e| matches!(e, DeclErrorKind::SubsystemName { .. })
        }
        Mutation::TooManyMembers => {
            let base = d.ops.callbacks[0].clone();
            for i in 0..64 {
                let mut cb = base.clone();
                cb.proto.name = format!("extra{i}");
                cb.default = cb
                    .default
                    .map(|_| format!("{}_default_extra{i}", d.subsystem.name));
                d.ops.callbacks.push(cb);
            }
            |e| matches!(e, DeclErrorKind::Ops(OpsError::TooManyMembers { .. }))
        }
    }
}

#[quickcheck]
fn mutated_declarations_are_rejected_with_the_rule(d: ValidDecl, m: Mutation) -> bool {
    let mut decl = d.0;
    let expect = apply(&mut decl, m);
    let errs = match decl.validate() {
        Ok(()) => panic!("{m:?} was accepted"),
        Err(e) => e.0,
    };
    // every error names its item; generation of an invalid declaration is refused
    let refused = matches!(
        modless_gen::generate(&decl),
        Err(modless_gen::GenError::Invalid(_))
    );
    let _ = modless_gen::generate_unchecked(&decl);
    assert!(errs.iter().any(|e| expect(&e.kind)), "{m:?}: {errs:#?}");
    refused
}

#[quickcheck]
fn arbitrary_text_never_panics_the_loader(text: String) -> bool {
    let _ = modless_decl::parse(&text, "x.toml");
    true
}

#[quickcheck]
fn arbitrary_c_never_panics_the_parser(text: String) -> bool {
    let _ = modless_decl::ctypes::parse_prototype(&text);
    let _ = modless_decl::ctypes::parse_fn_ptr(&text);
    let _ = modless_decl::ctypes::parse_decl(&text);
    true
}
