use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use modless_gen::GenError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration file (TOML).
    decl: PathBuf,
    /// Directory to write the generated files to (created if missing).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let decl = match modless_decl::load(&args.decl) {
        Ok(d) => d,
        Err(errs) => return Ok(super::report(&errs)),
    };
    let generated = match modless_gen::generate(&decl) {
        Ok(g) => g,
        Err(GenError::Invalid(errs)) => return Ok(super::report(&errs)),
        Err(e) => return Err(e.into()),
    };
    generated
        .write_to(&args.out)
        .with_context(|| format!("writing into {}", args.out.display()))?;
    for a in &generated.files {
        println!("{}", args.out.join(&a.path).display());
    }
    Ok(ExitCode::SUCCESS)
}
