//! `modless lint` of the built dombal.bpf.o against sched_ext.toml: no
//! problems, and every program implements the op it is named for.

use std::path::Path;

use modless_loader::lint::lint;

/// The one object (the broken twin is the same object configured apart).
const OBJECTS: [&str; 1] = [concat!(env!("OUT_DIR"), "/dombal.bpf.o")];

/// (program, op) for every program dombal_ops holds.
const EXPECTED: [(&str, &str); 10] = [
    ("dombal_select_cpu", "select_cpu"),
    ("dombal_enqueue", "enqueue"),
    ("dombal_dispatch", "dispatch"),
    ("dombal_runnable", "runnable"),
    ("dombal_quiescent", "quiescent"),
    ("dombal_set_weight", "set_weight"),
    ("dombal_init_task", "init_task"),
    ("dombal_exit_task", "exit_task"),
    ("dombal_init", "init"),
    ("dombal_exit", "exit"),
];

fn decl() -> modless_decl::Declaration {
    modless_decl::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sched_ext.toml"))
        .expect("sched_ext.toml loads")
}

#[test]
#[ignore = "needs dombal.bpf.o, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn dombal_objects_lint_clean_and_map_programs_to_ops() {
    let decl = decl();
    for obj in OBJECTS {
        let report = lint(Path::new(obj), &decl).unwrap_or_else(|e| panic!("{obj}: {e}"));
        let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        assert!(problems.is_empty(), "{obj}:\n{}", problems.join("\n"));

        let struct_ops: Vec<_> = report
            .programs
            .iter()
            .filter(|p| p.section.starts_with("struct_ops"))
            .collect();
        assert_eq!(struct_ops.len(), EXPECTED.len(), "{obj}: {struct_ops:#?}");
        for (prog, op) in EXPECTED {
            let u = report
                .programs
                .iter()
                .find(|u| u.name == prog)
                .unwrap_or_else(|| panic!("{obj}: no program {prog}"));
            assert_eq!(u.ops, [format!("dombal_ops.{op}")], "{obj}: {prog}");
            // Only ops.init is in a sleepable section (it creates DSQs).
            assert_eq!(u.sleepable, op == "init", "{obj}: {prog} sleepable");
        }
    }
}

/// The lint sees the kfuncs the programs call, so its per-op rules have
/// something to check (and a declaration drifting from the code shows).
#[test]
#[ignore = "needs dombal.bpf.o, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn lint_sees_the_scx_kfuncs_dombal_calls() {
    let report = lint(Path::new(OBJECTS[0]), &decl()).expect("lint");
    let calls = |prog: &str| {
        report
            .programs
            .iter()
            .find(|u| u.name == prog)
            .map(|u| u.kfuncs.clone())
            .unwrap_or_default()
    };
    assert!(calls("dombal_enqueue").contains(&"scx_bpf_dsq_insert".to_string()));
    assert!(calls("dombal_dispatch").contains(&"scx_bpf_dsq_move_to_local".to_string()));
    assert!(calls("dombal_init").contains(&"scx_bpf_create_dsq".to_string()));
    for kfunc in [
        "scx_bpf_dsq_insert",
        "scx_bpf_dsq_move_to_local",
        "scx_bpf_create_dsq",
        "scx_bpf_error_bstr",
    ] {
        assert!(
            decl().kfuncs.iter().any(|k| k.name() == kfunc),
            "{kfunc} is not in sched_ext.toml"
        );
    }
}

/// The lint is live: with ops.init not declared sleepable, dombal_init's
/// struct_ops.s/ section is reported.
#[test]
#[ignore = "needs dombal.bpf.o, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn lint_reports_a_sleepable_program_on_a_non_sleepable_op() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sched_ext.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let init = "fn = \"s32 (*init)(void)\"\ndefault = \"sched_ext_ops_default_init\"\n";
    let edited = text.replace(&format!("{init}sleepable = true\n"), init);
    assert_ne!(
        edited, text,
        "ops.init's sleepable line moved in sched_ext.toml"
    );
    let decl = modless_decl::parse(&edited, "sched_ext.toml").expect("parses");
    let report = lint(Path::new(OBJECTS[0]), &decl).expect("lint");
    assert_eq!(
        report.problems,
        [
            modless_loader::lint::LintProblem::SleepableOnNonSleepableOp {
                program: "dombal_init".into(),
                op: "init".into(),
            }
        ]
    );
}

/// The per-op kfunc allowlists imported from sched_ext's filter table
/// (`modless import --set-ops`) are enforced: scoping scx_bpf_dsq_insert to
/// dispatch alone makes dombal's select_cpu and enqueue programs violations.
#[test]
#[ignore = "needs dombal.bpf.o, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn lint_enforces_sched_ext_per_op_kfunc_rules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sched_ext.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let from = "scx_bpf_dsq_insert(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags, const struct bpf_prog_aux *aux)\"\nflags = [\"KF_RCU\", \"KF_IMPLICIT_ARGS\"]\nprog_types = [\"struct_ops\"]\nops = [\"select_cpu\", \"enqueue\", \"dispatch\", \"sub_ecaps_updated\"]";
    assert!(
        text.contains(from),
        "scx_bpf_dsq_insert's entry moved in sched_ext.toml"
    );
    let edited = text.replace(from, &from.replace("\"select_cpu\", \"enqueue\", ", ""));
    let decl = modless_decl::parse(&edited, "sched_ext.toml").expect("parses");
    let report = lint(Path::new(OBJECTS[0]), &decl).expect("lint");
    let mut ops: Vec<String> = report
        .problems
        .iter()
        .map(|p| match p {
            modless_loader::lint::LintProblem::KfuncNotAllowedInOp { op, kfunc, .. } => {
                assert_eq!(kfunc, "scx_bpf_dsq_insert", "{p}");
                op.clone()
            }
            other => panic!("unexpected problem: {other}"),
        })
        .collect();
    ops.sort();
    ops.dedup();
    assert_eq!(ops, ["enqueue", "select_cpu"], "{:?}", report.problems);
}
