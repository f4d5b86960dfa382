//! What the generated C does, checked on small declarations.

use modless_decl::parse;

const BASE: &str = r#"[subsystem]
name = "demo"

[[struct]]
name = "demo_obj"
fields = ["u64 id", "s32 prio", "u32 weight"]

[ops]
name = "demo_ops"
writes = ["demo_obj.prio", "demo_obj.weight"]

[[ops.callback]]
fn = "int (*pick)(struct demo_obj *obj__ref, struct task_struct *p__nullable)"
required = true
default = "demo_default_pick"

[[ops.callback]]
fn = "void (*done)(struct demo_obj *obj)"

[[ops.callback]]
fn = "int (*setup)(void)"
sleepable = true
default = "demo_default_setup"

[[ops.data]]
field = "u32 mode"
kind = "value"
max = 3

[[kfunc]]
proto = "struct demo_obj *bpf_demo_obj_get(u64 id)"
flags = ["KF_ACQUIRE", "KF_RET_NULL"]
prog_types = ["struct_ops"]
ops = ["pick"]

[[kfunc]]
proto = "void bpf_demo_obj_put(struct demo_obj *obj)"
flags = ["KF_RELEASE"]
prog_types = ["struct_ops", "tracing"]
"#;

fn gen(text: &str) -> modless_gen::Generated {
    modless_gen::generate(&parse(text, "demo.toml").unwrap()).unwrap()
}

fn c(text: &str) -> String {
    gen(text).get("demo_bpf.c").unwrap().to_string()
}

fn h(text: &str) -> String {
    gen(text).get("demo_bpf.h").unwrap().to_string()
}

#[test]
fn stubs_keep_declared_parameter_names() {
    let c = c(BASE);
    assert!(
        c.contains("static int demo_ops__pick(struct demo_obj *obj__ref,"),
        "{c}"
    );
    assert!(c.contains("struct task_struct *p__nullable)"));
    assert!(c.contains("\t.pick = demo_ops__pick,"));
    assert!(c.contains("static struct demo_ops __bpf_ops_demo_ops = {"));
    assert!(c.contains("\t.name\t\t\t= \"demo_ops\","));
    // the subsystem-facing call path drops the annotations
    assert!(h(BASE).contains("int demo_default_pick(struct demo_obj *obj, struct task_struct *p);"));
}

#[test]
fn validate_requires_required_ops_only() {
    let c = c(BASE);
    assert!(c.contains(
        "\tif (!ops->pick) {\n\t\tpr_warn_ratelimited(\"demo_ops: required op pick is missing\\n\");\n\t\treturn -EINVAL;"
    ));
    assert!(!c.contains("!ops->done"));
}

#[test]
fn check_member_allows_sleepable_only_where_declared() {
    let c = c(BASE);
    let body = &c[c.find("static int demo_st_check_member").unwrap()..];
    let body = &body[..body.find("\n}\n").unwrap()];
    assert!(body.contains("case offsetof(struct demo_ops, setup):\n\t\treturn 0;"));
    assert!(!body.contains("struct demo_ops, pick)"));
    assert!(body.contains("return prog->sleepable ? -EINVAL : 0;"));
}

#[test]
fn sleepable_op_is_called_under_srcu() {
    let h = h(BASE);
    let f = &h[h.find("static inline int demo_call_setup(void)").unwrap()..];
    let f = &f[..f.find("\n}\n").unwrap()];
    assert!(f.contains("might_sleep();"));
    assert!(!f.contains("rcu_read_lock()"), "{f}");
    let lock = f
        .find("srcu_idx = srcu_read_lock(&demo_bpf_srcu);")
        .unwrap();
    let deref = f
        .find("ops = srcu_dereference(demo_bpf_ops, &demo_bpf_srcu);")
        .unwrap();
    let call = f.find("ret = ops->setup();").unwrap();
    let unlock = f
        .find("srcu_read_unlock(&demo_bpf_srcu, srcu_idx);")
        .unwrap();
    assert!(lock < deref && deref < call && call < unlock, "{f}");
    assert!(h.contains("#include <linux/srcu.h>\n"));
    assert!(h.contains("extern struct srcu_struct demo_bpf_srcu;\n"));
    // a non-sleepable op keeps plain RCU
    let pick = &h[h.find("demo_call_pick(").unwrap()..];
    assert!(pick[..pick.find("\n}\n").unwrap()].contains("rcu_read_lock();"));
}

