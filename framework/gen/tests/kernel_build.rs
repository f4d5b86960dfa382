//! Compiles generated C against a built 7.3 tree: the jobd glue as an
//! out-of-tree module with W=1 (must be warning-free), the same sources
//! with BPF_SYSCALL / BPF_JIT off, and random declarations with the
//! module's exact compiler command. Skips, saying why, when no built tree
//! is there (set MODLESS_KERNEL_TREE to point at one).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use quickcheck::{Arbitrary, Gen};

const JOBD_MAIN: &str = r#"// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/module.h>
#include "jobd_bpf.h"

static struct jobd_job demo_job = { .id = 1 };

u32 jobd_default_select_domain(struct jobd_job *job, u32 nr_domains)
{
	return job->id % nr_domains;
}

u32 jobd_default_balance(u32 busiest, u32 nr_domains)
{
	return 0;
}

__bpf_kfunc_start_defs();

__bpf_kfunc u64 bpf_jobd_domain_load(u32 dom)
{
	return dom;
}

__bpf_kfunc u32 bpf_jobd_nr_domains(void)
{
	return 4;
}

__bpf_kfunc struct jobd_job *bpf_jobd_job_acquire(u64 id)
{
	return id == demo_job.id ? &demo_job : NULL;
}

__bpf_kfunc void bpf_jobd_job_release(struct jobd_job *job)
{
}

__bpf_kfunc_end_defs();

static int __init jobd_init(void)
{
	int ret = jobd_bpf_init();
	u32 dom;

	if (ret)
		return ret;
	if (JOBD_HOOK(jobd_admit, &demo_job))
		return -EPERM;
	dom = JOBD_CALL(select_domain, &demo_job, 4);
	JOBD_CALL(job_done, &demo_job, 10);
	JOBD_HOOK(jobd_job_complete, &demo_job, 10);
	return JOBD_CALL(balance, dom, 4) ? 0 : 0;
}

static void __exit jobd_exit(void)
{
}

module_init(jobd_init);
module_exit(jobd_exit);
MODULE_LICENSE("GPL");
"#;

/// Config options removed to emulate a kernel without BPF (and what
/// depends on it) or without the JIT.
const NO_BPF: &[&str] = &[
    "BPF_SYSCALL",
    "DEBUG_INFO_BTF",
    "DEBUG_INFO_BTF_MODULES",
    "SCHED_CLASS_EXT",
    "EXT_SUB_SCHED",
    "BPF_LSM",
    "CGROUP_BPF",
    "BPF_EVENTS",
    "NET_SCH_BPF",
    "BPF_JIT_ALWAYS_ON",
    "BPF_PRELOAD",
    "BPF_STREAM_PARSER",
    "BPF_LIRC_MODE2",
];
const NO_JIT: &[&str] = &[
    "BPF_JIT",
    "BPF_JIT_ALWAYS_ON",
    "BPF_JIT_DEFAULT_ON",
    "SCHED_CLASS_EXT",
    "EXT_SUB_SCHED",
    "NET_SCH_BPF",
];

fn tree() -> Result<PathBuf, String> {
    let Some(tree) = modless_bpf_build::target_kernel_tree() else {
        return Err("no built kernel: run scripts/run-qemu.sh or set MODLESS_KERNEL_TREE".into());
    };
    if !tree.join("Makefile").exists() {
        return Err(format!("no kernel tree at {}", tree.display()));
    }
    if !tree.join("vmlinux").exists() {
        return Err(format!("{} is not built (no vmlinux)", tree.display()));
    }
    if !tree.join("vmlinux.symvers").exists() && !tree.join("Module.symvers").exists() {
        return Err(format!(
            "{} has no vmlinux.symvers / Module.symvers yet",
            tree.display()
        ));
    }
    for tool in ["make", "gcc"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Err(format!("`{tool}` is not installed"));
        }
    }
    Ok(tree)
}

fn write_generated(decl: &modless_decl::Declaration, dir: &Path) {
    modless_gen::generate(decl).unwrap().write_to(dir).unwrap();
}

fn build_module(tree: &Path, dir: &Path) -> String {
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(tree)
        .arg(format!("M={}", dir.display()))
        .args(["W=1", "modules"]);
    if tree.join("vmlinux.symvers").exists() {
        cmd.arg(format!(
            "KBUILD_EXTRA_SYMBOLS={}",
            tree.join("vmlinux.symvers").display()
        ));
    }
    let out = cmd.output().expect("run make");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "module build failed:\n{text}");
    text
}

