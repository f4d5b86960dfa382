//! Reliability on the jobd demo module: hot-swap under load, SIGKILL,
//! unloading the module with a policy attached.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use modless_loader::{kmod, OpenExtension};

use crate::{ensure, object, Outcome};

const PROC: &str = "/proc/jobd";

fn ko() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/jobd/module/jobd.ko")
}

/// Loads jobd.ko unless loaded; `Ok(false)` when it is not built.
pub fn ensure_module() -> Result<bool, String> {
    if kmod::is_loaded("jobd") {
        return Ok(true);
    }
    if !ko().exists() {
        return Ok(false);
    }
    kmod::load(&ko(), "").map_err(|e| format!("finit_module(jobd.ko): {e}"))?;
    Ok(true)
}

fn delete_module() -> std::io::Result<()> {
    kmod::unload("jobd")
}

pub fn command(cmd: &str) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(PROC)
        .map_err(|e| format!("{PROC}: {e}"))?;
    f.write_all(cmd.as_bytes())
        .map_err(|e| format!("{PROC} <- {cmd}: {e}"))
}

/// `key: value` lines of /proc/jobd (numbers only) and the policy name.
pub fn stats() -> Result<(String, BTreeMap<String, i64>), String> {
    let text = std::fs::read_to_string(PROC).map_err(|e| format!("{PROC}: {e}"))?;
    let mut policy = String::new();
    let mut m = BTreeMap::new();
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("policy: ") {
            policy = p.to_string();
        } else if let Some((k, v)) = line.split_once(": ") {
            if let Ok(v) = v.trim().parse() {
                m.insert(k.to_string(), v);
            }
        }
    }
    Ok((policy, m))
}

