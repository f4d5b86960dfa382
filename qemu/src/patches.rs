//! Kernel patches applied on top of Debian's source before it is configured:
//! which files a `--kernel-patch` names, what of them the cache key hashes, and
//! a failure that names the patch file and the hunk that did not apply.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, IoContext, Result};

/// One patch file, read once: its content is what the cache key hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub path: PathBuf,
    pub text: Vec<u8>,
}

/// The patch files `paths` name, in order: a file as is, a directory as its
/// `*.patch` files in name order (a `git format-patch` series; a file there
/// with no diff in it, such as `0000-cover-letter.patch`, is left out).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<Patch>> {
    let mut out = Vec::new();
    for p in paths {
        let files = if p.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(p)
                .ctx(|| format!("reading patch directory {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "patch") && f.is_file())
                .collect();
            v.sort();
            v
        } else {
            vec![p.clone()]
        };
        let from_dir = p.is_dir();
        let before = out.len();
        for path in files {
            let text = std::fs::read(&path).ctx(|| format!("reading patch {}", path.display()))?;
            if from_dir && !has_diff(&text) {
                eprintln!("[kernel] {} has no diff: left out", path.display());
                continue;
            }
            out.push(Patch { path, text });
        }
        if out.len() == before {
            return Err(Error::NoPatches(p.clone()));
        }
    }
    Ok(out)
}

fn has_diff(text: &[u8]) -> bool {
    String::from_utf8_lossy(text)
        .lines()
        .any(|l| l.starts_with("@@ ") || l.starts_with("diff --git "))
}

/// Feeds the series into a hash: content and order count, file names do not
/// (moving the directory keeps the cached kernel).
pub fn hash_into(h: &mut Sha256, patches: &[Patch]) {
    for p in patches {
        h.update(b"patch\0");
        h.update((p.text.len() as u64).to_le_bytes());
        h.update(&p.text);
    }
}

/// A short, stable name for the series (for labels and the build stamp).
pub fn series_sha256(patches: &[Patch]) -> String {
    let mut h = Sha256::new();
    hash_into(&mut h, patches);
    format!("{:x}", h.finalize())
}

/// Applies the series to `tree` in order, as `patch -p1` without fuzz (what
/// `git apply` accepts: offsets yes, changed context no). Each patch is
/// checked with a dry run first, so a failing one leaves the tree as the
/// patches before it left it, and the error names the file and its hunks.
pub fn apply(tree: &Path, patches: &[Patch]) -> Result<()> {
    for p in patches {
        let check = run_patch(tree, &p.path, true)?;
        if !check.0 {
            return Err(Error::PatchFailed {
                patch: p.path.clone(),
                hunks: failed_hunks(&check.1, &String::from_utf8_lossy(&p.text)).join("\n"),
                output: check.1.trim_end().to_string(),
            });
        }
        let (ok, output) = run_patch(tree, &p.path, false)?;
        if !ok {
            // The dry run passed, so this is the tool itself failing (disk full ...).
            return Err(Error::PatchFailed {
                patch: p.path.clone(),
                hunks: String::new(),
                output: output.trim_end().to_string(),
            });
        }
    }
    Ok(())
}

/// Runs GNU patch on `tree`; whether it succeeded, and what it printed.
fn run_patch(tree: &Path, patch: &Path, dry_run: bool) -> Result<(bool, String)> {
    let mut cmd = Command::new("patch");
    cmd.args([
        "-p1",
        "--forward",
        "--batch",
        "--fuzz=0",
        "--no-backup-if-mismatch",
        "--reject-file=-",
    ])
    .arg("-d")
    .arg(tree)
    .arg("-i")
    .arg(patch.canonicalize().unwrap_or_else(|_| patch.to_path_buf()));
    if dry_run {
        cmd.arg("--dry-run");
    }
    let out = cmd.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            Error::ToolMissing("patch".into(), "apt-get install patch".into())
        }
        _ => Error::Io {
            context: "running patch".into(),
            source: e,
        },
    })?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

