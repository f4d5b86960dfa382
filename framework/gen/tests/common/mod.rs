//! Random valid declarations for property tests, built through the Rust
//! model (the same types the TOML loader produces).

#![allow(dead_code)]

use modless_decl::ctypes::{CType, Decl, FuncProto, Scalar, Span, StructDef};
use modless_decl::hooks::{Hook, HookKind, RetValue};
use modless_decl::kfuncs::{KfFlag, Kfunc, KfuncDoc, OpScope, ProgType};
use modless_decl::struct_ops::{
    Callback, DataKind, DataMember, FlagBit, IfMissing, Instances, OpsTable, WriteRule,
};
use modless_decl::{Declaration, SharedStruct};
use quickcheck::{Arbitrary, Gen};

const SCALARS: [Scalar; 8] = [
    Scalar::U8,
    Scalar::U16,
    Scalar::U32,
    Scalar::U64,
    Scalar::S32,
    Scalar::S64,
    Scalar::Int,
    Scalar::Bool,
];

fn pick<T: Clone>(g: &mut Gen, xs: &[T]) -> T {
    g.choose(xs).unwrap().clone()
}

fn below(g: &mut Gen, n: usize) -> usize {
    usize::arbitrary(g) % n.max(1)
}

fn name(g: &mut Gen) -> String {
    let len = 1 + below(g, 6);
    (0..len)
        .map(|_| pick(g, &['a', 'b', 'c', 'd', 'e', 'j', 'q', 'x']))
        .collect()
}

/// A valid declaration; `Debug` prints the TOML-free model.
#[derive(Debug, Clone)]
pub struct ValidDecl(pub Declaration);

impl Arbitrary for ValidDecl {
    fn arbitrary(g: &mut Gen) -> Self {
        ValidDecl(valid_decl(g))
    }
}

fn param_type(g: &mut Gen, structs: &[String]) -> CType {
    match below(g, 4) {
        0 if !structs.is_empty() => CType::struct_ptr(&pick(g, structs)),
        1 => CType::struct_ptr("task_struct"),
        _ => CType::Scalar(pick(g, &SCALARS)),
    }
}