#[test]
fn unreg_and_update_wait_for_srcu_readers_before_the_exit_op() {
    let exit = "[[ops.callback]]\nfn = \"void (*exit)(struct demo_exit_info *info)\"\nexit = true\n\n[[ops.data]]";
    let text = BASE.replacen("[[ops.data]]", exit, 1);
    let src = c(&text);
    assert!(src.contains("DEFINE_SRCU(demo_bpf_srcu);\n"), "{src}");
    for f in ["static void demo_st_unreg(", "static int demo_st_update("] {
        let body = &src[src.find(f).unwrap()..];
        let body = &body[..body.find("\n}\n").unwrap()];
        let rcu = body.find("synchronize_rcu();").unwrap();
        let srcu = body.find("synchronize_srcu(&demo_bpf_srcu);").unwrap();
        let exit = body.find("->exit(&info);").unwrap();
        assert!(rcu < srcu && srcu < exit, "{body}");
    }
    // without a sleepable op there is no SRCU
    let c = c(&BASE.replace("sleepable = true\n", ""));
    assert!(!c.contains("srcu"), "{c}");
}

#[test]
fn write_allowlist_becomes_exact_offset_ranges() {
    let c = c(BASE);
    for f in ["prio", "weight"] {
        let case = format!("\tcase offsetof(struct demo_obj, {f}) ...\n\t     offsetofend(struct demo_obj, {f}) - 1:");
        assert!(c.contains(&case), "{c}");
    }
    assert!(!c.contains("struct demo_obj, id)"));
    assert!(c.contains("bpf_log(log, \"no write support to %s at off %d\\n\", name, off);"));
    assert!(c.contains(".btf_struct_access\t= demo_btf_struct_access,"));
    // no allowlist: no btf_struct_access, so the verifier rejects all writes
    let ro = c_without_writes();
    assert!(!ro.contains("btf_struct_access"));
}

fn c_without_writes() -> String {
    c(&BASE.replace("writes = [\"demo_obj.prio\", \"demo_obj.weight\"]", ""))
}

#[test]
fn filter_has_the_three_step_contract_and_per_op_sets() {
    let c = c(BASE);
    let f = &c[c.find("static int demo_kfunc_filter").unwrap()..];
    let f = &f[..f.find("\n}\n").unwrap()];
    let outside = f
        .find("#ifndef MODULE\n\t/* built in, this filter sees every vmlinux kfunc of the hook */\n\tif (!btf_id_set8_contains(&demo_kfunc_ids, kfunc_id))\n\t\treturn 0;\n#endif")
        .unwrap();
    let early = f
        .find("if (!prog->aux->attach_func_name)\n\t\treturn 0;")
        .unwrap();
    let foreign = f
        .find("if (!demo_bpf_prog_is_ours(prog))\n\t\treturn -EACCES;")
        .unwrap();
    let per_op = f.find("idx = prog->expected_attach_type;").unwrap();
    assert!(outside < early && early < foreign && foreign < per_op);
    // ours: the BTF init saw and the ops type's id in it, no 7.x-only fields
    assert!(c.contains("\tWRITE_ONCE(demo_bpf_btf, btf);"));
    assert!(c.contains("\treturn prog->aux->attach_btf == READ_ONCE(demo_bpf_btf) &&"));
    assert!(!c.contains("!prog->aux->st_ops") && !c.contains("aux->attach_st_ops_member_off"));
    assert!(c.contains(
        "BTF_SET_START(demo_pick_kfunc_set)\nBTF_ID(func, bpf_demo_obj_get)\nBTF_SET_END"
    ));
    assert!(c.contains(
        "BTF_SET_START(demo_any_op_kfunc_set)\nBTF_ID(func, bpf_demo_obj_put)\nBTF_SET_END"
    ));
    assert!(c.contains("[DEMO_OP_IDX(pick)]\t= &demo_pick_kfunc_set,"));
    assert!(c.contains("BTF_ID_FLAGS(func, bpf_demo_obj_get, KF_ACQUIRE | KF_RET_NULL)"));
}

