//! The struct_ops rules and emitters, on their own.

use modless_ctypes::{parse_decl, parse_fn_ptr, Span};
use modless_struct_ops::emit_bpf::{bpf_macros, bpf_ops_struct};
use modless_struct_ops::emit_kernel::{
    c_callbacks, c_prelude, c_stubs, h_call_path, h_defaults, h_flags, struct_def,
};
use modless_struct_ops::{
    plain_arg_name, validate, Callback, DataKind, DataMember, FlagBit, IfMissing, Instances, Names,
    OpsError, OpsTable,
};

fn cb(proto: &str, default: Option<&str>) -> Callback {
    Callback {
        proto: parse_fn_ptr(proto).unwrap(),
        required: false,
        default: default.map(str::to_string),
        sleepable: false,
        hot: false,
        exit: false,
        if_missing: IfMissing::Fail,
        verdict: None,
        doc: None,
        span: Span::UNKNOWN,
        proto_span: Span::UNKNOWN,
    }
}

fn data(decl: &str, kind: DataKind) -> DataMember {
    DataMember {
        decl: parse_decl(decl).unwrap(),
        kind,
        default: None,
        if_missing: IfMissing::Fail,
        doc: None,
        span: Span::UNKNOWN,
    }
}

fn table(callbacks: Vec<Callback>, data: Vec<DataMember>) -> OpsTable {
    OpsTable {
        name: "jobd_ops".into(),
        doc: None,
        instances: Instances::One,
        callbacks,
        data,
        writes: vec![],
        span: Span::UNKNOWN,
    }
}

fn errors(t: &OpsTable) -> Vec<OpsError> {
    validate(t).into_iter().map(|(_, e)| e).collect()
}

fn names() -> Names {
    Names::new("jobd", "jobd_ops")
}

#[test]
fn member_rules() {
    let ok = table(
        vec![cb(
            "int (*pick)(struct jobd_job *job__ref, u32 n)",
            Some("jobd_pick"),
        )],
        vec![data("char name[16]", DataKind::Name)],
    );
    assert_eq!(errors(&ok), vec![]);
    let e = errors(&table(vec![cb("void (*bpf_node)(void)", None)], vec![]));
    assert!(matches!(e[..], [OpsError::ReservedMember { .. }]), "{e:?}");
    let e = errors(&table(
        vec![cb("void (*a)(void)", None), cb("void (*a)(u32 x)", None)],
        vec![],
    ));
    assert!(matches!(e[..], [OpsError::DuplicateMember { .. }]), "{e:?}");
    let e = errors(&table(vec![cb("int (*a)(void)", None)], vec![]));
    assert!(matches!(e[..], [OpsError::MissingDefault { .. }]), "{e:?}");
    let e = errors(&table(vec![cb("u32 *(*a)(void)", Some("d"))], vec![]));
    assert!(
        matches!(e[..], [OpsError::ReturnPtrNotStruct { .. }]),
        "{e:?}"
    );
    let e = errors(&table(vec![cb("void (*a)(u32 x__ref)", None)], vec![]));
    assert!(
        matches!(e[..], [OpsError::SuffixNeedsStructPtr { .. }]),
        "{e:?}"
    );
    let e = errors(&table(vec![], vec![]));
    assert!(matches!(e[..], [OpsError::NoCallbacks { .. }]), "{e:?}");
}

#[test]
fn data_rules() {
    let one = |d: DataMember| errors(&table(vec![cb("void (*a)(void)", None)], vec![d]));
    assert!(matches!(
        one(data("char name[1]", DataKind::Name))[..],
        [OpsError::NameTooShort { len: 1, .. }]
    ));
    assert!(matches!(
        one(data("char name[2147483648]", DataKind::Name))[..],
        [OpsError::ArrayTooLarge { .. }]
    ));
    assert!(matches!(
        one(data("u32 name", DataKind::Name))[..],
        [OpsError::NameNotCharArray { .. }]
    ));
    let flag = |name: &str, bit| FlagBit {
        name: name.into(),
        bit,
        doc: None,
    };
    let e = one(data(
        "s32 f",
        DataKind::Flags(vec![flag("A", 0), flag("B", 0), flag("C", 32)]),
    ));
    assert!(
        matches!(
            e[..],
            [
                OpsError::SignedFlags { .. },
                OpsError::DuplicateFlag { .. },
                OpsError::FlagBitRange { bit: 32, .. }
            ]
        ),
        "{e:?}"
    );
    let e = one(data("u8 v", DataKind::Value { max: Some(256) }));
    assert!(
        matches!(e[..], [OpsError::MaxOutOfRange { max: 256, .. }]),
        "{e:?}"
    );
}

