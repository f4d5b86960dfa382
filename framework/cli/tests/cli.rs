use std::path::{Path, PathBuf};
use std::process::Command;

fn jobd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/jobd")
}

fn modless() -> Command {
    Command::new(env!("CARGO_BIN_EXE_modless"))
}

#[test]
fn check_accepts_jobd() {
    let out = modless()
        .arg("check")
        .arg(jobd().join("jobd.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_reports_file_line_col_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(jobd().join("jobd.toml")).unwrap();
    let text = text.replace(
        "ops = [\"select_domain\", \"balance\"]",
        "ops = [\"select_domian\"]",
    );
    std::fs::write(&bad, &text).unwrap();
    let out = modless().arg("check").arg(&bad).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .position(|l| l.contains("bpf_jobd_job_acquire(u64 id)"))
        .unwrap()
        + 1;
    let want = format!("{}:{line}:", bad.display());
    let first = stderr.lines().next().unwrap();
    assert!(
        first.starts_with(&want) && first.contains(": error: kfunc `bpf_jobd_job_acquire`"),
        "{stderr}"
    );
    assert!(first.contains("select_domian"), "{stderr}");
}

#[test]
fn gen_reproduces_the_committed_jobd_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = modless()
        .arg("gen")
        .arg(jobd().join("jobd.toml"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut n = 0;
    for entry in std::fs::read_dir(jobd().join("generated")).unwrap() {
        let entry = entry.unwrap();
        let fresh = std::fs::read(dir.path().join(entry.file_name())).unwrap();
        assert!(
            fresh == std::fs::read(entry.path()).unwrap(),
            "{:?} differs",
            entry.file_name()
        );
        n += 1;
    }
    assert_eq!(n, std::fs::read_dir(dir.path()).unwrap().count());
}

/// `modless check DECL --btf jobd.ko --base vmlinux`: the built jobd has
/// everything jobd.toml declares; a newer jobd declaration gets a named
/// difference per missing member, saying which ones programs can do without.
#[test]
#[ignore = "needs a built kernel and jobd.ko: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn check_btf_names_each_difference_of_a_kernel() {
    let vmlinux = modless_bpf_build::target_vmlinux()
        .filter(|v| v.exists())
        .expect("no built kernel: scripts/run-qemu.sh builds one (or set MODLESS_KERNEL_TREE)");
    let ko = jobd().join("module/jobd.ko");
    assert!(
        ko.exists(),
        "{} is not built (scripts/build-modules.sh builds it)",
        ko.display()
    );
    let check = |decl: &Path| {
        let out = modless()
            .arg("check")
            .arg(decl)
            .arg("--btf")
            .arg(&ko)
            .arg("--base")
            .arg(&vmlinux)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let (ok, text) = check(&jobd().join("jobd.toml"));
    assert!(ok, "{text}");
    assert!(text.contains("present: op exit"), "{text}");

    let next = Path::new(env!("CARGO_MANIFEST_DIR")).join("../loader/bpf/jobd_next/jobd.toml");
    let (ok, text) = check(&next);
    assert!(
        !ok,
        "a kernel lacking declared members must fail the check:\n{text}"
    );
    assert!(
        text.contains(
            "op `jobd_ops.job_started` is missing (if_missing = \"zero\": programs that set it load without it)"
        ),
        "{text}"
    );
    assert!(
        text.contains("data member `jobd_ops.max_moves` is missing\n"),
        "{text}"
    );
}

/// clang's warnings reach the user (they were swallowed on success).
#[test]
fn build_bpf_prints_clangs_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("warn.bpf.c");
    std::fs::write(
        &src,
        "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n\
         char _license[] SEC(\"license\") = \"GPL\";\n\
         SEC(\"tp/syscalls/sys_enter_getpid\")\n\
         int f(void *ctx)\n{\n\tint modless_unused_var;\n\treturn 0;\n}\n",
    )
    .unwrap();
    let out = modless()
        .arg("build-bpf")
        .arg(&src)
        .arg("-o")
        .arg(dir.path().join("warn.bpf.o"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("modless_unused_var"),
        "no warning printed: {stderr:?}"
    );
}

/// `modless build-bpf --decl`: the declaration's header is generated onto
/// the include path and the object is linted; a kfunc called from an op the
/// declaration does not allow fails the build with lint's message, and the
/// object is not kept. (Built against the harness's kernel when one is
/// cached, else the running kernel's BTF; clang is required.)
#[test]
fn build_bpf_with_a_declaration_builds_and_lints() {
    let dir = tempfile::tempdir().unwrap();
    let build = |src: &str, out: &Path| {
        let o = modless()
            .arg("build-bpf")
            .arg("--decl")
            .arg(jobd().join("jobd.toml"))
            .arg(jobd().join("bpf").join(src))
            .arg("-o")
            .arg(out)
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let good = dir.path().join("policy.bpf.o");
    let (ok, err) = build("policy.bpf.c", &good);
    assert!(ok, "{err}");
    assert!(good.is_file());
    assert!(err.contains("build-bpf: against "), "{err}");

    let bad = dir.path().join("bad.bpf.o");
    let (ok, err) = build("bad_kfunc_in_op.bpf.c", &bad);
    assert!(!ok, "a lint finding must fail the build:\n{err}");
    assert!(
        err.contains("calls kfunc `bpf_jobd_job_acquire`, allowed only in: select_domain, balance"),
        "{err}"
    );
    assert!(
        !bad.exists(),
        "a build that failed lint must not leave its object"
    );
}

const TRUSTED_ARGS: &str = r#"[subsystem]
name = "demo"

[ops]
name = "demo_ops"

[[ops.callback]]
fn = "void (*done)(struct task_struct *p)"

[[kfunc]]
proto = "struct task_struct *bpf_demo_get(struct task_struct *p)"
flags = ["KF_ACQUIRE", "KF_RET_NULL", "KF_TRUSTED_ARGS"]
prog_types = ["struct_ops"]

[[kfunc]]
proto = "void bpf_demo_put(struct task_struct *p)"
flags = ["KF_RELEASE"]
prog_types = ["struct_ops"]
"#;

/// `check --btf` reads the release from the vmlinux banner before any BTF:
/// a stand-in image with only a banner is enough to get the flag error.
#[test]
fn check_btf_refuses_kf_trusted_args_for_a_7x_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let decl = dir.path().join("demo.toml");
    std::fs::write(&decl, TRUSTED_ARGS).unwrap();
    let image = dir.path().join("vmlinux");
    std::fs::write(
        &image,
        b"\x7fELF\x02\x01\x01\0pad\0Linux version 7.3.4 (root@vm) (gcc) #1 SMP\0",
    )
    .unwrap();
    let out = modless()
        .arg("check")
        .arg(&decl)
        .arg("--btf")
        .arg(&image)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let want = format!(
        "{}:11:9: error: kfunc `bpf_demo_get` has flag KF_TRUSTED_ARGS, which Linux 7.0 removed (pointer arguments are trusted by default), and the target kernel is 7.3.4; remove KF_TRUSTED_ARGS from its `flags`",
        decl.display()
    );
    assert!(err.contains(&want), "{err}");
}

fn kernel_vmlinux(version: &str) -> PathBuf {
    let cache = Path::new(&std::env::var("HOME").unwrap()).join(".cache/modless/kernels");
    let dir = std::fs::read_dir(&cache)
        .unwrap_or_else(|e| panic!("{}: {e}", cache.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(version)
        })
        .unwrap_or_else(|| panic!("no {version} kernel under {}", cache.display()));
    dir.join("linux/vmlinux")
}

#[test]
#[ignore = "needs the harness's built 7.3 and 6.12 kernels: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn check_btf_tells_7x_from_6x_kernels_for_kf_trusted_args() {
    let dir = tempfile::tempdir().unwrap();
    let decl = dir.path().join("demo.toml");
    std::fs::write(&decl, TRUSTED_ARGS).unwrap();
    let run = |v: &str| {
        let out = modless()
            .arg("check")
            .arg(&decl)
            .arg("--btf")
            .arg(kernel_vmlinux(v))
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let new = run("7.3");
    assert!(
        new.contains("has flag KF_TRUSTED_ARGS, which Linux 7.0 removed"),
        "{new}"
    );
    assert!(new.contains("the target kernel is 7.3."), "{new}");
    // 6.12 has the flag: the check goes on to the BTF (demo is not in it)
    let old = run("6.12");
    assert!(!old.contains("KF_TRUSTED_ARGS"), "{old}");
    assert!(old.contains("kfunc `bpf_demo_get` is missing"), "{old}");
}
