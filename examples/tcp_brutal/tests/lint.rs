//! `modless lint` of the built brutal.bpf.o against tcp_congestion_ops.toml
//! (what `modless import` made of the 7.3 vmlinux's struct
//! tcp_congestion_ops): no problems, and each program fills the op it is
//! named for. Regenerate the declaration with the command in README.md.

use std::path::Path;

use modless_loader::lint::{lint, LintProblem};

const OBJECT: &str = concat!(env!("OUT_DIR"), "/brutal.bpf.o");

const EXPECTED: [(&str, &str); 4] = [
    ("brutal_init", "init"),
    ("brutal_main", "cong_control"),
    ("brutal_undo_cwnd", "undo_cwnd"),
    ("brutal_ssthresh", "ssthresh"),
];

fn decl_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tcp_congestion_ops.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
#[ignore = "needs brutal.bpf.o, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn brutal_lints_clean_and_maps_programs_to_ops() {
    let decl = modless_decl::parse(&decl_text(), "tcp_congestion_ops.toml").expect("parses");
    decl.validate().expect("tcp_congestion_ops.toml validates");
    let report = lint(Path::new(OBJECT), &decl).expect("lint");
    let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for (prog, op) in EXPECTED {
        let u = report
            .programs
            .iter()
            .find(|u| u.name == prog)
            .unwrap_or_else(|| panic!("no program {prog}: {:#?}", report.programs));
        assert_eq!(u.ops, [format!("brutal.{op}")], "{prog}");
        assert!(!u.sleepable, "{prog} is sleepable");
    }
    let sockopt = report
        .programs
        .iter()
        .find(|u| u.name == "brutal_setsockopt")
        .expect("the cgroup program is in the object");
    assert_eq!(sockopt.section, "cgroup/setsockopt");
    assert!(sockopt.ops.is_empty(), "{sockopt:?}");
}

/// The lint is live for this object: a declaration whose ssthresh takes
/// another prototype makes brutal's ssthresh member a signature mismatch.
#[test]
#[ignore = "needs brutal.bpf.o, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn lint_reports_a_member_whose_prototype_drifted() {
    let text = decl_text();
    let from = "fn = \"u32 (*ssthresh)(struct sock *arg0)\"";
    let edited = text.replace(
        from,
        "fn = \"u32 (*ssthresh)(struct sock *arg0, u32 arg1)\"",
    );
    assert_ne!(
        edited, text,
        "ssthresh's prototype moved in tcp_congestion_ops.toml"
    );
    let decl = modless_decl::parse(&edited, "tcp_congestion_ops.toml").expect("parses");
    let report = lint(Path::new(OBJECT), &decl).expect("lint");
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p, LintProblem::WrongSignature { op, .. } if op == "ssthresh")),
        "{:#?}",
        report.problems
    );
}
