//! `modless build-bpf FILE.bpf.c -o OUT [--btf FILE [--base FILE]] [-I DIR]...`.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BPF C source.
    source: PathBuf,
    /// The object to write.
    #[arg(short, long)]
    out: PathBuf,
    /// BTF for vmlinux.h [default: the running kernel's].
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
    let compiled = modless_bpf_build::compile_file(
        &args.source,
        &args.out,
        args.btf.as_deref(),
        args.base.as_deref(),
        &args.include,
    )?;
    // clang's warnings, as clang printed them
    eprint!("{}", compiled.warnings);
    println!("{}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