#[test]
fn exit_op_rules() {
    let mut exit = cb("void (*exit)(struct jobd_exit_info *info)", None);
    exit.exit = true;
    assert_eq!(errors(&table(vec![exit.clone()], vec![])), vec![]);
    let mut bad = exit.clone();
    bad.proto = parse_fn_ptr("int (*exit)(u32 x)").unwrap();
    bad.default = Some("d".into());
    let e = errors(&table(vec![bad], vec![]));
    assert!(
        e.iter().any(|e| matches!(e, OpsError::ExitOpShape { .. })),
        "{e:?}"
    );
    assert!(
        e.iter().any(|e| matches!(e, OpsError::ExitOpFlag { .. })),
        "{e:?}"
    );
    let mut second = exit.clone();
    second.proto.name = "exit2".into();
    let e = errors(&table(vec![exit, second], vec![]));
    assert!(matches!(e[..], [OpsError::SecondExitOp { .. }]), "{e:?}");
}

#[test]
fn shared_defaults_get_one_prototype() {
    let t = table(
        vec![
            cb("int (*a)(struct jobd_job *job__ref)", Some("jobd_dflt")),
            cb("int (*b)(struct jobd_job *job)", Some("jobd_dflt")),
        ],
        vec![],
    );
    assert_eq!(h_defaults(&t), "int jobd_dflt(struct jobd_job *job);\n");
    assert_eq!(plain_arg_name("job__nullable"), "job");
}

#[test]
fn call_path_and_stubs() {
    let mut sleepy = cb("int (*setup)(void)", Some("jobd_setup"));
    sleepy.sleepable = true;
    let t = table(
        vec![
            cb(
                "u32 (*pick)(struct jobd_job *job__ref, u32 n)",
                Some("jobd_pick"),
            ),
            sleepy,
        ],
        vec![],
    );
    let n = names();
    let h = h_call_path(&t, &n);
    assert!(h.contains("static inline u32 jobd_call_pick(struct jobd_job *job, u32 n)\n{\n\tstruct jobd_ops *ops;\n\tu32 ret;"), "{h}");
    assert!(
        h.contains(
            "\tif (!static_branch_unlikely(&jobd_bpf_attached))\n\t\treturn jobd_pick(job, n);"
        ),
        "{h}"
    );
    assert!(h.contains("\tmight_sleep();"), "{h}");
    assert!(
        h.contains("srcu_read_lock(&jobd_bpf_srcu)"),
        "a sleepable op runs under SRCU: {h}"
    );
    assert!(
        h.contains("#define JOBD_CALL(op, ...)\tjobd_call_##op(__VA_ARGS__)"),
        "{h}"
    );
    let c = c_stubs(&t, &n);
    assert!(
        c.contains(
            "static u32 jobd_ops__pick(struct jobd_job *job__ref, u32 n)\n{\n\treturn 0;\n}"
        ),
        "{c}"
    );
    assert!(c.contains("\t.cfi_stubs\t\t= &__bpf_ops_jobd_ops,"), "{c}");
    let cbs = c_callbacks(&t, &n, false);
    assert!(
        cbs.contains("\tcase offsetof(struct jobd_ops, setup):\n\t\treturn 0;"),
        "{cbs}"
    );
    assert!(
        cbs.contains("void jobd_bpf_eject(s64 code, const char *fmt, ...)"),
        "{cbs}"
    );
}