fn wait_policy(want: &str, within: Duration) -> Result<(), String> {
    let end = Instant::now() + within;
    loop {
        let (p, _) = stats()?;
        if p == want {
            return Ok(());
        }
        if Instant::now() > end {
            return Err(format!("policy is {p:?}, want {want:?} within {within:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

macro_rules! need_module {
    () => {
        if !ensure_module()? {
            return Ok(Outcome::Skip(format!(
                "{} not built (scripts/build-modules.sh)",
                ko().display()
            )));
        }
    };
}

/// 1,000 swaps between two tables while jobs are submitted continuously:
/// every job placed by one of them, run exactly once, none lost; the
/// replaced instance's exit op ran once per swap, the detached one's once.
pub fn hotswap_under_load() -> crate::anyhow_like::Result {
    need_module!();
    let ext = OpenExtension::file(object("jobd_swap"))
        .and_then(|o| o.load())
        .map_err(|e| e.to_string())?;
    let (_, before) = stats()?;
    let mut link = ext.attach_ops("swap_first").map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let submitter = std::thread::spawn(move || -> Result<u64, String> {
        let mut batches = 0u64;
        while !s.load(Ordering::Relaxed) {
            command("submit 4 1")?;
            batches += 1;
        }
        Ok(batches)
    });
    const SWAPS: usize = 1000;
    let t0 = Instant::now();
    for i in 0..SWAPS {
        let to = if i % 2 == 0 {
            "swap_last"
        } else {
            "swap_first"
        };
        link.swap(&ext, to).map_err(|e| format!("swap {i}: {e}"))?;
    }
    let swap_time = t0.elapsed();
    stop.store(true, Ordering::Relaxed);
    let batches = submitter.join().map_err(|_| "submitter panicked")??;
    command("drain 20000")?;
    let (policy, after) = stats()?;
    let swap_exits = ext.global_u64("swap_exits").map_err(|e| e.to_string())?;
    drop(link);
    let unreg_exits = ext.global_u64("unreg_exits").map_err(|e| e.to_string())?;
    ensure(
        swap_exits == SWAPS as u64 && unreg_exits == 1,
        format!(
            "exit op: {swap_exits} SWAP exits for {SWAPS} swaps, {unreg_exits} UNREG for one detach"
        ),
    )?;
    let d = |k: &str| after.get(k).copied().unwrap_or(0) - before.get(k).copied().unwrap_or(0);
    let placed_by_bpf =
        ext.global_u64("first_calls").unwrap_or(0) + ext.global_u64("last_calls").unwrap_or(0);
    println!(
        "  {SWAPS} swaps in {swap_time:?}; {batches} batches: submitted {} completed {} rejected {} double_runs {} live {} placed by BPF {placed_by_bpf}",
        d("submitted"), d("completed"), d("rejected"), d("double_runs"), after.get("live").copied().unwrap_or(-1)
    );
    ensure(
        policy == "swap_first",
        format!("policy after an even number of swaps: {policy}"),
    )?;
    ensure(
        d("submitted") == 4 * batches as i64,
        "every submitted job counted",
    )?;
    ensure(
        d("submitted") == d("completed") + d("rejected"),
        "jobs lost",
    )?;
    ensure(d("double_runs") == 0, "a job ran twice")?;
    ensure(after.get("live") == Some(&0), "jobs still live after drain")?;
    ensure(
        placed_by_bpf as i64 == d("submitted") - d("rejected"),
        "some job was not placed by either BPF table",
    )?;
    wait_policy("default", Duration::from_secs(5))?;
    Ok(Outcome::Pass)
}

/// Child: attach swap_first, say so, wait to be killed.
pub fn hold_policy() -> ExitCode {
    let ext = match OpenExtension::file(object("jobd_swap")).and_then(|o| o.load()) {
        Ok(e) => e,
        Err(e) => {
            println!("load failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _link = match ext.attach_ops("swap_first") {
        Ok(l) => l,
        Err(e) => {
            println!("attach failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("attached");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(Duration::from_secs(60));
    }
}

/// SIGKILL of the process holding the policy puts jobd back on its default.
pub fn sigkill_falls_back_to_default() -> crate::anyhow_like::Result {
    need_module!();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("hold-jobd-policy")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    ensure(line.trim() == "attached", format!("child said {line:?}"))?;
    wait_policy("swap_first", Duration::from_secs(2))?;
    // SAFETY: plain kill(2) of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let status = child.wait().map_err(|e| e.to_string())?;
    ensure(!status.success(), "child exited normally")?;
    wait_policy("default", Duration::from_secs(5))?;
    command("submit 8 1")?;
    command("drain 20000")?;
    let (_, s) = stats()?;
    ensure(s.get("live") == Some(&0), "jobs stuck after kill")?;
    Ok(Outcome::Pass)
}

/// rmmod with a policy attached: refused (EBUSY) or safe, never an oops
/// (the harness fails the run on any splat); after detaching it unloads.
pub fn unload_while_attached() -> crate::anyhow_like::Result {
    need_module!();
    let ext = OpenExtension::file(object("jobd_swap"))
        .and_then(|o| o.load())
        .map_err(|e| e.to_string())?;
    let link = ext.attach_ops("swap_first").map_err(|e| e.to_string())?;
    match delete_module() {
        Err(e) => {
            println!("  rmmod while attached refused: {e}");
            ensure(
                e.raw_os_error() == Some(libc::EBUSY) || e.raw_os_error() == Some(libc::EAGAIN),
                format!("unexpected errno {e}"),
            )?;
            ensure(
                link.is_attached().map_err(|e| e.to_string())?,
                "still attached",
            )?;
            command("submit 4 1")?;
            command("drain 20000")?;
        }
        Ok(()) => {
            println!("  rmmod while attached succeeded: the kernel detached the table");
            ensure(
                link.wait_detached(Duration::from_secs(5))
                    .map_err(|e| e.to_string())?,
                "link not detached after the module left",
            )?;
        }
    }
    drop(link);
    drop(ext);
    // References drop after RCU grace periods: retry for a while.
    let end = Instant::now() + Duration::from_secs(10);
    while std::path::Path::new("/sys/module/jobd").exists() {
        if delete_module().is_ok() {
            break;
        }
        if Instant::now() > end {
            return Err("jobd does not unload after detaching".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    ensure_module()?;
    Ok(Outcome::Pass)
}

/// jobd ejects a policy that keeps choosing domains that do not exist
/// (generated `jobd_bpf_eject`); `supervise` sees the kernel detach the link,
/// reads why from the policy's exit record, re-attaches once as its
/// RestartPolicy says, sees the second ejection and stops; jobd says why in
/// /proc/jobd too and runs on its default.
pub fn eject_and_restart() -> crate::anyhow_like::Result {
    use modless_loader::{supervise, ExitKind, RestartPolicy};

    if !ensure_module()? {
        return Ok(Outcome::Skip("jobd.ko not built".into()));
    }
    let ext = OpenExtension::file(object("jobd_bad_domains"))
        .and_then(|o| o.load())
        .map_err(|e| e.to_string())?;
    let stop = Arc::new(AtomicBool::new(false));
    let submitter = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = command("submit 2 1");
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let policy = RestartPolicy::Restart {
        max_restarts: 1,
        backoff: Duration::from_millis(100),
    };
    let exits = supervise(
        &ext,
        "bad_domains",
        policy,
        Instant::now() + Duration::from_secs(60),
    );
    stop.store(true, Ordering::Relaxed);
    let _ = submitter.join();
    let exits = exits.map_err(|e| e.to_string())?;
    for e in &exits {
        println!("exit: {:?} {}", e.kind, e.reason);
    }
    let by_kernel = exits.iter().filter(|e| e.kind == ExitKind::Kernel).count();
    ensure(
        by_kernel == 2 && exits.len() == 2,
        format!(
            "want two kernel-side exits (the first, then after the one restart), got {exits:?}"
        ),
    )?;
    // JOBD_EXIT_EJECT (generated jobd_bpf.rs), -EINVAL as jobd passes it
    const JOBD_EXIT_EJECT: i64 = 3;
    for e in &exits {
        let ok = e.record.as_ref().is_some_and(|r| {
            r.kind == JOBD_EXIT_EJECT
                && r.code == -22
                && r.reason.contains("select_domain chose domain 1000 of")
        });
        ensure(
            ok && e.reason.starts_with("select_domain chose domain 1000"),
            format!("the exit op's record does not carry jobd's ejection: {e:?}"),
        )?;
    }
    let text = std::fs::read_to_string(PROC).map_err(|e| e.to_string())?;
    let reason = text.lines().find(|l| l.starts_with("exit: ")).unwrap_or("");
    println!("/proc/jobd {reason}");
    ensure(
        reason.contains("select_domain chose domain 1000 of"),
        format!("jobd does not say why it ejected the policy: {reason:?}"),
    )?;
    let (policy, _) = stats()?;
    ensure(
        policy == "default",
        format!("policy is {policy:?} after the ejection"),
    )?;
    Ok(Outcome::Pass)
}

/// Policies built against a newer jobd declaration meet this (older) jobd:
/// the op declared `if_missing = "zero"` is left out and the policy runs;
/// the data member declared `fail` is refused by name before the kernel
/// sees anything.
pub fn newer_policy_on_older_jobd() -> crate::anyhow_like::Result {
    use modless_loader::{LoadError, SkippedMember};

    if !ensure_module()? {
        return Ok(Outcome::Skip("jobd.ko not built".into()));
    }
    let ext = OpenExtension::file(object("next_optional"))
        .and_then(|o| o.load())
        .map_err(|e| format!("a policy with a zero-if-missing op does not load: {e}"))?;
    ensure(
        ext.skipped_members()
            == [SkippedMember {
                map: "next_optional".into(),
                member: "job_started".into(),
            }],
        format!("skipped: {:?}", ext.skipped_members()),
    )?;
    let link = ext.attach_ops("next_optional").map_err(|e| e.to_string())?;
    let before = placed_in_domain0()?;
    command("submit 8 1")?;
    std::thread::sleep(Duration::from_millis(300));
    let (policy, _) = stats()?;
    let placed = placed_in_domain0()? - before;
    println!("policy {policy}: {placed} of 8 jobs placed in domain 0");
    ensure(
        policy == "next_optional" && placed == 8,
        format!("the newer policy is not in charge: {policy}, {placed} of 8 in domain 0"),
    )?;
    drop(link);

    let err = OpenExtension::file(object("next_needed"))
        .and_then(|o| o.load())
        .map(|_| ())
        .expect_err("a policy needing a member jobd lacks must not load");
    println!("{err}");
    ensure(
        matches!(&err, LoadError::MemberMissing { map, member, log, .. }
            if map == "next_needed" && member == "max_moves"
                && log.contains("if_missing = \"fail\"")),
        format!("want MemberMissing for max_moves with the declared policy, got: {err}"),
    )?;
    let (policy, _) = stats()?;
    ensure(
        policy == "default",
        format!("policy is {policy:?} after the refused load"),
    )?;
    Ok(Outcome::Pass)
}

/// The `placed` count of `domain 0:` in /proc/jobd.
fn placed_in_domain0() -> Result<i64, String> {
    let text = std::fs::read_to_string(PROC).map_err(|e| format!("{PROC}: {e}"))?;
    text.lines()
        .find(|l| l.starts_with("domain 0:"))
        .and_then(|l| l.split_once(" placed "))
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no `domain 0: ... placed N` line in {PROC}:\n{text}"))
}
