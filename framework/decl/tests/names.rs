//! Regression tests for declarations `check` once accepted although the
//! generated code did not build (issue 12): each is now rejected at its
//! line, with the reason and the fix.

use modless_decl::struct_ops::OpsError;
use modless_decl::{parse, DeclError, DeclErrorKind};

const BASE: &str = r#"[subsystem]
name = "demo"
doc = "A demo."

[[struct]]
name = "demo_obj"
fields = ["u64 id", "s32 prio"]

[ops]
name = "demo_ops"
writes = ["demo_obj.prio"]

[[ops.callback]]
fn = "int (*pick)(struct demo_obj *obj, u32 n)"
required = true
default = "demo_default_pick"

[[ops.callback]]
fn = "void (*done)(struct demo_obj *obj)"
doc = "An object is done."

[[ops.data]]
field = "char name[16]"
kind = "name"

[[ops.data]]
field = "u64 flags"
kind = "flags"
flags = [{ name = "DEMO_F_A", bit = 0 }]

[[kfunc]]
proto = "u64 bpf_demo_count(u32 n)"
prog_types = ["struct_ops"]
ops = ["pick"]

[[hook]]
proto = "int demo_admit(struct demo_obj *obj)"
attach = "fmod_ret"
ret_range = ["-EPERM", 0]
"#;

fn errors(text: &str) -> Vec<DeclError> {
    match parse(text, "demo.toml") {
        Err(e) => e.0,
        Ok(d) => d.validate().err().map(|e| e.0).unwrap_or_default(),
    }
}

/// Replaces `from` in BASE, expects exactly one error, located on the line
/// holding `line_of`, whose message contains each of `says`.
fn rejects(from: &str, to: &str, line_of: &str, says: &[&str]) -> DeclErrorKind {
    assert!(BASE.contains(from), "{from}");
    let text = BASE.replacen(from, to, 1);
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{to}: {errs:#?}");
    let e = &errs[0];
    let line = text
        .lines()
        .position(|l| l.contains(line_of))
        .expect("line_of in text")
        + 1;
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!("demo.toml:{line}:")),
        "{msg} (want line {line})"
    );
    for s in says {
        assert!(msg.contains(s), "{msg} should say {s}");
    }
    e.kind.clone()
}

#[test]
fn base_is_valid() {
    assert_eq!(errors(BASE), vec![]);
}

#[test]
fn callback_parameters_must_not_be_glue_locals() {
    for local in ["ops", "ret", "done"] {
        let k = rejects(
            "u32 n)\"",
            &format!("u32 {local})\""),
            "(*pick)",
            &[local, "demo_call_pick", "rename the parameter"],
        );
        assert!(matches!(k, DeclErrorKind::ParamIsGlueLocal { .. }), "{k:?}");
    }
}

#[test]
fn parameters_must_not_shadow_generated_names() {
    let k = rejects(
        "u32 n)\"",
        "u32 demo_default_pick)\"",
        "(*pick)",
        &["demo_default_pick", "rename the parameter"],
    );
    assert!(matches!(k, DeclErrorKind::ParamShadows { .. }));
    // a hook's wrapper calls the hook: a parameter of that name hides it
    let k = rejects(
        "demo_admit(struct demo_obj *obj)",
        "demo_admit(struct demo_obj *demo_admit)",
        "demo_admit(",
        &["hook `demo_admit`"],
    );
    assert!(matches!(k, DeclErrorKind::ParamShadows { .. }));
}

