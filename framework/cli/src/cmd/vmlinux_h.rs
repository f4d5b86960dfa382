//! `modless vmlinux-h --btf FILE [--base FILE] -o OUT`.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// BTF to dump (vmlinux, a module, /sys/kernel/btf/NAME).
    #[arg(long)]
    btf: PathBuf,
    /// Base BTF for a split (module) BTF.
    #[arg(long)]
    base: Option<PathBuf>,
    /// The header to write.
    #[arg(short, long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    modless_btf::write_vmlinux_h(&args.btf, args.base.as_deref(), &args.out)?;
    println!("{}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
