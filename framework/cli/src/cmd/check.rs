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
    /// Also report, for this BPF object, which of its kfunc calls resolve on
    /// the --btf kernel and through which flavour (the declaration's [compat]
    /// operations), before loading it.
    #[arg(long, requires = "btf")]
    object: Option<PathBuf>,
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
        match super::kernel_release::of(btf, args.base.as_deref()) {
            Some(release) => {
                if let Err(errs) = decl.validate_for_release(&release) {
                    return Ok(super::report(&errs));
                }
            }
            None if uses_removed_flags(&decl) => eprintln!(
                "{}: note: cannot tell the kernel release of {} (not a vmlinux image); \
                 KF_* flags were not checked against it: pass the vmlinux (or --base vmlinux)",
                args.decl.display(),
                btf.display()
            ),
            None => {}
        }
        let decl_code = super::check_btf::run(&decl, btf, args.base.as_deref())?;
        return match &args.object {
            Some(obj) => super::check_btf::object(&decl, obj, btf, args.base.as_deref()),
            None => Ok(decl_code),
        };
    }
    println!("{}: ok", args.decl.display());
    Ok(ExitCode::SUCCESS)
}

/// Whether any kfunc has a flag some release removed.
fn uses_removed_flags(decl: &modless_decl::Declaration) -> bool {
    decl.kfuncs
        .iter()
        .any(|k| k.flags.iter().any(|f| f.removed_in().is_some()))
}