/// What GNU patch's output says failed, each as `FILE: HUNK HEADER`, the
/// header looked up in the patch text (patch itself only prints "Hunk #N").
pub fn failed_hunks(output: &str, patch_text: &str) -> Vec<String> {
    let hunks = hunk_headers(patch_text);
    let header = |file: &str, n: usize| {
        hunks
            .iter()
            .find(|(f, _)| f == file)
            .and_then(|(_, hs)| hs.get(n.wrapping_sub(1)))
            .cloned()
            .unwrap_or_else(|| format!("hunk #{n}"))
    };
    let mut file = String::new();
    let mut out = Vec::new();
    for line in output.lines() {
        if let Some(f) = line
            .strip_prefix("checking file ")
            .or_else(|| line.strip_prefix("patching file "))
        {
            file = f.trim().trim_matches(['\'', '"']).to_string();
        } else if let Some(rest) = line.strip_prefix("Hunk #") {
            let n: usize = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|d| d.parse().ok())
                .unwrap_or(0);
            if rest.contains("FAILED") {
                out.push(format!("{file}: {}", header(&file, n)));
            }
        } else if line.contains("can't find file to patch") || line.contains("No file to patch") {
            if !out
                .iter()
                .any(|l: &String| l.ends_with("no such file in the tree"))
            {
                out.push("a file the patch changes: no such file in the tree".into());
            }
        } else if line.contains("Reversed (or previously applied) patch detected") {
            out.push(format!(
                "{}: already applied (or reversed)",
                if file.is_empty() { "?" } else { &file }
            ));
        }
    }
    out
}

/// Each file the patch changes (its name after `-p1`) with its hunks' `@@` lines.
fn hunk_headers(text: &str) -> Vec<(String, Vec<String>)> {
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    let mut old: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("--- ") {
            old = strip_p1(name);
        } else if let Some(name) = line.strip_prefix("+++ ") {
            // A deleted file is named by its old path, as patch names it.
            if let Some(name) = strip_p1(name).or(old.take()) {
                files.push((name, Vec::new()));
            }
        } else if line.starts_with("@@ ") {
            if let Some((_, hs)) = files.last_mut() {
                hs.push(line.to_string());
            }
        }
    }
    files
}

