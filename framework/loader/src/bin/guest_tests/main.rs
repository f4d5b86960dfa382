//! In-guest tests of modless-loader (run by qemu/suites/loader.toml as root
//! in the harness's 7.3 guest): `modless-loader-guest-tests TEST`.
//! Exit 0 pass, 77 skip (jobd.ko not built), 1 fail.

mod cli;
mod jobd;
mod mainline;

use std::path::PathBuf;
use std::process::ExitCode;

/// A test object built by build.rs.
pub fn object(name: &str) -> PathBuf {
    PathBuf::from(env!("OUT_DIR")).join(format!("{name}.bpf.o"))
}

pub const SKIP: u8 = 77;

type Test = fn() -> anyhow_like::Result;

mod anyhow_like {
    /// A test's outcome: Err carries the reason.
    pub type Result = std::result::Result<Outcome, String>;

    #[derive(Debug, PartialEq, Eq)]
    pub enum Outcome {
        Pass,
        Skip(String),
    }
}

pub use anyhow_like::Outcome;

const TESTS: &[(&str, Test)] = &[
    (
        "mainline-struct-ops",
        mainline::struct_ops_attach_swap_detach,
    ),
    ("fentry-rodata-ringbuf", mainline::fentry_rodata_ringbuf),
    ("errors", mainline::each_error_once),
    ("verifier", mainline::verifier_refuses_loop_and_fault),
    ("cli-load", cli::load_until_sigint),
    ("cli-load-later-error", cli::load_sees_a_later_error),
    ("cli-load-init-error", cli::load_sees_an_init_error),
    ("cli-load-jobd-eject", cli::load_sees_jobd_eject),
    ("cli-load-kernel-enums", cli::load_fills_kernel_enums),
    ("cli-load-stats", cli::load_reports_stats),
    ("jobd-hotswap", jobd::hotswap_under_load),
    ("jobd-sigkill", jobd::sigkill_falls_back_to_default),
    ("jobd-unload", jobd::unload_while_attached),
    ("jobd-eject", jobd::eject_and_restart),
    ("jobd-newer-policy", jobd::newer_policy_on_older_jobd),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        // Helpers the tests run as child processes.
        Some("hold-jobd-policy") => return jobd::hold_policy(),
        Some("load-without-caps") => return mainline::load_without_caps(&args[1]),
        _ => {}
    }
    let wanted: Vec<&(&str, Test)> = match args.first() {
        None => TESTS.iter().collect(),
        Some(name) => TESTS.iter().filter(|(n, _)| n == name).collect(),
    };
    if wanted.is_empty() {
        eprintln!(
            "unknown test {:?}; tests: {}",
            args.first(),
            TESTS.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
        );
        return ExitCode::from(2);
    }
    let (mut failed, mut skipped) = (0, 0);
    for (name, test) in &wanted {
        match test() {
            Ok(Outcome::Pass) => println!("ok   {name}"),
            Ok(Outcome::Skip(why)) => {
                skipped += 1;
                println!("skip {name}: {why}")
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {name}: {e}")
            }
        }
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else if skipped == wanted.len() {
        ExitCode::from(SKIP)
    } else {
        ExitCode::SUCCESS
    }
}

/// `Err(what)` unless `ok`.
pub fn ensure(ok: bool, what: impl std::fmt::Display) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what.to_string())
    }
}
