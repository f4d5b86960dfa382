//! The on-disk cache: generated vmlinux.h files and libbpf headers.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{BuildError, Result};

/// Environment variable overriding the cache root, for every modless tool
/// (the QEMU harness keeps its kernels under it too).
pub const CACHE_ENV: &str = "MODLESS_CACHE";

/// The name bpf-build used before; still read when `MODLESS_CACHE` is unset.
pub const OLD_CACHE_ENV: &str = "MODLESS_CACHE_DIR";

/// The cache root: `$MODLESS_CACHE` (or the old `$MODLESS_CACHE_DIR`), else
/// `$XDG_CACHE_HOME/modless`, else `$HOME/.cache/modless`.
pub fn cache_root() -> Option<PathBuf> {
    cache_root_from(|k| std::env::var_os(k))
}

fn cache_root_from(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let env = |k| var(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    env(CACHE_ENV)
        .or_else(|| env(OLD_CACHE_ENV))
        .or_else(|| env("XDG_CACHE_HOME").map(|p| p.join("modless")))
        .or_else(|| env("HOME").map(|p| p.join(".cache/modless")))
}

/// [`cache_root`] (else `<tmp>/modless-cache`); this crate uses its
/// `bpf-build/` subdirectory.
pub fn default_cache_dir() -> PathBuf {
    cache_root()
        .unwrap_or_else(|| std::env::temp_dir().join("modless-cache"))
        .join("bpf-build")
}

/// First 16 bytes of a digest as hex: short, still collision-free in practice.
pub(crate) fn short_hex(digest: &[u8]) -> String {
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Returns the directory holding `vmlinux.h` generated from `btf` (split on
/// `base` when given), generating it on first use. The key hashes the BTF
/// file contents and this crate's version (the header format).
pub(crate) fn cached_vmlinux_h(cache: &Path, btf: &Path, base: Option<&Path>) -> Result<PathBuf> {
    let mut h = Sha256::new();
    h.update(concat!("modless-btf-header/", env!("CARGO_PKG_VERSION")).as_bytes());
    for file in std::iter::once(btf).chain(base) {
        let data = std::fs::read(file).map_err(|source| BuildError::Cache {
            path: file.to_path_buf(),
            source,
        })?;
        h.update((data.len() as u64).to_le_bytes());
        h.update(&data);
    }
    let dir = cache.join("vmlinux").join(short_hex(&h.finalize()));
    let header = dir.join("vmlinux.h");
    if !header.exists() {
        std::fs::create_dir_all(&dir).map_err(|source| BuildError::Cache {
            path: dir.clone(),
            source,
        })?;
        modless_btf::write_vmlinux_h(btf, base, &header)?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(vars: &[(&str, &str)]) -> Option<PathBuf> {
        cache_root_from(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| std::ffi::OsString::from(v))
        })
    }

    #[test]
    fn one_variable_names_the_cache_and_the_old_one_still_works() {
        let all = [
            ("MODLESS_CACHE", "/c"),
            ("MODLESS_CACHE_DIR", "/old"),
            ("HOME", "/h"),
        ];
        assert_eq!(root(&all), Some(PathBuf::from("/c")));
        assert_eq!(root(&all[1..]), Some(PathBuf::from("/old")));
        assert_eq!(root(&all[2..]), Some(PathBuf::from("/h/.cache/modless")));
        assert_eq!(
            root(&[("MODLESS_CACHE", ""), ("HOME", "/h")]),
            Some(PathBuf::from("/h/.cache/modless"))
        );
        assert_eq!(root(&[]), None);
    }
}
