//! `modless load` as a user runs it, on a mainline struct_ops object.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{object, Outcome};

fn sched_ext(file: &str) -> String {
    std::fs::read_to_string(format!("/sys/kernel/sched_ext/{file}"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) -> Result<(), String> {
    let until = Instant::now() + Duration::from_secs(30);
    while !ok() {
        if Instant::now() > until {
            return Err(format!("timed out waiting until {what}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// `modless load OBJ` attaches a sched_ext scheduler, holds it until SIGINT,
/// then detaches, prints the exit record sched_ext gave the scheduler and
/// exits 0; the kernel's default scheduler is back.
pub fn load_until_sigint() -> crate::anyhow_like::Result {
    let modless = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .with_file_name("modless");
    let child = Command::new(&modless)
        .arg("load")
        .arg(object("scx_one"))
        .arg("--for")
        .arg("120")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {}: {e}", modless.display()))?;
    wait_for("sched_ext is enabled", || sched_ext("state") == "enabled")?;
    let ops = sched_ext("root/ops");
    if ops != "modless_load" {
        return Err(format!("root/ops is {ops:?}, want modless_load"));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    if !out.status.success() {
        return Err(format!("modless load exited with {}", out.status));
    }
    if !stdout.contains("modless_load") {
        return Err("modless load did not say what it attached".into());
    }
    // sched_ext's own words, through the scheduler's UEI-style record
    if !stdout.contains("exit record: kind 64 code 0: unregistered from user space") {
        return Err("modless load did not report the scheduler's exit record".into());
    }
    wait_for("sched_ext is disabled again", || {
        sched_ext("state") == "disabled"
    })?;
    Ok(Outcome::Pass)
}
