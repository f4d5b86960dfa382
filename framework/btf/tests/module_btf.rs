//! Split module BTF: builds a tiny out-of-tree module against a 7.x kernel
//! tree (whose kbuild emits `.BTF` split against a distilled `.BTF.base`),
//! relocates it onto the tree's vmlinux BTF and dumps/queries it.
//!
//! Ignored by a plain `cargo test`; run with `--include-ignored` (as
//! scripts/test.sh does) it needs the tree at `$MODLESS_KERNEL_TREE` (default:
//! the newest kernel the QEMU harness built) with a built `vmlinux`, and fails
//! without one.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use modless_btf::{Btf, HeaderOptions, TypeScope};

const MODULE_C: &str = r#"// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/list.h>
#include <linux/module.h>

struct modless_probe_ctx {
	int a;
	long b;
	struct list_head node;
};

__bpf_kfunc_start_defs();

__bpf_kfunc int modless_probe_kf(struct modless_probe_ctx *ctx)
{
	return ctx ? ctx->a : 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(modless_probe_ids)
BTF_ID_FLAGS(func, modless_probe_kf)
BTF_KFUNCS_END(modless_probe_ids)

static const struct btf_kfunc_id_set modless_probe_set = {
	.owner = THIS_MODULE,
	.set = &modless_probe_ids,
};

static int __init modless_probe_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_TRACING, &modless_probe_set);
}

static void __exit modless_probe_exit(void)
{
}

module_init(modless_probe_init);
module_exit(modless_probe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("modless-btf test module");
"#;

fn tree() -> PathBuf {
    let tree = modless_bpf_build::target_kernel_tree()
        .expect("no built kernel: scripts/run-qemu.sh builds one (or set MODLESS_KERNEL_TREE)");
    let symvers = tree.join("Module.symvers").is_file() || tree.join("vmlinux.symvers").is_file();
    assert!(
        tree.join("vmlinux").is_file() && symvers,
        "{} is not a built kernel tree (vmlinux + Module.symvers)",
        tree.display()
    );
    tree
}

/// Builds `modless_probe.ko` in `dir`.
fn build_module(tree: &Path, dir: &Path) -> PathBuf {
    std::fs::write(dir.join("modless_probe.c"), MODULE_C).unwrap();
    std::fs::write(dir.join("Makefile"), "obj-m += modless_probe.o\n").unwrap();
    let mut make = Command::new("make");
    make.arg("-C").arg(tree).arg(format!("M={}", dir.display()));
    // A tree built without `make modules` has no Module.symvers; modpost
    // then needs vmlinux.symvers (with it, symbols would be exported twice).
    if !tree.join("Module.symvers").is_file() {
        make.arg(format!(
            "KBUILD_EXTRA_SYMBOLS={}",
            tree.join("vmlinux.symvers").display()
        ));
    }
    let out = make
        .arg("modules")
        .output()
        .unwrap_or_else(|e| panic!("cannot run make: {e}"));
    let ko = dir.join("modless_probe.ko");
    assert!(
        out.status.success() && ko.is_file(),
        "module build failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    ko
}

#[test]
#[ignore = "needs a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn distilled_module_btf_is_relocated_queried_and_dumped() {
    let tree = tree();
    let dir = tempfile::tempdir().unwrap();
    let ko = build_module(&tree, dir.path());

    let elf = std::fs::read(&ko).unwrap();
    let distilled = elf
        .windows(b".BTF.base\0".len())
        .any(|w| w == b".BTF.base\0");
    eprintln!("module has a distilled .BTF.base section: {distilled}");

    let vmlinux = Arc::new(Btf::from_file(tree.join("vmlinux")).unwrap());
    let module = Btf::from_file_split(&ko, Arc::clone(&vmlinux)).unwrap();
    // Relocated onto the real vmlinux: ids continue after vmlinux's.
    assert_eq!(module.first_own_id(), vmlinux.type_id_end());
    assert!(module.type_id_end() > module.first_own_id());

    let ctx = module.find_struct("modless_probe_ctx").unwrap();
    let node = ctx.member("node").unwrap();
    assert_eq!(node.c_decl, "struct list_head node");
    assert_eq!(ctx.member("b").unwrap().offset_bits, 64);
    // Base types resolve through the module BTF too.
    assert!(module.find_struct("task_struct").is_ok());

    let kf = module.find_func("modless_probe_kf").unwrap();
    assert!(kf.is_kfunc(), "{kf:?}");
    assert_eq!(
        kf.proto_c,
        "int modless_probe_kf(struct modless_probe_ctx *ctx)"
    );
    let own_kfuncs: Vec<String> = module
        .kfuncs(TypeScope::Own)
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(own_kfuncs, ["modless_probe_kf"]);

    let own = module.type_names(TypeScope::Own);
    assert!(own.iter().any(|t| t.name == "modless_probe_ctx"));
    assert!(!own.iter().any(|t| t.name == "task_struct"));

    // vmlinux.h from the tree, then a module-only header included after it.
    let vmlinux_h = modless_btf::vmlinux_h(&vmlinux).unwrap();
    let module_h =
        modless_btf::c_header(&module, &HeaderOptions::module_only("modless_probe")).unwrap();
    assert!(
        module_h.contains("struct modless_probe_ctx {"),
        "{module_h}"
    );
    assert!(module_h
        .contains("extern int modless_probe_kf(struct modless_probe_ctx *ctx) __weak __ksym;"));
    assert!(
        !module_h.contains("struct list_head {"),
        "base types must not be repeated"
    );
    // A self-contained header (module + vmlinux) has both.
    let full = modless_btf::c_header(&module, &HeaderOptions::default()).unwrap();
    assert!(full.contains("struct modless_probe_ctx {") && full.contains("struct list_head {"));

    compile_against(dir.path(), &vmlinux_h, &module_h);
}

fn compile_against(dir: &Path, vmlinux_h: &str, module_h: &str) {
    let clang = ["clang-19", "clang"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
        .expect("no clang-19 or clang: scripts/deps.sh installs it");
    let inc = dir.join("include");
    std::fs::create_dir_all(&inc).unwrap();
    modless_btf::write_atomically(&inc.join("vmlinux.h"), vmlinux_h.as_bytes()).unwrap();
    modless_btf::write_atomically(&inc.join("modless_probe.h"), module_h.as_bytes()).unwrap();
    let src = dir.join("use_probe.bpf.c");
    std::fs::write(
        &src,
        r#"#include "vmlinux.h"
#include "modless_probe.h"
#define SEC(n) __attribute__((section(n), used))
char LICENSE[] SEC("license") = "GPL";
SEC("tp_btf/sched_switch")
int use_probe(u64 *ctx)
{
	struct modless_probe_ctx c = { .a = 1 };
	return modless_probe_kf(&c) + (int)sizeof(struct task_struct);
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
        .arg(&inc)
        .arg(&src)
        .arg("-o")
        .arg(dir.join("use_probe.bpf.o"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "clang failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
