//! The kernel log, to see what the OOM report said.

use anyhow::bail;

/// The whole kernel ring buffer, as `dmesg` prints it.
pub fn read_all() -> anyhow::Result<String> {
    const SYSLOG_ACTION_READ_ALL: libc::c_int = 3;
    const SYSLOG_ACTION_SIZE_BUFFER: libc::c_int = 10;
    // SAFETY: SIZE_BUFFER ignores the buffer.
    let size = unsafe { libc::klogctl(SYSLOG_ACTION_SIZE_BUFFER, std::ptr::null_mut(), 0) };
    if size <= 0 {
        bail!("klogctl(SIZE_BUFFER): {}", std::io::Error::last_os_error());
    }
    let mut buf = vec![0u8; size as usize];
    // SAFETY: klogctl writes at most buf.len() bytes into buf.
    let n = unsafe { libc::klogctl(SYSLOG_ACTION_READ_ALL, buf.as_mut_ptr().cast(), size) };
    if n < 0 {
        bail!("klogctl(READ_ALL): {}", std::io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Where the log ends now: what a test prints after this is `since(mark)`.
#[derive(Debug)]
pub struct Mark(usize);

pub fn mark() -> anyhow::Result<Mark> {
    Ok(Mark(read_all()?.len()))
}

/// The log printed since `mark` (all of it if the ring buffer wrapped).
pub fn since(mark: &Mark) -> anyhow::Result<String> {
    let all = read_all()?;
    Ok(all.get(mark.0..).map_or(all.clone(), str::to_string))
}

/// The pids of "Killed process PID (comm) ..." lines in `log`, in the order
/// the kernel printed them: the kernel's own kill line and a policy's
/// ("MESSAGE: Killed process PID ...") alike.
pub fn killed_pids(log: &str) -> Vec<i32> {
    const KILLED: &str = "Killed process ";
    log.match_indices(KILLED)
        .filter_map(|(at, _)| {
            let rest = &log[at + KILLED.len()..];
            let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
            digits.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::killed_pids;

    #[test]
    fn kill_lines_in_order_from_the_kernel_and_a_policy() {
        let log = "\
[   20.1] Memory cgroup out of memory: Killed process 103 (bpf-oom-guest-t) total-vm:1kB\n\
[   20.2] oom_reaper: reaped process 103 (bpf-oom-guest-t), now anon-rss:0kB\n\
[   21.0] largest_leaf: the largest leaf memory cgroup: Killed process 102 (x) total-vm:1kB\n";
        assert_eq!(killed_pids(log), [103, 102]);
    }

    #[test]
    fn no_kill_line_and_no_pid_are_no_kills() {
        assert_eq!(
            killed_pids("Out of memory and no killable processes...\n"),
            []
        );
        assert_eq!(killed_pids("Killed process (x)"), []);
    }
}