pub fn valid_decl(g: &mut Gen) -> Declaration {
    let sub = format!("m{}", name(g));
    let mut structs = Vec::new();
    for i in 0..below(g, 3) {
        let nfields = 1 + below(g, 5);
        let mut fields: Vec<Decl> = (0..nfields)
            .map(|f| Decl::new(CType::Scalar(pick(g, &SCALARS)), &format!("f{f}")))
            .collect();
        if bool::arbitrary(g) {
            let of = Box::new(CType::Scalar(Scalar::Char));
            fields.push(Decl::new(
                CType::Array {
                    of,
                    len: 1 + below(g, 40),
                },
                "tag",
            ));
        }
        structs.push(SharedStruct {
            def: StructDef {
                name: format!("{sub}_t{i}"),
                fields,
            },
            doc: bool::arbitrary(g).then(|| "a shared struct".to_string()),
            span: Span::UNKNOWN,
            field_spans: vec![],
        });
    }
    let tags: Vec<String> = structs.iter().map(|s| s.def.name.clone()).collect();
    let instances = if bool::arbitrary(g) {
        Instances::One
    } else {
        Instances::Many
    };

    let mut callbacks = Vec::new();
    for i in 0..1 + below(g, 6) {
        let ret = match below(g, 3) {
            0 => CType::Void,
            1 if !tags.is_empty() => CType::struct_ptr(&pick(g, &tags)),
            _ => CType::Scalar(pick(
                g,
                &[Scalar::Int, Scalar::U32, Scalar::S64, Scalar::Bool],
            )),
        };
        let params = (0..below(g, 5))
            .map(|a| {
                let ty = param_type(g, &tags);
                let suffix = if ty.struct_ptr_tag().is_some() && bool::arbitrary(g) {
                    pick(g, &["__nullable", "__ref"])
                } else {
                    ""
                };
                Decl::new(ty, &format!("a{a}{suffix}"))
            })
            .collect();
        let void = ret.is_void();
        let needs_default = !void || bool::arbitrary(g);
        let required = bool::arbitrary(g);
        let if_missing = if !required && bool::arbitrary(g) {
            IfMissing::Zero
        } else {
            IfMissing::Fail
        };
        callbacks.push(Callback {
            proto: FuncProto {
                ret,
                name: format!("op{i}"),
                params,
            },
            required,
            default: needs_default.then(|| format!("{sub}_default_op{i}")),
            sleepable: instances == Instances::One && below(g, 4) == 0,
            // a static call needs one instance and a default, or a void op
            // (then a NOP while the instance lacks it)
            hot: instances == Instances::One && (needs_default || void) && below(g, 3) == 0,
            exit: false,
            if_missing,
            verdict: None,
            doc: bool::arbitrary(g).then(|| "an op ".repeat(1 + below(g, 20))),
            span: Span::UNKNOWN,
            proto_span: Span::UNKNOWN,
        });
    }
    if bool::arbitrary(g) {
        callbacks.push(Callback {
            proto: FuncProto {
                ret: CType::Void,
                name: "exit".into(),
                params: vec![Decl::new(
                    CType::struct_ptr(&format!("{sub}_exit_info")),
                    "info",
                )],
            },
            required: false,
            default: None,
            sleepable: false,
            hot: false,
            exit: true,
            if_missing: IfMissing::Zero,
            verdict: None,
            doc: None,
            span: Span::UNKNOWN,
            proto_span: Span::UNKNOWN,
        });
    }

    let mut data = Vec::new();
    if bool::arbitrary(g) {
        let of = Box::new(CType::Scalar(Scalar::Char));
        data.push(DataMember {
            decl: Decl::new(CType::Array { of, len: 16 }, "name"),
            kind: DataKind::Name,
            default: bool::arbitrary(g).then(|| "dflt.0".to_string()),
            if_missing: IfMissing::Fail,
            doc: None,
            span: Span::UNKNOWN,
        });
    }
    if bool::arbitrary(g) {
        let up = sub.to_ascii_uppercase();
        let flags = (0..below(g, 4))
            .map(|b| FlagBit {
                name: format!("{up}_F_{b}"),
                bit: b as u32 * 3,
                doc: None,
            })
            .collect();
        data.push(DataMember {
            decl: Decl::new(CType::Scalar(Scalar::U64), "flags"),
            kind: DataKind::Flags(flags),
            default: None,
            if_missing: IfMissing::Zero,
            doc: None,
            span: Span::UNKNOWN,
        });
    }
    if bool::arbitrary(g) {
        data.push(DataMember {
            decl: Decl::new(CType::Scalar(Scalar::U32), "limit"),
            kind: DataKind::Value {
                max: bool::arbitrary(g).then_some(100),
            },
            default: None,
            if_missing: IfMissing::Fail,
            doc: None,
            span: Span::UNKNOWN,
        });
    }

    let mut writes = Vec::new();
    for s in &structs {
        for f in &s.def.fields {
            if below(g, 3) == 0 {
                writes.push(WriteRule {
                    strukt: s.def.name.clone(),
                    field: f.name.clone(),
                    span: Span::UNKNOWN,
                });
            }
        }
    }

    let ops_names: Vec<String> = callbacks.iter().map(|c| c.proto.name.clone()).collect();
    let sleepable_ops: Vec<String> = callbacks
        .iter()
        .filter(|c| c.sleepable)
        .map(|c| c.proto.name.clone())
        .collect();
    let mut kfuncs = Vec::new();
    for i in 0..below(g, 5) {
        let mut prog_types: Vec<ProgType> = ProgType::ALL
            .into_iter()
            .filter(|_| bool::arbitrary(g))
            .collect();
        let sleepable = !sleepable_ops.is_empty() && below(g, 4) == 0;
        let scoped = sleepable || bool::arbitrary(g);
        if (prog_types.is_empty() || scoped) && !prog_types.contains(&ProgType::StructOps) {
            prog_types.insert(0, ProgType::StructOps);
        }
        let scope = if sleepable {
            OpScope::Ops(sleepable_ops.clone())
        } else if scoped {
            let mut ops: Vec<String> = ops_names
                .iter()
                .filter(|_| bool::arbitrary(g))
                .cloned()
                .collect();
            if ops.is_empty() {
                ops.push(pick(g, &ops_names));
            }
            OpScope::Ops(ops)
        } else {
            OpScope::AnyOp
        };
        let params: Vec<Decl> = (0..below(g, 4))
            .map(|a| Decl::new(param_type(g, &tags), &format!("x{a}")))
            .collect();
        let doc = bool::arbitrary(g).then(|| KfuncDoc {
            summary: "does a thing".into(),
            args: params
                .iter()
                .map(|p| (p.name.clone(), "an argument".into()))
                .collect(),
            ret: Some("a value".into()),
        });
        kfuncs.push(Kfunc {
            proto: FuncProto {
                ret: CType::Scalar(pick(g, &SCALARS)),
                name: format!("bpf_{sub}_k{i}"),
                params,
            },
            flags: if sleepable {
                vec![KfFlag::Sleepable]
            } else {
                vec![]
            },
            prog_types,
            scope,
            deny: Default::default(),
            doc,
            span: Span::UNKNOWN,
            proto_span: Span::UNKNOWN,
        });
    }
    if let Some(tag) = tags.first() {
        if bool::arbitrary(g) {
            for (n, flags, ret, params) in [
                (
                    "get",
                    vec![KfFlag::Acquire, KfFlag::RetNull],
                    CType::struct_ptr(tag),
                    vec![Decl::new(CType::Scalar(Scalar::U64), "id")],
                ),
                (
                    "put",
                    vec![KfFlag::Release],
                    CType::Void,
                    vec![Decl::new(CType::struct_ptr(tag), "obj")],
                ),
            ] {
                kfuncs.push(Kfunc {
                    proto: FuncProto {
                        ret,
                        name: format!("bpf_{sub}_{n}"),
                        params,
                    },
                    flags,
                    prog_types: vec![ProgType::StructOps],
                    scope: OpScope::AnyOp,
                    deny: Default::default(),
                    doc: None,
                    span: Span::UNKNOWN,
                    proto_span: Span::UNKNOWN,
                });
            }
        }
    }

    let mut hooks = Vec::new();
    for i in 0..below(g, 3) {
        let params: Vec<Decl> = (0..below(g, 4))
            .map(|a| Decl::new(param_type(g, &tags), &format!("h{a}")))
            .collect();
        let (ret, kind) = if bool::arbitrary(g) {
            (CType::Void, HookKind::FentryOnly)
        } else {
            let min = pick(g, &["-EPERM", "-EINVAL", "-MAX_ERRNO", "-3"]);
            (
                CType::Scalar(pick(g, &[Scalar::Int, Scalar::Long, Scalar::S32])),
                HookKind::FmodRet {
                    min: RetValue::parse(min).unwrap(),
                    max: RetValue::int(below(g, 3) as i128),
                    default: RetValue::int(0),
                    sleepable: bool::arbitrary(g),
                    error_injection: bool::arbitrary(g),
                },
            )
        };
        hooks.push(Hook {
            proto: FuncProto {
                ret,
                name: format!("{sub}_hook{i}"),
                params,
            },
            kind,
            doc: None,
            span: Span::UNKNOWN,
            proto_span: Span::UNKNOWN,
        });
    }

    let ops = OpsTable {
        name: format!("{sub}_ops"),
        doc: None,
        instances,
        callbacks,
        data,
        writes,
        span: Span::UNKNOWN,
    };
    let mut decl = Declaration::new(&format!("{sub}.toml"), &sub, ops);
    decl.structs = structs;
    decl.kfuncs = kfuncs;
    decl.hooks = hooks;
    decl
}

pub mod wild;
