//! `modless load OBJ.bpf.o [--set NAME=VALUE]... [--max-entries MAP=N]...
//! [--cgroup DIR] [--for SECONDS]`: prepare, attach everything, hold, detach.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use modless_loader::{Extension, OpenExtension, OpsLink, Stopped};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BPF object (struct_ops, fentry/fexit/fmod_ret, cgroup programs).
    object: PathBuf,
    /// The cgroup v2 directory cgroup programs attach to (they run for
    /// every process below it).
    #[arg(long, value_name = "DIR", default_value = modless_loader::ROOT_CGROUP)]
    cgroup: PathBuf,
    /// Detach after this many seconds [default: until SIGINT/SIGTERM].
    #[arg(long = "for", value_name = "SECONDS")]
    seconds: Option<u64>,
    /// Set a global (`const volatile` in .rodata, or .data/.bss) before load, typed
    /// from the object's BTF: integers, bools, enums by name, char arrays (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = name_value)]
    set: Vec<(String, String)>,
    /// Create map MAP with N entries instead of the object's size (repeatable).
    #[arg(long = "max-entries", value_name = "MAP=N", value_parser = map_entries)]
    max_entries: Vec<(String, u32)>,
}

fn name_value(s: &str) -> Result<(String, String), String> {
    let (n, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: want NAME=VALUE"))?;
    Ok((n.trim().to_string(), v.to_string()))
}

fn map_entries(s: &str) -> Result<(String, u32), String> {
    let (m, n) = name_value(s)?;
    let n = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: N must be a whole number up to {}", u32::MAX))?;
    Ok((m, n))
}

/// Opens the object and applies `--set` and `--max-entries`, printing each.
fn prepare(args: &Args) -> modless_loader::Result<OpenExtension> {
    let mut open = OpenExtension::file(&args.object)?;
    for k in open.kernel_enums() {
        match k.value {
            Some(v) => println!(
                "set {} = {v} ({v:#x}): the kernel's {} (enum {})",
                k.var, k.enumerator, k.enum_name
            ),
            None => println!(
                "left {} as built: this kernel's BTF has no enumerator {}",
                k.var, k.enumerator
            ),
        }
    }
    for (map, n) in &args.max_entries {
        let was = open.max_entries(map)?;
        open.set_max_entries(map, *n)?;
        println!("set max_entries of map {map} to {n} (was {was})");
    }
    for (name, value) in &args.set {
        let s = open.set_var(name, value)?;
        println!("set {} ({} in {}) = {}", s.name, s.ty, s.section, s.shown);
    }
    Ok(open)
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // Before anything is attached: a signal that arrives while the kernel
    // enables the extension must still end in a clean detach.
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let ext = match prepare(&args).and_then(|o| o.load()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("modless: error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let attached = match ext.attach_all_in(&args.cgroup) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("modless: error: {e}");
            // e.g. sched_ext's ops.init failed: the exit op said why
            print_why(&ext, &[]);
            return Ok(ExitCode::FAILURE);
        }
    };
    for s in ext.skipped_members() {
        println!(
            "left out {}.{}: this kernel lacks it and it is declared if_missing = \"zero\"",
            s.map, s.member
        );
    }
    for o in &attached.ops {
        println!("attached struct_ops map {}", o.map());
    }
    for h in &attached.hooks {
        match h.cgroup() {
            Some(c) => println!(
                "attached program {} ({}) to cgroup {}",
                h.program(),
                h.section(),
                c.display()
            ),
            None => println!("attached program {} ({})", h.program(), h.section()),
        }
    }
    for s in ext.program_stats()? {
        println!("  {}: verifier processed {} insns", s.name, s.verified_insns);
    }
    let deadline = args
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    println!(
        "holding {}; {}",
        args.object.display(),
        match args.seconds {
            Some(s) => format!("detaching in {s} s"),
            None => "SIGINT/SIGTERM detaches".into(),
        }
    );
    // The record is not cleared: the object is fresh, so anything in it
    // was written by a stop during or right after the attach.
    while !STOP.load(Ordering::Relaxed) && deadline.is_none_or(|d| Instant::now() < d) {
        for o in &attached.ops {
            let Some(stop) = unrequested_stop(&ext, o)? else {
                continue;
            };
            eprintln!(
                "modless: error: the kernel stopped struct_ops map {}: {}",
                o.map(),
                stop.seen
            );
            print_why(&ext, &stop.kernel_log);
            drop(attached);
            return Ok(ExitCode::FAILURE);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(attached);
    println!("detached");
    if let Some(r) = ext.exit_record() {
        println!("exit record: kind {} code {}: {}", r.kind, r.code, r.reason);
    }
    Ok(ExitCode::SUCCESS)
}

/// A stop nobody asked for: the kernel detached the table, sched_ext
/// disabled it, or its exit op ran.
fn unrequested_stop(ext: &Extension, o: &OpsLink) -> anyhow::Result<Option<Stopped>> {
    if let Some(stop) = o.stopped()? {
        return Ok(Some(stop));
    }
    Ok(ext.exit_record().map(|_| Stopped {
        seen: "its exit op ran".into(),
        kernel_log: Vec::new(),
    }))
}

/// The exit record and the kernel's log lines, on stderr.
fn print_why(ext: &Extension, kernel_log: &[String]) {
    if let Some(r) = ext.exit_record() {
        eprintln!("  exit record: kind {} code {}: {}", r.kind, r.code, r.reason);
        if let Some(m) = r.message {
            eprintln!("  {m}");
        }
    }
    for line in kernel_log {
        eprintln!("  kernel: {line}");
    }
}
