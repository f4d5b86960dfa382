//! Host paths the guest would otherwise hide. The guest covers `COVERED`
//! with empty tmpfs (the root is read-only), so a program or suite the user
//! names there (`-- /tmp/x/prog`) would be "not found" although it exists on
//! the host. Each such path's directory is shown read-only at its own path
//! on top of the tmpfs instead ("views"); everything else under `COVERED` stays
//! scratch space.

use std::path::{Path, PathBuf};

/// What the guest's init mounts a fresh tmpfs on.
pub const COVERED: &[&str] = &["/tmp", "/run", "/var/tmp", "/root"];

/// The host paths to show read-only in the guest for these command-line
/// words: every one that names an existing path (absolute, relative to `cwd`,
/// or after `--opt=`) inside a covered directory and outside `shared` (the
/// directories the guest mounts at their own paths anyway). A file's whole
/// directory is shown, so its neighbours (libraries, data) come along, unless
/// that directory is a covered one itself.
pub fn views(words: &[&str], cwd: &Path, shared: &[&Path]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = words
        .iter()
        .flat_map(|w| candidates(w))
        .filter_map(|p| cwd.join(p).canonicalize().ok())
        .filter_map(|p| view_of(&p, shared))
        .collect();
    out.sort();
    out.dedup();
    // A view inside another one is already visible.
    let all = out.clone();
    out.retain(|p| !all.iter().any(|q| q != p && p.starts_with(q)));
    out
}

/// The paths a command-line word may name: the word, and what follows
/// `=` in an option. A bare word (`sh`, `true`) is a command, not a path.
fn candidates(word: &str) -> impl Iterator<Item = &str> {
    let after_eq = word.split_once('=').map(|(_, v)| v);
    [Some(word), after_eq]
        .into_iter()
        .flatten()
        .filter(|w| w.contains('/'))
}

fn view_of(path: &Path, shared: &[&Path]) -> Option<PathBuf> {
    if shared.iter().any(|s| path.starts_with(s)) {
        return None;
    }
    let covered = COVERED
        .iter()
        .map(Path::new)
        .find(|c| path.starts_with(c) && path != *c)?;
    if path.is_dir() {
        return Some(path.to_path_buf());
    }
    match path.parent() {
        Some(dir) if dir != covered => Some(dir.to_path_buf()),
        _ => Some(path.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn in_tmp() -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix("modless-views")
            .tempdir_in("/tmp")
            .unwrap()
    }

    #[test]
    fn a_program_under_tmp_brings_its_directory() {
        let d = in_tmp();
        let prog = d.path().join("bin/prog");
        fs::create_dir_all(prog.parent().unwrap()).unwrap();
        fs::write(&prog, "").unwrap();
        let arg = format!("--data={}", d.path().join("bin").display());
        let words = ["sh", "-c", "true", prog.to_str().unwrap(), &arg];
        let got = views(&words, Path::new("/"), &[]);
        assert_eq!(got, [d.path().join("bin")]);
    }

    #[test]
    fn relative_paths_resolve_from_the_working_directory() {
        let d = in_tmp();
        fs::create_dir_all(d.path().join("a")).unwrap();
        fs::write(d.path().join("b"), "").unwrap();
        let got = views(&["../b"], &d.path().join("a"), &[]);
        assert_eq!(got, [d.path().to_path_buf()]);
    }

    #[test]
    fn shared_missing_and_uncovered_paths_need_no_view() {
        let d = in_tmp();
        fs::write(d.path().join("f"), "").unwrap();
        let f = d.path().join("f");
        let missing = d.path().join("nope");
        let words = [
            f.to_str().unwrap(),
            missing.to_str().unwrap(),
            "/usr/bin/env",
            "/tmp",
            "./f",
        ];
        // The working directory is shared already: nothing to add.
        assert!(views(&words, d.path(), &[d.path()]).is_empty());
        assert_eq!(views(&["/tmp"], Path::new("/"), &[]), Vec::<PathBuf>::new());
    }

    #[test]
    fn a_file_directly_in_a_covered_directory_is_shown_alone() {
        let f = tempfile::NamedTempFile::new_in("/tmp").unwrap();
        let got = views(&[f.path().to_str().unwrap()], Path::new("/"), &[]);
        assert_eq!(got, [f.path().to_path_buf()]);
    }

    #[test]
    fn nested_views_collapse_into_the_outer_one() {
        let d = in_tmp();
        fs::create_dir_all(d.path().join("x/y")).unwrap();
        let outer = d.path().join("x");
        let inner = d.path().join("x/y");
        let got = views(
            &[inner.to_str().unwrap(), outer.to_str().unwrap()],
            Path::new("/"),
            &[],
        );
        assert_eq!(got, [outer]);
    }
}