/// `a/mm/oom_kill.c\t(date)` -> `mm/oom_kill.c`; `/dev/null` -> None.
fn strip_p1(name: &str) -> Option<String> {
    let name = name.split('\t').next().unwrap_or(name).trim();
    if name == "/dev/null" {
        return None;
    }
    name.split_once('/').map(|(_, rest)| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const ORIG: &str = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n";

    /// A unified diff of `mm/x.c` from `ORIG`, with two hunks.
    fn two_hunks(first_context: &str) -> String {
        format!(
            "From 0000 Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/2] x\n\n---\n\
             diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n\
             @@ -1,3 +1,4 @@ int first(void)\n {first_context}\n+one and a half\n two\n three\n\
             @@ -8,3 +9,4 @@ int second(void)\n eight\n nine\n+nine and a half\n ten\n\
             -- \n2.39.5\n"
        )
    }

    fn fake_tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("mm")).unwrap();
        fs::write(dir.path().join("mm/x.c"), ORIG).unwrap();
        dir
    }

    fn patch_file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_series_applies_in_name_order() {
        let tree = fake_tree();
        let pdir = tempfile::tempdir().unwrap();
        patch_file(pdir.path(), "0001-a.patch", &two_hunks("one"));
        // Needs 0001's line: it applies only after it.
        patch_file(
            pdir.path(),
            "0002-b.patch",
            "--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1,3 +1,3 @@\n one\n-one and a half\n+one point five\n two\n",
        );
        patch_file(pdir.path(), "README", "not a patch");
        patch_file(
            pdir.path(),
            "0000-cover-letter.patch",
            "Subject: [PATCH 0/2] x\n\n*** BLURB HERE ***\n",
        );
        let series = expand(&[pdir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = series
            .iter()
            .map(|p| p.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["0001-a.patch", "0002-b.patch"]);
        apply(tree.path(), &series).unwrap();
        let got = fs::read_to_string(tree.path().join("mm/x.c")).unwrap();
        assert!(got.starts_with("one\none point five\ntwo\n"), "{got}");
        assert!(got.contains("nine\nnine and a half\nten\n"), "{got}");
        assert!(!tree.path().join("mm/x.c.orig").exists());
    }

    #[test]
    fn a_hunk_that_does_not_apply_is_named_with_its_file_and_header() {
        let tree = fake_tree();
        let pdir = tempfile::tempdir().unwrap();
        let good = patch_file(
            pdir.path(),
            "0001-good.patch",
            "--- a/mm/x.c\n+++ b/mm/x.c\n@@ -4,2 +4,3 @@\n four\n+four and a half\n five\n",
        );
        // Its first hunk's context ("uno") is not in the tree; the second applies.
        let bad = patch_file(pdir.path(), "0002-bad.patch", &two_hunks("uno"));
        let series = expand(&[good, bad.clone()]).unwrap();
        let err = apply(tree.path(), &series).unwrap_err();
        let Error::PatchFailed { patch, hunks, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(patch, &bad);
        assert_eq!(hunks, "mm/x.c: @@ -1,3 +1,4 @@ int first(void)");
        let msg = err.to_string();
        assert!(msg.contains("0002-bad.patch"), "{msg}");
        assert!(msg.contains("@@ -1,3 +1,4 @@ int first(void)"), "{msg}");
        // The good patch stayed applied, the bad one left nothing behind.
        let got = fs::read_to_string(tree.path().join("mm/x.c")).unwrap();
        assert!(got.contains("four and a half"), "{got}");
        assert!(!got.contains("nine and a half"), "{got}");
    }

    #[test]
    fn a_missing_file_and_a_patch_applied_twice_are_named() {
        let tree = fake_tree();
        let pdir = tempfile::tempdir().unwrap();
        let missing = patch_file(
            pdir.path(),
            "missing.patch",
            "--- a/mm/nope.c\n+++ b/mm/nope.c\n@@ -1,1 +1,2 @@\n one\n+two\n",
        );
        let err = apply(tree.path(), &expand(&[missing]).unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("no such file in the tree"),
            "{err}"
        );

        let twice = patch_file(pdir.path(), "twice.patch", &two_hunks("one"));
        let series = expand(&[twice.clone(), twice]).unwrap();
        let err = apply(tree.path(), &series).unwrap_err();
        assert!(err.to_string().contains("already applied"), "{err}");
    }

    #[test]
    fn an_empty_directory_is_an_error_not_an_empty_series() {
        let pdir = tempfile::tempdir().unwrap();
        let err = expand(&[pdir.path().to_path_buf()]).unwrap_err();
        assert!(matches!(err, Error::NoPatches(_)), "{err}");
        patch_file(pdir.path(), "0000-cover-letter.patch", "Subject: x\n");
        let err = expand(&[pdir.path().to_path_buf()]).unwrap_err();
        assert!(
            matches!(err, Error::NoPatches(_)),
            "only a cover letter: {err}"
        );
    }

    #[test]
    fn the_series_hash_follows_content_and_order_not_names() {
        let d = tempfile::tempdir().unwrap();
        let a = expand(&[patch_file(d.path(), "a.patch", "A")]).unwrap();
        let a2 = expand(&[patch_file(d.path(), "renamed.patch", "A")]).unwrap();
        let b = expand(&[patch_file(d.path(), "b.patch", "B")]).unwrap();
        let ab: Vec<Patch> = a.iter().chain(&b).cloned().collect();
        let ba: Vec<Patch> = b.iter().chain(&a).cloned().collect();
        assert_eq!(series_sha256(&a), series_sha256(&a2));
        assert_ne!(series_sha256(&a), series_sha256(&b));
        assert_ne!(series_sha256(&ab), series_sha256(&ba));
    }
}