#[test]
fn duplicate_parameters_are_rejected_even_behind_suffixes() {
    let k = rejects(
        "(struct demo_obj *obj, u32 n)",
        "(struct demo_obj *obj, u32 obj)",
        "(*pick)",
        &["parameter `obj` twice"],
    );
    assert!(matches!(k, DeclErrorKind::DuplicateParam { .. }));
    let k = rejects(
        "(struct demo_obj *obj, u32 n)",
        "(struct demo_obj *obj__ref, struct demo_obj *obj)",
        "(*pick)",
        &["parameter `obj` twice"],
    );
    assert!(matches!(k, DeclErrorKind::DuplicateParam { .. }));
    let k = rejects(
        "bpf_demo_count(u32 n)",
        "bpf_demo_count(u32 n, u64 n)",
        "bpf_demo_count",
        &["twice"],
    );
    assert!(matches!(k, DeclErrorKind::DuplicateParam { .. }));
}

#[test]
fn one_default_serves_one_prototype() {
    let k = rejects(
        "fn = \"void (*done)(struct demo_obj *obj)\"",
        "fn = \"void (*done)(struct demo_obj *obj)\"\ndefault = \"demo_default_pick\"",
        "(*done)",
        &["demo_default_pick", "own default"],
    );
    assert!(matches!(k, DeclErrorKind::SharedDefaultSignature { .. }));
    // the same prototype may share it, and gets one prototype in the header
    let text = BASE.replacen(
        "[[ops.callback]]\nfn = \"void (*done)",
        "[[ops.callback]]\nfn = \"int (*pick2)(struct demo_obj *o, u32 m)\"\ndefault = \"demo_default_pick\"\n\n[[ops.callback]]\nfn = \"void (*done)",
        1,
    );
    assert_eq!(errors(&text), vec![]);
}

#[test]
fn kernel_macros_and_keywords_are_rejected() {
    for (from, to, line, name) in [
        ("(*done)", "(*current)", "(*current)", "current"),
        ("(*done)", "(*min)", "(*min)", "min"),
        ("(*done)", "(*likely)", "(*likely)", "likely"),
        ("u32 n)\"", "u32 EINVAL)\"", "(*pick)", "EINVAL"),
        ("\"s32 prio\"", "\"s32 __rcu\"", "s32 __rcu", "__rcu"),
        (
            "\"s32 prio\"",
            "\"s32 constexpr\"",
            "s32 constexpr",
            "constexpr",
        ),
        (
            "\"s32 prio\"",
            "\"s32 container_of\"",
            "container_of",
            "container_of",
        ),
        ("bpf_demo_count(u32 n)", "max(u32 n)", "max(u32 n)", "max"),
    ] {
        let text = BASE.replacen(from, to, 1);
        let text = if name == "prio" {
            text
        } else {
            text.replace("writes = [\"demo_obj.prio\"]", "writes = [\"demo_obj.id\"]")
        };
        let errs = errors(&text);
        let e = errs
            .iter()
            .find(|e| matches!(&e.kind, DeclErrorKind::Reserved { name: n, .. } if n == name))
            .unwrap_or_else(|| panic!("{name}: {errs:#?}"));
        let want = text.lines().position(|l| l.contains(line)).unwrap() + 1;
        assert_eq!(e.line(), Some(want), "{e}");
        assert!(e.to_string().ends_with("rename it"), "{e}");
    }
}

#[test]
fn rust_keywords_are_rejected_as_fields() {
    let k = rejects(
        "\"s32 prio\"]",
        "\"s32 prio\", \"u32 self\"]",
        "u32 self",
        &["`self`", "Rust"],
    );
    assert!(matches!(k, DeclErrorKind::RustFieldName { .. }));
}

#[test]
fn generated_symbols_cannot_be_redeclared() {
    for (name, by) in [
        ("demo_bpf_eject", "glue"),
        ("demo_st_reg", "glue"),
        ("demo_kfunc_filter", "kfunc filter"),
        ("demo_bpf_init", "init function"),
        ("demo_pick_kfunc_set", "kfunc set of op `pick`"),
        ("demo_call_pick", "call function of `pick`"),
        ("demo_ops__done", "CFI stub of `done`"),
    ] {
        let k = rejects(
            "u64 bpf_demo_count(u32 n)",
            &format!("u64 {name}(u32 n)"),
            name,
            &[name, by, "rename one"],
        );
        assert!(matches!(k, DeclErrorKind::NameCollision { .. }), "{name}");
    }
}

