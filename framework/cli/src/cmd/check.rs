use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration file (TOML).
    decl: PathBuf,
    /// Also check the declaration against this kernel's BTF (vmlinux, a
    /// module's .ko or BTF, /sys/kernel/btf/NAME).
    #[arg(long)]
    btf: Option<PathBuf>,
    /// Base BTF for a split (module) --btf [default: none].
    #[arg(long, requires = "btf")]
    base: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let decl = match modless_decl::load(&args.decl) {
        Ok(d) => d,
        Err(errs) => return Ok(super::report(&errs)),
    };
    if let Err(errs) = decl.validate() {
        return Ok(super::report(&errs));
    }
    if let Some(btf) = &args.btf {
        return super::check_btf::run(&decl, btf, args.base.as_deref());
    }
    println!("{}: ok", args.decl.display());
    Ok(ExitCode::SUCCESS)
}
