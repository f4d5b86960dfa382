//! What the kernel reports about a program (bpf_prog_info) and the switch
//! for its run-time counters (BPF_ENABLE_STATS).

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use crate::check;

/// The counters of one loaded program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgInfo {
    /// Kernel program id.
    pub id: u32,
    /// Instructions the verifier processed.
    pub verified_insns: u32,
    /// Runs counted while BPF_ENABLE_STATS is on.
    pub run_cnt: u64,
    /// Nanoseconds run, ditto.
    pub run_time_ns: u64,
}

/// bpf_prog_info of the program behind `fd`, or the errno.
pub fn prog_info(fd: BorrowedFd<'_>) -> Result<ProgInfo, i32> {
    let mut info = libbpf_sys::bpf_prog_info::default();
    let mut len = std::mem::size_of_val(&info) as u32;
    // SAFETY: `info` is `len` writable bytes and `fd` is open for the call.
    check(unsafe { libbpf_sys::bpf_prog_get_info_by_fd(fd.as_raw_fd(), &mut info, &mut len) })?;
    Ok(ProgInfo {
        id: info.id,
        verified_insns: info.verified_insns,
        run_cnt: info.run_cnt,
        run_time_ns: info.run_time_ns,
    })
}

/// Turns on the kernel's run-time counters until the fd is closed.
pub fn enable_run_stats() -> Result<OwnedFd, i32> {
    // SAFETY: a plain syscall wrapper, no pointers.
    let fd = check(unsafe { libbpf_sys::bpf_enable_stats(libbpf_sys::BPF_STATS_RUN_TIME) })?;
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
