//! Imports sched_ext_ops from the harness's 7.3 vmlinux (skips with a
//! printed reason when no built kernel is there).

use modless_import::{import, ImportOptions, ProgType, SetOps};

/// sched_ext's kfunc filter in 7.3 (`scx_kf_allow_flags[]` and
/// `scx_kfunc_context_filter()` in kernel/sched/ext/ext.c), which BTF cannot tell.
fn scx_set_ops() -> Vec<(String, SetOps)> {
    [
        ("scx_kfunc_ids_any", "*"),
        ("scx_kfunc_ids_idle", "*"),
        ("scx_kfunc_ids_cid", "*"),
        (
            "scx_kfunc_ids_enqueue_dispatch",
            "select_cpu,enqueue,dispatch,sub_ecaps_updated",
        ),
        ("scx_kfunc_ids_dispatch", "dispatch,sub_ecaps_updated"),
        ("scx_kfunc_ids_cpu_release", "cpu_release"),
        ("scx_kfunc_ids_select_cpu", "select_cpu,enqueue"),
        (
            "scx_kfunc_ids_unlocked",
            "init_task,dump,cgroup_init,cgroup_exit,cgroup_prep_move,cgroup_cancel_move,\
             cgroup_set_weight,cgroup_set_bandwidth,cgroup_set_idle,sub_attach,sub_detach,\
             cpu_online,cpu_offline,init_cids,init,exit",
        ),
        ("scx_kfunc_ids_init_cids", "init_cids"),
    ]
    .into_iter()
    .map(|(set, ops)| (set.to_string(), SetOps::parse(ops)))
    .collect()
}

/// sched_ext's register_btf_kfunc_id_set() calls in 7.3 (ext.c scx_init,
/// idle.c, cid.c).
fn scx_set_prog_types() -> Vec<(String, Vec<ProgType>)> {
    use ProgType::*;
    [
        ("scx_kfunc_ids_enqueue_dispatch", vec![StructOps]),
        ("scx_kfunc_ids_dispatch", vec![StructOps]),
        ("scx_kfunc_ids_cpu_release", vec![StructOps]),
        ("scx_kfunc_ids_unlocked", vec![StructOps, Syscall]),
        ("scx_kfunc_ids_any", vec![StructOps, Tracing, Syscall]),
        ("scx_kfunc_ids_idle", vec![StructOps, Tracing, Syscall]),
        ("scx_kfunc_ids_select_cpu", vec![StructOps, Syscall]),
        ("scx_kfunc_ids_init_cids", vec![StructOps]),
        ("scx_kfunc_ids_cid", vec![StructOps, Tracing, Syscall]),
    ]
    .into_iter()
    .map(|(s, t)| (s.to_string(), t))
    .collect()
}

fn vmlinux() -> std::path::PathBuf {
    let v = modless_bpf_build::target_vmlinux()
        .expect("no built kernel: scripts/run-qemu.sh builds one (or set MODLESS_KERNEL_TREE)");
    assert!(v.is_file(), "no vmlinux at {}", v.display());
    v
}

