use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration file (TOML).
    decl: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let decl = match modless_decl::load(&args.decl) {
        Ok(d) => d,
        Err(errs) => return Ok(super::report(&errs)),
    };
    if let Err(errs) = decl.validate() {
        return Ok(super::report(&errs));
    }
    println!("{}: ok", args.decl.display());
    Ok(ExitCode::SUCCESS)
}
