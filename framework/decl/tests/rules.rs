//! One test per rule: the exact error variant, and a message that names
//! the item and the line it is on.

use modless_decl::hooks::HookError;
use modless_decl::kfuncs::KfuncError;
use modless_decl::struct_ops::OpsError;
use modless_decl::{parse, DeclError, DeclErrorKind, KernelNames};

const BASE: &str = r#"[subsystem]
name = "demo"

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

[[ops.callback]]
fn = "int (*setup)(void)"
sleepable = true
default = "demo_default_setup"

[[ops.data]]
field = "char name[16]"
kind = "name"

[[kfunc]]
proto = "struct demo_obj *bpf_demo_obj_get(u64 id)"
flags = ["KF_ACQUIRE", "KF_RET_NULL"]
prog_types = ["struct_ops"]
ops = ["pick"]

[[kfunc]]
proto = "void bpf_demo_obj_put(struct demo_obj *obj)"
flags = ["KF_RELEASE"]
prog_types = ["struct_ops"]

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

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text")
        + 1
}

/// Replaces `from` (which must occur) in BASE and returns the errors.
fn mutate(from: &str, to: &str) -> (String, Vec<DeclError>) {
    assert!(BASE.contains(from), "{from}");
    let text = BASE.replacen(from, to, 1);
    let errs = errors(&text);
    (text, errs)
}

fn single(errs: &[DeclError]) -> &DeclError {
    assert_eq!(errs.len(), 1, "{errs:#?}");
    &errs[0]
}

fn assert_located(e: &DeclError, text: &str, needle: &str, item: &str) {
    let msg = e.to_string();
    let line = line_of(text, needle);
    assert!(
        msg.starts_with(&format!("demo.toml:{line}:")),
        "{msg} (want line {line})"
    );
    assert!(msg.contains(item), "{msg} should name {item}");
}

#[test]
fn base_is_valid() {
    assert_eq!(errors(BASE), vec![]);
}

#[test]
fn toml_error_has_position() {
    let (text, errs) = mutate("kind = \"name\"", "kind = \"name\"\nbogus = 1");
    let e = single(&errs);
    assert!(matches!(e.kind, DeclErrorKind::Toml(_)));
    assert_located(e, &text, "bogus = 1", "bogus");
}

#[test]
fn c_syntax_error_points_into_the_string() {
    let (text, errs) = mutate("u32 n)", "u32 n, ...)");
    let e = single(&errs);
    assert!(matches!(&e.kind, DeclErrorKind::CSyntax { err, .. }
        if err.kind == modless_decl::ctypes::ParseErrorKind::Varargs));
    let line = line_of(&text, "...");
    let col = text.lines().nth(line - 1).unwrap().find("...").unwrap() + 1;
    assert_eq!(e.line_col, Some((line, col)), "{e}");
}

#[test]
fn kfunc_op_must_exist() {
    let (text, errs) = mutate("ops = [\"pick\"]", "ops = [\"pik\"]");
    let e = single(&errs);
    assert!(matches!(&e.kind, DeclErrorKind::UnknownOp { op, .. } if op == "pik"));
    assert_located(e, &text, "bpf_demo_obj_get", "bpf_demo_obj_get");
}

#[test]
fn sleepable_kfunc_only_in_sleepable_ops() {
    let (text, errs) = mutate(
        "flags = [\"KF_RELEASE\"]\nprog_types = [\"struct_ops\"]",
        "flags = [\"KF_RELEASE\", \"KF_SLEEPABLE\"]\nprog_types = [\"struct_ops\"]\nops = [\"done\"]",
    );
    let e = single(&errs);
    assert!(matches!(&e.kind, DeclErrorKind::SleepableKfuncInAtomicOp { op, .. } if op == "done"));
    assert_located(e, &text, "bpf_demo_obj_put", "bpf_demo_obj_put");
    let (_, errs) = mutate(
        "flags = [\"KF_RELEASE\"]\nprog_types = [\"struct_ops\"]",
        "flags = [\"KF_RELEASE\", \"KF_SLEEPABLE\"]\nprog_types = [\"struct_ops\"]\nops = [\"setup\"]",
    );
    assert_eq!(errs, vec![]);
}

