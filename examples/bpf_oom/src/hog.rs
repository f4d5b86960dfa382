//! Memory hogs: forked children (no exec, so the test binary's own pages stay
//! charged to the root cgroup) that move into a cgroup, set oom_score_adj,
//! and touch a given amount of anonymous memory.

use anyhow::{bail, Context};
use std::ffi::CString;
use std::time::{Duration, Instant};

const PAGE: usize = 4096;

/// A forked hog.
#[derive(Debug)]
pub struct Hog {
    pub pid: i32,
    reaped: Option<libc::c_int>,
}

/// How a hog ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Running,
    Exited(i32),
    Killed(i32),
}

/// Writes all of `bytes` to the file at `path`; only async-signal-safe calls.
fn put(path: &CString, bytes: &[u8]) -> bool {
    // SAFETY: a NUL-terminated path; `bytes` is valid for its length.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY);
        if fd < 0 {
            return false;
        }
        let ok = libc::write(fd, bytes.as_ptr().cast(), bytes.len()) == bytes.len() as isize;
        libc::close(fd);
        ok
    }
}

/// The child's whole life; never returns.
fn child(
    procs: &CString,
    adj: &CString,
    adj_value: &[u8],
    mib: usize,
    ready: libc::c_int,
    hold: bool,
) -> ! {
    // No exec, so nothing is closed on exec: drop every inherited descriptor
    // but the pipe, or a copy of a BPF link fd would keep a policy attached.
    // SAFETY: dup2 and close_range only touch this process's descriptors.
    let ready = unsafe {
        if libc::dup2(ready, 3) != 3 {
            libc::_exit(4);
        }
        libc::syscall(libc::SYS_close_range, 4u32, u32::MAX, 0u32);
        3
    };
    // "0" moves the writing process itself.
    if !put(procs, b"0") || !put(adj, adj_value) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(2) };
    }
    let len = mib << 20;
    // SAFETY: a fresh private anonymous mapping; pages are touched inside it.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            libc::_exit(3);
        }
        let p = p.cast::<u8>();
        let mut off = 0;
        while off < len {
            std::ptr::write_volatile(p.add(off), 1);
            off += PAGE;
        }
        if !hold {
            libc::_exit(0);
        }
        libc::write(ready, b"r".as_ptr().cast(), 1);
        loop {
            libc::pause();
        }
    }
}

impl Hog {
    fn fork(procs: CString, mib: usize, adj: i32, hold: bool) -> anyhow::Result<Self> {
        let adj_path = CString::new("/proc/self/oom_score_adj").expect("no NUL");
        let adj_value = adj.to_string().into_bytes();
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(std::io::Error::last_os_error()).context("pipe2");
        }
        let [r, w] = fds;
        // SAFETY: the child runs only async-signal-safe calls (see `child`).
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(std::io::Error::last_os_error()).context("fork");
        }
        if pid == 0 {
            // SAFETY: the child's copy of the read end.
            unsafe { libc::close(r) };
            child(&procs, &adj_path, &adj_value, mib, w, hold);
        }
        // SAFETY: the parent's copy of the write end.
        unsafe { libc::close(w) };
        let hog = Hog { pid, reaped: None };
        if hold {
            let mut b = 0u8;
            // SAFETY: one byte into `b`; EOF means the child died first.
            let n = unsafe { libc::read(r, (&mut b as *mut u8).cast(), 1) };
            // SAFETY: our read end.
            unsafe { libc::close(r) };
            if n != 1 {
                bail!("hog {pid} ({mib} MiB) died before it was ready");
            }
        } else {
            // SAFETY: our read end.
            unsafe { libc::close(r) };
        }
        Ok(hog)
    }

    /// A hog that touches `mib` MiB in the cgroup whose cgroup.procs is
    /// `procs` and stays until killed; returns once its memory is touched.
    pub fn holding(procs: CString, mib: usize, adj: i32) -> anyhow::Result<Self> {
        Self::fork(procs, mib, adj, true)
    }

    /// A hog that touches `mib` MiB and exits 0 (if it lives that long).
    pub fn passing(procs: CString, mib: usize, adj: i32) -> anyhow::Result<Self> {
        Self::fork(procs, mib, adj, false)
    }

    /// A SCHED_FIFO busy loop on `cpu`, in the test's own cgroup, until
    /// killed: with RT throttling off (kernel.sched_rt_runtime_us = -1) a
    /// fair task pinned beside it does not run at all.
    pub fn spinning_fifo(cpu: usize) -> anyhow::Result<Self> {
        // SAFETY: the child makes only raw syscalls, then spins.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(std::io::Error::last_os_error()).context("fork");
        }
        if pid == 0 {
            if pin(0, cpu, -20).is_err() || fifo_self().is_err() {
                // SAFETY: _exit is async-signal-safe.
                unsafe { libc::_exit(2) };
            }
            loop {
                std::hint::spin_loop();
            }
        }
        Ok(Hog { pid, reaped: None })
    }

    /// How it ended, without waiting.
    pub fn poll(&mut self) -> anyhow::Result<End> {
        if self.reaped.is_none() {
            let mut status = 0;
            // SAFETY: our own child; `status` is writable.
            let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
            if r < 0 {
                return Err(std::io::Error::last_os_error()).context("waitpid");
            }
            if r == self.pid {
                self.reaped = Some(status);
            }
        }
        Ok(match self.reaped {
            None => End::Running,
            Some(s) if libc::WIFSIGNALED(s) => End::Killed(libc::WTERMSIG(s)),
            Some(s) => End::Exited(libc::WEXITSTATUS(s)),
        })
    }

    /// Waits up to `timeout` for it to end; `End::Running` if it did not.
    pub fn wait(&mut self, timeout: Duration) -> anyhow::Result<End> {
        let until = Instant::now() + timeout;
        loop {
            let e = self.poll()?;
            if e != End::Running || Instant::now() >= until {
                return Ok(e);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn killed(&mut self) -> anyhow::Result<bool> {
        Ok(self.poll()? == End::Killed(libc::SIGKILL))
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        if self.reaped.is_none() {
            // SAFETY: our own child, not yet reaped, so the pid is still ours.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
            let _ = self.wait(Duration::from_secs(10));
        }
    }
}

/// Pins process `pid` (0: the caller) to `cpu` at `nice`.
/// The calling process to SCHED_FIFO priority 1.
fn fifo_self() -> std::io::Result<()> {
    let param = libc::sched_param { sched_priority: 1 };
    // SAFETY: `param` is a valid sched_param for the duration of the call.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

pub fn pin(pid: i32, cpu: usize, nice: i32) -> std::io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is the empty set; CPU_SET stays inside it.
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        set
    };
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    if unsafe { libc::sched_setaffinity(pid, std::mem::size_of_val(&set), &set) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: plain syscall on a pid; no memory is passed.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, pid as libc::id_t, nice) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
