//! Wild declarations (tests/common/wild.rs) through `check` and `gen`:
//! nothing panics, every rejection names its line, and what is accepted
//! builds: Rust with rustc, the BPF header with the project's clang build
//! and (ignored test, needs a built kernel) the kernel C with the
//! kernel's W=1 flags. Fixed seed, bounded count; raise the count with
//! MODLESS_WILD_CASES (and MODLESS_WILD_KERNEL for kernel compiles).

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use common::wild::Wild;
use modless_gen::Generated;
use quickcheck::{Arbitrary, Gen};

const SEED: u64 = 0x6d6f_646c_6573_7312;

fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn cases() -> usize {
    env_count("MODLESS_WILD_CASES", 400)
}

struct Accepted {
    wild: Wild,
    sub: String,
    generated: Generated,
}

#[derive(Default)]
struct Run {
    cases: usize,
    rejected: usize,
    accepted: Vec<Accepted>,
    panics: Vec<(Wild, String)>,
    unlocated: Vec<(Wild, String)>,
}

fn run(n: usize) -> Run {
    let mut g = Gen::from_size_and_seed(30, SEED);
    let mut r = Run::default();
    for _ in 0..n {
        let w = Wild::arbitrary(&mut g);
        r.cases += 1;
        let text = w.text.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let d = modless_decl::parse(&text, "wild.toml")?;
            d.validate()?;
            let g = modless_gen::generate(&d).expect("generate after validate");
            Ok::<_, modless_decl::DeclErrors>((d.subsystem.name.clone(), g))
        }));
        match outcome {
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                r.panics.push((w, msg));
            }
            Ok(Err(errs)) => {
                r.rejected += 1;
                if let Some(e) = errs.0.iter().find(|e| e.line_col.is_none()) {
                    r.unlocated.push((w, e.to_string()));
                }
            }
            Ok(Ok((sub, generated))) => r.accepted.push(Accepted {
                wild: w,
                sub,
                generated,
            }),
        }
    }
    r
}

fn summary(r: &Run) -> String {
    format!(
        "{} cases: {} rejected, {} accepted, {} panics, {} rejections without a line",
        r.cases,
        r.rejected,
        r.accepted.len(),
        r.panics.len(),
        r.unlocated.len()
    )
}

#[test]
fn wild_declarations_are_rejected_at_a_line_or_generate() {
    let r = run(cases());
    eprintln!("wild: {}", summary(&r));
    if let Some((w, msg)) = r.panics.first() {
        panic!("panicked: {msg}\n{}", w.text);
    }
    if let Some((w, e)) = r.unlocated.first() {
        panic!("rejected without a line: {e}\n{}", w.text);
    }
    // the generator must reach both outcomes to mean anything
    assert!(r.accepted.len() * 10 >= r.cases, "{}", summary(&r));
    assert!(r.rejected * 10 >= r.cases, "{}", summary(&r));
}

/// Runs `f` on each item with two threads; returns the failures.
fn parallel<T: Sync, F: Fn(&T) -> Option<String> + Sync>(items: &[T], f: F) -> Vec<String> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let fails = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                if let Some(e) = f(item) {
                    fails.lock().unwrap().push(e);
                }
            });
        }
    });
    fails.into_inner().unwrap()
}

fn rustc_check(src: &Path, out: &Path) -> Result<(), String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let o = Command::new(rustc)
        .args([
            "--edition",
            "2021",
            "--crate-type",
            "lib",
            "--emit=metadata",
        ])
        .arg("--crate-name")
        .arg("wild")
        .arg("--out-dir")
        .arg(out)
        .arg(src)
        .output()
        .map_err(|e| format!("run rustc: {e}"))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// Every accepted declaration's `<sub>_bpf.rs` compiles (as one crate of
