//! Writing generated files touches only what changed, so a build that
//! tracks them (cargo's rerun-if-changed, make) does not redo work.

use std::path::Path;
use std::time::{Duration, SystemTime};

fn jobd() -> modless_gen::Generated {
    let decl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/jobd/jobd.toml");
    modless_gen::generate(&modless_decl::load(&decl).unwrap()).unwrap()
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p).unwrap().modified().unwrap()
}

#[test]
fn rewriting_identical_output_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let generated = jobd();
    let first = generated.write_to(dir.path()).unwrap();
    assert_eq!(first.len(), generated.files.len());

    // Backdate every file so that any rewrite would show in its mtime.
    let old = SystemTime::now() - Duration::from_secs(3600);
    for p in &first {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    assert_eq!(
        generated.write_to(dir.path()).unwrap(),
        Vec::<std::path::PathBuf>::new()
    );
    for p in &first {
        assert_eq!(mtime(p), old, "{} was rewritten", p.display());
    }
}

#[test]
fn a_changed_file_alone_is_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let generated = jobd();
    generated.write_to(dir.path()).unwrap();
    let header = dir.path().join("jobd.bpf.h");
    std::fs::write(&header, "stale\n").unwrap();
    assert_eq!(
        generated.write_to(dir.path()).unwrap(),
        vec![header.clone()]
    );
    assert_eq!(
        std::fs::read_to_string(&header).unwrap(),
        generated.get("jobd.bpf.h").unwrap()
    );
}
