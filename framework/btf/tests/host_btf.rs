//! Tests against the running kernel's BTF (`/sys/kernel/btf/vmlinux`).
//! Each test fails, saying why, when that file is absent: every Debian kernel
//! has it (CONFIG_DEBUG_INFO_BTF), and a test that cannot run never passes.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use modless_btf::{Btf, BtfError, HeaderOptions, TypeKind, TypeScope};

const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

fn host_btf() -> Btf {
    assert!(
        Path::new(VMLINUX_BTF).exists(),
        "{VMLINUX_BTF} is absent: the host kernel lacks CONFIG_DEBUG_INFO_BTF"
    );
    Btf::running_vmlinux().expect("parse host vmlinux BTF")
}

#[test]
fn task_struct_has_pid_and_comm() {
    let btf = host_btf();
    let ts = btf.find_struct("task_struct").unwrap();
    assert!(!ts.is_union);
    assert!(ts.size > 1000, "sizeof(task_struct) = {}", ts.size);
    let pid = ts.member("pid").expect("task_struct.pid");
    assert_eq!(pid.c_type, "pid_t");
    assert_eq!(pid.offset_bits % 8, 0);
    let comm = ts.member("comm").expect("task_struct.comm");
    assert_eq!(comm.c_decl, "char comm[16]");
    // Members are in layout order.
    assert!(ts
        .members
        .windows(2)
        .all(|w| w[0].offset_bits <= w[1].offset_bits));
}

#[test]
fn tcp_congestion_ops_members_are_function_pointers() {
    let btf = host_btf();
    let ops = btf.find_struct("tcp_congestion_ops").unwrap();
    let ssthresh = ops.member("ssthresh").expect("ssthresh");
    assert_eq!(ssthresh.c_decl, "u32 (*ssthresh)(struct sock *)");
    assert_eq!(ssthresh.c_type, "u32 (*)(struct sock *)");
    let name = ops.member("name").expect("name");
    assert!(name.c_decl.starts_with("char name["), "{}", name.c_decl);
    assert!(ops.member("cong_avoid").is_some());
}

#[test]
fn func_prototype_and_kfuncs() {
    let btf = host_btf();
    let f = btf.find_func("bpf_task_acquire").unwrap();
    assert_eq!(
        f.proto_c,
        "struct task_struct *bpf_task_acquire(struct task_struct *p)"
    );
    assert_eq!(f.return_c, "struct task_struct *");
    assert_eq!(f.params.len(), 1);
    assert_eq!(f.params[0].name, "p");
    assert!(f.is_kfunc());

    let kfuncs = btf.kfuncs(TypeScope::All).unwrap();
    assert!(kfuncs.len() > 50, "only {} kfuncs", kfuncs.len());
    assert!(kfuncs.iter().all(|k| k.is_kfunc()));
    assert!(kfuncs.iter().any(|k| k.name == "bpf_task_release"));
    // An ordinary kernel function is not a kfunc.
    let plain = btf.find_func("schedule").unwrap();
    assert!(!plain.is_kfunc());
}

#[test]
fn lookups_of_missing_names_are_typed_errors() {
    let btf = host_btf();
    match btf.find_struct("no_such_struct_modless") {
        Err(BtfError::NotFound {
            kind: "struct",
            name,
            path,
        }) => {
            assert_eq!(name, "no_such_struct_modless");
            assert_eq!(path, Path::new(VMLINUX_BTF));
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(matches!(
        btf.find_func("no\0pe"),
        Err(BtfError::NameHasNul { .. })
    ));
}

#[test]
fn type_names_cover_structs_and_funcs() {
    let btf = host_btf();
    let names = btf.type_names(TypeScope::All);
    assert!(names
        .iter()
        .any(|t| t.kind == TypeKind::Struct && t.name == "task_struct"));
    assert!(names
        .iter()
        .any(|t| t.kind == TypeKind::Func && t.name == "schedule"));
    // vmlinux is not split: its own types are all of them.
    assert_eq!(btf.type_names(TypeScope::Own).len(), names.len());
}

#[test]
fn bad_files_are_typed_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.btf");
    std::fs::write(&junk, b"not btf at all").unwrap();
    let err = Btf::from_file(&junk).unwrap_err();
    assert!(
        matches!(&err, BtfError::Parse { path, .. } if path == &junk),
        "{err:?}"
    );
    assert!(err.to_string().contains("junk.btf"), "{err}");
    let missing = dir.path().join("missing");
    let err = Btf::from_raw_file(&missing).unwrap_err();
    assert!(err.to_string().contains("No such file"), "{err}");
    // Split BTF over a base still reports the split file.
    let err = Btf::from_file_split(&junk, Arc::new(host_btf())).unwrap_err();
    assert!(err.to_string().contains("junk.btf"), "{err}");
}

#[test]
fn vmlinux_h_compiles_with_clang_bpf() {
    let btf = host_btf();
    let header = modless_btf::vmlinux_h(&btf).unwrap();
    assert!(header.contains("#ifndef __VMLINUX_H__"));
    assert!(header.contains(
        "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)"
    ));
    assert!(header.contains("struct task_struct {"));
    assert!(header.contains(
        "extern struct task_struct *bpf_task_acquire(struct task_struct *p) __weak __ksym;"
    ));

    let clang = ["clang-19", "clang"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
        .expect("no clang-19 or clang on PATH: scripts/deps.sh installs it");
    let dir = tempfile::tempdir().unwrap();
    modless_btf::write_atomically(&dir.path().join("vmlinux.h"), header.as_bytes()).unwrap();
    let src = dir.path().join("prog.bpf.c");
    std::fs::write(
        &src,
        r#"#include "vmlinux.h"
#define SEC(n) __attribute__((section(n), used))
char LICENSE[] SEC("license") = "GPL";
SEC("tp_btf/sched_switch")
int on_switch(u64 *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);
	if (t)
		bpf_task_release(t);
	return sizeof(struct task_struct) > 0;
}
"#,
    )
    .unwrap();
    let out = Command::new(clang)
        .args([
            "-O2",
            "-g",
            "-target",
            "bpf",
            "-mcpu=v3",
            "-D__TARGET_ARCH_x86",
        ])
        .args([
            "-fms-extensions",
            "-Wno-microsoft-anon-tag",
            "-Wall",
            "-Werror",
            "-c",
        ])
        .arg("-I")
        .arg(dir.path())
        .arg(&src)
        .arg("-o")
        .arg(dir.path().join("prog.bpf.o"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "clang failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn module_only_header_options() {
    let o = HeaderOptions::module_only("bpf-testmod");
    assert_eq!(o.guard, "__BPF_TESTMOD_BTF_H__");
    assert_eq!(o.scope, TypeScope::Own);
    // On a non-split BTF, Own scope is everything; it still renders.
    let btf = host_btf();
    let h = modless_btf::c_header(&btf, &o).unwrap();
    assert!(h.contains("#define __BPF_TESTMOD_BTF_H__"));
}
