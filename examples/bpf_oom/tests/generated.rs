//! The committed glue is exactly what modless generates from bpf_oom.toml:
//! generated/ file for file, and patch 0001's new files (mm/bpf_oom.c,
//! include/linux/bpf_oom.h), so the patch series' "0001 is generated" holds.
//! Regenerate with the commands in README.md.

use std::path::{Path, PathBuf};

fn example(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn generated() -> modless_gen::Generated {
    let decl = modless_decl::load(&example("bpf_oom.toml")).expect("bpf_oom.toml loads");
    modless_gen::generate(&decl).expect("bpf_oom.toml generates")
}

/// The contents of the file a patch creates at `path` (its `+` lines).
fn new_file_in_patch(patch: &str, path: &str) -> Option<String> {
    let header = format!("+++ b/{path}\n");
    let start = patch.find(&header)? + header.len();
    let body = &patch[start..];
    let end = body.find("\ndiff --git ").map_or(body.len(), |e| e + 1);
    let mut out = String::new();
    for line in body[..end].lines() {
        if let Some(l) = line.strip_prefix('+') {
            out.push_str(l);
            out.push('\n');
        } else if line.starts_with("-- ") || line == "--" {
            break;
        }
    }
    Some(out)
}

#[test]
fn generated_dir_matches_the_generator() {
    let g = generated();
    for a in &g.files {
        let committed = std::fs::read_to_string(example("generated").join(&a.path))
            .unwrap_or_else(|e| panic!("generated/{}: {e}", a.path));
        assert!(
            committed == a.contents,
            "generated/{} differs from modless gen",
            a.path
        );
    }
}

#[test]
fn patch_0001_carries_the_generated_kernel_files() {
    let dir = example("patches");
    let first = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("0001-"))
        })
        .expect("patches/0001-*.patch exists");
    let patch = std::fs::read_to_string(&first).unwrap();
    let g = generated();
    for path in ["mm/bpf_oom.c", "include/linux/bpf_oom.h"] {
        let want = g
            .get(path)
            .unwrap_or_else(|| panic!("the generator makes {path}"));
        let got = new_file_in_patch(&patch, path)
            .unwrap_or_else(|| panic!("{} creates {path}", first.display()));
        assert!(
            got == want,
            "{path} in {} differs from modless gen",
            first.display()
        );
    }
}
