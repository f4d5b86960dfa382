//! The struct_ops rules and emitters, on their own.

use modless_ctypes::{parse_decl, parse_fn_ptr, Span};
use modless_struct_ops::emit_bpf::{bpf_macros, bpf_ops_struct};
use modless_struct_ops::emit_kernel::{
    c_callbacks, c_stubs, h_call_path, h_defaults, h_flags, struct_def,
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
