//! `modless lint PROG.bpf.o DECL`: the object against the declaration, no kernel.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BPF object.
    object: PathBuf,
    /// The declaration file (TOML).
    decl: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let decl = match modless_decl::load(&args.decl) {
        Ok(d) => d,
        Err(errs) => return Ok(super::report(&errs)),
    };
    let report = modless_loader::lint::lint(&args.object, &decl)?;
    for p in &report.programs {
        let ops = if p.ops.is_empty() { "-".into() } else { p.ops.join(", ") };
        let kfuncs = if p.kfuncs.is_empty() { "-".into() } else { p.kfuncs.join(", ") };
        println!(
            "{} ({}{}): op {ops}; kfuncs {kfuncs}",
            p.name,
            p.section,
            if p.sleepable { ", sleepable" } else { "" }
        );
    }
    for problem in &report.problems {
        eprintln!("{}: error: {problem}", args.object.display());
    }
    if report.problems.is_empty() {
        println!("{}: ok", args.object.display());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{} problem(s)", report.problems.len());
        Ok(ExitCode::FAILURE)
    }
}
