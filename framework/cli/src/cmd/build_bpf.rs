//! `modless build-bpf FILE.bpf.c -o OUT [--decl DECL]... [--btf FILE [--base FILE]] [-I DIR]...`.
//!
//! With `--decl`, the declaration's BPF header is generated on the include
//! path and the object is linted against the declaration right after it is
//! built: a lint finding fails the build and removes the object.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use modless_decl::Declaration;
use modless_gen::GenError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BPF C source.
    source: PathBuf,
    /// The object to write.
    #[arg(short, long)]
    out: PathBuf,
    /// A declaration (TOML) the program implements: its generated BPF header
    /// goes on the include path and the object is linted against it.
    #[arg(long)]
    decl: Vec<PathBuf>,
    /// BTF for vmlinux.h [default: the kernel scripts/run-qemu.sh built and
    /// cached ($MODLESS_KERNEL_TREE), else the running kernel's].
    #[arg(long)]
    btf: Option<PathBuf>,
    /// Base BTF for a split --btf.
    #[arg(long, requires = "btf")]
    base: Option<PathBuf>,
    /// Extra include directories.
    #[arg(short = 'I')]
    include: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut decls = Vec::new();
    for path in &args.decl {
        match modless_decl::load(path) {
            Ok(d) => decls.push(d),
            Err(errs) => return Ok(super::report(&errs)),
        }
    }
    let mut include = args.include.clone();
    for (d, path) in decls.iter().zip(&args.decl) {
        match header_dir(d, path)? {
            Ok(dir) => include.push(dir),
            Err(code) => return Ok(code),
        }
    }
    let btf = args.btf.clone().or_else(|| {
        let v = modless_bpf_build::target_vmlinux().filter(|v| v.is_file())?;
        eprintln!("build-bpf: against {} (the harness's kernel)", v.display());
        Some(v)
    });
    if btf.is_none() {
        eprintln!("build-bpf: against the running kernel's BTF (no harness kernel is cached)");
    }
    let compiled = modless_bpf_build::compile_file(
        &args.source,
        &args.out,
        btf.as_deref(),
        args.base.as_deref(),
        &include,
    )?;
    // clang's warnings, as clang printed them
    eprint!("{}", compiled.warnings);
    if !decls.is_empty() && !lint_clean(&args.out, &decls)? {
        std::fs::remove_file(&args.out)
            .with_context(|| format!("removing {}", args.out.display()))?;
        return Ok(ExitCode::FAILURE);
    }
    println!("{}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// The directory holding `decl`'s generated files (its BPF header among
/// them), under the cache, named by the subsystem and the declaration's text
/// so two declarations of one subsystem never share it.
fn header_dir(decl: &Declaration, path: &Path) -> anyhow::Result<Result<PathBuf, ExitCode>> {
    let generated = match modless_gen::generate(decl) {
        Ok(g) => g,
        Err(GenError::Invalid(errs)) => return Ok(Err(super::report(&errs))),
        Err(e) => return Err(e.into()),
    };
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let dir = modless_bpf_build::default_cache_dir()
        .join("decl-headers")
        .join(format!("{}-{:016x}", decl.subsystem.name, fnv1a(&text)));
    generated
        .write_to(&dir)
        .with_context(|| format!("writing into {}", dir.display()))?;
    Ok(Ok(dir))
}

/// FNV-1a: a stable name for a declaration's header directory.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Lints `object` against `decls` as `modless lint` does; prints findings.
fn lint_clean(object: &Path, decls: &[Declaration]) -> anyhow::Result<bool> {
    let refs: Vec<&Declaration> = decls.iter().collect();
    let report = modless_loader::lint::lint_all(object, &refs)?;
    for problem in &report.problems {
        eprintln!("{}: error: {problem}", object.display());
    }
    if !report.problems.is_empty() {
        eprintln!(
            "build-bpf: {} lint problem(s): {} not kept",
            report.problems.len(),
            object.display()
        );
    }
    Ok(report.problems.is_empty())
}