#[test]
fn one_registration_per_program_type_chained() {
    let c = c(BASE);
    let init = &c[c.find("int __init demo_bpf_init(void)").unwrap()..];
    let lines: Vec<&str> = init.lines().filter(|l| l.contains("register_")).collect();
    assert_eq!(lines.len(), 3, "{init}");
    assert!(lines[0].starts_with("\tret = register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS"));
    assert!(lines[1].starts_with("\tret = ret ?: register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING"));
    assert!(lines[2].contains("register_bpf_struct_ops(&bpf_demo_ops, demo_ops)"));
    // the tracing set has no filter: the filter is for struct_ops progs
    let tracing = &c[c.find("demo_tracing_kfunc_set = {").unwrap()..];
    assert!(!tracing[..tracing.find("};").unwrap()].contains(".filter"));
}

#[test]
fn data_members_are_copied_and_checked() {
    let c = c(BASE);
    assert!(c.contains("\tcase offsetof(struct demo_ops, mode):\n\t\tif (uops->mode > 3)\n\t\t\treturn -E2BIG;\n\t\tops->mode = uops->mode;\n\t\treturn 1;"));
}

#[test]
fn many_instances_use_an_rcu_list() {
    let text = BASE
        .replace(
            "name = \"demo_ops\"",
            "name = \"demo_ops\"\ninstances = \"many\"",
        )
        .replace("sleepable = true\n", "");
    let g = gen(&text);
    let (c, h) = (g.get("demo_bpf.c").unwrap(), g.get("demo_bpf.h").unwrap());
    assert!(h.contains("\tstruct list_head bpf_node;\n};"));
    assert!(!g.get("demo.bpf.h").unwrap().contains("bpf_node"));
    assert!(c.contains("list_add_tail_rcu(&ops->bpf_node, &demo_bpf_list);"));
    assert!(!c.contains("return -EBUSY;\n\trcu_assign_pointer"));
    assert!(h.contains("list_for_each_entry_rcu(ops, &demo_bpf_list, bpf_node)"));
}

#[test]
fn one_instance_refuses_a_second() {
    let c = c(BASE);
    assert!(c.contains("\tif (rcu_access_pointer(demo_bpf_ops))\n\t\treturn -EBUSY;"));
    assert!(c.contains("static_branch_enable(&demo_bpf_attached);"));
    assert!(c.contains(".update\t\t\t= demo_st_update,"));
}

#[test]
fn hooks_clamp_and_register_fmodret() {
    let text = format!(
        "{BASE}\n[[hook]]\nproto = \"long demo_gate(u32 x)\"\nattach = \"fmod_ret\"\nret_range = [-5, 7]\ndefault = 2\n\n[[hook]]\nproto = \"void demo_seen(u32 x)\"\nattach = \"fentry\"\n"
    );
    let g = gen(&text);
    let (c, h) = (g.get("demo_bpf.c").unwrap(), g.get("demo_bpf.h").unwrap());
    assert!(c.contains("__weak noinline long demo_gate(u32 x)\n{\n\t/* an opaque body keeps every call a real, patchable call */\n\tasm volatile(\"\");\n\treturn 2;\n}"));
    assert!(
        c.contains("BTF_SET8_START(demo_fmodret_ids)\nBTF_ID_FLAGS(func, demo_gate)\nBTF_SET8_END")
    );
    assert!(!c.contains("BTF_ID_FLAGS(func, demo_seen)"));
    assert!(c.contains("ret = ret ?: register_btf_fmodret_id_set(&demo_fmodret_set);"));
    assert!(h.contains(
        "return clamp_t(long, demo_gate(x),\n\t\t       DEMO_GATE_RET_MIN, DEMO_GATE_RET_MAX);"
    ));
    assert!(h.contains("#define DEMO_GATE_RET_MIN\t-5"));
}

#[test]
fn a_one_instance_table_can_be_ejected_by_its_subsystem() {
    let c = c(BASE);
    assert!(
        c.contains("void demo_bpf_eject(s64 code, const char *fmt, ...)"),
        "{c}"
    );
    assert!(c.contains("\tvscnprintf(reason, sizeof(reason), fmt, args);"));
    // the reg path remembers the link; eject detaches through it, unlocked
    assert!(c.contains("\tdemo_bpf_link = link;"));
    assert!(c.contains("\tmutex_unlock(&demo_bpf_lock);\n\tif (IS_ERR_OR_NULL(link))\n\t\treturn;"));
    assert!(c.contains("\tlink->ops->detach(link);\n\tbpf_link_put(link);"));
    let h = h(BASE);
    assert!(h.contains("__printf(2, 3) void demo_bpf_eject(s64 code, const char *fmt, ...);"));
    assert!(h.contains(
        "static inline __printf(2, 3)\nvoid demo_bpf_eject(s64 code, const char *fmt, ...)\n{\n}"
    ));
}