/// modules; on failure each is compiled alone to name the culprits).
fn rust_failures(acc: &[Accepted], dir: &Path) -> Vec<String> {
    let mut lib = String::new();
    for (i, a) in acc.iter().enumerate() {
        let rs = a.generated.get(&format!("{}_bpf.rs", a.sub)).unwrap();
        lib.push_str(&format!("pub mod m{i} {{\n{rs}\n}}\n"));
    }
    let src = dir.join("wild_all.rs");
    std::fs::write(&src, lib).unwrap();
    if rustc_check(&src, dir).is_ok() {
        return vec![];
    }
    parallel(acc, |a| {
        let d = tempfile::tempdir_in(dir).unwrap();
        let src = d.path().join("one.rs");
        std::fs::write(&src, a.generated.get(&format!("{}_bpf.rs", a.sub)).unwrap()).unwrap();
        rustc_check(&src, d.path())
            .err()
            .map(|e| format!("rustc rejects {}_bpf.rs:\n{e}\n{}", a.sub, a.wild.text))
    })
}

/// The BPF header, included by a program that defines the ops map, built
/// by modless-bpf-build with warnings as errors.
fn bpf_failure(a: &Accepted, dir: &Path) -> Option<String> {
    let d = tempfile::tempdir_in(dir).unwrap();
    let header = format!("{}.bpf.h", a.sub);
    std::fs::write(d.path().join(&header), a.generated.get(&header).unwrap()).unwrap();
    let prog = format!(
        "#include \"vmlinux.h\"\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_tracing.h>\n\
         #include \"{header}\"\n\nchar _license[] SEC(\"license\") = \"GPL\";\n\n\
         {}_OPS_DEFINE(wild_ops);\n",
        a.sub.to_ascii_uppercase()
    );
    let src = d.path().join("wild.bpf.c");
    std::fs::write(&src, prog).unwrap();
    let mut b = modless_bpf_build::BpfBuild::new()
        .source(&src)
        .include(d.path())
        .warnings_as_errors(true);
    if let Some(v) = modless_bpf_build::target_vmlinux().filter(|v| v.exists()) {
        b = b.vmlinux_btf(v);
    }
    b.compile(d.path().join("wild.bpf.o")).err().map(|e| {
        format!(
            "BPF header of {} does not build: {e}\n{}",
            a.sub, a.wild.text
        )
    })
}

#[test]
fn accepted_wild_declarations_build_as_rust_and_bpf() {
    let start = Instant::now();
    let r = run(cases());
    let dir = tempfile::tempdir().unwrap();
    let mut fails = rust_failures(&r.accepted, dir.path());
    // clang parses all of vmlinux.h per header: a sample keeps CI short
    let bpf = &r.accepted[..r.accepted.len().min(env_count("MODLESS_WILD_BPF", 40))];
    fails.extend(parallel(bpf, |a| bpf_failure(a, dir.path())));
    eprintln!(
        "wild: {}; Rust compiled for {}, BPF header for {}, {} failed, {:.1}s",
        summary(&r),
        r.accepted.len(),
        bpf.len(),
        fails.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        fails.is_empty(),
        "{} failures; first:\n{}",
        fails.len(),
        fails[0]
    );
}

/// A built kernel tree to compile against; any problem is a failure.
fn kernel_tree() -> PathBuf {
    let tree = modless_bpf_build::target_kernel_tree().unwrap_or_else(|| {
        panic!("no built kernel: set MODLESS_KERNEL_TREE or build one with scripts/run-qemu.sh")
    });
    for need in ["Makefile", "vmlinux"] {
        assert!(
            tree.join(need).exists(),
            "{} is not a built kernel tree (no {need})",
            tree.display()
        );
    }
    assert!(
        tree.join("vmlinux.symvers").exists() || tree.join("Module.symvers").exists(),
        "{} has no vmlinux.symvers / Module.symvers",
        tree.display()
    );
    tree
}

