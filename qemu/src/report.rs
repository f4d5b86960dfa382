//! Test results as the guest left them, the verdict, and how it is shown.

use serde::Serialize;
use std::fmt::Write as _;

use crate::console::Splat;

/// Exit status by which a test says "not applicable here" (automake's convention).
pub const SKIP_STATUS: i32 = 77;
/// The guest's `timeout` ends an overrunning test with this status.
const TIMEOUT_STATUS: i32 = 124;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Fail,
    Skip,
    /// The guest died or timed out before the test ran to its end.
    NotRun,
}

#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub name: String,
    pub status: Status,
    pub exit_code: Option<i32>,
    pub duration_s: Option<f64>,
    pub output: String,
    pub note: Option<String>,
}

/// Why the run failed regardless of test results.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "cause", rename_all = "kebab-case")]
pub enum GuestFailure {
    Splat(Splat),
    Timeout {
        seconds: u64,
    },
    EarlyExit {
        detail: String,
    },
    /// Every boot attempt stopped before userspace.
    BootHang {
        detail: String,
    },
    InitError {
        detail: String,
    },
    /// The console dropped records the kernel log no longer held: a kernel
    /// report may have been among them, so the run cannot be vouched for.
    LogLost {
        dropped: u64,
    },
}

impl GuestFailure {
    pub fn describe(&self) -> String {
        match self {
            GuestFailure::Splat(s) => {
                let when = match s.during_test {
                    Some(n) => format!("during test #{n}"),
                    None => "outside any test".into(),
                };
                format!("{} {when}: {}", s.kind.describe(), s.line)
            }
            GuestFailure::Timeout { seconds } => {
                format!("timeout: the guest did not finish within {seconds} s; QEMU was killed")
            }
            GuestFailure::EarlyExit { detail } => {
                format!("the guest exited before the end marker ({detail})")
            }
            GuestFailure::InitError { detail } => format!("guest init failed: {detail}"),
            GuestFailure::BootHang { detail } => format!("the boot hung: {detail}"),
            GuestFailure::LogLost { dropped } => format!(
                "kernel messages lost: the console dropped {dropped} and the kernel log had \
                 wrapped past them, so a kernel report may be among them; keep a test's \
                 kernel output below warning level (KERN_NOTICE or quieter)"
            ),
        }
    }
}

/// Host seconds from QEMU's start to each milestone the console showed
/// (firmware and decompression end before the first kernel line; the kernel's
/// boot before userspace; init's mounts before the first test).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Phases {
    pub first_console_s: Option<f64>,
    pub userspace_s: Option<f64>,
    pub first_test_s: Option<f64>,
    pub last_test_end_s: Option<f64>,
    pub done_s: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub kernel: String,
    pub accel: String,
    pub topology: String,
    /// Host seconds from QEMU start to the guest's init marker.
    pub boot_s: Option<f64>,
    pub total_s: f64,
    pub tests: Vec<TestResult>,
    pub failures: Vec<GuestFailure>,
    /// Boots that hung before userspace and were retried (no test had run).
    pub boot_hangs: Vec<String>,
    /// When each stage was reached, for `scripts/bench.sh`'s breakdown.
    pub phases: Phases,
    pub console_log: String,
    /// Where the boot's files are (`--keep` leaves them there).
    pub run_dir: String,
    /// The saved boot this run restored instead of booting (its directory
    /// holds the console of the boot that was saved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored: Option<String>,
}

impl RunReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
            && self
                .tests
                .iter()
                .all(|t| matches!(t.status, Status::Pass | Status::Skip))
    }

    pub fn count(&self, status: Status) -> usize {
        self.tests.iter().filter(|t| t.status == status).count()
    }

    /// What a person reads at the end of a run.
    pub fn summary(&self, show_output: bool) -> String {
        let mut s = String::new();
        for t in &self.tests {
            let tag = match t.status {
                Status::Pass => "PASS",
                Status::Fail => "FAIL",
                Status::Skip => "SKIP",
                Status::NotRun => "NOT RUN",
            };
            let dur = t
                .duration_s
                .map(|d| format!(" ({d:.2} s)"))
                .unwrap_or_default();
            let note = t
                .note
                .as_deref()
                .map(|n| format!(" [{n}]"))
                .unwrap_or_default();
            let _ = writeln!(s, "{tag:>7}  {}{dur}{note}", t.name);
            if show_output || t.status == Status::Fail {
                for line in t.output.lines() {
                    let _ = writeln!(s, "         | {line}");
                }
            }
        }
        for f in &self.failures {
            let _ = writeln!(s, "  GUEST  {}", f.describe());
        }
        for h in &self.boot_hangs {
            let _ = writeln!(s, "   NOTE  a boot hung and was retried: {h}");
        }
        let boot = self
            .boot_s
            .map(|b| format!("{b:.2} s"))
            .unwrap_or_else(|| "-".into());
        let boot = match &self.restored {
            Some(_) => format!("restore {boot}"),
            None => format!("boot {boot}"),
        };
        let _ = writeln!(
            s,
            "{} passed, {} failed, {} skipped; guest: {}, {}, {}; {boot}, total {:.2} s",
            self.count(Status::Pass),
            self.count(Status::Fail) + self.count(Status::NotRun),
            self.count(Status::Skip),
            self.kernel,
            self.accel,
            self.topology,
            self.total_s,
        );
        let _ = writeln!(s, "console log: {}", self.console_log);
        if let Some(saved) = &self.restored {
            let _ = writeln!(s, "restored the saved boot {saved} (its boot's console: console.log there; --cold-boot boots instead)");
        }
        s
    }
}

