//! `modless load` as a user runs it, on a mainline struct_ops object.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::{ensure, object, Outcome};

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

fn modless() -> Result<std::path::PathBuf, String> {
    Ok(std::env::current_exe()
        .map_err(|e| e.to_string())?
        .with_file_name("modless"))
}

/// `modless load ARGS` with stdout and stderr captured.
fn spawn_load(args: &[&str]) -> Result<Child, String> {
    let modless = modless()?;
    Command::new(&modless)
        .arg("load")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {}: {e}", modless.display()))
}

/// Waits for `child` up to `limit`; kills it (and fails) past that.
fn finish(mut child: Child, limit: Duration) -> Result<(Output, String), String> {
    let until = Instant::now() + limit;
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let out = child.wait_with_output().map_err(|e| e.to_string())?;
            return Err(format!(
                "modless load still ran after {} s:\n{}{}",
                limit.as_secs(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    Ok((out, text))
}

/// `--for` far beyond the wait below: an exit before it is the load
/// noticing the stop, not its time running out.
const HOLD: &str = "900";
const WAIT: Duration = Duration::from_secs(240);

/// `modless load` of a scheduler that ends (`scheduler`, in object
/// `name`) exits non-zero before `--for` with `needle` in its output, and
/// sched_ext is disabled again.
fn load_ends_with(name: &str, needle: &str) -> crate::anyhow_like::Result {
    let child = spawn_load(&[object(name).to_str().unwrap_or_default(), "--for", HOLD])?;
    let (out, text) = finish(child, WAIT)?;
    ensure(
        !out.status.success(),
        format!(
            "modless load exited {} after the scheduler failed",
            out.status
        ),
    )?;
    ensure(
        text.contains(needle),
        format!("modless load did not say {needle:?}"),
    )?;
    ensure(
        text.contains("the kernel stopped struct_ops map") || text.contains("error:"),
        "modless load did not say the kernel stopped the scheduler",
    )?;
    wait_for("sched_ext is disabled", || sched_ext("state") == "disabled")?;
    Ok(Outcome::Pass)
}

/// A scheduler that calls scx_bpf_error() 2 s after attach: `modless load
/// --for 900` ends at once, non-zero, with the scheduler's message.
pub fn load_sees_a_later_error() -> crate::anyhow_like::Result {
    load_ends_with("scx_late_error", "modless test: failing on purpose after")
}

/// A scheduler whose ops.init fails with scx_bpf_error(): `modless load`
/// ends at once, non-zero, with the message.
pub fn load_sees_an_init_error() -> crate::anyhow_like::Result {
    load_ends_with("scx_init_error", "modless test: init refuses to start (7)")
}

/// A jobd policy jobd ejects (generated glue, MODLESS_EXIT_RECORD):
/// `modless load` ends at once, non-zero, with jobd's reason.
pub fn load_sees_jobd_eject() -> crate::anyhow_like::Result {
    if !crate::jobd::ensure_module()? {
        return Ok(Outcome::Skip("jobd.ko not built".into()));
    }
    let child = spawn_load(&[
        object("jobd_bad_domains").to_str().unwrap_or_default(),
        "--for",
        HOLD,
    ])?;
    wait_for("the policy is attached", || {
        crate::jobd::stats().is_ok_and(|(p, _)| p == "bad_domains")
    })?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let submitter = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = crate::jobd::command("submit 2 1");
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let done = finish(child, WAIT);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = submitter.join();
    let (out, text) = done?;
    ensure(
        !out.status.success(),
        format!(
            "modless load exited {} after jobd ejected the policy",
            out.status
        ),
    )?;
    ensure(
        text.contains("select_domain chose domain 1000"),
        "modless load did not give jobd's reason",
    )?;
    Ok(Outcome::Pass)
}

/// Runs `f` while two threads per CPU spin, so the scheduler's enqueue
/// runs for tasks the kernel could not place on an idle CPU.
fn under_load<T>(f: impl FnOnce() -> T) -> T {
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let burners: Vec<_> = (0..2 * cpus)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    let out = f();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for b in burners {
        let _ = b.join();
    }
    out
}

/// A scheduler that queues on `__SCX_DSQ_GLOBAL` with `__SCX_SLICE_DFL`:
/// `modless load` fills both from the kernel's BTF, says so, and the
/// scheduler runs until `--for` ends (exit 0, sched_ext's "unregistered
/// from user space"); with `--set __SCX_DSQ_GLOBAL=0` (what a loader that
/// does not fill it leaves) sched_ext ejects it for a non-existent DSQ.
pub fn load_fills_kernel_enums() -> crate::anyhow_like::Result {
    let obj = object("scx_kernel_enum");
    let obj = obj.to_str().unwrap_or_default();
    let child = spawn_load(&[obj, "--for", "10"])?;
    wait_for("the scheduler runs", || {
        sched_ext("root/ops") == "modless_enum"
    })?;
    let (out, text) = finish(child, WAIT)?;
    ensure(
        out.status.success(),
        format!("modless load exited {}", out.status),
    )?;
    ensure(
        text.contains(
            "set __SCX_DSQ_GLOBAL = 9223372036854775809 (0x8000000000000001): \
             the kernel's SCX_DSQ_GLOBAL (enum scx_dsq_id_flags)",
        ),
        "modless load did not print the DSQ id it set",
    )?;
    ensure(
        text.contains("set __SCX_SLICE_DFL = 20000000 (0x1312d00): the kernel's SCX_SLICE_DFL"),
        "modless load did not print the slice it set",
    )?;
    ensure(
        text.contains("exit record: kind 64 code 0: unregistered from user space"),
        "the scheduler did not run until modless load detached it",
    )?;
    wait_for("sched_ext is disabled", || sched_ext("state") == "disabled")?;

    let child = spawn_load(&[obj, "--set", "__SCX_DSQ_GLOBAL=0", "--for", HOLD])?;
    let (out, text) = under_load(|| finish(child, WAIT))?;
    ensure(
        !out.status.success() && text.contains("non-existent DSQ 0x0"),
        format!(
            "with the DSQ id left 0: exit {}, want an ejection",
            out.status
        ),
    )?;
    wait_for("sched_ext is disabled", || sched_ext("state") == "disabled")?;
    Ok(Outcome::Pass)
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

/// `modless load --stats 1 [--json]` of a sched_ext scheduler whose
/// enqueue op runs for every task: the JSON lines count the op's runs
/// (BPF_ENABLE_STATS) and name its verified instructions, and the table
/// form shows the same program with its runs.
pub fn load_reports_stats() -> crate::anyhow_like::Result {
    let obj = object("scx_kernel_enum").display().to_string();
    let run = |json: bool| -> Result<String, String> {
        let mut args = vec![obj.as_str(), "--for", "4", "--stats", "1"];
        if json {
            args.push("--json");
        }
        let (out, text) = finish(spawn_load(&args)?, WAIT)?;
        if !out.status.success() {
            return Err(format!("modless load exited with {}", out.status));
        }
        wait_for("sched_ext is disabled again", || {
            sched_ext("state") == "disabled"
        })?;
        Ok(text)
    };
    let text = run(true)?;
    let runs: Vec<u64> = text
        .lines()
        .filter(|l| {
            l.starts_with("{\"program\":\"enum_enqueue\",") && l.contains("\"verified_insns\":")
        })
        .filter_map(|l| {
            l.split("\"run_cnt\":")
                .nth(1)?
                .split(',')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    if runs.is_empty() || runs.iter().sum::<u64>() == 0 {
        return Err(format!("--json counted no run of enum_enqueue: {runs:?}"));
    }
    // the object's declared counter, grown by the same op
    let enqueued: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("{\"counter\":\"enqueued\",\"value\":"))
        .filter_map(|v| v.strip_suffix('}')?.parse().ok())
        .collect();
    if enqueued.is_empty() || enqueued.iter().sum::<u64>() == 0 {
        return Err(format!(
            "--json showed no growth of the declared counter enqueued: {enqueued:?}"
        ));
    }
    let text = run(false)?;
    let row = text
        .lines()
        .find(|l| l.starts_with("enum_enqueue ") && !l.trim_end().ends_with(" -"));
    if !text.contains("verified_insns") || row.is_none() {
        return Err("the --stats table shows no run of enum_enqueue".into());
    }
    let counter = text.lines().find(|l| {
        l.strip_prefix("enqueued ")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|v| v > 0)
    });
    if counter.is_none() {
        return Err(format!(
            "the --stats table shows no growth of enqueued:\n{text}"
        ));
    }
    Ok(Outcome::Pass)
}
