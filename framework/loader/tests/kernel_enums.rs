//! `.rodata` globals filled with kernel enum values at open (scx's
//! `__SCX_DSQ_LOCAL` convention and the `modless:kernel_enum=` tag), with
//! an object's own BTF standing in for the kernel's: no kernel needed.

use std::path::{Path, PathBuf};

use modless_loader::{KernelEnum, LoadError, OpenExtension};

#[cfg(modless_bpf_objects)]
modless_loader::skeleton!(mod skel = "kernel_enums");

fn object(name: &str) -> PathBuf {
    Path::new(env!("OUT_DIR")).join(format!("{name}.bpf.o"))
}

/// The kernel BTF: kernel_enums.bpf.o's own, which defines the enums.
fn kernel() -> PathBuf {
    object("kernel_enums")
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn named_and_tagged_globals_get_the_kernels_values() {
    let o = OpenExtension::file_with_kernel_btf(object("kernel_enums"), &kernel())
        .unwrap_or_else(|e| panic!("{e}"));
    let got = |var: &str| o.initial_int(var).unwrap().unwrap();
    assert_eq!(got("__MODLESS_K_BIG"), 0x8000000000000001);
    assert_eq!(got("__MODLESS_K_ANSWER"), 42);
    assert_eq!(got("__MODLESS_K_NEG"), -7);
    assert_eq!(got("answer_by_tag"), 42);
    // not in the kernel: the initial value stays, and it is reported
    assert_eq!(got("__MODLESS_K_ABSENT"), 3);
    assert_eq!(got("nr_plain"), 5);
    let absent = o
        .kernel_enums()
        .iter()
        .find(|k| k.var == "__MODLESS_K_ABSENT")
        .unwrap();
    assert_eq!(absent.value, None);
    let big = o
        .kernel_enums()
        .iter()
        .find(|k| k.var == "__MODLESS_K_BIG")
        .unwrap();
    assert_eq!(
        big,
        &KernelEnum {
            var: "__MODLESS_K_BIG".into(),
            enumerator: "MODLESS_K_BIG".into(),
            enum_name: "modless_k_consts".into(),
            value: Some(0x8000000000000001),
        }
    );
    assert_eq!(o.kernel_enums().len(), 5, "{:?}", o.kernel_enums());
}

/// The typed skeleton's open fills them too, from the BTF its builder names.
#[cfg(modless_bpf_objects)]
#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_skeleton_gets_the_kernels_values_at_open() {
    use libbpf_rs::skel::SkelBuilder;
    let mut builder = skel::KernelEnumsSkelBuilder::default();
    builder
        .object_builder_mut()
        .btf_custom_path(kernel())
        .unwrap();
    let mut storage = modless_loader::SkelStorage::uninit();
    let open = modless_loader::open_skel("kernel_enums", builder, &mut storage)
        .unwrap_or_else(|e| panic!("{e}"));
    let ro = open.maps.rodata_data.as_deref().unwrap();
    assert_eq!(ro.__MODLESS_K_BIG, 0x8000000000000001);
    assert_eq!(ro.__MODLESS_K_ANSWER, 42);
    assert_eq!(ro.__MODLESS_K_NEG, -7);
    assert_eq!(ro.answer_by_tag, 42);
    // not in the kernel, or not asking: the initial value stays
    assert_eq!(ro.__MODLESS_K_ABSENT, 3);
    assert_eq!(ro.nr_plain, 5);
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn an_explicit_set_wins_over_the_kernels_value() {
    let mut o = OpenExtension::file_with_kernel_btf(object("kernel_enums"), &kernel()).unwrap();
    o.set_var("__MODLESS_K_ANSWER", "7").unwrap();
    assert_eq!(o.initial_int("__MODLESS_K_ANSWER").unwrap(), Some(7));
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn a_global_too_narrow_for_the_value_is_refused() {
    match OpenExtension::file_with_kernel_btf(object("kernel_enum_narrow"), &kernel()) {
        Err(e @ LoadError::BadValue { .. }) => {
            let t = e.to_string();
            assert!(t.contains("`__MODLESS_K_BIG` (u32)"), "{t}");
            assert!(t.contains("the kernel's MODLESS_K_BIG"), "{t}");
            assert!(t.contains("declare it u64"), "{t}");
        }
        other => panic!("want BadValue, got {other:?}"),
    }
}
