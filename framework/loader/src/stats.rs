//! Per-program counters from the kernel: verified instructions, run count
//! and run time (the latter while BPF stats are enabled).

use std::io;
use std::os::fd::{AsFd, OwnedFd};

use crate::error::{LoadError, Result};
use crate::extension::Extension;
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

/// Turns on the kernel's run-time counters until the returned fd is dropped.
pub fn enable_run_stats() -> Result<OwnedFd> {
    sys::enable_run_stats().map_err(|errno| LoadError::Kernel {
        what: "enabling BPF run-time stats".into(),
        source: io::Error::from_raw_os_error(errno),
    })
}

impl Extension {
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
