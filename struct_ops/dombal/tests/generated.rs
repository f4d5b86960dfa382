//! The committed `generated/` is exactly what the generator produces from
//! `sched_ext.toml` (the declaration `modless import` wrote from the 7.3
//! vmlinux). After an intended change, regenerate with
//! `cargo run -p modless-cli -- gen struct_ops/dombal/sched_ext.toml --out struct_ops/dombal/generated`.

use std::path::{Path, PathBuf};

fn here(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn sched_ext_output_matches_committed_files() {
    let decl = modless_decl::load(&here("sched_ext.toml")).expect("sched_ext.toml loads");
    decl.validate().expect("sched_ext.toml validates");
    let generated = modless_gen::generate(&decl).expect("generates");
    assert!(generated.get("sched_ext.bpf.h").is_some());
    for a in &generated.files {
        let committed = std::fs::read_to_string(here("generated").join(&a.path))
            .unwrap_or_else(|e| panic!("generated/{}: {e}", a.path));
        assert!(
            committed == a.contents,
            "generated/{} differs from the generator's output (regenerate it)",
            a.path
        );
    }
    let on_disk = std::fs::read_dir(here("generated")).unwrap().count();
    assert_eq!(
        on_disk,
        generated.files.len(),
        "stale files in struct_ops/dombal/generated"
    );
}
