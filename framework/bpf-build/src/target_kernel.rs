//! Which kernel BPF programs are built for when the caller does not say.
//!
//! Programs for a subsystem or for sched_ext need the *target* kernel's types,
//! not the host's: the QEMU harness builds that kernel and caches its tree.

use std::path::PathBuf;

/// Names the built kernel tree to compile against (its `vmlinux` has the BTF).
pub const KERNEL_TREE_ENV: &str = "MODLESS_KERNEL_TREE";

/// `$MODLESS_KERNEL_TREE`, else the newest kernel version built in the
/// harness's cache ([`crate::cache_root`]: `$MODLESS_CACHE` or `~/.cache/modless`, `kernels/*/linux`
/// with a `ready.json`; the most recent build among equal versions), else `None`.
pub fn target_kernel_tree() -> Option<PathBuf> {
    if let Some(t) = std::env::var_os(KERNEL_TREE_ENV) {
        return Some(PathBuf::from(t));
    }
    let cache = crate::cache::cache_root()?;
    std::fs::read_dir(cache.join("kernels"))
        .ok()?
        .filter_map(|e| {
            let dir = e.ok()?.path();
            let ready = std::fs::metadata(dir.join("ready.json"))
                .ok()?
                .modified()
                .ok()?;
            let version = version_of(&dir.file_name()?.to_string_lossy());
            let tree = dir.join("linux");
            tree.join("vmlinux")
                .is_file()
                .then_some(((version, ready), tree))
        })
        .max()
        .map(|(_, tree)| tree)
}

/// The leading numbers of a cache entry's name: "7.3.4-1_bpo13_1-<hash>" is [7, 3, 4].
fn version_of(entry: &str) -> Vec<u32> {
    entry
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .split('.')
        .map_while(|n| n.parse().ok())
        .collect()
}

/// The target kernel's `vmlinux` (ELF with `.BTF`), if a tree is known.
pub fn target_vmlinux() -> Option<PathBuf> {
    target_kernel_tree().map(|t| t.join("vmlinux"))
}

#[cfg(test)]
mod tests {
    use super::version_of;

    #[test]
    fn newer_kernel_versions_sort_higher() {
        assert!(
            version_of("7.3.4-1_bpo13_1-12107f4491cf")
                > version_of("6.12.117-1_deb12u1-12107f4491cf")
        );
        assert!(version_of("6.12.117-1") > version_of("6.12.9-1"));
        assert_eq!(version_of("junk"), Vec::<u32>::new());
    }
}