#[test]
fn acquire_needs_a_release() {
    let (text, errs) = mutate("flags = [\"KF_RELEASE\"]", "flags = []");
    let e = single(&errs);
    assert!(
        matches!(&e.kind, DeclErrorKind::Kfunc(KfuncError::AcquireWithoutRelease { strukt, .. }) if strukt == "demo_obj")
    );
    assert_located(e, &text, "bpf_demo_obj_get", "bpf_demo_obj_get");
}

#[test]
fn ret_null_needs_pointer_and_acquire_needs_struct_pointer() {
    let (text, errs) = mutate(
        "struct demo_obj *bpf_demo_obj_get(u64 id)",
        "u64 bpf_demo_obj_get(u64 id)",
    );
    assert!(errs.iter().any(|e| matches!(
        &e.kind,
        DeclErrorKind::Kfunc(KfuncError::RetNullNotPointer { .. })
    )));
    assert!(errs.iter().any(|e| matches!(
        &e.kind,
        DeclErrorKind::Kfunc(KfuncError::AcquireNotStructPtr { .. })
    )));
    for e in &errs {
        assert_located(e, &text, "bpf_demo_obj_get", "bpf_demo_obj_get");
    }
}

#[test]
fn release_needs_struct_first_arg() {
    let (text, errs) = mutate(
        "void bpf_demo_obj_put(struct demo_obj *obj)",
        "void bpf_demo_obj_put(u64 id)",
    );
    assert!(errs.iter().any(|e| matches!(
        &e.kind,
        DeclErrorKind::Kfunc(KfuncError::ReleaseNeedsStructArg { .. })
    )));
    assert_located(&errs[0], &text, "bpf_demo_obj_put", "bpf_demo_obj_put");
}

#[test]
fn kfunc_arg_limit() {
    let args: Vec<String> = (0..13).map(|i| format!("u64 a{i}")).collect();
    let (text, errs) = mutate(
        "void bpf_demo_obj_put(struct demo_obj *obj)",
        &format!("void bpf_demo_x({})", args.join(", ")),
    );
    let e = errs
        .iter()
        .find(|e| {
            matches!(
                &e.kind,
                DeclErrorKind::Kfunc(KfuncError::TooManyArgs { count: 13, .. })
            )
        })
        .unwrap();
    assert_located(e, &text, "bpf_demo_x", "bpf_demo_x");
}

#[test]
fn kfunc_names_unique_and_no_triple_underscore() {
    let (text, errs) = mutate("bpf_demo_obj_put(", "bpf_demo_obj_get(");
    let e = errs
        .iter()
        .find(|e| matches!(&e.kind, DeclErrorKind::Kfunc(KfuncError::Duplicate { .. })))
        .unwrap();
    assert_eq!(e.line(), Some(line_of(&text, "void bpf_demo_obj_get")));
    let (_, errs) = mutate("bpf_demo_obj_put(", "bpf_demo___put(");
    assert!(errs.iter().any(|e| matches!(
        &e.kind,
        DeclErrorKind::Kfunc(KfuncError::TripleUnderscore { .. })
    )));
}

#[test]
fn ops_name_length_limit() {
    let long = "d".repeat(113);
    let (text, errs) = mutate("name = \"demo_ops\"", &format!("name = \"{long}\""));
    let e = single(&errs);
    assert!(matches!(
        &e.kind,
        DeclErrorKind::Ops(OpsError::NameTooLong { len: 113, .. })
    ));
    assert_located(e, &text, &long, &long);
    let ok = "d".repeat(112);
    let (_, errs) = mutate("name = \"demo_ops\"", &format!("name = \"{ok}\""));
    assert_eq!(errs, vec![]);
}

