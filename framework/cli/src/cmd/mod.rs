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
    /// Validate a declaration without generating anything; with --btf, also against a kernel.
    Check => check,
    /// Load a BPF object, attach every ops table and program, hold until SIGINT/SIGTERM.
    Load => load,
    /// Which op each program implements and which kfuncs it calls, against a declaration.
    Lint => lint,
    /// Write vmlinux.h (kfunc prototypes included) from any BTF.
    VmlinuxH => vmlinux_h,
    /// Compile BPF C with modless's flags, vmlinux.h and libbpf headers.
    BuildBpf => build_bpf,
    /// Import a kernel ops struct and its kfuncs from BTF into a declaration.
    Import => import,
}

mod check_btf;
mod kernel_release;

/// Prints declaration errors as `file:line:col: error: ...`, one per line.
fn report(errs: &modless_decl::DeclErrors) -> ExitCode {
    for e in &errs.0 {
        eprintln!("{e}");
    }
    let n = errs.0.len();
    eprintln!("{n} error{}", if n == 1 { "" } else { "s" });
    ExitCode::FAILURE
}
