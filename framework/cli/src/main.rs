//! `modless`: turn a subsystem declaration into BPF extensibility glue.

mod cmd;

use std::process::ExitCode;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "modless",
    version,
    about = "Make a kernel subsystem extensible by BPF"
)]
struct Cli {
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cmd::run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("modless: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
