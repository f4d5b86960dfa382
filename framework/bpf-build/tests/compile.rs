//! Compiles real BPF programs against the host's vmlinux.h and inspects
//! the objects. clang and `/sys/kernel/btf/vmlinux` are prerequisites: a
//! test fails, saying which is missing, rather than pass without running.

use std::path::{Path, PathBuf};

use modless_bpf_build::{BpfBuild, BuildError, Clang, ObjectInfo};

const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Shared by all tests of this binary so vmlinux.h is generated once.
fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("modless-bpf-build-cache")
}

fn require_clang_and_host_btf() {
    assert!(
        Path::new(VMLINUX_BTF).exists(),
        "{VMLINUX_BTF} is absent: the host kernel lacks CONFIG_DEBUG_INFO_BTF"
    );
    if let Err(e) = Clang::find(None) {
        panic!("{e} (scripts/deps.sh installs clang-19)");
    }
}

fn build(dir: &Path, name: &str, code: &str) -> BpfBuild {
    let src = dir.join(name);
    std::fs::write(&src, code).unwrap();
    BpfBuild::new()
        .source(src)
        .vmlinux_btf(VMLINUX_BTF)
        .cache_dir(cache_dir())
}

const FENTRY: &str = r#"
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

__u64 unlinks;

SEC("fentry/do_unlinkat")
int BPF_PROG(on_unlinkat, int dfd, struct filename *name)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (BPF_CORE_READ(task, pid) > 0)
		__sync_fetch_and_add(&unlinks, 1);
	return 0;
}
"#;

const STRUCT_OPS: &str = r#"
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

