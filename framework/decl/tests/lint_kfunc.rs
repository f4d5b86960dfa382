//! `[[lint_kfunc]]`: a kernel kfunc declared by name for lint only.

use modless_decl::kfuncs::{KfFlag, KfuncError, OpScope, ProgType};
use modless_decl::{parse, DeclError, DeclErrorKind};

const BASE: &str = r#"[subsystem]
name = "demo"

[ops]
name = "demo_ops"

[[ops.callback]]
fn = "int (*pick)(u32 n)"
default = "demo_default_pick"

[[ops.callback]]
fn = "void (*done)(u32 n)"

[[kfunc]]
proto = "u32 bpf_demo_count(void)"
prog_types = ["struct_ops"]

# in kfunc prototype: expected a type, found `(`
[[lint_kfunc]]
name = "bpf_demo_walk___v2"
flags = ["KF_IMPLICIT_ARGS", "KF_SLEEPABLE"]
prog_types = ["struct_ops", "syscall"]
ops = ["pick"]
"#;

fn errors(text: &str) -> Vec<DeclError> {
    match parse(text, "demo.toml") {
        Err(e) => e.0,
        Ok(d) => d.validate().err().map(|e| e.0).unwrap_or_default(),
    }
}

#[test]
fn a_lint_only_kfunc_loads_with_its_name_flags_and_scope() {
    let d = parse(BASE, "demo.toml").unwrap();
    d.validate().unwrap();
    assert_eq!(d.kfuncs.len(), 1, "a lint-only kfunc is no full kfunc");
    let k = &d.lint_kfuncs[0];
    assert_eq!(k.name, "bpf_demo_walk___v2");
    assert_eq!(k.flags, vec![KfFlag::ImplicitArgs, KfFlag::Sleepable]);
    assert_eq!(k.prog_types, vec![ProgType::StructOps, ProgType::Syscall]);
    assert_eq!(k.scope, OpScope::Ops(vec!["pick".into()]));
    assert!(k.allowed_in_op("pick") && !k.allowed_in_op("done"));
}

#[test]
fn its_ops_must_be_in_the_table_and_its_name_unique() {
    let errs = errors(&BASE.replace("ops = [\"pick\"]", "ops = [\"pik\"]"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(matches!(&errs[0].kind, DeclErrorKind::UnknownOp { op, .. } if op == "pik"));
    assert!(
        errs[0]
            .to_string()
            .starts_with("demo.toml:20:8: error: kfunc `bpf_demo_walk___v2`"),
        "{}",
        errs[0]
    );

    let errs = errors(&BASE.replace("\"bpf_demo_walk___v2\"", "\"bpf_demo_count\""));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(matches!(
        &errs[0].kind,
        DeclErrorKind::Kfunc(KfuncError::Duplicate { name }) if name == "bpf_demo_count"
    ));
}

#[test]
fn it_has_no_prototype_and_knows_its_flags() {
    let errs = errors(&BASE.replace("name = \"bpf_demo_walk___v2\"", "proto = \"void x(void)\""));
    assert!(
        errs[0].to_string().contains("unknown field `proto`"),
        "{errs:#?}"
    );
    let errs = errors(&BASE.replace("\"KF_SLEEPABLE\"]", "\"KF_SLEEPY\"]"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].to_string().contains("KF_SLEEPY"), "{}", errs[0]);
}