/// The exact compiler command kbuild used for `<stem>.o` in `dir`, turned
/// into a compile-only run on `file` (object to /dev/null, so unused-function
/// warnings, which -fsyntax-only never reports, still show).
fn compile_cmd(
    dir: &Path,
    stem: &str,
    file: &str,
    include_first: Option<&Path>,
    module: bool,
) -> String {
    let saved = std::fs::read_to_string(dir.join(format!(".{stem}.o.cmd"))).unwrap();
    let line = saved.lines().next().unwrap();
    let mut cmd = line.split_once(":= ").unwrap().1.to_string();
    cmd = cmd.replace(
        &format!(" -c -o {stem}.o {stem}.c"),
        &format!(" -c -o /dev/null {file}"),
    );
    cmd = cmd
        .split(' ')
        .filter(|w| !w.starts_with("-Wp,-MMD"))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(inc) = include_first {
        cmd = cmd.replacen(
            " -nostdinc ",
            &format!(" -nostdinc -I{} ", inc.display()),
            1,
        );
    }
    if !module {
        cmd = cmd.replace(" -DMODULE ", " ");
    }
    cmd
}

fn run_shell(dir: &Path, cmd: &str) -> (bool, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The bytes of a module's `.BTF` section, if readelf is there to find it.
fn btf_section(ko: &Path) -> Option<Vec<u8>> {
    let out = Command::new("readelf")
        .args(["-S", "-W"])
        .arg(ko)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("] .BTF ") && l.contains("PROGBITS"))?;
    let f: Vec<&str> = line.split(']').nth(1)?.split_whitespace().collect();
    let off = usize::from_str_radix(f.get(3)?, 16).ok()?;
    let size = usize::from_str_radix(f.get(4)?, 16).ok()?;
    std::fs::read(ko)
        .ok()?
        .get(off..off + size)
        .map(<[u8]>::to_vec)
}

/// A copy of the tree's autoconf.h without `drop`, under `dir/generated/`.
fn fake_autoconf(tree: &Path, dir: &Path, drop: &[&str]) {
    let conf = std::fs::read_to_string(tree.join("include/generated/autoconf.h")).unwrap();
    let kept: Vec<&str> = conf
        .lines()
        .filter(|l| {
            !drop.iter().any(|d| {
                l.starts_with(&format!("#define CONFIG_{d} "))
                    || l.starts_with(&format!("#define CONFIG_{d}_MODULE "))
            })
        })
        .collect();
    std::fs::create_dir_all(dir.join("generated")).unwrap();
    std::fs::write(dir.join("generated/autoconf.h"), kept.join("\n") + "\n").unwrap();
}

#[test]
#[ignore = "needs a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn generated_c_builds_against_the_kernel_tree() {
    let tree = tree().unwrap_or_else(|why| panic!("{why}"));
    let jobd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/jobd/jobd.toml");
    let decl = modless_decl::load(&jobd).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    write_generated(&decl, m);
    std::fs::write(m.join("jobd_main.c"), JOBD_MAIN).unwrap();
    let kbuild = std::fs::read_to_string(m.join("jobd_bpf.kbuild")).unwrap();
    std::fs::write(
        m.join("Kbuild"),
        format!("obj-m := jobd.o\njobd-y := jobd_main.o\n{kbuild}"),
    )
    .unwrap();

    let log = build_module(&tree, m);
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("warning:") || l.contains("error:"))
        .collect();
    assert!(warnings.is_empty(), "W=1 build is not clean:\n{log}");
    assert!(m.join("jobd.ko").exists());
    // registration looks the stubs and the value type up by name in BTF
    if let Some(btf) = btf_section(&m.join("jobd.ko")) {
        for name in [
            "jobd_ops__select_domain",
            "jobd_ops__balance",
            "jobd_ops__job_done",
            "bpf_struct_ops_jobd_ops",
            "jobd_job",
            "jobd_admit",
            "jobd_job_complete",
            "bpf_jobd_job_acquire",
            "bpf_jobd_job_release",
            "bpf_jobd_domain_load",
        ] {
            let needle = format!("{name}\0");
            assert!(
                btf.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{name} is not in jobd.ko's BTF"
            );
        }
    }

    // the same sources on kernels without BPF or without the JIT
    for (what, drop) in [("no BPF_SYSCALL", NO_BPF), ("no BPF_JIT", NO_JIT)] {
        let inc = m.join(what.replace(' ', "_"));
        fake_autoconf(&tree, &inc, drop);
        for (stem, file) in [("jobd_bpf", "jobd_bpf.c"), ("jobd_main", "jobd_main.c")] {
            let (ok, out) = run_shell(m, &compile_cmd(m, stem, file, Some(&inc), true));
            assert!(ok && !out.contains("warning:"), "{what}: {file}:\n{out}");
        }
    }

    // random declarations, compiled with the module's exact flags, as a
    // module and as built-in code
    let mut g = Gen::new(20);
    for _ in 0..6 {
        let d = common::ValidDecl::arbitrary(&mut g).0;
        let sub = d.subsystem.name.clone();
        let gen_dir = tempfile::tempdir_in(m).unwrap();
        write_generated(&d, gen_dir.path());
        let file = gen_dir.path().join(format!("{sub}_bpf.c"));
        for module in [true, false] {
            let cmd = compile_cmd(m, "jobd_bpf", &file.display().to_string(), None, module);
            let (ok, out) = run_shell(m, &cmd);
            let c = std::fs::read_to_string(&file).unwrap();
            assert!(
                ok && !out.contains("warning:"),
                "{sub} (module={module}):\n{out}\n{c}"
            );
        }
    }
}

