//! Kfuncs `modless import` cannot declare with a prototype (a `___` name, a
//! prototype modless cannot parse, an unpaired KF_ACQUIRE) are still
//! declared, lint-only, so `modless lint` checks where they are called from.
//! Imports sched_ext from the harness's 7.3 vmlinux, builds a small
//! scheduler against it and lints it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn modless() -> Command {
    Command::new(env!("CARGO_BIN_EXE_modless"))
}

fn vmlinux() -> PathBuf {
    let v = modless_bpf_build::target_vmlinux()
        .expect("no built kernel: scripts/run-qemu.sh builds one (or set MODLESS_KERNEL_TREE)");
    assert!(v.is_file(), "no vmlinux at {}", v.display());
    v
}

fn run(cmd: &mut Command) -> (Output, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, text)
}

/// sched_ext's kfunc filter and registrations in 7.3, as
/// framework/import/tests/sched_ext.rs states them.
const SET_OPS: [&str; 9] = [
    "scx_kfunc_ids_any=*",
    "scx_kfunc_ids_idle=*",
    "scx_kfunc_ids_cid=*",
    "scx_kfunc_ids_enqueue_dispatch=select_cpu,enqueue,dispatch,sub_ecaps_updated",
    "scx_kfunc_ids_dispatch=dispatch,sub_ecaps_updated",
    "scx_kfunc_ids_cpu_release=cpu_release",
    "scx_kfunc_ids_select_cpu=select_cpu,enqueue",
    "scx_kfunc_ids_unlocked=init_task,dump,cgroup_init,cgroup_exit,cgroup_prep_move,\
     cgroup_cancel_move,cgroup_set_weight,cgroup_set_bandwidth,cgroup_set_idle,sub_attach,\
     sub_detach,cpu_online,cpu_offline,init_cids,init,exit",
    "scx_kfunc_ids_init_cids=init_cids",
];

fn import(out: &Path) -> String {
    let mut cmd = modless();
    cmd.arg("import")
        .arg("--btf")
        .arg(vmlinux())
        .args(["--ops", "sched_ext_ops", "--kfunc-set", "scx_kfunc_ids_"])
        .args([
            "--sleepable",
            "init_task,cgroup_init,cgroup_exit,cgroup_prep_move,cgroup_set_bandwidth,\
             cpu_online,cpu_offline,init_cids,init,exit,sub_attach,sub_detach",
        ])
        .arg("-o")
        .arg(out);
    for s in SET_OPS {
        cmd.arg("--set-ops").arg(s);
    }
    let (o, text) = run(&mut cmd);
    assert!(o.status.success(), "{text}");
    std::fs::read_to_string(out).unwrap()
}

#[test]
#[ignore = "needs a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn lint_checks_the_callers_of_kfuncs_import_cannot_declare_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let decl = dir.path().join("sched_ext.toml");
    let toml = import(&decl);

    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scx_lint_only.bpf.c");
    let obj = dir.path().join("scx_lint_only.bpf.o");
    let (o, text) = run(modless().arg("build-bpf").arg(&src).arg("-o").arg(&obj));
    assert!(o.status.success(), "{text}");

    let (o, text) = run(modless().arg("lint").arg(&obj).arg(&decl));
    assert!(
        !o.status.success(),
        "lint passed a scheduler that calls kfuncs from ops the kernel refuses:\n{text}"
    );
    assert!(
        text.contains(
            "program `lo_running` implements `running` and calls kfunc `scx_bpf_dsq_insert___v2`, \
             allowed only in: select_cpu, enqueue, dispatch, sub_ecaps_updated"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "program `lo_init` implements `init` and calls kfunc `scx_bpf_cid_override`, \
             allowed only in: init_cids"
        ),
        "{text}"
    );
    assert!(text.contains("2 problem(s)"), "only those two:\n{text}");

    // the declaration says why each is lint-only, and generates nothing for them
    for (name, why) in [
        ("scx_bpf_dsq_insert___v2", "contains `___`"),
        ("scx_bpf_cid_override", "in kfunc prototype"),
        ("scx_bpf_task_cgroup", "no KF_RELEASE kfunc"),
    ] {
        let at = toml
            .find(&format!("name = \"{name}\""))
            .unwrap_or_else(|| panic!("{name} is declared in no form:\n{toml}"));
        let entry = &toml[toml[..at].rfind("\n\n").unwrap()..at];
        assert!(
            entry.contains("[[lint_kfunc]]") && entry.contains(why),
            "{name}: {entry}"
        );
    }
    let (o, text) = run(modless()
        .arg("gen")
        .arg(&decl)
        .arg("--out")
        .arg(dir.path().join("gen")));
    assert!(o.status.success(), "{text}");
    let header = std::fs::read_to_string(dir.path().join("gen/sched_ext.bpf.h")).unwrap();
    assert!(
        !header.contains("scx_bpf_cid_override") && !header.contains("scx_bpf_dsq_insert___v2"),
        "a lint-only kfunc got a prototype"
    );
}