#[test]
fn ops_member_limit() {
    let extra: String = (0..62)
        .map(|i| format!("[[ops.callback]]\nfn = \"void (*cb{i})(void)\"\n"))
        .collect();
    let (_, errs) = mutate("[[ops.data]]", &format!("{extra}[[ops.data]]"));
    let e = single(&errs);
    assert!(
        matches!(
            &e.kind,
            DeclErrorKind::Ops(OpsError::TooManyMembers { count: 66, .. })
        ),
        "{e}"
    );
}

#[test]
fn ops_return_size_and_pointer_rules() {
    let (text, errs) = mutate(
        "void (*done)(struct demo_obj *obj)\"",
        "char *(*done)(struct demo_obj *obj)\"\ndefault = \"demo_d\"",
    );
    let e = single(&errs);
    assert!(matches!(
        &e.kind,
        DeclErrorKind::Ops(OpsError::ReturnPtrNotStruct { .. })
    ));
    assert_located(e, &text, "(*done)", "done");
    let (_, errs) = mutate(
        "void (*done)(struct demo_obj *obj)",
        "void (*done)(struct demo_obj obj)",
    );
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::Ops(OpsError::StructByValue { .. })
    ));
}

#[test]
fn default_required_for_non_void_ops() {
    let (text, errs) = mutate("default = \"demo_default_pick\"\n", "");
    let e = single(&errs);
    assert!(
        matches!(&e.kind, DeclErrorKind::Ops(OpsError::MissingDefault { member, .. }) if member == "pick")
    );
    assert_located(e, &text, "(*pick)", "pick");
}

#[test]
fn stub_suffixes_checked() {
    let (_, errs) = mutate("u32 n)", "u32 n__ref)");
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::Ops(OpsError::SuffixNeedsStructPtr { .. })
    ));
    let (_, errs) = mutate("u32 n)", "u32 n__bogus)");
    assert!(
        matches!(&single(&errs).kind, DeclErrorKind::Ops(OpsError::UnknownSuffix { suffix, .. }) if suffix == "__bogus")
    );
    let (_, errs) = mutate(
        "struct demo_obj *obj, u32 n)",
        "struct demo_obj *obj__nullable, u32 n)",
    );
    assert_eq!(errs, vec![]);
}

#[test]
fn data_member_kinds() {
    let (text, errs) = mutate("field = \"char name[16]\"", "field = \"u32 name\"");
    let e = single(&errs);
    assert!(matches!(
        &e.kind,
        DeclErrorKind::Ops(OpsError::NameNotCharArray { .. })
    ));
    assert_located(e, &text, "u32 name", "name");
    let (_, errs) = mutate(
        "field = \"char name[16]\"\nkind = \"name\"",
        "field = \"u8 flags\"\nkind = \"flags\"\nflags = [{ name = \"DEMO_F_X\", bit = 8 }]",
    );
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::Ops(OpsError::FlagBitRange {
            bit: 8,
            width: 8,
            ..
        })
    ));
}

#[test]
fn names_must_be_identifiers_and_unique() {
    let (_, errs) = mutate("name = \"demo\"", "name = \"de-mo\"");
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::SubsystemName { .. }
    ));
    let (_, errs) = mutate("name = \"demo\"", "name = \"Demo\"");
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::SubsystemCase { .. }
    ));
    let (text, errs) = mutate("demo_admit(", "bpf_demo_obj_put(");
    let e = errs
        .iter()
        .find(|e| matches!(&e.kind, DeclErrorKind::NameCollision { .. }))
        .unwrap();
    assert_located(e, &text, "int bpf_demo_obj_put", "bpf_demo_obj_put");
    let (_, errs) = mutate("void (*done)(", "void (*pick)(");
    assert!(errs.iter().any(|e| matches!(
        &e.kind,
        DeclErrorKind::Ops(OpsError::DuplicateMember { .. })
    )));
}

