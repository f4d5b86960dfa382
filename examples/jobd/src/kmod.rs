//! Loading and unloading jobd.ko without kmod: finit_module/delete_module.

use anyhow::{bail, Context};
use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

pub const MODULE: &str = "jobd";

pub fn loaded() -> bool {
    Path::new("/sys/module/jobd").exists()
}

/// Loads the module built next to the sources unless it is already loaded.
pub fn ensure_loaded() -> anyhow::Result<()> {
    if loaded() {
        return Ok(());
    }
    let ko = Path::new(env!("CARGO_MANIFEST_DIR")).join("module/jobd.ko");
    let f = File::open(&ko).with_context(|| {
        format!(
            "opening {} (scripts/build-modules.sh builds it)",
            ko.display()
        )
    })?;
    let params = CString::new("").unwrap();
    // SAFETY: finit_module reads the module from an open descriptor and a
    // NUL-terminated parameter string; neither outlives the call.
    let rc = unsafe { libc::syscall(libc::SYS_finit_module, f.as_raw_fd(), params.as_ptr(), 0) };
    if rc != 0 {
        bail!(
            "finit_module({}): {}",
            ko.display(),
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// Tries to unload the module once; the error is the kernel's (EBUSY while in use).
pub fn unload() -> std::io::Result<()> {
    let name = CString::new(MODULE).unwrap();
    // SAFETY: delete_module takes a NUL-terminated name and flags.
    let rc = unsafe { libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