#[test]
fn the_exit_op_is_called_on_unreg_and_swap_and_gets_the_ejection() {
    let text = BASE.replacen(
        "[[ops.data]]",
        "[[ops.callback]]\nfn = \"void (*exit)(struct demo_exit_info *info)\"\nexit = true\n\n[[ops.data]]",
        1,
    );
    let g = gen(&text);
    let (c, h, b) = (
        g.get("demo_bpf.c").unwrap(),
        g.get("demo_bpf.h").unwrap(),
        g.get("demo.bpf.h").unwrap(),
    );
    for hdr in [h, b] {
        assert!(hdr.contains(
            "struct demo_exit_info {\n\ts32 kind;\n\ts64 exit_code;\n\tchar reason[128];\n};"
        ));
        assert!(hdr.contains("\tDEMO_EXIT_UNREG = 1,"));
    }
    // the subsystem never calls it through DEMO_CALL
    assert!(!h.contains("demo_call_exit"), "{h}");
    assert!(
        c.contains("\tif (ops->exit)\n\t\tops->exit(&info);\n}"),
        "{c}"
    );
    assert!(c.contains("\tif (old->exit)\n\t\told->exit(&info);\n\treturn 0;"));
    assert!(c.contains("\tif (link && link == demo_bpf_ejected)\n\t\tinfo = demo_bpf_eject_info;"));
    assert!(c.contains("\t\tdemo_bpf_eject_info.kind = DEMO_EXIT_EJECT;"));
    assert!(b.contains("#define MODLESS_EXIT_RECORD(info)"));
}

#[test]
fn zero_if_missing_members_are_tagged_for_the_loader_only() {
    let text = BASE.replacen(
        "kind = \"value\"",
        "kind = \"value\"\nif_missing = \"zero\"",
        1,
    );
    let g = gen(&text);
    let b = g.get("demo.bpf.h").unwrap();
    assert!(b.contains("__attribute__((btf_decl_tag(\"modless:zero_if_missing\")))"));
    assert!(b.contains("\tu32 mode __modless_zero_if_missing;"), "{b}");
    assert!(!g
        .get("demo_bpf.h")
        .unwrap()
        .contains("__modless_zero_if_missing"));
}

const NAMED: &str = "[[ops.data]]\nfield = \"char name[16]\"\nkind = \"name\"\ndefault = \"demo_policy\"\n\n[[ops.data]]";

#[test]
fn an_empty_name_gets_the_declared_default() {
    let text = BASE.replacen("[[ops.data]]", NAMED, 1);
    let c = c(&text);
    let body = &c[c.find("static int demo_st_init_member").unwrap()..];
    let body = &body[..body.find("\n}\n").unwrap()];
    let case = body.find("case offsetof(struct demo_ops, name):").unwrap();
    let empty = body
        .find("\t\tif (!uops->name[0]) {\n\t\t\t/* left empty: the declared default */\n\t\t\tstrscpy(ops->name, \"demo_policy\");\n\t\t\treturn 1;\n\t\t}")
        .unwrap();
    let check = body.find("demo_bpf_name_valid(uops->name").unwrap();
    assert!(case < empty && empty < check, "{body}");
    // without a default an empty name is refused as before
    let plain = c_no_default();
    assert!(!plain.contains("left empty"));
}

fn c_no_default() -> String {
    c(&BASE.replacen(
        "[[ops.data]]",
        &NAMED.replace("default = \"demo_policy\"\n", ""),
        1,
    ))
}

#[test]
fn the_subsystem_reads_the_attached_policys_name() {
    let text = BASE.replacen("[[ops.data]]", NAMED, 1);
    let (c, h) = (c(&text), h(&text));
    let f = &c[c
        .find("char *demo_policy_name(char *buf, size_t size)\n{")
        .unwrap()..];
    let f = &f[..f.find("\n}\n").unwrap()];
    assert!(f.contains("\trcu_read_lock();\n\tops = rcu_dereference(demo_bpf_ops);\n\tif (ops) {\n\t\tstrscpy(buf, ops->name, size);\n\t\tret = buf;\n\t}\n\trcu_read_unlock();\n\treturn ret;"), "{f}");
    assert!(c.contains("/**\n * demo_policy_name - the name of the attached demo_ops\n"));
    let on = &h[h.find("#if DEMO_BPF_ENABLED\nint __init").unwrap()..];
    assert!(
        on.contains("char *demo_policy_name(char *buf, size_t size);\n#else"),
        "{on}"
    );
    assert!(
        on.contains(
            "static inline char *demo_policy_name(char *buf, size_t size)\n{\n\treturn NULL;\n}"
        ),
        "{on}"
    );
    assert!(!c_no_default().contains("demo_policy_name"));
}