/// The compiler command kbuild uses for a W=1 out-of-tree module object
/// (from a one-line module built once), as a template on `{}`.
fn kbuild_command(tree: &Path, dir: &Path) -> String {
    std::fs::write(
        dir.join("wild_probe.c"),
        "// SPDX-License-Identifier: GPL-2.0\n#include <linux/module.h>\nMODULE_LICENSE(\"GPL\");\n",
    )
    .unwrap();
    std::fs::write(dir.join("Kbuild"), "obj-m := wild_probe.o\n").unwrap();
    let o = Command::new("make")
        .arg("-C")
        .arg(tree)
        .arg(format!("M={}", dir.display()))
        .args(["W=1", "modules"])
        .args(
            Some(tree.join("vmlinux.symvers"))
                .filter(|p| p.exists())
                .map(|p| format!("KBUILD_EXTRA_SYMBOLS={}", p.display())),
        )
        .output()
        .expect("run make");
    assert!(
        o.status.success(),
        "probe module build failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let saved = std::fs::read_to_string(dir.join(".wild_probe.o.cmd")).unwrap();
    let line = saved.lines().next().unwrap();
    let cmd = line.split_once(":= ").unwrap().1;
    let cmd = cmd.replace(" -c -o wild_probe.o wild_probe.c", " -c -o /dev/null {}");
    assert!(cmd.contains("{}"), "unexpected kbuild command: {cmd}");
    cmd.split(' ')
        .filter(|w| !w.starts_with("-Wp,-MMD"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn kernel_failure(a: &Accepted, dir: &Path, cmd: &str) -> Option<String> {
    let d = tempfile::tempdir_in(dir).unwrap();
    a.generated.write_to(d.path()).unwrap();
    let file = d.path().join(format!("{}_bpf.c", a.sub));
    for module in [true, false] {
        let mut c = cmd.replace("{}", &file.display().to_string());
        if !module {
            c = c.replace(" -DMODULE ", " ");
        }
        let o = Command::new("sh")
            .arg("-c")
            .arg(&c)
            .current_dir(dir)
            .output()
            .unwrap();
        let text =
            String::from_utf8_lossy(&o.stderr).into_owned() + &String::from_utf8_lossy(&o.stdout);
        if !o.status.success() || text.contains("warning:") {
            return Some(format!(
                "{}_bpf.c (module={module}) is not W=1-clean:\n{text}\n{}",
                a.sub, a.wild.text
            ));
        }
    }
    None
}

#[test]
#[ignore = "needs a built kernel (scripts/test.sh runs it)"]
fn accepted_wild_declarations_build_w1_clean_in_the_kernel() {
    let start = Instant::now();
    let tree = kernel_tree();
    let r = run(cases());
    let dir = tempfile::tempdir().unwrap();
    let cmd = kbuild_command(&tree, dir.path());
    let sample: Vec<&Accepted> = r
        .accepted
        .iter()
        .take(env_count("MODLESS_WILD_KERNEL", 16))
        .collect();
    let fails = parallel(&sample, |a| kernel_failure(a, dir.path(), &cmd));
    eprintln!(
        "wild: {}; kernel C compiled (module and built-in, W=1) for {}, {} failed, {:.1}s",
        summary(&r),
        sample.len(),
        fails.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        fails.is_empty(),
        "{} failures; first:\n{}",
        fails.len(),
        fails[0]
    );
}

/// Identifiers of C text outside comments, strings, `#include` lines and
/// member accesses (`->x`, `.x`).
fn c_identifiers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim_start().starts_with("#include"))
    {
        out.push(line.to_string());
    }
    let text = out.join("\n");
    let b = text.as_bytes();
    let mut ids = Vec::new();
    let mut i = 0;
    let mut prev_member = false;
    while i < b.len() {
        let c = b[i];
        if text[i..].starts_with("/*") {
            i = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
        } else if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(b.len(), |e| i + e);
        } else if c == b'"' || c == b'\'' {
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            prev_member = false;
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if !prev_member {
                ids.push(text[start..i].to_string());
            }
            prev_member = false;
        } else {
            if !c.is_ascii_whitespace() {
                prev_member = c == b'.' || (c == b'>' && i > 0 && b[i - 1] == b'-');
            }
            i += 1;
        }
    }
    ids
}

/// Names the declaration itself spells (and the kernel struct tags it names).
fn declared_names(d: &modless_decl::Declaration) -> std::collections::HashSet<String> {
    use modless_decl::ctypes::FuncProto;
    let mut s = std::collections::HashSet::new();
    let proto = |s: &mut std::collections::HashSet<String>, p: &FuncProto| {
        s.insert(p.name.clone());
        for a in &p.params {
            s.insert(a.name.clone());
            s.insert(modless_decl::struct_ops::plain_arg_name(&a.name).to_string());
            s.extend(a.ty.struct_tags().into_iter().map(str::to_string));
        }
        s.extend(p.ret.struct_tags().into_iter().map(str::to_string));
    };
    s.insert(d.ops.name.clone());
    for cb in &d.ops.callbacks {
        proto(&mut s, &cb.proto);
        s.extend(cb.default.clone());
    }
    for k in &d.kfuncs {
        proto(&mut s, &k.proto);
    }
    for h in &d.hooks {
        proto(&mut s, &h.proto);
        if let modless_decl::hooks::HookKind::FmodRet { default, .. } = &h.kind {
            s.extend(c_identifiers(&default.expr));
        }
    }
    for m in &d.ops.data {
        s.insert(m.decl.name.clone());
        if let modless_decl::struct_ops::DataKind::Flags(flags) = &m.kind {
            s.extend(flags.iter().map(|f| f.name.clone()));
        }
    }
    for st in &d.structs {
        s.insert(st.def.name.clone());
        for f in &st.def.fields {
            s.insert(f.name.clone());
            s.extend(f.ty.struct_tags().into_iter().map(str::to_string));
        }
    }
    s
}

/// Preprocessor words, macro parameters and token-pasting fragments of
/// the fixed parts of the generated C.
const FIXED_TEXT: &[&str] = &[
    "define",
    "ifndef",
    "ifdef",
    "endif",
    "if",
    "else",
    "pragma",
    "clang",
    "attribute",
    "push",
    "pop",
    "preserve_access_index",
    "apply_to",
    "record",
    "btf_decl_tag",
    "op",
    "hook",
    "name",
    "args",
    "moff",
    "__name",
    "_hook",
];

#[test]
fn generated_code_names_only_declared_reserved_or_tabled_identifiers() {
    use modless_decl::reserved::{CALL_PATH_LOCALS, C_KEYWORDS, ERRNOS, GLUE_LOCALS, KERNEL};
    use modless_decl::struct_ops::RESERVED_MEMBERS;
    let r = run(cases().min(400));
    let mut g = Gen::from_size_and_seed(20, SEED);
    let valid = (0..100).map(|_| common::ValidDecl::arbitrary(&mut g).0);
    let decls = r
        .accepted
        .iter()
        .map(|a| modless_decl::parse(&a.wild.text, "wild.toml").unwrap())
        .chain(valid);
    let mut unknown = std::collections::BTreeMap::new();
    for d in decls {
        let mut known = declared_names(&d);
        known.extend(modless_decl::symbols(&d).into_iter().map(|s| s.name));
        let call_prefix = modless_decl::struct_ops::Names::new(&d.subsystem.name, "").call_fn("");
        let generated = modless_gen::generate(&d).unwrap();
        for a in generated
            .files
            .iter()
            .filter(|a| a.path.ends_with(".c") || a.path.ends_with(".h"))
        {
            for id in c_identifiers(&a.contents) {
                let lists = [C_KEYWORDS, ERRNOS, KERNEL, GLUE_LOCALS, CALL_PATH_LOCALS];
                let fixed = lists
                    .into_iter()
                    .chain([FIXED_TEXT, RESERVED_MEMBERS])
                    .any(|l| l.contains(&id.as_str()));
                if !fixed && !known.contains(&id) && id != call_prefix {
                    unknown.entry(id).or_insert_with(|| a.path.clone());
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "generated code names identifiers that are neither declared, reserved (decl::reserved) \
         nor in the symbol table (decl::symbols): {unknown:#?}"
    );
}
