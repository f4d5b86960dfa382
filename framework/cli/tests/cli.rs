use std::path::{Path, PathBuf};
use std::process::Command;

fn jobd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/jobd")
}

fn modless() -> Command {
    Command::new(env!("CARGO_BIN_EXE_modless"))
}

#[test]
fn check_accepts_jobd() {
    let out = modless()
        .arg("check")
        .arg(jobd().join("jobd.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_reports_file_line_col_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(jobd().join("jobd.toml")).unwrap();
    let text = text.replace(
        "ops = [\"select_domain\", \"balance\"]",
        "ops = [\"select_domian\"]",
    );
    std::fs::write(&bad, &text).unwrap();
    let out = modless().arg("check").arg(&bad).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = text
        .lines()
        .position(|l| l.contains("bpf_jobd_job_acquire(u64 id)"))
        .unwrap()
        + 1;
    let want = format!("{}:{line}:", bad.display());
    let first = stderr.lines().next().unwrap();
    assert!(
        first.starts_with(&want) && first.contains(": error: kfunc `bpf_jobd_job_acquire`"),
        "{stderr}"
    );
    assert!(first.contains("select_domian"), "{stderr}");
}

#[test]
fn gen_reproduces_the_committed_jobd_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = modless()
        .arg("gen")
        .arg(jobd().join("jobd.toml"))
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut n = 0;
    for entry in std::fs::read_dir(jobd().join("generated")).unwrap() {
        let entry = entry.unwrap();
        let fresh = std::fs::read(dir.path().join(entry.file_name())).unwrap();
        assert!(
            fresh == std::fs::read(entry.path()).unwrap(),
            "{:?} differs",
            entry.file_name()
        );
        n += 1;
    }
    assert_eq!(n, std::fs::read_dir(dir.path()).unwrap().count());
}
