//! `lint` against jobd's declaration, on objects built by modless-bpf-build
//! (build.rs): no kernel needed.

use std::path::{Path, PathBuf};

use modless_loader::lint::{lint, lint_all, LintProblem, LintReport};

fn object(name: &str) -> PathBuf {
    Path::new(env!("OUT_DIR")).join(format!("{name}.bpf.o"))
}

fn jobd_lint(name: &str) -> LintReport {
    let decl_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/jobd/jobd.toml");
    let decl = modless_decl::load(&decl_path).expect("jobd.toml loads");
    lint(&object(name), &decl).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_good_policy_maps_programs_to_ops_and_kfuncs_through_subprograms() {
    let r = jobd_lint("jobd_swap");
    assert_eq!(r.problems, vec![], "{:#?}", r.problems);
    let first = r
        .programs
        .iter()
        .find(|p| p.name == "first_select")
        .unwrap();
    assert_eq!(first.ops, vec!["swap_first.select_domain"]);
    assert_eq!(
        first.kfuncs,
        vec!["bpf_jobd_job_acquire", "bpf_jobd_job_release"]
    );
    let last = r.programs.iter().find(|p| p.name == "last_select").unwrap();
    assert_eq!(last.kfuncs, vec!["bpf_jobd_nr_domains"]);
    let done = r.programs.iter().find(|p| p.name == "count_done").unwrap();
    assert_eq!(done.ops, vec!["swap_first.job_done", "swap_last.job_done"]);
    assert!(!done.sleepable);
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn kfunc_outside_its_ops_and_prog_types_is_rejected() {
    let r = jobd_lint("lint_bad_kfunc");
    let want = [
        LintProblem::KfuncNotAllowedInOp {
            program: "bad_done".into(),
            op: "job_done".into(),
            kfunc: "bpf_jobd_job_acquire".into(),
            allowed: vec!["select_domain".into(), "balance".into()],
        },
        LintProblem::KfuncNotAllowedInOp {
            program: "bad_done".into(),
            op: "job_done".into(),
            kfunc: "bpf_jobd_job_release".into(),
            allowed: vec!["select_domain".into(), "balance".into()],
        },
        LintProblem::KfuncWrongProgType {
            program: "bad_syscall".into(),
            kfunc: "bpf_jobd_job_acquire".into(),
            prog_type: "syscall",
        },
        LintProblem::KfuncWrongProgType {
            program: "bad_syscall".into(),
            kfunc: "bpf_jobd_job_release".into(),
            prog_type: "syscall",
        },
    ];
    for w in &want {
        assert!(
            r.problems.contains(w),
            "missing {w}\n got {:#?}",
            r.problems
        );
    }
    assert_eq!(r.problems.len(), want.len(), "{:#?}", r.problems);
    let ok = r.programs.iter().find(|p| p.name == "ok_select").unwrap();
    assert_eq!(ok.kfuncs, vec!["bpf_jobd_domain_load"]);
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn stale_table_sleepable_op_missing_required_op_and_bad_hooks_are_rejected() {
    let r = jobd_lint("lint_bad_shape");
    let text: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
    let has = |needle: &str| {
        assert!(
            text.iter().any(|t| t.contains(needle)),
            "no problem mentions {needle:?}: {text:#?}"
        )
    };
    has("map `stale` sets `frobnicate` to `frob`, but the declaration has no op `frobnicate`");
    has("map `stale` op `select_domain` has type `u64 (*)(struct jobd_job *, u32)`");
    has("program `sleepy_select` is sleepable (struct_ops.s/) but op `select_domain`");
    has("map `no_select` leaves required op `select_domain` NULL");
    has(
        "program `veto_complete` is fmod_ret on `jobd_job_complete`, which is declared fentry-only",
    );
    has("program `not_a_hook` attaches to `jobd_submit_internal`, which is not a declared hook site");
    assert!(
        !text.iter().any(|t| t.contains("map `stale` leaves")),
        "stale sets select_domain: {text:#?}"
    );
}

fn decl(path: &str) -> modless_decl::Declaration {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    modless_decl::load(&p).unwrap_or_else(|e| panic!("{}: {e:?}", p.display()))
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn kfuncs_called_through_libbpf_flavours_are_checked_as_the_kernels() {
    let r = jobd_lint("lint_flavor");
    let done = r.programs.iter().find(|p| p.name == "flavor_done").unwrap();
    assert_eq!(
        done.kfuncs,
        vec!["bpf_jobd_job_acquire", "bpf_jobd_job_release"]
    );
    let has = |p: &LintProblem| r.problems.contains(p);
    assert!(
        has(&LintProblem::KfuncNotAllowedInOp {
            program: "flavor_done".into(),
            op: "job_done".into(),
            kfunc: "bpf_jobd_job_acquire".into(),
            allowed: vec!["select_domain".into(), "balance".into()],
        }),
        "{:#?}",
        r.problems
    );
    assert!(
        has(&LintProblem::KfuncWrongProgType {
            program: "flavor_syscall".into(),
            kfunc: "bpf_jobd_job_acquire".into(),
            prog_type: "syscall",
        }),
        "{:#?}",
        r.problems
    );
    // select_domain may call it, flavour or not
    assert!(
        !r.problems
            .iter()
            .any(|p| p.to_string().contains("flavor_select")),
        "{:#?}",
        r.problems
    );
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_table_of_another_type_is_one_problem_not_one_per_program() {
    let r = jobd_lint("tcp_ca");
    assert!(!r.problems.is_empty());
    for p in &r.problems {
        assert!(
            matches!(p, LintProblem::WrongOpsType { .. }),
            "only the wrong type is a problem: {p}"
        );
    }
    assert_eq!(r.problems.len(), 3, "{:#?}", r.problems);
    let ssthresh = r
        .programs
        .iter()
        .find(|p| p.name == "modless_ssthresh")
        .unwrap();
    assert_eq!(ssthresh.ops.len(), 3, "{ssthresh:?}");
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn an_object_with_two_ops_types_lints_against_both_declarations() {
    let jobd = decl("../../examples/jobd/jobd.toml");
    let tcp = decl("tests/tcp_ca.toml");
    let alone = lint(&object("lint_two_types"), &jobd).unwrap();
    assert_eq!(
        alone.problems,
        vec![LintProblem::WrongOpsType {
            map: "two_tcp".into(),
            found: "tcp_congestion_ops".into(),
            expected: "jobd_ops".into(),
        }]
    );
    let both = lint_all(&object("lint_two_types"), &[&jobd, &tcp]).unwrap();
    assert_eq!(both.problems, vec![], "{:#?}", both.problems);
    let avoid = both
        .programs
        .iter()
        .find(|p| p.name == "two_cong_avoid")
        .unwrap();
    assert_eq!(avoid.ops, vec!["two_tcp.cong_avoid"]);
}
