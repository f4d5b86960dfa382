//! The raw socket and namespace calls the tests make, each behind a safe
//! wrapper: what an unmodified application does to use TCP Brutal.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;

/// The module's socket option (level IPPROTO_TCP).
pub const TCP_BRUTAL_PARAMS: i32 = 23301;

/// `struct brutal_params { u64 rate; u32 cwnd_gain; } __packed`, as sent.
pub fn brutal_params(rate: u64, cwnd_gain: u32) -> [u8; 12] {
    let mut b = [0u8; 12];
    b[..8].copy_from_slice(&rate.to_ne_bytes());
    b[8..].copy_from_slice(&cwnd_gain.to_ne_bytes());
    b
}

fn setsockopt(fd: BorrowedFd<'_>, level: i32, name: i32, val: &[u8]) -> io::Result<()> {
    // SAFETY: `val` is readable for its length for the duration of the call.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            val.as_ptr().cast(),
            val.len() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `setsockopt(IPPROTO_TCP, TCP_CONGESTION, name)`.
pub fn set_congestion(fd: BorrowedFd<'_>, name: &str) -> io::Result<()> {
    setsockopt(fd, libc::IPPROTO_TCP, libc::TCP_CONGESTION, name.as_bytes())
}

/// `setsockopt(IPPROTO_TCP, TCP_BRUTAL_PARAMS, bytes)`; `bytes` is normally
/// [`brutal_params`], shorter to provoke the length check.
pub fn set_brutal_raw(fd: BorrowedFd<'_>, bytes: &[u8]) -> io::Result<()> {
    setsockopt(fd, libc::IPPROTO_TCP, TCP_BRUTAL_PARAMS, bytes)
}

/// The socket's congestion control, `getsockopt(TCP_CONGESTION)`.
pub fn congestion(fd: BorrowedFd<'_>) -> io::Result<String> {
    let mut buf = [0u8; 16];
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: `buf` is writable for `len` bytes, `len` is a valid out-pointer.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    let name = &buf[..len as usize];
    let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    Ok(String::from_utf8_lossy(&name[..end]).into_owned())
}

/// A fresh, unconnected IPv4 TCP socket.
pub fn tcp_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; a non-negative result is a new fd we own.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket() and is owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Moves the calling thread into the network namespace bound at `path`
/// (`/run/netns/NAME`); sockets it creates afterwards live there.
pub fn enter_netns(path: &Path) -> io::Result<()> {
    let f = std::fs::File::open(path)?;
    // SAFETY: `f` is an open namespace file; setns only affects this thread.
    if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sends SIGINT to `pid` (a child we spawned).
pub fn interrupt(pid: u32) -> io::Result<()> {
    // SAFETY: plain syscall on our own child's pid.
    if unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
