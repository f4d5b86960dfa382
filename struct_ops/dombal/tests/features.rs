//! The one dombal.bpf.o against each cached kernel's BTF (`modless check
//! --btf K --object`'s resolver): no call fails the load, and every
//! operation a kernel lacks is one dombal has a fallback for.

use std::path::PathBuf;

/// The one object (the broken twin is the same object configured apart).
const OBJECTS: [&str; 1] = [concat!(env!("OUT_DIR"), "/dombal.bpf.o")];

/// The cached kernel trees' vmlinux whose directory starts with `version`.
fn vmlinux(version: &str) -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME");
    let dir = PathBuf::from(home).join(".cache/modless/kernels");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(version))
                && p.join("linux/vmlinux").exists()
        })
        .unwrap_or_else(|| panic!("no {version} kernel under {}", dir.display()))
        .join("linux/vmlinux")
}

#[test]
#[ignore = "needs dombal.bpf.o and the 6.12 and 7.3 kernels built in ~/.cache/modless/kernels"]
fn every_missing_operation_has_a_fallback_on_every_kernel() {
    let decl =
        modless_decl::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sched_ext.toml"))
            .expect("sched_ext.toml loads");
    let fallbacks: Vec<&str> = dombal::features::FALLBACKS
        .iter()
        .map(|(op, _)| *op)
        .collect();
    for (version, missing) in [
        ("6.12", vec!["__scx_bpf_select_cpu_and", "scx_bpf_now"]),
        ("7.3", vec![]),
    ] {
        let kernel = modless_btf::Btf::open(vmlinux(version), None).expect("kernel BTF");
        for obj in OBJECTS {
            let bytes = std::fs::read(obj).expect(obj);
            let calls = modless_import::resolve(&bytes, obj, &kernel, decl.compat.as_ref())
                .expect("resolves");
            let failing: Vec<String> = calls
                .iter()
                .filter(|c| c.fails_load())
                .map(|c| c.to_string())
                .collect();
            assert!(failing.is_empty(), "{version} {obj}: {failing:#?}");
            let mut unbound: Vec<&str> = calls
                .iter()
                .filter(|c| c.via.is_none())
                .map(|c| c.name.as_str())
                .collect();
            unbound.sort_unstable();
            assert_eq!(unbound, missing, "{version} {obj}");
            for op in unbound {
                assert!(
                    fallbacks.contains(&op),
                    "{version}: {op} has no fallback in dombal"
                );
            }
        }
    }
}
