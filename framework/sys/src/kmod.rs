//! finit_module(2) and delete_module(2): loading a subsystem's module
//! without kmod (the guest has no modprobe).

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

fn result(rc: libc::c_long) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Loads the module read from `ko` with parameter string `params`.
pub fn finit_module(ko: &File, params: &CStr) -> io::Result<()> {
    // SAFETY: the fd is open and the parameter string NUL-terminated for
    // the call; the kernel reads both and keeps neither.
    result(unsafe { libc::syscall(libc::SYS_finit_module, ko.as_raw_fd(), params.as_ptr(), 0) })
}

/// Unloads module `name` without waiting (EBUSY while it is in use).
pub fn delete_module(name: &CStr) -> io::Result<()> {
    // SAFETY: a NUL-terminated name and plain flags.
    result(unsafe { libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK) })
}
