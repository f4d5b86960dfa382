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
