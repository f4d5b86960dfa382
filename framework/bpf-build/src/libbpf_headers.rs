//! libbpf's BPF-side headers, embedded at build time (see `build.rs`).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{BuildError, Result};

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_bytes!(concat!(env!("OUT_DIR"), "/libbpf-headers/", $name)) as &[u8])),*]
    };
}

/// `(file name, contents)` of the headers BPF programs include as
/// `<bpf/NAME>`, from the libbpf version vendored by libbpf-sys.
pub const LIBBPF_HEADERS: [(&str, &[u8]); 5] = embed!(
    "bpf_helpers.h",
    "bpf_helper_defs.h",
    "bpf_tracing.h",
    "bpf_core_read.h",
    "bpf_endian.h",
);

/// Writes the embedded headers to `<root>/bpf/*.h`, so that `-I <root>`
/// makes `#include <bpf/bpf_helpers.h>` work. Files already up to date are
/// left alone; others are replaced atomically.
pub fn install_libbpf_headers(root: &Path) -> Result<()> {
    let dir = root.join("bpf");
    std::fs::create_dir_all(&dir).map_err(|source| BuildError::Cache {
        path: dir.clone(),
        source,
    })?;
    for (name, contents) in LIBBPF_HEADERS {
        let path = dir.join(name);
        if std::fs::read(&path).is_ok_and(|old| old == contents) {
            continue;
        }
        modless_btf::write_atomically(&path, contents)?;
    }
    Ok(())
}

/// A cache directory holding the headers, named by their content hash so
/// different libbpf versions never overwrite each other.
pub(crate) fn cached_libbpf_headers(cache: &Path) -> Result<PathBuf> {
    let mut h = Sha256::new();
    for (name, contents) in LIBBPF_HEADERS {
        h.update(name.as_bytes());
        h.update((contents.len() as u64).to_le_bytes());
        h.update(contents);
    }
    let root = cache
        .join("libbpf-headers")
        .join(crate::cache::short_hex(&h.finalize()));
    install_libbpf_headers(&root)?;
    Ok(root)
}