#[test]
fn name_defaults_must_be_names_of_the_member() {
    for (bad, why) in [
        (
            "default = \"a b\"",
            "default `a b`, which is not a name for `char name[16]`: give 1 to 15 of [A-Za-z0-9_.]",
        ),
        ("default = \"0123456789abcdef\"", "give 1 to 15"),
    ] {
        let text = BASE.replacen(
            "[[ops.data]]",
            &NAMED.replace("default = \"demo_policy\"", bad),
            1,
        );
        let e = parse(&text, "demo.toml")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{e}");
    }
    let text = BASE.replace("max = 3\n", "max = 3\ndefault = \"x\"\n");
    let e = parse(&text, "demo.toml")
        .unwrap()
        .validate()
        .unwrap_err()
        .to_string();
    assert!(e.contains("ops data member `mode` has a `default` but kind `value`; only `kind = \"name\"` members take one, remove it"), "{e}");
}

const VERDICT: &str = "[[ops.callback]]\nfn = \"int (*decide)(struct demo_obj *obj)\"\nverdict = { enum = \"demo_verdict\", values = [\"DEMO_PASS\", \"DEMO_HANDLED\", \"DEMO_KILL\"], fallback = \"DEMO_PASS\" }\n\n[[ops.data]]";

fn verdict_decl() -> String {
    BASE.replacen("[[ops.data]]", VERDICT, 1)
}

#[test]
fn verdicts_are_an_enum_in_both_headers() {
    let g = gen(&verdict_decl());
    let enum_def = "enum demo_verdict {\n\tDEMO_PASS,\n\tDEMO_HANDLED,\n\tDEMO_KILL,\n};\n";
    let h = g.get("demo_bpf.h").unwrap();
    assert!(h.contains(enum_def), "{h}");
    let bpf = g.get("demo.bpf.h").unwrap();
    let at = bpf.find(enum_def).expect("enum in the BPF header");
    // with the other types: vmlinux.h has it when the subsystem is built in
    assert!(at > bpf.find("#ifndef DEMO_TYPES_IN_VMLINUX").unwrap());
    assert!(at < bpf.find("#endif /* DEMO_TYPES_IN_VMLINUX */").unwrap());
    let c = g.get("demo_bpf.c").unwrap();
    assert!(c.contains("\tBTF_TYPE_EMIT(enum demo_verdict);\n"), "{c}");
    // the ops member keeps its declared type
    assert!(h.contains("\tint (*decide)(struct demo_obj *obj);\n"));
}

#[test]
fn the_call_returns_the_verdict_or_the_fallback() {
    let h = h(&verdict_decl());
    let f = &h[h
        .find("static inline enum demo_verdict demo_call_decide(")
        .unwrap()..];
    let on = &f[..f.find("\n}\n").unwrap()];
    // nothing attached, or the op not implemented: the fallback
    assert!(
        on.contains("\tif (!static_branch_unlikely(&demo_bpf_attached))\n\t\treturn DEMO_PASS;\n"),
        "{on}"
    );
    assert!(on.contains("\telse\n\t\tret = DEMO_PASS;\n"), "{on}");
    // outside the enum: the fallback
    assert!(on.ends_with("\t/* outside enum demo_verdict: DEMO_PASS */\n\tif ((u64)ret > DEMO_KILL)\n\t\treturn DEMO_PASS;\n\treturn ret;"), "{on}");
    let off = &h[h.find("#else /* !DEMO_BPF_ENABLED */").unwrap()..];
    let off = &off[off.find("demo_call_decide(").unwrap()..];
    assert!(off[..off.find("\n}\n").unwrap()].contains("\treturn DEMO_PASS;"));

    // a declared default runs instead, and returns the enum
    let with_default = verdict_decl().replace(
        "fallback = \"DEMO_PASS\" }",
        "fallback = \"DEMO_KILL\" }\ndefault = \"demo_decide\"",
    );
    let h = modless_gen::generate(&parse(&with_default, "demo.toml").unwrap())
        .unwrap()
        .get("demo_bpf.h")
        .unwrap()
        .to_string();
    assert!(
        h.contains("enum demo_verdict demo_decide(struct demo_obj *obj);\n"),
        "{h}"
    );
    assert!(h.contains("\t\treturn demo_decide(obj);\n"));
    assert!(h.contains("\tif ((u64)ret > DEMO_KILL)\n\t\treturn DEMO_KILL;\n"));
}

