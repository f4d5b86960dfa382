//! The BPF header's compat layer from a declaration's `[compat]`: one name
//! per operation over every declared kernel, and no silent no-op where a
//! kernel has none.

const DECL: &str = r#"[subsystem]
name = "demo"

[ops]
name = "demo_ops"

[[ops.callback]]
fn = "void (*enqueue)(struct task_struct *p, u64 enq_flags)"

[[ops.callback]]
fn = "void (*sub_attach)(u64 id)"

[[kfunc]]
proto = "void demo_insert(struct task_struct *p, u64 dsq_id)"
prog_types = ["struct_ops"]

[[kfunc]]
proto = "u64 demo_now(void)"
prog_types = ["struct_ops"]

[[kfunc]]
proto = "u32 demo_nr(void)"
prog_types = ["struct_ops"]

[compat]
kernels = ["6.12", "7.3"]

[[compat.member]]
name = "sub_attach"
kernels = ["7.3"]

[[compat.kfunc]]
name = "demo_insert"
[[compat.kfunc.version]]
kernels = ["7.3"]
proto = "void demo_insert(struct task_struct *p, u64 dsq_id)"
[[compat.kfunc.version]]
kernels = ["6.12"]
proto = "void demo_dispatch(struct task_struct *p, u64 dsq_id)"

[[compat.kfunc]]
name = "demo_now"
[[compat.kfunc.version]]
kernels = ["7.3"]
proto = "u64 demo_now(void)"
"#;

/// The header without whitespace: prototypes wrap at 80 columns.
fn header(text: &str) -> String {
    let decl = modless_decl::parse(text, "demo.toml").expect("parses");
    let g = modless_gen::generate(&decl).expect("valid");
    squash(g.get("demo.bpf.h").unwrap())
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether `h` (squashed) has `want`, spaced any way.
fn has(h: &str, want: &str) -> bool {
    h.contains(&squash(want))
}

#[test]
fn a_renamed_kfunc_is_one_inline_over_flavoured_weak_externs() {
    let h = header(DECL);
    // every version a __weak flavour; no plain extern of the operation
    assert!(
        has(
            &h,
            "extern void demo_insert___k7_3(struct task_struct *p, u64 dsq_id) __ksym __weak;"
        ),
        "{h}"
    );
    assert!(
        has(
            &h,
            "extern void demo_dispatch___k6_12(struct task_struct *p, u64 dsq_id) __ksym __weak;"
        ),
        "{h}"
    );
    assert!(!has(&h, "extern void demo_insert(struct"), "{h}");
    // the load-time choice, newest first, under the operation's name
    assert!(
        has(
            &h,
            "static __always_inline void __demo_demo_insert(struct task_struct *p, u64 dsq_id)\n{\n\
             \tif (bpf_ksym_exists(demo_insert___k7_3)) {\n\t\tdemo_insert___k7_3(p, dsq_id);\n\t\treturn;\n\t}\n\
             \tif (bpf_ksym_exists(demo_dispatch___k6_12)) {\n\t\tdemo_dispatch___k6_12(p, dsq_id);\n\t\treturn;\n\t}\n}\n\
             #define demo_insert __demo_demo_insert\n"
        ),
        "{h}"
    );
    // present on both: no missing marker
    assert!(!has(&h, "demo_insert__missing_on"), "{h}");
    // a kfunc every kernel has alike stays a plain extern
    assert!(has(&h, "extern u32 demo_nr(void) __ksym __weak;"), "{h}");
    assert!(has(
        &h,
        "/* ops member sub_attach: only on 7.3; leave it unset for the others */"
    ));
}

#[test]
fn an_operation_a_kernel_lacks_fails_the_load_there_by_name() {
    let h = header(DECL);
    assert!(
        has(
            &h,
            "extern void demo_now__missing_on_6_12(void) __ksym __weak;"
        ),
        "{h}"
    );
    assert!(
        has(
            &h,
            "static __always_inline u64 __demo_demo_now(void)\n{\n\
             \tif (bpf_ksym_exists(demo_now___k7_3))\n\t\treturn demo_now___k7_3();\n\
             \tdemo_now__missing_on_6_12();\n\treturn 0;\n}\n"
        ),
        "{h}"
    );
    assert!(has(&h, "#define DEMO_HAS(op)\t__demo_has_##op()"), "{h}");
    assert!(
        has(&h, "static __always_inline bool __demo_has_demo_now(void)\n{\n\treturn bpf_ksym_exists(demo_now___k7_3);\n}"),
        "{h}"
    );
}

#[test]
fn a_version_with_another_prototype_is_not_called_in_its_place() {
    let text = DECL.replace(
        "proto = \"void demo_dispatch(struct task_struct *p, u64 dsq_id)\"",
        "proto = \"bool demo_dispatch(struct task_struct *p, u64 dsq_id, u64 flags)\"",
    );
    let h = header(&text);
    assert!(has(&h, "extern bool demo_dispatch___k6_12("), "{h}");
    assert!(
        !has(&h, "if (bpf_ksym_exists(demo_dispatch___k6_12))"),
        "{h}"
    );
    assert!(has(&h, "demo_insert__missing_on_6_12();"), "{h}");
    assert!(has(
        &h,
        "demo_dispatch differs in prototype: call demo_dispatch___k6_12 yourself"
    ));
}

#[test]
fn compat_mistakes_are_located_errors() {
    let bad_kernel = DECL.replace("kernels = [\"6.12\"]\nproto", "kernels = [\"6.1\"]\nproto");
    let e = modless_decl::parse(&bad_kernel, "demo.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("demo.toml:") && e.contains("kernel `6.1` is not in compat.kernels"),
        "{e}"
    );

    let unnamed = DECL.replace("name = \"demo_now\"", "name = \"demo_clock\"");
    let decl = modless_decl::parse(&unnamed, "demo.toml").unwrap();
    let e = decl.validate().unwrap_err().to_string();
    assert!(
        e.contains("operation `demo_clock`: no version is named so"),
        "{e}"
    );

    let member = DECL.replace("name = \"sub_attach\"", "name = \"sub_detach\"");
    let decl = modless_decl::parse(&member, "demo.toml").unwrap();
    let e = decl.validate().unwrap_err().to_string();
    assert!(
        e.contains("member `sub_detach`: the ops table has no such member"),
        "{e}"
    );
}