#[test]
fn many_instances_list_and_flags() {
    let flags = DataKind::Flags(vec![FlagBit {
        name: "JOBD_F_A".into(),
        bit: 3,
        doc: Some("a flag".into()),
    }]);
    let mut t = table(
        vec![cb("void (*done)(u32 n)", Some("jobd_done"))],
        vec![data("u64 flags", flags)],
    );
    t.instances = Instances::Many;
    let n = names();
    assert!(struct_def(&t, &n, true).contains("\tstruct list_head bpf_node;"));
    assert!(
        !struct_def(&t, &n, false).contains("bpf_node"),
        "BPF never sees the node"
    );
    let h = h_call_path(&t, &n);
    assert!(
        h.contains("list_for_each_entry_rcu(ops, &jobd_bpf_list, bpf_node)"),
        "{h}"
    );
    assert!(h.contains("\tif (!done)\n\t\tjobd_done(n);"), "{h}");
    assert_eq!(
        h_flags(&t, &n),
        "/* a flag */\n#define JOBD_F_A\t(1ULL << 3)\n#define JOBD_OPS_FLAGS_ALL\t(JOBD_F_A)\n\n"
    );
    let b = bpf_ops_struct(&t, &n);
    assert!(b.contains("#define JOBD_F_A\t(1ULL << 3)"), "{b}");
    let m = bpf_macros(&t, &n);
    assert!(m.contains("#define JOBD_OPS_DEFINE(__name, ...)"), "{m}");
    assert!(
        !m.contains("JOBD_OP_SLEEPABLE"),
        "no sleepable op, no sleepable macro"
    );
}

/// The three hot forms, whole: behind the static key (idle: the default,
/// called directly), a static call inside rcu_read_lock(), a NOP-able one
/// for a void op without a default, and a sleepable one under SRCU. The
/// non-hot op beside them keeps the RCU form. The read section is what
/// lets unreg and update wait a plain RCU grace period: the kernel's own
/// RCU Tasks wait (bpf_struct_ops_map_free) guards the old trampoline.
#[test]
fn hot_ops_are_static_calls() {
    let mut pick = cb(
        "u32 (*pick)(struct jobd_job *job__ref, u32 n)",
        Some("jobd_pick"),
    );
    pick.hot = true;
    let mut done = cb("void (*done)(struct jobd_job *job)", None);
    done.hot = true;
    let mut setup = cb("int (*setup)(u32 n)", Some("jobd_setup"));
    setup.hot = true;
    setup.sleepable = true;
    let cold = cb("u32 (*balance)(u32 n)", Some("jobd_balance"));
    let t = table(vec![pick, done, setup, cold], vec![]);
    let n = names();
    let h = h_call_path(&t, &n);
    for want in [
        "DECLARE_STATIC_CALL(jobd_call_pick, jobd_pick);\n",
        "DECLARE_STATIC_CALL(jobd_call_done, *((struct jobd_ops *)NULL)->done);\n",
        "DECLARE_STATIC_CALL(jobd_call_setup, jobd_setup);\n",
        "static __always_inline u32 jobd_call_pick(struct jobd_job *job, u32 n)\n{\n\tu32 ret;\n\n\
         \tif (!static_branch_unlikely(&jobd_bpf_attached))\n\
         \t\treturn jobd_pick(job, n);\n\
         \trcu_read_lock();\n\
         \tret = static_call(jobd_call_pick)(job, n);\n\
         \trcu_read_unlock();\n\treturn ret;\n}\n",
        "static __always_inline void jobd_call_done(struct jobd_job *job)\n{\n\
         \tif (!static_branch_unlikely(&jobd_bpf_attached))\n\t\treturn;\n\
         \trcu_read_lock();\n\
         \tstatic_call_cond(jobd_call_done)(job);\n\
         \trcu_read_unlock();\n}\n",
        "static __always_inline int jobd_call_setup(u32 n)\n{\n\tint ret;\n\tint srcu_idx;\n\n\
         \tmight_sleep();\n\tif (!static_branch_unlikely(&jobd_bpf_attached))\n\
         \t\treturn jobd_setup(n);\n\
         \tsrcu_idx = srcu_read_lock(&jobd_bpf_srcu);\n\
         \tret = static_call(jobd_call_setup)(n);\n\
         \tsrcu_read_unlock(&jobd_bpf_srcu, srcu_idx);\n\treturn ret;\n}\n",
        "\trcu_read_lock();\n\tops = rcu_dereference(jobd_bpf_ops);\n\tif (ops && ops->balance)",
    ] {
        assert!(h.contains(want), "want\n{want}\nin\n{h}");
    }
    let c = c_prelude(&t, &n);
    for want in [
        "RCU Tasks",
        "bpf_struct_ops_map_free()",
        "synchronize_rcu()",
    ] {
        assert!(
            c.contains(want),
            "the comment names the grace periods and where they are waited ({want}): {c}"
        );
    }
    for want in [
        "DEFINE_STATIC_CALL(jobd_call_pick, jobd_pick);\n",
        "DEFINE_STATIC_CALL_NULL(jobd_call_done, *((struct jobd_ops *)NULL)->done);\n",
    ] {
        assert!(c.contains(want), "want {want} in\n{c}");
    }
    let cbs = c_callbacks(&t, &n, false);
    for want in [
        "static void jobd_bpf_patch(const struct jobd_ops *ops)\n{\n\
         \tif (ops && ops->pick)\n\t\tstatic_call_update(jobd_call_pick, ops->pick);\n\
         \telse\n\t\tstatic_call_update(jobd_call_pick, jobd_pick);\n\
         \tstatic_call_update(jobd_call_done, ops ? ops->done : NULL);\n",
        // reg patches before the key turns on; unreg after it is off
        "\tjobd_bpf_patch(kdata);\n\tstatic_branch_enable(&jobd_bpf_attached);",
        "\tstatic_branch_disable(&jobd_bpf_attached);\n\
         \tRCU_INIT_POINTER(jobd_bpf_ops, NULL);\n\tjobd_bpf_patch(NULL);\n",
        // hot calls are RCU readers: a plain grace period, then SRCU's
        "\tsynchronize_rcu();\n\
         \t/* nor inside a sleepable one */\n\tsynchronize_srcu(&jobd_bpf_srcu);\n",
    ] {
        assert!(cbs.contains(want), "want\n{want}\nin\n{cbs}");
    }
    // the kernel waits RCU Tasks before it frees the old trampoline; a
    // swap that waited it too took 0.1-0.4 s under TCG
    assert!(
        !cbs.contains("rcu_tasks"),
        "no RCU Tasks wait in the glue: {cbs}"
    );
}

