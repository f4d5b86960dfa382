//! The shape every in-guest test binary shares (the suites in
//! qemu/suites/*.toml run `BIN SCENARIO`; exit 0 passes): one scenario per
//! run, chosen by its first argument; `[ok]`/`[FAIL]` per check; `ok:
//! SCENARIO` at the end.
//!
//! ```no_run
//! fn boots() -> anyhow::Result<()> {
//!     modless_guest_test::check("the guest booted", true)
//! }
//!
//! fn main() -> anyhow::Result<()> {
//!     modless_guest_test::main(&[("boots", boots)])
//! }
//! ```

use anyhow::{bail, ensure};

/// A scenario: its name on the command line and its body.
pub type Scenario = (&'static str, fn() -> anyhow::Result<()>);

/// Runs the scenario the program's first argument names.
pub fn main(scenarios: &[Scenario]) -> anyhow::Result<()> {
    run(&std::env::args().nth(1).unwrap_or_default(), scenarios)
}

/// Runs scenario `name` of `scenarios`; an unknown name lists them.
pub fn run(name: &str, scenarios: &[Scenario]) -> anyhow::Result<()> {
    let Some((_, body)) = scenarios.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = scenarios.iter().map(|(n, _)| *n).collect();
        bail!("unknown scenario {name:?}: {}", names.join(" | "));
    };
    body()?;
    println!("ok: {name}");
    Ok(())
}

/// Prints `[ok] what` or `[FAIL] what`; an error for the latter.
pub fn check(what: &str, ok: bool) -> anyhow::Result<()> {
    println!("[{}] {what}", if ok { "ok" } else { "FAIL" });
    ensure!(ok, "{what}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passes() -> anyhow::Result<()> {
        check("yes", true)
    }

    fn fails() -> anyhow::Result<()> {
        check("the answer is 42", false)
    }

    const ALL: [Scenario; 2] = [("passes", passes), ("fails", fails)];

    #[test]
    fn the_named_scenario_decides() {
        assert!(run("passes", &ALL).is_ok());
        let e = run("fails", &ALL).unwrap_err().to_string();
        assert_eq!(e, "the answer is 42");
    }

    #[test]
    fn an_unknown_name_lists_the_scenarios() {
        let e = run("nope", &ALL).unwrap_err().to_string();
        assert_eq!(e, "unknown scenario \"nope\": passes | fails");
    }
}
