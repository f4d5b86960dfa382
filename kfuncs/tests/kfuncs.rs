//! The kfunc rules and emitters, on their own.

use modless_ctypes::{parse_prototype, Span};
use modless_kfuncs::emit::{bpf_externs, c_register, c_sets, h_prototypes, has_filter, FilterCtx};
use modless_kfuncs::{
    validate, validate_set, KfFlag, Kfunc, KfuncDoc, KfuncError, OpScope, ProgType,
};

fn kf(proto: &str, flags: &[KfFlag], types: &[ProgType], scope: OpScope) -> Kfunc {
    Kfunc {
        proto: parse_prototype(proto).unwrap(),
        flags: flags.to_vec(),
        prog_types: types.to_vec(),
        scope,
        deny: Default::default(),
        doc: None,
        span: Span::UNKNOWN,
        proto_span: Span::UNKNOWN,
    }
}

fn errors(k: &Kfunc) -> Vec<KfuncError> {
    validate(k).into_iter().map(|(_, e)| e).collect()
}

const ST: &[ProgType] = &[ProgType::StructOps];

#[test]
fn one_kfunc_rules() {
    let ok = kf(
        "u64 bpf_x(const char *s__str, void *p, u32 p__sz)",
        &[],
        ST,
        OpScope::AnyOp,
    );
    assert_eq!(errors(&ok), vec![]);
    let e = errors(&kf("u64 bpf___x(void)", &[], ST, OpScope::AnyOp));
    assert!(
        matches!(e[..], [KfuncError::TripleUnderscore { .. }]),
        "{e:?}"
    );
    let e = errors(&kf("u64 bpf_x(u32 n__sz)", &[], ST, OpScope::AnyOp));
    assert!(matches!(e[..], [KfuncError::SuffixMisuse { .. }]), "{e:?}");
    let e = errors(&kf("u64 bpf_x(u32 n__bogus)", &[], ST, OpScope::AnyOp));
    assert!(matches!(&e[..], [KfuncError::UnknownSuffix { suffix, .. }] if suffix == "__bogus"));
    let e = errors(&kf(
        "u64 bpf_x(u32 a)",
        &[KfFlag::ImplicitArgs],
        ST,
        OpScope::AnyOp,
    ));
    assert!(
        matches!(e[..], [KfuncError::ImplicitArgsShape { .. }]),
        "{e:?}"
    );
    let e = errors(&kf("u64 bpf_x(void)", &[], &[], OpScope::AnyOp));
    assert!(matches!(e[..], [KfuncError::NoProgTypes { .. }]), "{e:?}");
    let e = errors(&kf(
        "u64 bpf_x(void)",
        &[],
        &[ProgType::Syscall],
        OpScope::Ops(vec!["a".into()]),
    ));
    assert!(
        matches!(e[..], [KfuncError::OpsWithoutStructOps { .. }]),
        "{e:?}"
    );
    let mut doc = kf("u64 bpf_x(u32 a)", &[], ST, OpScope::AnyOp);
    doc.doc = Some(KfuncDoc {
        summary: "s".into(),
        args: vec![("b".into(), "no such".into())],
        ret: None,
    });
    let e = errors(&doc);
    assert!(
        matches!(
            e[..],
            [
                KfuncError::UndocumentedArg { .. },
                KfuncError::UnknownDocArg { .. }
            ]
        ),
        "{e:?}"
    );
}

#[test]
fn set_rules() {
    let get = kf(
        "struct o *bpf_get(u64 id)",
        &[KfFlag::Acquire, KfFlag::RetNull],
        ST,
        OpScope::AnyOp,
    );
    let put = kf(
        "void bpf_put(struct o *o)",
        &[KfFlag::Release],
        ST,
        OpScope::AnyOp,
    );
    assert_eq!(validate_set(&[get.clone(), put.clone()]), vec![]);
    let e = validate_set(std::slice::from_ref(&get));
    assert!(
        matches!(&e[..], [(_, KfuncError::AcquireWithoutRelease { strukt, .. })] if strukt == "o")
    );
    let e = validate_set(&[put.clone(), put]);
    assert!(matches!(e[..], [(_, KfuncError::Duplicate { .. })]));
}

fn ctx() -> FilterCtx {
    FilterCtx {
        sub: "jobd".into(),
        is_ours_fn: "jobd_bpf_prog_is_ours".into(),
        op_idx: "JOBD_OP_IDX".into(),
        local_id_fn: "jobd_btf_local_id".into(),
        ops: vec!["pick".into(), "done".into()],
        built_in: false,
    }
}

#[test]
fn sets_and_the_filter() {
    let any = kf(
        "u64 bpf_any(void)",
        &[],
        &[ProgType::StructOps, ProgType::Syscall],
        OpScope::AnyOp,
    );
    let pick = kf(
        "u64 bpf_pick(void)",
        &[KfFlag::Sleepable],
        ST,
        OpScope::Ops(vec!["pick".into()]),
    );
    let ks = [any, pick];
    assert!(has_filter(&ks));
    let c = c_sets(&ks, &ctx());
    for want in [
        "BTF_KFUNCS_START(jobd_kfunc_ids)\nBTF_ID_FLAGS(func, bpf_any)\nBTF_ID_FLAGS(func, bpf_pick, KF_SLEEPABLE)\n",
        "BTF_KFUNCS_START(jobd_syscall_kfunc_ids)\nBTF_ID_FLAGS(func, bpf_any)\n",
        "BTF_SET_START(jobd_any_op_kfunc_set)\nBTF_ID(func, bpf_any)\n",
        "BTF_SET_START(jobd_pick_kfunc_set)\nBTF_ID(func, bpf_pick)\n",
        "\t[JOBD_OP_IDX(pick)]\t= &jobd_pick_kfunc_set,",
        "static int jobd_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)",
        "\t.filter\t= jobd_kfunc_filter,",
    ] {
        assert!(c.contains(want), "missing {want:?} in\n{c}");
    }
    assert!(
        !c.contains("jobd_done_kfunc_set"),
        "no set for an op without kfuncs"
    );
    assert_eq!(
        c_register(&ks, "jobd"),
        vec![
            "register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS, &jobd_kfunc_set)",
            "register_btf_kfunc_id_set(BPF_PROG_TYPE_SYSCALL, &jobd_syscall_kfunc_set)",
        ]
    );
    // no struct_ops kfunc, no filter
    let sys = [kf(
        "u64 bpf_s(void)",
        &[],
        &[ProgType::Syscall],
        OpScope::AnyOp,
    )];
    assert!(!has_filter(&sys));
    assert!(!c_sets(&sys, &ctx()).contains("filter"));
}

#[test]
fn prototypes_and_externs() {
    let mut k = kf(
        "u64 bpf_x(u32 b, u32 a, struct bpf_prog_aux *aux)",
        &[KfFlag::ImplicitArgs],
        ST,
        OpScope::AnyOp,
    );
    k.doc = Some(KfuncDoc {
        summary: "Does x".into(),
        args: vec![("a".into(), "second".into()), ("b".into(), "first".into())],
        ret: Some("a count".into()),
    });
    let h = h_prototypes(std::slice::from_ref(&k));
    assert!(h.contains(" * bpf_x - Does x\n * @b: first\n * @a: second\n *\n * Return: a count\n */\nu64 bpf_x(u32 b, u32 a, struct bpf_prog_aux *aux);"), "{h}");
    // BPF programs do not pass the implicit argument
    assert_eq!(
        bpf_externs(&[k]),
        "extern u64 bpf_x(u32 b, u32 a) __ksym __weak;\n"
    );
}