/// One line of the guest's `results` file: `N RC START END`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finished {
    pub index: usize,
    pub rc: i32,
    pub duration_s: f64,
}

pub fn parse_results(text: &str) -> Vec<Finished> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let [n, rc, start, end] = f[..] else {
                return None;
            };
            let (start, end): (f64, f64) = (start.parse().ok()?, end.parse().ok()?);
            Some(Finished {
                index: n.parse().ok()?,
                rc: rc.parse().ok()?,
                duration_s: (end - start).max(0.0),
            })
        })
        .collect()
}

/// The result of one test from what the guest recorded for it, if anything.
pub fn judge(name: &str, finished: Option<Finished>, output: String) -> TestResult {
    let Some(f) = finished else {
        return TestResult {
            name: name.into(),
            status: Status::NotRun,
            exit_code: None,
            duration_s: None,
            output,
            note: Some("the guest stopped before this test finished".into()),
        };
    };
    let (status, note) = match f.rc {
        0 => (Status::Pass, None),
        SKIP_STATUS => (Status::Skip, None),
        TIMEOUT_STATUS => (Status::Fail, Some("killed by its time limit".into())),
        rc @ 129..=192 => (Status::Fail, Some(format!("killed by signal {}", rc - 128))),
        rc => (Status::Fail, Some(format!("exit status {rc}"))),
    };
    TestResult {
        name: name.into(),
        status,
        exit_code: Some(f.rc),
        duration_s: Some(f.duration_s),
        output,
        note,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_lines_parse_and_garbage_is_ignored() {
        let r = parse_results("0 0 1.50 1.75\n1 3 1.75 2.00\ntruncated 1\n");
        assert_eq!(r.len(), 2);
        assert_eq!((r[1].index, r[1].rc), (1, 3));
        assert!((r[0].duration_s - 0.25).abs() < 1e-9);
    }

    #[test]
    fn statuses_follow_exit_codes() {
        let f = |rc| {
            Some(Finished {
                index: 0,
                rc,
                duration_s: 0.1,
            })
        };
        assert_eq!(judge("a", f(0), String::new()).status, Status::Pass);
        assert_eq!(judge("a", f(77), String::new()).status, Status::Skip);
        assert_eq!(judge("a", f(1), String::new()).status, Status::Fail);
        let limited = judge("a", f(124), String::new());
        assert_eq!(limited.status, Status::Fail);
        assert!(limited.note.unwrap().contains("time limit"));
        assert!(judge("a", f(137), String::new())
            .note
            .unwrap()
            .contains("signal 9"));
        assert_eq!(judge("a", None, String::new()).status, Status::NotRun);
    }

    #[test]
    fn a_guest_failure_fails_an_all_green_run() {
        let mut r = RunReport {
            kernel: "k".into(),
            accel: "tcg".into(),
            topology: "t".into(),
            boot_s: Some(1.0),
            total_s: 2.0,
            tests: vec![judge(
                "a",
                Some(Finished {
                    index: 0,
                    rc: 0,
                    duration_s: 0.1,
                }),
                String::new(),
            )],
            failures: vec![],
            boot_hangs: vec![],
            phases: Default::default(),
            console_log: "c".into(),
            run_dir: "r".into(),
            restored: None,
        };
        assert!(r.passed());
        r.failures.push(GuestFailure::Timeout { seconds: 5 });
        assert!(!r.passed());
        assert!(r.summary(false).contains("timeout"));
    }
}
