use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use modless_gen::GenError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The declaration file (TOML).
    decl: PathBuf,
    /// Directory to write the generated files to (created if missing);
    /// with [subsystem.in_tree] they keep their place in the kernel tree
    /// (<dir>/<sub>.c, include/linux/<sub>.h).
    #[arg(long, required_unless_present = "patch")]
    out: Option<PathBuf>,
    /// Write the in-tree glue as one git-am-able patch against --tree.
    #[arg(long, requires = "tree")]
    patch: Option<PathBuf>,
    /// The kernel tree the patch applies to (its <dir>/Kconfig and
    /// <dir>/Makefile are read, never written).
    #[arg(long, requires = "patch")]
    tree: Option<PathBuf>,
    /// The patch's author [default: git's user.name and user.email, else
    /// "modless <modless@localhost>"].
    #[arg(long, requires = "patch")]
    author: Option<String>,
    /// Add the author's Signed-off-by: to the patch (you certify the DCO).
    #[arg(long, requires = "patch")]
    signoff: bool,
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
    if let Some(out) = &args.out {
        generated
            .write_to(out)
            .with_context(|| format!("writing into {}", out.display()))?;
        for a in &generated.files {
            println!("{}", out.join(&a.path).display());
        }
    }
    if let (Some(patch), Some(tree)) = (&args.patch, &args.tree) {
        let from = args.author.clone().unwrap_or_else(git_author);
        let author = modless_gen::Author {
            from: &from,
            signoff: args.signoff,
        };
        let text = match tree_patch(&decl, &generated, tree, author) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: error: {e}", args.decl.display());
                return Ok(ExitCode::FAILURE);
            }
        };
        std::fs::write(patch, text).with_context(|| format!("writing {}", patch.display()))?;
        println!("{}", patch.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn tree_patch(
    decl: &modless_decl::Declaration,
    generated: &modless_gen::Generated,
    tree: &Path,
    author: modless_gen::Author,
) -> anyhow::Result<String> {
    let t = decl.in_tree().ok_or(GenError::NotInTree)?;
    let read = |name: &str| {
        let path = tree.join(&t.dir).join(name);
        std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {}; --tree must be a kernel source tree with a {} directory",
                path.display(),
                t.dir
            )
        })
    };
    let (kconfig, makefile) = (read("Kconfig")?, read("Makefile")?);
    let files = modless_gen::TreeFiles {
        kconfig: &kconfig,
        makefile: &makefile,
    };
    Ok(modless_gen::in_tree_patch(decl, generated, files, author)?)
}

/// `Name <email>` from git's configuration, if it has both.
fn git_author() -> String {
    let get = |key: &str| {
        std::process::Command::new("git")
            .args(["config", key])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    match (get("user.name"), get("user.email")) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        _ => "modless <modless@localhost>".into(),
    }
}