static inline struct tcp_sock *tcp_sk(const struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

SEC("struct_ops")
__u32 BPF_PROG(mini_ssthresh, struct sock *sk)
{
	return tcp_sk(sk)->snd_ssthresh;
}

SEC("struct_ops")
__u32 BPF_PROG(mini_undo_cwnd, struct sock *sk)
{
	return tcp_sk(sk)->snd_cwnd;
}

SEC("struct_ops")
void BPF_PROG(mini_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	tcp_sk(sk)->snd_cwnd += acked;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops mini_ca = {
	.ssthresh = (void *)mini_ssthresh,
	.undo_cwnd = (void *)mini_undo_cwnd,
	.cong_avoid = (void *)mini_cong_avoid,
	.name = "modless_mini",
};
"#;

#[test]
fn fentry_program_compiles_with_expected_section() {
    require_clang_and_host_btf();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("obj/fentry.bpf.o");
    let built = build(dir.path(), "fentry.bpf.c", FENTRY)
        .warnings_as_errors(true)
        .compile(&out)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(built.object, out);
    assert!(built.command.contains("-target bpf"), "{}", built.command);
    assert!(
        built.command.contains("-fms-extensions"),
        "{}",
        built.command
    );
    let deps: Vec<String> = built
        .dependencies
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    assert!(deps.iter().any(|d| d.ends_with("/vmlinux.h")), "{deps:?}");
    // The BTF the header came from: a kernel rebuilt in place reruns build.rs.
    assert!(deps.iter().any(|d| d == VMLINUX_BTF), "{deps:?}");
    assert!(
        deps.iter().any(|d| d.ends_with("/bpf/bpf_helpers.h")),
        "{deps:?}"
    );
    assert!(
        deps.iter().any(|d| d.ends_with("/bpf/bpf_helper_defs.h")),
        "{deps:?}"
    );

    let info = ObjectInfo::read(&out).unwrap();
    let prog = info.program("on_unlinkat").expect("program on_unlinkat");
    assert_eq!(prog.section, "fentry/do_unlinkat");
    assert!(
        info.maps.iter().any(|m| m.name.ends_with(".bss")),
        "{:?}",
        info.maps
    );
}

#[test]
fn tcp_congestion_ops_struct_ops_compiles() {
    require_clang_and_host_btf();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ca.bpf.o");
    build(dir.path(), "ca.bpf.c", STRUCT_OPS)
        .warnings_as_errors(true)
        .compile(&out)
        .unwrap_or_else(|e| panic!("{e}"));
    let info = ObjectInfo::read(&out).unwrap();
    let mut names: Vec<&str> = info.programs.iter().map(|p| p.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["mini_cong_avoid", "mini_ssthresh", "mini_undo_cwnd"]
    );
    assert!(info.programs.iter().all(|p| p.section == "struct_ops"));
    let map = info.map("mini_ca").expect("struct_ops map mini_ca");
    assert!(map.is_struct_ops(), "{map:?}");
}

#[test]
fn kfunc_prototypes_from_generated_header_are_usable() {
    require_clang_and_host_btf();
    let dir = tempfile::tempdir().unwrap();
    let code = r#"
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
SEC("tp_btf/task_newtask")
int BPF_PROG(on_newtask, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *t = bpf_task_acquire(task);

	if (!t)
		return 0;
	bpf_task_release(t);
	return 0;
}
"#;
    build(dir.path(), "kf.bpf.c", code)
        .warnings_as_errors(true)
        .compile(dir.path().join("kf.bpf.o"))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn compile_error_carries_clang_stderr() {
    require_clang_and_host_btf();
    let dir = tempfile::tempdir().unwrap();
    let code = "#include \"vmlinux.h\"\nint f(void) { return no_such_symbol_modless; }\n";
    let err = build(dir.path(), "bad.bpf.c", code)
        .compile(dir.path().join("bad.bpf.o"))
        .unwrap_err();
    match &err {
        BuildError::Compile {
            stderr,
            command,
            source_file,
            ..
        } => {
            assert!(stderr.contains("no_such_symbol_modless"), "{stderr}");
            assert!(stderr.contains("error:"), "{stderr}");
            assert!(command.contains("bad.bpf.c"));
            assert!(source_file.ends_with("bad.bpf.c"));
        }
        other => panic!("expected Compile error, got {other:?}"),
    }
    // The Display text carries clang's message too.
    assert!(err.to_string().contains("no_such_symbol_modless"));
    assert!(!dir.path().join("bad.bpf.o").exists());
}

#[test]
fn user_include_dirs_and_defines_are_passed() {
    require_clang_and_host_btf();
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("gen");
    std::fs::create_dir(&inc).unwrap();
    std::fs::write(
        inc.join("sub.autogen.bpf.h"),
        "#define SUB_VALUE (MODLESS_X + 1)\n",
    )
    .unwrap();
    let code = r#"
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "sub.autogen.bpf.h"
char LICENSE[] SEC("license") = "GPL";
const volatile int v = SUB_VALUE;
"#;
    let built = build(dir.path(), "inc.bpf.c", code)
        .include(&inc)
        .define("MODLESS_X", Some("41"))
        .compile(dir.path().join("inc.bpf.o"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(built
        .dependencies
        .iter()
        .any(|d| d.ends_with("sub.autogen.bpf.h")));
}

#[test]
fn compile_file_one_liner_uses_running_kernel_btf() {
    require_clang_and_host_btf();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("one.bpf.c");
    std::fs::write(&src, FENTRY).unwrap();
    let out = dir.path().join("one.bpf.o");
    let built =
        modless_bpf_build::compile_file(&src, &out, None, None, &[dir.path().to_path_buf()])
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        built
            .command
            .contains(&format!("-I {}", dir.path().display())),
        "{}",
        built.command
    );
    assert!(ObjectInfo::read(&out)
        .unwrap()
        .program("on_unlinkat")
        .is_some());
}

#[test]
fn missing_inputs_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = BpfBuild::new().compile(dir.path().join("x.o")).unwrap_err();
    assert!(matches!(err, BuildError::NoSource), "{err:?}");
    let err = BpfBuild::new()
        .source(dir.path().join("nope.bpf.c"))
        .compile(dir.path().join("x.o"))
        .unwrap_err();
    assert!(matches!(err, BuildError::SourceMissing { .. }), "{err:?}");
}

#[test]
fn missing_clang_names_the_apt_package() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("a.bpf.c");
    std::fs::write(&src, "int x;\n").unwrap();
    let err = BpfBuild::new()
        .source(&src)
        .no_vmlinux()
        .clang("/nonexistent/clang-42")
        .cache_dir(dir.path().join("cache"))
        .compile(dir.path().join("a.o"))
        .unwrap_err();
    assert!(matches!(err, BuildError::ClangNotFound { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("clang-19") && msg.contains("/nonexistent/clang-42"),
        "{msg}"
    );
}

#[test]
fn bad_btf_is_reported_as_btf_error() {
    require_clang_and_host_btf();
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.btf");
    std::fs::write(&junk, b"junk").unwrap();
    let src = dir.path().join("a.bpf.c");
    std::fs::write(&src, "int x;\n").unwrap();
    let err = BpfBuild::new()
        .source(&src)
        .vmlinux_btf(&junk)
        .cache_dir(dir.path().join("cache"))
        .compile(dir.path().join("a.o"))
        .unwrap_err();
    assert!(matches!(err, BuildError::Btf(_)), "{err:?}");
    assert!(err.to_string().contains("junk.btf"), "{err}");
}

#[test]
fn libbpf_headers_install_into_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    modless_bpf_build::install_libbpf_headers(dir.path()).unwrap();
    for (name, contents) in modless_bpf_build::LIBBPF_HEADERS {
        assert_eq!(
            std::fs::read(dir.path().join("bpf").join(name)).unwrap(),
            contents
        );
    }
    let helpers = std::fs::read_to_string(dir.path().join("bpf/bpf_helpers.h")).unwrap();
    assert!(helpers.contains("#define SEC(name)"));
}

/// Against a 7.x kernel tree's ELF vmlinux (built with `-fms-extensions`,
/// so its BTF has anonymous tagged members, and with `bpf_kfunc` decl tags).
#[test]
#[ignore = "needs a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn compiles_against_a_7x_tree_vmlinux() {
    let vmlinux = modless_bpf_build::target_vmlinux()
        .expect("no built kernel: scripts/run-qemu.sh builds one (or set MODLESS_KERNEL_TREE)");
    assert!(vmlinux.is_file(), "no vmlinux at {}", vmlinux.display());
    require_clang_and_host_btf();
    // clang must lay structs out as BTF says, also where 7.x BTF has
    // anonymous tagged members (dropped without -fms-extensions).
    let btf = modless_btf::Btf::from_file(&vmlinux).unwrap();
    let ns_size = btf.find_struct("ns_common").unwrap().size;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("k.bpf.c");
    std::fs::write(
        &src,
        r#"
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char LICENSE[] SEC("license") = "GPL";
_Static_assert(sizeof(struct ns_common) == NS_COMMON_SIZE, "ns_common layout");
SEC("fentry/do_nanosleep")
int BPF_PROG(on_sleep)
{
	struct task_struct *t = bpf_task_acquire(bpf_get_current_task_btf());

	if (t)
		bpf_task_release(t);
	return 0;
}
"#,
    )
    .unwrap();
    let out = dir.path().join("k.bpf.o");
    BpfBuild::new()
        .source(&src)
        .vmlinux_btf(&vmlinux)
        .cache_dir(cache_dir())
        .define("NS_COMMON_SIZE", Some(&ns_size.to_string()))
        .warnings_as_errors(true)
        .compile(&out)
        .unwrap_or_else(|e| panic!("{e}"));
    let info = ObjectInfo::read(&out).unwrap();
    assert_eq!(
        info.program("on_sleep").unwrap().section,
        "fentry/do_nanosleep"
    );
}
