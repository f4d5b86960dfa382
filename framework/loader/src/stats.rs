//! Per-program counters from the kernel: verified instructions, run count
//! and run time (the latter while BPF stats are enabled).

use std::io;
use std::os::fd::{AsFd, OwnedFd};

use crate::error::{LoadError, Result};
use crate::extension::ExtensionOf;
use crate::sys;

/// What the kernel reports about one loaded program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramStats {
    /// Function name.
    pub name: String,
    /// Kernel program id.
    pub id: u32,
    /// Instructions the verifier processed to accept it.
    pub verified_insns: u32,
    /// Times it ran (counted while [`enable_run_stats`] is held).
    pub run_cnt: u64,
    /// Nanoseconds it ran (ditto).
    pub run_time_ns: u64,
}

impl ProgramStats {
    /// The counters accrued since `before` (an earlier reading of the same
    /// program); verified instructions stay as they are.
    pub fn since(&self, before: &ProgramStats) -> ProgramStats {
        ProgramStats {
            run_cnt: self.run_cnt.saturating_sub(before.run_cnt),
            run_time_ns: self.run_time_ns.saturating_sub(before.run_time_ns),
            ..self.clone()
        }
    }

    /// Mean nanoseconds per run, if it ran.
    pub fn avg_ns(&self) -> Option<u64> {
        self.run_time_ns.checked_div(self.run_cnt)
    }

    /// One JSON object (a line of `modless load --stats --json`).
    pub fn to_json(&self) -> String {
        format!(
            "{{\"program\":\"{}\",\"id\":{},\"verified_insns\":{},\"run_cnt\":{},\"run_time_ns\":{}}}",
            json_escape(&self.name),
            self.id,
            self.verified_insns,
            self.run_cnt,
            self.run_time_ns
        )
    }
}

pub(crate) fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// A table of `stats`, one program a line, with a header.
pub fn stats_table(stats: &[ProgramStats]) -> String {
    let width = stats.iter().map(|s| s.name.len()).max().unwrap_or(0).max(7);
    let mut out = format!(
        "{:<width$} {:>8} {:>14} {:>12} {:>14}\n",
        "program", "id", "verified_insns", "runs", "avg_ns"
    );
    for s in stats {
        let avg = s
            .avg_ns()
            .map_or_else(|| "-".to_string(), |n| n.to_string());
        out.push_str(&format!(
            "{:<width$} {:>8} {:>14} {:>12} {:>14}\n",
            s.name, s.id, s.verified_insns, s.run_cnt, avg
        ));
    }
    out
}

/// Turns on the kernel's run-time counters until the returned fd is dropped.
pub fn enable_run_stats() -> Result<OwnedFd> {
    sys::enable_run_stats().map_err(|errno| LoadError::Kernel {
        what: "enabling BPF run-time stats".into(),
        source: io::Error::from_raw_os_error(errno),
    })
}

impl ExtensionOf<'_> {
    /// Kernel counters of every loaded program.
    pub fn program_stats(&self) -> Result<Vec<ProgramStats>> {
        let mut out = Vec::new();
        for p in self.object().progs().filter(|p| p.autoload()) {
            let name = p.name().to_string_lossy().into_owned();
            let info = sys::prog_info(p.as_fd()).map_err(|errno| LoadError::Kernel {
                what: format!("program info of `{name}`"),
                source: io::Error::from_raw_os_error(errno),
            })?;
            out.push(ProgramStats {
                name,
                id: info.id,
                verified_insns: info.verified_insns,
                run_cnt: info.run_cnt,
                run_time_ns: info.run_time_ns,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    fn stats(name: &str, run_cnt: u64, run_time_ns: u64) -> ProgramStats {
        ProgramStats {
            name: name.into(),
            id: 7,
            verified_insns: 42,
            run_cnt,
            run_time_ns,
        }
    }

    #[test]
    fn json_lines_name_every_counter_and_escape_the_name() {
        assert_eq!(
            stats("on_\"x\\", 3, 300).to_json(),
            r#"{"program":"on_\"x\\","id":7,"verified_insns":42,"run_cnt":3,"run_time_ns":300}"#
        );
    }

    #[test]
    fn the_table_shows_the_mean_run_time_or_a_dash() {
        let t = stats_table(&[stats("dispatch", 4, 1000), stats("idle", 0, 0)]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("program") && lines[0].ends_with("avg_ns"));
        assert!(
            lines[1].starts_with("dispatch") && lines[1].ends_with(" 250"),
            "{t}"
        );
        assert!(lines[2].ends_with(" -"), "{t}");
    }

    quickcheck! {
        fn since_never_underflows(a: u64, b: u64, c: u64, d: u64) -> bool {
            let d = stats("p", a, b).since(&stats("p", c, d));
            d.run_cnt == a.saturating_sub(c) && d.verified_insns == 42
        }
    }
}
