//! Per-program counters from the kernel: verified instructions, run count
//! and run time (the latter while BPF stats are enabled).

use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use crate::error::{LoadError, Result};
use crate::extension::Extension;

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
    // SAFETY: plain syscall wrapper; returns a new fd or a negative errno.
    let fd = unsafe { libbpf_sys::bpf_enable_stats(libbpf_sys::BPF_STATS_RUN_TIME) };
    if fd < 0 {
        return Err(LoadError::Kernel {
            what: "enabling BPF run-time stats".into(),
            source: io::Error::from_raw_os_error(-fd),
        });
    }
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Extension {
    /// Kernel counters of every loaded program.
    pub fn program_stats(&self) -> Result<Vec<ProgramStats>> {
        let mut out = Vec::new();
        for p in self.object().progs() {
            if !p.autoload() {
                continue;
            }
            let name = p.name().to_string_lossy().into_owned();
            // SAFETY: bpf_prog_info is plain old data; all-zero is valid.
            let mut info: libbpf_sys::bpf_prog_info = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libbpf_sys::bpf_prog_info>() as u32;
            // SAFETY: `info` is `len` writable bytes; the fd is a live program.
            let ret = unsafe {
                libbpf_sys::bpf_prog_get_info_by_fd(p.as_fd().as_raw_fd(), &mut info, &mut len)
            };
            if ret < 0 {
                return Err(LoadError::Kernel {
                    what: format!("program info of `{name}`"),
                    source: io::Error::from_raw_os_error(-ret),
                });
            }
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