#[test]
fn bad_verdicts_are_refused() {
    for (from, to, why) in [
        (
            "fallback = \"DEMO_PASS\"",
            "fallback = \"DEMO_MAYBE\"",
            "fallback `DEMO_MAYBE` is not one of its values",
        ),
        (
            "\"DEMO_KILL\"",
            "\"DEMO_PASS\"",
            "lists verdict `DEMO_PASS` twice",
        ),
        (
            "values = [\"DEMO_PASS\", \"DEMO_HANDLED\", \"DEMO_KILL\"]",
            "values = []",
            "has no values",
        ),
        (
            "int (*decide)",
            "void (*decide)",
            "returns `void`; a verdict needs an integer return",
        ),
        (
            "\"DEMO_KILL\"",
            "\"kill\"",
            "verdict `kill` must be upper case and start with `DEMO_`",
        ),
    ] {
        let text = verdict_decl().replacen(from, to, 1);
        let e = parse(&text, "demo.toml")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{from} -> {to}: {e}");
    }
    // the enum name defaults to <sub>_<op>_verdict
    let text = verdict_decl().replace("enum = \"demo_verdict\", ", "");
    let h = h(&text);
    assert!(h.contains("enum demo_decide_verdict {\n"), "{h}");
}

#[test]
fn kfunc_argument_annotations_reach_both_headers() {
    let text = format!(
        "{BASE}\n[[kfunc]]\nproto = \"int bpf_demo_note(const char *msg__str, u32 level__k, void *cookie__ign, struct demo_obj *obj__nullable)\"\nprog_types = [\"struct_ops\"]\ndoc = \"Note something\"\ndoc_args = {{ msg__str = \"text\", level__k = \"a constant\", cookie__ign = \"unused\", obj__nullable = \"or NULL\" }}\n"
    );
    let g = gen(&text);
    let proto = "int bpf_demo_note(const char *msg__str, u32 level__k, void *cookie__ign,\n";
    let h = g.get("demo_bpf.h").unwrap();
    assert!(h.contains(proto), "{h}");
    assert!(
        h.contains("\t\t  struct demo_obj *obj__nullable);\n"),
        "{h}"
    );
    // kernel-doc names the parameters as the definition must spell them
    assert!(
        h.contains(" * @msg__str: text\n * @level__k: a constant\n"),
        "{h}"
    );
    let bpf = g.get("demo.bpf.h").unwrap();
    assert!(
        bpf.contains("extern int bpf_demo_note(const char *msg__str, u32 level__k,"),
        "{bpf}"
    );
    assert!(
        bpf.contains("struct demo_obj *obj__nullable) __ksym __weak;"),
        "{bpf}"
    );
    // ops arguments keep theirs in the CFI stub (the verifier reads them
    // there) and drop them in the subsystem's call path
    let c = g.get("demo_bpf.c").unwrap();
    assert!(c.contains("struct task_struct *p__nullable)\n{"));
    assert!(
        h.contains(
            "static inline int demo_call_pick(struct demo_obj *obj, struct task_struct *p)\n"
        ),
        "{h}"
    );

    for (arg, why) in [
        ("u32 msg__str", "`__str` needs a `const char *` argument"),
        ("struct demo_obj *level__k", "`__k` marks a constant scalar"),
        ("u32 obj__nullable", "`__nullable` needs a pointer argument"),
        (
            "u32 x__strk",
            "has suffix `__strk` the verifier does not know",
        ),
    ] {
        let bad = format!(
            "{BASE}\n[[kfunc]]\nproto = \"int bpf_demo_bad({arg})\"\nprog_types = [\"struct_ops\"]\n"
        );
        let e = parse(&bad, "demo.toml")
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains(why), "{arg}: {e}");
    }
}
