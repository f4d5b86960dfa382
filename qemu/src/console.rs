//! Reading the guest console: init's markers and the kernel's splats.
//!
//! Splats are found by the kernel's own fixed prefixes; the harness does not
//! trust the tests' exit codes alone, because a test can "pass" while the
//! kernel warns underneath it.

use serde::Serialize;

/// A kernel report that fails the run whatever the tests said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SplatKind {
    Panic,
    SoftLockup,
    HardLockup,
    RcuStall,
    HungTask,
    Oops,
    Bug,
    Ubsan,
    Warn,
}

impl SplatKind {
    /// Most specific first: a soft lockup is also a "BUG:" line.
    const PATTERNS: &'static [(&'static str, SplatKind)] = &[
        ("Kernel panic - not syncing", SplatKind::Panic),
        ("BUG: soft lockup", SplatKind::SoftLockup),
        ("hard LOCKUP", SplatKind::HardLockup),
        ("detected stall", SplatKind::RcuStall),
        ("detected expedited stall", SplatKind::RcuStall),
        ("blocked for more than", SplatKind::HungTask),
        ("Oops:", SplatKind::Oops),
        ("general protection fault", SplatKind::Oops),
        ("BUG: unable to handle", SplatKind::Oops),
        ("kernel BUG at", SplatKind::Bug),
        ("BUG: ", SplatKind::Bug),
        ("UBSAN:", SplatKind::Ubsan),
        ("WARNING:", SplatKind::Warn),
    ];

    pub fn classify(line: &str) -> Option<SplatKind> {
        Self::PATTERNS
            .iter()
            .find(|(pat, _)| line.contains(pat))
            .map(|&(_, kind)| kind)
    }

    pub fn describe(self) -> &'static str {
        match self {
            SplatKind::Panic => "kernel panic",
            SplatKind::SoftLockup => "soft lockup",
            SplatKind::HardLockup => "hard lockup",
            SplatKind::RcuStall => "RCU stall",
            SplatKind::HungTask => "hung task",
            SplatKind::Oops => "oops",
            SplatKind::Bug => "kernel BUG",
            SplatKind::Ubsan => "UBSAN report",
            SplatKind::Warn => "kernel WARNING",
        }
    }
}

/// A splat, with the test that was running when it was printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Splat {
    pub kind: SplatKind,
    pub line: String,
    pub during_test: Option<usize>,
}

/// What one console line told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    InitStarted,
    TestBegin(usize),
    TestEnd(usize),
    Done,
    InitError(String),
    Splat(Splat),
}

/// Follows the console line by line.
#[derive(Debug, Default)]
pub struct Scanner {
    current_test: Option<usize>,
    /// Kernel splats span many lines; only the first line of each is an event.
    in_splat: bool,
}

impl Scanner {
    pub fn feed(&mut self, raw: &str) -> Option<Event> {
        let line = raw.trim_end_matches(['\r', '\n']);
        if let Some(pos) = line.find("MODLESS-") {
            if let Some(ev) = self.marker(&line[pos + "MODLESS-".len()..]) {
                return Some(ev);
            }
        }
        match SplatKind::classify(line) {
            Some(kind) => {
                // Lines inside one report ("WARNING" then "Oops" in its trace
                // are rare, but a panic after an oops is its own event).
                if self.in_splat && kind != SplatKind::Panic {
                    return None;
                }
                self.in_splat = true;
                Some(Event::Splat(Splat {
                    kind,
                    line: line.trim().to_string(),
                    during_test: self.current_test,
                }))
            }
            None => {
                if line.contains("---[ end trace") || line.contains("end Kernel panic") {
                    self.in_splat = false;
                }
                None
            }
        }
    }

    fn marker(&mut self, rest: &str) -> Option<Event> {
        let mut words = rest.split_whitespace();
        let ev = match words.next()? {
            "INIT" => Event::InitStarted,
            "TEST-BEGIN" => {
                let n = words.next()?.parse().ok()?;
                self.current_test = Some(n);
                Event::TestBegin(n)
            }
            "TEST-END" => {
                let n = words.next()?.parse().ok()?;
                self.current_test = None;
                Event::TestEnd(n)
            }
            "DONE" => Event::Done,
            "INIT-ERROR" => Event::InitError(words.collect::<Vec<_>>().join(" ")),
            _ => return None,
        };
        self.in_splat = false;
        Some(ev)
    }
}

/// All splats in a complete log (the guest's kernel log after the tests).
pub fn splats_in(log: &str) -> Vec<Splat> {
    let mut scanner = Scanner::default();
    log.lines()
        .filter_map(|l| match scanner.feed(l) {
            Some(Event::Splat(s)) => Some(s),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn splats(log: &str) -> Vec<Splat> {
        splats_in(log)
    }

    #[test]
    fn real_kernel_lines_are_classified() {
        let cases = [
            (
                "Kernel panic - not syncing: sysrq triggered crash",
                SplatKind::Panic,
            ),
            (
                "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [sh:70]",
                SplatKind::SoftLockup,
            ),
            (
                "rcu: INFO: rcu_preempt self-detected stall on CPU",
                SplatKind::RcuStall,
            ),
            (
                "INFO: task sh:71 blocked for more than 10 seconds.",
                SplatKind::HungTask,
            ),
            (
                "Oops: general protection fault, probably for non-canonical address",
                SplatKind::Oops,
            ),
            (
                "BUG: kernel NULL pointer dereference, address: 0000000000000000",
                SplatKind::Bug,
            ),
            (
                "UBSAN: array-index-out-of-bounds in drivers/misc/lkdtm/bugs.c:1",
                SplatKind::Ubsan,
            ),
            (
                "WARNING: CPU: 0 PID: 70 at drivers/misc/lkdtm/bugs.c:107 lkdtm_WARNING+0x5/0x10",
                SplatKind::Warn,
            ),
            (
                "WARNING: possible circular locking dependency detected",
                SplatKind::Warn,
            ),
        ];
        for (line, kind) in cases {
            assert_eq!(SplatKind::classify(line), Some(kind), "{line}");
        }
        assert_eq!(
            SplatKind::classify("sched_ext: BPF scheduler \"x\" enabled"),
            None
        );
    }

    #[test]
    fn splats_are_attributed_to_the_running_test() {
        let log = "MODLESS-INIT up=1.2\n\
                   MODLESS-TEST-BEGIN 0 ok\n\
                   MODLESS-TEST-END 0 0\n\
                   MODLESS-TEST-BEGIN 1 bad\n\
                   WARNING: CPU: 1 PID: 9 at foo.c:1 f+0x1/0x2\n\
                   Call Trace:\n\
                   BUG: not a new splat, still the warning's trace\n\
                   ---[ end trace 0000000000000000 ]---\n\
                   MODLESS-TEST-END 1 0\n\
                   Kernel panic - not syncing: late\n";
        let got = splats(log);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(
            (got[0].kind, got[0].during_test),
            (SplatKind::Warn, Some(1))
        );
        assert_eq!((got[1].kind, got[1].during_test), (SplatKind::Panic, None));
    }

    #[test]
    fn markers_survive_interleaved_kernel_output() {
        let mut s = Scanner::default();
        assert_eq!(
            s.feed("[    2.1] random: crng init doneMODLESS-TEST-BEGIN 3 x\r\n"),
            Some(Event::TestBegin(3))
        );
        assert_eq!(s.feed("MODLESS-DONE up=3.0"), Some(Event::Done));
    }
}
