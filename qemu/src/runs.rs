//! Run directories: one per boot under `<cache>/runs/`, the newest kept for
//! inspection, and those asked for with `--keep` kept until removed by hand.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{IoContext, Result};

/// How many unmarked run directories stay.
const KEEP: usize = 30;
/// A run directory holding this file is never pruned (`--keep`).
pub const KEPT_MARKER: &str = "kept";

/// A fresh directory for one boot, after pruning the oldest unmarked ones.
pub fn new_run_dir(cache: &Path, keep: bool) -> Result<PathBuf> {
    let runs = cache.join("runs");
    fs::create_dir_all(&runs).ctx(|| format!("creating {}", runs.display()))?;
    prune(&runs, KEEP);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    // Two boots of one run may start within the same millisecond.
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let dir = runs.join(format!("{stamp}-{}-{seq}", std::process::id()));
    fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
    if keep {
        let marker = dir.join(KEPT_MARKER);
        fs::write(
            &marker,
            "kept by --keep: modless-qemu never removes this directory\n",
        )
        .ctx(|| format!("writing {}", marker.display()))?;
    }
    Ok(dir)
}

/// Removes all but the `keep` newest run directories without a marker
/// (names start with the time in milliseconds, so name order is age order).
fn prune(runs: &Path, keep: usize) {
    let Ok(entries) = fs::read_dir(runs) else {
        return;
    };
    let mut old: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && !p.join(KEPT_MARKER).exists())
        .collect();
    old.sort();
    for p in old.iter().take(old.len().saturating_sub(keep)) {
        let _ = fs::remove_dir_all(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_spares_the_newest_and_the_kept() {
        let cache = tempfile::tempdir().unwrap();
        let runs = cache.path().join("runs");
        for (name, kept) in [
            ("100-1", true),
            ("200-1", false),
            ("300-1", false),
            ("400-1", false),
        ] {
            fs::create_dir_all(runs.join(name)).unwrap();
            if kept {
                fs::write(runs.join(name).join(KEPT_MARKER), "").unwrap();
            }
        }
        prune(&runs, 2);
        let mut left: Vec<String> = fs::read_dir(&runs)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["100-1", "300-1", "400-1"]);

        let kept = new_run_dir(cache.path(), true).unwrap();
        assert!(kept.join(KEPT_MARKER).is_file());
        let plain = new_run_dir(cache.path(), false).unwrap();
        assert!(plain.is_dir() && !plain.join(KEPT_MARKER).exists());
    }
}
