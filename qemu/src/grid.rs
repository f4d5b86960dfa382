//! The matrix's outcome: one line per cell as it finishes, then a suite x
//! kernel table with the reasons of every cell that did not run.

use serde::Serialize;
use std::fmt::Write as _;

use crate::report::{RunReport, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellStatus {
    Pass,
    Fail,
    /// The matrix file says it cannot run there (with the reason).
    Unsupported,
    /// The matrix file leaves it out on purpose (with the reason).
    LeftOut,
    /// It was to run, but its kernel could not be had or prepared.
    Error,
}

/// One boot of a cell (a cell with N topologies has N), or a cell that did not run.
#[derive(Debug, Clone, Serialize)]
pub struct CellResult {
    pub kernel: String,
    pub suite: String,
    /// The topology-axis value of this boot (none: the suite's own guest).
    pub topology: Option<String>,
    pub status: CellStatus,
    /// Why it did not run, or what failed before the guest could boot.
    pub reason: Option<String>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub seconds: f64,
    /// Its boot's index in the report's `runs`.
    pub run: Option<usize>,
}

impl CellResult {
    pub fn ran(
        kernel: &str,
        suite: &str,
        topology: Option<&str>,
        report: &RunReport,
        run: usize,
    ) -> Self {
        CellResult {
            kernel: kernel.into(),
            suite: suite.into(),
            topology: topology.map(str::to_string),
            status: if report.passed() {
                CellStatus::Pass
            } else {
                CellStatus::Fail
            },
            reason: report.failures.first().map(|f| f.describe()),
            passed: report.count(Status::Pass),
            failed: report.count(Status::Fail) + report.count(Status::NotRun),
            skipped: report.count(Status::Skip),
            seconds: report.total_s,
            run: Some(run),
        }
    }

    pub fn not_run(kernel: &str, suite: &str, status: CellStatus, reason: &str) -> Self {
        CellResult {
            kernel: kernel.into(),
            suite: suite.into(),
            topology: None,
            status,
            reason: Some(reason.into()),
            passed: 0,
            failed: 0,
            skipped: 0,
            seconds: 0.0,
            run: None,
        }
    }

    /// The cell's name in lines and in JUnit.
    pub fn name(&self) -> String {
        match &self.topology {
            Some(t) => format!("{} on {} ({t})", self.suite, self.kernel),
            None => format!("{} on {}", self.suite, self.kernel),
        }
    }

    /// What is printed as the cell finishes.
    pub fn line(&self) -> String {
        let what = match self.status {
            CellStatus::Pass | CellStatus::Fail => format!(
                "{}: {} passed, {} failed, {} skipped, {:.1} s",
                if self.status == CellStatus::Pass {
                    "pass"
                } else {
                    "FAIL"
                },
                self.passed,
                self.failed,
                self.skipped,
                self.seconds
            ),
            CellStatus::Unsupported => "unsupported".into(),
            CellStatus::LeftOut => "left out".into(),
            CellStatus::Error => "ERROR".into(),
        };
        let why = self
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        format!("[matrix] {}: {what}{why}", self.name())
    }

    pub fn is_failure(&self) -> bool {
        matches!(self.status, CellStatus::Fail | CellStatus::Error)
    }
}

/// The table: a row per suite, a column per kernel, each cell's boots
/// summed up; below it, numbered, why each cell that did not pass is so.
pub fn table(kernels: &[&str], suites: &[&str], cells: &[CellResult]) -> String {
    // Only what this run selected (or this shard holds).
    let kernels: Vec<&str> = kernels
        .iter()
        .copied()
        .filter(|k| cells.iter().any(|c| c.kernel == *k))
        .collect();
    let suites: Vec<&str> = suites
        .iter()
        .copied()
        .filter(|s| cells.iter().any(|c| c.suite == *s))
        .collect();
    let mut notes: Vec<String> = Vec::new();
    let mut note = |text: String| -> usize {
        let i = notes.iter().position(|n| *n == text).unwrap_or_else(|| {
            notes.push(text);
            notes.len() - 1
        });
        i + 1
    };
    let mut rows: Vec<Vec<String>> = vec![std::iter::once("suite".to_string())
        .chain(kernels.iter().map(|k| (*k).to_string()))
        .collect()];
    let mut outcome: Vec<CellStatus> = Vec::new();
    for s in &suites {
        let mut row = vec![(*s).to_string()];
        for k in &kernels {
            let mine: Vec<&CellResult> = cells
                .iter()
                .filter(|c| c.kernel == *k && c.suite == *s)
                .collect();
            row.push(summarize(&mine, &mut note));
            outcome.extend(cell_status(&mine));
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    for (i, n) in notes.iter().enumerate() {
        let _ = writeln!(out, "[{}] {n}", i + 1);
    }
    let ran: Vec<&CellResult> = cells.iter().filter(|c| c.run.is_some()).collect();
    let count = |st: CellStatus| outcome.iter().filter(|c| **c == st).count();
    let _ = writeln!(
        out,
        "matrix: {} passed, {} failed",
        count(CellStatus::Pass),
        count(CellStatus::Fail) + count(CellStatus::Error)
    );
    let _ = writeln!(
        out,
        "(cells; {} boots, {:.0} s in guests; not run, as the matrix file says: {} unsupported, {} left out)",
        ran.len(),
        ran.iter().map(|c| c.seconds).sum::<f64>(),
        count(CellStatus::Unsupported),
        count(CellStatus::LeftOut),
    );
    out
}

/// A cell's outcome over its boots: the worst of them (none if not in this run).
fn cell_status(boots: &[&CellResult]) -> Option<CellStatus> {
    let worst = [CellStatus::Error, CellStatus::Fail];
    let first = boots.first()?;
    Some(
        worst
            .into_iter()
            .find(|w| boots.iter().any(|c| c.status == *w))
            .unwrap_or(first.status),
    )
}

/// One table cell: `-` when nothing of it ran in this run (not selected, or
/// another shard's).
fn summarize(boots: &[&CellResult], note: &mut impl FnMut(String) -> usize) -> String {
    let Some(first) = boots.first() else {
        return "-".into();
    };
    let about = |c: &CellResult| format!("{}: {}", c.name(), c.reason.as_deref().unwrap_or(""));
    match first.status {
        CellStatus::Unsupported => return format!("unsupported [{}]", note(about(first))),
        CellStatus::LeftOut => return format!("left out [{}]", note(about(first))),
        _ => {}
    }
    let sum = |f: fn(&CellResult) -> usize| boots.iter().map(|c| f(c)).sum::<usize>();
    let (passed, failed, skipped) = (sum(|c| c.passed), sum(|c| c.failed), sum(|c| c.skipped));
    let secs: f64 = boots.iter().map(|c| c.seconds).sum();
    let times = if boots.len() > 1 {
        format!(" x{}", boots.len())
    } else {
        String::new()
    };
    let bad: Vec<&&CellResult> = boots.iter().filter(|c| c.is_failure()).collect();
    if bad.is_empty() {
        let skip = if skipped > 0 {
            format!(" +{skipped} skipped")
        } else {
            String::new()
        };
        return format!("pass {passed}{skip}{times} {secs:.0}s");
    }
    let refs: Vec<String> = bad
        .iter()
        .map(|c| {
            let why = match (c.status, &c.reason) {
                (CellStatus::Error, r) => r.clone().unwrap_or_default(),
                (_, Some(r)) => r.clone(),
                (_, None) => format!("{failed} test(s) failed"),
            };
            note(format!("{}: {why}", c.name())).to_string()
        })
        .collect();
    if bad.iter().all(|c| c.status == CellStatus::Error) {
        return format!("ERROR [{}]", refs.join(","));
    }
    format!(
        "FAIL {failed} of {}{times} {secs:.0}s [{}]",
        passed + failed + skipped,
        refs.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(kernel: &str, suite: &str, topo: Option<&str>, p: usize, f: usize) -> CellResult {
        CellResult {
            kernel: kernel.into(),
            suite: suite.into(),
            topology: topo.map(str::to_string),
            status: if f == 0 {
                CellStatus::Pass
            } else {
                CellStatus::Fail
            },
            reason: None,
            passed: p,
            failed: f,
            skipped: 0,
            seconds: 10.0,
            run: Some(0),
        }
    }

    #[test]
    fn the_table_has_every_cell_and_says_why_each_did_not_run() {
        let cells = vec![
            ran("7.3", "smoke", None, 3, 0),
            ran("7.3", "topology", Some("1"), 2, 0),
            ran("7.3", "topology", Some("2x2"), 1, 1),
            CellResult::not_run("6.12", "smoke", CellStatus::Error, "the build failed"),
            CellResult::not_run("6.12", "topology", CellStatus::Unsupported, "no NUMA"),
            CellResult::not_run("deb", "topology", CellStatus::LeftOut, "CI time"),
        ];
        let t = table(
            &["7.3", "6.12", "deb", "unselected"],
            &["smoke", "topology", "unselected"],
            &cells,
        );
        assert!(!t.contains("unselected"), "{t}");
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["suite", "7.3", "6.12", "deb"]
        );
        assert!(
            lines[1].starts_with("smoke") && lines[1].contains("pass 3 10s"),
            "{t}"
        );
        assert!(
            lines[1].contains("ERROR [1]") && lines[1].ends_with('-'),
            "{t}"
        );
        assert!(lines[2].contains("FAIL 1 of 4 x2 20s [2]"), "{t}");
        assert!(
            lines[2].contains("unsupported [3]") && lines[2].contains("left out [4]"),
            "{t}"
        );
        assert!(t.contains("[1] smoke on 6.12: the build failed"), "{t}");
        assert!(
            t.contains("[2] topology on 7.3 (2x2): 1 test(s) failed"),
            "{t}"
        );
        assert!(t.contains("[3] topology on 6.12: no NUMA"), "{t}");
        assert!(t.contains("[4] topology on deb: CI time"), "{t}");
        // Cells, not boots: smoke/7.3 passed; topology/7.3 (one of two boots) and smoke/6.12 failed.
        assert!(t.contains("\nmatrix: 1 passed, 2 failed\n"), "{t}");
        assert!(t.contains("1 unsupported, 1 left out"), "{t}");
    }

    #[test]
    fn every_cell_that_did_not_run_has_its_own_note() {
        let cells = vec![
            CellResult::not_run("a", "s", CellStatus::Unsupported, "r"),
            CellResult::not_run("b", "s", CellStatus::Unsupported, "r"),
        ];
        let t = table(&["a", "b"], &["s"], &cells);
        assert!(
            t.contains("[1] s on a: r") && t.contains("[2] s on b: r"),
            "{t}"
        );
    }
}
