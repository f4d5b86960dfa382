//! `modless lint PROG.bpf.o DECL...`: the object against the declaration
//! of each ops type it implements, no kernel.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BPF object.
    object: PathBuf,
    /// The declaration file (TOML); one per ops type the object implements
    /// (e.g. sched_ext_ops and sched_ext_ops_cid).
    #[arg(required = true, num_args = 1..)]
    decls: Vec<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut decls = Vec::new();
    for path in &args.decls {
        match modless_decl::load(path) {
            Ok(d) => decls.push(d),
            Err(errs) => return Ok(super::report(&errs)),
        }
    }
    let refs: Vec<&modless_decl::Declaration> = decls.iter().collect();
    let report = modless_loader::lint::lint_all(&args.object, &refs)?;
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
