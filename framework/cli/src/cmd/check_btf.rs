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
    let report = modless_loader::check_kernel(&kernel, decl);
    for p in &report.present {
        println!("present: {p}");
    }
    for d in &report.differences {
        println!("{}: {d}", btf.display());
    }
    if report.differences.is_empty() {
        println!(
            "{}: every ops member, kfunc and hook is present",
            btf.display()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} difference(s)", report.differences.len());
        Ok(ExitCode::FAILURE)
    }
}
