//! Loading and unloading a subsystem's kernel module (finit_module /
//! delete_module), for tests and tools in a guest without kmod.

use std::ffi::CString;
use std::io;
use std::path::Path;

use crate::sys;

/// Whether module `name` is loaded (`/sys/module/NAME` exists).
pub fn is_loaded(name: &str) -> bool {
    Path::new("/sys/module").join(name).exists()
}

/// Loads the module file `ko` with `params` (`""` for none).
pub fn load(ko: &Path, params: &str) -> io::Result<()> {
    let file = std::fs::File::open(ko)?;
    let params = CString::new(params).map_err(|_| io::ErrorKind::InvalidInput)?;
    sys::finit_module(&file, &params)
}

/// Tries once to unload module `name`; the error is the kernel's (EBUSY
/// while something holds it).
pub fn unload(name: &str) -> io::Result<()> {
    let name = CString::new(name).map_err(|_| io::ErrorKind::InvalidInput)?;
    sys::delete_module(&name)
}