#[test]
fn write_allowlist_refers_to_declared_fields() {
    let (text, errs) = mutate(
        "writes = [\"demo_obj.prio\"]",
        "writes = [\"demo_obj.pri\"]",
    );
    let e = single(&errs);
    assert!(matches!(&e.kind, DeclErrorKind::WriteUnknownField { field, .. } if field == "pri"));
    assert_located(e, &text, "writes", "demo_obj.pri");
    let (_, errs) = mutate(
        "writes = [\"demo_obj.prio\"]",
        "writes = [\"task_struct.prio\"]",
    );
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::WriteUnknownStruct { .. }
    ));
    let (_, errs) = mutate("writes = [\"demo_obj.prio\"]", "writes = [\"prio\"]");
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::WriteSyntax { .. }
    ));
}

#[test]
fn hook_rules() {
    let (text, errs) = mutate("ret_range = [\"-EPERM\", 0]", "ret_range = [0, \"-EPERM\"]");
    let e = single(&errs);
    assert!(matches!(
        &e.kind,
        DeclErrorKind::Hook(HookError::EmptyRange {
            min: 0,
            max: -1,
            ..
        })
    ));
    assert_located(e, &text, "int demo_admit", "demo_admit");
    let (_, errs) = mutate(
        "ret_range = [\"-EPERM\", 0]",
        "ret_range = [\"-EPERM\", -1]",
    );
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::Hook(HookError::DefaultOutsideRange { value: 0, .. })
    ));
    let (_, errs) = mutate("attach = \"fmod_ret\"", "attach = \"fentry\"");
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::Hook(HookError::FentryReturnsValue { .. })
    ));
    let (_, errs) = mutate("int demo_admit(", "struct demo_obj *demo_admit(");
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::Hook(HookError::FmodRetNotInteger { .. })
    ));
    let (_, errs) = mutate("\"-EPERM\", 0]", "\"-ENOPE\", 0]");
    assert!(matches!(
        &single(&errs).kind,
        DeclErrorKind::BadValue {
            key: "return value",
            ..
        }
    ));
}

#[test]
fn enum_values_are_checked() {
    // KF_TRUSTED_ARGS is known (6.x has it; `check --btf` refuses it for 7.x)
    let (text, errs) = mutate("flags = [\"KF_RELEASE\"]", "flags = [\"KF_KPTR_GET\"]");
    let e = single(&errs);
    assert!(
        matches!(&e.kind, DeclErrorKind::BadValue { key: "kfunc flag", value, .. } if value == "KF_KPTR_GET")
    );
    assert_located(e, &text, "KF_KPTR_GET", "bpf_demo_obj_put");
}

#[test]
fn names_checked_against_target_kernel() {
    let decl = parse(BASE, "demo.toml").unwrap();
    let mut kernel = KernelNames::default();
    kernel.funcs.insert("bpf_demo_obj_put".into());
    kernel.structs.insert("demo_ops".into());
    let errs = decl.validate_against(&kernel).unwrap_err().0;
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs.iter().any(|e| matches!(&e.kind, DeclErrorKind::KernelNameClash { what: "kfunc", name } if name == "bpf_demo_obj_put")));
    assert!(errs.iter().any(|e| matches!(&e.kind, DeclErrorKind::KernelNameClash { what: "struct", name } if name == "demo_ops")));
}

#[test]
fn jobd_example_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/jobd/jobd.toml");
    let decl = modless_decl::load(std::path::Path::new(path)).unwrap();
    decl.validate().unwrap();
    assert_eq!(decl.ops.callbacks.len(), 4);
    assert_eq!(decl.ops.exit_op().map(|c| c.name()), Some("exit"));
    assert_eq!(decl.kfuncs.len(), 4);
}

const EXIT_OP: &str = "[[ops.callback]]\nfn = \"void (*exit)(struct demo_exit_info *info)\"\nexit = true\nif_missing = \"zero\"\n\n[[ops.data]]";

#[test]
fn an_exit_op_and_zero_if_missing_members_are_valid() {
    let (_, errs) = mutate("[[ops.data]]", EXIT_OP);
    assert_eq!(errs, vec![]);
    let d = parse(&BASE.replacen("[[ops.data]]", EXIT_OP, 1), "demo.toml").unwrap();
    let exit = d.ops.exit_op().expect("the exit op");
    assert_eq!(exit.if_missing, modless_decl::struct_ops::IfMissing::Zero);
    assert!(d.ops.called().all(|c| c.name() != "exit"));
}

