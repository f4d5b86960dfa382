//! `modless check --btf`: the declaration against one kernel's BTF.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

pub fn run(
    decl: &modless_decl::Declaration,
    btf: &Path,
    base: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let kernel = modless_btf::Btf::open(btf, base)
        .with_context(|| format!("reading BTF from {}", btf.display()))?;
    // Checked as a module over that base: its kfunc, hook, stub and type
    // names must not already exist there (btf_check_kfunc_name refuses them).
    let mut clashes = 0;
    if let Some(base) = kernel.base() {
        let mut names = modless_decl::KernelNames::default();
        for t in base.type_names(modless_btf::TypeScope::All) {
            match t.kind {
                modless_btf::TypeKind::Func => names.funcs.insert(t.name),
                modless_btf::TypeKind::Struct | modless_btf::TypeKind::Union => {
                    names.structs.insert(t.name)
                }
                _ => false,
            };
        }
        if let Err(errs) = decl.validate_against(&names) {
            for e in &errs.0 {
                eprintln!("{e}");
            }
            clashes = errs.0.len();
        }
    }
    let report = modless_loader::check_kernel(&kernel, decl);
    for p in &report.present {
        println!("present: {p}");
    }
    for d in &report.differences {
        println!("{}: {d}", btf.display());
    }
    if report.differences.is_empty() && clashes == 0 {
        println!(
            "{}: every ops member, kfunc and hook is present",
            btf.display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "{} difference(s), {clashes} name clash(es) with the base kernel",
            report.differences.len()
        );
        Ok(ExitCode::FAILURE)
    }
}

/// `modless check DECL --btf K --object OBJ`: each kfunc call of `obj` on
/// that kernel, through which kfunc and flavour; fails when one cannot bind
/// and nothing guards it (a strong extern).
pub fn object(
    decl: &modless_decl::Declaration,
    obj: &Path,
    btf: &Path,
    base: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let kernel = modless_btf::Btf::open(btf, base)
        .with_context(|| format!("reading BTF from {}", btf.display()))?;
    let bytes = std::fs::read(obj).with_context(|| format!("reading {}", obj.display()))?;
    let calls = modless_import::resolve(
        &bytes,
        &obj.display().to_string(),
        &kernel,
        decl.compat.as_ref(),
    )?;
    let mut failing = 0;
    for c in &calls {
        if c.fails_load() {
            failing += 1;
            eprintln!("{}: error: {c}", obj.display());
        } else {
            println!("{}: {c}", obj.display());
        }
    }
    let unbound = calls.iter().filter(|c| c.via.is_none()).count();
    println!(
        "{}: {} kfunc call(s) on {}: {} bound, {unbound} unbound ({failing} fail the load)",
        obj.display(),
        calls.len(),
        btf.display(),
        calls.len() - unbound
    );
    Ok(if failing == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