#[test]
#[ignore = "needs a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn sched_ext_ops_and_scx_kfuncs_import_and_validate() {
    let btf = vmlinux();
    let imported = import(&ImportOptions {
        btf,
        ops: "sched_ext_ops".into(),
        kfunc_prefixes: vec![],
        kfunc_sets: vec!["scx_kfunc_ids_".into()],
        // check_member's list (kernel/sched/ext/ext.c), which BTF cannot tell.
        sleepable: [
            "init_task",
            "cgroup_init",
            "cgroup_exit",
            "cgroup_prep_move",
            "cgroup_set_bandwidth",
            "cpu_online",
            "cpu_offline",
            "init_cids",
            "init",
            "exit",
            "sub_attach",
            "sub_detach",
        ]
        .map(String::from)
        .to_vec(),
        set_ops: scx_set_ops(),
        set_prog_types: scx_set_prog_types(),
    })
    .expect("import");
    for (what, why) in &imported.dropped {
        eprintln!("dropped {what}: {why}");
    }
    let t = &imported.toml;
    // Parameter names come from the cfi stubs, suffixes included.
    assert!(
        t.contains(
            "fn = \"s32 (*select_cpu)(struct task_struct *p, s32 prev_cpu, u64 wake_flags)\""
        ),
        "{t}"
    );
    assert!(
        t.contains("prev__nullable"),
        "dispatch keeps prev__nullable"
    );
    assert!(t.contains("default = \"sched_ext_ops_default_select_cpu\""));
    assert!(t.contains("field = \"char name[128]\""));
    // Kfuncs, with flags and set membership from .BTF_ids.
    assert!(t.contains("scx_bpf_create_dsq"));
    assert!(t.contains("sets: scx_kfunc_ids_unlocked"));
    assert!(t.contains("\"KF_SLEEPABLE\""));
    // Per-op allowlists from the filter's table: dispatch-only and
    // enqueue/dispatch kfuncs are scoped, `any` ones are not.
    let entry = |name: &str| {
        let at = t
            .find(&format!(" {name}("))
            .unwrap_or_else(|| panic!("{name} in {t}"));
        t[at..].split("\n\n").next().unwrap().to_string()
    };
    assert!(
        entry("scx_bpf_dsq_insert")
            .contains("ops = [\"select_cpu\", \"enqueue\", \"dispatch\", \"sub_ecaps_updated\"]"),
        "{}",
        entry("scx_bpf_dsq_insert")
    );
    assert!(!entry("scx_bpf_kick_cpu").contains("ops = "));
    // program types per set: `any` kfuncs are for tracing and syscall
    // programs too, dispatch ones for struct_ops only
    assert!(
        entry("scx_bpf_error_bstr")
            .contains("prog_types = [\"struct_ops\", \"syscall\", \"tracing\"]"),
        "{}",
        entry("scx_bpf_error_bstr")
    );
    assert!(
        entry("scx_bpf_dsq_move_to_local").contains("prog_types = [\"struct_ops\"]\n"),
        "{}",
        entry("scx_bpf_dsq_move_to_local")
    );
    // a sleepable kfunc is scoped to the sleepable ops of its sets only
    let create = entry("scx_bpf_create_dsq");
    assert!(
        create.contains("\"init\"") && !create.contains("\"dump\""),
        "{create}"
    );
    assert!(imported.callbacks >= 30, "{} callbacks", imported.callbacks);
    assert!(imported.kfuncs >= 20, "{} kfuncs", imported.kfuncs);
    // And the text is a valid declaration.
    let decl = modless_decl::parse(t, "imported.toml").expect("parses");
    decl.validate().expect("validates");
}

/// 7.3's second sched_ext ops type, the cid form: it imports to a
/// declaration of its own (lint takes both), with its own callbacks.
#[test]
#[ignore = "needs a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn sched_ext_ops_cid_imports_and_validates() {
    let btf = vmlinux();
    let imported = import(&ImportOptions {
        btf,
        ops: "sched_ext_ops_cid".into(),
        kfunc_prefixes: vec![],
        kfunc_sets: vec!["scx_kfunc_ids_".into()],
        sleepable: [
            "init_task",
            "cid_online",
            "cid_offline",
            "init_cids",
            "init",
            "exit",
        ]
        .map(String::from)
        .to_vec(),
        set_ops: scx_set_ops(),
        set_prog_types: scx_set_prog_types(),
    })
    .expect("import");
    let t = &imported.toml;
    assert!(t.contains("name = \"sched_ext_ops_cid\""), "{t}");
    assert!(t.contains("(*select_cid)("), "{t}");
    assert!(t.contains("(*cpuctl_init)("), "{t}");
    assert!(!t.contains("(*select_cpu)("), "{t}");
    let decl = modless_decl::parse(t, "imported_cid.toml").expect("parses");
    decl.validate().expect("validates");
}
