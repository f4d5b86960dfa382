//! jobd's generated ops data view (`JobdOpsData`, `jobd_ops_data!`) over a
//! stand-in for the struct libbpf-cargo generates from an object: the
//! setters check what the kernel checks and write the skeleton's struct, and
//! a wrong type, or a skeleton whose struct differs from the declaration,
//! does not compile. (jobd-demo's doctests do the same on real skeletons
//! where the BPF objects are built.)

use std::path::Path;
use std::process::{Command, Output};

/// libbpf-cargo's `types::jobd_ops` for an object built against jobd.bpf.h;
/// `FLAGS` is the `flags` member's line.
const SKEL: &str = "
#[allow(non_camel_case_types, dead_code)]
mod skel {
    pub mod types {
        pub struct jobd_ops {
            pub select_domain: *mut u8,
            pub name: [i8; 16],
            FLAGS
        }
    }
}
jobd_ops_data!(decl: skel);
";

const U64_FLAGS: &str = "pub flags: u64,";

/// Builds `main` beside jobd's generated Rust as a binary; runs it if built.
fn build_and_run(skel_flags: &str, main: &str) -> (Output, Option<Output>) {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let decl = modless_decl::load(&manifest.join("../../examples/jobd/jobd.toml")).unwrap();
    let generated = modless_gen::generate(&decl).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jobd_bpf.rs"),
        generated.get("jobd_bpf.rs").unwrap(),
    )
    .unwrap();
    let src = format!(
        "// what main leaves unused (golden.rs builds the file alone, warnings denied)\n#[allow(dead_code)]\n#[macro_use]\n#[path = \"jobd_bpf.rs\"]\nmod decl;\n{}\nfn main() {{\n{main}\n}}\n",
        SKEL.replace("FLAGS", skel_flags)
    );
    let main_rs = dir.path().join("main.rs");
    std::fs::write(&main_rs, src).unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let built = Command::new(rustc)
        .args(["--edition", "2021", "-D", "warnings", "-o"])
        .arg(dir.path().join("t"))
        .arg(&main_rs)
        .output()
        .expect("run rustc");
    let ran = built
        .status
        .success()
        .then(|| Command::new(dir.path().join("t")).output().unwrap());
    (built, ran)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn setters_check_what_the_kernel_checks_and_write_the_skeleton() {
    let (built, ran) = build_and_run(
        U64_FLAGS,
        r#"
    let mut t = skel::types::jobd_ops { select_domain: std::ptr::null_mut(), name: [0; 16], flags: 0 };
    let mut ops = decl::JobdOpsData::from(&mut t);
    ops.set_name("pack.first_1").unwrap().set_flags(decl::JOBD_OPS_F_STEAL).unwrap();
    assert_eq!(ops.get_name(), "pack.first_1");
    for bad in ["", "no spaces!", "sixteen_chars_xx", "é"] {
        let e = ops.set_name(bad).unwrap_err();
        assert_eq!(e.member, "name", "{bad}");
        assert!(e.to_string().ends_with("pick such a name"), "{e}");
    }
    let max = "x".repeat(15);
    ops.set_name(&max).unwrap();
    let e = ops.set_flags(1 << 2 | decl::JOBD_OPS_F_STRICT).unwrap_err();
    assert_eq!(
        e.to_string(),
        "jobd_ops.flags: unknown bits 0x4: use the declared flags (JOBD_OPS_FLAGS_ALL)"
    );
    assert_eq!(ops.get_flags(), decl::JOBD_OPS_F_STEAL, "a refused value is not written");
    let mut want = [b'x' as i8; 16];
    want[15] = 0;
    assert_eq!((t.name, t.flags), (want, 2));
    println!("ran");
"#,
    );
    assert!(built.status.success(), "{}", stderr(&built));
    let ran = ran.unwrap();
    assert!(ran.status.success(), "{}", stderr(&ran));
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "ran\n");
}

#[test]
fn a_shorter_name_clears_the_rest() {
    let (built, ran) = build_and_run(
        U64_FLAGS,
        r#"
    let mut t = skel::types::jobd_ops { select_domain: std::ptr::null_mut(), name: [b'y' as i8; 16], flags: 0 };
    decl::JobdOpsData::from(&mut t).set_name("ab").unwrap();
    assert_eq!(t.name[..3], [b'a' as i8, b'b' as i8, 0]);
    assert!(t.name[2..].iter().all(|&c| c == 0));
"#,
    );
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(ran.unwrap().status.success());
}

#[test]
fn a_value_of_the_wrong_type_does_not_compile() {
    let (built, _) = build_and_run(
        U64_FLAGS,
        r#"
    let mut t = skel::types::jobd_ops { select_domain: std::ptr::null_mut(), name: [0; 16], flags: 0 };
    let _ = decl::JobdOpsData::from(&mut t).set_flags("strict");
"#,
    );
    assert!(!built.status.success());
    assert!(
        stderr(&built).contains("error[E0308]"),
        "{}",
        stderr(&built)
    );
}

#[test]
fn a_skeleton_that_types_a_member_otherwise_does_not_compile() {
    let (built, _) = build_and_run("pub flags: u32,", "");
    assert!(!built.status.success());
    let err = stderr(&built);
    assert!(
        err.contains("error[E0308]") && err.contains("flags"),
        "{err}"
    );
}

#[test]
fn a_skeleton_that_lacks_a_member_does_not_compile() {
    let (built, _) = build_and_run("", "");
    assert!(!built.status.success());
    let err = stderr(&built);
    assert!(
        err.contains("error[E0609]") && err.contains("flags"),
        "{err}"
    );
}
