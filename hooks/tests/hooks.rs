//! The hook rules and emitters, on their own.

use modless_ctypes::{parse_prototype, Span};
use modless_hooks::emit::{bpf_hooks, c_entries, c_fmodret_set, c_hooks, c_register, h_hooks};
use modless_hooks::{validate, validate_set, Hook, HookError, HookKind, RetValue};

fn fmod(proto: &str, min: &str, max: &str, default: &str) -> Hook {
    Hook {
        proto: parse_prototype(proto).unwrap(),
        kind: HookKind::FmodRet {
            min: RetValue::parse(min).unwrap(),
            max: RetValue::parse(max).unwrap(),
            default: RetValue::parse(default).unwrap(),
            sleepable: true,
            error_injection: true,
        },
        doc: None,
        span: Span::UNKNOWN,
        proto_span: Span::UNKNOWN,
    }
}

fn fentry(proto: &str) -> Hook {
    Hook {
        proto: parse_prototype(proto).unwrap(),
        kind: HookKind::FentryOnly,
        doc: Some("observe".into()),
        span: Span::UNKNOWN,
        proto_span: Span::UNKNOWN,
    }
}

fn errors(h: &Hook) -> Vec<HookError> {
    validate(h).into_iter().map(|(_, e)| e).collect()
}

#[test]
fn ret_values_parse_errnos_and_integers() {
    assert_eq!(RetValue::parse("-EPERM").unwrap().value, -1);
    assert_eq!(RetValue::parse("-EPERM").unwrap().expr, "(-EPERM)");
    assert_eq!(RetValue::parse(" 7 ").unwrap().value, 7);
    assert_eq!(RetValue::parse("-MAX_ERRNO").unwrap().value, -4095);
    assert_eq!(RetValue::parse("EBOGUS"), None);
}

#[test]
fn rules() {
    assert_eq!(errors(&fmod("int h(u32 a)", "-EPERM", "0", "0")), vec![]);
    assert!(matches!(
        errors(&fentry("int h(void)"))[..],
        [HookError::FentryReturnsValue { .. }]
    ));
    assert!(matches!(
        errors(&fmod("void *h(void)", "0", "1", "0"))[..],
        [HookError::FmodRetNotInteger { .. }]
    ));
    assert!(matches!(
        errors(&fmod("u8 h(void)", "-1", "0", "0"))[..],
        [HookError::RangeOutsideType { value: -1, .. }]
    ));
    assert!(matches!(
        errors(&fmod("int h(void)", "-1", "0", "5"))[..],
        [HookError::DefaultOutsideRange { value: 5, .. }]
    ));
    assert!(matches!(
        errors(&fmod("int h(void)", "3", "1", "2"))[..],
        [HookError::EmptyRange { .. }]
    ));
    let dup = [fentry("void h(void)"), fentry("void h(u32 a)")];
    assert!(matches!(
        validate_set(&dup)[..],
        [(_, HookError::Duplicate { .. })]
    ));
}

#[test]
fn the_wrapper_clamps_to_the_bound_macros() {
    let hooks = [
        fmod("int jobd_admit(u32 a)", "-EPERM", "0", "0"),
        fentry("void jobd_done(u32 a)"),
    ];
    let h = h_hooks(&hooks, "jobd", "JOBD_BPF_ENABLED");
    assert!(h.contains("#define JOBD_ADMIT_RET_MIN\t(-EPERM)\n"), "{h}");
    assert!(
        h.contains("static __always_inline int jobd_admit_hook(u32 a)"),
        "{h}"
    );
    assert!(
        h.contains(
            "clamp_t(int, jobd_admit(a),\n\t\t       JOBD_ADMIT_RET_MIN, JOBD_ADMIT_RET_MAX)"
        ),
        "{h}"
    );
    assert!(
        h.contains("#define JOBD_HOOK(hook, ...)\thook##_hook(__VA_ARGS__)"),
        "{h}"
    );
    assert!(h.contains("/* observe */\nvoid jobd_done(u32 a);"), "{h}");
}

/// Idle, a hook site tests its function's ftrace site and skips the call:
/// fmod_ret returns the declared default, fentry calls nothing. Without the
/// glue's BPF switch or off x86-64 ftrace, every site calls.
#[test]
fn an_idle_hook_site_skips_the_call() {
    let hooks = [
        fmod("int jobd_admit(u32 a)", "-EPERM", "0", "0"),
        fentry("void jobd_done(u32 a)"),
    ];
    let h = h_hooks(&hooks, "jobd", "JOBD_BPF_ENABLED");
    for want in [
        "\tif (!jobd_hook_traced(jobd_admit))\n\t\treturn 0;\n",
        "\tif (jobd_hook_traced(jobd_done))\n\t\tjobd_done(a);\n}",
        "#if JOBD_BPF_ENABLED && defined(CONFIG_X86_64) && defined(CONFIG_DYNAMIC_FTRACE)",
        "READ_ONCE(*jobd_hook_site(hook)) != JOBD_HOOK_NOP5_OPCODE",
        "#else\nstatic __always_inline bool jobd_hook_traced(const void *hook)\n{\n\treturn true;\n}\n#endif",
    ] {
        assert!(h.contains(want), "want\n{want}\nin\n{h}");
    }
    let c = c_entries(&hooks, "jobd");
    // the key goes on only after every entry checked out
    let check = c.find("memcmp(site, idle, sizeof(idle))").unwrap();
    let enable = c.find("static_branch_enable(&jobd_hook_entries)").unwrap();
    assert!(check < enable, "{c}");
    assert!(
        c.contains("jobd_hook_fns[] __initconst = {\n\tjobd_admit,\n\tjobd_done,\n};"),
        "{c}"
    );
}

#[test]
fn hook_bodies_sets_and_bpf_macros() {
    let hooks = [
        fmod("int jobd_admit(u32 a)", "-EPERM", "0", "0"),
        fentry("void jobd_done(void)"),
    ];
    let c = c_hooks(&hooks);
    assert!(
        c.contains("__weak noinline int jobd_admit(u32 a)\n{"),
        "{c}"
    );
    assert!(
        c.contains("\treturn 0;\n}\nALLOW_ERROR_INJECTION(jobd_admit, ERRNO);"),
        "{c}"
    );
    let set = c_fmodret_set(&hooks, "jobd");
    assert!(
        set.contains("BTF_ID_FLAGS(func, jobd_admit, KF_SLEEPABLE)"),
        "{set}"
    );
    assert!(
        !set.contains("jobd_done"),
        "fentry hooks need no fmodret entry"
    );
    assert_eq!(
        c_register(&hooks, "jobd"),
        [
            "register_btf_fmodret_id_set(&jobd_fmodret_set)",
            "jobd_hook_check_entries()"
        ]
    );
    assert_eq!(
        c_register(&hooks[1..], "jobd"),
        ["jobd_hook_check_entries()"]
    );
    assert!(c_register(&[], "jobd").is_empty());
    assert_eq!(c_fmodret_set(&hooks[1..], "jobd"), "");
    let b = bpf_hooks(&hooks, "jobd");
    // BPF programs have no errno macros
    assert!(
        b.contains("#define JOBD_ADMIT_RET_MIN\t(-1)\t/* -EPERM */"),
        "{b}"
    );
    assert!(
        b.contains("#define JOBD_FMOD_RET(hook, name, args...)"),
        "{b}"
    );
    assert!(!bpf_hooks(&hooks[1..], "jobd").contains("FMOD_RET"));
}