/// Without a hot op nothing of the static-call form appears (in-tree glue
/// already shipped as a kernel patch stays byte for byte).
#[test]
fn no_hot_op_no_static_call() {
    let t = table(vec![cb("u32 (*pick)(u32 n)", Some("jobd_pick"))], vec![]);
    let n = names();
    let all = [
        h_call_path(&t, &n),
        c_prelude(&t, &n),
        c_callbacks(&t, &n, false),
    ]
    .concat();
    assert!(!all.contains("static_call"), "{all}");
    assert!(!all.contains("rcu_tasks"), "{all}");
    assert!(all.contains("\tsynchronize_rcu();\n"), "{all}");
}

#[test]
fn hot_needs_one_instance_a_default_and_no_verdict() {
    let errs = |t: &OpsTable| -> Vec<String> {
        validate(t)
            .into_iter()
            .map(|(_, e)| e.to_string())
            .collect()
    };
    let mut hot = cb("u32 (*pick)(u32 n)", None);
    hot.hot = true;
    let e = errs(&table(vec![hot.clone()], vec![]));
    assert!(
        e.iter().any(
            |e| e.contains("is hot and returns `u32` without a `default`")
                && e.ends_with("add `default`")
        ),
        "{e:?}"
    );
    hot.default = Some("jobd_pick".into());
    assert!(errs(&table(vec![hot.clone()], vec![])).is_empty());
    let mut many = table(vec![hot.clone()], vec![]);
    many.instances = Instances::Many;
    assert!(
        errs(&many)
            .iter()
            .any(|e| e.contains("is hot but `instances = \"many\"`")),
        "{:?}",
        errs(&many)
    );
    let mut void = cb("void (*done)(u32 n)", None);
    void.hot = true;
    assert!(
        errs(&table(vec![void], vec![])).is_empty(),
        "a void op needs no default"
    );
}
