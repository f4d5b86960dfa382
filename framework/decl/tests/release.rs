//! Checks that depend on the target kernel's release.

use modless_decl::{parse, KernelRelease};

const TRUSTED: &str = r#"[subsystem]
name = "demo"

[ops]
name = "demo_ops"

[[ops.callback]]
fn = "void (*done)(struct task_struct *p)"

[[kfunc]]
proto = "struct task_struct *bpf_demo_get(struct task_struct *p)"
flags = ["KF_ACQUIRE", "KF_RET_NULL", "KF_TRUSTED_ARGS"]
prog_types = ["struct_ops"]

[[kfunc]]
proto = "void bpf_demo_put(struct task_struct *p)"
flags = ["KF_RELEASE"]
prog_types = ["struct_ops"]
"#;

fn release(s: &str) -> KernelRelease {
    KernelRelease::parse(s).unwrap()
}

#[test]
fn releases_parse_from_the_version_string_and_the_banner() {
    let r = release("7.3.4");
    assert_eq!((r.major, r.minor, r.text.as_str()), (7, 3, "7.3.4"));
    assert_eq!(release("6.12.0-rc1").minor, 12);
    assert_eq!(release("7.0-amd64").minor, 0);
    assert!(KernelRelease::parse("seven").is_none());
    assert!(KernelRelease::parse("7").is_none());
    let image = b"\x7fELF\0junk %s version %s\0Linux version 6.12.117 (root@vm) (gcc) #1 SMP\0";
    assert_eq!(KernelRelease::from_banner(image).unwrap().text, "6.12.117");
    assert!(KernelRelease::from_banner(b"\x7fELF no banner").is_none());
    // a format string first does not stop the search
    let image = b"Linux version %s\0Linux version 7.3.4 (x)";
    assert_eq!(KernelRelease::from_banner(image).unwrap().text, "7.3.4");
}

#[test]
fn kf_trusted_args_is_refused_from_7_0_with_the_fix() {
    let d = parse(TRUSTED, "demo.toml").unwrap();
    // no target: the flag is a valid KF_* flag (6.x kernels have it)
    d.validate().unwrap();
    d.validate_for_release(&release("6.12.117")).unwrap();
    d.validate_for_release(&release("6.19.0")).unwrap();
    for r in ["7.0.0", "7.3.4"] {
        let e = d.validate_for_release(&release(r)).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "demo.toml:11:9: error: kfunc `bpf_demo_get` has flag KF_TRUSTED_ARGS, which Linux 7.0 removed \
                 (pointer arguments are trusted by default), and the target kernel is {r}; remove \
                 KF_TRUSTED_ARGS from its `flags`"
            )
        );
    }
    let without = TRUSTED.replace(", \"KF_TRUSTED_ARGS\"", "");
    let d = parse(&without, "demo.toml").unwrap();
    d.validate_for_release(&release("7.3.4")).unwrap();
}
