//! One module per subcommand; adding one means one enum variant and one
//! match arm here.

mod check;
mod gen;

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate kernel C, the BPF header and Rust names from a declaration.
    Gen(gen::Args),
    /// Validate a declaration without generating anything.
    Check(check::Args),
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Gen(a) => gen::run(a),
        Command::Check(a) => check::run(a),
    }
}

/// Prints declaration errors as `file:line:col: error: ...`, one per line.
fn report(errs: &modless_decl::DeclErrors) -> ExitCode {
    for e in &errs.0 {
        eprintln!("{e}");
    }
    let n = errs.0.len();
    eprintln!("{n} error{}", if n == 1 { "" } else { "s" });
    ExitCode::FAILURE
}
