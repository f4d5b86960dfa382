//! Which kernel release a `--btf` file belongs to, for the checks that
//! depend on it (`KF_*` flags a release removed).

use std::path::Path;

use modless_decl::KernelRelease;

/// The release of the kernel `btf` (or its `base`, for a module) comes
/// from: the `Linux version` banner of a vmlinux ELF, or the running
/// kernel's for `/sys/kernel/btf/...`; `None` for raw BTF files.
pub fn of(btf: &Path, base: Option<&Path>) -> Option<KernelRelease> {
    let file = base.unwrap_or(btf);
    if file.starts_with("/sys/kernel/btf") {
        let running = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
        return KernelRelease::parse(running.trim());
    }
    let bytes = std::fs::read(file).ok()?;
    if !bytes.starts_with(b"\x7fELF") {
        return None;
    }
    KernelRelease::from_banner(&bytes)
}
