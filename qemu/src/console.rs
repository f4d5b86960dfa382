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
    /// The console fell behind the kernel log's ring and lost this many
    /// records (of any level): they are in neither record of the run unless
    /// the log still holds them.
    Dropped(u64),
}

/// Follows the console line by line.
#[derive(Debug, Default)]
pub struct Scanner {
    current_test: Option<usize>,
    /// Kernel splats span many lines; only the first line of each is an event.
    in_splat: bool,
}

impl Scanner {
    /// The events of one console line: usually none or one, but a kernel
    /// line and one of init's markers can share a line when their output
    /// interleaves, and then the splat before the marker counts too.
    pub fn feed(&mut self, raw: &str) -> Vec<Event> {
        let line = raw.trim_end_matches(['\r', '\n']);
        let marker = line
            .find("MODLESS-")
            .and_then(|pos| Some((pos, marker(&line[pos + "MODLESS-".len()..])?)));
        let Some((pos, ev)) = marker else {
            return self.kernel_line(line).into_iter().collect();
        };
        let mut out: Vec<Event> = self.kernel_line(&line[..pos]).into_iter().collect();
        match ev {
            Event::TestBegin(n) => self.current_test = Some(n),
            Event::TestEnd(_) => self.current_test = None,
            _ => {}
        }
        self.in_splat = false;
        out.push(ev);
        out
    }

    fn kernel_line(&mut self, line: &str) -> Option<Event> {
        if let Some(n) = dropped(line) {
            return Some(Event::Dropped(n));
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
}

/// The count in printk's `** N printk messages dropped **`.
fn dropped(line: &str) -> Option<u64> {
    let (_, rest) = line.split_once("** ")?;
    let (n, rest) = rest.split_once(' ')?;
    rest.starts_with("printk messages dropped")
        .then(|| n.parse().ok())
        .flatten()
}

/// Whether the kernel log copied at the end starts at the boot, so nothing
/// of the run has wrapped out of it.
pub fn log_is_whole(kmsg: &str) -> bool {
    kmsg.lines()
        .next()
        .is_some_and(|l| l.contains("Linux version"))
}

/// One of init's markers, from the text after `MODLESS-`.
fn marker(rest: &str) -> Option<Event> {
    let mut words = rest.split_whitespace();
    Some(match words.next()? {
        "INIT" => Event::InitStarted,
        "TEST-BEGIN" => Event::TestBegin(words.next()?.parse().ok()?),
        "TEST-END" => Event::TestEnd(words.next()?.parse().ok()?),
        "DONE" => Event::Done,
        "INIT-ERROR" => Event::InitError(words.collect::<Vec<_>>().join(" ")),
        _ => return None,
    })
}

/// All splats in a complete log (the guest's kernel log after the tests).
pub fn splats_in(log: &str) -> Vec<Splat> {
    let mut scanner = Scanner::default();
    log.lines()
        .flat_map(|l| scanner.feed(l))
        .filter_map(|ev| match ev {
            Event::Splat(s) => Some(s),
            _ => None,
        })
        .collect()
}

/// The splats of a run from both of its records: the kernel log read at the
/// end (complete lines, ordered with init's markers, but a ring buffer that a
/// chatty run wraps) and the console as it arrived (never wraps, but may lag
/// or lose its tail at reboot). A console splat that no log splat accounts
/// for is one the log lost, and it is kept.
pub fn merge(log: Vec<Splat>, console: Vec<Splat>) -> Vec<Splat> {
    let mut unmatched: Vec<&str> = log.iter().map(Splat::key).collect();
    let lost: Vec<Splat> = console
        .into_iter()
        .filter(|c| match unmatched.iter().position(|k| *k == c.key()) {
            Some(i) => {
                unmatched.swap_remove(i);
                false
            }
            None => true,
        })
        .collect();
    log.into_iter().chain(lost).collect()
}

impl Splat {
    /// The line from the kernel's own prefix on: what is the same in the log
    /// and on the console (which may carry a timestamp or a stray byte of
    /// userspace output before it).
    fn key(&self) -> &str {
        let start = SplatKind::PATTERNS
            .iter()
            .filter_map(|(pat, _)| self.line.find(pat))
            .min()
            .unwrap_or(0);
        &self.line[start..]
    }
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

    const WARN: &str =
        "WARNING: CPU: 0 PID: 70 at drivers/misc/lkdtm/bugs.c:107 lkdtm_WARNING+0x5/0x10";

    #[test]
    fn a_splat_the_wrapped_log_lost_is_kept_from_the_console() {
        let console = format!("MODLESS-TEST-BEGIN 0 t\n{WARN}\nMODLESS-TEST-END 0 0\n");
        // The log buffer wrapped: its start, and the warning, are gone.
        let log = "flood 9999\nMODLESS-TEST-END 0 0\n";
        let got = merge(splats_in(log), splats_in(&console));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0].kind, got[0].during_test),
            (SplatKind::Warn, Some(0))
        );
    }

    #[test]
    fn a_splat_in_both_streams_counts_once_with_the_logs_attribution() {
        // The console lags: its marker came before the kernel's line.
        let console = format!("MODLESS-TEST-BEGIN 0 a\nMODLESS-TEST-END 0 0\nMODLESS-TEST-BEGIN 1 b\n[  3.1] {WARN}\r\n");
        let log = format!("MODLESS-TEST-BEGIN 0 a\n[  3.1] {WARN}\nMODLESS-TEST-END 0 0\n");
        let got = merge(splats_in(&log), splats_in(&console));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].during_test, Some(0));
    }

    #[test]
    fn a_repeated_splat_is_counted_as_often_as_either_stream_saw_it() {
        let twice = format!("{WARN}\n---[ end trace 0 ]---\n{WARN}\n---[ end trace 0 ]---\n");
        let once = format!("{WARN}\n---[ end trace 0 ]---\n");
        assert_eq!(merge(splats_in(&once), splats_in(&twice)).len(), 2);
        assert_eq!(merge(splats_in(&twice), splats_in(&once)).len(), 2);
    }

    #[test]
    fn a_splat_sharing_a_line_with_a_marker_is_not_lost() {
        let mut s = Scanner::default();
        s.feed("MODLESS-TEST-BEGIN 2 x");
        let evs = s.feed(&format!("{WARN}MODLESS-TEST-END 2 0\r\n"));
        assert!(
            matches!(&evs[..], [Event::Splat(sp), Event::TestEnd(2)] if sp.during_test == Some(2)),
            "{evs:?}"
        );
    }

    #[test]
    fn console_drops_are_counted_and_a_wrapped_log_is_told_apart() {
        let mut s = Scanner::default();
        assert_eq!(
            s.feed("** 42 printk messages dropped **\r\n"),
            [Event::Dropped(42)]
        );
        assert_eq!(s.feed("** not a count printk messages dropped **"), []);
        assert!(log_is_whole(
            "[    0.000000] Linux version 7.3.4 (gcc) #1\n[    0.1] x\n"
        ));
        assert!(!log_is_whole(
            "[    8.2] flood 1416 000\n[    0.0] Linux version\n"
        ));
        assert!(!log_is_whole(""));
    }

    #[test]
    fn markers_survive_interleaved_kernel_output() {
        let mut s = Scanner::default();
        assert_eq!(
            s.feed("[    2.1] random: crng init doneMODLESS-TEST-BEGIN 3 x\r\n"),
            [Event::TestBegin(3)]
        );
        assert_eq!(s.feed("MODLESS-DONE up=3.0"), [Event::Done]);
    }
}