/// The subsystem's side of the in-tree OOM interface: its default and a
/// call site, as mm/oom_kill.c would have them.
const OOM_USER: &str = r#"// SPDX-License-Identifier: GPL-2.0
#include <linux/bpf_oom.h>

int oom_user_call(struct oom_control *oc);
int oom_user_call(struct oom_control *oc)
{
	char name[64];

	if (bpf_oom_policy_name(name, sizeof(name)))
		pr_info("policy %s\n", name);
	return BPF_OOM_CALL(handle_out_of_memory, oc) == BPF_OOM_HANDLED;
}
"#;

/// `cmd` with `-I` directories searched before the kernel's own.
fn with_includes(cmd: &str, dirs: &[&Path]) -> String {
    let inc: Vec<String> = dirs.iter().map(|d| format!("-I{}", d.display())).collect();
    cmd.replacen(" -nostdinc ", &format!(" -nostdinc {} ", inc.join(" ")), 1)
}

/// `tree`'s autoconf.h under `dir/generated/`, without `drop`, plus `add`.
fn autoconf_with(tree: &Path, dir: &Path, drop: &[&str], add: &[&str]) {
    fake_autoconf(tree, dir, drop);
    let path = dir.join("generated/autoconf.h");
    let mut conf = std::fs::read_to_string(&path).unwrap();
    for a in add {
        conf.push_str(&format!("#define CONFIG_{a} 1\n"));
    }
    std::fs::write(path, conf).unwrap();
}

#[test]
#[ignore = "needs a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn in_tree_glue_builds_as_built_in_code() {
    let tree = tree().unwrap_or_else(|why| panic!("{why}"));
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path();
    // a W=1 compiler command from a one-file module, used without -DMODULE
    std::fs::write(
        m.join("w1.c"),
        "// SPDX-License-Identifier: GPL-2.0\n#include <linux/module.h>\nMODULE_LICENSE(\"GPL\");\n",
    )
    .unwrap();
    std::fs::write(m.join("Kbuild"), "obj-m := w1.o\n").unwrap();
    build_module(&tree, m);

    let decl = modless_decl::parse(include_str!("fixtures/bpf_oom.toml"), "bpf_oom.toml").unwrap();
    let gen_dir = m.join("gen");
    write_generated(&decl, &gen_dir);
    std::fs::write(m.join("oom_user.c"), OOM_USER).unwrap();
    let c = gen_dir.join("mm/bpf_oom.c").display().to_string();
    let include = gen_dir.join("include");

    // (what, config options removed, added, files compiled)
    type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);
    let cases: [Case; 3] = [
        ("built in", &[], &["BPF_OOM"], &[c.as_str(), "oom_user.c"]),
        ("no BPF_SYSCALL", NO_BPF, &[], &["oom_user.c"]),
        ("no MEMCG", &["MEMCG"], &[], &["oom_user.c"]),
    ];
    for (what, drop, add, files) in cases {
        let conf = m.join(what.replace(' ', "_"));
        autoconf_with(&tree, &conf, drop, add);
        for file in files {
            let cmd = compile_cmd(m, "w1", file, None, false);
            let cmd = with_includes(&cmd, &[&conf, &include]);
            let (ok, out) = run_shell(m, &cmd);
            assert!(ok && !out.contains("warning:"), "{what}: {file}:\n{out}");
        }
    }

    // checkpatch, as a reviewer would run it on the new files
    for f in ["mm/bpf_oom.c", "include/linux/bpf_oom.h"] {
        let out = Command::new("perl")
            .arg(tree.join("scripts/checkpatch.pl"))
            .args(["--no-tree", "-q", "-f"])
            .arg(gen_dir.join(f))
            .output()
            .expect("run checkpatch");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.trim().is_empty(),
            "checkpatch {f}:\n{text}"
        );
    }
}
