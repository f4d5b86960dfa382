//! `modless lint` of the built policies against bpf_oom.toml: the policies
//! are clean, and what the kernel refuses in the guest (`verifier` test) the
//! lint flags before loading. Each bad object is linted for the kfunc rule
//! it breaks, so a lint that misses it fails here.

use std::path::Path;

use modless_decl::Declaration;
use modless_loader::lint::{lint, lint_all, LintProblem, LintReport};

fn object(name: &str) -> String {
    format!("{}/{name}.bpf.o", env!("OUT_DIR"))
}

fn decl(rel: &str) -> Declaration {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let decl = modless_decl::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decl.validate().expect("validates");
    decl
}

fn problems(r: &LintReport) -> Vec<String> {
    r.problems.iter().map(|p| p.to_string()).collect()
}

#[test]
#[ignore = "needs the policies, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn policies_lint_clean() {
    let d = decl("bpf_oom.toml");
    for (name, ops) in [
        (
            "largest_leaf",
            &[
                "largest_leaf.handle_out_of_memory",
                "largest_leaf.handle_cgroup_offline",
            ][..],
        ),
        ("claim_only", &["claim_only.handle_out_of_memory"][..]),
    ] {
        let r = lint(Path::new(&object(name)), &d).expect("lint");
        assert!(r.problems.is_empty(), "{name}: {}", problems(&r).join("\n"));
        let mut got: Vec<String> = r.programs.iter().flat_map(|u| u.ops.clone()).collect();
        got.sort();
        let mut want: Vec<String> = ops.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
#[ignore = "needs the policies, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn lint_flags_the_kfunc_denied_in_the_oom_op() {
    let r = lint(Path::new(&object("bad_reenter")), &decl("bpf_oom.toml")).expect("lint");
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, LintProblem::KfuncNotAllowedInOp { .. })
                && p.to_string().contains("bpf_out_of_memory")),
        "{}",
        problems(&r).join("\n")
    );
}

#[test]
#[ignore = "needs the policies, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn lint_flags_the_oom_kfunc_in_another_ops_type() {
    let oom = decl("bpf_oom.toml");
    let tcp = decl("../tcp_brutal/tcp_congestion_ops.toml");
    let r = lint_all(Path::new(&object("bad_other_type")), &[&oom, &tcp]).expect("lint");
    assert!(
        r.problems
            .iter()
            .any(|p| p.to_string().contains("bpf_oom_kill_process")),
        "{}",
        problems(&r).join("\n")
    );
}