#[test]
fn hook_case_twins_share_a_range_macro() {
    let twin = "[[hook]]\nproto = \"int DEMO_ADMIT(struct demo_obj *obj)\"\nattach = \"fmod_ret\"\nret_range = [-1, 0]\n";
    let text = format!("{BASE}\n{twin}");
    let errs = errors(&text);
    assert!(
        errs.iter().any(|e| matches!(&e.kind,
            DeclErrorKind::NameCollision { name, .. } if name == "DEMO_ADMIT_RET_MIN")),
        "{errs:#?}"
    );
    let line = text
        .lines()
        .position(|l| l.contains("DEMO_ADMIT("))
        .unwrap()
        + 1;
    assert!(errs.iter().all(|e| e.line() == Some(line)), "{errs:#?}");
}

#[test]
fn a_flag_name_in_two_members_is_rejected() {
    let k = rejects(
        "[[kfunc]]",
        "[[ops.data]]\nfield = \"u32 more\"\nkind = \"flags\"\nflags = [{ name = \"DEMO_F_A\", bit = 1 }]\n\n[[kfunc]]",
        "u32 more",
        &["DEMO_F_A", "flag `DEMO_F_A` of `flags`", "of `more`"],
    );
    assert!(matches!(k, DeclErrorKind::NameCollision { .. }));
}

#[test]
fn flags_are_upper_case_and_prefixed() {
    let k = rejects(
        "\"DEMO_F_A\"",
        "\"strict\"",
        "u64 flags",
        &["`strict`", "DEMO_", "e.g. `DEMO_STRICT`"],
    );
    assert!(matches!(k, DeclErrorKind::FlagName { .. }));
}

#[test]
fn comment_markers_in_docs_are_rejected() {
    for doc in ["ends */ here", "nests /* here"] {
        let k = rejects(
            "An object is done.",
            doc,
            "(*done)",
            &["comment", "reword it"],
        );
        assert!(matches!(k, DeclErrorKind::DocCommentMarker { .. }));
    }
}

#[test]
fn overlong_names_are_rejected() {
    let long = "s".repeat(56);
    let text = BASE
        .replacen("name = \"demo\"\n", &format!("name = \"{long}\"\n"), 1)
        .replace("DEMO_F_A", &format!("{}_F_A", long.to_ascii_uppercase()));
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(matches!(
        errs[0].kind,
        DeclErrorKind::SubsystemTooLong { len: 56, .. }
    ));
    assert_eq!(errs[0].line(), Some(2));
    assert!(errs[0].to_string().contains("at most 55"), "{}", errs[0]);
    let kfunc = format!("bpf_{}", "k".repeat(500));
    let k = rejects(
        "bpf_demo_count",
        &kfunc,
        &kfunc,
        &["504 characters", "KSYM_NAME_LEN"],
    );
    assert!(matches!(k, DeclErrorKind::SymbolTooLong { .. }));
}

#[test]
fn ret_range_needs_exactly_two_values() {
    for range in ["[\"-EPERM\", 0, 5]", "[0]"] {
        let k = rejects("[\"-EPERM\", 0]", range, "ret_range", &["exactly two"]);
        assert!(matches!(k, DeclErrorKind::RetRangeLen { .. }));
    }
}