#[test]
fn a_required_op_cannot_be_zero_if_missing() {
    let (text, errs) = mutate(
        "required = true\n",
        "required = true\nif_missing = \"zero\"\n",
    );
    let e = single(&errs);
    assert!(
        matches!(&e.kind, DeclErrorKind::Ops(OpsError::RequiredZeroIfMissing { member }) if member == "pick")
    );
    assert_located(e, &text, "int (*pick)", "if_missing");
}

#[test]
fn if_missing_takes_fail_or_zero() {
    let (text, errs) = mutate("kind = \"name\"", "kind = \"name\"\nif_missing = \"skip\"");
    let e = single(&errs);
    assert!(matches!(
        &e.kind,
        DeclErrorKind::BadValue {
            key: "if_missing",
            ..
        }
    ));
    assert_located(e, &text, "if_missing = \"skip\"", "zero");
}

#[test]
fn the_exit_op_gets_the_generated_info_struct() {
    let op = EXIT_OP.replace("demo_exit_info", "demo_obj");
    let (_, errs) = mutate("[[ops.data]]", &op);
    assert!(
        errs.iter()
            .any(|e| matches!(&e.kind, DeclErrorKind::Ops(OpsError::ExitOpShape { .. }))),
        "{errs:#?}"
    );
    let op = EXIT_OP.replace("demo_exit_info", "other_exit_info");
    let (text2, errs) = mutate("[[ops.data]]", &op);
    let e = single(&errs);
    assert!(
        matches!(&e.kind, DeclErrorKind::ExitInfoType { want, .. } if want == "demo_exit_info")
    );
    assert_located(e, &text2, "(*exit)", "demo_exit_info");
}

#[test]
fn one_exit_op_not_required_nor_sleepable() {
    let two = EXIT_OP.replace(
        "[[ops.data]]",
        "[[ops.callback]]\nfn = \"void (*bye)(struct demo_exit_info *info)\"\nexit = true\nsleepable = true\n\n[[ops.data]]",
    );
    let (_, errs) = mutate("[[ops.data]]", &two);
    assert!(errs.iter().any(|e| matches!(&e.kind, DeclErrorKind::Ops(OpsError::SecondExitOp { member, .. }) if member == "bye")), "{errs:#?}");
    assert!(
        errs.iter().any(|e| matches!(
            &e.kind,
            DeclErrorKind::Ops(OpsError::ExitOpFlag {
                what: "sleepable",
                ..
            })
        )),
        "{errs:#?}"
    );
}

#[test]
fn the_exit_info_struct_name_is_taken() {
    let (_, errs) = mutate(
        "[ops]",
        "[[struct]]\nname = \"demo_exit_info\"\nfields = [\"u32 x\"]\n\n[ops]",
    );
    assert_eq!(errs, vec![], "no exit op, no clash");
    let text = BASE.replacen("[[ops.data]]", EXIT_OP, 1).replacen(
        "[ops]",
        "[[struct]]\nname = \"demo_exit_info\"\nfields = [\"u32 x\"]\n\n[ops]",
        1,
    );
    let errs = errors(&text);
    assert!(errs.iter().any(|e| matches!(&e.kind, DeclErrorKind::NameCollision { name, .. } if name == "demo_exit_info")), "{errs:#?}");
}

#[test]
fn the_repository_declarations_stay_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for f in [
        "examples/jobd/jobd.toml",
        "struct_ops/dombal/sched_ext.toml",
        "framework/loader/bpf/jobd_next/jobd.toml",
    ] {
        let d = modless_decl::load(&root.join(f)).unwrap_or_else(|e| panic!("{e}"));
        d.validate().unwrap_or_else(|e| panic!("{f}:\n{e}"));
    }
}
