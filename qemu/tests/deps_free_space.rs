//! scripts/deps.sh refuses, with the numbers, a machine whose disk cannot hold
//! the build: a linker that runs out of space dies of SIGBUS ("ld terminated
//! with signal 7 [Bus error]"), which says nothing about the cause.

use std::path::Path;
use std::process::Command;

fn deps_with_floor(gib: &str) -> std::process::Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    Command::new(repo.join("scripts/deps.sh"))
        .env("MODLESS_MIN_FREE_GIB", gib)
        .output()
        .expect("deps.sh runs")
}

#[test]
fn a_disk_too_full_for_the_build_is_refused_with_what_it_has_and_needs() {
    let out = deps_with_floor("1000000");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted: {stderr}");
    assert!(
        stderr.contains("GiB free") && stderr.contains("needs 1000000 GiB"),
        "{stderr}"
    );
}

#[test]
fn the_floor_is_a_number() {
    let out = deps_with_floor("lots");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted: {stderr}");
    assert!(stderr.contains("MODLESS_MIN_FREE_GIB"), "{stderr}");
}