#[test]
fn name_arrays_of_absurd_sizes_are_rejected() {
    let k = rejects(
        "char name[16]",
        "char name[1]",
        "char name[1]",
        &["char name[2]"],
    );
    assert!(matches!(
        k,
        DeclErrorKind::Ops(OpsError::NameTooShort { len: 1, .. })
    ));
    let k = rejects(
        "char name[16]",
        "char name[2147483648]",
        "char name[2147483648]",
        &["2147483648", "at most 4096"],
    );
    assert!(matches!(
        k,
        DeclErrorKind::Ops(OpsError::ArrayTooLarge { .. })
    ));
    let k = rejects(
        "\"s32 prio\"]",
        "\"s32 prio\", \"char buf[2147483648]\"]",
        "char buf",
        &["2147483648", "make it smaller"],
    );
    assert!(matches!(k, DeclErrorKind::ArrayTooLarge { .. }));
}

#[test]
fn toml_errors_name_the_key_and_the_fix() {
    let k = rejects(
        "name = \"demo_ops\"\n",
        "",
        "[ops]",
        &["missing field `name`", "add `name = ...`"],
    );
    assert!(matches!(k, DeclErrorKind::Toml(_)));
    let k = rejects(
        "required = true",
        "required = true\nrequired = false",
        "required = false",
        &["duplicate key", "required", "once per table"],
    );
    assert!(matches!(k, DeclErrorKind::Toml(_)));
}

#[test]
fn columns_stay_right_after_escapes() {
    // `\t` and `\u00e9` are one character in the value, several in the file
    for (from, to) in [
        (
            "\"int (*pick)(struct demo_obj *obj, u32 n)\"",
            "\"int (*pick)(struct\\tdemo_obj *obj, u32 n, ...)\"",
        ),
        (
            "\"int (*pick)(struct demo_obj *obj, u32 n)\"",
            "\"int (*pick)(struct demo_obj *obj, u32 n\\u0020, ...)\"",
        ),
        (
            "\"int (*pick)(struct demo_obj *obj, u32 n)\"",
            "'int (*pick)(struct demo_obj *obj, u32 n, ...)'",
        ),
        (
            "\"int (*pick)(struct demo_obj *obj, u32 n)\"",
            "\"\"\"\nint (*pick)(struct demo_obj *obj, \\\n    u32 n, ...)\"\"\"",
        ),
    ] {
        let text = BASE.replacen(from, to, 1);
        let errs = errors(&text);
        assert_eq!(errs.len(), 1, "{to}: {errs:#?}");
        let line = text.lines().position(|l| l.contains("...")).unwrap() + 1;
        let col = text.lines().nth(line - 1).unwrap().find("...").unwrap() + 1;
        assert_eq!(errs[0].line_col, Some((line, col)), "{to}: {}", errs[0]);
    }
}

#[test]
fn an_op_named_like_a_prog_type_set_collides() {
    let text = BASE.replacen("(*done)", "(*syscall)", 1).replacen(
        "prog_types = [\"struct_ops\"]\nops = [\"pick\"]",
        "prog_types = [\"struct_ops\", \"syscall\"]\nops = [\"pick\", \"syscall\"]",
        1,
    );
    let errs = errors(&text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let k = errs[0].kind.clone();
    assert!(
        errs[0].to_string().contains("demo_syscall_kfunc_set"),
        "{}",
        errs[0]
    );
    assert!(matches!(k, DeclErrorKind::NameCollision { .. }), "{k:?}");
}

#[test]
fn ten_thousand_callbacks_are_checked() {
    let mut text = BASE.to_string();
    for i in 0..10_000 {
        text.push_str(&format!(
            "\n[[ops.callback]]\nfn = \"void (*op{i})(struct demo_obj *obj, u64 a{i})\"\n"
        ));
    }
    // completes (quadratic checks took seconds); the member limit is the only error
    let errs = errors(
        &text
            .replace("[[kfunc]]", "[[kfunc_]]")
            .replace("[[kfunc_]]", "[[kfunc]]"),
    );
    assert_eq!(errs.len(), 1, "{:?}", &errs[..errs.len().min(3)]);
    assert!(matches!(
        &errs[0].kind,
        DeclErrorKind::Ops(OpsError::TooManyMembers { count: 10_004, .. })
    ));
}
