use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// `modless import --btf vmlinux --ops sched_ext_ops -o sched_ext.toml`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// vmlinux ELF (kfunc flags and sets come from its .BTF_ids) or raw BTF.
    #[arg(long)]
    btf: PathBuf,
    /// The ops struct to import, e.g. sched_ext_ops.
    #[arg(long)]
    ops: String,
    /// Import every kfunc of the BTF id sets whose name starts with this (repeatable).
    #[arg(long = "kfunc-set", value_name = "PREFIX")]
    kfunc_sets: Vec<String>,
    /// Import kfuncs whose name starts with this (repeatable).
    #[arg(long = "kfunc", value_name = "PREFIX")]
    kfuncs: Vec<String>,
    /// Callbacks that may be sleepable (comma-separated; kernel code decides, not BTF).
    #[arg(long, value_delimiter = ',')]
    sleepable: Vec<String>,
    /// Where to write the declaration.
    #[arg(short, long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let imported = modless_import::import(&modless_import::ImportOptions {
        btf: args.btf,
        ops: args.ops,
        kfunc_prefixes: args.kfuncs,
        kfunc_sets: args.kfunc_sets,
        sleepable: args.sleepable,
    })?;
    modless_import::write(&imported, &args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    for (what, why) in &imported.dropped {
        eprintln!("{}: not imported: {what}: {why}", args.out.display());
    }
    println!(
        "{}: {} callbacks, {} data fields, {} kfuncs ({} left out)",
        args.out.display(),
        imported.callbacks,
        imported.data,
        imported.kfuncs,
        imported.dropped.len()
    );
    Ok(ExitCode::SUCCESS)
}
