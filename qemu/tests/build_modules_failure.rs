//! scripts/build-modules.sh says why a module did not build. modpost reports
//! in capitals (`ERROR: modpost: jobd.ko: symbol 'x' undefined!`); a
//! case-sensitive search for "error" found nothing, and under `pipefail` the
//! empty search ended the script with no message at all.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// A copy of the script in a repository of one module, and a "kernel tree"
/// whose make fails the way modpost does.
fn failing_build(keep_going: bool) -> std::process::Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let scripts = tmp.path().join("scripts");
    fs::create_dir_all(&scripts).unwrap();
    let script = scripts.join("build-modules.sh");
    fs::copy(repo.join("scripts/build-modules.sh"), &script).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let module = tmp.path().join("demo/module");
    fs::create_dir_all(&module).unwrap();
    fs::write(module.join("Kbuild"), "obj-m += demo.o\n").unwrap();
    let tree = tmp.path().join("tree");
    fs::create_dir_all(&tree).unwrap();
    fs::write(
        tree.join("Makefile"),
        "modules:\n\t@echo \"ERROR: modpost: demo.ko: symbol 'missing' undefined!\"\n\t@exit 1\n",
    )
    .unwrap();
    let mut cmd = Command::new(&script);
    if keep_going {
        cmd.arg("--keep-going");
    }
    cmd.arg(&tree).output().expect("build-modules.sh runs")
}

#[test]
fn a_modpost_error_is_shown_with_the_module_that_failed() {
    for keep_going in [false, true] {
        let out = failing_build(keep_going);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("ERROR: modpost: demo.ko: symbol 'missing' undefined!"),
            "keep_going {keep_going}: {stderr}"
        );
        assert!(
            stderr.contains("demo/module failed to build against"),
            "keep_going {keep_going}: {stderr}"
        );
        if !keep_going {
            assert!(!out.status.success(), "{stderr}");
        }
    }
}
