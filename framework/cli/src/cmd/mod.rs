//! One module per subcommand; adding one is one line in `commands!`.

use std::process::ExitCode;

use clap::Subcommand;

/// Declares the subcommands: each `Variant => module` line needs a
/// `src/cmd/module.rs` with `pub struct Args` (clap) and
/// `pub fn run(Args) -> anyhow::Result<ExitCode>`.
macro_rules! commands {
    ($($(#[$doc:meta])* $variant:ident => $module:ident,)*) => {
        $(mod $module;)*

        #[derive(Debug, Subcommand)]
        pub enum Command {
            $($(#[$doc])* $variant($module::Args),)*
        }

        pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
            match cmd {
                $(Command::$variant(args) => $module::run(args),)*
            }
        }
    };
}

commands! {
    /// Generate kernel C, the BPF header and Rust names from a declaration.
    Gen => gen,
    /// Validate a declaration without generating anything.
    Check => check,
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
