//! `OpenExtension::set_var` / `set_max_entries` (what `modless load --set`
//! and `--max-entries` do) on an object built by build.rs: typed from its
//! BTF, refused with the reason, no kernel needed.

use std::path::{Path, PathBuf};

use modless_loader::{LoadError, OpenExtension};

fn object() -> PathBuf {
    Path::new(env!("OUT_DIR")).join("set_vars.bpf.o")
}

fn open() -> OpenExtension {
    OpenExtension::file(object()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn integers_of_each_width_and_sign_are_written_in_place() {
    let mut o = open();
    for (var, text, want) in [
        ("v_u8", "255", 255),
        ("v_s8", "-128", -128),
        ("v_u16", "0xbeef", 0xbeef),
        ("v_s32", "-2147483648", -2147483648),
        ("v_u64", "18446744073709551615", 18446744073709551615),
        ("v_s64", "-5", -5),
        ("v_data", "7", 7),
        ("v_bss", "9", 9),
    ] {
        let set = o.set_var(var, text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.shown, want.to_string(), "{var}");
        assert_eq!(o.initial_int(var).unwrap(), Some(want), "{var}");
    }
    // the neighbours are untouched
    assert_eq!(o.initial_int("v_mode").unwrap(), Some(0));
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn bools_enums_and_char_arrays() {
    let mut o = open();
    let set = o.set_var("v_bool", "true").unwrap();
    assert_eq!((set.ty.as_str(), set.section.as_str()), ("bool", ".rodata"));
    assert_eq!(o.initial_value("v_bool").unwrap(), vec![1]);
    let set = o.set_var("v_mode", "MODLESS_FAST").unwrap();
    assert_eq!(
        (set.ty.as_str(), set.shown.as_str()),
        ("enum modless_mode", "MODLESS_FAST (5)")
    );
    assert_eq!(o.initial_int("v_mode").unwrap(), Some(5));
    o.set_var("v_mode", "-3").unwrap();
    assert_eq!(o.initial_int("v_mode").unwrap(), Some(-3));
    let set = o.set_var("v_name", "fast").unwrap();
    assert_eq!(set.ty, "char[8]");
    assert_eq!(o.initial_value("v_name").unwrap(), b"fast\0\0\0\0".to_vec());
}

fn bad(o: &mut OpenExtension, var: &str, text: &str) -> String {
    match o.set_var(var, text) {
        Err(e @ LoadError::BadValue { .. }) => e.to_string(),
        other => panic!("{var}={text}: want BadValue, got {other:?}"),
    }
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn wrong_types_and_unknown_names_are_refused_with_the_fix() {
    let mut o = open();
    let e = bad(&mut o, "v_u8", "256");
    assert!(e.contains("cannot set `v_u8` (u8) to `256`"), "{e}");
    assert!(e.contains("from 0 to 255"), "{e}");
    assert!(bad(&mut o, "v_u16", "-1").contains("out of range"));
    assert!(bad(&mut o, "v_bool", "maybe").contains("true, false"));
    let e = bad(&mut o, "v_mode", "MODLESS_SLOW");
    assert!(e.contains("MODLESS_OFF, MODLESS_FAST, MODLESS_NEG"), "{e}");
    assert!(bad(&mut o, "v_name", "too long!").contains("at most 7 bytes"));
    assert!(bad(&mut o, "v_pair", "1").contains("struct cannot be set"));
    assert!(bad(&mut o, "v_s32", "twelve").contains("not an integer"));
    // a refused value leaves the old one
    assert_eq!(o.initial_int("v_s8").unwrap(), Some(-1));
    match o.set_var("v_nope", "1") {
        Err(e @ LoadError::NotInObject { .. }) => {
            let t = e.to_string();
            assert!(t.contains("no global variable named `v_nope`"), "{t}");
            assert!(t.contains("v_u8") && t.contains("v_data"), "{t}");
        }
        other => panic!("want NotInObject, got {other:?}"),
    }
}

#[test]
#[ignore = "needs the loader's BPF objects, built against a built kernel: scripts/test.sh runs it (cargo test -- --include-ignored)"]
fn max_entries_are_set_by_map_name() {
    let mut o = open();
    assert_eq!(o.max_entries("seen").unwrap(), 16);
    o.set_max_entries("seen", 4096).unwrap();
    assert_eq!(o.max_entries("seen").unwrap(), 4096);
    match o.set_max_entries("unseen", 1) {
        Err(e @ LoadError::NotInObject { .. }) => {
            let t = e.to_string();
            assert!(
                t.contains("no map named `unseen`") && t.contains("seen"),
                "{t}"
            )
        }
        other => panic!("want NotInObject, got {other:?}"),
    }
}
